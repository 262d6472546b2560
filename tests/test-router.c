/* test-router.c — which channels hear about an event
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>

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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/router/all-hear-by-default", Fixture, NULL, fixture_setup, test_all_hear_by_default,
              fixture_teardown);
  g_test_add ("/router/switched-off", Fixture, NULL, fixture_setup, test_switched_off, fixture_teardown);
  g_test_add ("/router/min-level", Fixture, NULL, fixture_setup, test_min_level, fixture_teardown);
  g_test_add ("/router/snoozed-job", Fixture, NULL, fixture_setup, test_snoozed_job, fixture_teardown);

  return g_test_run ();
}
