/* tw-status-source.c — follows one status file, re-read whole on each change, and emits what is new
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writers rewrite a status file whole: in place (open, write, close) or by
 * renaming a finished file over it. So the parent directory is watched for
 * the file's name being closed after writing, renamed in, created, deleted
 * or renamed away; nothing is read on plain writes, which also spares the
 * daemon a wake-up for every line a log in the same folder gets. Idle costs
 * nothing: no timer runs. A file caught halfway through a write is read
 * again on its next change. Missing folders on the way are waited for by
 * watching the nearest one that exists.
 *
 * Files that keep their whole history (trainer_state.json's log_history,
 * metrics.csv's rows) are read through a TwStatusCursor, so each re-read
 * gives only the entries not seen before, and an evaluation or an epoch is
 * heard once. Unlike TwSourceFile there is no polling fallback for network
 * file systems: a status file there is not followed.
 */
#include "config.h"

#include "tw-status-source.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
                     IN_DELETE_SELF | IN_MOVE_SELF)
#define ANCESTOR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
#define READ_CHUNK (64 * 1024)

struct _TwStatusSource
{
  GObject              parent_instance;

  TwInotify           *inotify;
  char                *path;
  TwStatusFormat       format;
  TwStatusSourceState  state;
  char                *error_message;
  gboolean             running;

  guint                watch_id;
  char                *watch_name;     /* the entry awaited in the watched folder */
  gboolean             watching_parent;

  TwStatusCursor       cursor;
  guint64              last_hash;      /* of the bytes last parsed, to skip a rewrite that changed nothing */
  gsize                last_len;
  gboolean             have_last;
  GArray              *observations;   /* scratch, of TwObservation */
};

G_DEFINE_FINAL_TYPE (TwStatusSource, tw_status_source, G_TYPE_OBJECT)

