/* test-desktop-channel.c — the desktop channel against a real notification server, private bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-desktop-channel.h"
#include "tw-event.h"
#include "tw-test-util.h"

#define WAIT_MSEC          20000
#define SUBPROCESS_USEC    (60 * G_USEC_PER_SEC)
#define APP_NAME           "Trainwatch Test"
#define ICON_NAME          "io.github.trainwatch.Trainwatch"
#define REPLACEMENT_CHAR   "\xef\xbf\xbd"

typedef struct
{
  TwTestBus        *bus;
  TwTestNotifyd    *notifyd;
  TwDesktopChannel *channel;
  GPtrArray        *calls;      /* the latest from the server */
  guint             n_calls;    /* what wait_for_calls() waits for */
} Fixture;

/* Each case runs in a subprocess of its own, with its own bus: libnotify
 * keeps global state, and a case that hangs must not take the others along. */
static gboolean
run_in_subprocess (void)
{
  if (g_test_subprocess ())
    return FALSE;

  /* .ci/install-deps installs python3-dbusmock: without it these tests would prove nothing. */
  if (!tw_test_notifyd_is_supported ())
    g_error ("/usr/bin/python3 cannot import dbusmock: run .ci/install-deps test");

  g_test_trap_subprocess (NULL, SUBPROCESS_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

/* @capabilities NULL: a bus without a notification server. */
static void
fixture_set_up (Fixture    *fx,
                const char *capabilities)
{
  memset (fx, 0, sizeof *fx);

  fx->bus = tw_test_bus_new ();
  tw_test_bus_up (fx->bus);
  if (capabilities != NULL)
    fx->notifyd = tw_test_notifyd_start (capabilities);
  fx->channel = tw_desktop_channel_new (APP_NAME, ICON_NAME);
}

static void
fixture_tear_down (Fixture *fx)
{
  g_clear_pointer (&fx->calls, g_ptr_array_unref);
  if (fx->channel != NULL)
    g_assert_finalize_object (g_steal_pointer (&fx->channel));
  g_clear_pointer (&fx->notifyd, tw_test_notifyd_stop);
  g_clear_pointer (&fx->bus, tw_test_bus_free);
}

static gboolean
enough_calls_cond (gpointer data)
{
  Fixture *fx = data;

  g_clear_pointer (&fx->calls, g_ptr_array_unref);
  fx->calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  return fx->calls->len >= fx->n_calls;
}

/* Waits until the server has received @n_calls Notify calls in all; they
 * are then in fx->calls. */
static void
wait_for_calls (Fixture *fx,
                guint    n_calls)
{
  fx->n_calls = n_calls;
  if (!tw_test_wait_until (enough_calls_cond, fx, WAIT_MSEC))
    g_error ("Waited for %u Notify calls, the server got %u", n_calls, fx->calls->len);
}

static GVariant *
get_call (Fixture *fx,
          guint    index)
{
  g_assert_cmpuint (index, <, fx->calls->len);
  return g_ptr_array_index (fx->calls, index);
}

static gboolean
nothing_pending_cond (gpointer data)
{
  Fixture *fx = data;

  return tw_desktop_channel_get_pending (fx->channel) == 0;
}

static void
wait_until_idle (Fixture *fx)
{
  g_assert_true (tw_test_wait_until (nothing_pending_cond, fx, WAIT_MSEC));
}

static JsonObject *
dup_status (TwDesktopChannel *channel)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  tw_channel_add_status (TW_CHANNEL (channel), builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  return json_object_ref (json_node_get_object (root));
}

static gint64
get_status_int (TwDesktopChannel *channel,
                const char       *member)
{
  g_autoptr(JsonObject) status = dup_status (channel);

  g_assert_true (json_object_has_member (status, member));
  return json_object_get_int_member (status, member);
}

typedef struct
{
  TwDesktopChannel *channel;
  gboolean          available;
  const char       *capability;  /* nullable: one the server must have */
} AvailabilityWait;

static gboolean
availability_cond (gpointer data)
{
  AvailabilityWait *wait = data;
  g_autoptr(JsonObject) status = dup_status (wait->channel);
  JsonArray *caps;

  if (json_object_get_boolean_member (status, "available") != wait->available)
    return FALSE;
  /* Before the first answer the channel calls itself available. */
  if (wait->available && json_object_get_null_member (status, "server"))
    return FALSE;
  if (!wait->available && json_object_get_null_member (status, "last-error"))
    return FALSE;
  if (wait->capability == NULL)
    return TRUE;

  caps = json_object_get_array_member (status, "capabilities");
  for (guint i = 0; i < json_array_get_length (caps); i++)
    {
      if (g_strcmp0 (json_array_get_string_element (caps, i), wait->capability) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
wait_for_availability (TwDesktopChannel *channel,
                       gboolean          available,
                       const char       *capability)
{
  AvailabilityWait wait = { channel, available, capability };

  g_assert_true (tw_test_wait_until (availability_cond, &wait, WAIT_MSEC));
}

static void
deliver (Fixture     *fx,
         TwEventKind  kind,
         TwLevel      level,
         const char  *job,
         const char  *title,
         const char  *body,
         const char  *log_path)
{
  g_autoptr(TwEvent) event = tw_event_new (kind, level, job, title, body);

  tw_event_set_log_path (event, log_path);
  tw_channel_deliver (TW_CHANNEL (fx->channel), event);
}

static void
deliver_message (Fixture    *fx,
                 const char *job,
                 const char *title)
{
  deliver (fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, job, title, NULL, NULL);
}

static void
assert_hint_string (GVariant   *call,
                    const char *hint,
                    const char *expected)
{
  g_autofree char *value = tw_test_notify_call_dup_hint_string (call, hint);

  g_assert_cmpstr (value, ==, expected);
}

static void
assert_no_hint (GVariant   *call,
                const char *hint)
{
  g_autoptr(GVariant) value = tw_test_notify_call_dup_hint (call, hint);

  if (value != NULL)
    {
      g_autofree char *printed = g_variant_print (value, TRUE);

      g_error ("Unexpected hint %s = %s", hint, printed);
    }
}

static void
assert_calls_contain_summary (Fixture    *fx,
                              const char *summary,
                              gboolean    expected)
{
  gboolean found = FALSE;

  for (guint i = 0; i < fx->calls->len; i++)
    found |= g_strcmp0 (tw_test_notify_call_get_summary (get_call (fx, i)), summary) == 0;

  if (found != expected)
    g_error ("'%s' was %s sent", summary, found ? "" : "not");
}

/* Levels: summary, body, urgency and sound for each. */

typedef struct
{
  TwLevel     level;
  guint8      urgency;
  const char *sound;
} LevelCase;

static const LevelCase level_cases[] = {
  { TW_LEVEL_INFO, 1, "message-new-instant" },
  { TW_LEVEL_SUCCESS, 1, "complete" },
  { TW_LEVEL_WARNING, 1, "dialog-warning" },
  { TW_LEVEL_ERROR, 2, "dialog-error" },
  { TW_LEVEL_CRITICAL, 2, "dialog-error" },
};

static void
test_level (gconstpointer data)
{
  const LevelCase *c = data;
  Fixture fx;
  GVariant *call;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body body-markup actions");
  tw_desktop_channel_set_sound (fx.channel, TRUE);
  deliver (&fx, TW_EVENT_MESSAGE, c->level, NULL, "Run <i>resnet</i> & co", "Loss 0.12", NULL);
  wait_for_calls (&fx, 1);

  call = get_call (&fx, 0);
  /* The summary is never markup: it goes out as it came. */
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "Run <i>resnet</i> & co");
  g_assert_cmpstr (tw_test_notify_call_get_body (call), ==, "Loss 0.12");
  g_assert_cmpstr (tw_test_notify_call_get_app_name (call), ==, APP_NAME);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (call), ==, 0);
  g_assert_cmpint (tw_test_notify_call_get_timeout (call), ==, -1);
  g_assert_cmpuint (tw_test_notify_call_get_urgency (call), ==, c->urgency);
  assert_hint_string (call, "sound-name", c->sound);
  assert_no_hint (call, "suppress-sound");
  assert_hint_string (call, "desktop-entry", APP_ID);
  assert_hint_string (call, "category", "x-trainwatch.message");
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (call), ==, 0);
  assert_no_hint (call, "value");

  fixture_tear_down (&fx);
}

static void
test_icon (void)
{
  Fixture fx;
  GVariant *call;
  g_autoptr(GVariant) image_path = NULL;
  g_autoptr(GVariant) legacy_path = NULL;
  const char *app_icon;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  deliver_message (&fx, NULL, "Hello");
  wait_for_calls (&fx, 1);

  /* libnotify sends the icon as the hint its server's specification
   * version calls for, or as app_icon for old servers. */
  call = get_call (&fx, 0);
  app_icon = tw_test_notify_call_get_app_icon (call);
  image_path = tw_test_notify_call_dup_hint (call, "image-path");
  legacy_path = tw_test_notify_call_dup_hint (call, "image_path");
  g_assert_true (g_strcmp0 (app_icon, ICON_NAME) == 0 ||
                 (image_path != NULL &&
                  g_strcmp0 (g_variant_get_string (image_path, NULL), ICON_NAME) == 0) ||
                 (legacy_path != NULL &&
                  g_strcmp0 (g_variant_get_string (legacy_path, NULL), ICON_NAME) == 0));

  fixture_tear_down (&fx);
}

/* Markup. */

static void
test_markup_escaped (void)
{
  Fixture fx;
  GVariant *call;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body body-markup");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "a < b",
           "RuntimeError: <b>bad</b> & \"worse\" 'x'", NULL);
  wait_for_calls (&fx, 1);

  call = get_call (&fx, 0);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "a < b");
  g_assert_cmpstr (tw_test_notify_call_get_body (call), ==,
                   "RuntimeError: &lt;b&gt;bad&lt;/b&gt; &amp; &quot;worse&quot; &apos;x&apos;");

  fixture_tear_down (&fx);
}

