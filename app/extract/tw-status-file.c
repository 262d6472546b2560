/* tw-status-file.c — status files that training code or frameworks rewrite: ours, Hugging Face
 * trainer_state.json and Lightning's metrics.csv, read into observations
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure: the caller reads the file (again after every change) and hands the
 * bytes here. A file caught while its writer is halfway through is reported
 * as TW_STATUS_FILE_ERROR_INCOMPLETE, which is not the user's problem: the
 * next change brings the whole file.
 */
#include "config.h"

#include "tw-status-file.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* Lightning logs one column per metric; more than this is not a metrics file. */
#define MAX_CSV_COLUMNS 512
/* Largest count kept from a file's number: beyond it doubles skip integers anyway. */
#define MAX_COUNT (G_GINT64_CONSTANT (1) << 53)

G_DEFINE_QUARK (tw-status-file-error-quark, tw_status_file_error)

/* A count from a number in the file. Converting a double outside gint64's range
 * (1e300, a 30-digit step) is undefined behaviour, so it is clamped first. */
static gint64
to_count (double value)
{
  if (isnan (value))
    return 0;

  return (gint64) CLAMP (value, (double) -MAX_COUNT, (double) MAX_COUNT);
}

static TwObservation *
append (GArray            *out,
        TwObservationKind  kind)
{
  TwObservation observation = { 0 };

  observation.kind = kind;
  observation.elapsed = -1.0;
  observation.remaining = -1.0;
  g_array_append_val (out, observation);

  return &g_array_index (out, TwObservation, out->len - 1);
}

static void
append_metric (GArray     *out,
               const char *name,
               double      value,
               gboolean    sub)
{
  TwObservation *metric = append (out, TW_OBSERVATION_METRIC);

  metric->name = g_strdup (name);
  metric->value = value;
  metric->sub = sub;
}

static gboolean
is_eval_name (const char *name)
{
  return g_str_has_prefix (name, "eval_") || g_str_has_prefix (name, "val_") ||
         g_str_has_prefix (name, "valid_") || g_str_has_prefix (name, "validation_") ||
         g_str_has_prefix (name, "test_");
}

/* JSON has no NaN: writers that report one use a string. */
static gboolean
node_to_double (JsonNode *node,
                double   *out_value)
{
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out_value = (double) json_node_get_int (node);
      return TRUE;

    case G_TYPE_DOUBLE:
      *out_value = json_node_get_double (node);
      return TRUE;

    case G_TYPE_STRING:
      {
        const char *str = json_node_get_string (node);
        char *end = NULL;

        if (g_ascii_strcasecmp (str, "nan") == 0)
          {
            *out_value = NAN;
            return TRUE;
          }
        if (g_ascii_strcasecmp (str, "inf") == 0 || g_ascii_strcasecmp (str, "infinity") == 0)
          {
            *out_value = INFINITY;
            return TRUE;
          }
        if (g_ascii_strcasecmp (str, "-inf") == 0 || g_ascii_strcasecmp (str, "-infinity") == 0)
          {
            *out_value = -INFINITY;
            return TRUE;
          }
        *out_value = g_ascii_strtod (str, &end);
        return end != str && *end == '\0';
      }

    default:
      return FALSE;
    }
}

static gboolean
member_double (JsonObject *object,
               const char *member,
               double     *out_value)
{
  return node_to_double (json_object_get_member (object, member), out_value);
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gboolean
looks_cut_off (const char *data,
               gsize       len)
{
  while (len > 0 && g_ascii_isspace (data[len - 1]))
    len--;

  return len == 0 || data[len - 1] != '}';
}

/* json-glib 1.6 reads "{}{}" or "7{}" as one document and leaks every value but the
 * last, so the file must be one object with nothing after it. A file still being
 * written (no closing brace yet) passes: the parser says it is incomplete. */
static gboolean
holds_one_object (const char *data,
                  gsize       len)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  gsize i = 0;

  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len)
    return TRUE;
  if (data[i] != '{')
    return FALSE;

  for (; i < len; i++)
    {
      if (in_string)
        {
          if (data[i] == '\\')
            i++;
          else if (data[i] == '"')
            in_string = FALSE;
        }
      else if (data[i] == '"')
        in_string = TRUE;
      else if (data[i] == '{' || data[i] == '[')
        depth++;
      else if ((data[i] == '}' || data[i] == ']') && --depth == 0)
        break;
    }

  for (i++; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;

  return TRUE;
}

