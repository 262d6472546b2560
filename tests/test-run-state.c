/* test-run-state.c — runs built from observations: the real fixtures end to end, and each rule
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tw-extract-failure.h"
#include "tw-extractor.h"
#include "tw-run-state.h"

typedef struct
{
  const char    *log;
  TwRunStatus    status;
  TwFailureKind  failure;
  const char    *exception;
  gint64         n;
  gint64         total;
  gint64         epoch;
  double         progress;
} FixtureCase;

/* What each real run's log shows; the exit codes are in tests/data/real-runs/NAME.log.exit. */
static const FixtureCase fixture_cases[] = {
  { "plain_ok.log", TW_RUN_COMPLETED, TW_FAILURE_NONE, NULL, 200, 200, 5, 1.0 },
  { "plain_crash.log", TW_RUN_FAILED, TW_FAILURE_EXCEPTION, "ValueError", 81, 200, 3, (2 + 81.0 / 200) / 5 },
  { "hf_trainer_tqdm.log", TW_RUN_COMPLETED, TW_FAILURE_NONE, NULL, 300, 300, -1, 1.0 },
  { "lightning_tqdm_ok.log", TW_RUN_COMPLETED, TW_FAILURE_NONE, NULL, 282, 282, 4, 1.0 },
  /* the final Rich block comes after "`Trainer.fit` stopped": it still sets the bar */
  { "lightning_ok.log", TW_RUN_COMPLETED, TW_FAILURE_NONE, NULL, 282, 282, 4, 1.0 },
  { "oom.log", TW_RUN_FAILED, TW_FAILURE_OUT_OF_MEMORY, "torch.OutOfMemoryError", -1, -1, -1, -1 },
  { "killed.log", TW_RUN_STOPPED, TW_FAILURE_KILLED, NULL, 186, 200, 2, (1 + 186.0 / 200) / 5 },
  { "jax_ok.log", TW_RUN_COMPLETED, TW_FAILURE_NONE, NULL, 2000, 2000, -1, 1.0 },
};

static GArray *
new_observations (void)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (TwObservation));

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  return out;
}

static JsonObject *
run_json (TwRunState *run,
          JsonNode  **out_root)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  tw_run_state_add_json (run, builder);
  json_builder_end_object (builder);
  *out_root = json_builder_get_root (builder);

  return json_node_get_object (*out_root);
}

static guint
count_kind (GPtrArray   *events,
            TwEventKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    if (tw_event_get_kind (g_ptr_array_index (events, i)) == kind)
      n++;

  return n;
}

static void
test_fixture (gconstpointer data)
{
  const FixtureCase *c = data;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", c->log, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(TwExtractor) extractor = tw_extractor_new ();
  g_autoptr(TwRunState) run = tw_run_state_new ("run");
  g_autoptr(GArray) observations = new_observations ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonNode) root = NULL;
  TwFailureDetector *detector = tw_failure_detector_new ();
  JsonObject *object;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  tw_extractor_add_line_func (extractor, tw_failure_detector_line_func, detector,
                              (GDestroyNotify) tw_failure_detector_free);
  tw_extractor_feed (extractor, (const guint8 *) contents, len, observations);
  tw_extractor_finish (extractor, observations);
  tw_failure_detector_finish (detector, observations);
  for (guint i = 0; i < observations->len; i++)
    tw_run_state_apply (run, &g_array_index (observations, TwObservation, i), events);

  g_assert_cmpstr (tw_run_status_to_string (tw_run_state_get_status (run)), ==,
                   tw_run_status_to_string (c->status));
  object = run_json (run, &root);

  if (c->failure == TW_FAILURE_NONE)
    {
      g_assert_true (json_object_get_null_member (object, "failure"));
      g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_COMPLETED), ==, 1);
    }
  else
    {
      JsonObject *failure = json_object_get_object_member (object, "failure");

      g_assert_cmpstr (json_object_get_string_member (failure, "kind"), ==, tw_failure_kind_to_string (c->failure));
      g_assert_cmpstr (json_object_get_string_member_with_default (failure, "exception", NULL), ==, c->exception);
      /* A failure is one event, whatever the traceback's length. */
      g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_FAILED) + count_kind (events, TW_EVENT_OUT_OF_MEMORY) +
                        count_kind (events, TW_EVENT_RUN_STOPPED), ==, 1);
      g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_COMPLETED), ==, 0);
    }

  g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_STARTED), ==, 1);
  if (c->total > 0)
    {
      g_assert_cmpint (json_object_get_int_member (object, "step"), ==, c->n);
      g_assert_cmpint (json_object_get_int_member (object, "total"), ==, c->total);
    }
  if (c->epoch > 0)
    g_assert_cmpint (json_object_get_int_member (object, "epoch"), ==, c->epoch);
  if (c->progress >= 0)
    g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (run), c->progress, 1e-9);
  /* milestones are announced while the run goes, so not from a bar drawn only after
   * the end */
  if (c->progress == 1.0 && strcmp (c->log, "lightning_ok.log") != 0)
    g_assert_cmpuint (count_kind (events, TW_EVENT_PROGRESS), ==, 4);
}