static void
test_markup_plain (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "a < b",
           "RuntimeError: <b>bad</b> & \"worse\"", NULL);
  wait_for_calls (&fx, 1);

  g_assert_cmpstr (tw_test_notify_call_get_body (get_call (&fx, 0)), ==,
                   "RuntimeError: <b>bad</b> & \"worse\"");

  fixture_tear_down (&fx);
}

/* Category by kind. */

typedef struct
{
  TwEventKind  kind;
  const char  *category;
} CategoryCase;

static const CategoryCase category_cases[] = {
  { TW_EVENT_RUN_COMPLETED, "transfer.complete" },
  { TW_EVENT_RUN_FAILED, "transfer.error" },
  { TW_EVENT_OUT_OF_MEMORY, "transfer.error" },
  { TW_EVENT_NAN_DETECTED, "transfer.error" },
  { TW_EVENT_PROGRESS, "x-trainwatch.progress" },
  { TW_EVENT_STALLED, "x-trainwatch.stalled" },
  { TW_EVENT_TEST, "x-trainwatch.test" },
};

static void
test_category (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  for (guint i = 0; i < G_N_ELEMENTS (category_cases); i++)
    deliver (&fx, category_cases[i].kind, TW_LEVEL_INFO, NULL,
             tw_event_kind_to_string (category_cases[i].kind), NULL, NULL);
  wait_for_calls (&fx, G_N_ELEMENTS (category_cases));

  for (guint i = 0; i < G_N_ELEMENTS (category_cases); i++)
    {
      GVariant *call = get_call (&fx, i);

      g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==,
                       tw_event_kind_to_string (category_cases[i].kind));
      assert_hint_string (call, "category", category_cases[i].category);
    }

  fixture_tear_down (&fx);
}

