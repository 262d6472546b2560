/* test-router.c — which channels hear about an event
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tw-router.h"

/* A channel that keeps what it is given: the router's only collaborator. */
#define TEST_TYPE_CHANNEL (test_channel_get_type ())
G_DECLARE_FINAL_TYPE (TestChannel, test_channel, TEST, CHANNEL, GObject)

struct _TestChannel
{
  GObject    parent_instance;
  char      *id;
  GPtrArray *received;
};

static void test_channel_iface_init (TwChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestChannel, test_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TW_TYPE_CHANNEL, test_channel_iface_init))

static const char *
test_channel_get_id (TwChannel *channel)
{
  return TEST_CHANNEL (channel)->id;
}

static void
test_channel_deliver (TwChannel *channel,
                      TwEvent   *event)
{
  g_ptr_array_add (TEST_CHANNEL (channel)->received, g_object_ref (event));
}

static void
test_channel_iface_init (TwChannelInterface *iface)
{
  iface->get_id = test_channel_get_id;
  iface->deliver = test_channel_deliver;
}

static void
test_channel_finalize (GObject *object)
{
  TestChannel *self = TEST_CHANNEL (object);

  g_free (self->id);
  g_ptr_array_unref (self->received);
  G_OBJECT_CLASS (test_channel_parent_class)->finalize (object);
}

static void
test_channel_class_init (TestChannelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_channel_finalize;
}

static void
test_channel_init (TestChannel *self)
{
  self->received = g_ptr_array_new_with_free_func (g_object_unref);
}

static TestChannel *
test_channel_new (const char *id)
{
  TestChannel *self = g_object_new (TEST_TYPE_CHANNEL, NULL);

  self->id = g_strdup (id);
  return self;
}

typedef struct
{
  TwRouter    *router;
  TestChannel *desktop;
  TestChannel *slack;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->router = tw_router_new ();
  fx->desktop = test_channel_new ("desktop");
  fx->slack = test_channel_new ("slack");
  tw_router_add_channel (fx->router, TW_CHANNEL (fx->desktop));
  tw_router_add_channel (fx->router, TW_CHANNEL (fx->slack));
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_assert_finalize_object (fx->router);
  g_assert_finalize_object (fx->desktop);
  g_assert_finalize_object (fx->slack);
}

static void
test_all_hear_by_default (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "hi", NULL);
  g_autoptr(GPtrArray) delivered = tw_router_route (fx->router, event, NULL, 0);

  g_assert_cmpuint (delivered->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (delivered, 0), ==, "desktop");
  g_assert_cmpstr (g_ptr_array_index (delivered, 1), ==, "slack");
  g_assert_cmpuint (fx->desktop->received->len, ==, 1);
  g_assert_true (g_ptr_array_index (fx->desktop->received, 0) == event);
  g_assert_cmpuint (fx->slack->received->len, ==, 1);
}

static void
test_switched_off (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_CRITICAL, NULL, "x", NULL);
  g_autoptr(GPtrArray) delivered = NULL;

  tw_router_set_channel_enabled (fx->router, "desktop", FALSE);
  delivered = tw_router_route (fx->router, event, NULL, 0);
  g_assert_cmpuint (delivered->len, ==, 1);
  g_assert_cmpuint (fx->desktop->received->len, ==, 0);
  g_assert_cmpuint (fx->slack->received->len, ==, 1);
}

/* Each channel hears the kinds of event its list names; tests reach all. */
static void
test_kinds (Fixture       *fx,
            gconstpointer  data)
{
  static const TwEventKind kinds[] = { TW_EVENT_PROGRESS, TW_EVENT_RUN_FAILED, TW_EVENT_TEST };
  static const guint n_slack[] = { 0, 1, 2 };
  static const guint n_desktop[] = { 1, 1, 2 };

  tw_router_set_kinds (fx->router, "slack", 1u << TW_EVENT_RUN_FAILED);
  tw_router_set_kinds (fx->router, "desktop", 1u << TW_EVENT_PROGRESS);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(TwEvent) event = tw_event_new (kinds[i], TW_LEVEL_INFO, "resnet50", "x", NULL);

      g_ptr_array_unref (tw_router_route (fx->router, event, NULL, 0));
      g_assert_cmpuint (fx->slack->received->len, ==, n_slack[i]);
      g_assert_cmpuint (fx->desktop->received->len, ==, n_desktop[i]);
    }

  /* switched off beats a test */
  tw_router_set_channel_enabled (fx->router, "slack", FALSE);
  {
    g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_TEST, TW_LEVEL_INFO, NULL, "x", NULL);

    g_ptr_array_unref (tw_router_route (fx->router, event, NULL, 0));
    g_assert_cmpuint (fx->slack->received->len, ==, 2);
  }
}

