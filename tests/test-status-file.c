/* test-status-file.c — status files: ours, trainer_state.json, metrics.csv
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tw-status-file.h"

static GArray *
new_out (void)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (TwObservation));

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  return out;
}

static const TwObservation *
find (GArray            *out,
      TwObservationKind  kind,
      const char        *name)
{
  for (guint i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);

      if (o->kind == kind && (name == NULL || g_strcmp0 (o->name, name) == 0))
        return o;
    }

  return NULL;
}

static GArray *
parse_data_file (TwStatusFormat  format,
                 const char     *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "status", name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GArray *out = new_out ();
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_true (tw_status_file_parse (format, contents, len, out, &error));
  g_assert_no_error (error);

  return out;
}

static void
test_format_for_name (void)
{
  g_assert_cmpint (tw_status_format_for_name ("trainer_state.json"), ==, TW_STATUS_FORMAT_HF_TRAINER_STATE);
  g_assert_cmpint (tw_status_format_for_name ("metrics.csv"), ==, TW_STATUS_FORMAT_LIGHTNING_CSV);
  g_assert_cmpint (tw_status_format_for_name ("status.json"), ==, TW_STATUS_FORMAT_TRAINWATCH);
  g_assert_cmpint (tw_status_format_for_name ("run1-metrics.csv"), ==, TW_STATUS_FORMAT_LIGHTNING_CSV);
  g_assert_cmpint (tw_status_format_for_name ("results.csv"), ==, TW_STATUS_FORMAT_TRAINWATCH);
}

static void
test_hf_final_checkpoint (void)
{
  g_autoptr(GArray) out = parse_data_file (TW_STATUS_FORMAT_HF_TRAINER_STATE,
                                           "hf-checkpoint-300-trainer_state.json");
  const TwObservation *o;

  o = find (out, TW_OBSERVATION_EPOCH, NULL);
  g_assert_nonnull (o);
  g_assert_cmpint (o->n, ==, 3);        /* 2.34 epochs done: in the third of three */
  g_assert_cmpint (o->total, ==, 3);
  o = find (out, TW_OBSERVATION_STEP, NULL);
  g_assert_cmpint (o->n, ==, 300);
  g_assert_cmpint (o->total, ==, 300);
  o = find (out, TW_OBSERVATION_PROGRESS, NULL);
  g_assert_cmpint (o->n, ==, 300);
  g_assert_cmpint (o->total, ==, 300);
  o = find (out, TW_OBSERVATION_METRIC, "loss");
  g_assert_nonnull (o);
  g_assert_false (o->sub);
  g_assert_cmpfloat_with_epsilon (o->value, 3.100648880004883, 1e-12);
  o = find (out, TW_OBSERVATION_METRIC, "eval_loss");
  g_assert_nonnull (o);
  g_assert_true (o->sub);
  g_assert_cmpfloat_with_epsilon (o->value, 3.0900464057922363, 1e-12);
  g_assert_nonnull (find (out, TW_OBSERVATION_EVALUATION, NULL));
  g_assert_null (find (out, TW_OBSERVATION_METRIC, "step"));
  /* Checkpoints are written before the Trainer's summary: no completion yet. */
  g_assert_null (find (out, TW_OBSERVATION_COMPLETED, NULL));
}

static void
test_hf_middle_checkpoint (void)
{
  g_autoptr(GArray) out = parse_data_file (TW_STATUS_FORMAT_HF_TRAINER_STATE,
                                           "hf-checkpoint-200-trainer_state.json");
  const TwObservation *o = find (out, TW_OBSERVATION_STEP, NULL);

  g_assert_cmpint (o->n, ==, 200);
  g_assert_cmpint (o->total, ==, 300);
  o = find (out, TW_OBSERVATION_EPOCH, NULL);
  g_assert_cmpint (o->n, ==, 2);
}

static void
test_hf_train_runtime_completes (void)
{
  const char data[] =
    "{\"global_step\": 10, \"max_steps\": 10, \"log_history\": ["
    "{\"loss\": 1.5, \"step\": 10},"
    "{\"train_runtime\": 7.1, \"train_loss\": 1.9, \"step\": 10}]}";
  g_autoptr(GArray) out = new_out ();

  g_assert_true (tw_status_file_parse (TW_STATUS_FORMAT_HF_TRAINER_STATE, data, strlen (data), out, NULL));
  g_assert_nonnull (find (out, TW_OBSERVATION_COMPLETED, NULL));
  g_assert_cmpfloat (find (out, TW_OBSERVATION_METRIC, "loss")->value, ==, 1.5);
}

