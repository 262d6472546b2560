/* test-dnd-daemon.c — the real daemon holding notifications: dunst, GNOME, pause, quiet hours
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tw-test-daemon.h"

#define WAIT_MS 20000
#define SUMMARY_TITLE "While notifications were paused"
#define NOTIFY_MATCH "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"

typedef enum
{
  SERVER_MOCK,    /* dbusmock: precise answers about each Notify */
  SERVER_DUNST,   /* dunst under Xvfb, watched by a bus monitor */
} ServerKind;

typedef TwTestFixture Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  ServerKind kind = GPOINTER_TO_INT (data);

  tw_test_fixture_setup (fx, NULL, "tw-app");
  if (kind == SERVER_DUNST && tw_test_dunst_is_supported ())
    {
      fx->xvfb = tw_test_xvfb_start ();
      fx->dunst = tw_test_dunst_start (tw_test_xvfb_get_display (fx->xvfb));
      fx->monitor = tw_test_bus_monitor_start (NOTIFY_MATCH);
    }
  else if (kind == SERVER_MOCK && tw_test_notifyd_is_supported ())
    fx->notifyd = tw_test_notifyd_start ("body body-markup actions");
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  tw_test_fixture_teardown (fx);
}

/* Whether the case has its dbusmock server; it skips if not. */
static gboolean
have_mock (Fixture *fx)
{
  if (fx->notifyd == NULL)
    g_test_skip ("python3-dbusmock is not installed");

  return fx->notifyd != NULL;
}

static JsonObject *
get_dnd (JsonNode *status)
{
  return json_object_get_object_member (json_node_get_object (status), "dnd");
}

static char *
dup_reasons (JsonObject *dnd)
{
  JsonArray *reasons = json_object_get_array_member (dnd, "reasons");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;

  for (guint i = 0; i < json_array_get_length (reasons); i++)
    g_strv_builder_add (builder, json_array_get_string_element (reasons, i));
  strv = g_strv_builder_end (builder);

  return g_strjoinv (",", strv);
}

typedef struct
{
  Fixture    *fx;
  const char *reasons;   /* NULL: any */
  gint64      held;      /* -1: any */
  gboolean    settled;
} DndWait;

static gboolean
dnd_cond (gpointer data)
{
  DndWait *wait = data;
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (wait->fx->env);
  JsonObject *dnd = get_dnd (status);
  g_autofree char *reasons = dup_reasons (dnd);

  return json_object_get_boolean_member (dnd, "settled") &&
         (wait->reasons == NULL || g_str_equal (reasons, wait->reasons)) &&
         (wait->held < 0 || json_object_get_int_member (dnd, "held") == wait->held);
}

/* Waits until `status --json` says Do Not Disturb is settled with these
 * reasons ("" when off) and this many held notifications. */
static void
wait_dnd (Fixture    *fx,
          const char *reasons,
          gint64      held)
{
  DndWait wait = { fx, reasons, held, TRUE };

  g_assert_true (tw_test_wait_until (dnd_cond, &wait, WAIT_MS));
}

typedef struct
{
  Fixture *fx;
  guint    n;
} CallWait;

static GPtrArray *
get_calls (Fixture *fx)
{
  return fx->monitor != NULL ? tw_test_bus_monitor_dup_notify_calls (fx->monitor)
                             : tw_test_notifyd_get_notify_calls (fx->notifyd);
}

static gboolean
calls_cond (gpointer data)
{
  CallWait *wait = data;
  g_autoptr(GPtrArray) calls = get_calls (wait->fx);

  return calls->len >= wait->n;
}

/* Waits for @n Notify calls in all, and returns them all. */
static GPtrArray *
wait_calls (Fixture *fx,
            guint    n)
{
  CallWait wait = { fx, n };

  g_assert_true (tw_test_wait_until (calls_cond, &wait, WAIT_MS));
  return get_calls (fx);
}

static void
log_calls (GPtrArray *calls)
{
  for (guint i = 0; i < calls->len; i++)
    g_test_message ("Notify %u: “%s” “%s” urgency %u", i,
                    tw_test_notify_call_get_summary (g_ptr_array_index (calls, i)),
                    tw_test_notify_call_get_body (g_ptr_array_index (calls, i)),
                    tw_test_notify_call_get_urgency (g_ptr_array_index (calls, i)));
}

/* A run's log in its own folder, watched; the folder names the run. */
static char *
watch_run (Fixture    *fx,
           const char *name)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "runs", name, NULL);
  char *log = g_build_filename (dir, "train.log", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "", 0, NULL));
  out = tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL);
  g_assert_nonnull (strstr (out, name));

  return log;
}

