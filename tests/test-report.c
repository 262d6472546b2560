/* test-report.c — reports: JSON round trips, reading a run as `status` shows it, the texts
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "tw-observation.h"
#include "tw-report.h"
#include "tw-run-state.h"
#include "tw-send-result.h"

/* 2024-05-14 09:00:00 UTC, and a bit */
#define EVENT_TIME (G_GINT64_CONSTANT (1715677200) * G_USEC_PER_SEC + 250000)

static TwReport *
report_new (TwEventKind kind,
            TwLevel     level)
{
  g_autoptr(TwEvent) event = tw_event_new (kind, level, "resnet50", "Run failed — RuntimeError",
                                           "CUDA out of memory.");

  tw_event_set_time (event, EVENT_TIME);
  tw_event_set_log_path (event, "/data/runs/train.log");
  return tw_report_new (event, "gpu01");
}

static void
add_metric (TwReport   *report,
            const char *name,
            double      last,
            gboolean    has_best,
            double      best)
{
  TwReportMetric *metric = g_new0 (TwReportMetric, 1);

  metric->name = g_strdup (name);
  metric->last = last;
  metric->has_best = has_best;
  metric->best = best;
  g_ptr_array_add (report->metrics, metric);
}

/* Through text, as the outbox keeps it. */
static TwReport *
round_trip (TwReport *report)
{
  g_autoptr(JsonNode) node = tw_report_to_json (report);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(GError) error = NULL;
  TwReport *copy;

  g_test_message ("%s", text);
  /* JSON has no NaN or Infinity: a strict parser takes it. */
  g_assert_null (strstr (text, ":NaN"));
  g_assert_null (strstr (text, "Infinity"));
  parsed = json_from_string (text, &error);
  g_assert_no_error (error);
  copy = tw_report_new_from_json (parsed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (copy);
  return copy;
}

static void
assert_same_number (double a,
                    double b)
{
  if (isnan (a))
    g_assert_true (isnan (b));
  else
    g_assert_cmpfloat (a, ==, b);
}

static void
test_round_trip (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(TwReport) copy = NULL;
  const char *lines[] = { "Traceback (most recent call last):", "  résumé ✓ \"quoted\"",
                          "RuntimeError: CUDA out of memory", NULL };

  report->has_run = TRUE;
  report->state = g_strdup ("failed");
  report->progress = 0.625;
  report->step = 3125;
  report->total = 5000;
  report->epoch = 3;
  report->epochs = 5;
  report->eta_seconds = 840.5;
  report->started_usec = EVENT_TIME - (gint64) (3 * 3600 + 5 * 60) * G_USEC_PER_SEC - 17;
  add_metric (report, "loss", 0.4321, TRUE, 0.41);
  add_metric (report, "acc", NAN, FALSE, 0);
  add_metric (report, "grad_norm", INFINITY, TRUE, -INFINITY);
  add_metric (report, "lr", 1.5e-05, TRUE, NAN);
  report->failure_kind = g_strdup ("out-of-memory");
  report->exception = g_strdup ("torch.OutOfMemoryError");
  report->failure_message = g_strdup ("CUDA out of memory. Tried to allocate 2.00 GiB");
  report->exit_status = 1;
  report->signal_number = 9;
  g_strfreev (report->last_lines);
  report->last_lines = g_strdupv ((char **) lines);

  copy = round_trip (report);
  g_assert_cmpstr (tw_event_get_title (copy->event), ==, "Run failed — RuntimeError");
  g_assert_cmpstr (tw_event_get_job (copy->event), ==, "resnet50");
  g_assert_cmpstr (tw_event_get_log_path (copy->event), ==, "/data/runs/train.log");
  g_assert_cmpint (tw_event_get_kind (copy->event), ==, TW_EVENT_RUN_FAILED);
  g_assert_cmpstr (copy->host, ==, "gpu01");
  g_assert_true (copy->has_run);
  g_assert_cmpstr (copy->state, ==, "failed");
  g_assert_cmpfloat (copy->progress, ==, 0.625);
  g_assert_cmpint (copy->step, ==, 3125);
  g_assert_cmpint (copy->total, ==, 5000);
  g_assert_cmpint (copy->epoch, ==, 3);
  g_assert_cmpint (copy->epochs, ==, 5);
  g_assert_cmpfloat (copy->eta_seconds, ==, 840.5);
  g_assert_cmpint (copy->started_usec, ==, report->started_usec);
  g_assert_cmpuint (copy->metrics->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      TwReportMetric *a = g_ptr_array_index (report->metrics, i);
      TwReportMetric *b = g_ptr_array_index (copy->metrics, i);

      g_assert_cmpstr (a->name, ==, b->name);
      assert_same_number (a->last, b->last);
      g_assert_cmpint (a->has_best, ==, b->has_best);
      if (a->has_best)
        assert_same_number (a->best, b->best);
    }
  g_assert_true (isinf (((TwReportMetric *) copy->metrics->pdata[2])->last));
  g_assert_cmpfloat (((TwReportMetric *) copy->metrics->pdata[2])->best, <, 0);
  g_assert_cmpstr (copy->failure_kind, ==, "out-of-memory");
  g_assert_cmpstr (copy->exception, ==, "torch.OutOfMemoryError");
  g_assert_cmpstr (copy->failure_message, ==, "CUDA out of memory. Tried to allocate 2.00 GiB");
  g_assert_cmpint (copy->exit_status, ==, 1);
  g_assert_cmpint (copy->signal_number, ==, 9);
  g_assert_cmpstrv (copy->last_lines, lines);
  /* The stored event keeps whole seconds; the duration still reads the same. */
  g_assert_cmpint (tw_report_get_duration_seconds (copy), ==, 3 * 3600 + 5 * 60);
  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, 3 * 3600 + 5 * 60);
}