/* Sound: off by default, then on, then off again for the same notification. */

static void
test_sound_switch (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  deliver (&fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "run-a", "Quiet", NULL, NULL);
  wait_for_calls (&fx, 1);
  tw_desktop_channel_set_sound (fx.channel, TRUE);
  deliver (&fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "run-a", "Loud", NULL, NULL);
  wait_for_calls (&fx, 2);
  tw_desktop_channel_set_sound (fx.channel, FALSE);
  deliver (&fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "run-a", "Quiet again", NULL, NULL);
  wait_for_calls (&fx, 3);

  for (guint i = 0; i < 3; i++)
    {
      GVariant *call = get_call (&fx, i);
      g_autoptr(GVariant) suppress = tw_test_notify_call_dup_hint (call, "suppress-sound");

      if (i == 1)
        {
          assert_hint_string (call, "sound-name", "complete");
          g_assert_null (suppress);
        }
      else
        {
          assert_no_hint (call, "sound-name");
          g_assert_nonnull (suppress);
          g_assert_true (g_variant_is_of_type (suppress, G_VARIANT_TYPE_BOOLEAN));
          g_assert_true (g_variant_get_boolean (suppress));
        }
    }

  fixture_tear_down (&fx);
}

/* The value hint follows the progress, and goes away with it. */

