/* test-webhook.c — the test webhook receiver (tw-test-webhook) against the real HTTP engine
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tw-http.h"
#include "tw-test-util.h"
#include "tw-test-webhook.h"

#define WAIT_MSEC        20000
#define SUBPROCESS_USEC  (60 * G_USEC_PER_SEC)
#define CERT_DIR_ENV     "TW_TEST_WEBHOOK_CERT_DIR"
#define SLACK_PATH       "/services/T0000/B0000/abcdef"
#define DISCORD_PATH     "/api/webhooks/123456/tok-en"

typedef struct
{
  TwHttpResponse *response;
  GError         *error;
  gboolean        done;
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->response, tw_http_response_unref);
  g_clear_error (&result->error);
  result->done = FALSE;
}

static void
sent_cb (GObject      *source,
         GAsyncResult *async_result,
         gpointer      user_data)
{
  Result *result = user_data;

  result->response = tw_http_send_finish (TW_HTTP (source), async_result, &result->error);
  result->done = TRUE;
}

static gboolean
result_done_cond (gpointer data)
{
  return ((Result *) data)->done;
}

typedef struct
{
  TwTestWebhook *webhook;
  TwHttp        *http;
  Result         result;
} Fixture;

static void
fixture_setup (Fixture *fixture)
{
  fixture->webhook = tw_test_webhook_new (g_getenv (CERT_DIR_ENV));
  fixture->http = tw_http_new ();
  tw_http_set_ca_file (fixture->http, tw_test_webhook_get_ca_file (fixture->webhook));
}

static void
fixture_teardown (Fixture *fixture)
{
  result_clear (&fixture->result);
  g_assert_finalize_object (g_steal_pointer (&fixture->http));
  tw_test_webhook_free (fixture->webhook);
}

/* Sends METHOD with BODY (nullable) to PATH and waits for the outcome. */
static Result *
send (Fixture    *fixture,
      const char *method,
      const char *path,
      const char *body,
      guint       total_timeout_ms)
{
  g_autofree char *url = g_strconcat (tw_test_webhook_get_base_url (fixture->webhook), path,
                                      NULL);
  g_autoptr(TwHttpRequest) request = tw_http_request_new (method, url);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      tw_http_request_set_body (request, "application/json", bytes);
    }
  if (total_timeout_ms > 0)
    tw_http_request_set_timeouts (request, 5000, total_timeout_ms);

  result_clear (&fixture->result);
  tw_http_send_async (fixture->http, request, NULL, sent_cb, &fixture->result);
  g_assert_true (tw_test_wait_until (result_done_cond, &fixture->result, WAIT_MSEC));

  return &fixture->result;
}

static char *
dup_body (Result *result)
{
  gsize size = 0;
  const char *data;

  g_assert_no_error (result->error);
  data = g_bytes_get_data (tw_http_response_get_body (result->response), &size);
  return g_strndup (data != NULL ? data : "", size);
}

static JsonObject *
parse_body (Result *result)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *body = dup_body (result);
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

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

  /* Each case waits on the main loop: one that hangs must not take the others along. */
  g_test_trap_subprocess (NULL, SUBPROCESS_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

typedef void (*CaseFunc) (Fixture *fixture);

/* A case with its receiver and client, in a subprocess of its own. */
static void
run_case (gconstpointer data)
{
  CaseFunc func = (CaseFunc) data;
  Fixture fixture = { 0, };

  if (skip_or_fork ())
    return;

  fixture_setup (&fixture);
  func (&fixture);
  fixture_teardown (&fixture);
}

/* Slack's default: 200 "ok" to a JSON object, 400 "invalid_payload" to anything else;
 * every request is kept as it came. */
static void
test_slack (Fixture *fixture)
{
  static const char payload[] = "{\"text\": \"Run finished \xe2\x9c\x93 &amp;\"}";
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *body = NULL;
  Result *result;

  g_assert_true (g_str_has_prefix (tw_test_webhook_get_base_url (fixture->webhook),
                                   "https://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (tw_test_webhook_get_base_url (fixture->webhook),
                                   tw_test_webhook_get_host_port (fixture->webhook)));

  result = send (fixture, "POST", SLACK_PATH, payload, 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "ok");
  g_clear_pointer (&body, g_free);

  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 1);
  g_assert_cmpstr (tw_test_webhook_get_method (fixture->webhook, 0), ==, "POST");
  g_assert_cmpstr (tw_test_webhook_get_path (fixture->webhook, 0), ==, SLACK_PATH);
  g_assert_cmpstr (tw_test_webhook_get_header (fixture->webhook, 0, "content-TYPE"), ==,
                   "application/json");
  g_assert_null (tw_test_webhook_get_header (fixture->webhook, 0, "X-Missing"));
  g_assert_cmpmem (g_bytes_get_data (tw_test_webhook_get_body (fixture->webhook, 0), NULL),
                   g_bytes_get_size (tw_test_webhook_get_body (fixture->webhook, 0)),
                   payload, strlen (payload));
  json = tw_test_webhook_dup_json (fixture->webhook, 0);
  g_assert_nonnull (json);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "text"), ==,
                   "Run finished \xe2\x9c\x93 &amp;");
  g_assert_cmpuint (tw_test_webhook_get_status (fixture->webhook, 0), ==, 200);

  result = send (fixture, "POST", SLACK_PATH, "{\"text\": ", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 400);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "invalid_payload");
  g_assert_null (tw_test_webhook_dup_json (fixture->webhook, 1));
  g_assert_cmpuint (tw_test_webhook_get_status (fixture->webhook, 1), ==, 400);
}

