/* tw-test-webhook.c — a Slack- and Discord-like webhook receiver over TLS on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup's HTTPS server in the test's own thread-default main context, with a
 * certificate for 127.0.0.1 from a test CA (tw-test-tls). It records every request and
 * answers the way the services do unless told otherwise:
 *
 * - a path under /api/webhooks/ is Discord: POST with wait=true answers 200 with the
 *   message object (the request's JSON plus "id", "channel_id", "webhook_id"), ids
 *   increasing; POST without wait answers 204; PATCH …/messages/ID answers 200 with the
 *   message when ID was made here, else 404 {"message": "Unknown Message", "code":
 *   10008}; a body that is not a JSON object answers 400 (code 50109);
 * - any other path is Slack: 200 "ok", or 400 "invalid_payload" for a body that is not a
 *   JSON object.
 *
 * Scripted answers (tw_test_webhook_push_answer()) come first, in order, one per
 * request; a minimum interval (tw_test_webhook_set_min_interval()) answers 429 with
 * Retry-After before any of that when a request on the same webhook comes too soon.
 */
#include "config.h"

#include "tw-test-webhook.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#ifdef HAVE_LIBSOUP
#include <libsoup/soup.h>
#endif

#include "tw-test-tls.h"
#include "tw-test-util.h"

#define DISCORD_PREFIX     "/api/webhooks/"
#define FIRST_MESSAGE_ID   G_GUINT64_CONSTANT (1100000000000000001)
#define STOP_TIMEOUT_MSEC  10000

typedef struct
{
  char       *method;
  char       *path;       /* with the query */
  GHashTable *headers;    /* lower-case name → value (repeated ones joined by ", ") */
  GBytes     *body;
  guint       status;     /* answered; 0 while not (yet) answered */
} Request;

typedef struct
{
  guint   status;
  char   *content_type;   /* nullable */
  char   *body;           /* nullable */
  char   *retry_after;    /* nullable */
  guint   delay_ms;
} Answer;

struct _TwTestWebhook
{
#ifdef HAVE_LIBSOUP
  SoupServer   *server;
#endif
  GMainContext *context;
  guint16       port;
  gboolean      down;
  char         *base_url;
  char         *host_port;
  char         *ca_file;
  char         *cert_file;
  char         *key_file;
  GPtrArray    *requests;        /* of Request * */
  GQueue        answers;         /* of Answer *, scripted */
  GPtrArray    *pending;         /* of Pending *, delayed answers */
  guint         min_interval_ms;
  GHashTable   *last_request;    /* webhook path → gint64 * monotonic µs of its last one */
  GHashTable   *messages;        /* Discord message id → JsonNode * of the message */
  guint64       next_message_id;
};

static void
request_free (gpointer data)
{
  Request *request = data;

  g_free (request->method);
  g_free (request->path);
  g_hash_table_unref (request->headers);
  g_bytes_unref (request->body);
  g_free (request);
}

static void
answer_free (gpointer data)
{
  Answer *answer = data;

  g_free (answer->content_type);
  g_free (answer->body);
  g_free (answer->retry_after);
  g_free (answer);
}

static Request *
get_request (TwTestWebhook *self,
             guint          i)
{
  g_assert_nonnull (self);
  g_assert_cmpuint (i, <, self->requests->len);

  return g_ptr_array_index (self->requests, i);
}

static JsonNode *
parse_object (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);

  if (data == NULL || size == 0 || !g_utf8_validate (data, size, NULL) ||
      !json_parser_load_from_data (parser, data, size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  return json_node_copy (json_parser_get_root (parser));
}

static Answer *
answer_new (guint       status,
            const char *content_type,
            char       *body)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->status = status;
  answer->content_type = g_strdup (content_type);
  answer->body = body;
  return answer;
}

#ifdef HAVE_LIBSOUP

/* The webhook a path belongs to, for the rate limit: its path without the query and
 * without a Discord message (an edit counts against its webhook, as on Discord). */
