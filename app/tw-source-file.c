/* tw-source-file.c — follows one log file with `tail -F` semantics and emits its bytes
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-source-file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

struct _TwSourceFile
{
  GObject            parent_instance;

  TwInotify         *inotify;
  char              *path;
  char              *parent;
  char              *basename;
  gint64             start_offset;
  gboolean           force_poll;
  guint              poll_interval;

  /* Where to resume the first file of a run, if it is still the same file. */
  gboolean           resume_valid;
  gboolean           resume_has_identity;
  guint64            resume_offset;
  guint64            resume_dev;
  guint64            resume_inode;

  gboolean           running;
  gboolean           polling;
  gboolean           had_file;
  guint              generation;

  int                fd;
  guint64            dev;
  guint64            inode;
  guint64            offset;
  guint64            size;            /* the file's size when last looked at */

  guint              file_watch;
  guint              dir_watch;
  gboolean           dir_watch_is_parent;
  char              *dir_watch_child;  /* while on an ancestor: the name awaited in it */
  guint              idle_id;
  guint              poll_id;

  TwSourceFileState  state;
  char              *error_message;
};

G_DEFINE_FINAL_TYPE (TwSourceFile, tw_source_file, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (TwSourceFileState, tw_source_file_state,
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_STATE_WAITING, "waiting"),
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_STATE_FOLLOWING, "following"),
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_STATE_ERROR, "error"))

G_DEFINE_ENUM_TYPE (TwSourceFileResetReason, tw_source_file_reset_reason,
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_RESET_TRUNCATED, "truncated"),
  G_DEFINE_ENUM_VALUE (TW_SOURCE_FILE_RESET_REPLACED, "replaced"))

enum
{
  PROP_0,
  PROP_INOTIFY,
  PROP_PATH,
  PROP_START_OFFSET,
  PROP_FORCE_POLL,
  PROP_POLL_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  DATA,
  RESET,
  STATE_CHANGED,
  CAUGHT_UP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* IN_ATTRIB on the file: a link count change (unlink) or a permission change. */
#define FILE_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
/* IN_ATTRIB on the directory: the file became readable after an error. */
#define PARENT_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB \
                     | IN_DELETE_SELF | IN_MOVE_SELF)
#define ANCESTOR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

typedef enum
{
  DRAIN_EOF,
  DRAIN_MORE,
  DRAIN_ERROR,
  DRAIN_STOPPED,
} DrainResult;

static void dir_event_cb  (TwInotify  *inotify,
                           guint32     mask,
                           const char *name,
                           gpointer    user_data);
static void file_event_cb (TwInotify  *inotify,
                           guint32     mask,
                           const char *name,
                           gpointer    user_data);
static void check         (TwSourceFile *self);
static void poll_start    (TwSourceFile *self);

static gboolean
is_network_fs (const char *path)
{
  g_autofree char *dir = g_strdup (path);
  struct statfs buf;

  /* The file may not exist yet: ask the nearest existing ancestor. */
  while (statfs (dir, &buf) < 0)
    {
      char *up = NULL;

      if (errno != ENOENT && errno != ENOTDIR)
        return FALSE;
      up = g_path_get_dirname (dir);
      if (g_strcmp0 (up, dir) == 0)
        {
          g_free (up);
          return FALSE;
        }
      g_free (dir);
      dir = up;
    }

  switch ((guint32) buf.f_type)
    {
    case 0x6969:      /* NFS */
    case 0x517B:      /* SMB */
    case 0xFE534D42:  /* SMB2 */
    case 0xFF534D42:  /* CIFS */
    case 0x65735546:  /* FUSE (sshfs, …) */
    case 0x01021997:  /* 9P */
    case 0x00C36400:  /* Ceph */
    case 0x73757245:  /* Coda */
    case 0x5346414F:  /* AFS */
    case 0x0BD00BD0:  /* Lustre */
      return TRUE;
    default:
      return FALSE;
    }
}

