/* tw-report.c — an event with what a message about it needs: the host and the run's state
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A report is built when the event happens (from the run's `status` JSON, see
 * tw_job_add_json()), written to the outbox as JSON, and read back to build a
 * message, perhaps after a restart. The JSON is the report's only stored form:
 *
 *   { "event": {…tw_event_to_json_node()…}, "host": "gpu01",
 *     "run": null | { "state", "progress", "step", "total", "epoch", "epochs",
 *                     "eta_seconds", "started", "metrics": [[name, last, best|null], …],
 *                     "failure": null | { "kind", "exception", "message" },
 *                     "exit_status", "signal", "last_lines": […] } }
 *
 * NaN and infinities are stored as the strings "NaN", "Inf", "-Inf", as `status` does.
 */
#include "config.h"

#include "tw-report.h"
#include "tw-send-result.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

static void
metric_free (gpointer data)
{
  TwReportMetric *metric = data;

  g_free (metric->name);
  g_free (metric);
}

static void
reset_run (TwReport *self)
{
  self->has_run = FALSE;
  g_clear_pointer (&self->state, g_free);
  self->progress = -1;
  self->step = -1;
  self->total = -1;
  self->epoch = -1;
  self->epochs = -1;
  self->eta_seconds = -1;
  self->started_usec = 0;
  g_ptr_array_set_size (self->metrics, 0);
  g_clear_pointer (&self->failure_kind, g_free);
  g_clear_pointer (&self->exception, g_free);
  g_clear_pointer (&self->failure_message, g_free);
  self->exit_status = -1;
  self->signal_number = 0;
  g_strfreev (self->last_lines);
  self->last_lines = g_new0 (char *, 1);
}

/**
 * tw_report_new:
 * @event: the event
 * @host: (nullable): the computer's name; %NULL for g_get_host_name()
 *
 * Returns: (transfer full): a report of @event about no run; add the run with
 *   tw_report_set_run_from_json()
 */
TwReport *
tw_report_new (TwEvent    *event,
               const char *host)
{
  TwReport *self;

  g_return_val_if_fail (TW_IS_EVENT (event), NULL);

  self = g_new0 (TwReport, 1);
  self->event = g_object_ref (event);
  self->host = g_strdup (host != NULL ? host : g_get_host_name ());
  self->metrics = g_ptr_array_new_with_free_func (metric_free);
  reset_run (self);

  return self;
}

void
tw_report_free (TwReport *self)
{
  if (self == NULL)
    return;

  reset_run (self);
  g_strfreev (self->last_lines);
  g_ptr_array_unref (self->metrics);
  g_free (self->host);
  g_clear_object (&self->event);
  g_free (self);
}

/* A number as `status` writes it: a number, "NaN", "Inf", "-Inf", or null. */
static gboolean
read_number (JsonObject *object,
             const char *name,
             double     *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  const char *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return TRUE;
    case G_TYPE_STRING:
      text = json_node_get_string (node);
      if (g_str_equal (text, "NaN"))
        *out = NAN;
      else if (g_str_equal (text, "Inf"))
        *out = INFINITY;
      else if (g_str_equal (text, "-Inf"))
        *out = -INFINITY;
      else
        return FALSE;
      return TRUE;
    default:
      return FALSE;
    }
}

static gint64
read_int (JsonObject *object,
          const char *name,
          gint64      fallback)
{
  double value;

  /* Outside gint64's range the conversion would be undefined. */
  if (!read_number (object, name, &value) || !isfinite (value) ||
      value < -9.2e18 || value > 9.2e18)
    return fallback;

  return (gint64) value;
}

/* @text (@length bytes, perhaps not UTF-8) as valid UTF-8 of at most @max_bytes
 * bytes: invalid bytes become U+FFFD, and a longer text is cut between two
 * characters and ends in “…”. */
static char *
dup_cut (const char *text,
         gsize       length,
         gsize       max_bytes)
{
  /* Only the head is looked at; it may end in half a character, which is cut off. */
  g_autofree char *valid = g_utf8_make_valid (text, MIN (length, max_bytes + 8));
  const char *end = valid;

  if (length <= max_bytes && strlen (valid) <= max_bytes)
    return g_steal_pointer (&valid);

  while (*end != '\0' && g_utf8_next_char (end) - valid <= (gssize) (max_bytes - strlen ("…")))
    end = g_utf8_next_char (end);

  return g_strdup_printf ("%.*s…", (int) (end - valid), valid);
}

/* A string member, made valid UTF-8 and cut to @max_bytes. */
static char *
dup_string (JsonObject *object,
            const char *name,
            gsize       max_bytes)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  const char *text;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  text = json_node_get_string (node);
  return dup_cut (text, strlen (text), max_bytes);
}

