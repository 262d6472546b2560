/* test-overview.c — the overall state from the runs: a table of cases, then real jobs and events
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <math.h>

#include "tw-inotify.h"
#include "tw-job.h"
#include "tw-overview.h"
#include "tw-test-util.h"

#define RUNNING   TW_RUN_RUNNING
#define STALLED   TW_RUN_STALLED
#define WAITING   TW_RUN_WAITING
#define COMPLETED TW_RUN_COMPLETED
#define FAILED    TW_RUN_FAILED
#define STOPPED   TW_RUN_STOPPED

typedef struct
{
  const char        *name;
  TwOverviewRun      runs[4];
  guint              n_runs;
  TwOverviewFailure  newest;
  guint              n_unseen;
  TwOverviewStatus   status;
  guint              running;
  double             progress;
  const char        *label;
  const char        *tooltip;
} StateCase;

static const StateCase state_cases[] = {
  { "nothing", { { 0 } }, 0, { 0 }, 0, TW_OVERVIEW_IDLE, 0, -1, "", "No runs in progress" },
  { "waiting-and-over",
    { { "a", WAITING, -1, -1 }, { "b", COMPLETED, 1.0, -1 }, { "c", FAILED, 0.3, -1 },
      { "d", STOPPED, 0.5, -1 } }, 4,
    { 0 }, 0, TW_OVERVIEW_IDLE, 0, -1, "", "No runs in progress" },
  { "one-running", { { "resnet50", RUNNING, 0.47, 720 } }, 1, { 0 }, 0,
    TW_OVERVIEW_RUNNING, 1, 0.47, "47 %", "1 run · 47 % · ETA 12 min" },
  /* the mean of the two; the later of the two ETAs (11 min 40 s, rounded up) */
  { "two-running", { { "a", RUNNING, 0.2, 100 }, { "b", RUNNING, 0.74, 700 } }, 2, { 0 }, 0,
    TW_OVERVIEW_RUNNING, 2, 0.47, "47 %", "2 runs · 47 % · ETA 12 min" },
  { "stalled-counts", { { "a", STALLED, 0.5, -1 }, { "b", COMPLETED, 1.0, -1 } }, 2, { 0 }, 0,
    TW_OVERVIEW_RUNNING, 1, 0.5, "50 %", "1 run · 50 %" },
  { "unknown-progress", { { "a", RUNNING, -1, -1 } }, 1, { 0 }, 0,
    TW_OVERVIEW_RUNNING, 1, -1, "", "1 run" },
  /* only runs that know their progress make the mean */
  { "some-unknown", { { "a", RUNNING, -1, -1 }, { "b", RUNNING, 0.8, 30 } }, 2, { 0 }, 0,
    TW_OVERVIEW_RUNNING, 2, 0.8, "80 %", "2 runs · 80 % · ETA < 1 min" },
  { "not-a-number", { { "a", RUNNING, NAN, NAN } }, 1, { 0 }, 0, TW_OVERVIEW_RUNNING, 1, -1, "", "1 run" },
  /* rounded down, but 0.29 stays 29 */
  { "rounding-down", { { "a", RUNNING, 0.999, -1 } }, 1, { 0 }, 0, TW_OVERVIEW_RUNNING, 1, 0.999, "99 %",
    "1 run · 99 %" },
  { "rounding-exact", { { "a", RUNNING, 0.29, -1 } }, 1, { 0 }, 0, TW_OVERVIEW_RUNNING, 1, 0.29, "29 %",
    "1 run · 29 %" },
  { "failure-unseen", { { "resnet50", FAILED, 0.4, -1 } }, 1, { "resnet50", "Out of memory" }, 1,
    TW_OVERVIEW_ATTENTION, 0, -1, "", "resnet50: Out of memory" },
  /* the newest failure first, then what still runs */
  { "failures-and-running", { { "a", RUNNING, 0.1, -1 } }, 1,
    { "bert", "The loss went NaN" }, 3,
    TW_OVERVIEW_ATTENTION, 1, 0.1, "10 %", "bert: The loss went NaN (and 2 more)\n1 run · 10 %" },
  { "failure-without-run", { { 0 } }, 0, { NULL, "Disk full" }, 1, TW_OVERVIEW_ATTENTION, 0, -1, "",
    "Disk full" },
};

static void
test_state (gconstpointer data)
{
  const StateCase *c = data;
  g_auto(TwOverviewState) state = { 0 };
  g_auto(TwOverviewState) again = { 0 };

  tw_overview_state_compute (c->runs, c->n_runs, c->n_unseen > 0 ? &c->newest : NULL, c->n_unseen, &state);
  g_assert_cmpstr (tw_overview_status_to_string (state.status), ==, tw_overview_status_to_string (c->status));
  g_assert_cmpuint (state.running, ==, c->running);
  if (c->progress < 0)
    g_assert_cmpfloat (state.progress, ==, -1.0);
  else
    g_assert_cmpfloat_with_epsilon (state.progress, c->progress, 1e-9);
  g_assert_cmpuint (state.n_unseen, ==, c->n_unseen);
  g_assert_cmpstr (state.label, ==, c->label);
  g_assert_cmpstr (state.tooltip, ==, c->tooltip);

  tw_overview_state_compute (c->runs, c->n_runs, c->n_unseen > 0 ? &c->newest : NULL, c->n_unseen, &again);
  g_assert_true (tw_overview_state_equal (&state, &again));
}

