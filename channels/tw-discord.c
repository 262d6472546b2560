/* tw-discord.c — messages for a Discord webhook, edited in place, and what its answers mean
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One batch, one message: a short `content` line (what a phone's notification shows),
 * one embed per shown report and one more summing up the rest:
 *
 *   { "content": "resnet50: Run failed — RuntimeError",
 *     "allowed_mentions": { "parse": [] },
 *     "embeds": [ { "title": "resnet50: Run failed — RuntimeError", "color": 14687834,
 *                   "description": "body\n```\nlog tail\n```",
 *                   "fields": [ Host, Progress, Duration (inline), Failure, Metrics ],
 *                   "footer": { "text": "Trainwatch" }, "timestamp": "2024-…Z" },
 *                 …, { "description": "and 37 more events: …", "color": … } ] }
 *
 * `allowed_mentions` with nothing to parse means nothing in the message pings anyone;
 * as belt and braces, every `@` from a run gets a zero-width space after it, so
 * `@everyone`, `@here` and `<@123>` are not even shown as mentions, and backticks in
 * the log get one too, so the log cannot close its code block. Lengths are counted as
 * tw-batch.c says (UTF-16 units, never fewer than Discord's characters).
 */
#include "config.h"

#include "tw-discord.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tw-batch.h"

/* Discord's documented embed limits (discord.com/developers/docs/resources/message,
 * "Embed Limits"): title 256 characters, description 4096, at most 25 fields, a field's
 * name 256 and value 1024, footer text 2048, and 6000 characters in all the embeds of a
 * message together; at most 10 embeds; `content` at most 2000 characters. */
#define DISCORD_MAX_TITLE         256
#define DISCORD_MAX_DESCRIPTION   4096
#define DISCORD_MAX_FIELDS        25
#define DISCORD_MAX_FIELD_NAME    256
#define DISCORD_MAX_FIELD_VALUE   1024
#define DISCORD_MAX_FOOTER        2048
#define DISCORD_MAX_EMBED_TOTAL   6000
#define DISCORD_MAX_EMBEDS        10
#define DISCORD_MAX_CONTENT       2000

/* Ours: stay clear of the total, show a few reports, keep the content line short. */
#define EMBED_TOTAL_BUDGET        5800
#define MAX_SHOWN                 5
#define CONTENT_MAX               200
#define SUMMARY_MAX               2000
#define METRICS_MAX_SHOWN         8
#define SUMMARY_COLOR             0x8D8D8D
#define FOOTER                    "Trainwatch"
#define CODE_FENCES               "\n```\n\n```"

G_STATIC_ASSERT (MAX_SHOWN + 1 <= DISCORD_MAX_EMBEDS);
G_STATIC_ASSERT (EMBED_TOTAL_BUDGET < DISCORD_MAX_EMBED_TOTAL);
G_STATIC_ASSERT (CONTENT_MAX < DISCORD_MAX_CONTENT);

#define ZERO_WIDTH_SPACE "\xe2\x80\x8b"

static const char *
escape_text (gunichar c)
{
  return c == '@' ? "@" ZERO_WIDTH_SPACE : NULL;
}

static const char *
escape_code (gunichar c)
{
  if (c == '`')
    return "`" ZERO_WIDTH_SPACE;

  return escape_text (c);
}