static JsonObject *
parse_object (JsonParser  *parser,
              const char  *data,
              gsize        len,
              GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!holds_one_object (data, len))
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID,
                           "A status file must hold one JSON object");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error (error, TW_STATUS_FILE_ERROR,
                   looks_cut_off (data, len) ? TW_STATUS_FILE_ERROR_INCOMPLETE : TW_STATUS_FILE_ERROR_INVALID,
                   "Not a JSON status file: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR,
                           root == NULL ? TW_STATUS_FILE_ERROR_INCOMPLETE : TW_STATUS_FILE_ERROR_INVALID,
                           "A status file must hold one JSON object");
      return NULL;
    }

  return json_node_get_object (root);
}

static void
add_progress (GArray     *out,
              double      n,
              double      total,
              double      remaining,
              const char *message)
{
  TwObservation *progress = append (out, TW_OBSERVATION_PROGRESS);

  progress->n = to_count (n);
  progress->total = to_count (total);
  progress->remaining = remaining;
  progress->message = g_strdup (message);
}

/* Our format, documented in docs/status-file.md. */
static gboolean
parse_trainwatch (const char  *data,
                  gsize        len,
                  GArray      *out,
                  GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object = parse_object (parser, data, len, error);
  const char *state;
  const char *message;
  double step = -1, total_steps = -1, progress = -1, epoch = -1, total_epochs = 0, eta = -1;
  JsonNode *metrics;

  if (object == NULL)
    return FALSE;

  state = member_string (object, "state");
  if (state != NULL && !g_str_equal (state, "running") && !g_str_equal (state, "completed") &&
      !g_str_equal (state, "failed") && !g_str_equal (state, "stopped"))
    {
      g_set_error (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID,
                   "Unknown state “%s”: use running, completed, failed or stopped", state);
      return FALSE;
    }
  message = member_string (object, "message");

  member_double (object, "step", &step);
  member_double (object, "total_steps", &total_steps);
  member_double (object, "progress", &progress);
  member_double (object, "epoch", &epoch);
  member_double (object, "total_epochs", &total_epochs);
  member_double (object, "eta_seconds", &eta);

  if (epoch >= 0 && isfinite (epoch))
    {
      TwObservation *observation = append (out, TW_OBSERVATION_EPOCH);

      observation->n = to_count (epoch);
      observation->total = isfinite (total_epochs) && total_epochs > 0 ? to_count (total_epochs) : 0;
    }

  if (step >= 0 && isfinite (step))
    {
      TwObservation *observation = append (out, TW_OBSERVATION_STEP);

      observation->n = to_count (step);
      observation->total = isfinite (total_steps) && total_steps > 0 ? to_count (total_steps) : 0;
    }

  /* Progress from step/total when both are known, else from the fraction. */
  if (step >= 0 && total_steps > 0 && isfinite (step) && isfinite (total_steps))
    add_progress (out, MIN (step, total_steps), total_steps, eta, message);
  else if (progress >= 0 && isfinite (progress))
    add_progress (out, round (CLAMP (progress, 0.0, 1.0) * 1000000.0), 1000000.0, eta, message);

  metrics = json_object_get_member (object, "metrics");
  if (metrics != NULL && JSON_NODE_HOLDS_OBJECT (metrics))
    {
      JsonObject *metrics_object = json_node_get_object (metrics);
      g_autoptr(GList) names = json_object_get_members (metrics_object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          double value;

          if (member_double (metrics_object, l->data, &value))
            append_metric (out, l->data, value, is_eval_name (l->data));
        }
    }

  if (g_strcmp0 (state, "completed") == 0)
    {
      TwObservation *completed = append (out, TW_OBSERVATION_COMPLETED);

      completed->message = g_strdup (message);
    }
  else if (g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "stopped") == 0)
    {
      TwObservation *failure = append (out, TW_OBSERVATION_FAILURE);
      JsonNode *error_node = json_object_get_member (object, "error");

      failure->failure = g_str_equal (state, "failed") ? TW_FAILURE_EXCEPTION : TW_FAILURE_KILLED;
      failure->message = g_strdup (message);
      if (error_node != NULL && JSON_NODE_HOLDS_OBJECT (error_node))
        {
          JsonObject *error_object = json_node_get_object (error_node);
          const char *exception = member_string (error_object, "exception");
          const char *error_message = member_string (error_object, "message");
          const char *kind = member_string (error_object, "kind");

          failure->exception = g_strdup (exception);
          if (error_message != NULL)
            {
              g_free (failure->message);
              failure->message = g_strdup (error_message);
            }
          if (g_strcmp0 (kind, "out-of-memory") == 0)
            failure->failure = TW_FAILURE_OUT_OF_MEMORY;
          else if (g_strcmp0 (kind, "nan") == 0)
            failure->failure = TW_FAILURE_NAN;
        }
    }

  return TRUE;
}