static char *
dup_webhook_key (const char *path)
{
  const char *end = strchr (path, '?');
  g_autofree char *key = end != NULL ? g_strndup (path, end - path) : g_strdup (path);
  char *messages;

  if (g_str_has_prefix (key, DISCORD_PREFIX) && (messages = strstr (key, "/messages/")) != NULL)
    *messages = '\0';

  return g_steal_pointer (&key);
}

/* The Discord webhook id: the first path element after /api/webhooks/. */
static char *
dup_webhook_id (const char *path)
{
  const char *start = path + strlen (DISCORD_PREFIX);
  gsize length = strcspn (start, "/?");

  return g_strndup (start, length);
}

static gboolean
query_has_wait (const char *path)
{
  const char *query = strchr (path, '?');
  g_auto(GStrv) params = NULL;

  if (query == NULL)
    return FALSE;

  params = g_strsplit (query + 1, "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    {
      if (g_str_equal (params[i], "wait=true"))
        return TRUE;
    }

  return FALSE;
}

static char *
node_to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static Answer *
discord_error (guint       status,
               const char *message,
               int         code)
{
  return answer_new (status, "application/json",
                     g_strdup_printf ("{\"message\": \"%s\", \"code\": %d}", message, code));
}

/* What Discord says to a request, when nothing else was scripted. */
static Answer *
discord_answer (TwTestWebhook *self,
                Request       *request)
{
  g_autoptr(JsonNode) payload = parse_object (request->body);
  g_autofree char *webhook_id = dup_webhook_id (request->path);
  g_autoptr(GList) members = NULL;
  JsonObject *message;
  JsonNode *stored;
  char *id;

  if (!g_str_equal (request->method, "POST") && !g_str_equal (request->method, "PATCH"))
    return discord_error (405, "405: Method Not Allowed", 0);
  if (payload == NULL)
    return discord_error (400, "The request body contains invalid JSON.", 50109);

  message = json_node_get_object (payload);

  if (g_str_equal (request->method, "PATCH"))
    {
      const char *messages = strstr (request->path, "/messages/");
      g_autofree char *edited = NULL;

      if (messages == NULL)
        return discord_error (405, "405: Method Not Allowed", 0);
      messages += strlen ("/messages/");
      edited = g_strndup (messages, strcspn (messages, "/?"));
      stored = g_hash_table_lookup (self->messages, edited);
      if (stored == NULL)
        return discord_error (404, "Unknown Message", 10008);

      /* An edit replaces the fields it names. */
      members = json_object_get_members (message);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (json_node_get_object (stored), l->data,
                                json_node_copy (json_object_get_member (message, l->data)));
      return answer_new (200, "application/json", node_to_string (stored));
    }

  id = g_strdup_printf ("%" G_GUINT64_FORMAT, self->next_message_id++);
  json_object_set_string_member (message, "id", id);
  json_object_set_string_member (message, "channel_id", "1000000000000000042");
  json_object_set_string_member (message, "webhook_id", webhook_id);
  json_object_set_int_member (message, "type", 0);
  stored = json_node_copy (payload);
  g_hash_table_insert (self->messages, id, stored);

  if (!query_has_wait (request->path))
    return answer_new (204, NULL, NULL);

  return answer_new (200, "application/json", node_to_string (stored));
}

/* What Slack says to a request, when nothing else was scripted. */
static Answer *
slack_answer (Request *request)
{
  g_autoptr(JsonNode) payload = parse_object (request->body);

  if (!g_str_equal (request->method, "POST"))
    return answer_new (405, "text/plain", g_strdup ("invalid_method"));
  if (payload == NULL)
    return answer_new (400, "text/plain", g_strdup ("invalid_payload"));

  return answer_new (200, "text/plain", g_strdup ("ok"));
}

/* 429 when this request came sooner than the minimum interval after the webhook's
 * last one that was let through. */