static gboolean
has_event (JsonNode   *status,
           const char *job,
           const char *kind)
{
  JsonArray *events = json_object_get_array_member (json_node_get_object (status), "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "job", NULL), job) == 0 &&
          g_strcmp0 (json_object_get_string_member (event, "kind"), kind) == 0)
        return TRUE;
    }

  return FALSE;
}

typedef struct
{
  Fixture    *fx;
  const char *job;
  const char *kind;
} EventWait;

static gboolean
event_cond (gpointer data)
{
  EventWait *wait = data;
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (wait->fx->env);

  return has_event (status, wait->job, wait->kind);
}

static void
wait_event (Fixture    *fx,
            const char *job,
            const char *kind)
{
  EventWait wait = { fx, job, kind };

  g_assert_true (tw_test_wait_until (event_cond, &wait, WAIT_MS));
}

static void
assert_summary (GVariant   *call,
                const char *first_line,
                guint8      urgency)
{
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, SUMMARY_TITLE);
  g_assert_true (g_str_has_prefix (tw_test_notify_call_get_body (call), first_line));
  g_assert_cmpuint (tw_test_notify_call_get_urgency (call), ==, urgency);
}

/* The acceptance test: dunst paused is the desktop's Do Not Disturb. dunst
 * itself holds everything while paused, so what Trainwatch does is seen in
 * the Notify calls on the bus: none for a milestone, a critical one for a
 * failure, and one summary once dunst is unpaused. */
static void
test_dunst_paused (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *alpha = NULL;
  g_autofree char *bravo = NULL;
  g_autofree char *charlie = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GPtrArray) calls = NULL;
  const char *body;

  if (fx->dunst == NULL)
    {
      g_test_skip ("dunst, dunstctl or Xvfb is not installed");
      return;
    }

  tw_test_dunst_set_paused (fx->dunst, TRUE);
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "dunst", 0);
  out = tw_test_run_trainwatch_ok (fx->env, "status", NULL);
  g_assert_nonnull (strstr (out, "Do Not Disturb: on (dunst is paused)."));

  alpha = watch_run (fx, "alpha");
  bravo = watch_run (fx, "bravo");
  charlie = watch_run (fx, "charlie");

  /* a milestone (and the run's start): held */
  tw_test_append (alpha, "Epoch 1/2:  50%|#####     | 50/100 [00:01<00:01, 50.00it/s, loss=0.5]\n");
  wait_event (fx, "alpha", "progress");
  /* a run that finishes: held */
  tw_test_append (charlie,
                  "Epoch 2/2: 100%|##########| 100/100 [00:02<00:00, 50.00it/s, loss=0.1]\n");
  tw_test_append (charlie, "Training complete.\n");
  wait_event (fx, "charlie", "run-completed");
  /* a failure: shown, critical */
  tw_test_append (bravo, "Traceback (most recent call last):\n"
                         "  File \"train.py\", line 3, in <module>\n"
                         "    main()\nRuntimeError: CUDA error: device-side assert triggered\n");
  calls = wait_calls (fx, 1);
  log_calls (calls);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 0)), ==,
                   "Run failed: RuntimeError");
  g_assert_cmpuint (tw_test_notify_call_get_urgency (g_ptr_array_index (calls, 0)), ==, 2);
  wait_event (fx, "bravo", "run-failed");

  /* Everything before the failure went through the same queue: had a
   * milestone not been held, its Notify would be here by now. */
  g_ptr_array_unref (calls);
  calls = get_calls (fx);
  log_calls (calls);
  g_assert_cmpuint (calls->len, ==, 1);
  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);
    JsonObject *dnd = get_dnd (status);

    g_assert_true (json_object_get_boolean_member (dnd, "active"));
    g_assert_cmpint (json_object_get_int_member (dnd, "held"), >=, 4);
  }

  /* dunst unpaused: one summary, no replay */
  tw_test_dunst_set_paused (fx->dunst, FALSE);
  wait_dnd (fx, "", 0);
  g_ptr_array_unref (calls);
  calls = wait_calls (fx, 2);
  tw_test_iterate_for (300);
  g_ptr_array_unref (calls);
  calls = get_calls (fx);
  log_calls (calls);
  g_assert_cmpuint (calls->len, ==, 2);
  assert_summary (g_ptr_array_index (calls, 1), "1 run failed: bravo\n1 run finished: charlie\n",
                  1);
  body = tw_test_notify_call_get_body (g_ptr_array_index (calls, 1));
  g_assert_nonnull (strstr (body, "3 runs started: alpha, charlie, bravo"));
  g_assert_nonnull (strstr (body, "other notification"));

  /* and, unpaused, notifications show again */
  tw_test_append (alpha,
                  "Epoch 2/2: 100%|##########| 100/100 [00:02<00:00, 50.00it/s, loss=0.1]\n");
  g_ptr_array_unref (calls);
  calls = wait_calls (fx, 3);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 2)), !=,
                   SUMMARY_TITLE);
}