/* Adds every numeric member of one log_history entry but step and epoch. */
static void
add_log_entry_metrics (GArray     *out,
                       JsonObject *entry,
                       gboolean    sub)
{
  g_autoptr(GList) names = json_object_get_members (entry);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      double value;

      if (g_str_equal (name, "step") || g_str_equal (name, "epoch"))
        continue;
      if (member_double (entry, name, &value))
        append_metric (out, name, value, sub);
    }
}

/* Reading again with a cursor: every log_history entry not read before, in order, so
 * each evaluation (and each new best) is heard once however many fit between reads. */
static void
add_new_log_entries (GArray         *out,
                     JsonArray      *entries,
                     TwStatusCursor *cursor)
{
  gint64 newest = cursor->step;
  guint at_newest = 0;
  guint at_cursor = 0;
  gboolean finished = FALSE;

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);
      JsonObject *entry;
      double value = -1;
      gint64 step;
      gboolean is_new;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      step = member_double (entry, "step", &value) && isfinite (value) && value >= 0 ? to_count (value) : -1;

      /* A resumed run's file starts again below the cursor: those entries were heard. */
      if (step == cursor->step)
        is_new = at_cursor++ >= cursor->at_step;
      else
        is_new = step > cursor->step;
      if (step > newest)
        {
          newest = step;
          at_newest = 0;
        }
      if (step == newest)
        at_newest++;
      if (!is_new)
        continue;

      if (json_object_has_member (entry, "train_runtime"))
        finished = TRUE;
      else if (json_object_has_member (entry, "eval_loss") || json_object_has_member (entry, "eval_runtime"))
        {
          add_log_entry_metrics (out, entry, TRUE);
          append (out, TW_OBSERVATION_EVALUATION);
        }
      else if (json_object_has_member (entry, "loss"))
        add_log_entry_metrics (out, entry, FALSE);
    }

  if (newest == cursor->step)
    at_newest = MAX (at_newest, cursor->at_step);
  cursor->step = newest;
  cursor->at_step = at_newest;
  if (finished)
    append (out, TW_OBSERVATION_COMPLETED);
}

static gboolean
parse_hf_trainer_state (const char      *data,
                        gsize            len,
                        TwStatusCursor  *cursor,
                        GArray          *out,
                        GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object = parse_object (parser, data, len, error);
  JsonObject *last_train = NULL;
  JsonObject *last_eval = NULL;
  gboolean finished = FALSE;
  double global_step = -1, max_steps = 0, epoch = -1, num_epochs = 0;
  JsonNode *history;

  if (object == NULL)
    return FALSE;
  if (!member_double (object, "global_step", &global_step))
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID,
                           "A trainer_state.json has a “global_step”");
      return FALSE;
    }
  member_double (object, "max_steps", &max_steps);
  member_double (object, "epoch", &epoch);
  member_double (object, "num_train_epochs", &num_epochs);

  /* The Trainer's epoch counts epochs done (2.34 = a third into the third). */
  if (epoch >= 0 && isfinite (epoch))
    {
      TwObservation *observation = append (out, TW_OBSERVATION_EPOCH);
      gint64 total = isfinite (num_epochs) && num_epochs > 0 ? to_count (num_epochs) : 0;

      observation->n = MAX (to_count (ceil (epoch)), 1);
      if (total > 0)
        observation->n = MIN (observation->n, total);
      observation->total = total;
    }

  {
    TwObservation *step = append (out, TW_OBSERVATION_STEP);

    step->n = to_count (global_step);
    step->total = max_steps > 0 ? to_count (max_steps) : 0;
  }
  if (max_steps > 0)
    add_progress (out, MIN (global_step, max_steps), max_steps, -1.0, NULL);

  history = json_object_get_member (object, "log_history");
  if (cursor != NULL)
    {
      if (history != NULL && JSON_NODE_HOLDS_ARRAY (history))
        add_new_log_entries (out, json_node_get_array (history), cursor);
      return TRUE;
    }
  if (history != NULL && JSON_NODE_HOLDS_ARRAY (history))
    {
      JsonArray *entries = json_node_get_array (history);

      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          JsonNode *node = json_array_get_element (entries, i);
          JsonObject *entry;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          entry = json_node_get_object (node);
          if (json_object_has_member (entry, "train_runtime"))
            finished = TRUE;
          else if (json_object_has_member (entry, "eval_loss") ||
                   json_object_has_member (entry, "eval_runtime"))
            last_eval = entry;
          else if (json_object_has_member (entry, "loss"))
            last_train = entry;
        }
    }

  if (last_train != NULL)
    add_log_entry_metrics (out, last_train, FALSE);
  if (last_eval != NULL)
    {
      add_log_entry_metrics (out, last_eval, TRUE);
      append (out, TW_OBSERVATION_EVALUATION);
    }
  if (finished)
    append (out, TW_OBSERVATION_COMPLETED);

  return TRUE;
}