static void
test_value (void)
{
  Fixture fx;
  const double progress[] = { 0.424, 1.0, -1.0, 0.0 };

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  for (guint i = 0; i < G_N_ELEMENTS (progress); i++)
    {
      g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_PROGRESS, TW_LEVEL_INFO, "run-a",
                                               "Training", NULL);

      tw_event_set_progress (event, progress[i]);
      tw_channel_deliver (TW_CHANNEL (fx.channel), event);
      /* One at a time: queued updates of one job are coalesced. */
      wait_for_calls (&fx, i + 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (progress); i++)
    {
      g_autoptr(GVariant) value = tw_test_notify_call_dup_hint (get_call (&fx, i), "value");
      const gint32 expected[] = { 42, 100, -1, 0 };

      if (expected[i] < 0)
        {
          g_assert_null (value);
          continue;
        }
      g_assert_nonnull (value);
      g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32));
      g_assert_cmpint (g_variant_get_int32 (value), ==, expected[i]);
    }

  fixture_tear_down (&fx);
}

/* One notification per job, updated in place. */

static void
test_job_in_place (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  deliver_message (&fx, "run-a", "a: started");
  wait_for_calls (&fx, 1);
  deliver_message (&fx, "run-a", "a: 50 %");
  wait_for_calls (&fx, 2);
  deliver_message (&fx, "run-b", "b: started");
  wait_for_calls (&fx, 3);
  deliver_message (&fx, "run-a", "a: done");
  wait_for_calls (&fx, 4);

  /* The server numbers notifications from 1. */
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 0)), ==, 0);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 1)), ==, 1);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 2)), ==, 0);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 3)), ==, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (get_call (&fx, 3)), ==, "a: done");

  fixture_tear_down (&fx);
}

static void
test_job_none_separate (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "first", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 1);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "second", NULL, "/tmp/a.log");
  deliver_message (&fx, NULL, "third");
  wait_for_calls (&fx, 3);

  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, i)), ==, 0);
  g_assert_cmpstr (tw_test_notify_call_get_summary (get_call (&fx, 1)), ==, "second");
  g_assert_cmpstr (tw_test_notify_call_get_summary (get_call (&fx, 2)), ==, "third");

  fixture_tear_down (&fx);
}

/* A notification the user closed is not replaced: the next one is new. */
static void
test_job_closed (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-a", "first", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 1);
  /* The signal is queued for the worker before this returns, so it is
   * handled before the next delivery. */
  tw_test_notifyd_emit_closed (fx.notifyd, 1, 2);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-a", "second", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 2);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-a", "third", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 3);

  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 1)), ==, 0);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, 2)), ==, 2);

  fixture_tear_down (&fx);
}

/* Actions. */

static void
test_actions_applicable (void)
{
  Fixture fx;
  GVariant *call;
  g_autofree char *snooze = NULL;
  g_autofree char *open = NULL;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "job and log", NULL, "/tmp/a.log");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-b", "job only", NULL, NULL);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "log only", NULL, "/tmp/c.log");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "neither", NULL, NULL);
  wait_for_calls (&fx, 4);

  call = get_call (&fx, 0);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "job and log");
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (call), ==, 3);
  open = tw_test_notify_call_dup_action_label (call, "open-log");
  g_assert_cmpstr (open, ==, "Open log");
  g_assert_true (tw_test_notify_call_has_action (call, "default"));
  snooze = tw_test_notify_call_dup_action_label (call, "snooze");
  g_assert_cmpstr (snooze, ==, "Snooze 1 hour");

  call = get_call (&fx, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "job only");
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (call), ==, 1);
  g_assert_true (tw_test_notify_call_has_action (call, "snooze"));

  call = get_call (&fx, 2);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "log only");
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (call), ==, 2);
  g_assert_true (tw_test_notify_call_has_action (call, "default"));
  g_assert_true (tw_test_notify_call_has_action (call, "open-log"));

  call = get_call (&fx, 3);
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (call), ==, 0);

  fixture_tear_down (&fx);
}

