/* tw-watches.c — the config's [watch:NAME] groups, followed as runs: files and patterns,
 * and where each file was read to, so that a restart continues there
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-watches.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tw-glob.h"
#include "tw-offsets.h"

/* How long after reading the read positions are saved (and on quit). */
#define OFFSETS_SAVE_DELAY_S 2

/* A [watch:NAME] group of the config, and the jobs it made. */
typedef struct
{
  TwWatches *owner;
  char      *name;
  char      *path;   /* absolute; a pattern when glob is set */
  TwGlob    *glob;   /* nullable */
  GPtrArray *jobs;   /* of job names */
} Watch;

struct _TwWatches
{
  GObject         parent_instance;

  TwConfig       *config;
  GHashTable     *jobs;            /* the daemon's: name → TwJob, not owned */
  TwInotify      *inotify;         /* nullable: files are polled */
  TwOffsets      *offsets;         /* where each watched file was read to */
  guint           offsets_save_id;
  GHashTable     *watches;         /* name → Watch, from the config */
  TwWatchesHooks  hooks;
  gpointer        user_data;
};

G_DEFINE_FINAL_TYPE (TwWatches, tw_watches, G_TYPE_OBJECT)

static TwJob *
find_job_by_path (TwWatches     *self,
                  const char    *path)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (tw_job_get_log_path (value), path) == 0)
      return value;

  return NULL;
}

/* A name from the path: the file's, or its folder's when the file's is generic. */
static char *
dup_name_for_path (const char *path)
{
  static const char * const generic[] = { "train", "training", "log", "logs", "output", "out", "stdout",
                                          "stderr", "run", "console", "nohup" };
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (generic); i++)
    if (g_ascii_strcasecmp (base, generic[i]) == 0)
      {
        g_autofree char *dir = g_path_get_dirname (path);
        g_autofree char *parent = g_path_get_basename (dir);

        if (!g_str_equal (parent, "/") && !g_str_equal (parent, "."))
          return g_steal_pointer (&parent);
        break;
      }

  return g_steal_pointer (&base);
}

/**
 * tw_watches_dup_unique_name:
 * @self: a #TwWatches
 * @wanted: a run's name
 *
 * Returns: (transfer full): @wanted, or with "-2", "-3"… when a run has that name
 */
char *
tw_watches_dup_unique_name (TwWatches  *self,
                            const char *wanted)
{
  if (!g_hash_table_contains (self->jobs, wanted))
    return g_strdup (wanted);

  for (guint i = 2; ; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", wanted, i);

      if (!g_hash_table_contains (self->jobs, name))
        return g_steal_pointer (&name);
    }
}

/**
 * tw_watches_save_offsets:
 * @self: a #TwWatches
 *
 * Saves where each watched file was read to, so that a restart continues there.
 */
void
tw_watches_save_offsets (TwWatches *self)
{
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&self->offsets_save_id, g_source_remove);
  if (self->offsets == NULL || self->watches == NULL)
    return;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Watch *watch = value;

      for (guint i = 0; i < watch->jobs->len; i++)
        {
          TwJob *job = g_hash_table_lookup (self->jobs, g_ptr_array_index (watch->jobs, i));
          guint64 dev, inode, offset;

          if (job != NULL && tw_job_get_resume_point (job, &dev, &inode, &offset))
            tw_offsets_set (self->offsets, tw_job_get_log_path (job), dev, inode, offset);
        }
    }

  if (!tw_offsets_save (self->offsets, &error))
    g_message ("%s", error->message);
}

static gboolean
save_offsets_cb (gpointer user_data)
{
  TwWatches     *self = user_data;

  self->offsets_save_id = 0;
  tw_watches_save_offsets (self);

  return G_SOURCE_REMOVE;
}