enum
{
  OBSERVATIONS,
  STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void inotify_cb (TwInotify  *inotify,
                        guint32     mask,
                        const char *name,
                        gpointer    user_data);

static void
set_state (TwStatusSource      *self,
           TwStatusSourceState  state,
           const char          *message)
{
  if (self->state == state && g_strcmp0 (self->error_message, message) == 0)
    return;

  self->state = state;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_debug ("Status file '%s': %s%s%s", self->path, tw_status_source_state_to_string (state),
           message != NULL ? ": " : "", message != NULL ? message : "");
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
set_errno_error (TwStatusSource *self,
                 const char     *what,
                 int             errsv)
{
  g_autofree char *message = g_strdup_printf ("Failed to %s status file '%s': %s",
                                              what, self->path, g_strerror (errsv));

  set_state (self, TW_STATUS_SOURCE_STATE_ERROR, message);
}

static guint64
hash_bytes (const char *data,
            gsize       len)
{
  guint64 hash = G_GUINT64_CONSTANT (14695981039346656037);

  for (gsize i = 0; i < len; i++)
    hash = (hash ^ (guchar) data[i]) * G_GUINT64_CONSTANT (1099511628211);

  return hash;
}

/* Reads at most TW_STATUS_SOURCE_MAX_SIZE + 1 bytes: the file may grow while it is read. */
static GByteArray *
read_whole (TwStatusSource *self,
            int             fd)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  for (;;)
    {
      gsize want = MIN (READ_CHUNK, TW_STATUS_SOURCE_MAX_SIZE + 1 - bytes->len);
      gsize had = bytes->len;
      gssize n;

      if (want == 0)
        break;
      g_byte_array_set_size (bytes, had + want);
      n = read (fd, bytes->data + had, want);
      if (n < 0 && errno == EINTR)
        {
          g_byte_array_set_size (bytes, had);
          continue;
        }
      if (n < 0)
        {
          int errsv = errno;

          set_errno_error (self, "read", errsv);
          return NULL;
        }
      g_byte_array_set_size (bytes, had + n);
      if (n == 0)
        break;
    }

  return g_steal_pointer (&bytes);
}

/* @tentative: the file was just created and is probably still being written: a
 * failure to parse it is not worth a state of its own, the close will follow. */
static void
read_file (TwStatusSource *self,
           gboolean        tentative)
{
  g_autoptr(GByteArray) bytes = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;
  guint64 hash;
  int fd;

  fd = g_open (self->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        set_state (self, TW_STATUS_SOURCE_STATE_WAITING, NULL);
      else
        set_errno_error (self, "open", errsv);
      return;
    }

  if (fstat (fd, &st) < 0)
    {
      int errsv = errno;

      close (fd);
      set_errno_error (self, "examine", errsv);
      return;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_autofree char *message = g_strdup_printf ("Status file '%s' is not a regular file", self->path);

      close (fd);
      set_state (self, TW_STATUS_SOURCE_STATE_ERROR, message);
      return;
    }
  if (st.st_size <= TW_STATUS_SOURCE_MAX_SIZE)
    bytes = read_whole (self, fd);
  close (fd);
  if (st.st_size <= TW_STATUS_SOURCE_MAX_SIZE && bytes == NULL)
    return;
  if (bytes == NULL || bytes->len > TW_STATUS_SOURCE_MAX_SIZE)
    {
      g_autofree char *message = g_strdup_printf ("Status file '%s' is larger than %d MiB",
                                                  self->path, TW_STATUS_SOURCE_MAX_SIZE / (1024 * 1024));

      set_state (self, TW_STATUS_SOURCE_STATE_ERROR, message);
      return;
    }

  hash = hash_bytes ((const char *) bytes->data, bytes->len);
  if (self->have_last && hash == self->last_hash && bytes->len == self->last_len)
    return;

  if (!tw_status_file_parse_new (self->format, (const char *) bytes->data, bytes->len, &self->cursor,
                                 self->observations, &error))
    {
      g_array_set_size (self->observations, 0);
      if (tentative || g_error_matches (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INCOMPLETE))
        {
          g_debug ("Status file '%s' not complete yet: %s", self->path, error->message);
          if (self->state == TW_STATUS_SOURCE_STATE_WAITING || self->state == TW_STATUS_SOURCE_STATE_STOPPED)
            set_state (self, TW_STATUS_SOURCE_STATE_FOLLOWING, NULL);
          return;
        }
      {
        g_autofree char *message = g_strdup_printf ("Failed to read status file '%s': %s",
                                                    self->path, error->message);

        self->have_last = TRUE;
        self->last_hash = hash;
        self->last_len = bytes->len;
        set_state (self, TW_STATUS_SOURCE_STATE_ERROR, message);
      }
      return;
    }

  self->have_last = TRUE;
  self->last_hash = hash;
  self->last_len = bytes->len;
  set_state (self, TW_STATUS_SOURCE_STATE_FOLLOWING, NULL);
  if (self->observations->len > 0)
    {
      g_object_ref (self);
      g_signal_emit (self, signals[OBSERVATIONS], 0, self->observations);
      g_array_set_size (self->observations, 0);
      g_object_unref (self);
    }
}

static void
remove_watch (TwStatusSource *self)
{
  if (self->watch_id != 0)
    tw_inotify_remove_watch (self->inotify, self->watch_id);
  self->watch_id = 0;
  g_clear_pointer (&self->watch_name, g_free);
  self->watching_parent = FALSE;
}

/* Watches the file's folder, or while that does not exist the nearest folder
 * above it that does, for the next missing name on the way. */
static void
arm (TwStatusSource *self)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *name = g_path_get_basename (self->path);
  gboolean parent = TRUE;

  remove_watch (self);
  if (self->inotify == NULL)
    return;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *up = NULL;

      self->watch_id = tw_inotify_add_watch (self->inotify, dir, parent ? FILE_EVENTS : ANCESTOR_EVENTS,
                                             inotify_cb, self, &error);
      if (self->watch_id != 0)
        break;

