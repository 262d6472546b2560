/* tw-event.c — one thing that happened to a training run, as every channel sees it
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-event.h"

#include <math.h>
#include <time.h>

struct _TwEvent
{
  GObject      parent_instance;

  guint64      id;
  gint64       time;        /* wall clock, µs since the epoch */
  TwEventKind  kind;
  TwLevel      level;
  char        *job;
  char        *title;
  char        *body;
  char        *log_path;
  double       progress;    /* 0..1, or < 0 when unknown */
};

G_DEFINE_FINAL_TYPE (TwEvent, tw_event, G_TYPE_OBJECT)

G_DEFINE_QUARK (tw-event-error-quark, tw_event_error)

static const char * const level_names[TW_N_LEVELS] = {
  [TW_LEVEL_INFO] = "info",
  [TW_LEVEL_SUCCESS] = "success",
  [TW_LEVEL_WARNING] = "warning",
  [TW_LEVEL_ERROR] = "error",
  [TW_LEVEL_CRITICAL] = "critical",
};

static const char * const kind_names[TW_N_EVENT_KINDS] = {
  [TW_EVENT_RUN_STARTED] = "run-started",
  [TW_EVENT_PROGRESS] = "progress",
  [TW_EVENT_EPOCH_COMPLETED] = "epoch-completed",
  [TW_EVENT_CHECKPOINT_SAVED] = "checkpoint-saved",
  [TW_EVENT_EVALUATION_COMPLETED] = "evaluation-completed",
  [TW_EVENT_NEW_BEST] = "new-best",
  [TW_EVENT_RUN_COMPLETED] = "run-completed",
  [TW_EVENT_RUN_FAILED] = "run-failed",
  [TW_EVENT_OUT_OF_MEMORY] = "out-of-memory",
  [TW_EVENT_NAN_DETECTED] = "nan-detected",
  [TW_EVENT_LOSS_DIVERGING] = "loss-diverging",
  [TW_EVENT_STALLED] = "stalled",
  [TW_EVENT_RESUMED] = "resumed",
  [TW_EVENT_RUN_STOPPED] = "run-stopped",
  [TW_EVENT_RULE_MATCHED] = "rule-matched",
  [TW_EVENT_MESSAGE] = "message",
  [TW_EVENT_TEST] = "test",
};

static gboolean
lookup_name (const char * const *names,
             guint               n_names,
             const char         *str,
             guint              *out_index)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < n_names; i++)
    {
      if (g_str_equal (names[i], str))
        {
          *out_index = i;
          return TRUE;
        }
    }

  return FALSE;
}

