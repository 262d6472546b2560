/* test-glob.c — path patterns: present and future matches, each reported once
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tw-glob.h"
#include "tw-inotify.h"
#include "tw-test-util.h"

#define WAIT_MS 10000

typedef struct
{
  TwInotify *inotify;
  char      *dir;
  GPtrArray *at_start;  /* matched paths, relative to dir */
  GPtrArray *later;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->inotify = tw_inotify_new (&error);
  g_assert_no_error (error);
  fx->dir = g_dir_make_tmp ("tw-glob-XXXXXX", &error);
  g_assert_no_error (error);
  fx->at_start = g_ptr_array_new_with_free_func (g_free);
  fx->later = g_ptr_array_new_with_free_func (g_free);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
  g_ptr_array_unref (fx->at_start);
  g_ptr_array_unref (fx->later);
  g_assert_finalize_object (fx->inotify);
}

static void
match_cb (TwGlob     *glob,
          const char *path,
          gboolean    at_start,
          Fixture    *fx)
{
  g_assert_true (g_str_has_prefix (path, fx->dir));
  g_ptr_array_add (at_start ? fx->at_start : fx->later, g_strdup (path + strlen (fx->dir) + 1));
}

static void
make_file (Fixture    *fx,
           const char *relative)
{
  g_autofree char *path = g_build_filename (fx->dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "Epoch 1/3\n", -1, NULL));
}

static gboolean
n_later_cb (gpointer data)
{
  Fixture *fx = data;

  return fx->later->len >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (fx->inotify), "want"));
}

static void
wait_for_later (Fixture *fx,
                guint    n)
{
  g_object_set_data (G_OBJECT (fx->inotify), "want", GUINT_TO_POINTER (n));
  g_assert_true (tw_test_wait_until (n_later_cb, fx, WAIT_MS));
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Lets the folder's creation be seen before its log exists. */
static void
spin (guint ms)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (ms, quit_cb, loop);
  g_main_loop_run (loop);
}

static gboolean
contains (GPtrArray  *paths,
          const char *path)
{
  return g_ptr_array_find_with_equal_func (paths, path, g_str_equal, NULL);
}

static TwGlob *
start_glob (Fixture    *fx,
            const char *relative_pattern)
{
  g_autofree char *pattern = g_build_filename (fx->dir, relative_pattern, NULL);
  TwGlob *glob = tw_glob_new (fx->inotify, pattern);

  g_signal_connect (glob, "match", G_CALLBACK (match_cb), fx);
  tw_glob_start (glob);
  return glob;
}

static void
test_present_and_future (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *run_d = g_build_filename (fx->dir, "runs", "d", NULL);
  g_autofree char *log_a = g_build_filename (fx->dir, "runs", "a", "train.log", NULL);
  g_autoptr(TwGlob) glob = NULL;

  make_file (fx, "runs/b/train.log");
  make_file (fx, "runs/a/train.log");
  make_file (fx, "runs/a/eval.log");        /* another name */
  make_file (fx, "runs/.hidden/train.log"); /* * does not match a leading dot */
  make_file (fx, "other/c/train.log");      /* another folder */

  glob = start_glob (fx, "runs/*/train.log");
  /* in name order */
  g_assert_cmpuint (fx->at_start->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (fx->at_start, 0), ==, "runs/a/train.log");
  g_assert_cmpstr (g_ptr_array_index (fx->at_start, 1), ==, "runs/b/train.log");
  g_assert_cmpuint (fx->later->len, ==, 0);

  /* a run folder and its log created at once, and a log created after its folder */
  make_file (fx, "runs/c/train.log");
  wait_for_later (fx, 1);
  g_assert_true (contains (fx->later, "runs/c/train.log"));
  g_assert_cmpint (g_mkdir (run_d, 0700), ==, 0);
  spin (100);
  make_file (fx, "runs/d/train.log");
  wait_for_later (fx, 2);
  g_assert_true (contains (fx->later, "runs/d/train.log"));

  /* a log deleted and created again is not a new match */
  g_assert_cmpint (g_unlink (log_a), ==, 0);
  make_file (fx, "runs/a/train.log");
  make_file (fx, "runs/e/train.log");
  wait_for_later (fx, 3);
  g_assert_cmpuint (fx->later->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (fx->later, 2), ==, "runs/e/train.log");
  g_assert_cmpuint (tw_glob_get_n_matches (glob), ==, 5);
}

/* The folder the pattern starts in may not exist yet. */
static void
test_missing_base (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(TwGlob) glob = start_glob (fx, "later/sweep/lr-*.log");

  g_assert_cmpuint (fx->at_start->len, ==, 0);
  make_file (fx, "later/sweep/lr-0.1.log");
  wait_for_later (fx, 1);
  g_assert_cmpstr (g_ptr_array_index (fx->later, 0), ==, "later/sweep/lr-0.1.log");
  g_assert_null (tw_glob_get_error (glob));
}

/* Watching a pattern costs folder watches, never a watch on the logs themselves. */
static void
test_watches_folders_only (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(TwGlob) glob = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("runs/%02u/train.log", i);

      make_file (fx, name);
    }
  glob = start_glob (fx, "runs/*/train.log");
  g_assert_cmpuint (fx->at_start->len, ==, 20);
  /* runs/ itself; each run folder already has its log */
  g_assert_cmpuint (tw_inotify_get_n_watches (fx->inotify), ==, 1);
  g_clear_object (&glob);
  g_assert_cmpuint (tw_inotify_get_n_watches (fx->inotify), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/glob/present-and-future", Fixture, NULL, fixture_setup, test_present_and_future,
              fixture_teardown);
  g_test_add ("/glob/missing-base", Fixture, NULL, fixture_setup, test_missing_base, fixture_teardown);
  g_test_add ("/glob/watches-folders-only", Fixture, NULL, fixture_setup, test_watches_folders_only,
              fixture_teardown);

  return g_test_run ();
}
