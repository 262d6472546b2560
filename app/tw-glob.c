/* tw-glob.c — a path pattern whose matching files, present and future, are reported
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pattern is split into its path components. Walking from the root, a literal
 * component is looked up directly and a wildcard one by listing its folder; each
 * folder listed, and each folder where a literal component is still missing, is
 * watched for entries coming and going (never for writes, so a busy log costs the
 * pattern nothing). Any such change rescans the pattern, and each file that
 * matches for the first time is reported once through #TwGlob::match.
 */
#include "config.h"

#include "tw-glob.h"

#include <errno.h>
#include <fnmatch.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF \
                    | IN_ONLYDIR)

typedef struct
{
  TwGlob *glob;
  guint   id;
} DirWatch;

struct _TwGlob
{
  GObject     parent_instance;

  TwInotify  *inotify;     /* nullable: no watching, one scan */
  char       *pattern;
  char      **components;  /* of the absolute pattern, without empty ones */
  GHashTable *dirs;        /* path → DirWatch*, the folders watched */
  GHashTable *matched;     /* paths reported so far */
  char       *error;
  guint       rescan_id;
  gboolean    started;
};

G_DEFINE_FINAL_TYPE (TwGlob, tw_glob, G_TYPE_OBJECT)

enum
{
  MATCH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
has_wildcard (const char *component)
{
  return strpbrk (component, "*?[") != NULL;
}

/**
 * tw_glob_is_pattern:
 * @path: a path
 *
 * Returns: whether @path has a wildcard (`*`, `?` or `[`) in it
 */
gboolean
tw_glob_is_pattern (const char *path)
{
  g_return_val_if_fail (path != NULL, FALSE);

  return has_wildcard (path);
}

static void dir_event_cb (TwInotify *inotify, guint32 mask, const char *name, gpointer user_data);

static void
dir_watch_free (gpointer data)
{
  DirWatch *watch = data;

  if (watch->id != 0 && watch->glob->inotify != NULL)
    tw_inotify_remove_watch (watch->glob->inotify, watch->id);
  g_free (watch);
}

typedef struct
{
  GHashTable *wanted;   /* folders to watch */
  GPtrArray  *found;    /* matching files, in scan order */
  guint       n_dirs;
  gboolean    too_many;
} Scan;

static void
want_dir (Scan       *scan,
          const char *dir)
{
  g_hash_table_add (scan->wanted, g_strdup (dir));
}

static gboolean
is_dir (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static gboolean
is_regular (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
walk (TwGlob     *self,
      Scan       *scan,
      const char *dir,
      guint       index)
{
  const char *component = self->components[index];
  gboolean last = self->components[index + 1] == NULL;
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (scan->too_many || ++scan->n_dirs > TW_GLOB_MAX_DIRS)
    {
      scan->too_many = TRUE;
      return;
    }

  if (!has_wildcard (component))
    {
      g_autofree char *child = g_build_filename (dir, component, NULL);

      if (last ? is_regular (child) : is_dir (child))
        {
          if (last)
            g_ptr_array_add (scan->found, g_steal_pointer (&child));
          else
            walk (self, scan, child, index + 1);
        }
      else
        {
          /* wait here for it to appear */
          want_dir (scan, dir);
        }
      return;
    }

  want_dir (scan, dir);
  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    return;

  /* in name order, so that runs are reported in a stable order */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (listing)) != NULL)
    if (fnmatch (component, name, FNM_PERIOD) == 0)
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (dir, g_ptr_array_index (names, i), NULL);

      if (last)
        {
          if (is_regular (child))
            g_ptr_array_add (scan->found, g_steal_pointer (&child));
        }
      else if (is_dir (child))
        {
          walk (self, scan, child, index + 1);
        }
    }
}

/* Returns whether it started watching a folder it did not watch before. */
static gboolean
rescan_once (TwGlob   *self,
             gboolean  at_start)
{
  gboolean added = FALSE;
  Scan scan = { 0, };
  GHashTableIter iter;
  gpointer key;

  scan.wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  scan.found = g_ptr_array_new_with_free_func (g_free);
  if (self->components[0] != NULL)
    walk (self, &scan, "/", 0);

  g_clear_pointer (&self->error, g_free);
  if (scan.too_many)
    self->error = g_strdup_printf (_("The pattern “%s” reaches more than %u folders; only the "
                                     "first are watched. Make it more precise."),
                                   self->pattern, TW_GLOB_MAX_DIRS);

  /* stop watching folders the pattern no longer goes through */
  g_hash_table_iter_init (&iter, self->dirs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (scan.wanted, key))
      g_hash_table_iter_remove (&iter);

  if (self->inotify != NULL)
    {
      g_hash_table_iter_init (&iter, scan.wanted);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          g_autoptr(GError) error = NULL;
          DirWatch *watch;

          if (g_hash_table_contains (self->dirs, key))
            continue;
          watch = g_new0 (DirWatch, 1);
          watch->glob = self;
          watch->id = tw_inotify_add_watch (self->inotify, key, DIR_EVENTS, dir_event_cb, self, &error);
          if (watch->id == 0)
            {
              g_debug ("not watching '%s': %s", (const char *) key, error->message);
              g_free (watch);
              continue;
            }
          g_hash_table_insert (self->dirs, g_strdup (key), watch);
          added = TRUE;
        }
    }

  g_object_ref (self);
  for (guint i = 0; i < scan.found->len; i++)
    {
      const char *path = g_ptr_array_index (scan.found, i);

      if (g_hash_table_contains (self->matched, path))
        continue;
      g_hash_table_add (self->matched, g_strdup (path));
      g_signal_emit (self, signals[MATCH], 0, path, at_start);
    }
  g_object_unref (self);

  g_hash_table_unref (scan.wanted);
  g_ptr_array_unref (scan.found);

  return added;
}