static char *
dup_timestamp (TwReport *report)
{
  gint64 usec = tw_event_get_time (report->event);
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/* One report's embed, its texts within @budget units in all. */
static void
add_report (JsonBuilder *builder,
            TwReport    *report,
            glong        budget)
{
  g_autofree char *headline = tw_batch_dup_headline (report);
  g_autofree char *title = NULL;
  g_autofree char *progress = tw_report_dup_progress_text (report);
  g_autofree char *failure = tw_report_dup_failure_text (report);
  g_autofree char *metrics = tw_batch_dup_metrics_text (report, METRICS_MAX_SHOWN);
  g_autofree char *duration = NULL;
  g_autofree char *timestamp = dup_timestamp (report);
  g_autoptr(GString) description = g_string_new (NULL);
  const char *body = tw_event_get_body (report->event);
  struct { const char *name; const char *value; gboolean inline_; } fields[] = {
    { _("Host"), report->host, TRUE },
    { _("Progress"), progress, TRUE },
    { _("Duration"), NULL, TRUE },
    { _("Failure"), failure, FALSE },
    { _("Metrics"), metrics, FALSE },
  };
  gint64 seconds = tw_report_get_duration_seconds (report);
  glong room = budget - (glong) strlen (FOOTER);

  G_STATIC_ASSERT (G_N_ELEMENTS (fields) <= DISCORD_MAX_FIELDS);

  if (seconds >= 0)
    fields[2].value = duration = tw_report_format_duration (seconds);

  json_builder_begin_object (builder);

  title = tw_batch_truncate (headline, MIN (DISCORD_MAX_TITLE, room / 4), escape_text, FALSE);
  if (*title != '\0')
    {
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, title);
      room -= tw_batch_count_units (title);
    }

  json_builder_set_member_name (builder, "color");
  json_builder_add_int_value (builder,
                              tw_batch_get_level_color (tw_event_get_level (report->event)));

  /* The run: each field within an eighth of what is left. */
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      glong share = MIN (MAX (room / 8, 40), room);

      if (fields[i].value == NULL || *fields[i].value == '\0')
        continue;

      name = tw_batch_truncate (fields[i].name, MIN (DISCORD_MAX_FIELD_NAME, share / 2),
                                NULL, FALSE);
      value = tw_batch_truncate (fields[i].value,
                                 MIN (DISCORD_MAX_FIELD_VALUE,
                                      share - tw_batch_count_units (name)),
                                 escape_text, FALSE);
      /* Discord refuses an empty name or value. */
      if (*name == '\0' || *value == '\0')
        continue;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, name);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, value);
      json_builder_set_member_name (builder, "inline");
      json_builder_add_boolean_value (builder, fields[i].inline_);
      json_builder_end_object (builder);
      room -= tw_batch_count_units (name) + tw_batch_count_units (value);
    }
  json_builder_end_array (builder);

  /* The body, then the end of the log in a code block, with what is left. */
  room = MIN (room, DISCORD_MAX_DESCRIPTION);
  if (body != NULL && *body != '\0')
    {
      g_autofree char *text = tw_batch_truncate (body, MIN (room / 3, 1000), escape_text,
                                                 FALSE);

      g_string_append (description, text);
      room -= tw_batch_count_units (text);
    }
  if (report->last_lines[0] != NULL && room > 60)
    {
      g_autofree char *log = g_strjoinv ("\n", report->last_lines);
      g_autofree char *tail = tw_batch_truncate (log, room - (glong) strlen (CODE_FENCES),
                                                 escape_code, TRUE);

      g_string_append_printf (description, "%s```\n%s\n```",
                              description->len > 0 ? "\n" : "", tail);
    }
  if (description->len > 0)
    {
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, description->str);
    }

  json_builder_set_member_name (builder, "footer");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, FOOTER);
  json_builder_end_object (builder);

  if (timestamp != NULL)
    {
      json_builder_set_member_name (builder, "timestamp");
      json_builder_add_string_value (builder, timestamp);
    }

  json_builder_end_object (builder);
}

static gboolean
is_snowflake (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 20)
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }

  return TRUE;
}

/**
 * tw_discord_build_payload:
 * @reports: (element-type TwReport): a batch of one or more reports, oldest first
 *
 * Builds one message for the batch, within Discord's limits whatever the batch holds
 * (a message Discord would refuse for its size is never made): the most important
 * reports (highest level, then newest; at most 5) each in an embed coloured by level,
 * and a last embed on the others by kind. The same payload serves to post and to edit.
 *
 * Returns: (transfer full): the JSON body for the webhook
 */