/* GNOME's Do Not Disturb is show-banners off, here flipped by `gsettings`
 * in another process through the keyfile backend; the schema is the one
 * gsettings-desktop-schemas installs, found through GSETTINGS_SCHEMA_DIR. */
static void
test_gnome_banners (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *out = NULL;
  const char *schema_dir = g_getenv ("TW_TEST_SCHEMA_DIR");
  g_autofree char *schema_file = NULL;
  g_autofree char *gsettings = g_find_program_in_path ("gsettings");

  if (!have_mock (fx))
    return;
  if (schema_dir != NULL)
    schema_file = g_build_filename (schema_dir, "org.gnome.desktop.notifications.gschema.xml",
                                    NULL);
  if (schema_file == NULL || !g_file_test (schema_file, G_FILE_TEST_EXISTS) || gsettings == NULL)
    {
      g_test_skip ("gsettings-desktop-schemas is not installed");
      return;
    }

  fx->env = g_environ_setenv (fx->env, "GSETTINGS_BACKEND", "keyfile", TRUE);
  fx->env = g_environ_setenv (fx->env, "GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "", 0);

  tw_test_run_tool (fx->env, "gsettings", "set", "org.gnome.desktop.notifications", "show-banners",
                    "false", NULL);
  wait_dnd (fx, "gnome", 0);

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Epoch 3 done", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "bert", "--level", "error",
                                     "Run failed", "CUDA out of memory", NULL));
  calls = wait_calls (fx, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 0)), ==,
                   "Run failed");
  g_assert_cmpuint (tw_test_notify_call_get_urgency (g_ptr_array_index (calls, 0)), ==, 2);
  wait_dnd (fx, "gnome", 1);
  out = tw_test_run_trainwatch_ok (fx->env, "status", NULL);
  g_assert_nonnull (strstr (out, "Do Not Disturb: on (Do Not Disturb in GNOME)."));
  g_assert_nonnull (strstr (out, "1 notification held"));

  tw_test_run_tool (fx->env, "gsettings", "set", "org.gnome.desktop.notifications", "show-banners",
                    "true", NULL);
  wait_dnd (fx, "", 0);
  g_ptr_array_unref (calls);
  calls = wait_calls (fx, 2);
  tw_test_iterate_for (300);
  g_ptr_array_unref (calls);
  calls = get_calls (fx);
  log_calls (calls);
  g_assert_cmpuint (calls->len, ==, 2);
  assert_summary (g_ptr_array_index (calls, 1), "2 other notifications", 1);
}

/* `trainwatch pause` and `resume`, as the user types them. */
static void
test_pause_resume (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(GDateTime) until = NULL;
  g_autofree char *out = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  JsonObject *dnd;

  if (!have_mock (fx))
    return;

  /* it starts the daemon if need be */
  out = tw_test_run_trainwatch_ok (fx->env, "pause", "1h", NULL);
  g_assert_nonnull (strstr (out, "Notifications are paused until "));
  g_assert_nonnull (strstr (out, "Critical ones"));
  status = tw_test_daemon_dup_status (fx->env);
  dnd = get_dnd (status);
  g_assert_true (json_object_get_boolean_member (dnd, "active"));
  g_assert_true (json_object_get_boolean_member (dnd, "paused"));
  until = g_date_time_new_from_iso8601 (json_object_get_string_member (dnd, "paused_until"), NULL);
  g_assert_nonnull (until);
  g_assert_cmpint (g_date_time_to_unix (until) - before, >=, 3600);
  g_assert_cmpint (g_date_time_to_unix (until) - before, <=, 3600 + 60);

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Epoch 3 done", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Epoch 4 done", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "bert", "--level", "critical",
                                     "The loss went NaN", NULL));
  calls = wait_calls (fx, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 0)), ==,
                   "The loss went NaN");
  wait_dnd (fx, "paused", 2);

  g_free (out);
  out = tw_test_run_trainwatch_ok (fx->env, "resume", NULL);
  g_assert_nonnull (strstr (out, "Notifications resumed."));
  g_assert_nonnull (strstr (out, "2 notifications were held meanwhile"));
  wait_dnd (fx, "", 0);
  g_ptr_array_unref (calls);
  calls = wait_calls (fx, 2);
  log_calls (calls);
  assert_summary (g_ptr_array_index (calls, 1), "3 other notifications", 1);

  g_free (out);
  out = tw_test_run_trainwatch_ok (fx->env, "resume", NULL);
  g_assert_nonnull (strstr (out, "Notifications were not paused."));

  /* a mistake is refused before anything is paused */
  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "pause", "soon", NULL);
    g_assert_cmpint (result.status, ==, 2);
    g_assert_nonnull (strstr (result.err, "“soon” is not a duration"));
  }
  wait_dnd (fx, "", 0);
}