/* A report about no run, and one with nothing known of its run. */
static void
test_round_trip_empty (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_TEST, TW_LEVEL_INFO);
  g_autoptr(TwReport) copy = round_trip (report);
  g_autoptr(TwReport) again = NULL;

  g_assert_false (copy->has_run);
  g_assert_null (copy->state);
  g_assert_cmpuint (copy->metrics->len, ==, 0);
  g_assert_nonnull (copy->last_lines);
  g_assert_null (copy->last_lines[0]);
  g_assert_null (tw_report_dup_progress_text (copy));
  g_assert_null (tw_report_dup_failure_text (copy));
  g_assert_cmpint (tw_report_get_duration_seconds (copy), ==, -1);

  copy->has_run = TRUE;
  again = round_trip (copy);
  g_assert_true (again->has_run);
  g_assert_null (again->state);
  g_assert_cmpfloat (again->progress, <, 0);
  g_assert_cmpint (again->step, ==, -1);
  g_assert_cmpint (again->total, ==, -1);
  g_assert_cmpint (again->epoch, ==, -1);
  g_assert_cmpint (again->epochs, ==, -1);
  g_assert_cmpfloat (again->eta_seconds, <, 0);
  g_assert_cmpint (again->started_usec, ==, 0);
  g_assert_cmpint (again->exit_status, ==, -1);
  g_assert_cmpint (again->signal_number, ==, 0);
  g_assert_null (again->failure_kind);
}

/* An exception known without a kind survives being stored. */
static void
test_round_trip_failure_without_kind (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(TwReport) copy = NULL;
  g_autofree char *text = NULL;

  report->has_run = TRUE;
  report->exception = g_strdup ("ValueError");
  copy = round_trip (report);
  g_assert_cmpstr (copy->exception, ==, "ValueError");
  text = tw_report_dup_failure_text (copy);
  g_assert_cmpstr (text, ==, "ValueError");
}

static void
test_invalid_json (void)
{
  const char *cases[] = {
    "[]", "{}", "{\"event\": 3}", "{\"event\": {\"kind\": \"nonsense\"}}", "\"text\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(TwReport) report = tw_report_new_from_json (node, &error);

      g_assert_null (report);
      g_assert_error (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID);
    }
}

/* A run as tw_job_add_json() writes it into `status`: the run state from the real
 * writer (metrics as an object, NaN and Inf as strings), `started` in ISO 8601, the
 * log's last lines, and members a report does not read. */