static void
add_metric (TwReport   *self,
            const char *name,
            double      last,
            gboolean    has_best,
            double      best)
{
  TwReportMetric *metric = g_new0 (TwReportMetric, 1);

  metric->name = dup_cut (name, strlen (name), 128);
  metric->last = last;
  metric->has_best = has_best;
  metric->best = best;
  g_ptr_array_add (self->metrics, metric);
}

static void
read_last_lines (TwReport  *self,
                 JsonArray *lines)
{
  GPtrArray *kept = g_ptr_array_new ();
  guint n = lines != NULL ? json_array_get_length (lines) : 0;
  guint first = n > TW_REPORT_MAX_LAST_LINES ? n - TW_REPORT_MAX_LAST_LINES : 0;

  for (guint i = first; i < n; i++)
    {
      JsonNode *node = json_array_get_element (lines, i);
      const char *text;

      if (json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      text = json_node_get_string (node);
      g_ptr_array_add (kept, dup_cut (text, strlen (text), TW_REPORT_MAX_LINE_BYTES));
    }
  g_ptr_array_add (kept, NULL);

  g_strfreev (self->last_lines);
  self->last_lines = (GStrv) g_ptr_array_free (kept, FALSE);
}

/* The run as `status` shows it (object form of metrics) or as a report stores it
 * (array form, which keeps the order). */
static void
read_run (TwReport   *self,
          JsonObject *run)
{
  JsonNode *metrics = json_object_get_member (run, "metrics");
  JsonNode *failure = json_object_get_member (run, "failure");
  JsonNode *lines = json_object_get_member (run, "last_lines");
  double number;

  reset_run (self);
  self->has_run = TRUE;
  self->state = dup_string (run, "state", 64);
  if (read_number (run, "progress", &number) && isfinite (number))
    self->progress = CLAMP (number, 0.0, 1.0);
  self->step = read_int (run, "step", -1);
  self->total = read_int (run, "total", -1);
  self->epoch = read_int (run, "epoch", -1);
  self->epochs = read_int (run, "epochs", -1);
  if (read_number (run, "eta_seconds", &number) && isfinite (number) && number >= 0)
    self->eta_seconds = number;
  self->started_usec = MAX (read_int (run, "started", 0), 0);
  if (self->started_usec == 0)
    {
      g_autofree char *iso = dup_string (run, "started", 64);
      g_autoptr(GDateTime) dt = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;

      if (dt != NULL)
        self->started_usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
    }
  self->exit_status = (int) CLAMP (read_int (run, "exit_status", -1), -1, 255);
  self->signal_number = (int) CLAMP (read_int (run, "signal", 0), 0, 128);

  if (metrics != NULL && JSON_NODE_HOLDS_OBJECT (metrics))
    {
      JsonObject *object = json_node_get_object (metrics);
      g_autoptr(GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (object, l->data);
          JsonObject *values = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          double last = NAN;
          double best = NAN;
          gboolean has_best;

          if (values == NULL || !read_number (values, "last", &last))
            continue;
          has_best = read_number (values, "best", &best);
          add_metric (self, l->data, last, has_best, best);
        }
    }
  else if (metrics != NULL && JSON_NODE_HOLDS_ARRAY (metrics))
    {
      JsonArray *array = json_node_get_array (metrics);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          JsonArray *row = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
          g_autoptr(JsonObject) values = json_object_new ();
          const char *name;
          double last = NAN;
          double best = NAN;
          gboolean has_best;

          if (row == NULL || json_array_get_length (row) != 3 ||
              json_node_get_value_type (json_array_get_element (row, 0)) != G_TYPE_STRING)
            continue;
          name = json_array_get_string_element (row, 0);
          json_object_set_member (values, "last", json_node_copy (json_array_get_element (row, 1)));
          json_object_set_member (values, "best", json_node_copy (json_array_get_element (row, 2)));
          if (!read_number (values, "last", &last))
            continue;
          has_best = read_number (values, "best", &best);
          add_metric (self, name, last, has_best, best);
        }
    }

  if (failure != NULL && JSON_NODE_HOLDS_OBJECT (failure))
    {
      JsonObject *object = json_node_get_object (failure);

      self->failure_kind = dup_string (object, "kind", 64);
      self->exception = dup_string (object, "exception", 256);
      self->failure_message = dup_string (object, "message", 4096);
    }

  read_last_lines (self, lines != NULL && JSON_NODE_HOLDS_ARRAY (lines) ? json_node_get_array (lines) : NULL);
}

/**
 * tw_report_set_run_from_json:
 * @self: a #TwReport
 * @job: a run as tw_job_add_json() writes it (`state`, `progress`, `metrics`,
 *   `failure`, `last_lines`, `started`, …)
 *
 * Copies the run's state into the report.
 */