static GVariant *
call_actions (Fixture    *fx,
              const char *method,
              GVariant   *parameters,
              const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (fx->connection, DAEMON_BUS_NAME,
                                       "/io/github/trainwatch/Trainwatch/Daemon", "org.gtk.Actions",
                                       method, parameters, G_VARIANT_TYPE (reply_type),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static void
activate (Fixture    *fx,
          const char *action,
          GVariant   *parameter)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder parameters;

  g_variant_builder_init (&parameters, G_VARIANT_TYPE ("av"));
  if (parameter != NULL)
    g_variant_builder_add (&parameters, "v", parameter);
  reply = call_actions (fx, "Activate", g_variant_new ("(sava{sv})", action, &parameters, NULL),
                        "()");
}

static gboolean
action_enabled (Fixture    *fx,
                const char *action)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean enabled;

  reply = call_actions (fx, "Describe", g_variant_new ("(s)", action), "((bgav))");
  g_variant_get (reply, "((bg@av))", &enabled, NULL, NULL);
  return enabled;
}

/* The tray's "Pause notifications" menu: app.pause and app.resume over org.gtk.Actions. */
static void
test_pause_action (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(GDateTime) until = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GVariant) description = NULL;

  if (!have_mock (fx))
    return;

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "", 0);
  description = call_actions (fx, "Describe", g_variant_new ("(s)", "pause"), "((bgav))");
  {
    const char *signature;

    g_variant_get (description, "((b&g@av))", NULL, &signature, NULL);
    g_assert_cmpstr (signature, ==, "s");
  }
  g_assert_false (action_enabled (fx, "resume"));

  activate (fx, "pause", g_variant_new_string ("tomorrow"));
  wait_dnd (fx, "paused", 0);
  g_assert_true (action_enabled (fx, "resume"));
  status = tw_test_daemon_dup_status (fx->env);
  until = g_date_time_new_from_iso8601 (json_object_get_string_member (get_dnd (status),
                                                                       "paused_until"),
                                        NULL);
  g_assert_nonnull (until);
  local = g_date_time_to_local (until);
  g_assert_cmpint (g_date_time_get_hour (local), ==, 8);
  g_assert_cmpint (g_date_time_get_minute (local), ==, 0);
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

    g_assert_cmpint (g_date_time_difference (until, now), >, 0);
  }

  activate (fx, "resume", NULL);
  wait_dnd (fx, "", 0);
  g_assert_false (action_enabled (fx, "resume"));

  activate (fx, "pause", g_variant_new_string ("1h"));
  wait_dnd (fx, "paused", 0);
}

/* The pause, and what it held, outlive the daemon. */
static void
test_pause_survives_restart (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *until = NULL;
  g_autofree char *held_path = g_build_filename (fx->state_dir, "held.json", NULL);
  g_autofree char *pause_path = g_build_filename (fx->state_dir, "pause.json", NULL);

  if (!have_mock (fx))
    return;

  g_free (tw_test_run_trainwatch_ok (fx->env, "pause", "2h", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Run completed", NULL));
  wait_dnd (fx, "paused", 1);
  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);

    until = g_strdup (json_object_get_string_member (get_dnd (status), "paused_until"));
  }
  tw_test_daemon_quit (fx->env);
  g_assert_true (g_file_test (pause_path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (held_path, G_FILE_TEST_IS_REGULAR));

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "paused", 1);
  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);

    g_assert_cmpstr (json_object_get_string_member (get_dnd (status), "paused_until"), ==, until);
  }
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "bert", "Epoch 1 done", NULL));
  wait_dnd (fx, "paused", 2);

  g_free (tw_test_run_trainwatch_ok (fx->env, "resume", NULL));
  calls = wait_calls (fx, 1);
  g_assert_cmpuint (calls->len, ==, 1);
  assert_summary (g_ptr_array_index (calls, 0), "2 other notifications", 1);
  g_assert_false (g_file_test (pause_path, G_FILE_TEST_EXISTS));
  /* saved a moment after the change */
  tw_test_daemon_quit (fx->env);
  g_assert_false (g_file_test (held_path, G_FILE_TEST_EXISTS));
}