static void
test_from_status (void)
{
  g_autoptr(TwRunState) run = tw_run_state_new ("resnet50");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) job = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(TwReport) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *progress = NULL;
  g_autofree char *failure = NULL;
  const char *names[] = { "loss", "acc", "grad_norm" };
  const double values[] = { 0.4321, NAN, INFINITY };
  TwObservation o;

  tw_observation_init (&o, TW_OBSERVATION_PROGRESS, 0);
  o.n = 3100;
  o.total = 5000;
  tw_run_state_apply (run, &o, events);
  tw_observation_clear (&o);
  tw_observation_init (&o, TW_OBSERVATION_EPOCH, 0);
  o.n = 3;
  o.total = 5;
  tw_run_state_apply (run, &o, events);
  tw_observation_clear (&o);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      tw_observation_init (&o, TW_OBSERVATION_METRIC, 0);
      o.name = g_strdup (names[i]);
      o.value = values[i];
      tw_run_state_apply (run, &o, events);
      tw_observation_clear (&o);
    }
  tw_observation_init (&o, TW_OBSERVATION_FAILURE, 0);
  o.failure = TW_FAILURE_EXCEPTION;
  o.exception = g_strdup ("RuntimeError");
  o.message = g_strdup ("CUDA error: device-side assert triggered");
  tw_run_state_apply (run, &o, events);
  tw_observation_clear (&o);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "resnet50");
  json_builder_set_member_name (builder, "snoozed_until");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "started");
  json_builder_add_string_value (builder, "2024-05-14T05:55:00Z");
  tw_run_state_add_json (run, builder);
  json_builder_set_member_name (builder, "series");
  tw_run_state_add_series_json (run, builder);
  json_builder_set_member_name (builder, "last_lines");
  json_builder_begin_array (builder);
  for (guint i = 0; i < 14; i++)
    {
      g_autofree char *line = g_strdup_printf ("line %u", i);

      json_builder_add_string_value (builder, line);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  job = json_builder_get_root (builder);

  /* As the daemon prints it and reads it back. */
  text = json_to_string (job, TRUE);
  g_test_message ("%s", text);
  parsed = json_from_string (text, NULL);
  tw_report_set_run_from_json (report, json_node_get_object (parsed));

  g_assert_true (report->has_run);
  g_assert_cmpstr (report->state, ==, "failed");
  /* Step 3100 of 5000 in epoch 3 of 5 */
  g_assert_cmpfloat_with_epsilon (report->progress, tw_run_state_get_progress (run), 1e-9);
  g_assert_cmpfloat_with_epsilon (report->progress, (2 + 0.62) / 5, 1e-9);
  g_assert_cmpint (report->step, ==, 3100);
  g_assert_cmpint (report->total, ==, 5000);
  g_assert_cmpint (report->epoch, ==, 3);
  g_assert_cmpint (report->epochs, ==, 5);
  g_assert_cmpint (report->started_usec, ==, G_GINT64_CONSTANT (1715666100) * G_USEC_PER_SEC);
  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, 3 * 3600 + 5 * 60);
  g_assert_cmpuint (report->metrics->len, ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      TwReportMetric *metric = g_ptr_array_index (report->metrics, i);

      g_assert_cmpstr (metric->name, ==, names[i]);
      assert_same_number (metric->last, values[i]);
    }
  g_assert_cmpstr (report->failure_kind, ==, "exception");
  g_assert_cmpstr (report->exception, ==, "RuntimeError");
  g_assert_cmpstr (report->failure_message, ==, "CUDA error: device-side assert triggered");
  /* The last ten lines, the newest last. */
  g_assert_cmpuint (g_strv_length (report->last_lines), ==, TW_REPORT_MAX_LAST_LINES);
  g_assert_cmpstr (report->last_lines[0], ==, "line 4");
  g_assert_cmpstr (report->last_lines[9], ==, "line 13");

  progress = tw_report_dup_progress_text (report);
  g_assert_cmpstr (progress, ==, "52 % · step 3100 of 5000 · epoch 3 of 5");
  failure = tw_report_dup_failure_text (report);
  g_assert_cmpstr (failure, ==, "RuntimeError: CUDA error: device-side assert triggered");

  /* And it keeps all that through the outbox. */
  copy = round_trip (report);
  g_assert_cmpstr (copy->state, ==, "failed");
  g_assert_cmpuint (copy->metrics->len, ==, 3);
  g_assert_true (isnan (((TwReportMetric *) copy->metrics->pdata[1])->last));
  g_assert_true (isinf (((TwReportMetric *) copy->metrics->pdata[2])->last));
  g_assert_cmpstrv (copy->last_lines, report->last_lines);
}