GBytes *
tw_discord_build_payload (GPtrArray *reports)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) sorted = NULL;
  g_autofree char *content = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *json = NULL;
  guint n_shown;
  glong budget = EMBED_TOTAL_BUDGET;
  gsize length = 0;

  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  sorted = tw_batch_dup_by_importance (reports);
  n_shown = MIN (sorted->len, MAX_SHOWN);
  content = tw_batch_dup_first_line (sorted, CONTENT_MAX, escape_text);

  json_builder_begin_object (builder);
  if (*content != '\0')
    {
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, content);
    }
  json_builder_set_member_name (builder, "allowed_mentions");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "parse");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "embeds");
  json_builder_begin_array (builder);

  summary = tw_batch_dup_summary (sorted, n_shown);
  if (summary != NULL)
    {
      g_autofree char *cut = tw_batch_truncate (summary, SUMMARY_MAX, escape_text, FALSE);

      budget -= tw_batch_count_units (cut);
      g_free (summary);
      summary = g_steal_pointer (&cut);
    }

  for (guint i = 0; i < n_shown; i++)
    add_report (builder, g_ptr_array_index (sorted, i), budget / n_shown);

  if (summary != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, summary);
      json_builder_set_member_name (builder, "color");
      json_builder_add_int_value (builder, SUMMARY_COLOR);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &length);

  return g_bytes_new_take (g_steal_pointer (&json), length);
}

/**
 * tw_discord_build_request:
 * @webhook_url: the webhook's URL, a secret; a query (`thread_id=…`) is kept
 * @edit_message_id: (nullable): the id of a message this webhook made, to edit it in
 *   place; %NULL to post a new message
 * @reports: (element-type TwReport): a batch of one or more reports, oldest first
 *
 * Without @edit_message_id, a POST to `{url}?wait=true` (`&wait=true` after a query),
 * so that Discord answers with the message, its id, or why it refused it. With it, a
 * PATCH to `{url}/messages/{id}` (the query kept after it).
 *
 * Returns: (transfer full): the request with tw_discord_build_payload() as its body
 */
TwHttpRequest *
tw_discord_build_request (const char *webhook_url,
                          const char *edit_message_id,
                          GPtrArray  *reports)
{
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *url = NULL;
  TwHttpRequest *request;

  g_return_val_if_fail (webhook_url != NULL, NULL);
  g_return_val_if_fail (edit_message_id == NULL || is_snowflake (edit_message_id), NULL);
  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  if (edit_message_id == NULL)
    url = g_strconcat (webhook_url, strchr (webhook_url, '?') != NULL ? "&" : "?",
                       "wait=true", NULL);
  else
    {
      const char *query = strchr (webhook_url, '?');
      gsize base_length = query != NULL ? (gsize) (query - webhook_url) : strlen (webhook_url);
      g_autofree char *base = g_strndup (webhook_url, base_length);

      if (base_length > 0 && base[base_length - 1] == '/')
        base[base_length - 1] = '\0';
      url = g_strconcat (base, "/messages/", edit_message_id, query, NULL);
    }

  payload = tw_discord_build_payload (reports);
  request = tw_http_request_new (edit_message_id == NULL ? "POST" : "PATCH", url);
  tw_http_request_set_body (request, "application/json", payload);

  return request;
}

/* Discord's JSON answer, if it is a JSON object. */
static JsonObject *
parse_answer (const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (*body == '\0' || !json_parser_load_from_data (parser, body, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gint64
get_int_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;

  return json_node_get_int (node);
}

/* Discord's `retry_after`, in seconds as a number (a float), as µs; -1 if absent. */
static gint64
get_retry_after_usec (JsonObject *object)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, "retry_after") : NULL;
  double seconds;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    seconds = json_node_get_double (node);
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    seconds = json_node_get_int (node);
  else
    return -1;

  if (!(seconds >= 0))
    return -1;

  return (gint64) (MIN (seconds, TW_BATCH_MAX_RETRY_AFTER) * G_USEC_PER_SEC);
}

