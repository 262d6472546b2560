/* test-history.c — the event journal: append, rotate, read back, damage
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tw-history.h"

static char *
journal_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "trainwatch", "history.jsonl", NULL);
}

static TwEvent *
numbered_event (guint n)
{
  g_autofree char *title = g_strdup_printf ("Event %u", n);
  TwEvent *event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, "job", title, "body");

  tw_event_set_id (event, n);
  return event;
}

static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; *p != '\0'; p++)
    if (*p == '\n')
      n++;

  return n;
}

static void
test_append_and_load (void)
{
  g_autofree char *path = journal_path ();
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = tw_history_load_recent (history, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_ptr_array_unref);

  for (guint i = 1; i <= 30; i++)
    {
      g_autoptr(TwEvent) event = numbered_event (i);

      g_assert_true (tw_history_append (history, event, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (count_lines (path), ==, 30);

  events = tw_history_load_recent (history, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 10);
  g_assert_cmpuint (tw_event_get_id (g_ptr_array_index (events, 0)), ==, 21);
  g_assert_cmpuint (tw_event_get_id (g_ptr_array_index (events, 9)), ==, 30);
  g_assert_cmpstr (tw_event_get_title (g_ptr_array_index (events, 9)), ==, "Event 30");
}

static void
test_rotation_bounded (void)
{
  g_autofree char *path = journal_path ();
  g_autofree char *first = g_strconcat (path, ".1", NULL);
  g_autofree char *second = g_strconcat (path, ".2", NULL);
  g_autofree char *third = g_strconcat (path, ".3", NULL);
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  tw_history_set_limits (history, 4096, 2);
  for (guint i = 1; i <= 1000; i++)
    {
      g_autoptr(TwEvent) event = numbered_event (i);

      g_assert_true (tw_history_append (history, event, &error));
      g_assert_no_error (error);
    }

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 4096);
  g_assert_cmpint (g_stat (first, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 4096);
  g_assert_true (g_file_test (second, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (third, G_FILE_TEST_EXISTS));

  /* The newest event is in the live journal, whole. */
  events = tw_history_load_recent (history, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpuint (tw_event_get_id (g_ptr_array_index (events, 0)), ==, 1000);
}

static void
test_rotation_keep_none (void)
{
  g_autofree char *path = journal_path ();
  g_autofree char *first = g_strconcat (path, ".1", NULL);
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(GError) error = NULL;

  tw_history_set_limits (history, 1024, 0);
  for (guint i = 1; i <= 100; i++)
    {
      g_autoptr(TwEvent) event = numbered_event (i);

      g_assert_true (tw_history_append (history, event, &error));
    }
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_lines (path), <, 100);
  g_assert_cmpuint (count_lines (path), >, 0);
}

static void
test_load_skips_damage (void)
{
  g_autofree char *path = journal_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  const char contents[] =
    "{\"id\":1,\"kind\":\"message\",\"level\":\"info\",\"title\":\"one\"}\n"
    "not json at all\n"
    "{\"id\":2,\"kind\":\"nope\",\"level\":\"info\",\"title\":\"bad kind\"}\n"
    "\xff\xfe binary\n"
    "{\"id\":3,\"kind\":\"run-failed\",\"level\":\"error\",\"title\":\"three\"}\n"
    "{\"id\":4,\"kind\":\"message\",\"lev";   /* cut off mid-line */

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, sizeof contents - 1, NULL));

  events = tw_history_load_recent (history, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (tw_event_get_title (g_ptr_array_index (events, 0)), ==, "one");
  g_assert_cmpstr (tw_event_get_title (g_ptr_array_index (events, 1)), ==, "three");
}

static void
test_load_large_journal_tail (void)
{
  g_autofree char *path = journal_path ();
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  /* More than the tail that is read back, so the read starts mid-line. */
  tw_history_set_limits (history, 64 * 1024 * 1024, 1);
  for (guint i = 1; i <= 5000; i++)
    {
      g_autoptr(TwEvent) event = numbered_event (i);

      g_assert_true (tw_history_append (history, event, NULL));
    }

  events = tw_history_load_recent (history, 50, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 50);
  g_assert_cmpuint (tw_event_get_id (g_ptr_array_index (events, 49)), ==, 5000);
  g_assert_cmpuint (tw_event_get_id (g_ptr_array_index (events, 0)), ==, 4951);
}

static void
test_unwritable (void)
{
  g_autofree char *blocker = g_build_filename (g_get_user_state_dir (), "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "history.jsonl", NULL);
  g_autoptr(TwHistory) history = tw_history_new (path);
  g_autoptr(TwEvent) event = numbered_event (1);
  g_autoptr(GError) error = NULL;

  /* A file where the folder should be: the journal cannot be created. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));

  g_assert_false (tw_history_append (history, event, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, blocker));
}

static void
test_full_disk (void)
{
  g_autoptr(TwHistory) history = NULL;
  g_autoptr(TwEvent) event = numbered_event (1);
  g_autoptr(GError) error = NULL;

  /* Writes to /dev/full fail with ENOSPC, as on a full disk. */
  history = tw_history_new ("/dev/full");
  g_assert_false (tw_history_append (history, event, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/history/append-and-load", test_append_and_load);
  g_test_add_func ("/history/rotation/bounded", test_rotation_bounded);
  g_test_add_func ("/history/rotation/keep-none", test_rotation_keep_none);
  g_test_add_func ("/history/load/skips-damage", test_load_skips_damage);
  g_test_add_func ("/history/load/large-journal-tail", test_load_large_journal_tail);
  g_test_add_func ("/history/error/unwritable", test_unwritable);
  g_test_add_func ("/history/error/full-disk", test_full_disk);

  return g_test_run ();
}
