/* test-discord.c — Discord messages, field by field, edits, and Discord's answers from a real receiver
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tw-batch.h"
#include "tw-discord.h"
#include "tw-test-reports.h"
#include "tw-test-util.h"
#include "tw-test-webhook.h"

#define SUBPROCESS_USEC  (60 * G_USEC_PER_SEC)
#define CERT_DIR_ENV     "TW_TEST_DISCORD_CERT_DIR"
#define SECRET           "XsecretX"
#define WEBHOOK_PATH     "/api/webhooks/123456/" SECRET
#define ZWSP             "\xe2\x80\x8b"

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
  g_autoptr(GBytes) payload = tw_discord_build_payload (batch);

  return parse_payload (payload);
}

static JsonObject *
get_embed (JsonObject *payload,
           guint       i)
{
  return json_array_get_object_element (json_object_get_array_member (payload, "embeds"), i);
}

static glong
units_of_member (JsonObject *object,
                 const char *name,
                 glong       max)
{
  glong units;

  if (!json_object_has_member (object, name))
    return 0;

  units = tw_batch_count_units (json_object_get_string_member (object, name));
  g_assert_cmpint (units, >, 0);
  g_assert_cmpint (units, <=, max);
  return units;
}

/* Checks every limit Discord documents; returns the units of all embed texts. */
static glong
assert_within_limits (JsonObject *payload)
{
  JsonArray *embeds = json_object_get_array_member (payload, "embeds");
  JsonObject *allowed = json_object_get_object_member (payload, "allowed_mentions");
  glong total = 0;

  /* Nothing may ping. */
  g_assert_nonnull (allowed);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (allowed, "parse")), ==,
                    0);
  units_of_member (payload, "content", 2000);
  g_assert_cmpuint (json_array_get_length (embeds), >=, 1);
  g_assert_cmpuint (json_array_get_length (embeds), <=, 10);

  for (guint e = 0; e < json_array_get_length (embeds); e++)
    {
      JsonObject *embed = json_array_get_object_element (embeds, e);

      total += units_of_member (embed, "title", 256);
      total += units_of_member (embed, "description", 4096);
      g_assert_cmpint (json_object_get_int_member (embed, "color"), >=, 0);
      g_assert_cmpint (json_object_get_int_member (embed, "color"), <=, 0xFFFFFF);
      if (json_object_has_member (embed, "footer"))
        total += units_of_member (json_object_get_object_member (embed, "footer"), "text",
                                  2048);
      if (json_object_has_member (embed, "fields"))
        {
          JsonArray *fields = json_object_get_array_member (embed, "fields");

          g_assert_cmpuint (json_array_get_length (fields), <=, 25);
          for (guint f = 0; f < json_array_get_length (fields); f++)
            {
              JsonObject *field = json_array_get_object_element (fields, f);

              g_assert_true (json_object_has_member (field, "name"));
              g_assert_true (json_object_has_member (field, "value"));
              total += units_of_member (field, "name", 256);
              total += units_of_member (field, "value", 1024);
            }
        }
    }

  g_assert_cmpint (total, <=, 6000);
  return total;
}

/* ---- Pure cases ---- */