static void
watch_free (gpointer data)
{
  Watch *watch = data;

  if (watch->glob != NULL)
    g_signal_handlers_disconnect_matched (watch->glob, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, watch);
  g_clear_object (&watch->glob);
  g_ptr_array_unref (watch->jobs);
  g_free (watch->name);
  g_free (watch->path);
  g_free (watch);
}

/* Starts a watched file's job: where the daemon stopped reading it last time if it is
 * still that file, else at its end (or, for a file that appeared since, its start). */
static void
start_watched_file (TwWatches     *self,
                    Watch         *watch,
                    const char    *name,
                    const char    *path,
                    gboolean       existed)
{
  guint64 dev, inode, offset;
  gint64 start = existed ? -1 : 0;
  TwJob *job = tw_job_new (name, path);

  if (self->offsets != NULL && tw_offsets_lookup (self->offsets, path, &dev, &inode, &offset))
    {
      tw_job_set_resume_file (job, dev, inode);
      start = (gint64) MIN (offset, (guint64) G_MAXINT64);
    }
  self->hooks.start_job (job, start, self->user_data);
  g_ptr_array_add (watch->jobs, g_strdup (name));
}

static void
glob_match_cb (TwGlob     *glob,
               const char *path,
               gboolean    at_start,
               Watch      *watch)
{
  TwWatches *self = watch->owner;
  g_autofree char *wanted = dup_name_for_path (path);
  g_autofree char *name = tw_watches_dup_unique_name (self, wanted);

  start_watched_file (self, watch, name, path, at_start);
}

/* "~/x" is in the home folder; so is a relative path written in the config. */
static char *
dup_expanded_path (const char *path)
{
  if (g_str_equal (path, "~"))
    return g_strdup (g_get_home_dir ());
  if (g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 2, NULL);
  if (!g_path_is_absolute (path))
    return g_build_filename (g_get_home_dir (), path, NULL);
  return g_canonicalize_filename (path, NULL);
}

static void
remove_watch (TwWatches     *self,
              Watch         *watch)
{
  for (guint i = 0; i < watch->jobs->len; i++)
    {
      const char *name = g_ptr_array_index (watch->jobs, i);
      TwJob *job = g_hash_table_lookup (self->jobs, name);

      if (job == NULL)
        continue;
      if (self->offsets != NULL && tw_job_get_log_path (job) != NULL)
        tw_offsets_remove (self->offsets, tw_job_get_log_path (job));
      tw_job_stop_following (job);
      g_hash_table_remove (self->jobs, name);
    }
  g_hash_table_remove (self->watches, watch->name);
  self->hooks.jobs_changed (self->user_data);
}

/**
 * tw_watches_sync:
 * @self: a #TwWatches
 *
 * Makes the followed files what the config's [watch:NAME] groups say: a group that
 * is new (or no longer paused) starts following its file or pattern, one that is
 * gone, changed or paused stops its runs.
 */
/* The watches to follow: those that are not paused. */
static GStrv
dup_active_names (TwConfig *config)
{
  g_auto(GStrv) all = tw_config_dup_section_names (config, "watch");
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; all[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("watch:", all[i], NULL);

      if (!tw_config_get_boolean (config, group, "paused"))
        g_ptr_array_add (names, g_strdup (all[i]));
    }
  g_ptr_array_add (names, NULL);

  return (GStrv) g_ptr_array_free (names, FALSE);
}

