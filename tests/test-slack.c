/* test-slack.c — Slack messages, field by field, and Slack's answers from a real receiver
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tw-batch.h"
#include "tw-slack.h"
#include "tw-test-reports.h"
#include "tw-test-util.h"
#include "tw-test-webhook.h"

#define SUBPROCESS_USEC  (60 * G_USEC_PER_SEC)
#define CERT_DIR_ENV     "TW_TEST_SLACK_CERT_DIR"
#define SECRET           "XsecretX"
#define WEBHOOK_PATH     "/services/T0000/B0000/" SECRET

/* ---- Reading a payload ---- */

static JsonObject *
parse_payload (GBytes *payload)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (payload, &size);

  g_assert_true (g_utf8_validate (data, size, NULL));
  json_parser_load_from_data (parser, data, size, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
build (GPtrArray *batch)
{
  g_autoptr(GBytes) payload = tw_slack_build_payload (batch);

  return parse_payload (payload);
}

static JsonArray *
get_attachments (JsonObject *payload)
{
  return json_object_get_array_member (payload, "attachments");
}

static JsonArray *
get_blocks (JsonObject *payload,
            guint       attachment)
{
  JsonObject *object = json_array_get_object_element (get_attachments (payload), attachment);

  return json_object_get_array_member (object, "blocks");
}

static JsonObject *
find_block (JsonArray  *blocks,
            const char *type,
            const char *containing)
{
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = json_array_get_object_element (blocks, i);

      if (!g_str_equal (json_object_get_string_member (block, "type"), type))
        continue;
      if (containing == NULL)
        return block;
      if (json_object_has_member (block, "text") &&
          strstr (json_object_get_string_member (json_object_get_object_member (block, "text"),
                                                 "text"), containing) != NULL)
        return block;
    }

  return NULL;
}

static const char *
get_section_text (JsonObject *block)
{
  JsonObject *text = json_object_get_object_member (block, "text");

  g_assert_cmpstr (json_object_get_string_member (text, "type"), ==, "mrkdwn");
  return json_object_get_string_member (text, "text");
}

/* Checks every limit Slack documents, and ours on the whole; returns the units of
 * all text in blocks. */
static glong
assert_within_limits (JsonObject *payload)
{
  JsonArray *attachments = get_attachments (payload);
  glong total = 0;
  guint n_blocks = 0;

  g_assert_cmpint (tw_batch_count_units (json_object_get_string_member (payload, "text")), <=,
                   3000);
  g_assert_cmpuint (json_array_get_length (attachments), >=, 1);
  g_assert_cmpuint (json_array_get_length (attachments), <=, 20);

  for (guint a = 0; a < json_array_get_length (attachments); a++)
    {
      JsonObject *attachment = json_array_get_object_element (attachments, a);
      JsonArray *blocks = json_object_get_array_member (attachment, "blocks");

      g_assert_true (g_str_has_prefix (json_object_get_string_member (attachment, "color"),
                                       "#"));
      g_assert_cmpuint (strlen (json_object_get_string_member (attachment, "color")), ==, 7);
      g_assert_cmpuint (json_array_get_length (blocks), >=, 1);
      n_blocks += json_array_get_length (blocks);

      for (guint b = 0; b < json_array_get_length (blocks); b++)
        {
          JsonObject *block = json_array_get_object_element (blocks, b);
          const char *type = json_object_get_string_member (block, "type");

          if (g_str_equal (type, "section") && json_object_has_member (block, "text"))
            {
              glong units = tw_batch_count_units (get_section_text (block));

              g_assert_cmpint (units, <=, 3000);
              g_assert_cmpint (units, >, 0);
              total += units;
            }
          if (g_str_equal (type, "section") && json_object_has_member (block, "fields"))
            {
              JsonArray *fields = json_object_get_array_member (block, "fields");

              g_assert_cmpuint (json_array_get_length (fields), >=, 1);
              g_assert_cmpuint (json_array_get_length (fields), <=, 10);
              for (guint f = 0; f < json_array_get_length (fields); f++)
                {
                  JsonObject *field = json_array_get_object_element (fields, f);
                  glong units = tw_batch_count_units (json_object_get_string_member (field,
                                                                                     "text"));

                  g_assert_cmpint (units, <=, 2000);
                  total += units;
                }
            }
          if (g_str_equal (type, "context"))
            {
              JsonArray *elements = json_object_get_array_member (block, "elements");

              g_assert_cmpuint (json_array_get_length (elements), ==, 1);
              total += tw_batch_count_units (
                json_object_get_string_member (json_array_get_object_element (elements, 0),
                                               "text"));
            }
        }
    }

  g_assert_cmpuint (n_blocks, <=, 50);
  /* Well below the ~13 000 at which Slack answers msg_blocks_too_long. */
  g_assert_cmpint (total, <=, 10000);
  return total;
}