static void
test_actions_snooze_label (void)
{
  const struct { guint minutes; const char *label; } cases[] = {
    { 30, "Snooze 30 minutes" },
    { 1, "Snooze 1 minute" },
    { 120, "Snooze 2 hours" },
    { 90, "Snooze 90 minutes" },
    { 0, NULL },
  };
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = NULL;

      tw_desktop_channel_set_snooze_minutes (fx.channel, cases[i].minutes);
      deliver_message (&fx, "run-a", "Training");
      wait_for_calls (&fx, i + 1);
      label = tw_test_notify_call_dup_action_label (get_call (&fx, i), "snooze");
      g_assert_cmpstr (label, ==, cases[i].label);
    }

  fixture_tear_down (&fx);
}

static void
test_actions_no_capability (void)
{
  Fixture fx;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body body-markup");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "job and log", NULL, "/tmp/a.log");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "log only", NULL, "/tmp/c.log");
  wait_for_calls (&fx, 2);

  g_assert_cmpuint (tw_test_notify_call_get_n_actions (get_call (&fx, 0)), ==, 0);
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (get_call (&fx, 1)), ==, 0);

  fixture_tear_down (&fx);
}

typedef struct
{
  GThread *thread;
  char    *job;
  char    *action;
  guint    count;
} ActionRecord;

static void
channel_action_invoked_cb (TwDesktopChannel *channel,
                           const char       *job,
                           const char       *action,
                           ActionRecord     *record)
{
  record->thread = g_thread_self ();
  g_free (record->job);
  record->job = g_strdup (job);
  g_free (record->action);
  record->action = g_strdup (action);
  record->count++;
}

static gboolean
action_count_cond (gpointer data)
{
  ActionRecord *record = data;

  return record->count > 0;
}

static void
expect_action (Fixture      *fx,
               ActionRecord *record,
               guint32       id,
               const char   *key,
               const char   *job,
               const char   *action)
{
  record->count = 0;
  tw_test_notifyd_emit_action (fx->notifyd, id, key);
  g_assert_true (tw_test_wait_until (action_count_cond, record, WAIT_MSEC));

  g_assert_true (record->thread == g_thread_self ());
  g_assert_cmpstr (record->job, ==, job);
  g_assert_cmpstr (record->action, ==, action);

  /* Exactly once. */
  tw_test_iterate_for (100);
  g_assert_cmpuint (record->count, ==, 1);
}

static void
test_actions_round_trip (void)
{
  Fixture fx;
  ActionRecord record = { 0 };

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  g_signal_connect (fx.channel, "action-invoked", G_CALLBACK (channel_action_invoked_cb),
                    &record);
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "Failed", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 1);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "Note", NULL, "/tmp/b.log");
  wait_for_calls (&fx, 2);

  expect_action (&fx, &record, 1, "snooze", "run-a", "snooze");
  expect_action (&fx, &record, 1, "open-log", "run-a", "open-log");
  expect_action (&fx, &record, 1, "default", "run-a", "open-log");
  expect_action (&fx, &record, 2, "default", NULL, "open-log");

  /* Updated in place, the notification still answers. */
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-a", "Failed again", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 3);
  expect_action (&fx, &record, 1, "snooze", "run-a", "snooze");

  g_free (record.job);
  g_free (record.action);
  fixture_tear_down (&fx);
}

/* A stopped server: deliver() returns, the main context runs on, and the
 * newest event of the job is sent once the server wakes up. */