void
tw_watches_sync (TwWatches *self)
{
  g_auto(GStrv) names = dup_active_names (self->config);
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  gboolean removed = FALSE;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Watch *watch = value;
      g_autofree char *group = g_strconcat ("watch:", watch->name, NULL);
      g_autofree char *path = NULL;

      if (g_strv_contains ((const char * const *) names, watch->name))
        path = dup_expanded_path (tw_config_get_string (self->config, group, "path"));
      if (g_strcmp0 (path, watch->path) != 0)
        g_ptr_array_add (gone, watch);
    }
  for (guint i = 0; i < gone->len; i++)
    remove_watch (self, g_ptr_array_index (gone, i));
  removed = gone->len > 0;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("watch:", names[i], NULL);
      Watch *watch;

      if (g_hash_table_contains (self->watches, names[i]))
        continue;

      watch = g_new0 (Watch, 1);
      watch->owner = self;
      watch->name = g_strdup (names[i]);
      watch->path = dup_expanded_path (tw_config_get_string (self->config, group, "path"));
      watch->jobs = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->watches, watch->name, watch);

      if (tw_glob_is_pattern (watch->path))
        {
          watch->glob = tw_glob_new (self->inotify, watch->path);
          g_signal_connect (watch->glob, "match", G_CALLBACK (glob_match_cb), watch);
          tw_glob_start (watch->glob);
          if (tw_glob_get_error (watch->glob) != NULL)
            g_message ("%s", tw_glob_get_error (watch->glob));
        }
      else
        {
          g_autofree char *name = NULL;
          TwJob *existing = g_hash_table_lookup (self->jobs, watch->name);

          /* a run of that name that is not this file keeps its name */
          if (existing != NULL && g_strcmp0 (tw_job_get_log_path (existing), watch->path) == 0)
            tw_job_stop_following (existing);
          name = existing != NULL && g_strcmp0 (tw_job_get_log_path (existing), watch->path) != 0
                 ? tw_watches_dup_unique_name (self, watch->name)
                 : g_strdup (watch->name);
          start_watched_file (self, watch, name, watch->path, TRUE);
        }
    }

  if (removed)
    tw_watches_save_offsets (self);
}

static Watch *
find_watch_by_path (TwWatches     *self,
                    const char    *path)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Watch *) value)->path, path) == 0)
      return value;

  return NULL;
}

static Watch *
find_watch_of_job (TwWatches     *self,
                   const char    *job_name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    for (guint i = 0; i < ((Watch *) value)->jobs->len; i++)
      if (g_str_equal (g_ptr_array_index (((Watch *) value)->jobs, i), job_name))
        return value;

  return NULL;
}

/* A name for a new [watch:NAME]: a pattern is named after the folder above its
 * first wildcard, a file after itself (or its folder). */
static char *
dup_watch_name (TwWatches     *self,
                const char    *path,
                const char    *wanted)
{
  g_autofree char *base = NULL;

  if (wanted != NULL)
    base = g_strdup (wanted);
  else if (tw_glob_is_pattern (path))
    {
      g_autofree char *prefix = g_strndup (path, strpbrk (path, "*?[") - path);
      g_autofree char *dir = g_path_get_dirname (prefix);

      base = g_path_get_basename (dir);
    }
  else
    base = dup_name_for_path (path);

  /* a group name cannot hold "]" or line ends, nor start or end with a space */
  g_strdelimit (base, "]\r\n", '_');
  g_strstrip (base);
  if (*base == '\0' || g_str_equal (base, "/"))
    {
      g_free (base);
      base = g_strdup ("run");
    }

  for (guint i = 1; ; i++)
    {
      g_autofree char *name = i == 1 ? g_strdup (base) : g_strdup_printf ("%s-%u", base, i);

      if (!g_hash_table_contains (self->watches, name) && !g_hash_table_contains (self->jobs, name))
        return g_steal_pointer (&name);
    }
}

/**
 * tw_watches_handle_watch:
 * @self: a #TwWatches
 * @command: a `watch PATH|GLOB` command
 * @cmdline: where to answer
 *
 * Adds a [watch:NAME] group for the path to the config (its change starts the watch)
 * and says what is watched.
 *
 * Returns: the command's exit status
 */
