/* test-dnd.c — Trainwatch's own pause and quiet hours (no desktop, no bus)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tw-dnd.h"
#include "tw-test-util.h"

static char *
pause_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "trainwatch", "pause.json", NULL);
}

static void
count_changed_cb (TwDnd *dnd,
                  guint *n)
{
  (*n)++;
}

static char *
reasons_text (TwDnd *dnd)
{
  g_auto(GStrv) reasons = tw_dnd_dup_reasons (dnd);

  return g_strjoinv (",", reasons);
}

static JsonObject *
dnd_json (TwDnd *dnd,
          guint  n_held)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  tw_dnd_add_json (dnd, builder, n_held, TRUE);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  return json_object_ref (json_node_get_object (root));
}

static void
test_start_without_desktop (void)
{
  g_autoptr(TwDnd) dnd = tw_dnd_new (NULL);
  g_autofree char *reasons = NULL;
  g_autofree char *text = NULL;
  guint changed = 0;

  g_signal_connect (dnd, "changed", G_CALLBACK (count_changed_cb), &changed);
  g_assert_false (tw_dnd_is_settled (dnd));
  tw_dnd_start (dnd, NULL);

  /* nothing to wait for: settled at once, and said so */
  g_assert_true (tw_dnd_is_settled (dnd));
  g_assert_cmpuint (changed, ==, 1);
  g_assert_false (tw_dnd_is_active (dnd));
  reasons = reasons_text (dnd);
  g_assert_cmpstr (reasons, ==, "");
  text = tw_dnd_dup_status_text (dnd, 0, TRUE);
  g_assert_cmpstr (text, ==, "Do Not Disturb: off.\n");
}

static void
test_pause_and_resume (void)
{
  g_autofree char *path = pause_path ();
  g_autoptr(TwDnd) dnd = tw_dnd_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) json = NULL;
  g_autofree char *reasons = NULL;
  g_autofree char *text = NULL;
  JsonArray *reasons_array;
  gint64 before = g_get_real_time ();
  guint changed = 0;

  tw_dnd_start (dnd, NULL);
  g_signal_connect (dnd, "changed", G_CALLBACK (count_changed_cb), &changed);

  g_assert_true (tw_dnd_pause_from_text (dnd, "1h", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (tw_dnd_is_active (dnd));
  g_assert_true (tw_dnd_is_paused (dnd));
  reasons = reasons_text (dnd);
  g_assert_cmpstr (reasons, ==, "paused");
  /* whole seconds from now */
  g_assert_cmpint (tw_dnd_get_paused_until (dnd), >=, before - G_USEC_PER_SEC + G_TIME_SPAN_HOUR);
  g_assert_cmpint (tw_dnd_get_paused_until (dnd), <=, g_get_real_time () + G_TIME_SPAN_HOUR);
  g_assert_cmpint (tw_dnd_get_paused_until (dnd) % G_USEC_PER_SEC, ==, 0);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  json = dnd_json (dnd, 3);
  g_assert_true (json_object_get_boolean_member (json, "active"));
  g_assert_true (json_object_get_boolean_member (json, "paused"));
  g_assert_cmpint (json_object_get_int_member (json, "held"), ==, 3);
  reasons_array = json_object_get_array_member (json, "reasons");
  g_assert_cmpstr (json_array_get_string_element (reasons_array, 0), ==, "paused");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (json, "paused_until"), "Z"));
  g_assert_true (json_object_get_null_member (json, "quiet_hours"));

  text = tw_dnd_dup_status_text (dnd, 3, TRUE);
  g_assert_true (g_str_has_prefix (text, "Do Not Disturb: on (paused until "));
  g_assert_nonnull (strstr (text, "3 notifications held"));
  g_assert_nonnull (strstr (text, "still show"));

  /* a second pause replaces the first */
  g_assert_true (tw_dnd_pause_from_text (dnd, NULL, &error));
  g_assert_cmpint (tw_dnd_get_paused_until (dnd), ==, TW_DND_UNTIL_RESUME);
  g_assert_cmpuint (changed, ==, 2);
  g_clear_pointer (&json, json_object_unref);
  json = dnd_json (dnd, 0);
  g_assert_true (json_object_get_null_member (json, "paused_until"));
  g_assert_true (json_object_get_boolean_member (json, "paused"));

  g_assert_true (tw_dnd_resume (dnd, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 3);
  g_assert_false (tw_dnd_is_active (dnd));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* resuming what is not paused is no error, and changes nothing */
  g_assert_false (tw_dnd_resume (dnd, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 3);

  /* a bad duration pauses nothing */
  g_assert_false (tw_dnd_pause_from_text (dnd, "soon", &error));
  g_assert_nonnull (error);
  g_assert_false (tw_dnd_is_paused (dnd));
}

static void
test_pause_survives_restart (void)
{
  g_autofree char *path = pause_path ();
  g_autoptr(GError) error = NULL;
  gint64 until = (g_get_real_time () / G_USEC_PER_SEC + 7200) * G_USEC_PER_SEC;

  {
    g_autoptr(TwDnd) dnd = tw_dnd_new (path);

    g_assert_true (tw_dnd_pause (dnd, until, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(TwDnd) dnd = tw_dnd_new (path);

    g_assert_true (tw_dnd_is_paused (dnd));
    g_assert_true (tw_dnd_is_active (dnd));
    g_assert_cmpint (tw_dnd_get_paused_until (dnd), ==, until);
    g_assert_true (tw_dnd_pause (dnd, TW_DND_UNTIL_RESUME, &error));
  }
  {
    g_autoptr(TwDnd) dnd = tw_dnd_new (path);

    g_assert_cmpint (tw_dnd_get_paused_until (dnd), ==, TW_DND_UNTIL_RESUME);
  }
}

typedef struct
{
  const char *contents;
  gboolean    paused;
  gboolean    removed;
} FileCase;

static const FileCase file_cases[] = {
  /* ended while the daemon was not running */
  { "{\"since\": 1000000, \"until\": 2000000}", FALSE, TRUE },
  { "{\"since\": 1000000, \"until\": null}", TRUE, FALSE },
  { "{\"since\": 1000000, \"until\": 99999999999000000}", TRUE, FALSE },
  /* not a pause: ignored, and left for the next pause to replace */
  { "{\"since\": 1000000}", FALSE, FALSE },
  { "{\"since\": 1000000, \"until\": \"tomorrow\"}", FALSE, FALSE },
  { "{\"since\": 1000000, \"until\": -5}", FALSE, FALSE },
  { "[1, 2]", FALSE, FALSE },
  { "not json", FALSE, FALSE },
  { "", FALSE, FALSE },
};

static void
test_pause_file (gconstpointer data)
{
  const FileCase *c = data;
  g_autofree char *path = pause_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(TwDnd) dnd = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, c->contents, -1, NULL));

  dnd = tw_dnd_new (path);
  g_assert_cmpint (tw_dnd_is_paused (dnd), ==, c->paused);
  g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, !c->removed);
}