static Answer *
rate_limit_answer (TwTestWebhook *self,
                   Request       *request)
{
  g_autofree char *key = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 *last;
  gint64 wait_usec;
  Answer *answer;

  if (self->min_interval_ms == 0)
    return NULL;

  key = dup_webhook_key (request->path);
  last = g_hash_table_lookup (self->last_request, key);
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      *last = now;
      g_hash_table_insert (self->last_request, g_steal_pointer (&key), last);
      return NULL;
    }

  wait_usec = *last + (gint64) self->min_interval_ms * 1000 - now;
  if (wait_usec <= 0)
    {
      *last = now;
      return NULL;
    }

  if (g_str_has_prefix (request->path, DISCORD_PREFIX))
    {
      char seconds[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (seconds, sizeof seconds, "%.3f", wait_usec / 1e6);
      answer = answer_new (429, "application/json",
                           g_strdup_printf ("{\"message\": \"You are being rate limited.\", "
                                            "\"retry_after\": %s, \"global\": false}", seconds));
    }
  else
    answer = answer_new (429, "text/plain", g_strdup ("rate_limited"));

  /* Whole seconds, rounded up, as the header allows no fraction. */
  answer->retry_after = g_strdup_printf ("%d", (int) ceil (wait_usec / 1e6));
  return answer;
}

typedef struct
{
  TwTestWebhook     *self;
  SoupServerMessage *message;
  Request           *request;
  GSource           *timeout;
  gulong             disconnected_id;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_clear_signal_handler (&pending->disconnected_id, pending->message);
  if (pending->timeout != NULL)
    {
      g_source_destroy (pending->timeout);
      g_source_unref (pending->timeout);
    }
  g_object_unref (pending->message);
  g_free (pending);
}

static void
respond (SoupServerMessage *message,
         Request           *request,
         Answer            *answer)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  soup_server_message_set_status (message, answer->status, NULL);
  if (answer->retry_after != NULL)
    soup_message_headers_append (headers, "Retry-After", answer->retry_after);
  if (answer->body != NULL)
    soup_server_message_set_response (message,
                                      answer->content_type != NULL ? answer->content_type
                                                                   : "text/plain",
                                      SOUP_MEMORY_COPY, answer->body, strlen (answer->body));
  request->status = answer->status;
}

static gboolean
pending_timeout_cb (gpointer user_data)
{
  Pending *pending = user_data;
  Answer *answer = g_object_get_data (G_OBJECT (pending->message), "tw-test-webhook-answer");
  GSocket *socket = soup_server_message_get_socket (pending->message);

  /* libsoup does not watch a paused message's connection. An HTTP/1.1 client waiting
   * for its answer sends nothing more, so a connection with something to read (TLS's
   * close_notify, the end of the stream) or hung up is one the client left: its
   * timeout ended the request, and this answer would reach nobody. */
  if (socket == NULL ||
      g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0)
    g_debug ("The client left before its held answer");
  else
    respond (pending->message, pending->request, answer);
  soup_server_message_unpause (pending->message);
  g_ptr_array_remove_fast (pending->self->pending, pending);

  return G_SOURCE_REMOVE;
}

/* The client gave up (its timeout) before the delayed answer: nobody to answer. */
static void
pending_disconnected_cb (SoupServerMessage *message,
                         gpointer           user_data)
{
  Pending *pending = user_data;

  g_ptr_array_remove_fast (pending->self->pending, pending);
}