/* Odd values in a run: wrong types, numbers out of range, strings that are not numbers. */
static void
test_from_odd_json (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(JsonNode) node = json_from_string (
    "{\"state\": 7, \"progress\": 3.5, \"step\": 1e30, \"total\": -1e300, \"epoch\": \"x\","
    " \"epochs\": \"Inf\", \"eta_seconds\": -5, \"started\": \"yesterday\","
    " \"exit_status\": 100000, \"signal\": -3,"
    " \"metrics\": {\"loss\": 1, \"acc\": {\"best\": 2}, \"f1\": {\"last\": \"high\"},"
    "               \"ok\": {\"last\": \"-Inf\", \"best\": \"NaN\"}},"
    " \"failure\": \"boom\", \"last_lines\": [1, null, \"kept\", {\"a\": 1}]}", NULL);

  g_assert_nonnull (node);
  tw_report_set_run_from_json (report, json_node_get_object (node));
  g_assert_true (report->has_run);
  g_assert_null (report->state);
  g_assert_cmpfloat (report->progress, ==, 1.0);
  g_assert_cmpint (report->step, ==, -1);
  g_assert_cmpint (report->total, ==, -1);
  g_assert_cmpint (report->epoch, ==, -1);
  g_assert_cmpint (report->epochs, ==, -1);
  g_assert_cmpfloat (report->eta_seconds, <, 0);
  g_assert_cmpint (report->started_usec, ==, 0);
  g_assert_cmpint (report->exit_status, ==, 255);
  g_assert_cmpint (report->signal_number, ==, 0);
  g_assert_cmpuint (report->metrics->len, ==, 1);
  g_assert_cmpstr (((TwReportMetric *) report->metrics->pdata[0])->name, ==, "ok");
  g_assert_true (isinf (((TwReportMetric *) report->metrics->pdata[0])->last));
  g_assert_true (((TwReportMetric *) report->metrics->pdata[0])->has_best);
  g_assert_true (isnan (((TwReportMetric *) report->metrics->pdata[0])->best));
  g_assert_null (report->failure_kind);
  g_assert_cmpuint (g_strv_length (report->last_lines), ==, 1);
  g_assert_cmpstr (report->last_lines[0], ==, "kept");
}

/* Long lines and long texts are cut between characters, marked with “…”, and what
 * is not UTF-8 is made so without losing the rest of the line. */
static void
test_truncation (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(GString) long_line = g_string_new (NULL);
  g_autoptr(GString) long_name = g_string_new (NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *line;
  const char *end;

  while (long_line->len < 50 * 1024)
    g_string_append (long_line, "λ日😀x");
  while (long_name->len < 300)
    g_string_append (long_name, "ü");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "exception");
  json_builder_add_string_value (builder, long_name->str);
  json_builder_set_member_name (builder, "metrics");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, long_name->str);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "last");
  json_builder_add_double_value (builder, 1.0);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "failure");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, "exception");
  json_builder_set_member_name (builder, "exception");
  json_builder_add_string_value (builder, long_line->str);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "last_lines");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, long_line->str);
  json_builder_add_string_value (builder, "short");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  tw_report_set_run_from_json (report, json_node_get_object (node));
  line = report->last_lines[0];
  g_assert_true (g_utf8_validate (line, -1, &end));
  g_assert_cmpuint (strlen (line), <=, TW_REPORT_MAX_LINE_BYTES);
  g_assert_cmpuint (strlen (line), >, TW_REPORT_MAX_LINE_BYTES - 8);
  g_assert_true (g_str_has_prefix (line, "λ日😀xλ日😀x"));
  g_assert_true (g_str_has_suffix (line, "…"));
  g_assert_cmpstr (report->last_lines[1], ==, "short");

  g_assert_true (g_utf8_validate (report->exception, -1, NULL));
  g_assert_cmpuint (strlen (report->exception), <=, 256);
  g_assert_true (g_str_has_suffix (report->exception, "…"));

  g_assert_cmpuint (report->metrics->len, ==, 1);
  line = ((TwReportMetric *) report->metrics->pdata[0])->name;
  g_assert_true (g_utf8_validate (line, -1, NULL));
  g_assert_cmpuint (strlen (line), <=, 128);
  g_assert_true (g_str_has_prefix (line, "üüü"));
  g_assert_true (g_str_has_suffix (line, "…"));
  /* Whole characters before the ellipsis: no U+FFFD from a cut one. */
  g_assert_null (strstr (line, "\xef\xbf\xbd"));
}