static TwObservation
observation (TwObservationKind kind)
{
  TwObservation o;

  tw_observation_init (&o, kind, 0);
  return o;
}

static void
apply (TwRunState          *run,
       const TwObservation *o,
       GPtrArray           *events)
{
  tw_run_state_apply (run, o, events);
}

static void
test_milestones (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation bar = observation (TW_OBSERVATION_PROGRESS);
  TwObservation sub = observation (TW_OBSERVATION_PROGRESS);
  const guint milestones[] = { 10, 90 };

  tw_run_state_set_milestones (run, milestones, G_N_ELEMENTS (milestones));
  bar.total = 100;
  sub.total = 10;
  sub.n = 10;
  sub.sub = TRUE;

  bar.n = 5;
  apply (run, &bar, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_PROGRESS), ==, 0);
  /* A finished evaluation bar does not move the run. */
  apply (run, &sub, events);
  g_assert_cmpfloat (tw_run_state_get_progress (run), ==, 0.05);
  bar.n = 95;                                  /* one jump passes both */
  apply (run, &bar, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_PROGRESS), ==, 2);
  bar.n = 20;                                  /* a bar restarting does not repeat them */
  apply (run, &bar, events);
  bar.n = 95;
  apply (run, &bar, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_PROGRESS), ==, 2);
  g_assert_cmpuint (tw_run_state_get_status (run), ==, TW_RUN_RUNNING);
}

static void
test_epochs_with_bar (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation epoch = observation (TW_OBSERVATION_EPOCH);
  TwObservation bar = observation (TW_OBSERVATION_PROGRESS);

  epoch.n = 2;
  epoch.total = 4;
  bar.n = 50;
  bar.total = 100;
  apply (run, &epoch, events);
  apply (run, &bar, events);
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (run), (1 + 0.5) / 4, 1e-12);
  g_assert_cmpuint (count_kind (events, TW_EVENT_EPOCH_COMPLETED), ==, 0);
  bar.n = 100;                                 /* epoch 2 ends: half way */
  apply (run, &bar, events);
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (run), 0.5, 1e-12);
  epoch.n = 3;
  apply (run, &epoch, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_EPOCH_COMPLETED), ==, 1);
  /* The finished bar belongs to epoch 2: epoch 3 starts at 50 %, not 75 %. */
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (run), 0.5, 1e-12);
  g_assert_cmpuint (count_kind (events, TW_EVENT_PROGRESS), ==, 2);   /* 25 and 50 */
}

static void
test_failure_once_and_final (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation failure = observation (TW_OBSERVATION_FAILURE);
  TwObservation completed = observation (TW_OBSERVATION_COMPLETED);

  failure.failure = TW_FAILURE_CUDA_ERROR;
  failure.message = (char *) "device-side assert triggered";
  apply (run, &failure, events);
  apply (run, &failure, events);
  apply (run, &completed, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_FAILED), ==, 1);
  g_assert_cmpuint (count_kind (events, TW_EVENT_RUN_COMPLETED), ==, 0);
  g_assert_cmpuint (tw_run_state_get_status (run), ==, TW_RUN_FAILED);
  g_assert_cmpuint (tw_event_get_level (g_ptr_array_index (events, events->len - 1)), ==, TW_LEVEL_ERROR);
}

/* The time left: the bar's estimate, plus each epoch still to come; none once over. */
static void
test_eta (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation epoch = observation (TW_OBSERVATION_EPOCH);
  TwObservation bar = observation (TW_OBSERVATION_PROGRESS);
  TwObservation completed = observation (TW_OBSERVATION_COMPLETED);

  g_assert_cmpfloat (tw_run_state_get_eta (run), <, 0);
  bar.n = 50;
  bar.total = 100;
  bar.elapsed = 10;
  bar.remaining = 10;
  apply (run, &bar, events);
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_eta (run), 10, 1e-9);
  epoch.n = 2;
  epoch.total = 4;
  apply (run, &epoch, events);
  apply (run, &bar, events);
  /* this epoch's 10 s, then 20 s for each of epochs 3 and 4 */
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_eta (run), 50, 1e-9);
  apply (run, &completed, events);
  g_assert_cmpfloat (tw_run_state_get_eta (run), <, 0);
}