/* A pause that ended while the daemon was not running: the summary comes
 * at the next start, once the desktop's state is known. */
static void
test_pause_ended_while_stopped (Fixture       *fx,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *pause_path = g_build_filename (fx->state_dir, "pause.json", NULL);
  g_autofree char *ended = NULL;

  if (!have_mock (fx))
    return;

  g_free (tw_test_run_trainwatch_ok (fx->env, "pause", "2h", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Epoch 3 done", NULL));
  wait_dnd (fx, "paused", 1);
  tw_test_daemon_quit (fx->env);

  ended = g_strdup_printf ("{\"since\": %" G_GINT64_FORMAT ", \"until\": %" G_GINT64_FORMAT "}",
                           g_get_real_time () - G_TIME_SPAN_HOUR,
                           g_get_real_time () - G_TIME_SPAN_SECOND);
  g_assert_true (g_file_set_contents (pause_path, ended, -1, NULL));

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "", 0);
  calls = wait_calls (fx, 1);
  g_assert_cmpuint (calls->len, ==, 1);
  assert_summary (g_ptr_array_index (calls, 0), "1 other notification", 1);
  g_assert_false (g_file_test (pause_path, G_FILE_TEST_EXISTS));
}

static void
write_config (Fixture    *fx,
              const char *text)
{
  g_autofree char *dir = g_path_get_dirname (fx->config_path);
  g_autofree char *tmp = g_strconcat (fx->config_path, ".new", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (tmp, text, -1, NULL));
  g_assert_cmpint (g_rename (tmp, fx->config_path), ==, 0);
}

/* Quiet hours from the config, with critical ones held too; the config's
 * reload ends them. */
static void
test_quiet_hours (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *ranges = tw_test_dup_quiet_hours_around_now ();
  g_autofree char *config = NULL;

  if (!have_mock (fx))
    return;

  config = g_strdup_printf ("[notifications]\nquiet-hours = %s\nshow-critical = false\n", ranges);
  write_config (fx, config);
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  wait_dnd (fx, "quiet-hours", 0);
  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);
    JsonObject *dnd = get_dnd (status);

    g_assert_cmpstr (json_object_get_string_member (dnd, "quiet_hours"), ==, ranges);
    g_assert_false (json_object_get_boolean_member (dnd, "critical_passes"));
  }

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "--level", "error",
                                     "Run failed", NULL));
  wait_dnd (fx, "quiet-hours", 1);
  tw_test_iterate_for (300);
  calls = get_calls (fx);
  g_assert_cmpuint (calls->len, ==, 0);

  write_config (fx, "[notifications]\nshow-critical = false\n");
  wait_dnd (fx, "", 0);
  g_ptr_array_unref (calls);
  calls = wait_calls (fx, 1);
  /* a failure nobody has seen: the summary is critical */
  assert_summary (g_ptr_array_index (calls, 0), "1 other notification", 2);
}

int
main (int    argc,
      char **argv)
{
  gconstpointer mock = GINT_TO_POINTER (SERVER_MOCK);
  gconstpointer dunst = GINT_TO_POINTER (SERVER_DUNST);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/dnd-daemon/dunst-paused", Fixture, dunst, fixture_setup, test_dunst_paused,
              fixture_teardown);
  g_test_add ("/dnd-daemon/gnome-banners", Fixture, mock, fixture_setup, test_gnome_banners,
              fixture_teardown);
  g_test_add ("/dnd-daemon/pause-resume", Fixture, mock, fixture_setup, test_pause_resume,
              fixture_teardown);
  g_test_add ("/dnd-daemon/pause-action", Fixture, mock, fixture_setup, test_pause_action,
              fixture_teardown);
  g_test_add ("/dnd-daemon/pause-survives-restart", Fixture, mock, fixture_setup,
              test_pause_survives_restart, fixture_teardown);
  g_test_add ("/dnd-daemon/pause-ended-while-stopped", Fixture, mock, fixture_setup,
              test_pause_ended_while_stopped, fixture_teardown);
  g_test_add ("/dnd-daemon/quiet-hours", Fixture, mock, fixture_setup, test_quiet_hours,
              fixture_teardown);

  return g_test_run ();
}
