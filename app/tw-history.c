/* tw-history.c — the journal of every event, one JSON line each, rotated by size
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-history.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How much of the journal's end is read to recover recent events at start. */
#define RECENT_TAIL_BYTES (256 * 1024)

struct _TwHistory
{
  GObject  parent_instance;

  char    *path;
  int      fd;
  goffset  size;
  goffset  max_size;
  guint    keep_files;
};

G_DEFINE_FINAL_TYPE (TwHistory, tw_history, G_TYPE_OBJECT)

static gboolean
open_journal (TwHistory  *self,
              GError    **error)
{
  g_autofree char *dir = NULL;
  struct stat st;
  int fd;

  if (self->fd >= 0)
    return TRUE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  fd = g_open (self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to open the history “%s”: %s"), self->path, g_strerror (saved_errno));
      return FALSE;
    }

  self->fd = fd;
  self->size = st.st_size;
  return TRUE;
}

static void
close_journal (TwHistory *self)
{
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
}

static char *
rotated_path (TwHistory *self,
              guint      n)
{
  return g_strdup_printf ("%s.%u", self->path, n);
}

/* history.jsonl → history.jsonl.1 → … → history.jsonl.N; the oldest goes. */
static void
rotate (TwHistory *self)
{
  close_journal (self);

  if (self->keep_files == 0)
    {
      g_unlink (self->path);
      return;
    }

  {
    g_autofree char *oldest = rotated_path (self, self->keep_files);

    g_unlink (oldest);
  }

  for (guint n = self->keep_files; n > 1; n--)
    {
      g_autofree char *from = rotated_path (self, n - 1);
      g_autofree char *to = rotated_path (self, n);

      g_rename (from, to);
    }

  {
    g_autofree char *first = rotated_path (self, 1);

    if (g_rename (self->path, first) != 0 && errno != ENOENT)
      g_debug ("Failed to rotate '%s': %s", self->path, g_strerror (errno));
  }
}

static void
tw_history_finalize (GObject *object)
{
  TwHistory *self = TW_HISTORY (object);

  close_journal (self);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (tw_history_parent_class)->finalize (object);
}

static void
tw_history_class_init (TwHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tw_history_finalize;
}

static void
tw_history_init (TwHistory *self)
{
  self->fd = -1;
  self->max_size = 4096 * 1024;
  self->keep_files = 2;
}

/**
 * tw_history_new:
 * @path: the journal file (`$XDG_STATE_HOME/trainwatch/history.jsonl`)
 *
 * Creates a journal writer; nothing is opened until the first append.
 *
 * Returns: (transfer full): a new #TwHistory
 */
TwHistory *
tw_history_new (const char *path)
{
  TwHistory *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (TW_TYPE_HISTORY, NULL);
  self->path = g_strdup (path);

  return self;
}

/**
 * tw_history_get_path:
 * @self: a #TwHistory
 *
 * Returns: the journal's path
 */
const char *
tw_history_get_path (TwHistory *self)
{
  g_return_val_if_fail (TW_IS_HISTORY (self), NULL);

  return self->path;
}

/**
 * tw_history_set_limits:
 * @self: a #TwHistory
 * @max_size: the size in bytes past which the journal is rotated
 * @keep_files: how many rotated journals to keep
 *
 * Bounds the disk space the history takes: at most about
 * (@keep_files + 1) × @max_size bytes.
 */
void
tw_history_set_limits (TwHistory *self,
                       goffset    max_size,
                       guint      keep_files)
{
  g_return_if_fail (TW_IS_HISTORY (self));
  g_return_if_fail (max_size > 0);

  self->max_size = max_size;
  self->keep_files = keep_files;
}

/**
 * tw_history_append:
 * @self: a #TwHistory
 * @event: the event to record
 * @error: return location for a #GError
 *
 * Appends @event as one line. The line is written with a single write(2)
 * on an O_APPEND descriptor; a short write (a full disk) is cut back off so
 * the journal never holds half a line, and reported.
 *
 * Returns: %TRUE if the event is in the journal
 */
gboolean
tw_history_append (TwHistory  *self,
                   TwEvent    *event,
                   GError    **error)
{
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  gsize len;
  gssize written;

  g_return_val_if_fail (TW_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (TW_IS_EVENT (event), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  json = tw_event_to_json (event);
  line = g_strconcat (json, "\n", NULL);
  len = strlen (line);

  if (!open_journal (self, error))
    return FALSE;

  if (self->size > 0 && self->size + (goffset) len > self->max_size)
    {
      rotate (self);
      if (!open_journal (self, error))
        return FALSE;
    }

  do
    written = write (self->fd, line, len);
  while (written < 0 && errno == EINTR);

  if (written != (gssize) len)
    {
      int saved_errno = written < 0 ? errno : ENOSPC;

      if (written > 0 && ftruncate (self->fd, self->size) != 0)
        g_debug ("Failed to cut a partial line off '%s': %s", self->path, g_strerror (errno));
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to write to the history “%s”: %s"), self->path,
                   g_strerror (saved_errno));
      /* Reopen next time: the file may have been replaced or the disk freed. */
      close_journal (self);
      return FALSE;
    }

  self->size += len;
  return TRUE;
}

/**
 * tw_history_load_recent:
 * @self: a #TwHistory
 * @max_events: how many of the newest events to return at most
 * @error: return location for a #GError
 *
 * Reads the end of the journal back, oldest first. Lines that do not parse
 * (a journal written by hand, a crash mid-line) are skipped. A journal that
 * does not exist yet gives an empty array.
 *
 * Returns: (transfer container) (element-type TwEvent): the events, or
 *   %NULL with @error set if the file could not be read
 */
GPtrArray *
tw_history_load_recent (TwHistory  *self,
                        guint       max_events,
                        GError    **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *buf = NULL;
  g_auto(GStrv) lines = NULL;
  struct stat st;
  gsize start = 0;
  ssize_t n;
  int fd;

  g_return_val_if_fail (TW_IS_HISTORY (self), NULL);

  fd = g_open (self->path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return g_steal_pointer (&events);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to read the history “%s”: %s"), self->path, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    st.st_size = 0;

  buf = g_malloc (RECENT_TAIL_BYTES + 1);
  if (st.st_size > RECENT_TAIL_BYTES)
    {
      n = pread (fd, buf, RECENT_TAIL_BYTES, st.st_size - RECENT_TAIL_BYTES);
      /* The first line is most likely cut: skip to the next one. */
      if (n > 0)
        {
          char *nl = memchr (buf, '\n', n);

          start = nl != NULL ? (gsize) (nl - buf) + 1 : (gsize) n;
        }
    }
  else
    {
      n = pread (fd, buf, RECENT_TAIL_BYTES, 0);
    }
  close (fd);

  if (n < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to read the history “%s”: %s"), self->path, g_strerror (saved_errno));
      return NULL;
    }
  buf[n] = '\0';

  lines = g_strsplit (buf + start, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      TwEvent *event;

      if (lines[i][0] == '\0' || !g_utf8_validate (lines[i], -1, NULL))
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &local_error))
        continue;
      event = tw_event_new_from_json (json_parser_get_root (parser), &local_error);
      if (event == NULL)
        continue;
      g_ptr_array_add (events, event);
    }

  if (events->len > max_events)
    g_ptr_array_remove_range (events, 0, events->len - max_events);

  return g_steal_pointer (&events);
}