/* Discord's default: the message back with ?wait=true, 204 without; an edit of a message
 * made here answers it edited, an edit of any other 404 Unknown Message. */
static void
test_discord (Fixture *fixture)
{
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) edited = NULL;
  g_autoptr(JsonObject) unknown = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  Result *result;

  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{\"content\": \"one\"}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  g_assert_cmpstr (tw_http_response_get_header (result->response, "Content-Type"), ==,
                   "application/json");
  first = parse_body (result);
  g_assert_cmpstr (json_object_get_string_member (first, "content"), ==, "one");
  g_assert_cmpstr (json_object_get_string_member (first, "webhook_id"), ==, "123456");
  g_assert_nonnull (json_object_get_string_member (first, "id"));

  /* A thread's query is kept, and ids increase. */
  result = send (fixture, "POST", DISCORD_PATH "?thread_id=77&wait=true",
                 "{\"content\": \"two\"}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  second = parse_body (result);
  g_assert_cmpstr (tw_test_webhook_get_path (fixture->webhook, 1), ==,
                   DISCORD_PATH "?thread_id=77&wait=true");
  g_assert_cmpstr (json_object_get_string_member (first, "id"), <,
                   json_object_get_string_member (second, "id"));

  result = send (fixture, "POST", DISCORD_PATH, "{\"content\": \"three\"}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 204);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "");

  path = g_strdup_printf (DISCORD_PATH "/messages/%s",
                          json_object_get_string_member (first, "id"));
  result = send (fixture, "PATCH", path, "{\"content\": \"one, edited\"}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  edited = parse_body (result);
  g_assert_cmpstr (json_object_get_string_member (edited, "id"), ==,
                   json_object_get_string_member (first, "id"));
  g_assert_cmpstr (json_object_get_string_member (edited, "content"), ==, "one, edited");
  g_assert_cmpstr (tw_test_webhook_get_method (fixture->webhook, 3), ==, "PATCH");
  g_assert_cmpstr (tw_test_webhook_get_path (fixture->webhook, 3), ==, path);

  result = send (fixture, "PATCH", DISCORD_PATH "/messages/42", "{\"content\": \"x\"}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 404);
  unknown = parse_body (result);
  g_assert_cmpint (json_object_get_int_member (unknown, "code"), ==, 10008);

  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "[]", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 400);
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 6);
}

/* Scripted answers come first, in order, then the default again. */
static void
test_script (Fixture *fixture)
{
  g_autofree char *body = NULL;
  Result *result;

  tw_test_webhook_push_answer (fixture->webhook, 500, NULL, NULL, NULL, 0);
  tw_test_webhook_push_answer (fixture->webhook, 429, "application/json",
                               "{\"retry_after\": 2.5}", "3", 0);
  tw_test_webhook_push_answer (fixture->webhook, 404, "text/plain", "no_service", NULL, 0);

  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 500);

  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 429);
  g_assert_cmpint (tw_http_response_get_retry_after (result->response), ==,
                   3);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "{\"retry_after\": 2.5}");
  g_clear_pointer (&body, g_free);

  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 404);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "no_service");

  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
}

/* An answer held back beyond the client's total timeout: the client times out, and the
 * receiver, when the hold ends, sees the client gone and counts no answer; it serves
 * the next request. */
static void
test_delay (Fixture *fixture)
{
  Result *result;

  tw_test_webhook_push_answer (fixture->webhook, 200, "text/plain", "ok", NULL, 1500);
  result = send (fixture, "POST", SLACK_PATH, "{}", 700);
  g_assert_error (result->error, TW_HTTP_ERROR, TW_HTTP_ERROR_TIMED_OUT);
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 1);
  /* Past the end of the hold (not a timing assertion: the status is 0 either way). */
  tw_test_iterate_for (1200);
  g_assert_cmpuint (tw_test_webhook_get_status (fixture->webhook, 0), ==, 0);

  /* A shorter hold is answered. */
  tw_test_webhook_push_answer (fixture->webhook, 201, NULL, NULL, NULL, 100);
  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_no_error (result->error);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 201);
  g_assert_cmpuint (tw_test_webhook_get_status (fixture->webhook, 1), ==, 201);
}

