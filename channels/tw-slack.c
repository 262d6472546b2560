/* tw-slack.c — messages for a Slack incoming webhook, and what its answers mean
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One batch, one message: a `text` line (what notifications and old clients show),
 * then one coloured attachment per shown report, with Block Kit blocks:
 *
 *   { "text": "resnet50: Run failed — RuntimeError", "unfurl_links": false, …,
 *     "attachments": [
 *       { "color": "#E01E5A", "fallback": "…",
 *         "blocks": [ section "*headline*\nbody",
 *                     section fields (Host, Progress, Duration, Failure, Metrics),
 *                     section "```log tail```",
 *                     context "<!date^…>" ] },
 *       …,
 *       { "color": "#8D8D8D", "blocks": [ context "and 37 more events: …" ] } ] }
 *
 * Every piece of text from a run (job names, titles, log lines) is escaped (& < >), so
 * `<!channel>`, `<@U123>` or `<https://x|y>` in a log shows as written and never pings
 * or links; backticks in the log get a zero-width space after them, so the log cannot
 * close its code block. Lengths are counted as tw-batch.c says, after escaping.
 */
#include "config.h"

#include "tw-slack.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tw-batch.h"

/* Slack's documented Block Kit limits: a section's text at most 3000 characters, a
 * section at most 10 fields of at most 2000 characters each, at most 50 blocks in a
 * message (api.slack.com/reference/block-kit/blocks#section). */
#define SLACK_MAX_SECTION_TEXT    3000
#define SLACK_MAX_FIELDS          10
#define SLACK_MAX_FIELD_TEXT      2000
#define SLACK_MAX_BLOCKS          50
/* Slack truncates a message's `text` past 40 000 characters; and chat.postMessage
 * answers msg_blocks_too_long for blocks of about 13 000 characters in all, well
 * below the documented limits (slackapi/bolt-js#2509). All our blocks stay below
 * 10 000 characters together. */
#define SLACK_MAX_MESSAGE_TEXT    10000
/* More than 20 attachments are discouraged (the hard limit is 100). */
#define SLACK_MAX_SHOWN           5

/* Our own, for reading: a headline and a notification line stay short. */
#define HEADLINE_MAX              300
#define TEXT_MAX                  500
#define FALLBACK_MAX              150
#define SUMMARY_MAX               2900  /* a context block's text: 3000 */
#define METRICS_MAX_SHOWN         8
#define BLOCKS_PER_REPORT         4
#define SUMMARY_COLOR             0x8D8D8D
/* Room kept in each report's share for the context line and the field labels. */
#define CONTEXT_RESERVE           120
#define CODE_FENCES               "```\n\n```"

G_STATIC_ASSERT (SLACK_MAX_SHOWN * BLOCKS_PER_REPORT + 1 <= SLACK_MAX_BLOCKS);

static const char *
escape_text (gunichar c)
{
  switch (c)
    {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    default:
      return NULL;
    }
}

static const char *
escape_code (gunichar c)
{
  if (c == '`')
    return "`\xe2\x80\x8b";  /* a zero-width space after it: ``` never forms */

  return escape_text (c);
}

static void
add_text_object (JsonBuilder *builder,
                 const char  *type,
                 const char  *text)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
}

static void
add_section (JsonBuilder *builder,
             const char  *mrkdwn)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "section");
  json_builder_set_member_name (builder, "text");
  add_text_object (builder, "mrkdwn", mrkdwn);
  json_builder_end_object (builder);
}

static void
add_context (JsonBuilder *builder,
             const char  *mrkdwn)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "context");
  json_builder_set_member_name (builder, "elements");
  json_builder_begin_array (builder);
  add_text_object (builder, "mrkdwn", mrkdwn);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_color (JsonBuilder *builder,
           guint32      color)
{
  g_autofree char *hex = g_strdup_printf ("#%06X", color);

  json_builder_set_member_name (builder, "color");
  json_builder_add_string_value (builder, hex);
}

/* The reader's local time, by Slack's date token; the fallback is UTC. */
static char *
dup_time_token (TwReport *report)
{
  gint64 seconds = tw_event_get_time (report->event) / G_USEC_PER_SEC;
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (seconds);
  g_autofree char *fallback = NULL;

  if (time == NULL)
    return NULL;

  fallback = g_date_time_format (time, "%Y-%m-%d %H:%M UTC");
  return g_strdup_printf ("<!date^%" G_GINT64_FORMAT "^{date_short_pretty} {time}|%s>",
                          seconds, fallback);
}