typedef struct
{
  TwLevel  min_level;
  TwLevel  level;
  gboolean heard;
} LevelCase;

static const LevelCase level_cases[] = {
  { TW_LEVEL_INFO, TW_LEVEL_INFO, TRUE },
  { TW_LEVEL_WARNING, TW_LEVEL_SUCCESS, FALSE },
  { TW_LEVEL_WARNING, TW_LEVEL_WARNING, TRUE },
  { TW_LEVEL_WARNING, TW_LEVEL_CRITICAL, TRUE },
  { TW_LEVEL_CRITICAL, TW_LEVEL_ERROR, FALSE },
};

static void
test_min_level (Fixture       *fx,
                gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (level_cases); i++)
    {
      const LevelCase *c = &level_cases[i];
      g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, c->level, NULL, "x", NULL);
      g_autoptr(GPtrArray) delivered = NULL;
      guint before = fx->desktop->received->len;

      tw_router_set_min_level (fx->router, "desktop", c->min_level);
      delivered = tw_router_route (fx->router, event, NULL, 0);
      g_assert_cmpuint (fx->desktop->received->len - before, ==, c->heard ? 1 : 0);
    }
  /* The other channel kept its own threshold. */
  g_assert_cmpuint (fx->slack->received->len, ==, G_N_ELEMENTS (level_cases));
}

static void
test_snoozed_job (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(TwJob) job = tw_job_new ("resnet", NULL);
  g_autoptr(TwEvent) info = tw_event_new (TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet", "50 %", NULL);
  g_autoptr(TwEvent) failure = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "resnet", "failed", NULL);
  g_autoptr(GPtrArray) d1 = NULL;
  g_autoptr(GPtrArray) d2 = NULL;
  g_autoptr(GPtrArray) d3 = NULL;
  gint64 now = G_GINT64_CONSTANT (1000000000) * G_USEC_PER_SEC;

  tw_job_snooze (job, now + 60 * G_USEC_PER_SEC);

  d1 = tw_router_route (fx->router, info, job, now);
  g_assert_cmpuint (fx->desktop->received->len, ==, 0);   /* quiet on the desktop */
  g_assert_cmpuint (fx->slack->received->len, ==, 1);     /* snooze is a desktop matter */

  d2 = tw_router_route (fx->router, failure, job, now);
  g_assert_cmpuint (fx->desktop->received->len, ==, 1);   /* failures still show */

  d3 = tw_router_route (fx->router, info, job, now + 61 * G_USEC_PER_SEC);
  g_assert_cmpuint (fx->desktop->received->len, ==, 2);   /* the snooze ended */
}

/* Routes an event of @kind at @level for @job and returns how many channels got it. */
static guint
route (Fixture     *fx,
       TwEventKind  kind,
       TwLevel      level,
       const char  *job,
       const char  *title)
{
  g_autoptr(TwEvent) event = tw_event_new (kind, level, job, title, NULL);
  g_autoptr(GPtrArray) delivered = NULL;

  delivered = tw_router_route (fx->router, event, NULL, tw_event_get_time (event));

  return delivered->len;
}

static TwEvent *
last_received (TestChannel *channel)
{
  g_assert_cmpuint (channel->received->len, >, 0);
  return g_ptr_array_index (channel->received, channel->received->len - 1);
}

static void
count_cb (TwRouter *router,
          guint    *n)
{
  (*n)++;
}

