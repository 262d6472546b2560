/* tw-run-folder.c — finds and follows the status files frameworks write into a run's folder
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run that prints nothing we can parse may still leave its progress in
 * its folder: the Hugging Face Trainer saves a trainer_state.json into each
 * checkpoint-N/ folder (and one beside them at the end), Lightning's
 * CSVLogger rewrites lightning_logs/version_N/metrics.csv (csv/version_N/
 * with a logger named "csv", or a metrics.csv in the folder itself).
 *
 * At most one source per framework: the Trainer's follows the newest of
 * its files, moving on when a newer checkpoint appears and keeping its
 * history cursor (every checkpoint holds the history again); Lightning's
 * follows the newest version, which is a new run, read from its first row.
 * The folder (and lightning_logs/, csv/ when they exist) is watched for
 * entries created, renamed or deleted, never for writes: idle costs nothing.
 */
#include "config.h"

#include "tw-run-folder.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#define FOLDER_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)

static const char * const lightning_folders[] = { "lightning_logs", "csv" };

struct _TwRunFolder
{
  GObject         parent_instance;

  TwInotify      *inotify;
  char           *dir;
  gboolean        running;
  guint           dir_watch;
  guint           lightning_watches[G_N_ELEMENTS (lightning_folders)];
  TwStatusSource *hf;
  TwStatusSource *lightning;
};

G_DEFINE_FINAL_TYPE (TwRunFolder, tw_run_folder, G_TYPE_OBJECT)

enum
{
  OBSERVATIONS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void rescan (TwRunFolder *self);

/* The N of "<prefix>N", or -1. */
static gint64
numbered (const char *name,
          const char *prefix)
{
  const char *digits;
  char *end = NULL;
  gint64 n;

  if (!g_str_has_prefix (name, prefix))
    return -1;
  digits = name + strlen (prefix);
  if (!g_ascii_isdigit (*digits))
    return -1;
  n = g_ascii_strtoll (digits, &end, 10);

  return *end == '\0' ? n : -1;
}

static gboolean
is_dir (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

/* The subfolder "<prefix>N" with the largest N, or NULL. */
static char *
newest_numbered (const char *dir,
                 const char *prefix)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  g_autofree char *best = NULL;
  gint64 best_n = -1;
  const char *name;

  if (listing == NULL)
    return NULL;

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      gint64 n = numbered (name, prefix);
      g_autofree char *path = NULL;

      if (n <= best_n)
        continue;
      path = g_build_filename (dir, name, NULL);
      if (!is_dir (path))
        continue;
      best_n = n;
      g_free (best);
      best = g_steal_pointer (&path);
    }

  return g_steal_pointer (&best);
}

static gint64
mtime_of (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return -1;

  return (gint64) st.st_mtime;
}

/* The newest checkpoint's trainer_state.json (waited for while the checkpoint is
 * being written), or the one beside the checkpoints when it is newer: the
 * Trainer writes that one at the end. */
static char *
pick_trainer_state (TwRunFolder *self)
{
  g_autofree char *checkpoint = newest_numbered (self->dir, "checkpoint-");
  g_autofree char *top = g_build_filename (self->dir, "trainer_state.json", NULL);
  gint64 top_mtime = mtime_of (top);
  g_autofree char *in_checkpoint = NULL;

  if (checkpoint == NULL)
    return top_mtime >= 0 ? g_steal_pointer (&top) : NULL;

  in_checkpoint = g_build_filename (checkpoint, "trainer_state.json", NULL);
  if (top_mtime >= 0 && top_mtime >= mtime_of (in_checkpoint) && mtime_of (in_checkpoint) >= 0)
    return g_steal_pointer (&top);

  return g_steal_pointer (&in_checkpoint);
}

static char *
pick_metrics_csv (TwRunFolder *self)
{
  g_autofree char *top = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (lightning_folders); i++)
    {
      g_autofree char *folder = g_build_filename (self->dir, lightning_folders[i], NULL);
      g_autofree char *version = newest_numbered (folder, "version_");

      if (version != NULL)
        return g_build_filename (version, "metrics.csv", NULL);
    }

  top = g_build_filename (self->dir, "metrics.csv", NULL);
  return mtime_of (top) >= 0 ? g_steal_pointer (&top) : NULL;
}

static void
source_observations_cb (TwStatusSource *source,
                        GArray         *observations,
                        TwRunFolder    *self)
{
  g_signal_emit (self, signals[OBSERVATIONS], 0, source, observations);
}

static void
follow (TwRunFolder     *self,
        TwStatusSource **source,
        const char      *path,
        gboolean         keep_history)
{
  if (path == NULL)
    return;

  if (*source != NULL)
    {
      tw_status_source_set_path (*source, path, keep_history);
      return;
    }

  g_debug ("Run folder '%s': following '%s'", self->dir, path);
  *source = tw_status_source_new (self->inotify, path);
  g_signal_connect (*source, "observations", G_CALLBACK (source_observations_cb), self);
  tw_status_source_start (*source);
}

static gboolean
is_lightning_folder (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (lightning_folders); i++)
    if (g_str_equal (name, lightning_folders[i]))
      return TRUE;

  return FALSE;
}

static void
dir_event_cb (TwInotify  *inotify,
              guint32     mask,
              const char *name,
              gpointer    user_data)
{
  TwRunFolder *self = TW_RUN_FOLDER (user_data);

  if (!self->running)
    return;
  if ((mask & (IN_Q_OVERFLOW | IN_IGNORED)) != 0 || name == NULL ||
      numbered (name, "checkpoint-") >= 0 || numbered (name, "version_") >= 0 ||
      g_str_equal (name, "trainer_state.json") || g_str_equal (name, "metrics.csv") ||
      is_lightning_folder (name))
    rescan (self);
}