/* Reading again with a cursor: each row not read before becomes its own observations. */
static void
add_csv_row (GArray          *out,
             GPtrArray       *names,
             char           **cells,
             gsize            n_cells,
             int              epoch_column,
             int              step_column)
{
  gboolean evaluation = FALSE;

  for (int pass = 0; pass < 3; pass++)
    for (guint i = 0; i < MIN (n_cells, names->len); i++)
      {
        const char *name = g_ptr_array_index (names, i);
        char *cell_end = NULL;
        double value;

        g_strstrip (cells[i]);
        if (cells[i][0] == '\0')
          continue;
        value = g_ascii_strtod (cells[i], &cell_end);
        if (cell_end == cells[i] || *cell_end != '\0')
          continue;

        /* Epoch first, then step, then the metrics, as a log would say them. */
        if (pass == 0 && (int) i == epoch_column && isfinite (value) && value >= 0)
          append (out, TW_OBSERVATION_EPOCH)->n = to_count (value) + 1;
        else if (pass == 1 && (int) i == step_column && isfinite (value) && value >= 0)
          append (out, TW_OBSERVATION_STEP)->n = to_count (value);
        else if (pass == 2 && (int) i != epoch_column && (int) i != step_column)
          {
            append_metric (out, name, value, is_eval_name (name));
            evaluation |= is_eval_name (name);
          }
      }

  if (evaluation)
    append (out, TW_OBSERVATION_EVALUATION);
}

static gboolean
parse_lightning_csv (const char      *data,
                     gsize            len,
                     TwStatusCursor  *cursor,
                     GArray          *out,
                     GError         **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) last = g_array_new (FALSE, TRUE, sizeof (double));
  g_autoptr(GArray) seen = g_array_new (FALSE, TRUE, sizeof (gboolean));
  const char *p = data;
  const char *end = data + len;
  const char *nl;
  int epoch_column = -1;
  int step_column = -1;
  gboolean header = TRUE;
  /* Rows are counted, never compared: Lightning rewrites the file in place, and a read
   * that catches it half written sees fewer rows, which are still the same rows. */
  guint row = 0;

  while (p < end && (nl = memchr (p, '\n', end - p)) != NULL)
    {
      g_autofree char *line = g_strndup (p, nl - p);
      g_auto(GStrv) cells = NULL;
      gsize n_cells;

      p = nl + 1;
      g_strchomp (line);
      if (line[0] == '\0')
        continue;
      cells = g_strsplit (line, ",", MAX_CSV_COLUMNS + 1);
      n_cells = g_strv_length (cells);

      if (header)
        {
          if (n_cells > MAX_CSV_COLUMNS || !g_utf8_validate (line, -1, NULL))
            {
              g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID,
                                   "Not a metrics.csv: the header is not a list of names");
              return FALSE;
            }
          for (guint i = 0; i < n_cells; i++)
            {
              g_ptr_array_add (names, g_strdup (g_strstrip (cells[i])));
              if (g_str_equal (cells[i], "epoch"))
                epoch_column = i;
              else if (g_str_equal (cells[i], "step"))
                step_column = i;
            }
          g_array_set_size (last, names->len);
          g_array_set_size (seen, names->len);
          header = FALSE;
          continue;
        }

      if (cursor != NULL)
        {
          if (row++ >= cursor->rows)
            add_csv_row (out, names, cells, n_cells, epoch_column, step_column);
          continue;
        }

      for (guint i = 0; i < MIN (n_cells, names->len); i++)
        {
          char *cell_end = NULL;
          double value;

          g_strstrip (cells[i]);
          if (cells[i][0] == '\0')
            continue;
          value = g_ascii_strtod (cells[i], &cell_end);
          if (cell_end == cells[i] || *cell_end != '\0')
            continue;
          g_array_index (last, double, i) = value;
          g_array_index (seen, gboolean, i) = TRUE;
        }
    }
  /* A last line without its newline is a row still being written: left for next time. */

  if (header)
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INCOMPLETE,
                           "The metrics.csv has no complete header yet");
      return FALSE;
    }

  if (cursor != NULL)
    {
      cursor->rows = MAX (cursor->rows, row);
      return TRUE;
    }

  if (epoch_column >= 0 && g_array_index (seen, gboolean, epoch_column))
    {
      TwObservation *observation = append (out, TW_OBSERVATION_EPOCH);

      /* Lightning counts epochs from 0. */
      observation->n = to_count (g_array_index (last, double, epoch_column)) + 1;
    }
  if (step_column >= 0 && g_array_index (seen, gboolean, step_column))
    {
      TwObservation *observation = append (out, TW_OBSERVATION_STEP);

      observation->n = to_count (g_array_index (last, double, step_column));
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if ((int) i == epoch_column || (int) i == step_column || !g_array_index (seen, gboolean, i))
        continue;
      append_metric (out, name, g_array_index (last, double, i), is_eval_name (name));
    }

  return TRUE;
}