static void
test_dnd_holds_desktop (Fixture       *fx,
                        gconstpointer  data)
{
  TwEvent *summary;
  guint held_changed = 0;

  g_signal_connect (fx->router, "held-changed", G_CALLBACK (count_cb), &held_changed);
  tw_router_set_dnd_active (fx->router, TRUE);
  g_assert_true (tw_router_get_dnd_active (fx->router));

  /* non-critical: held from the desktop; forwarding is not held by default */
  g_assert_cmpuint (route (fx, TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet", "50 %"), ==, 1);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "resnet", "Done"), ==, 1);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "bert", "Done"), ==, 1);
  g_assert_cmpuint (fx->desktop->received->len, ==, 0);
  g_assert_cmpuint (fx->slack->received->len, ==, 3);
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 3);

  /* critical ones show */
  g_assert_cmpuint (route (fx, TW_EVENT_OUT_OF_MEMORY, TW_LEVEL_CRITICAL, "vit", "OOM"), ==, 2);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "gpt", "Run failed"), ==, 2);
  g_assert_cmpuint (fx->desktop->received->len, ==, 2);
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 3);
  g_assert_cmpuint (held_changed, ==, 5);

  /* the end: one summary, nothing replayed */
  tw_router_set_dnd_active (fx->router, FALSE);
  g_assert_cmpuint (fx->desktop->received->len, ==, 2);
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 1);
  g_assert_cmpuint (held_changed, ==, 6);
  g_assert_cmpuint (fx->desktop->received->len, ==, 3);
  g_assert_cmpuint (fx->slack->received->len, ==, 5);
  summary = last_received (fx->desktop);
  g_assert_cmpstr (tw_event_get_title (summary), ==, "While notifications were paused");
  g_assert_cmpstr (tw_event_get_body (summary), ==,
                   "2 runs failed: vit, gpt\n2 runs finished: resnet, bert\n1 other notification");
  g_assert_null (tw_event_get_job (summary));
  g_assert_cmpint (tw_event_get_level (summary), ==, TW_LEVEL_INFO);
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 0);

  /* once only */
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 0);
  g_assert_cmpuint (route (fx, TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet", "75 %"), ==, 2);
}

static void
test_dnd_critical_held (Fixture       *fx,
                        gconstpointer  data)
{
  TwEvent *summary;

  tw_router_set_critical_passes_dnd (fx->router, FALSE);
  tw_router_set_dnd_active (fx->router, TRUE);
  g_assert_cmpuint (route (fx, TW_EVENT_NAN_DETECTED, TW_LEVEL_CRITICAL, "resnet", "NaN"), ==, 1);
  g_assert_cmpuint (fx->desktop->received->len, ==, 0);
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 1);

  tw_router_set_dnd_active (fx->router, FALSE);
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 1);
  summary = last_received (fx->desktop);
  g_assert_cmpstr (tw_event_get_body (summary), ==, "1 run failed: resnet");
  /* a failure nobody has seen yet: the summary stays on screen */
  g_assert_cmpint (tw_event_get_level (summary), ==, TW_LEVEL_ERROR);
}

static void
test_dnd_nothing_held (Fixture       *fx,
                       gconstpointer  data)
{
  tw_router_set_dnd_active (fx->router, TRUE);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "resnet", "Run failed"), ==, 2);
  tw_router_set_dnd_active (fx->router, FALSE);

  /* the failure was seen: no summary for it alone */
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 0);
  g_assert_cmpuint (fx->desktop->received->len, ==, 1);
}

static void
test_dnd_other_rules_first (Fixture       *fx,
                            gconstpointer  data)
{
  tw_router_set_dnd_active (fx->router, TRUE);

  /* what the desktop would not have shown anyway is not held */
  tw_router_set_min_level (fx->router, "desktop", TW_LEVEL_WARNING);
  route (fx, TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet", "50 %");
  tw_router_set_min_level (fx->router, "desktop", TW_LEVEL_INFO);
  tw_router_set_channel_enabled (fx->router, "desktop", FALSE);
  route (fx, TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet", "75 %");
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 0);
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 0);
}

static void
test_dnd_forwarding_held (Fixture       *fx,
                          gconstpointer  data)
{
  tw_router_set_hold_during_dnd (fx->router, "slack", TRUE);
  tw_router_set_dnd_active (fx->router, TRUE);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_STARTED, TW_LEVEL_INFO, "resnet", "Started"), ==, 0);
  g_assert_cmpuint (route (fx, TW_EVENT_STALLED, TW_LEVEL_WARNING, "resnet", "Run stalled"), ==, 0);
  g_assert_cmpuint (route (fx, TW_EVENT_RUN_STOPPED, TW_LEVEL_ERROR, "bert", "Run killed"), ==, 2);
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 4);

  tw_router_set_dnd_active (fx->router, FALSE);
  g_assert_cmpuint (tw_router_release_held (fx->router), ==, 2);
  g_assert_cmpstr (tw_event_get_body (last_received (fx->slack)), ==,
                   "1 run was stopped: bert\n1 run stalled: resnet\n1 run started: resnet");
  g_assert_cmpstr (tw_event_get_body (last_received (fx->desktop)), ==,
                   tw_event_get_body (last_received (fx->slack)));
}