void
tw_report_set_run_from_json (TwReport   *self,
                             JsonObject *job)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (job != NULL);

  read_run (self, job);
}

/**
 * tw_report_new_from_json:
 * @node: a report as tw_report_to_json() wrote it
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the report, or %NULL with
 *   %TW_EVENT_ERROR_INVALID if @node is not one
 */
TwReport *
tw_report_new_from_json (JsonNode  *node,
                         GError   **error)
{
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(TwReport) self = NULL;
  g_autofree char *host = NULL;
  JsonObject *object;
  JsonNode *run;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node) || json_object_get_member (json_node_get_object (node), "event") == NULL)
    {
      g_set_error_literal (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID,
                           _("A report must be an object with an “event”."));
      return NULL;
    }

  object = json_node_get_object (node);
  event = tw_event_new_from_json (json_object_get_member (object, "event"), error);
  if (event == NULL)
    return NULL;

  host = dup_string (object, "host", 255);
  self = tw_report_new (event, host != NULL ? host : "");
  run = json_object_get_member (object, "run");
  if (run != NULL && JSON_NODE_HOLDS_OBJECT (run))
    read_run (self, json_node_get_object (run));

  return g_steal_pointer (&self);
}

static void
add_number (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_string_value (builder, isnan (value) ? "NaN" : (value > 0 ? "Inf" : "-Inf"));
}

static void
add_value (JsonBuilder *builder,
           double       value)
{
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_string_value (builder, isnan (value) ? "NaN" : (value > 0 ? "Inf" : "-Inf"));
}

static void
add_known_int (JsonBuilder *builder,
               const char  *name,
               gint64       value,
               gint64       unknown_below)
{
  if (value < unknown_below)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/**
 * tw_report_to_json:
 * @self: a #TwReport
 *
 * Returns: (transfer full): the report as JSON, for the outbox
 */
JsonNode *
tw_report_to_json (TwReport *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_value (builder, tw_event_to_json_node (self->event));
  add_string (builder, "host", self->host);
  json_builder_set_member_name (builder, "run");
  if (!self->has_run)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      json_builder_begin_object (builder);
      add_string (builder, "state", self->state);
      if (self->progress >= 0)
        add_number (builder, "progress", self->progress);
      add_known_int (builder, "step", self->step, 0);
      add_known_int (builder, "total", self->total, 1);
      add_known_int (builder, "epoch", self->epoch, 0);
      add_known_int (builder, "epochs", self->epochs, 1);
      if (self->eta_seconds >= 0)
        add_number (builder, "eta_seconds", self->eta_seconds);
      add_known_int (builder, "started", self->started_usec, 1);
      add_known_int (builder, "exit_status", self->exit_status, 0);
      add_known_int (builder, "signal", self->signal_number, 1);

      json_builder_set_member_name (builder, "metrics");
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->metrics->len; i++)
        {
          TwReportMetric *metric = g_ptr_array_index (self->metrics, i);

          json_builder_begin_array (builder);
          json_builder_add_string_value (builder, metric->name);
          add_value (builder, metric->last);
          if (metric->has_best)
            add_value (builder, metric->best);
          else
            json_builder_add_null_value (builder);
          json_builder_end_array (builder);
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "failure");
      if (self->failure_kind == NULL && self->exception == NULL && self->failure_message == NULL)
        {
          json_builder_add_null_value (builder);
        }
      else
        {
          json_builder_begin_object (builder);
          add_string (builder, "kind", self->failure_kind);
          add_string (builder, "exception", self->exception);
          add_string (builder, "message", self->failure_message);
          json_builder_end_object (builder);
        }

      json_builder_set_member_name (builder, "last_lines");
      json_builder_begin_array (builder);
      for (guint i = 0; self->last_lines[i] != NULL; i++)
        json_builder_add_string_value (builder, self->last_lines[i]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * tw_report_get_duration_seconds:
 * @self: a #TwReport
 *
 * Returns: how long the run had been going when the event happened, or -1 if
 *   it is not known
 */
gint64
tw_report_get_duration_seconds (TwReport *self)
{
  gint64 at;

  g_return_val_if_fail (self != NULL, -1);

  /* In whole seconds: `status` and a stored event keep no more, and an event at
   * the run's start must not seem to come before it. */
  at = tw_event_get_time (self->event) / G_USEC_PER_SEC;
  if (self->started_usec <= 0 || at < self->started_usec / G_USEC_PER_SEC)
    return -1;

  return at - self->started_usec / G_USEC_PER_SEC;
}

/**
 * tw_report_format_duration:
 * @seconds: a time span, not negative
 *
 * Returns: (transfer full): the span as a person says it: “45 s”, “12 min”,
 *   “3 h 05 min”, “2 d 4 h”
 */
char *
tw_report_format_duration (gint64 seconds)
{
  seconds = MAX (seconds, 0);

  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 3600)
    /* Translators: a duration in minutes */
    return g_strdup_printf (_("%d min"), (int) (seconds / 60));
  if (seconds < 86400)
    /* Translators: a duration in hours and minutes */
    return g_strdup_printf (_("%d h %02d min"), (int) (seconds / 3600), (int) (seconds % 3600 / 60));

  /* Translators: a duration in days and hours */
  return g_strdup_printf (_("%d d %d h"), (int) (seconds / 86400), (int) (seconds % 86400 / 3600));
}

/**
 * tw_report_format_number:
 * @value: a metric's value
 *
 * Returns: (transfer full): @value with up to 4 significant digits, in the C
 *   locale (as logs write numbers): “0.4321”, “1234”, “1.5e-05”, “NaN”, “Inf”
 */
char *
tw_report_format_number (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return g_strdup ("NaN");
  if (isinf (value))
    return g_strdup (value > 0 ? "Inf" : "-Inf");

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.4g", value));
}

/**
 * tw_report_dup_progress_text:
 * @self: a #TwReport
 *
 * Returns: (transfer full) (nullable): where the run is, such as “62 % · step
 *   3100 of 5000 · epoch 3 of 5 · about 14 min left”, or %NULL if nothing is known
 */
char *
tw_report_dup_progress_text (TwReport *self)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (self != NULL, NULL);

  if (!self->has_run)
    return NULL;

  if (self->progress >= 0)
    /* Translators: a run's progress in percent */
    g_ptr_array_add (parts, g_strdup_printf (_("%d %%"), (int) floor (self->progress * 100 + 1e-9)));
  /* Translators: a run's step, such as “step 3100 of 5000” */
  if (self->step >= 0 && self->total > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("step %lld of %lld"), (long long) self->step,
                                             (long long) self->total));
  else if (self->step >= 0)
    /* Translators: a run's step when the total is unknown */
    g_ptr_array_add (parts, g_strdup_printf (_("step %lld"), (long long) self->step));
  if (self->epoch >= 1 && self->epochs > 0)
    /* Translators: a run's epoch, such as “epoch 3 of 5” */
    g_ptr_array_add (parts, g_strdup_printf (_("epoch %lld of %lld"), (long long) self->epoch,
                                             (long long) self->epochs));
  if (self->eta_seconds >= 0 && self->state != NULL && g_str_equal (self->state, "running"))
    {
      g_autofree char *left = tw_report_format_duration ((gint64) self->eta_seconds);

      /* Translators: %s is a duration such as “14 min” */
      g_ptr_array_add (parts, g_strdup_printf (_("about %s left"), left));
    }

  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