static guint
count_occurrences (const char *text,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;

  return n;
}

/* ---- Pure cases ---- */

typedef struct
{
  const char *in;
  const char *out;
} EscapeCase;

static void
test_escape (void)
{
  static const EscapeCase cases[] = {
    { "", "" },
    { "loss 0.12", "loss 0.12" },
    { "<!channel>", "&lt;!channel&gt;" },
    { "<!here> <!everyone>", "&lt;!here&gt; &lt;!everyone&gt;" },
    { "<@U123>", "&lt;@U123&gt;" },
    { "<https://x.example|y>", "&lt;https://x.example|y&gt;" },
    { "a & b &amp; c", "a &amp; b &amp;amp; c" },
    { "\xc3\x9c" "bung-\xce\xbb", "\xc3\x9c" "bung-\xce\xbb" },
    { "bad \xff byte", "bad \xef\xbf\xbd byte" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = tw_slack_escape (cases[i].in);

      g_assert_cmpstr (escaped, ==, cases[i].out);
    }
}

/* A failed run, one report: every part where it belongs, every run text escaped. */
static void
test_payload_failed (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  g_autoptr(GBytes) bytes = tw_slack_build_payload (batch);
  g_autoptr(JsonObject) payload = parse_payload (bytes);
  g_autofree char *raw = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  JsonArray *attachments = get_attachments (payload);
  JsonObject *attachment;
  JsonArray *blocks;
  JsonObject *block;
  JsonArray *fields;
  const char *text;
  const char *log;

  g_test_message ("payload: %s", raw);

  g_assert_cmpstr (json_object_get_string_member (payload, "text"), ==,
                   "resnet50: Run failed \xe2\x80\x94 RuntimeError");
  g_assert_false (json_object_get_boolean_member (payload, "unfurl_links"));
  g_assert_false (json_object_get_boolean_member (payload, "unfurl_media"));
  g_assert_cmpuint (json_array_get_length (attachments), ==, 1);

  attachment = json_array_get_object_element (attachments, 0);
  g_assert_cmpstr (json_object_get_string_member (attachment, "color"), ==, "#E01E5A");
  g_assert_cmpstr (json_object_get_string_member (attachment, "fallback"), ==,
                   "resnet50: Run failed \xe2\x80\x94 RuntimeError");

  blocks = get_blocks (payload, 0);
  g_assert_cmpuint (json_array_get_length (blocks), ==, 4);

  /* What happened, with the body's & escaped. */
  block = json_array_get_object_element (blocks, 0);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "section");
  g_assert_cmpstr (get_section_text (block), ==,
                   "*resnet50: Run failed \xe2\x80\x94 RuntimeError*\n"
                   "The run stopped with an exception &amp; exit status 1.");

  /* The run. */
  block = json_array_get_object_element (blocks, 1);
  fields = json_object_get_array_member (block, "fields");
  g_assert_cmpuint (json_array_get_length (fields), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 0),
                                                  "text"), ==, "*Host*\ngpu01");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 1),
                                                  "text"), ==,
                   "*Progress*\n62 % \xc2\xb7 step 3100 of 5000 \xc2\xb7 epoch 3 of 5");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 2),
                                                  "text"), ==, "*Duration*\n1 h 05 min");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 3),
                                                  "text"), ==,
                   "*Failure*\nRuntimeError: CUDA error: device-side assert triggered");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 4),
                                                  "text"), ==,
                   "*Metrics*\nloss 0.4321 (best 0.3999)\nacc 0.875");

  /* The log, in one code block that its own backticks cannot close. */
  block = json_array_get_object_element (blocks, 2);
  log = get_section_text (block);
  g_assert_true (g_str_has_prefix (log, "```\nTraceback (most recent call last):\n"));
  g_assert_true (g_str_has_suffix (log, "device-side assert triggered\n```"));
  g_assert_nonnull (strstr (log, "# &lt;!channel&gt; &lt;@U123&gt; "
                                 "&lt;https://x.example|y&gt; @everyone @here\n"));
  g_assert_nonnull (strstr (log, "`\xe2\x80\x8b`\xe2\x80\x8b`\xe2\x80\x8b fence &amp; more "));
  g_assert_cmpuint (count_occurrences (log, "```"), ==, 2);

  /* When, in the reader's time zone. */
  block = json_array_get_object_element (blocks, 3);
  g_assert_cmpstr (json_object_get_string_member (block, "type"), ==, "context");
  text = json_object_get_string_member (
    json_array_get_object_element (json_object_get_array_member (block, "elements"), 0),
    "text");
  g_assert_cmpstr (text, ==,
                   "<!date^1709647629^{date_short_pretty} {time}|2024-03-05 14:07 UTC>");

  /* Nowhere in the message can Slack find a mention or a link. */
  g_assert_null (strstr (raw, "<!channel>"));
  g_assert_null (strstr (raw, "<@U123>"));
  g_assert_null (strstr (raw, "<https:"));
  g_assert_null (strstr (raw, "\\u003c!channel"));

  assert_within_limits (payload);
}