/* Too fast on one webhook: 429 with Retry-After (and Discord's retry_after); another
 * webhook has its own interval, and a Discord edit counts for its webhook. */
static void
test_min_interval (Fixture *fixture)
{
  g_autoptr(JsonObject) limited = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *body = NULL;
  g_autofree char *edit = NULL;
  gint64 retry_after;
  double seconds;
  Result *result;

  /* Long enough that nothing here can take that long between two requests. */
  tw_test_webhook_set_min_interval (fixture->webhook, 600000);

  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  /* Rate limiting comes before scripted answers, which stay queued. */
  tw_test_webhook_push_answer (fixture->webhook, 500, NULL, NULL, NULL, 0);
  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 429);
  body = dup_body (result);
  g_assert_cmpstr (body, ==, "rate_limited");
  retry_after = tw_http_response_get_retry_after (result->response);
  g_assert_cmpint (retry_after, >, 0);
  g_assert_cmpint (retry_after, <=, 600);

  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 500);
  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 429);
  g_assert_cmpint (tw_http_response_get_retry_after (result->response), >, 0);
  limited = parse_body (result);
  seconds = json_object_get_double_member (limited, "retry_after");
  g_assert_cmpfloat (seconds, >, 0);
  g_assert_cmpfloat (seconds, <=, 600);
  g_assert_false (json_object_get_boolean_member (limited, "global"));

  /* An edit is the same webhook. */
  tw_test_webhook_set_min_interval (fixture->webhook, 0);
  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{}", 0);
  message = parse_body (result);
  edit = g_strdup_printf (DISCORD_PATH "/messages/%s?wait=true",
                          json_object_get_string_member (message, "id"));
  tw_test_webhook_set_min_interval (fixture->webhook, 600000);
  result = send (fixture, "POST", DISCORD_PATH "?wait=true", "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  result = send (fixture, "PATCH", edit, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 429);
}

/* Down: connections are refused; up again on the same port, with what it had. */
static void
test_down (Fixture *fixture)
{
  g_autofree char *url = g_strdup (tw_test_webhook_get_base_url (fixture->webhook));
  Result *result;

  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);

  tw_test_webhook_set_down (fixture->webhook, TRUE);
  tw_test_webhook_set_down (fixture->webhook, TRUE);
  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_error (result->error, TW_HTTP_ERROR, TW_HTTP_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 1);

  tw_test_webhook_set_down (fixture->webhook, FALSE);
  g_assert_cmpstr (tw_test_webhook_get_base_url (fixture->webhook), ==, url);
  result = send (fixture, "POST", SLACK_PATH, "{}", 0);
  g_assert_no_error (result->error);
  g_assert_cmpuint (tw_http_response_get_status (result->response), ==, 200);
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 2);
}

/* Waiting: for requests already there, for ones to come, and in vain. */
static void
test_wait (Fixture *fixture)
{
  g_autofree char *url = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  Result other = { 0, };

  g_assert_true (tw_test_webhook_wait_requests (fixture->webhook, 0, 0));
  /* Nothing is sent: this wait cannot succeed. */
  g_assert_false (tw_test_webhook_wait_requests (fixture->webhook, 1, 50));

  url = g_strconcat (tw_test_webhook_get_base_url (fixture->webhook), SLACK_PATH, NULL);
  request = tw_http_request_new ("POST", url);
  tw_http_request_set_body (request, "application/json", body);
  tw_http_send_async (fixture->http, request, NULL, sent_cb, &fixture->result);
  tw_http_send_async (fixture->http, request, NULL, sent_cb, &other);
  g_assert_true (tw_test_webhook_wait_requests (fixture->webhook, 2, WAIT_MSEC));
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fixture->webhook), ==, 2);
  /* Both answers come back before the fixture goes. */
  g_assert_true (tw_test_wait_until (result_done_cond, &fixture->result, WAIT_MSEC));
  g_assert_true (tw_test_wait_until (result_done_cond, &other, WAIT_MSEC));
  g_assert_no_error (other.error);
  result_clear (&other);
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

  /* The first case makes the certificates there; the others use them again. */
  if (g_getenv (CERT_DIR_ENV) == NULL)
    {
      g_autoptr(GError) error = NULL;

      made_dir = g_dir_make_tmp ("tw-test-webhook-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv (CERT_DIR_ENV, made_dir, TRUE);
    }

#define ADD(path, func) g_test_add_data_func (path, func, run_case)
  ADD ("/webhook/slack", test_slack);
  ADD ("/webhook/discord", test_discord);
  ADD ("/webhook/script", test_script);
  ADD ("/webhook/delay", test_delay);
  ADD ("/webhook/min-interval", test_min_interval);
  ADD ("/webhook/down", test_down);
  ADD ("/webhook/wait", test_wait);
#undef ADD

  status = g_test_run ();

  if (made_dir != NULL)
    remove_dir (made_dir);

  return status;
}