static void
test_dnd_summary_names (Fixture       *fx,
                        gconstpointer  data)
{
  const char *names[] = { "a", "b", "a", "c", "d", "e" };

  tw_router_set_dnd_active (fx->router, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    route (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, names[i], "Run completed");
  route (fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "hello");
  route (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, NULL, "no run");

  tw_router_release_held (fx->router);
  g_assert_cmpstr (tw_event_get_body (last_received (fx->desktop)), ==,
                   "7 runs finished: a, b, c, …\n1 other notification");
}

static void
test_dnd_held_saved (Fixture       *fx,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "trainwatch", "held.json",
                                            NULL);
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();

  /* nothing held: no file, and loading none is fine */
  g_assert_true (tw_router_save_held (fx->router, path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (tw_router_load_held (fx->router, path, now, &error));
  g_assert_no_error (error);

  tw_router_set_dnd_active (fx->router, TRUE);
  route (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "resnet", "Run completed");
  route (fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "bert", "Run failed");
  g_assert_true (tw_router_save_held (fx->router, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  {
    g_autoptr(TwRouter) again = tw_router_new ();
    g_autoptr(TestChannel) desktop = test_channel_new ("desktop");
    g_autoptr(TestChannel) slack = test_channel_new ("slack");

    tw_router_add_channel (again, TW_CHANNEL (desktop));
    tw_router_add_channel (again, TW_CHANNEL (slack));
    g_assert_true (tw_router_load_held (again, path, now, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (tw_router_get_n_held (again), ==, 1);
    g_assert_cmpuint (tw_router_release_held (again), ==, 1);
    g_assert_cmpstr (tw_event_get_body (last_received (desktop)), ==,
                     "1 run failed: bert\n1 run finished: resnet");

    /* a day and more later, the counts are stale */
    g_assert_true (tw_router_load_held (again, path, now + 25 * G_TIME_SPAN_HOUR, &error));
    g_assert_cmpuint (tw_router_get_n_held (again), ==, 0);

    g_assert_true (tw_router_save_held (again, path, &error));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

    g_clear_object (&again);
  }
}

static const char * const bad_held_files[] = {
  "",
  "not json",
  "[]",
  "{\"desktop\": []}",
  "{\"desktop\": {\"since\": 1, \"held\": 1}}",
  "{\"desktop\": {\"since\": 1, \"held\": -1, \"max_level\": \"info\"}}",
  "{\"desktop\": {\"since\": 1, \"held\": 1, \"max_level\": \"loud\"}}",
  "{\"desktop\": {\"since\": 1, \"held\": 1, \"max_level\": \"info\", "
  "\"finished\": {\"count\": 1}}}",
  "{\"desktop\": {\"since\": 1, \"held\": 1, \"max_level\": \"info\", "
  "\"finished\": {\"count\": 1, \"names\": [2], \"more\": false}}}",
};

static void
test_dnd_held_file_invalid (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "held.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (bad_held_files); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (g_file_set_contents (path, bad_held_files[i], -1, NULL));
      g_assert_false (tw_router_load_held (fx->router, path, 0, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 0);
    }

  /* a channel that does not follow DND (any more) has nothing to load */
  g_assert_true (g_file_set_contents (path,
                                     "{\"slack\": {\"since\": 1, \"held\": 1, "
                                     "\"max_level\": \"info\"}, \"gone\": {}}",
                                     -1, NULL));
  g_assert_true (tw_router_load_held (fx->router, path, 0, NULL));
  g_assert_cmpuint (tw_router_get_n_held (fx->router), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/router/all-hear-by-default", Fixture, NULL, fixture_setup, test_all_hear_by_default,
              fixture_teardown);
  g_test_add ("/router/switched-off", Fixture, NULL, fixture_setup, test_switched_off, fixture_teardown);
  g_test_add ("/router/kinds", Fixture, NULL, fixture_setup, test_kinds, fixture_teardown);
  g_test_add ("/router/min-level", Fixture, NULL, fixture_setup, test_min_level, fixture_teardown);
  g_test_add ("/router/snoozed-job", Fixture, NULL, fixture_setup, test_snoozed_job, fixture_teardown);
  g_test_add ("/router/dnd/holds-desktop", Fixture, NULL, fixture_setup, test_dnd_holds_desktop,
              fixture_teardown);
  g_test_add ("/router/dnd/critical-held", Fixture, NULL, fixture_setup, test_dnd_critical_held,
              fixture_teardown);
  g_test_add ("/router/dnd/nothing-held", Fixture, NULL, fixture_setup, test_dnd_nothing_held,
              fixture_teardown);
  g_test_add ("/router/dnd/other-rules-first", Fixture, NULL, fixture_setup,
              test_dnd_other_rules_first, fixture_teardown);
  g_test_add ("/router/dnd/forwarding-held", Fixture, NULL, fixture_setup, test_dnd_forwarding_held,
              fixture_teardown);
  g_test_add ("/router/dnd/summary-names", Fixture, NULL, fixture_setup, test_dnd_summary_names,
              fixture_teardown);
  g_test_add ("/router/dnd/held-saved", Fixture, NULL, fixture_setup, test_dnd_held_saved,
              fixture_teardown);
  g_test_add ("/router/dnd/held-file-invalid", Fixture, NULL, fixture_setup,
              test_dnd_held_file_invalid, fixture_teardown);

  return g_test_run ();
}