static void
watch_lightning_folders (TwRunFolder *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (lightning_folders); i++)
    {
      g_autofree char *folder = g_build_filename (self->dir, lightning_folders[i], NULL);

      guint old = self->lightning_watches[i];

      /* Added again each time, before the old one goes (the same folder keeps its
       * kernel watch): a folder deleted and made again is a new inode. */
      self->lightning_watches[i] = 0;
      if (is_dir (folder))
        self->lightning_watches[i] = tw_inotify_add_watch (self->inotify, folder, FOLDER_EVENTS,
                                                           dir_event_cb, self, NULL);
      if (old != 0)
        tw_inotify_remove_watch (self->inotify, old);
    }
}

static void
rescan (TwRunFolder *self)
{
  g_autofree char *trainer_state = NULL;
  g_autofree char *metrics_csv = NULL;

  watch_lightning_folders (self);
  trainer_state = pick_trainer_state (self);
  metrics_csv = pick_metrics_csv (self);
  follow (self, &self->hf, trainer_state, TRUE);
  follow (self, &self->lightning, metrics_csv, FALSE);
}

static void
clear_source (TwRunFolder     *self,
              TwStatusSource **source)
{
  if (*source == NULL)
    return;

  g_signal_handlers_disconnect_by_data (*source, self);
  tw_status_source_stop (*source);
  g_clear_object (source);
}

static void
tw_run_folder_dispose (GObject *object)
{
  TwRunFolder *self = TW_RUN_FOLDER (object);

  tw_run_folder_stop (self);
  g_clear_object (&self->inotify);

  G_OBJECT_CLASS (tw_run_folder_parent_class)->dispose (object);
}

static void
tw_run_folder_finalize (GObject *object)
{
  TwRunFolder *self = TW_RUN_FOLDER (object);

  g_clear_pointer (&self->dir, g_free);

  G_OBJECT_CLASS (tw_run_folder_parent_class)->finalize (object);
}

static void
tw_run_folder_class_init (TwRunFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_run_folder_dispose;
  object_class->finalize = tw_run_folder_finalize;

  /**
   * TwRunFolder::observations:
   * @self: the #TwRunFolder
   * @source: the #TwStatusSource that read them
   * @observations: (element-type TwObservation): what is new in one of the
   *   folder's status files; valid during the emission only
   *
   * Forwards #TwStatusSource::observations of the files found.
   */
  signals[OBSERVATIONS] =
    g_signal_new ("observations", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, TW_TYPE_STATUS_SOURCE, G_TYPE_POINTER);
}

static void
tw_run_folder_init (TwRunFolder *self)
{
}

/**
 * tw_run_folder_new:
 * @inotify: the daemon's shared #TwInotify
 * @dir: the run's folder (the folder of its log)
 *
 * Returns: (transfer full): a new, stopped #TwRunFolder
 */
TwRunFolder *
tw_run_folder_new (TwInotify  *inotify,
                   const char *dir)
{
  TwRunFolder *self;

  g_return_val_if_fail (TW_IS_INOTIFY (inotify), NULL);
  g_return_val_if_fail (dir != NULL, NULL);

  self = g_object_new (TW_TYPE_RUN_FOLDER, NULL);
  self->inotify = g_object_ref (inotify);
  self->dir = g_strdup (dir);

  return self;
}

/**
 * tw_run_folder_start:
 * @self: a #TwRunFolder
 *
 * Looks for the frameworks' status files now, follows those found (emitting
 * #TwRunFolder::observations with what they hold) and watches the folder for
 * new ones. A folder that cannot be watched is looked at once.
 */
void
tw_run_folder_start (TwRunFolder *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TW_IS_RUN_FOLDER (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->dir_watch = tw_inotify_add_watch (self->inotify, self->dir, FOLDER_EVENTS, dir_event_cb, self, &error);
  if (self->dir_watch == 0)
    g_debug ("Run folder '%s' is not watched: %s", self->dir, error->message);
  rescan (self);
}

/**
 * tw_run_folder_stop:
 * @self: a #TwRunFolder
 *
 * Stops following the folder and its files.
 */
void
tw_run_folder_stop (TwRunFolder *self)
{
  g_return_if_fail (TW_IS_RUN_FOLDER (self));

  self->running = FALSE;
  if (self->dir_watch != 0)
    tw_inotify_remove_watch (self->inotify, self->dir_watch);
  self->dir_watch = 0;
  for (guint i = 0; i < G_N_ELEMENTS (lightning_folders); i++)
    {
      if (self->lightning_watches[i] != 0)
        tw_inotify_remove_watch (self->inotify, self->lightning_watches[i]);
      self->lightning_watches[i] = 0;
    }
  clear_source (self, &self->hf);
  clear_source (self, &self->lightning);
}

/**
 * tw_run_folder_get_sources:
 * @self: a #TwRunFolder
 *
 * Returns: (transfer container) (element-type TwStatusSource): the status
 *   files followed now
 */
GPtrArray *
tw_run_folder_get_sources (TwRunFolder *self)
{
  GPtrArray *sources;

  g_return_val_if_fail (TW_IS_RUN_FOLDER (self), NULL);

  sources = g_ptr_array_new ();
  if (self->hf != NULL)
    g_ptr_array_add (sources, self->hf);
  if (self->lightning != NULL)
    g_ptr_array_add (sources, self->lightning);

  return sources;
}