int
tw_watches_handle_watch (TwWatches               *self,
                         TwCommand               *command,
                         GApplicationCommandLine *cmdline)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *group = NULL;
  const char *arg;
  TwJob *existing;
  Watch *watch;

  arg = command->files[0];
  if (g_str_equal (arg, "~") || g_str_has_prefix (arg, "~/"))
    path = dup_expanded_path (arg);
  else
    path = g_canonicalize_filename (arg, g_application_command_line_get_cwd (cmdline));

  watch = find_watch_by_path (self, path);
  existing = watch == NULL ? find_job_by_path (self, path) : NULL;
  if (watch != NULL || (existing != NULL && tw_job_is_following (existing)))
    {
      g_application_command_line_print (cmdline, _("Already watching %s as “%s”.\n"), path,
                                        watch != NULL ? watch->name : tw_job_get_name (existing));
      return 0;
    }

  name = dup_watch_name (self, path, command->job);
  group = g_strconcat ("watch:", name, NULL);
  if (!tw_config_set_value (self->config, group, "path", path, &error))
    {
      g_application_command_line_printerr (cmdline, _("Cannot watch %s: %s\n"), path, error->message);
      return 1;
    }

  watch = g_hash_table_lookup (self->watches, name);
  if (watch == NULL)
    {
      g_application_command_line_printerr (cmdline, _("Cannot watch %s.\n"), path);
      return 1;
    }
  if (watch->glob != NULL)
    {
      guint n = tw_glob_get_n_matches (watch->glob);

      g_application_command_line_print (cmdline,
                                        g_dngettext (GETTEXT_PACKAGE,
                                                     "Watching %s as “%s”: %u file matches now, and "
                                                     "each new one will be a run of its own.\n",
                                                     "Watching %s as “%s”: %u files match now, and "
                                                     "each new one will be a run of its own.\n", n),
                                        path, name, n);
      if (tw_glob_get_error (watch->glob) != NULL)
        g_application_command_line_printerr (cmdline, "%s\n", tw_glob_get_error (watch->glob));
    }
  else if (g_file_test (path, G_FILE_TEST_EXISTS))
    g_application_command_line_print (cmdline, _("Watching %s as “%s”.\n"), path, name);
  else
    g_application_command_line_print (cmdline, _("Waiting for %s to appear; it will be watched as “%s”.\n"),
                                      path, name);
  return 0;
}

/**
 * tw_watches_handle_unwatch:
 * @self: a #TwWatches
 * @command: an `unwatch NAME|PATH` command
 * @cmdline: where to answer
 *
 * Removes a watch from the config (its change stops its runs), or stops following one
 * run: of a pattern (the pattern stays), or one not in the config.
 *
 * Returns: the command's exit status
 */
int
tw_watches_handle_unwatch (TwWatches               *self,
                           TwCommand               *command,
                           GApplicationCommandLine *cmdline)
{
  const char *arg = command->files[0];
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  Watch *watch = g_hash_table_lookup (self->watches, arg);
  TwJob *job = NULL;

  if (watch == NULL)
    {
      g_autofree char *path = NULL;

      if (g_str_equal (arg, "~") || g_str_has_prefix (arg, "~/"))
        path = dup_expanded_path (arg);
      else
        path = g_canonicalize_filename (arg, g_application_command_line_get_cwd (cmdline));
      watch = find_watch_by_path (self, path);
      if (watch == NULL)
        {
          job = g_hash_table_lookup (self->jobs, arg);
          if (job == NULL)
            job = find_job_by_path (self, path);
        }
    }

  if (watch != NULL)
    {
      g_autofree char *group = g_strconcat ("watch:", watch->name, NULL);

      name = g_strdup (watch->name);
      if (!tw_config_remove_section (self->config, group, &error))
        {
          g_application_command_line_printerr (cmdline, _("Cannot stop watching “%s”: %s\n"), name,
                                               error->message);
          return 1;
        }
      /* the config's change removed the watch and its runs */
      g_application_command_line_print (cmdline, _("Stopped watching “%s”.\n"), name);
      return 0;
    }

  if (job == NULL || !tw_job_is_following (job))
    {
      g_application_command_line_printerr (cmdline, _("Nothing named or at “%s” is being watched.\n"), arg);
      return 1;
    }

  name = g_strdup (tw_job_get_name (job));
  watch = find_watch_of_job (self, name);
  tw_job_stop_following (job);
  if (watch != NULL)
    {
      /* one run of a pattern: the pattern stays, and so does the job's place in it */
      g_application_command_line_print (cmdline,
                                        _("Stopped watching “%s”; the pattern “%s” still watches for new "
                                          "runs.\n"),
                                        name, watch->name);
      return 0;
    }
  g_hash_table_remove (self->jobs, name);
  self->hooks.jobs_changed (self->user_data);
  g_application_command_line_print (cmdline, _("Stopped watching “%s”.\n"), name);
  return 0;
}