static void
test_lightning_csv (void)
{
  g_autoptr(GArray) out = parse_data_file (TW_STATUS_FORMAT_LIGHTNING_CSV, "lightning-metrics.csv");
  const TwObservation *o;

  o = find (out, TW_OBSERVATION_EPOCH, NULL);
  g_assert_cmpint (o->n, ==, 4);        /* epoch 3, counted from 0 */
  o = find (out, TW_OBSERVATION_STEP, NULL);
  g_assert_cmpint (o->n, ==, 1127);
  o = find (out, TW_OBSERVATION_METRIC, "train_loss");
  g_assert_false (o->sub);
  g_assert_cmpfloat_with_epsilon (o->value, 0.13299398124217987, 1e-12);
  o = find (out, TW_OBSERVATION_METRIC, "val_acc");
  g_assert_true (o->sub);
  g_assert_cmpfloat_with_epsilon (o->value, 0.9394999742507935, 1e-12);
  g_assert_nonnull (find (out, TW_OBSERVATION_METRIC, "val_loss"));
  g_assert_null (find (out, TW_OBSERVATION_METRIC, "epoch"));
}

static void
test_lightning_row_being_written (void)
{
  const char data[] = "epoch,step,train_loss\n0,19,2.0\n0,39,1.5\n0,59,0.";
  g_autoptr(GArray) out = new_out ();

  g_assert_true (tw_status_file_parse (TW_STATUS_FORMAT_LIGHTNING_CSV, data, strlen (data), out, NULL));
  g_assert_cmpfloat (find (out, TW_OBSERVATION_METRIC, "train_loss")->value, ==, 1.5);
  g_assert_cmpint (find (out, TW_OBSERVATION_STEP, NULL)->n, ==, 39);
}

/* Found by fuzz-status-file: converting such a double to gint64 was undefined. */
static void
test_huge_numbers_clamped (void)
{
  const char csv[] = "epoch,step\n1e300,7e26\n";
  const char hf[] = "{\"global_step\": 1e300, \"max_steps\": 1e301, \"epoch\": 1e19, \"num_train_epochs\": 1e19}";
  const char ours[] = "{\"step\": 1e19, \"total_steps\": 1e300, \"epoch\": 9.3e18, \"total_epochs\": 1e20}";
  const struct { TwStatusFormat format; const char *data; } files[] = {
    { TW_STATUS_FORMAT_LIGHTNING_CSV, csv },
    { TW_STATUS_FORMAT_HF_TRAINER_STATE, hf },
    { TW_STATUS_FORMAT_TRAINWATCH, ours },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GArray) out = new_out ();
      g_autoptr(GError) error = NULL;
      const TwObservation *step;
      const TwObservation *epoch;

      g_assert_true (tw_status_file_parse (files[i].format, files[i].data, strlen (files[i].data), out, &error));
      g_assert_no_error (error);
      step = find (out, TW_OBSERVATION_STEP, NULL);
      epoch = find (out, TW_OBSERVATION_EPOCH, NULL);
      g_assert_nonnull (step);
      g_assert_nonnull (epoch);
      /* Huge, and still positive: not wrapped to G_MININT64. */
      g_assert_cmpint (step->n, >=, G_GINT64_CONSTANT (1) << 53);
      g_assert_cmpint (epoch->n, >=, G_GINT64_CONSTANT (1) << 53);
      g_assert_cmpint (step->total, >=, 0);
      g_assert_cmpint (epoch->total, >=, 0);
    }
}

typedef struct
{
  const char        *name;
  const char        *json;
  gboolean           ok;
  int                error_code;
  TwObservationKind  expect_kind;    /* an observation that must be there when ok */
  gint64             n;
  gint64             total;
} Case;