static GHashTable *
copy_headers (SoupMessageHeaders *headers)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      char *key = g_ascii_strdown (name, -1);
      const char *before = g_hash_table_lookup (copy, key);

      g_hash_table_insert (copy, key, before != NULL ? g_strconcat (before, ", ", value, NULL)
                                                     : g_strdup (value));
    }

  return copy;
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  TwTestWebhook *self = user_data;
  Request *request = g_new0 (Request, 1);
  GUri *uri = soup_server_message_get_uri (message);
  const char *query_string = g_uri_get_query (uri);
  Answer *answer;

  request->method = g_strdup (soup_server_message_get_method (message));
  request->path = query_string != NULL ? g_strconcat (path, "?", query_string, NULL)
                                       : g_strdup (path);
  request->headers = copy_headers (soup_server_message_get_request_headers (message));
  request->body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_ptr_array_add (self->requests, request);

  answer = rate_limit_answer (self, request);
  if (answer == NULL)
    answer = g_queue_pop_head (&self->answers);
  if (answer == NULL && g_str_has_prefix (path, DISCORD_PREFIX))
    answer = discord_answer (self, request);
  if (answer == NULL)
    answer = slack_answer (request);

  if (answer->delay_ms == 0)
    {
      respond (message, request, answer);
      answer_free (answer);
      return;
    }

  {
    Pending *pending = g_new0 (Pending, 1);

    pending->self = self;
    pending->message = g_object_ref (message);
    pending->request = request;
    g_object_set_data_full (G_OBJECT (message), "tw-test-webhook-answer", answer, answer_free);
    pending->disconnected_id = g_signal_connect (message, "disconnected",
                                                 G_CALLBACK (pending_disconnected_cb), pending);
    pending->timeout = g_timeout_source_new (answer->delay_ms);
    g_source_set_callback (pending->timeout, pending_timeout_cb, pending, NULL);
    g_source_attach (pending->timeout, self->context);
    soup_server_message_pause (message);
    g_ptr_array_add (self->pending, pending);
  }
}

static void
listen_on (TwTestWebhook *self,
           guint16        port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GError) error = NULL;

  soup_server_listen (self->server, address, SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
}

static gboolean
is_null_cond (gpointer data)
{
  return *(gpointer *) data == NULL;
}

#endif /* HAVE_LIBSOUP */

/**
 * tw_test_webhook_is_supported:
 *
 * Returns: whether the tests were built with libsoup 3, which the receiver needs
 */
gboolean
tw_test_webhook_is_supported (void)
{
#ifdef HAVE_LIBSOUP
  return tw_test_ca_is_supported ();
#else
  return FALSE;
#endif
}

/**
 * tw_test_webhook_new:
 * @ca_dir: an existing folder for the certificates; files made there before (by this
 *   function, say in a parent process) are used again
 *
 * Starts an HTTPS receiver on 127.0.0.1 and a free port, in the thread-default main
 * context; check tw_test_webhook_is_supported() first. Trust its certificate with
 * tw_test_webhook_get_ca_file().
 *
 * Returns: (transfer full): the listening receiver
 */
TwTestWebhook *
tw_test_webhook_new (const char *ca_dir)
{
#ifdef HAVE_LIBSOUP
  TwTestWebhook *self = g_new0 (TwTestWebhook, 1);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  self->ca_file = g_build_filename (ca_dir, "webhook-ca.pem", NULL);
  self->cert_file = g_build_filename (ca_dir, "webhook.pem", NULL);
  self->key_file = g_build_filename (ca_dir, "webhook-key.pem", NULL);
  if (!g_file_test (self->ca_file, G_FILE_TEST_EXISTS) ||
      !g_file_test (self->cert_file, G_FILE_TEST_EXISTS) ||
      !g_file_test (self->key_file, G_FILE_TEST_EXISTS))
    {
      g_autoptr(TwTestCa) ca = tw_test_ca_new (ca_dir, "webhook");
      g_autofree char *cert = NULL;
      g_autofree char *key = NULL;

      tw_test_ca_issue (ca, "webhook", "IP:127.0.0.1", &cert, &key);
      g_assert_cmpstr (cert, ==, self->cert_file);
      g_assert_cmpstr (key, ==, self->key_file);
      g_assert_cmpstr (tw_test_ca_get_cert (ca), ==, self->ca_file);
    }

  certificate = g_tls_certificate_new_from_files (self->cert_file, self->key_file, &error);
  g_assert_no_error (error);

  self->context = g_main_context_ref_thread_default ();
  self->requests = g_ptr_array_new_with_free_func (request_free);
  g_queue_init (&self->answers);
  self->pending = g_ptr_array_new_with_free_func (pending_free);
  self->last_request = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_node_unref);
  self->next_message_id = FIRST_MESSAGE_ID;

  self->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  listen_on (self, 0);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  self->host_port = g_strdup_printf ("127.0.0.1:%u", self->port);
  self->base_url = g_strdup_printf ("https://%s", self->host_port);

  return self;