static void
tw_watches_dispose (GObject *object)
{
  TwWatches *self = TW_WATCHES (object);

  g_clear_handle_id (&self->offsets_save_id, g_source_remove);
  g_clear_pointer (&self->watches, g_hash_table_unref);
  g_clear_pointer (&self->offsets, tw_offsets_free);
  g_clear_object (&self->inotify);
  g_clear_object (&self->config);
  self->jobs = NULL;

  G_OBJECT_CLASS (tw_watches_parent_class)->dispose (object);
}

static void
tw_watches_class_init (TwWatchesClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tw_watches_dispose;
}

static void
tw_watches_init (TwWatches *self)
{
  self->watches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, watch_free);
}

/**
 * tw_watches_new:
 * @config: the daemon's config, which holds the [watch:NAME] groups
 * @jobs: the daemon's runs (name → #TwJob), which must outlive the result; runs that
 *   watches stop are removed from it
 * @inotify: (nullable): the daemon's inotify instance; %NULL polls
 * @offsets_path: where the read positions are kept across restarts
 * @hooks: how the daemon starts a run and hears that its runs changed
 * @user_data: for @hooks
 *
 * Makes the watch list, empty until tw_watches_sync(). A read positions file that
 * cannot be read is reported in the log and the files are read from their end.
 *
 * Returns: (transfer full): a new #TwWatches
 */
TwWatches *
tw_watches_new (TwConfig             *config,
                GHashTable           *jobs,
                TwInotify            *inotify,
                const char           *offsets_path,
                const TwWatchesHooks *hooks,
                gpointer              user_data)
{
  TwWatches *self = g_object_new (TW_TYPE_WATCHES, NULL);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (TW_IS_CONFIG (config), NULL);
  g_return_val_if_fail (jobs != NULL, NULL);
  g_return_val_if_fail (hooks != NULL && hooks->start_job != NULL && hooks->jobs_changed != NULL, NULL);

  self->config = g_object_ref (config);
  self->jobs = jobs;
  self->inotify = inotify != NULL ? g_object_ref (inotify) : NULL;
  self->hooks = *hooks;
  self->user_data = user_data;
  self->offsets = tw_offsets_new (offsets_path);
  if (!tw_offsets_load (self->offsets, &error))
    g_message ("%s", error->message);

  return self;
}

/**
 * tw_watches_note_read:
 * @self: a #TwWatches
 *
 * Tells that a run's log was read: the read positions are saved a little later (one
 * timer while logs are being written, none while all is quiet).
 */
void
tw_watches_note_read (TwWatches *self)
{
  g_return_if_fail (TW_IS_WATCHES (self));

  if (self->offsets_save_id == 0)
    self->offsets_save_id = g_timeout_add_seconds (OFFSETS_SAVE_DELAY_S, save_offsets_cb, self);
}

/**
 * tw_watches_clear:
 * @self: a #TwWatches
 *
 * On quit: saves the read positions and forgets the watches (their runs stay in the
 * daemon's table, for the daemon to stop).
 */
void
tw_watches_clear (TwWatches *self)
{
  g_return_if_fail (TW_IS_WATCHES (self));

  tw_watches_save_offsets (self);
  g_hash_table_remove_all (self->watches);
}