static void
assert_field (JsonObject *embed,
              guint       i,
              const char *name,
              const char *value,
              gboolean    inline_)
{
  JsonObject *field = json_array_get_object_element (json_object_get_array_member (embed,
                                                                                  "fields"), i);

  g_assert_cmpstr (json_object_get_string_member (field, "name"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (field, "value"), ==, value);
  g_assert_true (json_object_get_boolean_member (field, "inline") == inline_);
}

/* A failed run, one report: every part where it belongs, nothing that pings. */
static void
test_payload_failed (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  g_autoptr(GBytes) bytes = tw_discord_build_payload (batch);
  g_autoptr(JsonObject) payload = parse_payload (bytes);
  g_autofree char *raw = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  JsonObject *embed;
  const char *description;

  g_test_message ("payload: %s", raw);

  g_assert_cmpstr (json_object_get_string_member (payload, "content"), ==,
                   "resnet50: Run failed \xe2\x80\x94 RuntimeError");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (payload, "embeds")),
                    ==, 1);

  embed = get_embed (payload, 0);
  g_assert_cmpstr (json_object_get_string_member (embed, "title"), ==,
                   "resnet50: Run failed \xe2\x80\x94 RuntimeError");
  g_assert_cmpint (json_object_get_int_member (embed, "color"), ==, 0xE01E5A);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (embed, "fields")), ==,
                    5);
  assert_field (embed, 0, "Host", "gpu01", TRUE);
  assert_field (embed, 1, "Progress",
                "62 % \xc2\xb7 step 3100 of 5000 \xc2\xb7 epoch 3 of 5", TRUE);
  assert_field (embed, 2, "Duration", "1 h 05 min", TRUE);
  assert_field (embed, 3, "Failure", "RuntimeError: CUDA error: device-side assert triggered",
                FALSE);
  assert_field (embed, 4, "Metrics", "loss 0.4321 (best 0.3999)\nacc 0.875", FALSE);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (embed,
                                                                                 "footer"),
                                                  "text"), ==, "Trainwatch");
  g_assert_cmpstr (json_object_get_string_member (embed, "timestamp"), ==,
                   "2024-03-05T14:07:09Z");

  description = json_object_get_string_member (embed, "description");
  g_assert_true (g_str_has_prefix (description,
                                   "The run stopped with an exception & exit status 1.\n"
                                   "```\nTraceback (most recent call last):\n"));
  g_assert_true (g_str_has_suffix (description, "device-side assert triggered\n```"));
  /* Mentions are not even shown as such; the log's backticks cannot close its block. */
  g_assert_nonnull (strstr (description, "# <!channel> <@" ZWSP "U123> "
                                         "<https://x.example|y> @" ZWSP "everyone @" ZWSP "here\n"));
  g_assert_nonnull (strstr (description, "`" ZWSP "`" ZWSP "`" ZWSP " fence & more "));
  g_assert_null (strstr (raw, "@everyone"));
  g_assert_null (strstr (raw, "@here"));
  g_assert_null (strstr (raw, "<@U"));

  assert_within_limits (payload);
}

typedef struct
{
  TwLevel level;
  gint64  color;
} ColorCase;