static gboolean
tick_cb (gpointer data)
{
  guint *ticks = data;

  (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
ticks_cond (gpointer data)
{
  guint *ticks = data;

  return *ticks >= 10;
}

static gboolean
last_summary_is_step_3_cond (gpointer data)
{
  Fixture *fx = data;
  GVariant *last;

  g_clear_pointer (&fx->calls, g_ptr_array_unref);
  fx->calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  if (fx->calls->len == 0)
    return FALSE;

  last = g_ptr_array_index (fx->calls, fx->calls->len - 1);
  return g_strcmp0 (tw_test_notify_call_get_summary (last), "step 3") == 0 &&
         tw_desktop_channel_get_pending (fx->channel) == 0;
}

static void
test_stopped_server (void)
{
  Fixture fx;
  guint ticks = 0;
  guint tick_id;
  guint pending;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  deliver_message (&fx, "run-a", "step 0");
  wait_for_calls (&fx, 1);

  tw_test_notifyd_pause (fx.notifyd);
  deliver_message (&fx, "run-a", "step 1");
  deliver_message (&fx, "run-a", "step 2");
  deliver_message (&fx, "run-a", "step 3");

  /* "step 1" is in flight or was replaced while queued; "step 2" was. */
  pending = tw_desktop_channel_get_pending (fx.channel);
  g_assert_cmpuint (pending, >=, 1);
  g_assert_cmpuint (pending, <=, 2);

  tick_id = g_timeout_add (10, tick_cb, &ticks);
  g_assert_true (tw_test_wait_until (ticks_cond, &ticks, WAIT_MSEC));
  g_source_remove (tick_id);
  g_assert_cmpuint (tw_desktop_channel_get_pending (fx.channel), >=, 1);
  g_assert_cmpint (get_status_int (fx.channel, "sent"), ==, 1);

  tw_test_notifyd_resume (fx.notifyd);
  g_assert_true (tw_test_wait_until (last_summary_is_step_3_cond, &fx, WAIT_MSEC));

  assert_calls_contain_summary (&fx, "step 2", FALSE);
  g_assert_cmpuint (fx.calls->len, <=, 3);
  for (guint i = 1; i < fx.calls->len; i++)
    g_assert_cmpuint (tw_test_notify_call_get_replaces_id (get_call (&fx, i)), ==, 1);
  g_assert_cmpint (get_status_int (fx.channel, "coalesced"), >=, 1);
  g_assert_cmpint (get_status_int (fx.channel, "failed"), ==, 0);

  fixture_tear_down (&fx);
}

/* A stopped server cannot grow the queue without bound, and critical
 * events are the last to be dropped. */
static void
test_stopped_server_bounded (void)
{
  Fixture fx;
  gint64 dropped, pending;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  wait_for_availability (fx.channel, TRUE, NULL);

  tw_test_notifyd_pause (fx.notifyd);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *title = g_strdup_printf ("critical %u", i);

      deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_CRITICAL, NULL, title, NULL, NULL);
    }
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *title = g_strdup_printf ("info %u", i);

      deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, title, NULL, NULL);
    }

  pending = get_status_int (fx.channel, "pending");
  dropped = get_status_int (fx.channel, "dropped");
  g_assert_cmpint (pending, <=, 65);
  g_assert_cmpint (pending + dropped, ==, 110);
  g_assert_cmpint (get_status_int (fx.channel, "sent"), ==, 0);

  tw_test_notifyd_resume (fx.notifyd);
  wait_until_idle (&fx);
  wait_for_calls (&fx, (guint) pending);
  g_assert_cmpuint (fx.calls->len, ==, (guint) pending);
  g_assert_cmpint (get_status_int (fx.channel, "sent"), ==, pending);

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *title = g_strdup_printf ("critical %u", i);

      assert_calls_contain_summary (&fx, title, TRUE);
    }
  /* The newest survive. */
  assert_calls_contain_summary (&fx, "info 99", TRUE);

  fixture_tear_down (&fx);
}

/* Disposing the channel while its worker hangs in a call to a stopped
 * server returns, and a channel made afterwards works once the old worker
 * is done. */
static void
test_stopped_server_dispose (void)
{
  Fixture fx = { 0 };

  if (run_in_subprocess ())
    return;

  fx.bus = tw_test_bus_new ();
  tw_test_bus_up (fx.bus);
  fx.notifyd = tw_test_notifyd_start ("body");
  /* Stopped before the channel exists, its worker is sure to hang in its
   * first question to the server. */
  tw_test_notifyd_pause (fx.notifyd);
  fx.channel = tw_desktop_channel_new (APP_NAME, ICON_NAME);
  deliver_message (&fx, "run-a", "stuck");
  g_assert_cmpuint (tw_desktop_channel_get_pending (fx.channel), ==, 1);

  /* Returns after a short wait, leaving the stuck thread behind. */
  g_assert_finalize_object (g_steal_pointer (&fx.channel));

  fx.channel = tw_desktop_channel_new (APP_NAME, ICON_NAME);
  deliver_message (&fx, "run-b", "after");
  tw_test_notifyd_resume (fx.notifyd);
  wait_for_availability (fx.channel, TRUE, NULL);
  wait_for_calls (&fx, 1);
  wait_until_idle (&fx);
  g_assert_cmpuint (fx.calls->len, ==, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (get_call (&fx, 0)), ==, "after");

  fixture_tear_down (&fx);
}