static gboolean
parse_any (TwStatusFormat   format,
           const char      *data,
           gsize            len,
           TwStatusCursor  *cursor,
           GArray          *out,
           GError         **error)
{
  if (len == 0)
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INCOMPLETE,
                           "The status file is empty");
      return FALSE;
    }
  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, TW_STATUS_FILE_ERROR, TW_STATUS_FILE_ERROR_INVALID,
                           "The status file holds binary data");
      return FALSE;
    }

  switch (format)
    {
    case TW_STATUS_FORMAT_HF_TRAINER_STATE:
      return parse_hf_trainer_state (data, len, cursor, out, error);

    case TW_STATUS_FORMAT_LIGHTNING_CSV:
      return parse_lightning_csv (data, len, cursor, out, error);

    case TW_STATUS_FORMAT_TRAINWATCH:
    default:
      return parse_trainwatch (data, len, out, error);
    }
}

/**
 * tw_status_format_for_name:
 * @basename: a file's name without its folder
 *
 * Returns: the format a file of that name is read as: names ending in
 *   `trainer_state.json` and `metrics.csv` are the frameworks' own, anything
 *   else ours
 */
TwStatusFormat
tw_status_format_for_name (const char *basename)
{
  g_return_val_if_fail (basename != NULL, TW_STATUS_FORMAT_TRAINWATCH);

  if (g_str_has_suffix (basename, "trainer_state.json"))
    return TW_STATUS_FORMAT_HF_TRAINER_STATE;
  if (g_str_has_suffix (basename, "metrics.csv"))
    return TW_STATUS_FORMAT_LIGHTNING_CSV;

  return TW_STATUS_FORMAT_TRAINWATCH;
}

/**
 * tw_status_file_parse:
 * @format: how to read @data
 * @data: (array length=len): the file's contents
 * @len: their length
 * @out: (element-type TwObservation): where observations are appended
 * @error: return location for a #GError
 *
 * Reads one status file into observations (all at offset 0): epoch and
 * step with their totals, overall progress, the newest value of each
 * metric, and completion or failure when the file says so.
 *
 * Returns: %TRUE on success; %FALSE with %TW_STATUS_FILE_ERROR_INCOMPLETE
 *   for a file caught mid-write, or %TW_STATUS_FILE_ERROR_INVALID
 */
gboolean
tw_status_file_parse (TwStatusFormat   format,
                      const char      *data,
                      gsize            len,
                      GArray          *out,
                      GError         **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return parse_any (format, data, len, NULL, out, error);
}

/**
 * tw_status_cursor_init:
 * @cursor: a #TwStatusCursor
 *
 * Sets @cursor to "nothing read yet".
 */
void
tw_status_cursor_init (TwStatusCursor *cursor)
{
  g_return_if_fail (cursor != NULL);

  cursor->step = -1;
  cursor->at_step = 0;
  cursor->rows = 0;
}

/**
 * tw_status_file_parse_new:
 * @format: how to read @data
 * @data: (array length=len): the file's contents, read again after a change
 * @len: their length
 * @cursor: (inout): how far earlier reads got; advanced on success
 * @out: (element-type TwObservation): where observations are appended
 * @error: return location for a #GError
 *
 * Like tw_status_file_parse(), for a file that is followed: the run's
 * epoch, step and progress as the file says now, then only the history
 * not read before: each new `log_history` entry of a trainer_state.json
 * (an evaluation entry gives its metrics and an evaluation), each new row
 * of a metrics.csv (a row with `val_*` values gives an evaluation). Our
 * own format holds no history and gives the whole file each time.
 *
 * Returns: %TRUE on success; %FALSE as tw_status_file_parse(), with
 *   @cursor unchanged
 */
gboolean
tw_status_file_parse_new (TwStatusFormat   format,
                          const char      *data,
                          gsize            len,
                          TwStatusCursor  *cursor,
                          GArray          *out,
                          GError         **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (cursor != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return parse_any (format, data, len, cursor, out, error);
}