      up = g_path_get_dirname (dir);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) || g_str_equal (up, dir))
        {
          g_autofree char *message = g_strdup_printf ("Failed to watch status file '%s': %s",
                                                      self->path, error->message);

          set_state (self, TW_STATUS_SOURCE_STATE_ERROR, message);
          return;
        }
      g_free (name);
      name = g_path_get_basename (dir);
      g_free (dir);
      dir = g_steal_pointer (&up);
      parent = FALSE;
    }

  self->watch_name = g_steal_pointer (&name);
  self->watching_parent = parent;
  if (!parent)
    set_state (self, TW_STATUS_SOURCE_STATE_WAITING, NULL);
}

/* (Re)arms and reads what is there now: at start, after a folder on the way
 * appeared or went, and after lost events. */
static void
arm_and_read (TwStatusSource *self)
{
  arm (self);
  if (self->watching_parent || self->inotify == NULL)
    read_file (self, FALSE);
}

static void
inotify_cb (TwInotify  *inotify,
            guint32     mask,
            const char *name,
            gpointer    user_data)
{
  TwStatusSource *self = TW_STATUS_SOURCE (user_data);

  if (!self->running)
    return;

  if (mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
    {
      arm_and_read (self);
      return;
    }
  if (name == NULL || g_strcmp0 (name, self->watch_name) != 0)
    return;

  if (!self->watching_parent)
    arm_and_read (self);
  else if (mask & (IN_DELETE | IN_MOVED_FROM))
    set_state (self, TW_STATUS_SOURCE_STATE_WAITING, NULL);
  else
    read_file (self, (mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) == 0);
}

static void
tw_status_source_dispose (GObject *object)
{
  TwStatusSource *self = TW_STATUS_SOURCE (object);

  remove_watch (self);
  g_clear_object (&self->inotify);

  G_OBJECT_CLASS (tw_status_source_parent_class)->dispose (object);
}

static void
tw_status_source_finalize (GObject *object)
{
  TwStatusSource *self = TW_STATUS_SOURCE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->observations, g_array_unref);

  G_OBJECT_CLASS (tw_status_source_parent_class)->finalize (object);
}