/* No server at all; then one appears. */

static gboolean
failed_once_cond (gpointer data)
{
  Fixture *fx = data;

  return get_status_int (fx->channel, "failed") >= 1 &&
         tw_desktop_channel_get_pending (fx->channel) == 0;
}

static void
test_no_server (void)
{
  Fixture fx;
  g_autoptr(JsonObject) status = NULL;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, NULL);
  wait_for_availability (fx.channel, FALSE, NULL);
  g_assert_false (tw_channel_is_available (TW_CHANNEL (fx.channel)));

  deliver_message (&fx, "run-a", "Nobody listens");
  g_assert_true (tw_test_wait_until (failed_once_cond, &fx, WAIT_MSEC));

  status = dup_status (fx.channel);
  g_assert_false (json_object_get_boolean_member (status, "available"));
  g_assert_true (json_object_get_null_member (status, "server"));
  g_assert_cmpstr (json_object_get_string_member (status, "last-error"), ==,
                   "No notification server on the session bus");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (status, "capabilities")),
                    ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "sent"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "failed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (status, "pending"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "dropped"), ==, 0);

  /* A server that starts later is noticed without a delivery. */
  fx.notifyd = tw_test_notifyd_start ("body actions");
  wait_for_availability (fx.channel, TRUE, "actions");
  g_assert_true (tw_channel_is_available (TW_CHANNEL (fx.channel)));
  deliver_message (&fx, "run-a", "Now someone does");
  wait_for_calls (&fx, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (get_call (&fx, 0)), ==, "Now someone does");

  fixture_tear_down (&fx);
}

/* A server that goes away and comes back with other capabilities. */
static void
test_server_restart (void)
{
  Fixture fx;
  GVariant *call;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-a", "before", NULL, "/tmp/a.log");
  wait_for_calls (&fx, 1);
  g_assert_cmpuint (tw_test_notify_call_get_n_actions (get_call (&fx, 0)), ==, 0);

  g_clear_pointer (&fx.notifyd, tw_test_notifyd_stop);
  wait_for_availability (fx.channel, FALSE, NULL);

  fx.notifyd = tw_test_notifyd_start ("body body-markup actions");
  wait_for_availability (fx.channel, TRUE, "actions");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-a", "after <3", NULL, "/tmp/a.log");
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, "run-b", "other", "x < y", "/tmp/b.log");
  wait_for_calls (&fx, 2);

  call = get_call (&fx, 0);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "after <3");
  /* The old server's id means nothing to the new one. */
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (call), ==, 0);
  g_assert_true (tw_test_notify_call_has_action (call, "snooze"));
  g_assert_cmpstr (tw_test_notify_call_get_body (get_call (&fx, 1)), ==, "x &lt; y");

  fixture_tear_down (&fx);
}

/* Untrusted text: invalid UTF-8 repaired, long text cut on a character
 * boundary. */

static void
assert_valid_and_capped (const char *text,
                         gsize       max_bytes)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (strlen (text), <=, max_bytes);
  g_assert_cmpuint (strlen (text), >, max_bytes - 8);
  g_assert_true (g_str_has_suffix (text, "…"));
}