typedef struct
{
  TwLevel     level;
  const char *color;
} ColorCase;

static void
test_payload_colors (void)
{
  static const ColorCase cases[] = {
    { TW_LEVEL_INFO, "#439FE0" },
    { TW_LEVEL_SUCCESS, "#2EB67D" },
    { TW_LEVEL_WARNING, "#ECB22E" },
    { TW_LEVEL_ERROR, "#E01E5A" },
    { TW_LEVEL_CRITICAL, "#A30200" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) batch = tw_test_batch_new_one (
        tw_test_report_new (TW_EVENT_MESSAGE, cases[i].level, "job", "Title",
                            TW_TEST_REPORT_TIME));
      g_autoptr(JsonObject) payload = build (batch);
      JsonObject *attachment = json_array_get_object_element (get_attachments (payload), 0);
      JsonArray *blocks = get_blocks (payload, 0);

      g_assert_cmpstr (json_object_get_string_member (attachment, "color"), ==,
                       cases[i].color);
      /* No run: the headline, Host and the time; no log block. */
      g_assert_cmpuint (json_array_get_length (blocks), ==, 3);
      g_assert_null (find_block (blocks, "section", "```"));
    }
}

/* A 50 KB traceback line, a 10 KB title and body, a long job name, 40 metrics:
 * everything within the limits, cut with an ellipsis, the log's end kept. */
static void
test_payload_huge (void)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autofree char *traceback = NULL;
  g_autofree char *title = g_strnfill (10 * 1024, 'T');
  g_autofree char *body = g_strnfill (10 * 1024, '<');
  g_autofree char *job = g_strnfill (1000, 'j');
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(JsonObject) payload = NULL;
  JsonObject *block;
  TwReport *report;
  const char *text;

  /* 50 KB of non-BMP and escaped characters, then a plain ending. */
  {
    g_autoptr(GString) line = g_string_new (NULL);

    while (line->len < 50 * 1024)
      g_string_append (line, "\xf0\x9f\x94\xa5<&>");
    g_string_append (line, " THE END");
    traceback = g_string_free (g_steal_pointer (&line), FALSE);
  }

  event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_CRITICAL, job, title, body);
  tw_event_set_time (event, TW_TEST_REPORT_TIME);
  report = tw_report_new (event, "gpu01");
  report->has_run = TRUE;
  report->exception = g_strdup ("RuntimeError");
  report->failure_message = g_strdup (traceback);
  g_strfreev (report->last_lines);
  report->last_lines = g_new0 (char *, 3);
  report->last_lines[0] = g_strdup ("first line");
  report->last_lines[1] = g_strdup (traceback);
  for (guint i = 0; i < 40; i++)
    {
      TwReportMetric *metric = g_new0 (TwReportMetric, 1);

      metric->name = g_strdup_printf ("metric_%u_%s", i, traceback + 40000);
      metric->last = i;
      g_ptr_array_add (report->metrics, metric);
    }
  batch = tw_test_batch_new_one (report);
  payload = build (batch);
  g_test_message ("units of text in blocks: %ld", assert_within_limits (payload));

  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (get_attachments (payload), 0), "color"),
                   ==, "#A30200");
  text = json_object_get_string_member (payload, "text");
  g_assert_true (g_str_has_suffix (text, TW_BATCH_ELLIPSIS));

  block = find_block (get_blocks (payload, 0), "section", "```");
  g_assert_nonnull (block);
  text = get_section_text (block);
  /* The end of the log is what matters: it is kept, the start is cut. */
  g_assert_true (g_str_has_prefix (text, "```\n" TW_BATCH_ELLIPSIS));
  g_assert_true (g_str_has_suffix (text, "&gt; THE END\n```"));
  g_assert_null (strstr (text, "first line"));
  g_assert_null (strstr (text, "<"));
  /* An escape is never cut in half. */
  g_assert_true (g_str_has_prefix (text, "```\n" TW_BATCH_ELLIPSIS "\xf0\x9f\x94\xa5") ||
                 g_str_has_prefix (text, "```\n" TW_BATCH_ELLIPSIS "&"));

  block = json_array_get_object_element (get_blocks (payload, 0), 0);
  text = get_section_text (block);
  g_assert_true (g_str_has_prefix (text, "*jjjj"));
  g_assert_nonnull (strstr (text, TW_BATCH_ELLIPSIS "*\n&lt;&lt;"));
}