#else
  g_error ("libsoup 3 is not installed: no webhook receiver (check "
           "tw_test_webhook_is_supported() first)");
#endif
}

/**
 * tw_test_webhook_get_base_url:
 * @self: a receiver
 *
 * Returns: `https://127.0.0.1:PORT`; append any path
 */
const char *
tw_test_webhook_get_base_url (TwTestWebhook *self)
{
  return self->base_url;
}

/**
 * tw_test_webhook_get_host_port:
 * @self: a receiver
 *
 * Returns: `127.0.0.1:PORT`, as TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST wants it
 */
const char *
tw_test_webhook_get_host_port (TwTestWebhook *self)
{
  return self->host_port;
}

/**
 * tw_test_webhook_get_ca_file:
 * @self: a receiver
 *
 * Returns: the PEM file of the CA that signed the receiver's certificate
 */
const char *
tw_test_webhook_get_ca_file (TwTestWebhook *self)
{
  return self->ca_file;
}

/**
 * tw_test_webhook_push_answer:
 * @self: a receiver
 * @status: the HTTP status to answer
 * @content_type: (nullable): the answer's type; %NULL for text/plain
 * @body: (nullable): the answer's body; %NULL for none
 * @retry_after: (nullable): a Retry-After header to send
 * @delay_ms: how long to hold the answer back (the client may time out meanwhile)
 *
 * Queues an answer: the next request not rate-limited gets the first queued answer
 * instead of the default one.
 */
void
tw_test_webhook_push_answer (TwTestWebhook *self,
                             guint          status,
                             const char    *content_type,
                             const char    *body,
                             const char    *retry_after,
                             guint          delay_ms)
{
  Answer *answer = answer_new (status, content_type, g_strdup (body));

  answer->retry_after = g_strdup (retry_after);
  answer->delay_ms = delay_ms;
  g_queue_push_tail (&self->answers, answer);
}

/**
 * tw_test_webhook_set_min_interval:
 * @self: a receiver
 * @msec: the least time between two requests to one webhook; 0 for no limit
 *
 * Makes the receiver answer 429 with Retry-After (whole seconds, rounded up; Discord
 * paths also get `retry_after` in seconds in a JSON body) to a request that comes
 * sooner than @msec after the last one let through on the same webhook (the path
 * without query; a Discord edit counts for its webhook).
 */
void
tw_test_webhook_set_min_interval (TwTestWebhook *self,
                                  guint          msec)
{
  self->min_interval_ms = msec;
  g_hash_table_remove_all (self->last_request);
}

/**
 * tw_test_webhook_set_down:
 * @self: a receiver
 * @down: %TRUE to stop listening, %FALSE to listen again on the same port
 *
 * With @down, connections are refused (requests under way still get their answer).
 */
void
tw_test_webhook_set_down (TwTestWebhook *self,
                          gboolean       down)
{
#ifdef HAVE_LIBSOUP
  if (self->down == !!down)
    return;

  self->down = !!down;
  if (down)
    soup_server_disconnect (self->server);
  else
    listen_on (self, self->port);
#endif
}

/**
 * tw_test_webhook_get_n_requests:
 * @self: a receiver
 *
 * Returns: how many requests came, whatever they were answered
 */
guint
tw_test_webhook_get_n_requests (TwTestWebhook *self)
{
  return self->requests->len;
}

/**
 * tw_test_webhook_get_method:
 * @self: a receiver
 * @i: a request's index, from 0
 *
 * Returns: its method, such as `POST`
 */
