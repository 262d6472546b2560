/* test-tray-menu.c — the tray's GMenuModel: rows for runs and events, updates only where changed, throttled
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tw-job.h"
#include "tw-tray-menu.h"

enum
{
  SECTION_RUNS,
  SECTION_EVENTS,
  SECTION_COMMANDS,
  SECTION_QUIT,
};

typedef struct
{
  GHashTable *jobs;
  GQueue      recent;
  TwTrayMenu *menu;
  guint       n_changes;   /* items-changed on the runs and events sections */
} Fixture;

static void
section_changed_cb (GMenuModel *model,
                    int         position,
                    int         removed,
                    int         added,
                    Fixture    *fx)
{
  fx->n_changes++;
}

static GMenuModel *
get_section (Fixture *fx,
             int      index)
{
  GMenuModel *section = g_menu_model_get_item_link (tw_tray_menu_get_model (fx->menu), index, G_MENU_LINK_SECTION);

  g_assert_nonnull (section);
  /* the menu keeps its own reference */
  g_object_unref (section);
  return section;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_queue_init (&fx->recent);
  fx->menu = tw_tray_menu_new (fx->jobs, &fx->recent);
  g_signal_connect (get_section (fx, SECTION_RUNS), "items-changed", G_CALLBACK (section_changed_cb), fx);
  g_signal_connect (get_section (fx, SECTION_EVENTS), "items-changed", G_CALLBACK (section_changed_cb), fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_assert_finalize_object (fx->menu);
  g_queue_clear_full (&fx->recent, g_object_unref);
  g_hash_table_unref (fx->jobs);
}

static char *
dup_label (GMenuModel *model,
           int         index)
{
  char *label = NULL;

  g_assert_true (g_menu_model_get_item_attribute (model, index, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  return label;
}

static char *
dup_action (GMenuModel *model,
            int         index)
{
  char *action = NULL;

  g_assert_true (g_menu_model_get_item_attribute (model, index, G_MENU_ATTRIBUTE_ACTION, "s", &action));
  return action;
}

static char *
dup_target (GMenuModel *model,
            int         index)
{
  char *target = NULL;

  if (!g_menu_model_get_item_attribute (model, index, G_MENU_ATTRIBUTE_TARGET, "s", &target))
    return NULL;
  return target;
}

static void
assert_item (GMenuModel *model,
             int         index,
             const char *label,
             const char *action,
             const char *target)
{
  g_autofree char *got_label = dup_label (model, index);
  g_autofree char *got_action = dup_action (model, index);
  g_autofree char *got_target = dup_target (model, index);

  g_assert_cmpstr (got_label, ==, label);
  g_assert_cmpstr (got_action, ==, action);
  g_assert_cmpstr (got_target, ==, target);
}

/* A run of @name whose bar says @n of @total with @remaining seconds to go (< 0: unknown). */
static TwJob *
add_job (Fixture    *fx,
         const char *name,
         const char *log_path,
         gint64      n,
         gint64      total,
         double      remaining)
{
  TwJob *job = tw_job_new (name, log_path);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);

  if (total > 0)
    {
      g_auto(TwObservation) o = { 0 };

      tw_observation_init (&o, TW_OBSERVATION_PROGRESS, 0);
      o.n = n;
      o.total = total;
      o.elapsed = 10;
      o.remaining = remaining;
      tw_run_state_apply (tw_job_get_run_state (job), &o, events);
    }
  g_hash_table_insert (fx->jobs, g_strdup (name), job);
  return job;
}

static void
test_empty (Fixture       *fx,
            gconstpointer  data)
{
  GMenuModel *root = tw_tray_menu_get_model (fx->menu);
  GMenuModel *commands = get_section (fx, SECTION_COMMANDS);
  g_autoptr(GMenuModel) pause = NULL;
  GMenuModel *pause_for;
  GMenuModel *resume;
  g_autofree char *label = NULL;

  g_assert_cmpint (g_menu_model_get_n_items (root), ==, 4);
  g_assert_cmpint (g_menu_model_get_n_items (get_section (fx, SECTION_RUNS)), ==, 1);
  assert_item (get_section (fx, SECTION_RUNS), 0, "No runs in progress", "app.none", NULL);
  g_assert_cmpint (g_menu_model_get_n_items (get_section (fx, SECTION_EVENTS)), ==, 0);

  g_assert_cmpint (g_menu_model_get_n_items (commands), ==, 2);
  label = dup_label (commands, 0);
  g_assert_cmpstr (label, ==, "Pause notifications");
  pause = g_menu_model_get_item_link (commands, 0, G_MENU_LINK_SUBMENU);
  g_assert_nonnull (pause);
  g_assert_cmpint (g_menu_model_get_n_items (pause), ==, 2);
  pause_for = g_menu_model_get_item_link (pause, 0, G_MENU_LINK_SECTION);
  resume = g_menu_model_get_item_link (pause, 1, G_MENU_LINK_SECTION);
  assert_item (pause_for, 0, "For 1 hour", "app.pause", "1h");
  assert_item (pause_for, 1, "Until tomorrow", "app.pause", "tomorrow");
  g_assert_cmpint (g_menu_model_get_n_items (resume), ==, 1);
  {
    g_autofree char *resume_label = dup_label (resume, 0);
    g_autofree char *resume_action = dup_action (resume, 0);

    g_assert_cmpstr (resume_label, ==, "Resume notifications");
    g_assert_cmpstr (resume_action, ==, "app.resume");
  }
  g_object_unref (pause_for);
  g_object_unref (resume);
  {
    g_autofree char *prefs_label = dup_label (commands, 1);
    g_autofree char *prefs_action = dup_action (commands, 1);

    g_assert_cmpstr (prefs_label, ==, "Preferences…");
    g_assert_cmpstr (prefs_action, ==, "app.preferences");
  }
  assert_item (get_section (fx, SECTION_QUIT), 0, "Quit", "app.quit", NULL);
}

static void
test_runs (Fixture       *fx,
           gconstpointer  data)
{
  GMenuModel *runs = get_section (fx, SECTION_RUNS);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwJob *stalled;
  TwJob *done;
  g_auto(TwObservation) completed = { 0 };

  add_job (fx, "resnet50", "/runs/resnet50.log", 47, 100, 720);
  add_job (fx, "bert_base", "/runs/bert.log", 1, 3, -1);
  add_job (fx, "sent-only", NULL, 10, 1000, 90000);
  stalled = add_job (fx, "gpt", "/runs/gpt.log", 999, 1000, 5);
  tw_run_state_set_stalled (tw_job_get_run_state (stalled), TRUE, 700, events);
  done = add_job (fx, "finished", "/runs/finished.log", 100, 100, 0);
  tw_observation_init (&completed, TW_OBSERVATION_COMPLETED, 0);
  tw_run_state_apply (tw_job_get_run_state (done), &completed, events);
  /* never started: no output yet */
  g_hash_table_insert (fx->jobs, g_strdup ("waiting"), tw_job_new ("waiting", "/runs/waiting.log"));

  tw_tray_menu_update (fx->menu);

  /* by name; the finished and the waiting run are not rows */
  g_assert_cmpint (g_menu_model_get_n_items (runs), ==, 4);
  assert_item (runs, 0, "bert__base — 33 %", "app.open-run", "bert_base");
  assert_item (runs, 1, "gpt — stalled at 99 %", "app.open-run", "gpt");
  assert_item (runs, 2, "resnet50 — 47 % · ETA 12 min", "app.open-run", "resnet50");
  /* no log to open */
  assert_item (runs, 3, "sent-only — 1 % · ETA 1 d 1 h", "app.none", NULL);
}

static void
test_run_label_forms (Fixture       *fx,
                      gconstpointer  data)
{
  GMenuModel *runs = get_section (fx, SECTION_RUNS);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(TwObservation) metric = { 0 };
  TwJob *job = tw_job_new ("no-bar", "/runs/no-bar.log");

  /* output that says nothing of progress still starts the run */
  tw_observation_init (&metric, TW_OBSERVATION_METRIC, 0);
  metric.name = g_strdup ("loss");
  metric.value = 0.5;
  tw_run_state_apply (tw_job_get_run_state (job), &metric, events);
  g_hash_table_insert (fx->jobs, g_strdup ("no-bar"), job);
  add_job (fx, "seconds", "/runs/s.log", 99, 100, 20);
  add_job (fx, "hours", "/runs/h.log", 1, 100, 2 * 3600 + 5 * 60);
  add_job (fx, "one-hour", "/runs/1h.log", 1, 100, 3600);
  add_job (fx, "an-extremely-long-run-name-with-every-hyperparameter-lr0.001-bs256-seed42", "/runs/long.log",
           1, 2, -1);

  tw_tray_menu_update (fx->menu);

  g_assert_cmpint (g_menu_model_get_n_items (runs), ==, 5);
  /* the middle of a long name gives way, 40 characters in all */
  assert_item (runs, 0, "an-extremely-long-run-n…001-bs256-seed42 — 50 %", "app.open-run",
               "an-extremely-long-run-name-with-every-hyperparameter-lr0.001-bs256-seed42");
  assert_item (runs, 1, "hours — 1 % · ETA 2 h 5 min", "app.open-run", "hours");
  assert_item (runs, 2, "no-bar — running", "app.open-run", "no-bar");
  assert_item (runs, 3, "one-hour — 1 % · ETA 1 h", "app.open-run", "one-hour");
  assert_item (runs, 4, "seconds — 99 % · ETA < 1 min", "app.open-run", "seconds");
}

static void
test_many_runs (Fixture       *fx,
                gconstpointer  data)
{
  GMenuModel *runs = get_section (fx, SECTION_RUNS);

  for (guint i = 0; i < 13; i++)
    {
      g_autofree char *name = g_strdup_printf ("run-%02u", i);

      add_job (fx, name, "/runs/x.log", i, 100, -1);
    }
  tw_tray_menu_update (fx->menu);

  g_assert_cmpint (g_menu_model_get_n_items (runs), ==, 11);
  assert_item (runs, 0, "run-00 — 0 %", "app.open-run", "run-00");
  assert_item (runs, 9, "run-09 — 9 %", "app.open-run", "run-09");
  assert_item (runs, 10, "3 more runs", "app.none", NULL);
}

static TwEvent *
add_event (Fixture     *fx,
           TwEventKind  kind,
           TwLevel      level,
           const char  *job,
           const char  *title)
{
  TwEvent *event = tw_event_new (kind, level, job, title, NULL);
  g_autoptr(GDateTime) when = g_date_time_new_local (2024, 1, 2, 9, 30, 0);

  g_assert_nonnull (when);
  tw_event_set_time (event, g_date_time_to_unix (when) * G_USEC_PER_SEC);
  g_queue_push_tail (&fx->recent, event);
  return event;
}

static void
test_events (Fixture       *fx,
             gconstpointer  data)
{
  GMenuModel *events = get_section (fx, SECTION_EVENTS);
  g_autoptr(GDateTime) then = g_date_time_new_local (2024, 1, 2, 9, 30, 0);
  g_autofree char *date = g_date_time_format (then, "%x");
  g_autofree char *label = NULL;
  TwEvent *today;

  add_job (fx, "resnet50", "/runs/resnet50.log", 100, 100, 0);
  add_event (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "old-run", "Run completed");
  add_event (fx, TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "resnet50", "Run failed: torch.OutOfMemoryError");
  add_event (fx, TW_EVENT_STALLED, TW_LEVEL_WARNING, "my_run", "Run stalled");
  add_event (fx, TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "Backup done");
  add_event (fx, TW_EVENT_RULE_MATCHED, TW_LEVEL_INFO, NULL, "Learning rate dropped");
  /* routine: the run's own row shows these */
  add_event (fx, TW_EVENT_PROGRESS, TW_LEVEL_INFO, "resnet50", "50 % done");
  add_event (fx, TW_EVENT_EPOCH_COMPLETED, TW_LEVEL_INFO, "resnet50", "Epoch 3 done");
  add_event (fx, TW_EVENT_CHECKPOINT_SAVED, TW_LEVEL_INFO, "resnet50", "Checkpoint saved");
  add_event (fx, TW_EVENT_RUN_STARTED, TW_LEVEL_INFO, "resnet50", "Run started");
  today = add_event (fx, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, "bert",
                     "Run completed with a title long enough to be cut in the menu");
  tw_event_set_time (today, g_get_real_time ());

  tw_tray_menu_update (fx->menu);

  /* newest first, five at most: "old-run" is the sixth */
  g_assert_cmpint (g_menu_model_get_n_items (events), ==, 5);
  label = dup_label (events, 0);
  g_assert_true (g_str_has_prefix (label, "bert: Run completed with a title long enough to be cut in t"));
  g_assert_true (g_str_has_suffix (label, "…"));
  g_assert_cmpuint (g_utf8_strlen (label, -1), ==, 64);
  /* its run is gone from the daemon: nothing to open */
  {
    g_autofree char *action = dup_action (events, 0);

    g_assert_cmpstr (action, ==, "app.none");
  }
  {
    g_autofree char *rule = g_strdup_printf ("Learning rate dropped · %s", date);
    g_autofree char *message = g_strdup_printf ("Backup done · %s", date);
    g_autofree char *stalled = g_strdup_printf ("my__run: Run stalled · %s", date);
    g_autofree char *failed = g_strdup_printf ("resnet50: Run failed: torch.OutOfMemoryError · %s", date);

    assert_item (events, 1, rule, "app.none", NULL);
    assert_item (events, 2, message, "app.none", NULL);
    assert_item (events, 3, stalled, "app.none", NULL);
    assert_item (events, 4, failed, "app.open-run", "resnet50");
  }
}

/* An update that finds nothing new touches nothing; a changed run replaces its row only. */
static void
test_changes_only (Fixture       *fx,
                   gconstpointer  data)
{
  GMenuModel *runs = get_section (fx, SECTION_RUNS);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(TwObservation) o = { 0 };
  TwJob *b;

  add_job (fx, "a", "/runs/a.log", 1, 10, -1);
  b = add_job (fx, "b", "/runs/b.log", 1, 10, -1);
  add_job (fx, "c", "/runs/c.log", 1, 10, -1);
  tw_tray_menu_update (fx->menu);
  g_assert_cmpint (g_menu_model_get_n_items (runs), ==, 3);

  fx->n_changes = 0;
  tw_tray_menu_update (fx->menu);
  g_assert_cmpuint (fx->n_changes, ==, 0);

  tw_observation_init (&o, TW_OBSERVATION_PROGRESS, 0);
  o.n = 5;
  o.total = 10;
  o.elapsed = o.remaining = -1;
  tw_run_state_apply (tw_job_get_run_state (b), &o, events);
  tw_tray_menu_update (fx->menu);
  /* one removal and one insertion, at b's place */
  g_assert_cmpuint (fx->n_changes, ==, 2);
  assert_item (runs, 0, "a — 10 %", "app.open-run", "a");
  assert_item (runs, 1, "b — 50 %", "app.open-run", "b");
  assert_item (runs, 2, "c — 10 %", "app.open-run", "c");

  /* the run list shrinks from the end */
  g_hash_table_remove (fx->jobs, "c");
  fx->n_changes = 0;
  tw_tray_menu_update (fx->menu);
  g_assert_cmpuint (fx->n_changes, ==, 1);
  g_assert_cmpint (g_menu_model_get_n_items (runs), ==, 2);
}

typedef struct
{
  TwTrayMenu *menu;
  guint       n;
} BuildCount;

static gboolean
built_n (gpointer data)
{
  BuildCount *count = data;

  return tw_tray_menu_get_n_builds (count->menu) >= count->n;
}

static void
iterate_until (gboolean (*cond) (gpointer data),
               gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!cond (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* However often a change is reported, rebuilds come at least the minimum interval apart. */
static void
test_throttle (Fixture       *fx,
               gconstpointer  data)
{
  guint start = tw_tray_menu_get_n_builds (fx->menu);
  BuildCount count = { fx->menu, start + 1 };
  gint64 first;
  gint64 second;

  add_job (fx, "fast", "/runs/fast.log", 1, 10000, -1);
  for (guint i = 0; i < 10000; i++)
    tw_tray_menu_queue_update (fx->menu);
  /* nothing happens before the main loop runs */
  g_assert_cmpuint (tw_tray_menu_get_n_builds (fx->menu), ==, start);

  iterate_until (built_n, &count);
  first = tw_tray_menu_get_last_build_time (fx->menu);
  g_assert_cmpuint (tw_tray_menu_get_n_builds (fx->menu), ==, start + 1);
  assert_item (get_section (fx, SECTION_RUNS), 0, "fast — 0 %", "app.open-run", "fast");

  for (guint i = 0; i < 10000; i++)
    tw_tray_menu_queue_update (fx->menu);
  count.n = start + 2;
  iterate_until (built_n, &count);
  second = tw_tray_menu_get_last_build_time (fx->menu);
  g_assert_cmpuint (tw_tray_menu_get_n_builds (fx->menu), ==, start + 2);
  /* the rebuilds' own times, not when this test saw them: the second one's timer was
   * set for the first one's time plus the interval, and timers never fire early, so
   * this holds however busy the machine is */
  g_assert_cmpint (second - first, >=, TW_TRAY_MENU_MIN_INTERVAL_MS * 1000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/tray-menu/empty", Fixture, NULL, fixture_setup, test_empty, fixture_teardown);
  g_test_add ("/tray-menu/runs", Fixture, NULL, fixture_setup, test_runs, fixture_teardown);
  g_test_add ("/tray-menu/run-label-forms", Fixture, NULL, fixture_setup, test_run_label_forms, fixture_teardown);
  g_test_add ("/tray-menu/many-runs", Fixture, NULL, fixture_setup, test_many_runs, fixture_teardown);
  g_test_add ("/tray-menu/events", Fixture, NULL, fixture_setup, test_events, fixture_teardown);
  g_test_add ("/tray-menu/changes-only", Fixture, NULL, fixture_setup, test_changes_only, fixture_teardown);
  g_test_add ("/tray-menu/throttle", Fixture, NULL, fixture_setup, test_throttle, fixture_teardown);

  return g_test_run ();
}