static void
rescan (TwGlob   *self,
        gboolean  at_start)
{
  /* What appeared in a folder between its listing and its watch has no event:
   * look again until no new folder is watched (a few rounds at most, one per
   * level of the pattern that was created at once). */
  for (guint round = 0; round < 16 && rescan_once (self, at_start); round++)
    ;
}

static gboolean
rescan_cb (gpointer user_data)
{
  TwGlob *self = user_data;

  self->rescan_id = 0;
  rescan (self, FALSE);

  return G_SOURCE_REMOVE;
}

static void
dir_event_cb (TwInotify  *inotify,
              guint32     mask,
              const char *name,
              gpointer    user_data)
{
  TwGlob *self = user_data;

  /* A burst of changes (a run folder being created with its files) is one rescan,
   * in the same main-loop iteration's idle, so a new log is followed at once. */
  if (self->rescan_id == 0)
    self->rescan_id = g_idle_add_full (G_PRIORITY_DEFAULT, rescan_cb, self, NULL);
}

static void
tw_glob_dispose (GObject *object)
{
  TwGlob *self = TW_GLOB (object);

  g_clear_handle_id (&self->rescan_id, g_source_remove);
  if (self->dirs != NULL)
    g_hash_table_remove_all (self->dirs);
  g_clear_object (&self->inotify);

  G_OBJECT_CLASS (tw_glob_parent_class)->dispose (object);
}

static void
tw_glob_finalize (GObject *object)
{
  TwGlob *self = TW_GLOB (object);

  g_clear_pointer (&self->dirs, g_hash_table_unref);
  g_clear_pointer (&self->matched, g_hash_table_unref);
  g_clear_pointer (&self->components, g_strfreev);
  g_clear_pointer (&self->pattern, g_free);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (tw_glob_parent_class)->finalize (object);
}

static void
tw_glob_class_init (TwGlobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_glob_dispose;
  object_class->finalize = tw_glob_finalize;

  /**
   * TwGlob::match:
   * @glob: the #TwGlob
   * @path: a regular file that matches the pattern, reported once
   * @at_start: %TRUE if it was there when tw_glob_start() was called, %FALSE if it
   *   appeared later
   */
  signals[MATCH] = g_signal_new ("match", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
tw_glob_init (TwGlob *self)
{
  self->dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, dir_watch_free);
  self->matched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * tw_glob_new:
 * @inotify: (nullable): the daemon's #TwInotify; %NULL only scans once
 * @pattern: an absolute path pattern: `*`, `?` and `[...]` match within one path
 *   component (as in the shell, a leading `.` must be matched explicitly)
 *
 * Returns: (transfer full): a new #TwGlob; nothing happens until tw_glob_start()
 */
TwGlob *
tw_glob_new (TwInotify  *inotify,
             const char *pattern)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) components = g_strv_builder_new ();
  TwGlob *self;

  g_return_val_if_fail (inotify == NULL || TW_IS_INOTIFY (inotify), NULL);
  g_return_val_if_fail (pattern != NULL && g_path_is_absolute (pattern), NULL);

  self = g_object_new (TW_TYPE_GLOB, NULL);
  self->inotify = inotify != NULL ? g_object_ref (inotify) : NULL;
  self->pattern = g_strdup (pattern);
  parts = g_strsplit (pattern, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0' && strcmp (parts[i], ".") != 0)
      g_strv_builder_add (components, parts[i]);
  self->components = g_strv_builder_end (components);

  return self;
}

/**
 * tw_glob_start:
 * @self: a #TwGlob
 *
 * Scans the pattern, emitting #TwGlob::match with @at_start %TRUE for each file
 * that matches now, and from then on for each new one as it appears.
 */
void
tw_glob_start (TwGlob *self)
{
  g_return_if_fail (TW_IS_GLOB (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  rescan (self, TRUE);
}

/**
 * tw_glob_get_pattern:
 * @self: a #TwGlob
 *
 * Returns: the pattern
 */
const char *
tw_glob_get_pattern (TwGlob *self)
{
  g_return_val_if_fail (TW_IS_GLOB (self), NULL);

  return self->pattern;
}

/**
 * tw_glob_get_error:
 * @self: a #TwGlob
 *
 * Returns: (nullable): why the pattern is not fully watched, or %NULL
 */
const char *
tw_glob_get_error (TwGlob *self)
{
  g_return_val_if_fail (TW_IS_GLOB (self), NULL);

  return self->error;
}

/**
 * tw_glob_get_n_matches:
 * @self: a #TwGlob
 *
 * Returns: how many files have matched so far
 */
guint
tw_glob_get_n_matches (TwGlob *self)
{
  g_return_val_if_fail (TW_IS_GLOB (self), 0);

  return g_hash_table_size (self->matched);
}