/**
 * tw_report_dup_failure_text:
 * @self: a #TwReport
 *
 * Returns: (transfer full) (nullable): the exception and its message, such as
 *   “torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB”, or
 *   how the process ended, or %NULL if the run did not fail
 */
char *
tw_report_dup_failure_text (TwReport *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->exception != NULL && *self->exception != '\0' &&
      self->failure_message != NULL && *self->failure_message != '\0')
    return g_strdup_printf ("%s: %s", self->exception, self->failure_message);
  if (self->failure_message != NULL && *self->failure_message != '\0')
    return g_strdup (self->failure_message);
  if (self->exception != NULL && *self->exception != '\0')
    return g_strdup (self->exception);
  if (self->signal_number > 0)
    {
      const char *name = g_strsignal (self->signal_number);

      /* Translators: %d is a signal number, %s its description (“Killed”) */
      return g_strdup_printf (_("Ended by signal %d (%s)"), self->signal_number, name);
    }
  if (self->exit_status > 0)
    /* Translators: %d is a process's exit status */
    return g_strdup_printf (_("Exited with status %d"), self->exit_status);

  return NULL;
}

const char *
tw_verdict_to_string (TwVerdict verdict)
{
  switch (verdict)
    {
    case TW_VERDICT_ACCEPTED:
      return "accepted";
    case TW_VERDICT_RETRY:
      return "retry";
    case TW_VERDICT_REJECTED:
      return "rejected";
    case TW_VERDICT_DISABLE:
      return "disable";
    default:
      g_return_val_if_reached ("retry");
    }
}

/**
 * tw_send_result_clear:
 * @self: a #TwSendResult
 *
 * Frees the strings of @self and sets it back to %TW_SEND_RESULT_INIT.
 */
void
tw_send_result_clear (TwSendResult *self)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->answer, g_free);
  g_clear_pointer (&self->message_id, g_free);
  self->verdict = TW_VERDICT_RETRY;
  self->retry_after_usec = -1;
}