/**
 * tw_discord_judge:
 * @response: (nullable): the webhook's answer, or %NULL if there was none
 * @error: (nullable): why there was no answer; %NULL with a @response
 * @was_edit: whether the request edited a message (a PATCH)
 * @result: (out caller-allocates): what becomes of the message; cleared first
 *
 * A 2xx is %TW_VERDICT_ACCEPTED, with the message's id from the answer (a POST with
 * wait=true and a PATCH answer the message) in @result's message_id. 429 is
 * %TW_VERDICT_RETRY after Discord's `retry_after` (seconds, a fraction allowed; else
 * the Retry-After header). 401, 403, 404 (Unknown Webhook) and redirects are
 * %TW_VERDICT_DISABLE: the webhook is gone or not ours. 400 and other 4xx are
 * %TW_VERDICT_REJECTED, the answer giving Discord's message: our payload was refused.
 * 5xx are %TW_VERDICT_RETRY; with no answer, see tw_batch_judge_error().
 *
 * An edit of a message that was deleted meanwhile gets 404 Unknown Message (code
 * 10008): that is %TW_VERDICT_RETRY with message_id %NULL, retry_after_usec 0 and an
 * answer saying the message is gone, and the caller posts the message anew (without
 * @edit_message_id) rather than disable the channel.
 *
 * The answer is “HTTP 404: Unknown Webhook (10015)” and the like: never the
 * webhook's URL or token.
 */
void
tw_discord_judge (TwHttpResponse *response,
                  const GError   *error,
                  gboolean        was_edit,
                  TwSendResult   *result)
{
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *body = NULL;
  g_autofree char *words = NULL;
  GBytes *bytes;
  const char *data = NULL;
  const char *message;
  gsize size = 0;
  gint64 code;
  guint status;

  g_return_if_fail (result != NULL);
  g_return_if_fail ((response == NULL) != (error == NULL));

  if (error != NULL)
    {
      tw_batch_judge_error (error, result);
      return;
    }

  tw_send_result_clear (result);
  status = tw_http_response_get_status (response);
  bytes = tw_http_response_get_body (response);
  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &size);
  body = g_utf8_make_valid (data != NULL ? data : "", size);
  answer = parse_answer (body);

  /* Discord's words: its message and code, else the body as it is; a message object
   * (a 200) is summed up by its id. */
  message = get_string_member (answer, "message");
  code = get_int_member (answer, "code");
  if (status >= 200 && status < 300)
    words = NULL;
  else if (message != NULL && code > 0)
    words = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", message, code);
  else if (message != NULL)
    words = g_strdup (message);
  else
    words = g_strdup (body);
  result->answer = tw_batch_dup_answer (status, words);

  if (status >= 200 && status < 300)
    {
      const char *id = get_string_member (answer, "id");

      result->verdict = TW_VERDICT_ACCEPTED;
      if (is_snowflake (id))
        result->message_id = g_strdup (id);
    }
  else if (status == 429)
    {
      result->verdict = TW_VERDICT_RETRY;
      result->retry_after_usec = get_retry_after_usec (answer);
      if (result->retry_after_usec < 0)
        {
          gint64 seconds = tw_http_response_get_retry_after (response);

          if (seconds >= 0)
            result->retry_after_usec = MIN (seconds, TW_BATCH_MAX_RETRY_AFTER) * G_USEC_PER_SEC;
        }
    }
  else if (status == 404 && was_edit && code == 10008)
    {
      g_autofree char *server = g_steal_pointer (&result->answer);

      result->verdict = TW_VERDICT_RETRY;
      result->retry_after_usec = 0;
      /* Translators: %s is Discord's answer, such as “HTTP 404: Unknown Message (10008)” */
      result->answer = g_strdup_printf (_("%s: the message was deleted, it will be posted anew"),
                                        server);
    }
  else if (status == 401 || status == 403 || status == 404 || (status >= 300 && status < 400))
    result->verdict = TW_VERDICT_DISABLE;
  else if (status >= 400 && status < 500)
    result->verdict = TW_VERDICT_REJECTED;
  else
    result->verdict = TW_VERDICT_RETRY;
}