static void
test_untrusted_text (void)
{
  Fixture fx;
  GString *long_title;
  GString *long_body;
  GVariant *call;

  if (run_in_subprocess ())
    return;

  long_title = g_string_new (NULL);
  long_body = g_string_new (NULL);
  for (guint i = 0; i < 200; i++)
    g_string_append (long_title, "é");
  for (guint i = 0; i < 3000; i++)
    g_string_append (long_body, "€<");

  fixture_set_up (&fx, "body body-markup");
  deliver (&fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "run-\xff", "bad \xc3 title",
           "loss \xff\xfe <nan>\n\x01", NULL);
  deliver (&fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, long_title->str, long_body->str, NULL);
  wait_for_calls (&fx, 2);

  call = get_call (&fx, 0);
  g_assert_true (g_utf8_validate (tw_test_notify_call_get_summary (call), -1, NULL));
  g_assert_true (g_utf8_validate (tw_test_notify_call_get_body (call), -1, NULL));
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "bad " REPLACEMENT_CHAR " title");
  g_assert_cmpstr (tw_test_notify_call_get_body (call), ==,
                   "loss " REPLACEMENT_CHAR REPLACEMENT_CHAR " &lt;nan&gt;\n&#x1;");

  call = get_call (&fx, 1);
  assert_valid_and_capped (tw_test_notify_call_get_summary (call), 256);
  /* The body is cut before it is escaped, so entities stay whole. */
  g_assert_true (g_utf8_validate (tw_test_notify_call_get_body (call), -1, NULL));
  g_assert_true (g_str_has_suffix (tw_test_notify_call_get_body (call), "…"));
  g_assert_null (strstr (tw_test_notify_call_get_body (call), "<"));
  g_assert_cmpuint (strlen (tw_test_notify_call_get_body (call)), <=, 4096 * 4);

  g_string_free (long_title, TRUE);
  g_string_free (long_body, TRUE);
  fixture_tear_down (&fx);
}

static void
test_status (void)
{
  Fixture fx;
  g_autoptr(JsonObject) status = NULL;
  JsonArray *caps;

  if (run_in_subprocess ())
    return;

  fixture_set_up (&fx, "body actions");
  g_assert_cmpstr (tw_channel_get_id (TW_CHANNEL (fx.channel)), ==, "desktop");
  deliver_message (&fx, "run-a", "Hello");
  wait_for_calls (&fx, 1);
  wait_until_idle (&fx);
  wait_for_availability (fx.channel, TRUE, NULL);

  status = dup_status (fx.channel);
  g_assert_true (json_object_get_boolean_member (status, "available"));
  g_assert_cmpstr (json_object_get_string_member (status, "server"), ==, "mock-notify 1.0");
  caps = json_object_get_array_member (status, "capabilities");
  g_assert_cmpuint (json_array_get_length (caps), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (caps, 0), ==, "body");
  g_assert_cmpstr (json_array_get_string_element (caps, 1), ==, "actions");
  g_assert_cmpint (json_object_get_int_member (status, "sent"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (status, "failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "dropped"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (status, "pending"), ==, 0);
  g_assert_true (json_object_get_null_member (status, "last-error"));
  g_assert_true (tw_channel_is_available (TW_CHANNEL (fx.channel)));

  fixture_tear_down (&fx);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (level_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/desktop-channel/level/%s",
                                               tw_level_to_string (level_cases[i].level));

      g_test_add_data_func (path, &level_cases[i], test_level);
    }
  g_test_add_func ("/desktop-channel/icon", test_icon);
  g_test_add_func ("/desktop-channel/markup/escaped", test_markup_escaped);
  g_test_add_func ("/desktop-channel/markup/plain", test_markup_plain);
  g_test_add_func ("/desktop-channel/hints/category", test_category);
  g_test_add_func ("/desktop-channel/hints/sound", test_sound_switch);
  g_test_add_func ("/desktop-channel/hints/value", test_value);
  g_test_add_func ("/desktop-channel/job/in-place", test_job_in_place);
  g_test_add_func ("/desktop-channel/job/none-separate", test_job_none_separate);
  g_test_add_func ("/desktop-channel/job/closed", test_job_closed);
  g_test_add_func ("/desktop-channel/actions/applicable", test_actions_applicable);
  g_test_add_func ("/desktop-channel/actions/snooze-label", test_actions_snooze_label);
  g_test_add_func ("/desktop-channel/actions/no-capability", test_actions_no_capability);
  g_test_add_func ("/desktop-channel/actions/round-trip", test_actions_round_trip);
  g_test_add_func ("/desktop-channel/stopped-server/coalesced", test_stopped_server);
  g_test_add_func ("/desktop-channel/stopped-server/bounded", test_stopped_server_bounded);
  g_test_add_func ("/desktop-channel/stopped-server/dispose", test_stopped_server_dispose);
  g_test_add_func ("/desktop-channel/no-server", test_no_server);
  g_test_add_func ("/desktop-channel/server-restart", test_server_restart);
  g_test_add_func ("/desktop-channel/untrusted-text", test_untrusted_text);
  g_test_add_func ("/desktop-channel/status", test_status);

  return g_test_run ();
}