static void
test_pause_unwritable (void)
{
  g_autoptr(TwDnd) dnd = tw_dnd_new ("/proc/trainwatch-cannot-write-here/pause.json");
  g_autoptr(GError) error = NULL;

  /* the pause holds; the caller learns it will not survive a restart */
  g_assert_false (tw_dnd_pause_from_text (dnd, "30m", &error));
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_assert_true (tw_dnd_is_paused (dnd));
}

static gboolean
not_paused_cond (gpointer data)
{
  return !tw_dnd_is_paused (data);
}

static void
run_pause_ends_on_time (void)
{
  g_autofree char *path = pause_path ();
  g_autoptr(TwDnd) dnd = tw_dnd_new (path);
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  tw_dnd_start (dnd, NULL);
  g_signal_connect (dnd, "changed", G_CALLBACK (count_changed_cb), &changed);
  g_assert_true (tw_dnd_pause (dnd, g_get_real_time () + G_USEC_PER_SEC / 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);

  /* the wall-clock alarm ends it, and says so */
  g_assert_true (tw_test_wait_until (not_paused_cond, dnd, 10000));
  g_assert_cmpuint (changed, ==, 2);
  g_assert_false (tw_dnd_is_active (dnd));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_pause_ends_on_time (void)
{
  if (g_test_subprocess ())
    {
      run_pause_ends_on_time ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_quiet_hours (void)
{
  g_autoptr(TwDnd) dnd = tw_dnd_new (NULL);
  g_autofree char *ranges = tw_test_dup_quiet_hours_around_now ();
  g_autofree char *reasons = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) json = NULL;
  guint changed = 0;

  tw_dnd_start (dnd, NULL);
  g_signal_connect (dnd, "changed", G_CALLBACK (count_changed_cb), &changed);

  tw_dnd_set_quiet_hours (dnd, ranges);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_true (tw_dnd_is_active (dnd));
  reasons = reasons_text (dnd);
  g_assert_cmpstr (reasons, ==, "quiet-hours");
  json = dnd_json (dnd, 0);
  g_assert_cmpstr (json_object_get_string_member (json, "quiet_hours"), ==, ranges);
  g_assert_false (json_object_get_null_member (json, "quiet_hours_change"));
  text = tw_dnd_dup_status_text (dnd, 0, FALSE);
  g_assert_true (g_str_has_prefix (text, "Do Not Disturb: on (quiet hours until "));
  g_assert_nonnull (strstr (text, "Nothing held yet."));
  g_assert_nonnull (strstr (text, "Critical ones are held too."));

  /* with the pause as well, both are said, the pause first */
  tw_dnd_pause (dnd, TW_DND_UNTIL_RESUME, NULL);
  g_clear_pointer (&reasons, g_free);
  reasons = reasons_text (dnd);
  g_assert_cmpstr (reasons, ==, "paused,quiet-hours");
  tw_dnd_resume (dnd, NULL);

  /* the config changed: no quiet hours, or ones that are not valid */
  tw_dnd_set_quiet_hours (dnd, "");
  g_assert_false (tw_dnd_is_active (dnd));
  tw_dnd_set_quiet_hours (dnd, ranges);
  g_assert_true (tw_dnd_is_active (dnd));
  tw_dnd_set_quiet_hours (dnd, "25:00-26:00");
  g_assert_false (tw_dnd_is_active (dnd));
  g_clear_pointer (&text, g_free);
  text = tw_dnd_dup_status_text (dnd, 0, TRUE);
  g_assert_cmpstr (text, ==, "Do Not Disturb: off.\n");
}

static void
test_actions (void)
{
  g_autoptr(TwDnd) dnd = tw_dnd_new (NULL);
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  GActionGroup *actions = G_ACTION_GROUP (group);
  const GVariantType *type;

  tw_dnd_start (dnd, NULL);
  tw_dnd_add_actions (dnd, G_ACTION_MAP (group));

  g_assert_true (g_action_group_has_action (actions, "pause"));
  type = g_action_group_get_action_parameter_type (actions, "pause");
  g_assert_true (type != NULL && g_variant_type_equal (type, G_VARIANT_TYPE_STRING));
  g_assert_null (g_action_group_get_action_parameter_type (actions, "resume"));
  /* nothing to resume yet */
  g_assert_false (g_action_group_get_action_enabled (actions, "resume"));

  g_action_group_activate_action (actions, "pause", g_variant_new_string ("tomorrow"));
  g_assert_true (tw_dnd_is_paused (dnd));
  g_assert_true (g_action_group_get_action_enabled (actions, "resume"));
  {
    gint64 seconds = tw_dnd_get_paused_until (dnd) / G_USEC_PER_SEC;
    g_autoptr(GDateTime) until = g_date_time_new_from_unix_local (seconds);

    g_assert_cmpint (g_date_time_get_hour (until), ==, 8);
    g_assert_cmpint (g_date_time_get_minute (until), ==, 0);
  }

  g_action_group_activate_action (actions, "resume", NULL);
  g_assert_false (tw_dnd_is_paused (dnd));
  g_assert_false (g_action_group_get_action_enabled (actions, "resume"));

  /* empty: until resumed; not a duration: nothing happens */
  g_action_group_activate_action (actions, "pause", g_variant_new_string (""));
  g_assert_cmpint (tw_dnd_get_paused_until (dnd), ==, TW_DND_UNTIL_RESUME);
  g_action_group_activate_action (actions, "resume", NULL);
  g_action_group_activate_action (actions, "pause", g_variant_new_string ("later"));
  g_assert_false (tw_dnd_is_paused (dnd));

  /* the actions outlive the state: they then do nothing */
  g_clear_object (&dnd);
  g_action_group_activate_action (actions, "pause", g_variant_new_string ("1h"));
  g_action_group_activate_action (actions, "resume", NULL);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/dnd/start-without-desktop", test_start_without_desktop);
  g_test_add_func ("/dnd/pause/and-resume", test_pause_and_resume);
  g_test_add_func ("/dnd/pause/survives-restart", test_pause_survives_restart);
  for (guint i = 0; i < G_N_ELEMENTS (file_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dnd/pause/file/%u", i);

      g_test_add_data_func (path, &file_cases[i], test_pause_file);
    }
  g_test_add_func ("/dnd/pause/unwritable", test_pause_unwritable);
  g_test_add_func ("/dnd/pause/ends-on-time", test_pause_ends_on_time);
  g_test_add_func ("/dnd/quiet-hours", test_quiet_hours);
  g_test_add_func ("/dnd/actions", test_actions);

  return g_test_run ();
}