static void
test_payload_colors (void)
{
  static const ColorCase cases[] = {
    { TW_LEVEL_INFO, 0x439FE0 },
    { TW_LEVEL_SUCCESS, 0x2EB67D },
    { TW_LEVEL_WARNING, 0xECB22E },
    { TW_LEVEL_ERROR, 0xE01E5A },
    { TW_LEVEL_CRITICAL, 0xA30200 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) batch = tw_test_batch_new_one (
        tw_test_report_new (TW_EVENT_MESSAGE, cases[i].level, "job", "Title @here",
                            TW_TEST_REPORT_TIME));
      g_autoptr(JsonObject) payload = build (batch);
      JsonObject *embed = get_embed (payload, 0);

      g_assert_cmpint (json_object_get_int_member (embed, "color"), ==, cases[i].color);
      g_assert_cmpstr (json_object_get_string_member (embed, "title"), ==,
                       "job: Title @" ZWSP "here");
      /* No run: Host alone; no description. */
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (embed, "fields")),
                        ==, 1);
      g_assert_false (json_object_has_member (embed, "description"));
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
  g_autofree char *body = g_strnfill (10 * 1024, '@');
  g_autofree char *job = g_strnfill (1000, 'j');
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(JsonObject) payload = NULL;
  JsonObject *embed;
  TwReport *report;
  const char *text;

  {
    g_autoptr(GString) line = g_string_new (NULL);

    while (line->len < 50 * 1024)
      g_string_append (line, "\xf0\x9f\x94\xa5@`x");
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
  g_test_message ("units of embed text: %ld", assert_within_limits (payload));

  embed = get_embed (payload, 0);
  g_assert_cmpint (json_object_get_int_member (embed, "color"), ==, 0xA30200);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (embed, "title"),
                                   TW_BATCH_ELLIPSIS));
  text = json_object_get_string_member (embed, "description");
  g_assert_true (g_str_has_suffix (text, "x THE END\n```"));
  g_assert_nonnull (strstr (text, "```\n" TW_BATCH_ELLIPSIS));
  g_assert_null (strstr (text, "first line"));
  /* The only backticks side by side are the block's own fences. */
  {
    const char *inside = strstr (text, "```\n") + 4;
    g_autofree char *log = g_strndup (inside, strlen (inside) - 4);

    g_assert_true (g_str_has_suffix (text, "\n```"));
    g_assert_null (strstr (log, "``"));
    g_assert_nonnull (strstr (log, "`" ZWSP "x"));
  }
  /* Host, Failure, Metrics: no progress or duration is known. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (embed, "fields")), ==,
                    3);
}

/* 1000 reports: the five most important in full, the others in one embed. */
static void
test_payload_batch (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new (1000);
  g_autoptr(GBytes) bytes = tw_discord_build_payload (batch);
  g_autoptr(JsonObject) payload = parse_payload (bytes);
  JsonArray *embeds = json_object_get_array_member (payload, "embeds");
  JsonObject *summary;

  g_test_message ("1000 reports: %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (bytes));
  assert_within_limits (payload);

  g_assert_cmpstr (json_object_get_string_member (payload, "content"), ==,
                   "1000 events: job-990: Run failed");
  g_assert_cmpuint (json_array_get_length (embeds), ==, 6);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *expected = g_strdup_printf ("job-%u: Run failed", 990 - 10 * i);

      g_assert_cmpstr (json_object_get_string_member (get_embed (payload, i), "title"), ==,
                       expected);
    }
  summary = get_embed (payload, 5);
  g_assert_cmpint (json_object_get_int_member (summary, "color"), ==, 0x8D8D8D);
  /* the 20 oldest not shown are listed, a line each; the rest counted by kind */
  {
    const char *summary_text = json_object_get_string_member (summary, "description");
    g_auto(GStrv) lines = g_strsplit (summary_text, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 21);
    g_assert_cmpstr (lines[0], ==, "\u2022 job-0: Run failed");
    g_assert_cmpstr (lines[19], ==, "\u2022 job-19: Epoch completed");
    g_assert_cmpstr (lines[20], ==, "and 975 more events: 784 epochs completed, 98 stalls, 93 runs failed");
  }
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
  g_assert_null (strstr (answer, "/api/webhooks"));
  g_assert_null (strchr (answer, '\n'));
}

typedef struct
{
  TwTestWebhook *webhook;
  TwHttp        *http;
} Fixture;

static void
fixture_setup (Fixture  *fixture,
               gboolean  trusted)
{
  fixture->webhook = tw_test_webhook_new (g_getenv (CERT_DIR_ENV));
  fixture->http = tw_http_new ();
  if (trusted)
    tw_http_set_ca_file (fixture->http, tw_test_webhook_get_ca_file (fixture->webhook));
}

static void
fixture_teardown (Fixture *fixture)
{
  g_assert_finalize_object (g_steal_pointer (&fixture->http));
  tw_test_webhook_free (fixture->webhook);
}

/* Sends a batch to the webhook at @path (with @query, nullable), editing @edit (nullable),
 * and judges what came back. */