static const char *
get_member_string (JsonObject *object,
                   const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static void
tw_event_finalize (GObject *object)
{
  TwEvent *self = TW_EVENT (object);

  g_clear_pointer (&self->job, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->log_path, g_free);

  G_OBJECT_CLASS (tw_event_parent_class)->finalize (object);
}

static void
tw_event_class_init (TwEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tw_event_finalize;
}

static void
tw_event_init (TwEvent *self)
{
  self->progress = -1.0;
}

/**
 * tw_level_to_string:
 * @level: a #TwLevel
 *
 * Returns: the level's stable name ("info", "error", …)
 */
const char *
tw_level_to_string (TwLevel level)
{
  g_return_val_if_fail (level < TW_N_LEVELS, NULL);

  return level_names[level];
}

/**
 * tw_level_from_string:
 * @str: (nullable): a level name
 * @out_level: (out): where to store the level
 *
 * Returns: %TRUE if @str names a level
 */
gboolean
tw_level_from_string (const char *str,
                      TwLevel    *out_level)
{
  guint index;

  g_return_val_if_fail (out_level != NULL, FALSE);

  if (!lookup_name (level_names, TW_N_LEVELS, str, &index))
    return FALSE;

  *out_level = index;
  return TRUE;
}

/**
 * tw_event_kind_to_string:
 * @kind: a #TwEventKind
 *
 * Returns: the kind's stable name ("run-failed", "test", …)
 */
const char *
tw_event_kind_to_string (TwEventKind kind)
{
  g_return_val_if_fail (kind < TW_N_EVENT_KINDS, NULL);

  return kind_names[kind];
}

/**
 * tw_event_kind_from_string:
 * @str: (nullable): a kind name
 * @out_kind: (out): where to store the kind
 *
 * Returns: %TRUE if @str names an event kind
 */
gboolean
tw_event_kind_from_string (const char  *str,
                           TwEventKind *out_kind)
{
  guint index;

  g_return_val_if_fail (out_kind != NULL, FALSE);

  if (!lookup_name (kind_names, TW_N_EVENT_KINDS, str, &index))
    return FALSE;

  *out_kind = index;
  return TRUE;
}

/**
 * tw_event_new:
 * @kind: what happened
 * @level: how much it matters
 * @job: (nullable): the name of the run it happened to
 * @title: a one-line summary
 * @body: (nullable): more detail
 *
 * Creates an event stamped with the current wall-clock time and id 0 (the
 * daemon numbers events as it accepts them). Text that is not valid UTF-8
 * is repaired, since log text is untrusted.
 *
 * Returns: (transfer full): a new #TwEvent
 */
TwEvent *
tw_event_new (TwEventKind  kind,
              TwLevel      level,
              const char  *job,
              const char  *title,
              const char  *body)
{
  TwEvent *self;

  g_return_val_if_fail (kind < TW_N_EVENT_KINDS, NULL);
  g_return_val_if_fail (level < TW_N_LEVELS, NULL);
  g_return_val_if_fail (title != NULL, NULL);

  self = g_object_new (TW_TYPE_EVENT, NULL);
  self->kind = kind;
  self->level = level;
  self->time = g_get_real_time ();
  self->job = job != NULL ? g_utf8_make_valid (job, -1) : NULL;
  self->title = g_utf8_make_valid (title, -1);
  self->body = body != NULL ? g_utf8_make_valid (body, -1) : NULL;

  return self;
}

/**
 * tw_event_new_from_json:
 * @node: an object as written by tw_event_to_json_node()
 * @error: return location for a #GError
 *
 * Reads an event back, e.g. from the history journal. Unknown members are
 * ignored so that journals written by newer versions still load.
 *
 * Returns: (transfer full) (nullable): the event, or %NULL with @error set
 */
TwEvent *
tw_event_new_from_json (JsonNode  *node,
                        GError   **error)
{
  JsonObject *object;
  const char *title;
  const char *time_str;
  TwEventKind kind;
  TwLevel level;
  TwEvent *self;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID,
                           "An event must be a JSON object");
      return NULL;
    }

  object = json_node_get_object (node);
  if (!tw_event_kind_from_string (get_member_string (object, "kind"), &kind))
    {
      g_set_error_literal (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID,
                           "The event has no known “kind”");
      return NULL;
    }
  if (!tw_level_from_string (get_member_string (object, "level"), &level))
    {
      g_set_error_literal (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID,
                           "The event has no known “level”");
      return NULL;
    }
  title = get_member_string (object, "title");
  if (title == NULL)
    {
      g_set_error_literal (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID,
                           "The event has no “title”");
      return NULL;
    }

  self = tw_event_new (kind, level, get_member_string (object, "job"), title,
                       get_member_string (object, "body"));

  if (json_object_has_member (object, "id"))
    self->id = (guint64) json_object_get_int_member_with_default (object, "id", 0);

  time_str = get_member_string (object, "time");
  if (time_str != NULL)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (time_str, NULL);

      if (dt != NULL)
        self->time = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
    }

  tw_event_set_log_path (self, get_member_string (object, "log"));
  if (json_object_has_member (object, "progress"))
    tw_event_set_progress (self, json_object_get_double_member_with_default (object, "progress", -1.0));

  return self;
}

/**
 * tw_event_get_id:
 * @self: a #TwEvent
 *
 * Returns: the daemon's sequence number for the event, 0 before it is accepted
 */
guint64
tw_event_get_id (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), 0);

  return self->id;
}

/**
 * tw_event_set_id:
 * @self: a #TwEvent
 * @id: the sequence number
 *
 * Numbers the event; the daemon does this once when it accepts it.
 */
void
tw_event_set_id (TwEvent *self,
                 guint64  id)
{
  g_return_if_fail (TW_IS_EVENT (self));

  self->id = id;
}

/**
 * tw_event_get_time:
 * @self: a #TwEvent
 *
 * Returns: when it happened, in microseconds since the Unix epoch
 */
gint64
tw_event_get_time (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), 0);

  return self->time;
}

/**
 * tw_event_set_time:
 * @self: a #TwEvent
 * @unix_usec: microseconds since the Unix epoch
 *
 * Sets when the event happened (for events reported after the fact).
 */
void
tw_event_set_time (TwEvent *self,
                   gint64   unix_usec)
{
  g_return_if_fail (TW_IS_EVENT (self));

  self->time = unix_usec;
}

/**
 * tw_event_get_kind:
 * @self: a #TwEvent
 *
 * Returns: what happened
 */
TwEventKind
tw_event_get_kind (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), TW_EVENT_MESSAGE);

  return self->kind;
}

/**
 * tw_event_get_level:
 * @self: a #TwEvent
 *
 * Returns: how much it matters
 */
TwLevel
tw_event_get_level (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), TW_LEVEL_INFO);

  return self->level;
}

/**
 * tw_event_get_job:
 * @self: a #TwEvent
 *
 * Returns: (nullable): the name of the run, if the event belongs to one
 */
const char *
tw_event_get_job (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  return self->job;
}

/**
 * tw_event_get_title:
 * @self: a #TwEvent
 *
 * Returns: the one-line summary (valid UTF-8, not markup)
 */
const char *
tw_event_get_title (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  return self->title;
}

/**
 * tw_event_get_body:
 * @self: a #TwEvent
 *
 * Returns: (nullable): the detail (valid UTF-8, not markup: channels escape it)
 */
const char *
tw_event_get_body (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  return self->body;
}