static const Case cases[] = {
  { "running-steps", "{\"state\":\"running\",\"step\":420,\"total_steps\":1000,\"eta_seconds\":60}", TRUE, 0,
    TW_OBSERVATION_PROGRESS, 420, 1000 },
  { "fraction", "{\"progress\":0.25}", TRUE, 0, TW_OBSERVATION_PROGRESS, 250000, 1000000 },
  { "fraction-clamped", "{\"progress\":7}", TRUE, 0, TW_OBSERVATION_PROGRESS, 1000000, 1000000 },
  { "epoch", "{\"epoch\":3,\"total_epochs\":10}", TRUE, 0, TW_OBSERVATION_EPOCH, 3, 10 },
  { "completed", "{\"state\":\"completed\",\"message\":\"done\"}", TRUE, 0, TW_OBSERVATION_COMPLETED, 0, 0 },
  { "failed", "{\"state\":\"failed\",\"error\":{\"exception\":\"ValueError\",\"message\":\"bad\"}}", TRUE, 0,
    TW_OBSERVATION_FAILURE, 0, 0 },
  { "stopped", "{\"state\":\"stopped\"}", TRUE, 0, TW_OBSERVATION_FAILURE, 0, 0 },
  { "unknown-state", "{\"state\":\"exploded\"}", FALSE, TW_STATUS_FILE_ERROR_INVALID },
  { "cut-off", "{\"state\":\"running\",\"step\":4", FALSE, TW_STATUS_FILE_ERROR_INCOMPLETE },
  { "empty", "", FALSE, TW_STATUS_FILE_ERROR_INCOMPLETE },
  { "whitespace", "  \n", FALSE, TW_STATUS_FILE_ERROR_INCOMPLETE },
  { "array", "[1,2]", FALSE, TW_STATUS_FILE_ERROR_INVALID },
  { "garbage", "{not json}", FALSE, TW_STATUS_FILE_ERROR_INVALID },
  /* Found by fuzz-status-file: json-glib took these as one document, and leaked. */
  { "two-objects", "{\"step\":1} {\"step\":2}\n", FALSE, TW_STATUS_FILE_ERROR_INVALID },
  { "number-then-object", "7{}", FALSE, TW_STATUS_FILE_ERROR_INVALID },
  { "braces-in-strings", "{\"message\":\"a } \\\" { b\",\"step\":3}", TRUE, 0, TW_OBSERVATION_STEP, 3, 0 },
};

static void
test_trainwatch_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GArray) out = new_out ();
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = tw_status_file_parse (TW_STATUS_FORMAT_TRAINWATCH, c->json, strlen (c->json), out, &error);
  if (!c->ok)
    {
      g_assert_false (ok);
      g_assert_error (error, TW_STATUS_FILE_ERROR, c->error_code);
      return;
    }

  g_assert_no_error (error);
  g_assert_true (ok);
  {
    const TwObservation *o = find (out, c->expect_kind, NULL);

    g_assert_nonnull (o);
    g_assert_cmpint (o->n, ==, c->n);
    g_assert_cmpint (o->total, ==, c->total);
  }
}

static void
test_trainwatch_details (void)
{
  const char data[] =
    "{\"state\":\"failed\",\"message\":\"see log\",\"step\":5,\"total_steps\":10,"
    "\"error\":{\"kind\":\"out-of-memory\",\"exception\":\"torch.OutOfMemoryError\",\"message\":\"CUDA out of memory\"},"
    "\"metrics\":{\"loss\":\"nan\",\"acc\":0.5,\"val_loss\":1.25,\"note\":\"text\"}}";
  g_autoptr(GArray) out = new_out ();
  const TwObservation *o;

  g_assert_true (tw_status_file_parse (TW_STATUS_FORMAT_TRAINWATCH, data, strlen (data), out, NULL));
  o = find (out, TW_OBSERVATION_FAILURE, NULL);
  g_assert_cmpint (o->failure, ==, TW_FAILURE_OUT_OF_MEMORY);
  g_assert_cmpstr (o->exception, ==, "torch.OutOfMemoryError");
  g_assert_cmpstr (o->message, ==, "CUDA out of memory");
  g_assert_true (isnan (find (out, TW_OBSERVATION_METRIC, "loss")->value));
  g_assert_cmpfloat (find (out, TW_OBSERVATION_METRIC, "acc")->value, ==, 0.5);
  g_assert_true (find (out, TW_OBSERVATION_METRIC, "val_loss")->sub);
  g_assert_null (find (out, TW_OBSERVATION_METRIC, "note"));
  g_assert_cmpstr (find (out, TW_OBSERVATION_PROGRESS, NULL)->message, ==, "see log");
}

static void
test_binary_rejected (void)
{
  const char data[] = "{\"state\":\"running\"}\0\x01\x02";
  g_autoptr(GArray) out = new_out ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tw_status_file_parse (TW_STATUS_FORMAT_TRAINWATCH, data, sizeof data - 1, out, &error));
  g_assert_error (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID);
  g_assert_cmpuint (out->len, ==, 0);
}

static guint
count_kind (GArray            *out,
            TwObservationKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < out->len; i++)
    n += g_array_index (out, TwObservation, i).kind == kind;

  return n;
}

static void
parse_new_data_file (const char     *name,
                     TwStatusCursor *cursor,
                     GArray         *out)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "status", name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_array_set_size (out, 0);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_true (tw_status_file_parse_new (tw_status_format_for_name (name), contents, len, cursor, out, &error));
  g_assert_no_error (error);
}