typedef struct
{
  double      seconds;
  const char *text;
} EtaCase;

static const EtaCase eta_cases[] = {
  { -1, NULL },
  { NAN, NULL },
  { INFINITY, NULL },
  { 0, "ETA < 1 min" },
  { 59.5, "ETA < 1 min" },
  { 60, "ETA 1 min" },
  { 61, "ETA 2 min" },
  { 3599, "ETA 1 h" },
  { 3600, "ETA 1 h" },
  { 3601, "ETA 1 h 1 min" },
  { 7500, "ETA 2 h 5 min" },
  { 86400, "ETA 1 d" },
  { 86400 + 3 * 3600 + 1, "ETA 1 d 3 h" },
  { 1e300, "ETA 11574074 d 1 h" },
};

static void
test_format_eta (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (eta_cases); i++)
    {
      g_autofree char *text = tw_overview_format_eta (eta_cases[i].seconds);

      g_test_message ("%g s", eta_cases[i].seconds);
      g_assert_cmpstr (text, ==, eta_cases[i].text);
    }
}

/* ---- the object, with real jobs following real files ---- */

typedef struct
{
  TwInotify  *inotify;
  TwOverview *overview;
  GPtrArray  *states;     /* of char *: "status running progress label", each change */
} Fixture;

static void
overview_changed_cb (TwOverview *overview,
                     Fixture    *fx)
{
  const TwOverviewState *state = tw_overview_get_state (overview);

  g_ptr_array_add (fx->states, g_strdup_printf ("%s %u %s", tw_overview_status_to_string (state->status),
                                                state->running, state->label));
}

static TwJob *
start_job (Fixture    *fx,
           const char *name)
{
  g_autofree char *file = g_strconcat (name, ".log", NULL);
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), file, NULL);
  TwJob *job = tw_job_new (name, path);

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  tw_overview_track_job (fx->overview, job);
  tw_job_follow (job, fx->inotify, 0);

  return job;
}

static void
stop_job (TwJob *job)
{
  tw_job_stop_following (job);
  g_assert_finalize_object (job);
}

static gboolean
last_state_is (Fixture    *fx,
               const char *expected)
{
  return fx->states->len > 0 && g_str_equal (g_ptr_array_index (fx->states, fx->states->len - 1), expected);
}

typedef struct
{
  Fixture    *fx;
  const char *expected;
} StateWait;

static gboolean
last_state_is_cb (gpointer data)
{
  StateWait *wait = data;

  return last_state_is (wait->fx, wait->expected);
}

static void
wait_for_state (Fixture    *fx,
                const char *expected)
{
  StateWait wait = { fx, expected };

  if (!tw_test_wait_until (last_state_is_cb, &wait, 10000))
    g_error ("the overview did not become “%s”; it is “%s”", expected,
             fx->states->len > 0 ? (char *) g_ptr_array_index (fx->states, fx->states->len - 1) : "unchanged");
}

typedef struct
{
  Fixture *fx;
  guint    n;
} StateCount;