/* Text that is not UTF-8 (json-glib only reads UTF-8, so it comes from a report
 * stored by hand): made valid, and a long line with a bad byte early is still
 * kept to its limit. */
static void
test_invalid_utf8 (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autoptr(JsonObject) run = json_object_new ();
  g_autoptr(JsonArray) lines = json_array_new ();
  g_autoptr(GString) line = g_string_new ("caf\xe9 ");

  while (line->len < 4000)
    g_string_append (line, "abc ");
  json_array_add_string_element (lines, line->str);
  json_object_set_array_member (run, "last_lines", json_array_ref (lines));
  tw_report_set_run_from_json (report, run);

  g_assert_true (g_utf8_validate (report->last_lines[0], -1, NULL));
  g_assert_true (g_str_has_prefix (report->last_lines[0], "caf\xef\xbf\xbd abc abc"));
  g_assert_cmpuint (strlen (report->last_lines[0]), >, TW_REPORT_MAX_LINE_BYTES - 8);
  g_assert_cmpuint (strlen (report->last_lines[0]), <=, TW_REPORT_MAX_LINE_BYTES);
}

static void
test_format_duration (void)
{
  const struct { gint64 seconds; const char *text; } cases[] = {
    { -5, "0 s" }, { 0, "0 s" }, { 45, "45 s" }, { 59, "59 s" }, { 60, "1 min" },
    { 12 * 60 + 59, "12 min" }, { 3599, "59 min" }, { 3600, "1 h 00 min" },
    { 3 * 3600 + 5 * 60 + 30, "3 h 05 min" }, { 86399, "23 h 59 min" }, { 86400, "1 d 0 h" },
    { 2 * 86400 + 4 * 3600 + 59 * 60, "2 d 4 h" }, { 400 * 86400, "400 d 0 h" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = tw_report_format_duration (cases[i].seconds);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_format_number (void)
{
  const struct { double value; const char *text; } cases[] = {
    { 0.4321, "0.4321" }, { 0.43214, "0.4321" }, { 1234, "1234" }, { 12345, "1.234e+04" },
    { 1.5e-05, "1.5e-05" }, { -2.5, "-2.5" }, { 0, "0" }, { NAN, "NaN" }, { INFINITY, "Inf" },
    { -INFINITY, "-Inf" },
  };

  /* A decimal comma in the user's locale must not reach the number. */
  setlocale (LC_NUMERIC, "de_DE.UTF-8");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = tw_report_format_number (cases[i].value);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
  setlocale (LC_NUMERIC, "C");
}

static void
test_progress_text (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_PROGRESS, TW_LEVEL_INFO);
  g_autofree char *text = NULL;

  g_assert_null (tw_report_dup_progress_text (report));
  report->has_run = TRUE;
  g_assert_null (tw_report_dup_progress_text (report));

  report->step = 120;
  text = tw_report_dup_progress_text (report);
  g_assert_cmpstr (text, ==, "step 120");
  g_clear_pointer (&text, g_free);

  report->state = g_strdup ("running");
  /* 4999 of 5000 is not done yet */
  report->progress = 4999.0 / 5000;
  report->total = 5000;
  report->epoch = 1;
  report->epochs = 0;
  report->eta_seconds = 14 * 60 + 5;
  text = tw_report_dup_progress_text (report);
  g_assert_cmpstr (text, ==, "99 % · step 120 of 5000 · about 14 min left");
  g_clear_pointer (&text, g_free);

  /* 0.29 * 100 is 28.999…: still 29 % */
  report->progress = 0.29;
  report->total = -1;
  report->eta_seconds = -1;
  text = tw_report_dup_progress_text (report);
  g_assert_cmpstr (text, ==, "29 % · step 120");
  g_clear_pointer (&text, g_free);

  /* No time left once the run is over. */
  g_free (report->state);
  report->state = g_strdup ("completed");
  report->progress = 1;
  report->step = 5000;
  report->total = 5000;
  report->eta_seconds = 10;
  report->epoch = 5;
  report->epochs = 5;
  text = tw_report_dup_progress_text (report);
  g_assert_cmpstr (text, ==, "100 % · step 5000 of 5000 · epoch 5 of 5");
}

static void
test_failure_text (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);
  g_autofree char *text = NULL;

  g_assert_null (tw_report_dup_failure_text (report));

  report->exit_status = 0;
  g_assert_null (tw_report_dup_failure_text (report));
  report->exit_status = 3;
  text = tw_report_dup_failure_text (report);
  g_assert_cmpstr (text, ==, "Exited with status 3");
  g_clear_pointer (&text, g_free);

  report->signal_number = 9;
  text = tw_report_dup_failure_text (report);
  g_assert_true (g_str_has_prefix (text, "Ended by signal 9 ("));
  g_clear_pointer (&text, g_free);

  report->failure_message = g_strdup ("");
  report->exception = g_strdup ("ValueError");
  text = tw_report_dup_failure_text (report);
  g_assert_cmpstr (text, ==, "ValueError");
  g_clear_pointer (&text, g_free);

  g_free (report->failure_message);
  report->failure_message = g_strdup ("bad value");
  text = tw_report_dup_failure_text (report);
  g_assert_cmpstr (text, ==, "ValueError: bad value");
  g_clear_pointer (&text, g_free);

  g_free (report->exception);
  report->exception = NULL;
  text = tw_report_dup_failure_text (report);
  g_assert_cmpstr (text, ==, "bad value");
}

static void
test_duration (void)
{
  g_autoptr(TwReport) report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR);

  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, -1);
  report->started_usec = EVENT_TIME + G_USEC_PER_SEC * 10;
  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, -1);
  /* An event in the run's first second, stored in whole seconds. */
  report->started_usec = EVENT_TIME + 1;
  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, 0);
  report->started_usec = EVENT_TIME - 90 * G_USEC_PER_SEC;
  g_assert_cmpint (tw_report_get_duration_seconds (report), ==, 90);
}