static void
tw_status_source_class_init (TwStatusSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_status_source_dispose;
  object_class->finalize = tw_status_source_finalize;

  /**
   * TwStatusSource::observations:
   * @self: the #TwStatusSource
   * @observations: (element-type TwObservation): what the file says that was not
   *   said before; valid during the emission only
   *
   * Emitted after a change of the file was read.
   */
  signals[OBSERVATIONS] =
    g_signal_new ("observations", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * TwStatusSource::state-changed:
   * @self: the #TwStatusSource
   *
   * tw_status_source_get_state() or tw_status_source_get_error_message() changed.
   */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_status_source_init (TwStatusSource *self)
{
  self->state = TW_STATUS_SOURCE_STATE_STOPPED;
  tw_status_cursor_init (&self->cursor);
  self->observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_array_set_clear_func (self->observations, (GDestroyNotify) tw_observation_clear);
}

/**
 * tw_status_source_is_status_name:
 * @path: a file's path
 *
 * Tells a status file from a log by its name, as `trainwatch inspect` does:
 * `*.json` and `*metrics.csv`.
 *
 * Returns: %TRUE when @path names a status file
 */
gboolean
tw_status_source_is_status_name (const char *path)
{
  g_autofree char *basename = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  basename = g_path_get_basename (path);
  return g_str_has_suffix (basename, ".json") || g_str_has_suffix (basename, "metrics.csv");
}

/**
 * tw_status_source_state_to_string:
 * @state: a #TwStatusSourceState
 *
 * Returns: the state's name as `status --json` shows it
 */
const char *
tw_status_source_state_to_string (TwStatusSourceState state)
{
  static const char * const names[] = { "stopped", "waiting", "following", "error" };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

/**
 * tw_status_source_new:
 * @inotify: (nullable): the daemon's shared #TwInotify; %NULL reads the file
 *   once at start and does not follow it
 * @path: the status file; it and its folder need not exist yet. Its name
 *   decides its format (tw_status_format_for_name())
 *
 * Returns: (transfer full): a new, stopped #TwStatusSource
 */
TwStatusSource *
tw_status_source_new (TwInotify  *inotify,
                      const char *path)
{
  TwStatusSource *self;
  g_autofree char *basename = NULL;

  g_return_val_if_fail (inotify == NULL || TW_IS_INOTIFY (inotify), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  basename = g_path_get_basename (path);
  self = g_object_new (TW_TYPE_STATUS_SOURCE, NULL);
  self->inotify = inotify != NULL ? g_object_ref (inotify) : NULL;
  self->path = g_strdup (path);
  self->format = tw_status_format_for_name (basename);

  return self;
}

/**
 * tw_status_source_start:
 * @self: a #TwStatusSource
 *
 * Reads the file as it is now (emitting #TwStatusSource::observations) and
 * follows it from then on.
 */
void
tw_status_source_start (TwStatusSource *self)
{
  g_return_if_fail (TW_IS_STATUS_SOURCE (self));

  if (self->running)
    return;
  self->running = TRUE;
  arm_and_read (self);
}

/**
 * tw_status_source_stop:
 * @self: a #TwStatusSource
 *
 * Stops following the file; what was read stays read.
 */
void
tw_status_source_stop (TwStatusSource *self)
{
  g_return_if_fail (TW_IS_STATUS_SOURCE (self));

  self->running = FALSE;
  remove_watch (self);
  self->state = TW_STATUS_SOURCE_STATE_STOPPED;
  g_clear_pointer (&self->error_message, g_free);
}

/**
 * tw_status_source_set_path:
 * @self: a #TwStatusSource
 * @path: the file to follow from now on
 * @keep_history: %TRUE when @path continues the same run's history (a newer
 *   checkpoint's trainer_state.json), so entries already read are not given
 *   again; %FALSE when it starts afresh (a new Lightning version)
 *
 * Moves the source to another file, read at once if the source runs.
 */
void
tw_status_source_set_path (TwStatusSource *self,
                           const char     *path,
                           gboolean        keep_history)
{
  g_autofree char *basename = NULL;

  g_return_if_fail (TW_IS_STATUS_SOURCE (self));
  g_return_if_fail (path != NULL);

  if (g_str_equal (path, self->path))
    return;

  g_free (self->path);
  self->path = g_strdup (path);
  basename = g_path_get_basename (path);
  self->format = tw_status_format_for_name (basename);
  self->have_last = FALSE;
  if (!keep_history)
    tw_status_cursor_init (&self->cursor);
  if (self->running)
    arm_and_read (self);
}

/**
 * tw_status_source_get_path:
 * @self: a #TwStatusSource
 *
 * Returns: the followed file
 */
const char *
tw_status_source_get_path (TwStatusSource *self)
{
  g_return_val_if_fail (TW_IS_STATUS_SOURCE (self), NULL);

  return self->path;
}

/**
 * tw_status_source_get_format:
 * @self: a #TwStatusSource
 *
 * Returns: how the file is read
 */
TwStatusFormat
tw_status_source_get_format (TwStatusSource *self)
{
  g_return_val_if_fail (TW_IS_STATUS_SOURCE (self), TW_STATUS_FORMAT_TRAINWATCH);

  return self->format;
}

/**
 * tw_status_source_get_state:
 * @self: a #TwStatusSource
 *
 * Returns: what the source is doing
 */
TwStatusSourceState
tw_status_source_get_state (TwStatusSource *self)
{
  g_return_val_if_fail (TW_IS_STATUS_SOURCE (self), TW_STATUS_SOURCE_STATE_STOPPED);

  return self->state;
}

/**
 * tw_status_source_get_error_message:
 * @self: a #TwStatusSource
 *
 * Returns: (nullable): why the source is in its error state, or %NULL
 */
const char *
tw_status_source_get_error_message (TwStatusSource *self)
{
  g_return_val_if_fail (TW_IS_STATUS_SOURCE (self), NULL);

  return self->error_message;
}