static gboolean
has_more_states_cb (gpointer data)
{
  StateCount *count = data;

  return count->fx->states->len > count->n;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->inotify = tw_inotify_new (&error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  fx->overview = tw_overview_new ();
  fx->states = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (fx->overview, "changed", G_CALLBACK (overview_changed_cb), fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_assert_finalize_object (fx->overview);
  g_assert_finalize_object (fx->inotify);
  g_ptr_array_unref (fx->states);
}

static void
test_runs_come_and_go (Fixture       *fx,
                       gconstpointer  data)
{
  TwJob *a = start_job (fx, "a");
  TwJob *b = start_job (fx, "b");

  g_assert_cmpstr (tw_overview_status_to_string (tw_overview_get_state (fx->overview)->status), ==, "idle");

  tw_test_append (tw_job_get_log_path (a), "Epoch 1/1:  20%|##        | 20/100 [00:02<00:08, 10.00it/s]\n");
  wait_for_state (fx, "running 1 20 %");
  tw_test_append (tw_job_get_log_path (b), "Epoch 1/1:  60%|######    | 60/100 [00:06<00:04, 10.00it/s]\n");
  wait_for_state (fx, "running 2 40 %");
  g_assert_cmpstr (tw_overview_get_state (fx->overview)->tooltip, ==, "2 runs · 40 % · ETA < 1 min");

  /* a run that is no longer there is no longer counted */
  stop_job (b);
  wait_for_state (fx, "running 1 20 %");

  /* the bar fills up once, then goes */
  tw_job_finish_process (a, 0, 0);
  wait_for_state (fx, "idle 0 ");
  g_assert_cmpstr (g_ptr_array_index (fx->states, fx->states->len - 2), ==, "running 1 100 %");
  g_assert_cmpstr (tw_overview_get_state (fx->overview)->tooltip, ==, "No runs in progress");

  stop_job (a);
}

static void
test_last_state_arrives (Fixture       *fx,
                         gconstpointer  data)
{
  TwJob *a = start_job (fx, "a");
  g_autoptr(GString) text = g_string_new (NULL);

  /* a thousand redraws in one go: however they are read, the last one is shown */
  for (guint i = 1; i <= 1000; i++)
    g_string_append_printf (text, "\rTraining: %3u%%|          | %u/1000 [00:01<00:01, 1000.00it/s]",
                            MIN (i, 999) / 10, MIN (i, 999));
  g_string_append_c (text, '\n');
  tw_test_append (tw_job_get_log_path (a), text->str);
  wait_for_state (fx, "running 1 99 %");
  g_test_message ("%u changes for 1000 redraws", fx->states->len);

  stop_job (a);
}

static void
test_attention_and_seen (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();
  TwJob *a = start_job (fx, "a");
  guint before;

  tw_overview_add_actions (fx->overview, G_ACTION_MAP (actions));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (actions), "seen"));

  /* below error: no attention */
  {
    g_autoptr(TwEvent) warning = tw_event_new (TW_EVENT_STALLED, TW_LEVEL_WARNING, "a", "Run stalled", NULL);

    tw_overview_post_event (fx->overview, warning);
    tw_test_iterate_for (2 * TW_OVERVIEW_INTERVAL_MS);
    g_assert_cmpuint (fx->states->len, ==, 0);
  }

  /* a burst of failures in one go is one change */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *job = g_strdup_printf ("run-%u", i);
      g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, job, "Run failed", NULL);

      tw_overview_post_event (fx->overview, event);
    }
  wait_for_state (fx, "attention 0 ");
  tw_test_iterate_for (2 * TW_OVERVIEW_INTERVAL_MS);
  g_assert_cmpuint (fx->states->len, ==, 1);
  g_assert_cmpuint (tw_overview_get_state (fx->overview)->n_unseen, ==, 100);
  g_assert_cmpstr (tw_overview_get_state (fx->overview)->tooltip, ==, "run-99: Run failed (and 99 more)");

  g_action_group_activate_action (G_ACTION_GROUP (actions), "seen", NULL);
  wait_for_state (fx, "idle 0 ");

  /* a run's newer failure replaces its older one; seeing that run clears it */
  {
    g_autoptr(TwEvent) oom = tw_event_new (TW_EVENT_OUT_OF_MEMORY, TW_LEVEL_CRITICAL, "a", "Out of memory", NULL);
    g_autoptr(TwEvent) nan = tw_event_new (TW_EVENT_NAN_DETECTED, TW_LEVEL_CRITICAL, "a", "loss is NaN", NULL);
    g_autoptr(TwEvent) other = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_ERROR, NULL, "Disk full", NULL);

    tw_overview_post_event (fx->overview, other);
    tw_overview_post_event (fx->overview, oom);
    tw_overview_post_event (fx->overview, nan);
  }
  wait_for_state (fx, "attention 0 ");
  g_assert_cmpuint (tw_overview_get_state (fx->overview)->n_unseen, ==, 2);
  g_assert_cmpstr (tw_overview_get_state (fx->overview)->tooltip, ==, "a: loss is NaN (and 1 more)");
  before = fx->states->len;
  tw_overview_mark_seen (fx->overview, "a");
  g_assert_true (tw_test_wait_until (has_more_states_cb, &(StateCount) { fx, before }, 10000));
  g_assert_cmpstr (g_ptr_array_index (fx->states, fx->states->len - 1), ==, "attention 0 ");
  g_assert_cmpstr (tw_overview_get_state (fx->overview)->tooltip, ==, "Disk full");
  tw_overview_mark_seen (fx->overview, NULL);
  wait_for_state (fx, "idle 0 ");

  /* a run that goes away takes its failure with it */
  {
    g_autoptr(TwEvent) failed = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "a", "Run failed", NULL);

    tw_overview_post_event (fx->overview, failed);
  }
  wait_for_state (fx, "attention 0 ");
  stop_job (a);
  wait_for_state (fx, "idle 0 ");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (state_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/overview/state/%s", state_cases[i].name);

      g_test_add_data_func (path, &state_cases[i], test_state);
    }
  g_test_add_func ("/overview/format-eta", test_format_eta);
  g_test_add ("/overview/runs-come-and-go", Fixture, NULL, fixture_setup, test_runs_come_and_go, fixture_teardown);
  g_test_add ("/overview/last-state-arrives", Fixture, NULL, fixture_setup, test_last_state_arrives,
              fixture_teardown);
  g_test_add ("/overview/attention-and-seen", Fixture, NULL, fixture_setup, test_attention_and_seen,
              fixture_teardown);

  return g_test_run ();
}