/* 1000 reports: the five most important in full, the others in one line. */
static void
test_payload_batch (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new (1000);
  g_autoptr(GBytes) bytes = tw_slack_build_payload (batch);
  g_autoptr(JsonObject) payload = parse_payload (bytes);
  JsonArray *attachments = get_attachments (payload);
  JsonObject *summary;
  const char *text;

  g_test_message ("1000 reports: %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (bytes));
  g_assert_cmpuint (g_bytes_get_size (bytes), <, 40000);
  assert_within_limits (payload);

  g_assert_cmpstr (json_object_get_string_member (payload, "text"), ==,
                   "1000 events: job-990: Run failed");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 6);
  /* The errors, newest first. */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *expected = g_strdup_printf ("*job-%u: Run failed*", 990 - 10 * i);
      JsonObject *attachment = json_array_get_object_element (attachments, i);

      g_assert_cmpstr (json_object_get_string_member (attachment, "color"), ==, "#E01E5A");
      g_assert_cmpstr (get_section_text (json_array_get_object_element (get_blocks (payload, i),
                                                                        0)), ==, expected);
    }

  summary = json_array_get_object_element (attachments, 5);
  g_assert_cmpstr (json_object_get_string_member (summary, "color"), ==, "#8D8D8D");
  text = json_object_get_string_member (
    json_array_get_object_element (
      json_object_get_array_member (
        json_array_get_object_element (get_blocks (payload, 5), 0), "elements"), 0),
    "text");
  /* the 20 oldest not shown are listed, a line each; the rest counted by kind */
  {
    const char *summary_text = text;
    g_auto(GStrv) lines = g_strsplit (summary_text, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 21);
    g_assert_cmpstr (lines[0], ==, "\u2022 job-0: Run failed");
    g_assert_cmpstr (lines[19], ==, "\u2022 job-19: Epoch completed");
    g_assert_cmpstr (lines[20], ==, "and 975 more events: 784 epochs completed, 98 stalls, 93 runs failed");
  }
}

/* A small batch: all shown, the most important first, no summary. */
static void
test_payload_order (void)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) tw_report_free);
  g_autoptr(JsonObject) payload = NULL;
  JsonArray *attachments;
  static const char * const expected[] = {
    "*b: Stalled*", "*c: Stalled*", "*a: Epoch completed*",
  };

  g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_EPOCH_COMPLETED, TW_LEVEL_INFO, "a",
                                              "Epoch completed", TW_TEST_REPORT_TIME));
  /* Same level and time: the later in the batch is the newer. */
  g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_STALLED, TW_LEVEL_WARNING, "c",
                                              "Stalled", TW_TEST_REPORT_TIME + 1));
  g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_STALLED, TW_LEVEL_WARNING, "b",
                                              "Stalled", TW_TEST_REPORT_TIME + 1));
  payload = build (batch);
  attachments = get_attachments (payload);

  g_assert_cmpstr (json_object_get_string_member (payload, "text"), ==, "3 events: b: Stalled");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (get_section_text (json_array_get_object_element (get_blocks (payload, i),
                                                                      0)), ==, expected[i]);
}

/* ---- Against the receiver ---- */