const char *
tw_test_webhook_get_method (TwTestWebhook *self,
                            guint          i)
{
  return get_request (self, i)->method;
}

/**
 * tw_test_webhook_get_path:
 * @self: a receiver
 * @i: a request's index, from 0
 *
 * Returns: its path with the query, if any: `/api/webhooks/1/abc?wait=true`
 */
const char *
tw_test_webhook_get_path (TwTestWebhook *self,
                          guint          i)
{
  return get_request (self, i)->path;
}

/**
 * tw_test_webhook_get_header:
 * @self: a receiver
 * @i: a request's index, from 0
 * @name: a header's name, in any case
 *
 * Returns: (nullable): the header's value (repeated ones joined by ", ")
 */
const char *
tw_test_webhook_get_header (TwTestWebhook *self,
                            guint          i,
                            const char    *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (get_request (self, i)->headers, key);
}

/**
 * tw_test_webhook_get_body:
 * @self: a receiver
 * @i: a request's index, from 0
 *
 * Returns: (transfer none): its body, exactly as it came
 */
GBytes *
tw_test_webhook_get_body (TwTestWebhook *self,
                          guint          i)
{
  return get_request (self, i)->body;
}

/**
 * tw_test_webhook_dup_json:
 * @self: a receiver
 * @i: a request's index, from 0
 *
 * Returns: (transfer full) (nullable): its body parsed as JSON, or %NULL if it is not
 *   a JSON object
 */
JsonNode *
tw_test_webhook_dup_json (TwTestWebhook *self,
                          guint          i)
{
  return parse_object (get_request (self, i)->body);
}

/**
 * tw_test_webhook_get_status:
 * @self: a receiver
 * @i: a request's index, from 0
 *
 * Returns: the status it was answered with, or 0 if its answer is still held back or
 *   its client left before it
 */
guint
tw_test_webhook_get_status (TwTestWebhook *self,
                            guint          i)
{
  return get_request (self, i)->status;
}

typedef struct
{
  TwTestWebhook *self;
  guint          n;
} WaitRequests;

static gboolean
has_n_requests_cond (gpointer data)
{
  WaitRequests *wait = data;

  return wait->self->requests->len >= wait->n;
}

/**
 * tw_test_webhook_wait_requests:
 * @self: a receiver
 * @n: how many requests in all to wait for
 * @timeout_ms: how long to wait at most
 *
 * Iterates the thread-default main context (which serves the receiver) until @n
 * requests in all have come.
 *
 * Returns: %TRUE if they came within @timeout_ms
 */
gboolean
tw_test_webhook_wait_requests (TwTestWebhook *self,
                               guint          n,
                               guint          timeout_ms)
{
  WaitRequests wait = { self, n };

  return tw_test_wait_until (has_n_requests_cond, &wait, timeout_ms);
}

/**
 * tw_test_webhook_free:
 * @self: (transfer full) (nullable): a receiver
 *
 * Stops listening, drops held answers and connections, and frees @self once the
 * server is gone (iterating the main context for it). The certificate files stay.
 */
void
tw_test_webhook_free (TwTestWebhook *self)
{
#ifdef HAVE_LIBSOUP
  gpointer server;
#endif

  if (self == NULL)
    return;

#ifdef HAVE_LIBSOUP
  g_ptr_array_unref (self->pending);
  soup_server_disconnect (self->server);
  /* The server lets go of its connections on the main loop. */
  server = g_steal_pointer (&self->server);
  g_object_add_weak_pointer (server, &server);
  g_object_unref (server);
  g_assert_true (tw_test_wait_until (is_null_cond, &server, STOP_TIMEOUT_MSEC));
#endif

  g_ptr_array_unref (self->requests);
  g_queue_clear_full (&self->answers, answer_free);
  g_hash_table_unref (self->last_request);
  g_hash_table_unref (self->messages);
  g_main_context_unref (self->context);
  g_free (self->base_url);
  g_free (self->host_port);
  g_free (self->ca_file);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self);
}