/**
 * tw_event_get_log_path:
 * @self: a #TwEvent
 *
 * Returns: (nullable): the log file of the run, for an "Open log" action
 */
const char *
tw_event_get_log_path (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  return self->log_path;
}

/**
 * tw_event_set_log_path:
 * @self: a #TwEvent
 * @log_path: (nullable): an absolute path
 *
 * Records which log the event came from.
 */
void
tw_event_set_log_path (TwEvent    *self,
                       const char *log_path)
{
  g_return_if_fail (TW_IS_EVENT (self));

  g_free (self->log_path);
  self->log_path = g_strdup (log_path);
}

/**
 * tw_event_get_progress:
 * @self: a #TwEvent
 *
 * Returns: the run's progress from 0 to 1 when the event was made, or a
 *   negative number when unknown
 */
double
tw_event_get_progress (TwEvent *self)
{
  g_return_val_if_fail (TW_IS_EVENT (self), -1.0);

  return self->progress;
}

/**
 * tw_event_set_progress:
 * @self: a #TwEvent
 * @progress: 0 to 1, or negative for unknown
 *
 * Records the run's progress; values above 1 are clamped.
 */
void
tw_event_set_progress (TwEvent *self,
                       double   progress)
{
  g_return_if_fail (TW_IS_EVENT (self));

  if (isnan (progress) || progress < 0.0)
    self->progress = -1.0;
  else
    self->progress = MIN (progress, 1.0);
}

/**
 * tw_event_to_json_node:
 * @self: a #TwEvent
 *
 * Serialises the event as one JSON object: `id`, `time` (ISO 8601, UTC),
 * `kind`, `level`, `title`, and `job`, `body`, `log`, `progress` when set.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
tw_event_to_json_node (TwEvent *self)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *json = NULL;
  gboolean parsed;

  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  /* One serialisation: the tree is what the line written to the history
   * reads back as. */
  json = tw_event_to_json (self);
  parsed = json_parser_load_from_data (parser, json, -1, NULL);
  if (!parsed)
    {
      g_critical ("An event serialised to invalid JSON: %s", json);
      return json_node_init_object (json_node_alloc (), json_object_new ());
    }

  return json_node_ref (json_parser_get_root (parser));
}

/* Like g_date_time_format_iso8601() on UTC, with less work: the history gets
 * a line per event. NULL before year 1 or after 9999. */
static char *
dup_iso_time (gint64 unix_usec)
{
  gint64 seconds = unix_usec / G_USEC_PER_SEC;
  gint64 usec = unix_usec % G_USEC_PER_SEC;
  time_t t;
  struct tm tm;

  if (usec < 0)
    {
      usec += G_USEC_PER_SEC;
      seconds--;
    }
  t = (time_t) seconds;
  if (gmtime_r (&t, &tm) == NULL || tm.tm_year < 1 - 1900 || tm.tm_year > 9999 - 1900)
    return NULL;

  if (usec != 0)
    return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) usec);
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A JSON string. Titles and bodies are repaired UTF-8 already; a log path
 * may not be, and JSON must be. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_autofree char *valid = NULL;
  const char *run;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  run = text;

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      unsigned char c = (unsigned char) *p;
      const char *escape = NULL;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
        {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default: break;
        }
      if (escape != NULL)
        g_string_append (out, escape);
      else
        g_string_append_printf (out, "\\u%04x", c);
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

static void
append_member (GString    *out,
               const char *name,
               const char *value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  if (value != NULL)
    append_json_string (out, value);
  else
    g_string_append (out, "null");
}

/**
 * tw_event_to_json:
 * @self: a #TwEvent
 *
 * Serialises the event as one JSON object: `id`, `time` (ISO 8601, UTC),
 * `kind`, `level`, `title`, and `job`, `body`, `log`, `progress` when set.
 * Written by hand, not through a #JsonBuilder: the daemon writes one line
 * per event to the history, and building a tree for it was a good part of
 * the cost of an event.
 *
 * Returns: (transfer full): the event as one line of compact JSON, no newline
 */
char *
tw_event_to_json (TwEvent *self)
{
  GString *out;
  g_autofree char *time_str = NULL;

  g_return_val_if_fail (TW_IS_EVENT (self), NULL);

  out = g_string_sized_new (256);
  time_str = dup_iso_time (self->time);
  g_string_append_printf (out, "{\"id\":%" G_GUINT64_FORMAT, self->id);
  append_member (out, "time", time_str);
  append_member (out, "kind", kind_names[self->kind]);
  append_member (out, "level", level_names[self->level]);
  if (self->job != NULL)
    append_member (out, "job", self->job);
  append_member (out, "title", self->title);
  if (self->body != NULL)
    append_member (out, "body", self->body);
  if (self->log_path != NULL)
    append_member (out, "log", self->log_path);
  if (self->progress >= 0.0 && isfinite (self->progress))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (out, ",\"progress\":%s", g_ascii_dtostr (buf, sizeof buf, self->progress));
    }
  g_string_append_c (out, '}');

  return g_string_free (out, FALSE);
}