static void
send_and_judge (Fixture      *fixture,
                const char   *query,
                const char   *edit,
                GPtrArray    *batch,
                guint         total_timeout_ms,
                TwSendResult *result)
{
  g_autofree char *url = g_strconcat (tw_test_webhook_get_base_url (fixture->webhook),
                                      WEBHOOK_PATH, query, NULL);
  g_autoptr(TwHttpRequest) request = tw_discord_build_request (url, edit, batch);
  g_autoptr(TwHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  if (total_timeout_ms > 0)
    tw_http_request_set_timeouts (request, 5000, total_timeout_ms);
  response = tw_test_send_and_wait (fixture->http, request, &error);
  tw_discord_judge (response, error, edit != NULL, result);
  assert_answer_clean (result->answer);
}

/* Post with wait=true, then edit the message in place, in a thread too. */
static void
test_edit (void)
{
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(JsonNode) received = NULL;
  g_autofree char *id = NULL;
  g_autofree char *edit_path = NULL;
  Fixture fixture = { 0, };
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture, TRUE);
  first = tw_test_batch_new_one (tw_test_report_new (TW_EVENT_RUN_STARTED, TW_LEVEL_INFO,
                                                     "resnet50", "Run started",
                                                     TW_TEST_REPORT_TIME));
  send_and_judge (&fixture, NULL, NULL, first, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (result.answer, ==, "HTTP 200");
  g_assert_nonnull (result.message_id);
  g_assert_cmpstr (tw_test_webhook_get_method (fixture.webhook, 0), ==, "POST");
  g_assert_cmpstr (tw_test_webhook_get_path (fixture.webhook, 0), ==,
                   WEBHOOK_PATH "?wait=true");
  g_assert_cmpstr (tw_test_webhook_get_header (fixture.webhook, 0, "Content-Type"), ==,
                   "application/json");
  expected = tw_discord_build_payload (first);
  g_assert_true (g_bytes_equal (tw_test_webhook_get_body (fixture.webhook, 0), expected));
  id = g_steal_pointer (&result.message_id);
  tw_send_result_clear (&result);

  /* The run goes on: the same message, edited. */
  second = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50", "gpu01"));
  send_and_judge (&fixture, NULL, id, second, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (result.message_id, ==, id);
  g_assert_cmpstr (tw_test_webhook_get_method (fixture.webhook, 1), ==, "PATCH");
  edit_path = g_strdup_printf (WEBHOOK_PATH "/messages/%s", id);
  g_assert_cmpstr (tw_test_webhook_get_path (fixture.webhook, 1), ==, edit_path);
  received = tw_test_webhook_dup_json (fixture.webhook, 1);
  g_assert_cmpint (json_object_get_int_member (
                     json_array_get_object_element (
                       json_object_get_array_member (json_node_get_object (received),
                                                     "embeds"), 0), "color"), ==, 0xE01E5A);
  g_assert_nonnull (json_object_get_object_member (json_node_get_object (received),
                                                   "allowed_mentions"));
  tw_send_result_clear (&result);
  g_clear_pointer (&edit_path, g_free);
  g_clear_pointer (&id, g_free);

  /* In a thread: the thread's query is kept, for the post and for the edit. */
  send_and_judge (&fixture, "?thread_id=77", NULL, first, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (tw_test_webhook_get_path (fixture.webhook, 2), ==,
                   WEBHOOK_PATH "?thread_id=77&wait=true");
  id = g_steal_pointer (&result.message_id);
  tw_send_result_clear (&result);
  send_and_judge (&fixture, "?thread_id=77", id, second, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  edit_path = g_strdup_printf (WEBHOOK_PATH "/messages/%s?thread_id=77", id);
  g_assert_cmpstr (tw_test_webhook_get_path (fixture.webhook, 3), ==, edit_path);

  tw_send_result_clear (&result);
  fixture_teardown (&fixture);
}

/* An edit of a message deleted meanwhile: post anew, do not disable. */
static void
test_edit_deleted (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  Fixture fixture = { 0, };
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture, TRUE);
  /* The receiver made no message 42: Unknown Message, as after a deletion. */
  send_and_judge (&fixture, NULL, "42", batch, 0, &result);
  g_assert_cmpuint (tw_test_webhook_get_status (fixture.webhook, 0), ==, 404);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
  g_assert_cmpint (result.retry_after_usec, ==, 0);
  g_assert_null (result.message_id);
  g_assert_true (g_str_has_prefix (result.answer, "HTTP 404: Unknown Message (10008): "));
  tw_send_result_clear (&result);

  /* Posted anew, it is taken. */
  send_and_judge (&fixture, NULL, NULL, batch, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_nonnull (result.message_id);

  tw_send_result_clear (&result);
  fixture_teardown (&fixture);
}

typedef struct
{
  const char *name;
  gboolean    edit;
  guint       status;
  const char *body;
  const char *retry_after;
  TwVerdict   verdict;
  gint64      retry_after_usec;
  const char *answer;
} AnswerCase;

static const AnswerCase answer_cases[] = {
  { "rate-limited", FALSE, 429,
    "{\"message\": \"You are being rate limited.\", \"retry_after\": 2.5, \"global\": false}",
    "3", TW_VERDICT_RETRY, 2500000, "HTTP 429: You are being rate limited." },
  { "rate-limited-header", FALSE, 429, "", "3", TW_VERDICT_RETRY, 3 * G_USEC_PER_SEC,
    "HTTP 429" },
  { "rate-limited-unsaid", FALSE, 429, "", NULL, TW_VERDICT_RETRY, -1, "HTTP 429" },
  { "unknown-webhook", FALSE, 404, "{\"message\": \"Unknown Webhook\", \"code\": 10015}", NULL,
    TW_VERDICT_DISABLE, -1, "HTTP 404: Unknown Webhook (10015)" },
  { "unknown-webhook-edit", TRUE, 404, "{\"message\": \"Unknown Webhook\", \"code\": 10015}",
    NULL, TW_VERDICT_DISABLE, -1, "HTTP 404: Unknown Webhook (10015)" },
  { "invalid-token", FALSE, 401, "{\"message\": \"Invalid Webhook Token\", \"code\": 50027}",
    NULL, TW_VERDICT_DISABLE, -1, "HTTP 401: Invalid Webhook Token (50027)" },
  { "forbidden", FALSE, 403, "{\"message\": \"Missing Access\", \"code\": 50001}", NULL,
    TW_VERDICT_DISABLE, -1, "HTTP 403: Missing Access (50001)" },
  { "invalid-form", FALSE, 400, "{\"message\": \"Invalid Form Body\", \"code\": 50035}", NULL,
    TW_VERDICT_REJECTED, -1, "HTTP 400: Invalid Form Body (50035)" },
  { "server-error", FALSE, 500, "", NULL, TW_VERDICT_RETRY, -1, "HTTP 500" },
  { "bad-gateway", FALSE, 502, "<html>\r\nBad Gateway\r\n</html>", NULL, TW_VERDICT_RETRY, -1,
    "HTTP 502: <html> Bad Gateway </html>" },
  { "no-wait", FALSE, 204, NULL, NULL, TW_VERDICT_ACCEPTED, -1, "HTTP 204" },
};

/* What each of Discord's answers (scripted in the receiver) means. */
static void
test_answer (gconstpointer data)
{
  const AnswerCase *test_case = data;
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  Fixture fixture = { 0, };
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture, TRUE);
  tw_test_webhook_push_answer (fixture.webhook, test_case->status,
                               test_case->body != NULL && *test_case->body == '{'
                               ? "application/json" : "text/html",
                               test_case->body, test_case->retry_after, 0);

  send_and_judge (&fixture, NULL, test_case->edit ? "1100000000000000001" : NULL, batch, 0,
                  &result);
  g_assert_cmpint (result.verdict, ==, test_case->verdict);
  g_assert_cmpstr (result.answer, ==, test_case->answer);
  g_assert_cmpint (result.retry_after_usec, ==, test_case->retry_after_usec);
  g_assert_null (result.message_id);

  tw_send_result_clear (&result);
  fixture_teardown (&fixture);
}

/* The receiver's own rate limit: 429 with its JSON retry_after. */
static void
test_rate_limited (void)
{
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  Fixture fixture = { 0, };
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture, TRUE);
  tw_test_webhook_set_min_interval (fixture.webhook, 600000);
  send_and_judge (&fixture, NULL, NULL, batch, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  tw_send_result_clear (&result);
  send_and_judge (&fixture, NULL, NULL, batch, 0, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
  g_assert_cmpint (result.retry_after_usec, >, 0);
  g_assert_cmpint (result.retry_after_usec, <=, 600 * G_USEC_PER_SEC);

  tw_send_result_clear (&result);
  fixture_teardown (&fixture);
}

typedef enum
{
  FAILURE_TIMEOUT,
  FAILURE_REFUSED,
  FAILURE_UNTRUSTED,
} FailureCase;

static void
test_failure (gconstpointer data)
{
  FailureCase test_case = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) batch = tw_test_batch_new_one (tw_test_report_new_failed ("resnet50",
                                                                                 "gpu01"));
  Fixture fixture = { 0, };
  TwSendResult result = TW_SEND_RESULT_INIT;

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture, test_case != FAILURE_UNTRUSTED);
  switch (test_case)
    {
    case FAILURE_TIMEOUT:
      tw_test_webhook_push_answer (fixture.webhook, 200, "application/json", "{\"id\": \"1\"}",
                                   NULL, 20000);
      send_and_judge (&fixture, NULL, NULL, batch, 500, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
      g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture.webhook), ==, 1);
      break;

    case FAILURE_REFUSED:
      tw_test_webhook_set_down (fixture.webhook, TRUE);
      send_and_judge (&fixture, NULL, NULL, batch, 0, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_RETRY);
      g_assert_nonnull (strstr (result.answer, "refused"));
      break;

    case FAILURE_UNTRUSTED:
      send_and_judge (&fixture, NULL, NULL, batch, 0, &result);
      g_assert_cmpint (result.verdict, ==, TW_VERDICT_DISABLE);
      g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture.webhook), ==, 0);
      break;

    default:
      g_assert_not_reached ();
    }
  g_assert_null (result.message_id);

  tw_send_result_clear (&result);
  fixture_teardown (&fixture);
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

      made_dir = g_dir_make_tmp ("tw-test-discord-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv (CERT_DIR_ENV, made_dir, TRUE);
    }

  g_test_add_func ("/discord/payload/failed", test_payload_failed);
  g_test_add_func ("/discord/payload/colors", test_payload_colors);
  g_test_add_func ("/discord/payload/huge", test_payload_huge);
  g_test_add_func ("/discord/payload/batch", test_payload_batch);
  g_test_add_func ("/discord/edit", test_edit);
  g_test_add_func ("/discord/edit-deleted", test_edit_deleted);
  for (guint i = 0; i < G_N_ELEMENTS (answer_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/discord/answer/%s", answer_cases[i].name);

      g_test_add_data_func (path, &answer_cases[i], test_answer);
    }
  g_test_add_func ("/discord/rate-limited", test_rate_limited);
  g_test_add_data_func ("/discord/failure/timeout", GINT_TO_POINTER (FAILURE_TIMEOUT),
                        test_failure);
  g_test_add_data_func ("/discord/failure/refused", GINT_TO_POINTER (FAILURE_REFUSED),
                        test_failure);
  g_test_add_data_func ("/discord/failure/untrusted", GINT_TO_POINTER (FAILURE_UNTRUSTED),
                        test_failure);

  status = g_test_run ();

  if (made_dir != NULL)
    remove_dir (made_dir);

  return status;
}