/* A metric's series stays bounded and spans the whole run. */
static void
test_series_bounded (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  TwObservation metric = observation (TW_OBSERVATION_METRIC);
  JsonArray *series;
  guint n;

  metric.name = (char *) "loss";
  for (guint i = 0; i < 1000; i++)
    {
      metric.value = i == 512 ? NAN : 1000.0 - i;
      apply (run, &metric, events);
    }
  tw_run_state_add_series_json (run, builder);
  root = json_builder_get_root (builder);
  series = json_object_get_array_member (json_node_get_object (root), "loss");
  n = json_array_get_length (series);
  g_assert_cmpuint (n, <=, 128);
  g_assert_cmpuint (n, >=, 64);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (series, 0), 0), ==, 0);
  g_assert_cmpfloat (json_array_get_double_element (json_array_get_array_element (series, 0), 1), ==, 1000.0);
  /* evenly thinned, up to the end of the run */
  for (guint i = 1; i < n; i++)
    g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (series, i), 0)
                     - json_array_get_int_element (json_array_get_array_element (series, i - 1), 0), ==, 8);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (series, n - 1), 0), >=, 1000 - 8);
  /* value 512 was NaN */
  g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (json_array_get_array_element (series, 64), 1)));
}

/* A user's rule is about lines: it still matches once the run is over. */
static void
test_rule_after_end (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation failure = observation (TW_OBSERVATION_FAILURE);
  TwObservation rule = observation (TW_OBSERVATION_RULE);

  failure.failure = TW_FAILURE_EXCEPTION;
  failure.exception = (char *) "ValueError";
  rule.level = TW_LEVEL_WARNING;
  rule.message = (char *) "disk almost full";
  apply (run, &rule, events);
  apply (run, &failure, events);
  apply (run, &rule, events);
  g_assert_cmpuint (count_kind (events, TW_EVENT_RULE_MATCHED), ==, 2);
  g_assert_cmpstr (tw_event_get_title (g_ptr_array_index (events, events->len - 1)), ==, "disk almost full");
  g_assert_cmpuint (tw_event_get_level (g_ptr_array_index (events, events->len - 1)), ==, TW_LEVEL_WARNING);
  g_assert_cmpuint (tw_run_state_get_status (run), ==, TW_RUN_FAILED);
}

static void
test_crash_after_completion (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  TwObservation completed = observation (TW_OBSERVATION_COMPLETED);
  TwObservation failure = observation (TW_OBSERVATION_FAILURE);

  failure.failure = TW_FAILURE_EXCEPTION;
  failure.exception = (char *) "RuntimeError";
  apply (run, &completed, events);
  apply (run, &failure, events);
  /* A crash while saving or tearing down is still a failure worth hearing. */
  g_assert_cmpuint (tw_run_state_get_status (run), ==, TW_RUN_FAILED);
  g_assert_cmpstr (tw_event_get_title (g_ptr_array_index (events, events->len - 1)), ==, "Run failed: RuntimeError");
}

static void
test_metrics_best_nan_divergence (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("r");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonNode) root = NULL;
  TwObservation m = observation (TW_OBSERVATION_METRIC);
  const double train_losses[] = { 2.0, 1.0, 1.5, 3.5, 4.0, 0.9, NAN, NAN };
  const double val_accs[] = { 0.5, 0.7, 0.6, 0.8 };
  JsonObject *metrics;

  m.name = (char *) "loss";
  for (guint i = 0; i < G_N_ELEMENTS (train_losses); i++)
    {
      m.value = train_losses[i];
      apply (run, &m, events);
    }
  g_assert_cmpuint (count_kind (events, TW_EVENT_LOSS_DIVERGING), ==, 1);   /* 3.5 > 3 × 1.0, once */
  g_assert_cmpuint (count_kind (events, TW_EVENT_NAN_DETECTED), ==, 1);      /* once per metric */
  g_assert_cmpuint (count_kind (events, TW_EVENT_NEW_BEST), ==, 0);          /* training steps are quiet */

  m.name = (char *) "val_acc";
  m.sub = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (val_accs); i++)
    {
      m.value = val_accs[i];
      apply (run, &m, events);
    }
  g_assert_cmpuint (count_kind (events, TW_EVENT_NEW_BEST), ==, 2);          /* 0.7 and 0.8 */

  m.name = (char *) "learning_rate";
  m.sub = FALSE;
  m.value = 1e-4;
  apply (run, &m, events);

  metrics = json_object_get_object_member (run_json (run, &root), "metrics");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (metrics, "loss"), "last"), ==,
                   "NaN");
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (metrics, "loss"), "best"), ==,
                     0.9);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (metrics, "val_acc"), "best"), ==,
                     0.8);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (metrics, "learning_rate"), "best"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fixture_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/run-state/fixture/%s", fixture_cases[i].log);

      g_test_add_data_func (path, &fixture_cases[i], test_fixture);
    }
  g_test_add_func ("/run-state/milestones", test_milestones);
  g_test_add_func ("/run-state/epochs-with-bar", test_epochs_with_bar);
  g_test_add_func ("/run-state/failure-once-and-final", test_failure_once_and_final);
  g_test_add_func ("/run-state/rule-after-end", test_rule_after_end);
  g_test_add_func ("/run-state/eta", test_eta);
  g_test_add_func ("/run-state/series-bounded", test_series_bounded);
  g_test_add_func ("/run-state/crash-after-completion", test_crash_after_completion);
  g_test_add_func ("/run-state/metrics-best-nan-divergence", test_metrics_best_nan_divergence);

  return g_test_run ();
}