/* A field's text, "*Label*\nvalue", within @room units; NULL without value or room. */
static char *
dup_field (const char *label,
           const char *value,
           glong       room)
{
  g_autofree char *escaped_label = tw_batch_truncate (label, 100, escape_text, FALSE);
  g_autofree char *escaped_value = NULL;
  glong label_units = tw_batch_count_units (escaped_label) + 3;  /* "**\n" */
  glong max_value;

  if (value == NULL || *value == '\0')
    return NULL;

  max_value = MIN (SLACK_MAX_FIELD_TEXT, room) - label_units;
  if (max_value < 8)
    return NULL;

  escaped_value = tw_batch_truncate (value, max_value, escape_text, FALSE);
  return g_strdup_printf ("*%s*\n%s", escaped_label, escaped_value);
}

/* One report's attachment, its blocks' text within @budget units. */
static void
add_report (JsonBuilder *builder,
            TwReport    *report,
            glong        budget)
{
  g_autofree char *headline = tw_batch_dup_headline (report);
  g_autofree char *escaped_headline = NULL;
  g_autofree char *fallback = tw_batch_truncate (headline, FALLBACK_MAX, escape_text, FALSE);
  g_autofree char *progress = tw_report_dup_progress_text (report);
  g_autofree char *failure = tw_report_dup_failure_text (report);
  g_autofree char *metrics = tw_batch_dup_metrics_text (report, METRICS_MAX_SHOWN);
  g_autofree char *duration = NULL;
  g_autofree char *time_token = dup_time_token (report);
  g_autoptr(GString) head = g_string_new (NULL);
  const char *body = tw_event_get_body (report->event);
  struct { const char *label; const char *value; } fields[] = {
    { _("Host"), report->host },
    { _("Progress"), progress },
    { _("Duration"), NULL },
    { _("Failure"), failure },
    { _("Metrics"), metrics },
  };
  gint64 seconds = tw_report_get_duration_seconds (report);
  g_autoptr(GPtrArray) field_texts = g_ptr_array_new_with_free_func (g_free);
  glong room = budget - CONTEXT_RESERVE;

  G_STATIC_ASSERT (G_N_ELEMENTS (fields) <= SLACK_MAX_FIELDS);

  if (seconds >= 0)
    fields[2].value = duration = tw_report_format_duration (seconds);

  json_builder_begin_object (builder);
  add_color (builder, tw_batch_get_level_color (tw_event_get_level (report->event)));
  json_builder_set_member_name (builder, "fallback");
  json_builder_add_string_value (builder, fallback);
  json_builder_set_member_name (builder, "blocks");
  json_builder_begin_array (builder);

  /* What happened: the headline in bold, then the body, within a third of the room. */
  escaped_headline = tw_batch_truncate (headline, MIN (HEADLINE_MAX, room / 3 - 2),
                                        escape_text, FALSE);
  g_string_append_printf (head, "*%s*", escaped_headline);
  if (body != NULL && *body != '\0')
    {
      glong max_body = MIN (SLACK_MAX_SECTION_TEXT, room / 3)
                       - tw_batch_count_units (head->str) - 1;

      if (max_body > 8)
        {
          g_autofree char *escaped_body = tw_batch_truncate (body, max_body, escape_text,
                                                             FALSE);

          g_string_append_printf (head, "\n%s", escaped_body);
        }
    }
  add_section (builder, head->str);
  room -= tw_batch_count_units (head->str);

  /* The run: each field within an eighth of what is left. */
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      char *field = dup_field (fields[i].label, fields[i].value,
                               MIN (MAX (room / 8, 60), room));

      if (field == NULL)
        continue;
      room -= tw_batch_count_units (field);
      g_ptr_array_add (field_texts, field);
    }
  if (field_texts->len > 0)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "section");
      json_builder_set_member_name (builder, "fields");
      json_builder_begin_array (builder);
      for (guint i = 0; i < field_texts->len; i++)
        add_text_object (builder, "mrkdwn", g_ptr_array_index (field_texts, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }

  /* The end of the log, in a code block, with what is left. */
  if (report->last_lines[0] != NULL && room > 100)
    {
      g_autofree char *log = g_strjoinv ("\n", report->last_lines);
      glong max_log = MIN (SLACK_MAX_SECTION_TEXT, room) - (glong) strlen (CODE_FENCES);
      g_autofree char *escaped_log = tw_batch_truncate (log, max_log, escape_code, TRUE);
      g_autofree char *code = g_strdup_printf ("```\n%s\n```", escaped_log);

      add_section (builder, code);
    }

  if (time_token != NULL)
    add_context (builder, time_token);

  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/**
 * tw_slack_escape:
 * @text: text from a run: a job's name, a log line
 *
 * Escapes the three characters Slack's markup gives a meaning to, so that `<!channel>`
 * shows as written instead of pinging the channel.
 *
 * Returns: (transfer full): @text with `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`
 *   (invalid UTF-8 replaced by U+FFFD)
 */
char *
tw_slack_escape (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  return tw_batch_truncate (text, G_MAXLONG, escape_text, FALSE);
}

/**
 * tw_slack_build_payload:
 * @reports: (element-type TwReport): a batch of one or more reports, oldest first
 *
 * Builds one message for the batch, within Slack's limits whatever the batch holds:
 * the most important reports (highest level, then newest; at most 5) each in a
 * coloured attachment, and a line on the others by kind.
 *
 * Returns: (transfer full): the JSON body for the webhook
 */
GBytes *
tw_slack_build_payload (GPtrArray *reports)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) sorted = NULL;
  g_autofree char *text = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *json = NULL;
  guint n_shown;
  glong budget;
  gsize length = 0;

  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  sorted = tw_batch_dup_by_importance (reports);
  n_shown = MIN (sorted->len, SLACK_MAX_SHOWN);
  summary = tw_batch_dup_summary (sorted, n_shown);
  text = tw_batch_dup_first_line (sorted, TEXT_MAX, escape_text);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  /* Links in a log are not worth a preview, and a preview would fetch them. */
  json_builder_set_member_name (builder, "unfurl_links");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "unfurl_media");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "attachments");
  json_builder_begin_array (builder);

  budget = SLACK_MAX_MESSAGE_TEXT - TEXT_MAX - (summary != NULL ? SUMMARY_MAX : 0);
  for (guint i = 0; i < n_shown; i++)
    add_report (builder, g_ptr_array_index (sorted, i), budget / n_shown);

  if (summary != NULL)
    {
      g_autofree char *escaped = tw_batch_truncate (summary, SUMMARY_MAX, escape_text, FALSE);

      json_builder_begin_object (builder);
      add_color (builder, SUMMARY_COLOR);
      json_builder_set_member_name (builder, "fallback");
      json_builder_add_string_value (builder, escaped);
      json_builder_set_member_name (builder, "blocks");
      json_builder_begin_array (builder);
      add_context (builder, escaped);
      json_builder_end_array (builder);
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
 * tw_slack_build_request:
 * @webhook_url: the webhook's URL, a secret
 * @reports: (element-type TwReport): a batch of one or more reports, oldest first
 *
 * Returns: (transfer full): a POST of tw_slack_build_payload() to @webhook_url
 */
TwHttpRequest *
tw_slack_build_request (const char *webhook_url,
                        GPtrArray  *reports)
{
  g_autoptr(GBytes) payload = NULL;
  TwHttpRequest *request;

  g_return_val_if_fail (webhook_url != NULL, NULL);
  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  payload = tw_slack_build_payload (reports);
  request = tw_http_request_new ("POST", webhook_url);
  tw_http_request_set_body (request, "application/json", payload);

  return request;
}

/**
 * tw_slack_judge:
 * @response: (nullable): the webhook's answer, or %NULL if there was none
 * @error: (nullable): why there was no answer; %NULL with a @response
 * @result: (out caller-allocates): what becomes of the message; cleared first
 *
 * Slack takes a message only with 200 and the body `ok`. 400 (invalid_payload,
 * invalid_blocks, …), 401, 403 (action_prohibited, invalid_token, …), 404 (no_service,
 * channel_not_found), 410 (channel_is_archived) and a redirect say the webhook or its
 * settings need the user: %TW_VERDICT_DISABLE, the answer quoting Slack. 429 is
 * %TW_VERDICT_RETRY after its Retry-After; a 5xx too. A 200 with any other body is
 * not a known answer of Slack's (a proxy in between?): %TW_VERDICT_RETRY rather than
 * losing the message. Other 4xx (413: too large) are %TW_VERDICT_REJECTED. With no
 * answer, see tw_batch_judge_error(). The answer is “HTTP 404: no_service”: never the
 * webhook's URL.
 */
void
tw_slack_judge (TwHttpResponse *response,
                const GError   *error,
                TwSendResult   *result)
{
  g_autofree char *body = NULL;
  GBytes *bytes;
  const char *data = NULL;
  gsize size = 0;
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
  body = g_strndup (data != NULL ? data : "", size);
  result->answer = tw_batch_dup_answer (status, body);

  if (status == 200 && g_str_equal (g_strstrip (body), "ok"))
    result->verdict = TW_VERDICT_ACCEPTED;
  else if (status == 429)
    {
      gint64 seconds = tw_http_response_get_retry_after (response);

      result->verdict = TW_VERDICT_RETRY;
      result->retry_after_usec = seconds >= 0 ? MIN (seconds, TW_BATCH_MAX_RETRY_AFTER)
                                                * G_USEC_PER_SEC : -1;
    }
  else if (status == 400 || status == 401 || status == 403 || status == 404 || status == 410 ||
           (status >= 300 && status < 400))
    result->verdict = TW_VERDICT_DISABLE;
  else if (status >= 400 && status < 500)
    result->verdict = TW_VERDICT_REJECTED;
  else
    result->verdict = TW_VERDICT_RETRY;
}