static gboolean
skip_or_fork (void)
{
  if (!tw_test_webhook_is_supported ())
    {
      g_test_skip ("libsoup 3 or openssl is missing: no webhook receiver");
      return TRUE;
    }
  if (g_test_subprocess ())
    return FALSE;

  g_test_trap_subprocess (NULL, SUBPROCESS_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

static void
assert_answer_clean (const char *answer)
{
  g_test_message ("answer: %s", answer);
  g_assert_nonnull (answer);
  g_assert_null (strstr (answer, SECRET));
  g_assert_null (strstr (answer, "/services/"));
  g_assert_null (strchr (answer, '\n'));
}

/* Sends a failed run's report to the receiver and judges what came back. */
static void
send_and_judge (TwTestWebhook *webhook,
                TwHttp        *http,
                guint          total_timeout_ms,
                TwSendResult  *result)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  g_autofree char *url = g_strconcat (tw_test_webhook_get_base_url (webhook), WEBHOOK_PATH,
                                      NULL);
  g_autoptr(TwHttpRequest) request = tw_slack_build_request (url, batch);
  g_autoptr(TwHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  if (total_timeout_ms > 0)
    tw_http_request_set_timeouts (request, 5000, total_timeout_ms);
  response = tw_test_send_and_wait (http, request, &error);
  tw_slack_judge (response, error, result);
  assert_answer_clean (result->answer);
}

static void
test_send (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(JsonNode) received = NULL;
  TwTestWebhook *webhook;
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  webhook = tw_test_webhook_new (g_getenv (CERT_DIR_ENV));
  http = tw_http_new ();
  tw_http_set_ca_file (http, tw_test_webhook_get_ca_file (webhook));

  send_and_judge (webhook, http, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (result.answer, ==, "HTTP 200: ok");
  g_assert_cmpint (result.retry_after_usec, ==, -1);
  g_assert_null (result.message_id);

  g_assert_cmpuint (tw_test_webhook_get_n_requests (webhook), ==, 1);
  g_assert_cmpstr (tw_test_webhook_get_method (webhook, 0), ==, "POST");
  g_assert_cmpstr (tw_test_webhook_get_path (webhook, 0), ==, WEBHOOK_PATH);
  g_assert_cmpstr (tw_test_webhook_get_header (webhook, 0, "Content-Type"), ==,
                   "application/json");
  batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50", "gpu01"));
  expected = tw_slack_build_payload (batch);
  g_assert_true (g_bytes_equal (tw_test_webhook_get_body (webhook, 0), expected));
  received = tw_test_webhook_dup_json (webhook, 0);
  g_assert_nonnull (received);

  tw_send_result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
  tw_test_webhook_free (webhook);
}

typedef struct
{
  const char *name;
  guint       status;
  const char *body;
  const char *retry_after;
  TwVerdict   verdict;
  gint64      retry_after_usec;
  const char *answer;
} AnswerCase;

static const AnswerCase answer_cases[] = {
  { "rate-limited", 429, "rate_limited", "7", TW_VERDICT_RETRY, 7 * G_USEC_PER_SEC,
    "HTTP 429: rate_limited" },
  { "rate-limited-unsaid", 429, "rate_limited", NULL, TW_VERDICT_RETRY, -1,
    "HTTP 429: rate_limited" },
  { "server-error", 500, "", NULL, TW_VERDICT_RETRY, -1, "HTTP 500" },
  { "unavailable", 503, "<html>\n<b>Service\r\n Unavailable</b>\n</html>", "30",
    TW_VERDICT_RETRY, -1, "HTTP 503: <html> <b>Service Unavailable</b> </html>" },
  { "invalid-payload", 400, "invalid_payload", NULL, TW_VERDICT_DISABLE, -1,
    "HTTP 400: invalid_payload" },
  { "forbidden", 403, "action_prohibited", NULL, TW_VERDICT_DISABLE, -1,
    "HTTP 403: action_prohibited" },
  { "no-service", 404, "no_service", NULL, TW_VERDICT_DISABLE, -1, "HTTP 404: no_service" },
  { "archived", 410, "channel_is_archived", NULL, TW_VERDICT_DISABLE, -1,
    "HTTP 410: channel_is_archived" },
  { "too-large", 413, "", NULL, TW_VERDICT_REJECTED, -1, "HTTP 413" },
  { "not-ok", 200, "<html>proxy</html>", NULL, TW_VERDICT_RETRY, -1,
    "HTTP 200: <html>proxy</html>" },
};

/* What each of Slack's answers (scripted in the receiver) means. */
static void
test_answer (gconstpointer data)
{
  const AnswerCase *test_case = data;
  g_autoptr(TwHttp) http = NULL;
  TwTestWebhook *webhook;
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  webhook = tw_test_webhook_new (g_getenv (CERT_DIR_ENV));
  http = tw_http_new ();
  tw_http_set_ca_file (http, tw_test_webhook_get_ca_file (webhook));
  tw_test_webhook_push_answer (webhook, test_case->status, "text/plain", test_case->body,
                               test_case->retry_after, 0);

  send_and_judge (webhook, http, 0, &result);
  g_assert_cmpint (result.verdict, ==, test_case->verdict);
  g_assert_cmpstr (result.answer, ==, test_case->answer);
  if (test_case->verdict == TW_VERDICT_RETRY && test_case->status == 429)
    g_assert_cmpint (result.retry_after_usec, ==, test_case->retry_after_usec);
  g_assert_null (result.message_id);

  tw_send_result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
  tw_test_webhook_free (webhook);
}

/* A long answer is cut to one line of 200 characters. */
static void
test_answer_long (void)
{
  g_autofree char *body = g_strnfill (5000, 'x');
  g_autofree char *answer = tw_batch_dup_answer (400, body);
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("HTTP 400: %.199s" TW_BATCH_ELLIPSIS, body);
  g_assert_cmpstr (answer, ==, expected);
}

typedef enum
{
  FAILURE_TIMEOUT,
  FAILURE_REFUSED,
  FAILURE_UNTRUSTED,
} FailureCase;

/* No answer: a receiver slower than the request's timeout, one that is down, one
 * whose certificate is not trusted. */
static void
test_failure (gconstpointer data)
{
  FailureCase test_case = GPOINTER_TO_INT (data);
  g_autoptr(TwHttp) http = NULL;
  TwTestWebhook *webhook;
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  webhook = tw_test_webhook_new (g_getenv (CERT_DIR_ENV));
  http = tw_http_new ();
  if (test_case != FAILURE_UNTRUSTED)
    tw_http_set_ca_file (http, tw_test_webhook_get_ca_file (webhook));

  switch (test_case)
    {
    case FAILURE_TIMEOUT:
      tw_test_webhook_push_answer (webhook, 200, "text/plain", "ok", NULL, 20000);
      send_and_judge (webhook, http, 500, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
      g_assert_cmpuint (tw_test_webhook_get_n_requests (webhook), ==, 1);
      break;

    case FAILURE_REFUSED:
      tw_test_webhook_set_down (webhook, TRUE);
      send_and_judge (webhook, http, 0, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
      g_assert_nonnull (strstr (result.answer, "refused"));
      g_assert_cmpuint (tw_test_webhook_get_n_requests (webhook), ==, 0);
      break;

    case FAILURE_UNTRUSTED:
      send_and_judge (webhook, http, 0, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_DISABLE);
      g_assert_cmpuint (tw_test_webhook_get_n_requests (webhook), ==, 0);
      break;

    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (result.retry_after_usec, ==, -1);

  tw_send_result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
  tw_test_webhook_free (webhook);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  static const char * const proxy_variables[] = {
    "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
    "NO_PROXY", "TRAINWATCH_CA_FILE",
  };
  g_autofree char *made_dir = NULL;
  int status;

  for (guint i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    g_unsetenv (proxy_variables[i]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (g_getenv (CERT_DIR_ENV) == NULL)
    {
      g_autoptr(GError) error = NULL;

      made_dir = g_dir_make_tmp ("tw-test-slack-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv (CERT_DIR_ENV, made_dir, TRUE);
    }

  g_test_add_func ("/slack/escape", test_escape);
  g_test_add_func ("/slack/payload/failed", test_payload_failed);
  g_test_add_func ("/slack/payload/colors", test_payload_colors);
  g_test_add_func ("/slack/payload/huge", test_payload_huge);
  g_test_add_func ("/slack/payload/batch", test_payload_batch);
  g_test_add_func ("/slack/payload/order", test_payload_order);
  g_test_add_func ("/slack/send", test_send);
  for (guint i = 0; i < G_N_ELEMENTS (answer_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/slack/answer/%s", answer_cases[i].name);

      g_test_add_data_func (path, &answer_cases[i], test_answer);
    }
  g_test_add_func ("/slack/answer/long", test_answer_long);
  g_test_add_data_func ("/slack/failure/timeout", GINT_TO_POINTER (FAILURE_TIMEOUT),
                        test_failure);
  g_test_add_data_func ("/slack/failure/refused", GINT_TO_POINTER (FAILURE_REFUSED),
                        test_failure);
  g_test_add_data_func ("/slack/failure/untrusted", GINT_TO_POINTER (FAILURE_UNTRUSTED),
                        test_failure);

  status = g_test_run ();

  if (made_dir != NULL)
    remove_dir (made_dir);

  return status;
}