static void
test_verdict (void)
{
  TwSendResult result = TW_SEND_RESULT_INIT;

  g_assert_cmpstr (tw_verdict_to_string (TW_VERDICT_ACCEPTED), ==, "accepted");
  g_assert_cmpstr (tw_verdict_to_string (TW_VERDICT_RETRY), ==, "retry");
  g_assert_cmpstr (tw_verdict_to_string (TW_VERDICT_REJECTED), ==, "rejected");
  g_assert_cmpstr (tw_verdict_to_string (TW_VERDICT_DISABLE), ==, "disable");

  result.verdict = TW_VERDICT_ACCEPTED;
  result.retry_after_usec = 5;
  result.answer = g_strdup ("ok");
  result.message_id = g_strdup ("123");
  tw_send_result_clear (&result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
  g_assert_cmpint (result.retry_after_usec, ==, -1);
  g_assert_null (result.answer);
  g_assert_null (result.message_id);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/report/json/round-trip", test_round_trip);
  g_test_add_func ("/report/json/round-trip-empty", test_round_trip_empty);
  g_test_add_func ("/report/json/failure-without-kind", test_round_trip_failure_without_kind);
  g_test_add_func ("/report/json/invalid", test_invalid_json);
  g_test_add_func ("/report/json/status", test_from_status);
  g_test_add_func ("/report/json/odd-values", test_from_odd_json);
  g_test_add_func ("/report/truncation", test_truncation);
  g_test_add_func ("/report/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/report/format/duration", test_format_duration);
  g_test_add_func ("/report/format/number", test_format_number);
  g_test_add_func ("/report/text/progress", test_progress_text);
  g_test_add_func ("/report/text/failure", test_failure_text);
  g_test_add_func ("/report/duration", test_duration);
  g_test_add_func ("/report/verdict", test_verdict);

  return g_test_run ();
}