static void
set_state (TwSourceFile      *self,
           TwSourceFileState  state,
           const char        *message)
{
  if (self->state == state && g_strcmp0 (self->error_message, message) == 0)
    return;

  self->state = state;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_debug ("'%s': state %d%s%s", self->path, state,
           message != NULL ? ": " : "", message != NULL ? message : "");
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
set_error (TwSourceFile *self,
           const char   *what,
           int           errsv)
{
  g_autofree char *message = g_strdup_printf ("Failed to %s '%s': %s",
                                              what, self->path, g_strerror (errsv));

  set_state (self, TW_SOURCE_FILE_STATE_ERROR, message);
}

static gboolean
stopped_since (TwSourceFile *self,
               guint         generation)
{
  return !self->running || self->generation != generation;
}

static void
close_file (TwSourceFile *self,
            gboolean      forget)
{
  if (self->file_watch != 0)
    tw_inotify_remove_watch (self->inotify, self->file_watch);
  self->file_watch = 0;
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  if (forget)
    {
      self->dev = 0;
      self->inode = 0;
      self->offset = 0;
    }
}

static void
remove_dir_watch (TwSourceFile *self)
{
  if (self->dir_watch != 0)
    tw_inotify_remove_watch (self->inotify, self->dir_watch);
  self->dir_watch = 0;
  g_clear_pointer (&self->dir_watch_child, g_free);
}

/* Out of inotify watches (fs.inotify.max_user_watches) or not allowed to watch:
 * polling still works. */
static void
fall_back_to_polling (TwSourceFile *self,
                      const GError *error)
{
  g_warning ("Failed to watch '%s' with inotify, polling it instead: %s",
             self->path, error->message);
  remove_dir_watch (self);
  if (self->file_watch != 0)
    tw_inotify_remove_watch (self->inotify, self->file_watch);
  self->file_watch = 0;
  self->polling = TRUE;
  poll_start (self);
}

/* Watches the parent directory, or while that does not exist the nearest ancestor
 * that does, so that the file's (or a missing directory's) creation is seen. */
static void
setup_dir_watch (TwSourceFile *self)
{
  remove_dir_watch (self);

  for (guint attempt = 0; attempt < 16; attempt++)
    {
      g_autofree char *dir = g_strdup (self->parent);
      g_autofree char *child = NULL;
      g_autoptr(GError) error = NULL;

      for (;;)
        {
          g_clear_error (&error);
          self->dir_watch = tw_inotify_add_watch (self->inotify, dir,
                                                  g_str_equal (dir, self->parent)
                                                    ? PARENT_MASK : ANCESTOR_MASK,
                                                  dir_event_cb, self, &error);
          if (self->dir_watch != 0)
            break;
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
              && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
            {
              fall_back_to_polling (self, error);
              return;
            }
          {
            char *up = g_path_get_dirname (dir);

            if (g_str_equal (up, dir))
              {
                g_free (up);
                return;
              }
            g_free (child);
            child = g_steal_pointer (&dir);
            dir = up;
          }
        }

      self->dir_watch_is_parent = g_str_equal (dir, self->parent);
      if (self->dir_watch_is_parent)
        return;
      /* The next directory down may have appeared before the watch was in place. */
      if (!g_file_test (child, G_FILE_TEST_EXISTS))
        {
          self->dir_watch_child = g_path_get_basename (child);
          return;
        }
      remove_dir_watch (self);
    }
}

static gboolean
continue_cb (gpointer user_data)
{
  TwSourceFile *self = TW_SOURCE_FILE (user_data);

  self->idle_id = 0;
  check (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_continue (TwSourceFile *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, continue_cb, self, NULL);
}

/* Emits what the open file holds past the offset, up to *budget bytes. */
static DrainResult
drain (TwSourceFile *self,
       gsize        *budget)
{
  guint generation = self->generation;
  g_autofree guint8 *buf = NULL;
  gboolean emitted = FALSE;
  struct stat st;

  if (fstat (self->fd, &st) < 0)
    {
      set_error (self, "inspect", errno);
      return DRAIN_ERROR;
    }

  self->size = S_ISREG (st.st_mode) ? (guint64) st.st_size : 0;
  if (S_ISREG (st.st_mode) && (guint64) st.st_size < self->offset)
    {
      g_debug ("'%s' truncated from %" G_GUINT64_FORMAT " to %" G_GINT64_FORMAT " bytes",
               self->path, self->offset, (gint64) st.st_size);
      self->offset = 0;
      g_signal_emit (self, signals[RESET], 0, TW_SOURCE_FILE_RESET_TRUNCATED);
      if (stopped_since (self, generation))
        return DRAIN_STOPPED;
    }

  buf = g_malloc (TW_SOURCE_FILE_READ_SIZE);
  while (*budget > 0)
    {
      gsize want = MIN (*budget, TW_SOURCE_FILE_READ_SIZE);
      guint64 at = self->offset;
      ssize_t n = pread (self->fd, buf, want, (off_t) at);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return DRAIN_EOF;
      if (n < 0)
        {
          set_error (self, "read", errno);
          return DRAIN_ERROR;
        }
      if (n == 0)
        {
          if (emitted)
            g_signal_emit (self, signals[CAUGHT_UP], 0);
          return DRAIN_EOF;
        }

      self->offset += n;
      *budget -= n;
      emitted = TRUE;
      g_signal_emit (self, signals[DATA], 0, (gconstpointer) buf, (gulong) n, at);
      if (stopped_since (self, generation))
        return DRAIN_STOPPED;
    }

  return DRAIN_MORE;
}

/* Opens the file now at the path; FALSE (and a state set) if that failed.  Sets
 * *resumed if it continues at a saved offset of the same file. */
static gboolean
open_file (TwSourceFile *self,
           gboolean     *resumed)
{
  struct stat st;
  int fd;

  fd = open (self->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        set_state (self, TW_SOURCE_FILE_STATE_WAITING, NULL);
      else
        set_error (self, "open", errno);
      return FALSE;
    }
  if (fstat (fd, &st) < 0)
    {
      int errsv = errno;

      close (fd);
      set_error (self, "inspect", errsv);
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      close (fd);
      set_error (self, "open", EISDIR);
      return FALSE;
    }

  self->fd = fd;
  self->dev = st.st_dev;
  self->inode = st.st_ino;
  self->offset = 0;

  *resumed = FALSE;
  if (self->resume_valid
      && (guint64) st.st_size >= self->resume_offset
      && (!self->resume_has_identity
          || (self->resume_dev == self->dev && self->resume_inode == self->inode)))
    {
      self->offset = self->resume_offset;
      *resumed = TRUE;
    }
  self->resume_valid = FALSE;

  if (!self->polling)
    {
      g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
      g_autoptr(GError) error = NULL;

      /* Through /proc so the watch is on the inode just opened, not on whatever
       * the path names a moment later. */
      self->file_watch = tw_inotify_add_watch (self->inotify, proc, FILE_MASK,
                                               file_event_cb, self, &error);
      if (self->file_watch == 0)
        fall_back_to_polling (self, error);
    }

  g_debug ("'%s': following inode %" G_GUINT64_FORMAT " from offset %" G_GUINT64_FORMAT,
           self->path, self->inode, self->offset);

  return TRUE;
}

/* Brings everything up to date: reads what is new, notices truncation, deletion
 * and replacement.  Called on every event and every poll; idempotent. */
static void
check (TwSourceFile *self)
{
  guint generation = self->generation;
  gsize budget = TW_SOURCE_FILE_BUDGET;

  if (!self->running)
    return;

  g_object_ref (self);
  for (guint round = 0; round < 4; round++)
    {
      struct stat st;
      gboolean had_file = self->had_file;
      gboolean resumed = FALSE;

      if (self->fd >= 0)
        {
          switch (drain (self, &budget))
            {
            case DRAIN_EOF:
              break;
            case DRAIN_MORE:
              schedule_continue (self);
              goto out;
            case DRAIN_ERROR:
              /* Keep the identity and offset: a retry resumes if it is the same file. */
              close_file (self, FALSE);
              self->resume_valid = TRUE;
              self->resume_has_identity = TRUE;
              self->resume_offset = self->offset;
              self->resume_dev = self->dev;
              self->resume_inode = self->inode;
              goto out;
            case DRAIN_STOPPED:
              goto out;
            default:
              g_assert_not_reached ();
            }
        }

      if (stat (self->path, &st) < 0)
        {
          int errsv = errno;

          if (errsv != ENOENT && errsv != ENOTDIR)
            {
              if (self->fd < 0)
                set_error (self, "inspect", errsv);
              goto out;
            }
          if (self->fd >= 0)
            {
              struct stat fst;

              /* Renamed away: keep following until a new file takes the path.
               * Deleted: nothing more can come; let the space be freed. */
              if (fstat (self->fd, &fst) == 0 && fst.st_nlink > 0)
                goto out;
              close_file (self, TRUE);
            }
          set_state (self, TW_SOURCE_FILE_STATE_WAITING, NULL);
          goto out;
        }

      if (self->fd >= 0 && st.st_dev == self->dev && st.st_ino == self->inode)
        {
          set_state (self, TW_SOURCE_FILE_STATE_FOLLOWING, NULL);
          goto out;
        }

      /* Another file at the path, and the old one (if any) is drained to its end. */
      close_file (self, TRUE);
      if (!open_file (self, &resumed))
        goto out;
      self->had_file = TRUE;
      set_state (self, TW_SOURCE_FILE_STATE_FOLLOWING, NULL);
      if (stopped_since (self, generation))
        goto out;
      if (had_file && !resumed)
        {
          g_signal_emit (self, signals[RESET], 0, TW_SOURCE_FILE_RESET_REPLACED);
          if (stopped_since (self, generation))
            goto out;
        }
    }
  /* The path keeps changing under us: look again soon rather than spin. */
  schedule_continue (self);

out:
  g_object_unref (self);
}

static void
file_event_cb (TwInotify  *inotify,
               guint32     mask,
               const char *name,
               gpointer    user_data)
{
  TwSourceFile *self = TW_SOURCE_FILE (user_data);

  if (mask & IN_IGNORED)
    {
      tw_inotify_remove_watch (self->inotify, self->file_watch);
      self->file_watch = 0;
    }
  check (self);
}

static void
dir_event_cb (TwInotify  *inotify,
              guint32     mask,
              const char *name,
              gpointer    user_data)
{
  TwSourceFile *self = TW_SOURCE_FILE (user_data);

  if (!self->dir_watch_is_parent && name != NULL
      && g_strcmp0 (name, self->dir_watch_child) != 0)
    return;

  if (mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
      || !self->dir_watch_is_parent)
    {
      /* The directory itself went away or, while waiting on an ancestor, something
       * appeared in it: find the nearest existing directory again. */
      setup_dir_watch (self);
      check (self);
      return;
    }

  if (name == NULL || g_str_equal (name, self->basename))
    check (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  check (TW_SOURCE_FILE (user_data));

  return G_SOURCE_CONTINUE;
}

static void
poll_start (TwSourceFile *self)
{
  if (self->poll_id != 0)
    return;
  if (self->poll_interval % 1000 == 0)
    self->poll_id = g_timeout_add_seconds (self->poll_interval / 1000, poll_cb, self);
  else
    self->poll_id = g_timeout_add (self->poll_interval, poll_cb, self);
}

static void
tw_source_file_dispose (GObject *object)
{
  TwSourceFile *self = TW_SOURCE_FILE (object);

  tw_source_file_stop (self);
  g_clear_object (&self->inotify);

  G_OBJECT_CLASS (tw_source_file_parent_class)->dispose (object);
}

static void
tw_source_file_finalize (GObject *object)
{
  TwSourceFile *self = TW_SOURCE_FILE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->parent, g_free);
  g_clear_pointer (&self->basename, g_free);
  g_clear_pointer (&self->dir_watch_child, g_free);
  g_clear_pointer (&self->error_message, g_free);

  G_OBJECT_CLASS (tw_source_file_parent_class)->finalize (object);
}

static void
tw_source_file_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TwSourceFile *self = TW_SOURCE_FILE (object);

  switch (prop_id)
    {
    case PROP_INOTIFY:
      g_value_set_object (value, self->inotify);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_START_OFFSET:
      g_value_set_int64 (value, self->start_offset);
      break;
    case PROP_FORCE_POLL:
      g_value_set_boolean (value, self->force_poll);
      break;
    case PROP_POLL_INTERVAL:
      g_value_set_uint (value, self->poll_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_source_file_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TwSourceFile *self = TW_SOURCE_FILE (object);

  switch (prop_id)
    {
    case PROP_INOTIFY:
      self->inotify = g_value_dup_object (value);
      break;
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_START_OFFSET:
      self->start_offset = g_value_get_int64 (value);
      break;
    case PROP_FORCE_POLL:
      self->force_poll = g_value_get_boolean (value);
      break;
    case PROP_POLL_INTERVAL:
      self->poll_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_source_file_constructed (GObject *object)
{
  TwSourceFile *self = TW_SOURCE_FILE (object);

  G_OBJECT_CLASS (tw_source_file_parent_class)->constructed (object);

  g_assert (self->path != NULL);
  self->parent = g_path_get_dirname (self->path);
  self->basename = g_path_get_basename (self->path);
}

static void
tw_source_file_class_init (TwSourceFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tw_source_file_constructed;
  object_class->dispose = tw_source_file_dispose;
  object_class->finalize = tw_source_file_finalize;
  object_class->get_property = tw_source_file_get_property;
  object_class->set_property = tw_source_file_set_property;

  /**
   * TwSourceFile:inotify: (nullable)
   *
   * The daemon's shared #TwInotify; without one the file is polled.
   */
  properties[PROP_INOTIFY] =
    g_param_spec_object ("inotify", NULL, NULL, TW_TYPE_INOTIFY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                         | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TwSourceFile:path:
   *
   * The followed path (absolute).
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                         | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TwSourceFile:start-offset:
   *
   * -1 to start at the end of a file that exists at tw_source_file_start(); an
   * offset to resume there if the file is the same one (see
   * tw_source_file_set_resume_file()) and not shorter, else from 0.
   */
  properties[PROP_START_OFFSET] =
    g_param_spec_int64 ("start-offset", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                        | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TwSourceFile:force-poll:
   *
   * Poll every #TwSourceFile:poll-interval instead of using inotify, as is done
   * anyway on network file systems (NFS, SMB/CIFS, FUSE, 9P, Ceph, AFS, Lustre).
   */
  properties[PROP_FORCE_POLL] =
    g_param_spec_boolean ("force-poll", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                          | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TwSourceFile:poll-interval:
   *
   * Milliseconds between two looks at a polled file.
   */
  properties[PROP_POLL_INTERVAL] =
    g_param_spec_uint ("poll-interval", NULL, NULL, 10, G_MAXUINT, 1000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                       | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TwSourceFile::data:
   * @self: the #TwSourceFile
   * @data: (array length=len): the bytes, borrowed for the emission only
   * @len: how many, at most %TW_SOURCE_FILE_READ_SIZE
   * @offset: where @data starts in the current file
   *
   * Raw bytes of the file, in order, each exactly once, cut wherever the reads
   * happened to end (mid-line, mid-character).  tw_source_file_get_offset() is
   * already @offset + @len during the emission.
   */
  signals[DATA] =
    g_signal_new ("data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_POINTER, G_TYPE_ULONG, G_TYPE_UINT64);

  /**
   * TwSourceFile::reset:
   * @self: the #TwSourceFile
   * @reason: a #TwSourceFileResetReason
   *
   * The byte stream is discontinuous: drop any partial line.  Emitted before the
   * first #TwSourceFile::data of the truncated or new file; whatever the old file
   * still held was delivered before.
   */
  signals[RESET] =
    g_signal_new ("reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, TW_TYPE_SOURCE_FILE_RESET_REASON);

  /**
   * TwSourceFile::state-changed:
   * @self: the #TwSourceFile
   *
   * tw_source_file_get_state() or tw_source_file_get_error_message() changed.
   * Not emitted by tw_source_file_stop().
   */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * TwSourceFile::caught-up:
   * @self: the #TwSourceFile
   *
   * The #TwSourceFile::data emitted since the last change reached the end of the
   * file: what the writer has written so far was all delivered. A consumer can
   * now treat an unfinished last line as news (a progress bar's newest redraw)
   * rather than as a line cut by a read.
   */
  signals[CAUGHT_UP] =
    g_signal_new ("caught-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_source_file_init (TwSourceFile *self)
{
  self->fd = -1;
  self->start_offset = -1;
  self->poll_interval = 1000;
  self->state = TW_SOURCE_FILE_STATE_STOPPED;
}

/**
 * tw_source_file_new:
 * @inotify: (nullable): the daemon's shared #TwInotify, or %NULL to poll
 * @path: the absolute path to follow; it need not exist yet
 * @start_offset: -1 to start at the end of a file that exists at start (a file that
 *   appears later is read from 0); >= 0 to resume at that offset if the file is the
 *   same and at least that long, else to read it from 0
 *
 * Creates a follower; connect to its signals, then call tw_source_file_start().
 *
 * Returns: (transfer full): a new #TwSourceFile
 */
TwSourceFile *
tw_source_file_new (TwInotify  *inotify,
                    const char *path,
                    gint64      start_offset)
{
  g_return_val_if_fail (inotify == NULL || TW_IS_INOTIFY (inotify), NULL);
  g_return_val_if_fail (path != NULL && g_path_is_absolute (path), NULL);
  g_return_val_if_fail (start_offset >= -1, NULL);

  return g_object_new (TW_TYPE_SOURCE_FILE,
                       "inotify", inotify,
                       "path", path,
                       "start-offset", start_offset,
                       NULL);
}

/**
 * tw_source_file_set_resume_file:
 * @self: a #TwSourceFile
 * @dev: the device saved with the offset (tw_source_file_get_dev())
 * @inode: the inode saved with it (tw_source_file_get_inode())
 *
 * Names the file that #TwSourceFile:start-offset was saved for: the offset is then
 * used only if the path still names that file.  Call before tw_source_file_start().
 */
void
tw_source_file_set_resume_file (TwSourceFile *self,
                                guint64       dev,
                                guint64       inode)
{
  g_return_if_fail (TW_IS_SOURCE_FILE (self));
  g_return_if_fail (!self->running);

  self->resume_has_identity = TRUE;
  self->resume_dev = dev;
  self->resume_inode = inode;
}

/**
 * tw_source_file_start:
 * @self: a #TwSourceFile
 *
 * Starts following: what is already there past the start offset is emitted before
 * this returns, later writes as they arrive.  After tw_source_file_stop(), starts
 * again where it stopped if the file is still the same.
 */
void
tw_source_file_start (TwSourceFile *self)
{
  struct stat st;

  g_return_if_fail (TW_IS_SOURCE_FILE (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->generation++;
  self->polling = self->force_poll || self->inotify == NULL || is_network_fs (self->path);

  if (self->had_file)
    {
      self->resume_valid = TRUE;
      self->resume_has_identity = TRUE;
      self->resume_offset = self->offset;
      self->resume_dev = self->dev;
      self->resume_inode = self->inode;
    }
  else if (self->start_offset >= 0)
    {
      self->resume_valid = TRUE;
      self->resume_offset = self->start_offset;
    }
  else if (stat (self->path, &st) == 0)
    {
      self->resume_valid = TRUE;
      self->resume_has_identity = TRUE;
      self->resume_offset = st.st_size;
      self->resume_dev = st.st_dev;
      self->resume_inode = st.st_ino;
    }

  if (self->polling)
    poll_start (self);
  else
    setup_dir_watch (self);

  check (self);
}

/**
 * tw_source_file_stop:
 * @self: a #TwSourceFile
 *
 * Stops following and closes the file.  The offset, device and inode stay readable
 * so that they can be saved.
 */
void
tw_source_file_stop (TwSourceFile *self)
{
  g_return_if_fail (TW_IS_SOURCE_FILE (self));

  if (!self->running)
    return;

  self->running = FALSE;
  self->generation++;
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  remove_dir_watch (self);
  close_file (self, FALSE);
  self->state = TW_SOURCE_FILE_STATE_STOPPED;
  g_clear_pointer (&self->error_message, g_free);
}

/**
 * tw_source_file_get_path:
 * @self: a #TwSourceFile
 *
 * Returns: the followed path
 */
const char *
tw_source_file_get_path (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), NULL);

  return self->path;
}

/**
 * tw_source_file_get_state:
 * @self: a #TwSourceFile
 *
 * Returns: whether the file is waited for, followed or failing
 */
TwSourceFileState
tw_source_file_get_state (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), TW_SOURCE_FILE_STATE_STOPPED);

  return self->state;
}

/**
 * tw_source_file_get_error_message:
 * @self: a #TwSourceFile
 *
 * Returns: (nullable): why the file cannot be read, in the error state
 */
const char *
tw_source_file_get_error_message (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), NULL);

  return self->error_message;
}

/**
 * tw_source_file_get_offset:
 * @self: a #TwSourceFile
 *
 * Returns: how many bytes of the current file have been delivered (and where
 *   reading continues); 0 when there is no current file
 */
guint64
tw_source_file_get_offset (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), 0);

  return self->offset;
}

/**
 * tw_source_file_get_size:
 * @self: a #TwSourceFile
 *
 * Tells how big the current file was when reading last began, so that a reader can
 * tell how far behind the writer it is while it handles #TwSourceFile::data.
 *
 * Returns: the size in bytes; 0 when it is not known (no file, or not a regular file)
 */
guint64
tw_source_file_get_size (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), 0);

  return self->size;
}

/**
 * tw_source_file_get_dev:
 * @self: a #TwSourceFile
 *
 * Returns: the device of the current file, 0 when there is none
 */
guint64
tw_source_file_get_dev (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), 0);

  return self->dev;
}

/**
 * tw_source_file_get_inode:
 * @self: a #TwSourceFile
 *
 * Returns: the inode of the current file, 0 when there is none
 */
guint64
tw_source_file_get_inode (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), 0);

  return self->inode;
}

/**
 * tw_source_file_get_polling:
 * @self: a #TwSourceFile
 *
 * Returns: %TRUE if the file is polled (network file system or
 *   #TwSourceFile:force-poll) rather than watched with inotify
 */
gboolean
tw_source_file_get_polling (TwSourceFile *self)
{
  g_return_val_if_fail (TW_IS_SOURCE_FILE (self), FALSE);

  return self->polling;
}