static void
test_hf_new_entries (void)
{
  g_autoptr(GArray) out = new_out ();
  TwStatusCursor cursor;
  const TwObservation *o;

  tw_status_cursor_init (&cursor);
  parse_new_data_file ("hf-checkpoint-200-trainer_state.json", &cursor, out);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_EVALUATION), ==, 2);
  g_assert_cmpint (cursor.step, ==, 200);

  /* The next checkpoint repeats the history: only its new entries count. */
  parse_new_data_file ("hf-checkpoint-300-trainer_state.json", &cursor, out);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_EVALUATION), ==, 1);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_METRIC), >, 0);
  o = find (out, TW_OBSERVATION_METRIC, "eval_loss");
  g_assert_nonnull (o);
  g_assert_true (o->sub);
  g_assert_cmpfloat_with_epsilon (o->value, 3.0900464057922363, 1e-9);
  o = find (out, TW_OBSERVATION_STEP, NULL);
  g_assert_cmpint (o->n, ==, 300);

  /* A run resumed from the older checkpoint: nothing in it is new. */
  parse_new_data_file ("hf-checkpoint-200-trainer_state.json", &cursor, out);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_EVALUATION), ==, 0);
  g_assert_null (find (out, TW_OBSERVATION_METRIC, NULL));
  g_assert_cmpint (cursor.step, ==, 300);
}

static void
test_lightning_new_rows (void)
{
  g_autoptr(GArray) out = new_out ();
  g_autoptr(GError) error = NULL;
  const char *part = "epoch,step,train_loss,val_acc\n0,19,2.0,,\n0,39,1.5,\n0,39,,0.9\n1,";
  const char *more = "epoch,step,train_loss,val_acc\n0,19,2.0,,\n0,39,1.5,\n0,39,,0.9\n1,59,1.2,\n";
  TwStatusCursor cursor;

  tw_status_cursor_init (&cursor);
  g_assert_true (tw_status_file_parse_new (TW_STATUS_FORMAT_LIGHTNING_CSV, part, strlen (part), &cursor, out,
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cursor.rows, ==, 3);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_EPOCH), ==, 3);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_METRIC), ==, 3);
  g_assert_cmpuint (count_kind (out, TW_OBSERVATION_EVALUATION), ==, 1);

  g_array_set_size (out, 0);
  g_assert_true (tw_status_file_parse_new (TW_STATUS_FORMAT_LIGHTNING_CSV, more, strlen (more), &cursor, out,
                                           &error));
  g_assert_cmpuint (cursor.rows, ==, 4);
  g_assert_cmpuint (out->len, ==, 3);
  g_assert_cmpint (g_array_index (out, TwObservation, 0).kind, ==, TW_OBSERVATION_EPOCH);
  g_assert_cmpint (g_array_index (out, TwObservation, 0).n, ==, 2);
  g_assert_cmpint (g_array_index (out, TwObservation, 1).kind, ==, TW_OBSERVATION_STEP);
  g_assert_cmpint (g_array_index (out, TwObservation, 1).n, ==, 59);
  g_assert_cmpstr (g_array_index (out, TwObservation, 2).name, ==, "train_loss");

  /* Caught mid-rewrite with fewer rows: the cursor stays. */
  g_array_set_size (out, 0);
  g_assert_true (tw_status_file_parse_new (TW_STATUS_FORMAT_LIGHTNING_CSV, part, strlen (part), &cursor, out,
                                           &error));
  g_assert_cmpuint (cursor.rows, ==, 4);
  g_assert_cmpuint (out->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/status-file/format-for-name", test_format_for_name);
  g_test_add_func ("/status-file/hf/final-checkpoint", test_hf_final_checkpoint);
  g_test_add_func ("/status-file/hf/middle-checkpoint", test_hf_middle_checkpoint);
  g_test_add_func ("/status-file/hf/train-runtime-completes", test_hf_train_runtime_completes);
  g_test_add_func ("/status-file/hf/new-entries", test_hf_new_entries);
  g_test_add_func ("/status-file/lightning/csv", test_lightning_csv);
  g_test_add_func ("/status-file/lightning/new-rows", test_lightning_new_rows);
  g_test_add_func ("/status-file/lightning/row-being-written", test_lightning_row_being_written);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/status-file/trainwatch/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_trainwatch_case);
    }
  g_test_add_func ("/status-file/trainwatch/details", test_trainwatch_details);
  g_test_add_func ("/status-file/binary-rejected", test_binary_rejected);
  g_test_add_func ("/status-file/huge-numbers-clamped", test_huge_numbers_clamped);

  return g_test_run ();
}
