/* test-http.c — the HTTPS and SMTP engine against real TLS servers on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#ifdef HAVE_LIBSOUP
#include <libsoup/soup.h>
#endif

#include "tw-http.h"
#include "tw-http-private.h"
#include "tw-test-smtpd.h"
#include "tw-test-tls.h"
#include "tw-test-util.h"

#define WAIT_MSEC          20000
#define SUBPROCESS_USEC    (60 * G_USEC_PER_SEC)
#define CERT_DIR_ENV       "TW_TEST_HTTP_CERT_DIR"
#define SECRET             "XsecretX"
#define SECRET_PATH        "/services/T0000/B0000/" SECRET "path"
#define SECRET_QUERY       "token=" SECRET "query"
#define N_CONCURRENT       50
#define SMTP_USER          "tw-user"
#define SMTP_PASSWORD      "pass word " SECRET
#define LONG_LABEL         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* The certificates, made once by the parent process (see main) and found by
 * every case, which runs in a subprocess, through CERT_DIR_ENV. */
typedef struct
{
  char *ca;              /* the test CA, trusted through the CA file */
  char *cert;            /* signed by it, for localhost and 127.0.0.1 */
  char *key;
  char *rogue_ca;        /* another CA, trusted by nobody */
  char *rogue_cert;      /* signed by the rogue CA, for localhost and 127.0.0.1 */
  char *rogue_key;
  char *wrong_name_cert; /* signed by the test CA, for other.example only */
  char *wrong_name_key;
} Certs;

static Certs certs;

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

  g_assert_false (result->done);
  result->response = tw_http_send_finish (TW_HTTP (source), async_result, &result->error);
  g_assert_true ((result->response == NULL) != (result->error == NULL));
  result->done = TRUE;
}

static gboolean
result_done_cond (gpointer data)
{
  Result *result = data;

  return result->done;
}

static void
result_wait (Result *result)
{
  g_assert_true (tw_test_wait_until (result_done_cond, result, WAIT_MSEC));
}

/* Sends and waits; the callback never runs before tw_http_send_async() returns. */
static void
send_and_wait (TwHttp        *http,
               TwHttpRequest *request,
               Result        *result)
{
  result_clear (result);
  tw_http_send_async (http, request, NULL, sent_cb, result);
  g_assert_false (result->done);
  result_wait (result);
}

static gboolean
is_null_cond (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Like g_assert_finalize_object(), for an object whose last other reference
 * a worker thread drops a moment after the callback ran (a mail's GTask). */
static void
assert_finalized_soon (gpointer object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  g_assert_true (tw_test_wait_until (is_null_cond, &weak, WAIT_MSEC));
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return g_strndup (data != NULL ? data : "", size);
}

static void
assert_message_clean (const GError *error,
                      const char   *host)
{
  g_test_message ("error: %s", error->message);
  g_assert_null (strstr (error->message, SECRET));
  g_assert_null (strstr (error->message, "services"));
  g_assert_null (strstr (error->message, "token="));
  if (host != NULL)
    g_assert_nonnull (strstr (error->message, host));
}

/* A port on loopback with nothing listening. */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  g_socket_close (socket, NULL);

  return port;
}

/* A socket on loopback that listens and never accepts: the kernel completes
 * connections into its backlog, and nobody ever answers them. */
static GSocket *
silent_listener_new (guint16 *out_port)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  g_clear_object (&address);
  address = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

  return g_steal_pointer (&socket);
}

static TwHttp *
http_new_trusting_test_ca (void)
{
  TwHttp *http = tw_http_new ();

  tw_http_set_ca_file (http, certs.ca);
  return http;
}

/* Each case runs in a subprocess of its own: it waits on the main loop, and
 * one that hangs must not take the others along. */
static gboolean
run_in_subprocess (void)
{
  if (g_test_subprocess ())
    return FALSE;

  g_test_trap_subprocess (NULL, SUBPROCESS_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

#ifdef HAVE_LIBSOUP

/* ---- A real HTTPS server on loopback: libsoup's, in this process ---- */

typedef struct
{
  char   *method;
  char   *path;
  char   *query;         /* nullable */
  char   *content_type;  /* nullable */
  char   *user_agent;    /* nullable */
  char   *expect;        /* nullable */
  char   *test_header;   /* nullable: X-Test */
  GBytes *body;
} Received;

typedef struct
{
  SoupServer *server;
  guint16     port;
  char       *host;      /* 127.0.0.1:PORT */
  char       *url;       /* https://127.0.0.1:PORT */
  GPtrArray  *received;  /* of Received * */
  GPtrArray  *held;      /* of SoupServerMessage *, paused and never answered */
} Receiver;

static void
received_free (Received *received)
{
  g_free (received->method);
  g_free (received->path);
  g_free (received->query);
  g_free (received->content_type);
  g_free (received->user_agent);
  g_free (received->expect);
  g_free (received->test_header);
  g_bytes_unref (received->body);
  g_free (received);
}

/* /status/NNN answers NNN (429 with Retry-After: 7), /echo answers 200 with
 * the request's body, /hang never answers, /big answers 64 KiB. */
static void
receiver_cb (SoupServer        *server,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  Receiver *receiver = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (message);
  Received *received = g_new0 (Received, 1);
  GUri *uri = soup_server_message_get_uri (message);

  received->method = g_strdup (soup_server_message_get_method (message));
  received->path = g_strdup (path);
  received->query = g_strdup (g_uri_get_query (uri));
  received->content_type = g_strdup (soup_message_headers_get_one (request_headers,
                                                                   "Content-Type"));
  received->user_agent = g_strdup (soup_message_headers_get_one (request_headers,
                                                                 "User-Agent"));
  received->expect = g_strdup (soup_message_headers_get_one (request_headers, "Expect"));
  received->test_header = g_strdup (soup_message_headers_get_one (request_headers, "X-Test"));
  received->body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_ptr_array_add (receiver->received, received);

  if (g_str_has_prefix (path, "/status/"))
    {
      guint64 status = 0;

      g_assert_true (g_ascii_string_to_unsigned (path + 8, 10, 100, 599, &status, NULL));
      soup_server_message_set_status (message, status, NULL);
      soup_message_headers_append (response_headers, "X-Status-Note", "first");
      soup_message_headers_append (response_headers, "x-status-note", "second");
      if (status == 200)
        soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
      else if (status == 400)
        soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC,
                                          "invalid_payload", 15);
      else if (status == 429)
        {
          soup_message_headers_append (response_headers, "Retry-After", "7");
          soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC,
                                            "rate_limited", 12);
        }
    }
  else if (g_str_equal (path, "/echo"))
    {
      gsize size = 0;
      const char *data = g_bytes_get_data (received->body, &size);

      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                        data, size);
    }
  else if (g_str_equal (path, "/hang"))
    {
      soup_server_message_pause (message);
      g_ptr_array_add (receiver->held, g_object_ref (message));
    }
  else if (g_str_equal (path, "/big"))
    {
      char *big = g_malloc (64 * 1024);

      memset (big, 'x', 64 * 1024);
      soup_server_message_set_status (message, 200, NULL);
      soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_TAKE,
                                        big, 64 * 1024);
    }
  else
    soup_server_message_set_status (message, 404, NULL);
}

static Receiver *
receiver_new (const char *cert,
              const char *key)
{
  Receiver *receiver = g_new0 (Receiver, 1);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);

  receiver->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_free);
  receiver->held = g_ptr_array_new_with_free_func (g_object_unref);
  receiver->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (receiver->server, NULL, receiver_cb, receiver, NULL);
  soup_server_listen_local (receiver->server, 0,
                            SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (receiver->server);
  g_assert_nonnull (uris);
  receiver->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  receiver->host = g_strdup_printf ("127.0.0.1:%u", receiver->port);
  receiver->url = g_strdup_printf ("https://%s", receiver->host);

  return receiver;
}

static void
receiver_free (Receiver *receiver)
{
  /* The server lets go of its connections on the main loop. */
  soup_server_disconnect (receiver->server);
  g_ptr_array_unref (receiver->held);
  assert_finalized_soon (g_steal_pointer (&receiver->server));
  g_ptr_array_unref (receiver->received);
  g_free (receiver->host);
  g_free (receiver->url);
  g_free (receiver);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Receiver, receiver_free)

static char *
receiver_dup_url (Receiver   *receiver,
                  const char *path)
{
  return g_strconcat (receiver->url, path, NULL);
}

static gboolean
has_n_received_cond (gpointer data)
{
  Receiver *receiver = data;

  return receiver->received->len >= 1;
}

#endif /* HAVE_LIBSOUP */

/* ---- An HTTP proxy that tunnels CONNECT, in this process ---- */

typedef struct
{
  GSocketService *service;
  guint16         port;
  guint           n_connects;
  char           *last_target;  /* host:port of the latest CONNECT */
} Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *client;
  GDataInputStream  *input;
  char              *target;
} Tunnel;

static void
tunnel_free (Tunnel *tunnel)
{
  g_clear_object (&tunnel->client);
  g_clear_object (&tunnel->input);
  g_free (tunnel->target);
  g_free (tunnel);
}

static void
tunnel_spliced_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_io_stream_splice_finish (result, NULL);
}

static void
tunnel_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Tunnel *tunnel = user_data;
  g_autoptr(GSocketConnection) target = NULL;
  g_autoptr(GError) error = NULL;
  static const char answer[] = "HTTP/1.1 200 Connection established\r\n\r\n";

  target = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  g_assert_no_error (error);

  /* A few bytes to loopback: this cannot block for long. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (tunnel->client)),
                             answer, strlen (answer), NULL, NULL, &error);
  g_assert_no_error (error);

  g_io_stream_splice_async (G_IO_STREAM (tunnel->client), G_IO_STREAM (target),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, tunnel_spliced_cb, NULL);
  tunnel_free (tunnel);
}

static void
tunnel_line_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Tunnel *tunnel = user_data;
  g_autofree char *line = NULL;
  g_autoptr(GSocketClient) client = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (tunnel->input, result, NULL, NULL);
  if (line == NULL)
    {
      tunnel_free (tunnel);
      return;
    }

  if (tunnel->target == NULL)
    {
      g_auto(GStrv) words = g_strsplit (line, " ", 3);

      g_assert_cmpuint (g_strv_length (words), ==, 3);
      g_assert_cmpstr (words[0], ==, "CONNECT");
      tunnel->target = g_strdup (words[1]);
      tunnel->proxy->n_connects++;
      g_free (tunnel->proxy->last_target);
      tunnel->proxy->last_target = g_strdup (words[1]);
    }

  if (*line != '\0')
    {
      g_data_input_stream_read_line_async (tunnel->input, G_PRIORITY_DEFAULT, NULL,
                                           tunnel_line_cb, tunnel);
      return;
    }

  /* The client says nothing more until it has our answer, so nothing is
   * left in the data stream's buffer. */
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_to_host_async (client, tunnel->target, 0, NULL,
                                         tunnel_connected_cb, tunnel);
}

static gboolean
proxy_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source,
                   gpointer           user_data)
{
  Tunnel *tunnel = g_new0 (Tunnel, 1);
  GInputStream *input;

  tunnel->proxy = user_data;
  tunnel->client = g_object_ref (connection);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  tunnel->input = g_data_input_stream_new (input);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (tunnel->input), FALSE);
  g_data_input_stream_set_newline_type (tunnel->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_data_input_stream_read_line_async (tunnel->input, G_PRIORITY_DEFAULT, NULL,
                                       tunnel_line_cb, tunnel);
  return TRUE;
}

static Proxy *
proxy_new (void)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  proxy->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (proxy_incoming_cb), proxy);
  g_socket_service_start (proxy->service);

  return proxy;
}

static void
proxy_free (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_object_unref (proxy->service);
  g_free (proxy->last_target);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proxy, proxy_free)


static gboolean
skip_without_soup (void)
{
#ifdef HAVE_LIBSOUP
  return FALSE;
#else
  g_test_skip ("libsoup 3 is not installed: no HTTPS server to test against");
  return TRUE;
#endif
}

static gboolean
skip_without_smtpd (void)
{
  if (tw_test_smtpd_is_supported ())
    return FALSE;

  g_test_skip ("/usr/bin/python3 cannot import aiosmtpd: no SMTP server to test against");
  return TRUE;
}

/* ---- Cases ---- */

typedef struct
{
  const char *name;
  const char *method;
  gboolean    with_body;
} MethodCase;

static const MethodCase method_cases[] = {
  { "post-json", "POST", TRUE },
  { "patch-json", "PATCH", TRUE },
  { "post-empty", "POST", FALSE },
  { "get", "GET", FALSE },
};

/* The bytes of a request arrive exactly; the answer's come back exactly. */
static void
test_method (gconstpointer data)
{
#ifdef HAVE_LIBSOUP
  const MethodCase *test_case = data;
  /* Multi-byte UTF-8, escapes, a CR LF and characters a careless layer would touch. */
  static const char json[] = "{\"text\": \"Run \\\"resnet\\\" finished: loss 0.12 \xe2\x9c\x93\","
                             " \"crlf\": \"a\r\nb\", \"pct\": \"100%\", \"amp\": \"&<>\"}";
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static (json, strlen (json));
  g_autofree char *url = NULL;
  Received *received;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = receiver_dup_url (receiver, "/echo");

  request = tw_http_request_new (test_case->method, url);
  tw_http_request_add_header (request, "X-Test", "yes");
  if (test_case->with_body)
    tw_http_request_set_body (request, "application/json", body);

  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 200);

  g_assert_cmpuint (receiver->received->len, ==, 1);
  received = g_ptr_array_index (receiver->received, 0);
  g_assert_cmpstr (received->method, ==, test_case->method);
  g_assert_cmpstr (received->path, ==, "/echo");
  g_assert_cmpstr (received->test_header, ==, "yes");
  g_assert_cmpstr (received->user_agent, ==, PACKAGE_NAME "/" PACKAGE_VERSION);
  g_assert_null (received->expect);
  if (test_case->with_body)
    {
      g_assert_cmpstr (received->content_type, ==, "application/json");
      g_assert_true (g_bytes_equal (received->body, body));
      g_assert_true (g_bytes_equal (tw_http_response_get_body (result.response), body));
    }
  else
    {
      g_assert_null (received->content_type);
      g_assert_cmpuint (g_bytes_get_size (received->body), ==, 0);
      g_assert_cmpuint (g_bytes_get_size (tw_http_response_get_body (result.response)), ==, 0);
    }
  g_assert_cmpstr (tw_http_response_get_header (result.response, "content-type"), ==,
                   "application/octet-stream");

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

typedef struct
{
  guint       status;
  const char *body;
  gint64      retry_after;
} StatusCase;

static const StatusCase status_cases[] = {
  { 200, "ok", -1 },
  { 400, "invalid_payload", -1 },
  { 404, "", -1 },
  { 429, "rate_limited", 7 },
  { 500, "", -1 },
};

/* Any answer is a response, whatever its status: deciding is the channel's job. */
static void
test_status (gconstpointer data)
{
#ifdef HAVE_LIBSOUP
  const StatusCase *test_case = data;
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  g_autofree char *path = g_strdup_printf ("/status/%u", test_case->status);
  g_autofree char *url = NULL;
  g_autofree char *answer = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = receiver_dup_url (receiver, path);
  request = tw_http_request_new ("POST", url);
  tw_http_request_set_body (request, "application/json", body);

  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, test_case->status);
  answer = bytes_to_string (tw_http_response_get_body (result.response));
  g_assert_cmpstr (answer, ==, test_case->body);
  g_assert_cmpint (tw_http_response_get_retry_after (result.response), ==,
                   test_case->retry_after);
  /* The last of two headers with one name, in any case. */
  g_assert_cmpstr (tw_http_response_get_header (result.response, "X-STATUS-NOTE"), ==,
                   "second");
  g_assert_null (tw_http_response_get_header (result.response, "X-Missing"));

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

typedef struct
{
  Result   *result;
  guint     ticks_while_pending;
} Ticker;

static gboolean
tick_cb (gpointer user_data)
{
  Ticker *ticker = user_data;

  if (!ticker->result->done)
    ticker->ticks_while_pending++;
  return G_SOURCE_CONTINUE;
}

/* An HTTPS server that takes the request and never answers: the total
 * timeout ends it, and the main loop runs all the while. */
static void
test_timeout_total (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  Result result = { 0, };
  Ticker ticker = { &result, 0 };
  guint tick_id;
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = receiver_dup_url (receiver, "/hang");
  request = tw_http_request_new ("POST", url);
  tw_http_request_set_timeouts (request, 5000, 1000);

  tick_id = g_timeout_add (20, tick_cb, &ticker);
  tw_http_send_async (http, request, NULL, sent_cb, &result);
  g_assert_false (result.done);
  result_wait (&result);
  g_source_remove (tick_id);

  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TIMED_OUT);
  assert_message_clean (result.error, receiver->host);
  g_assert_true (tw_http_error_is_transient (result.error));
  g_assert_cmpuint (receiver->received->len, ==, 1);
  g_test_message ("timer fired %u times while the request was pending",
                  ticker.ticks_while_pending);
  g_assert_cmpuint (ticker.ticks_while_pending, >, 0);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

/* A server that accepts the connection and never says a word: the TLS
 * handshake never ends, and the connect timeout ends it. */
static void
test_timeout_connect (void)
{
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  g_autofree char *host = NULL;
  Result result = { 0, };
  Ticker ticker = { &result, 0 };
  guint16 port;
  guint tick_id;

  if (run_in_subprocess ())
    return;

  listener = silent_listener_new (&port);
  host = g_strdup_printf ("127.0.0.1:%u", port);
  url = g_strdup_printf ("https://%s" SECRET_PATH "?" SECRET_QUERY, host);
  http = http_new_trusting_test_ca ();
  request = tw_http_request_new ("POST", url);
  tw_http_request_set_timeouts (request, 1000, 10000);

  tick_id = g_timeout_add (20, tick_cb, &ticker);
  tw_http_send_async (http, request, NULL, sent_cb, &result);
  result_wait (&result);
  g_source_remove (tick_id);

  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TIMED_OUT);
  assert_message_clean (result.error, host);
  g_assert_cmpuint (ticker.ticks_while_pending, >, 0);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
}

static void
test_refused (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *host = NULL;
  g_autofree char *url = NULL;
  Result result = { 0, };

  if (run_in_subprocess ())
    return;

  host = g_strdup_printf ("127.0.0.1:%u", closed_port ());
  url = g_strdup_printf ("https://%s" SECRET_PATH "?" SECRET_QUERY, host);
  http = http_new_trusting_test_ca ();
  request = tw_http_request_new ("POST", url);

  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_CONNECTION_REFUSED);
  assert_message_clean (result.error, host);
  g_assert_nonnull (strstr (result.error->message, "refused"));
  g_assert_true (tw_http_error_is_transient (result.error));

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
}

/* A host name that cannot exist: a label longer than 63 bytes fails in the
 * resolver itself, so no query leaves the machine. */
static void
test_resolve (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  Result result = { 0, };

  if (run_in_subprocess ())
    return;

  http = http_new_trusting_test_ca ();
  request = tw_http_request_new ("POST", "https://" LONG_LABEL ".invalid"
                                 SECRET_PATH "?" SECRET_QUERY);

  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_RESOLVE);
  assert_message_clean (result.error, LONG_LABEL ".invalid");

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
}

/* libcurl looks host names up in a thread of its own (the threaded resolver,
 * not c-ares), never in the main loop; /http/resolve goes through it. It
 * answers "localhost" itself, which must work with the certificate's name. */
static void
test_resolver (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  Result result = { 0, };
#endif
  curl_version_info_data *info = curl_version_info (CURLVERSION_NOW);

  g_assert_true (info->features & CURL_VERSION_ASYNCHDNS);
  g_assert_false (info->ares_num > 0);  /* not c-ares: the threaded resolver */

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = g_strdup_printf ("https://localhost:%u/status/200", receiver->port);
  request = tw_http_request_new ("GET", url);

  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 200);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

typedef enum
{
  UNTRUSTED_ROGUE_CA,      /* signed by a CA nobody trusts, with our CA file */
  UNTRUSTED_SYSTEM_CAS,    /* signed by the test CA, without the CA file */
  UNTRUSTED_WRONG_NAME,    /* signed by the test CA, for another host name */
} UntrustedCase;

/* Verification is always on: there is no option to turn it off, so each of
 * these fails. */
static void
test_untrusted (gconstpointer data)
{
#ifdef HAVE_LIBSOUP
  UntrustedCase test_case = GPOINTER_TO_INT (data);
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  switch (test_case)
    {
    case UNTRUSTED_ROGUE_CA:
      receiver = receiver_new (certs.rogue_cert, certs.rogue_key);
      http = http_new_trusting_test_ca ();
      break;

    case UNTRUSTED_SYSTEM_CAS:
      receiver = receiver_new (certs.cert, certs.key);
      http = tw_http_new ();
      break;

    case UNTRUSTED_WRONG_NAME:
      receiver = receiver_new (certs.wrong_name_cert, certs.wrong_name_key);
      http = http_new_trusting_test_ca ();
      break;

    default:
      g_assert_not_reached ();
    }

  url = g_strdup_printf ("%s" SECRET_PATH "?" SECRET_QUERY, receiver->url);
  request = tw_http_request_new ("POST", url);

  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION);
  assert_message_clean (result.error, receiver->host);
  g_assert_false (tw_http_error_is_transient (result.error));
  /* Nothing reached the server. */
  g_assert_cmpuint (receiver->received->len, ==, 0);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

/* TRAINWATCH_CA_FILE wins over the ca-file setting. */
static void
test_ca_file_env (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) good = NULL;
  g_autoptr(Receiver) rogue = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) to_good = NULL;
  g_autoptr(TwHttpRequest) to_rogue = NULL;
  g_autofree char *good_url = NULL;
  g_autofree char *rogue_url = NULL;
  g_autofree char *missing = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  good = receiver_new (certs.cert, certs.key);
  rogue = receiver_new (certs.rogue_cert, certs.rogue_key);
  good_url = receiver_dup_url (good, "/status/200");
  rogue_url = receiver_dup_url (rogue, "/status/200");
  to_good = tw_http_request_new ("GET", good_url);
  to_rogue = tw_http_request_new ("GET", rogue_url);

  /* The setting alone: the test CA is trusted, the rogue one is not. */
  http = http_new_trusting_test_ca ();
  send_and_wait (http, to_good, &result);
  g_assert_no_error (result.error);
  send_and_wait (http, to_rogue, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION);
  g_assert_finalize_object (g_steal_pointer (&http));

  /* The environment wins: the other way round. A new TwHttp, so that no
   * connection made before is reused. */
  g_setenv ("TRAINWATCH_CA_FILE", certs.rogue_ca, TRUE);
  http = http_new_trusting_test_ca ();
  send_and_wait (http, to_rogue, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 200);
  send_and_wait (http, to_good, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION);
  g_assert_finalize_object (g_steal_pointer (&http));

  /* A file that is not there is named in the error. */
  missing = g_build_filename (g_get_user_config_dir (), "no-such-ca.pem", NULL);
  g_setenv ("TRAINWATCH_CA_FILE", missing, TRUE);
  http = http_new_trusting_test_ca ();
  send_and_wait (http, to_good, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_CA_FILE);
  g_assert_nonnull (strstr (result.error->message, missing));
  g_assert_finalize_object (g_steal_pointer (&http));

  /* Empty is unset: the setting counts again. */
  g_setenv ("TRAINWATCH_CA_FILE", "", TRUE);
  http = http_new_trusting_test_ca ();
  send_and_wait (http, to_good, &result);
  g_assert_no_error (result.error);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

static void
test_ca_file_path (void)
{
  g_autoptr(TwHttp) http = tw_http_new ();
  g_autofree char *in_home = g_build_filename (g_get_home_dir (), "certs", "ca.pem", NULL);

  g_assert_null (tw_http_get_ca_file (http));
  tw_http_set_ca_file (http, "~/certs/ca.pem");
  g_assert_cmpstr (tw_http_get_ca_file (http), ==, in_home);
  tw_http_set_ca_file (http, "certs/ca.pem");
  g_assert_cmpstr (tw_http_get_ca_file (http), ==, in_home);
  tw_http_set_ca_file (http, "/etc/ca.pem");
  g_assert_cmpstr (tw_http_get_ca_file (http), ==, "/etc/ca.pem");
  tw_http_set_ca_file (http, "");
  g_assert_null (tw_http_get_ca_file (http));
  g_object_set (http, "ca-file", "/etc/ca.pem", NULL);
  g_assert_cmpstr (tw_http_get_ca_file (http), ==, "/etc/ca.pem");
  tw_http_set_ca_file (http, NULL);
  g_assert_null (tw_http_get_ca_file (http));
  g_assert_finalize_object (g_steal_pointer (&http));
}

#ifdef HAVE_LIBSOUP
typedef struct
{
  Result         result;
  GBytes        *body;
} Concurrent;
#endif

/* Many requests at once, more than libcurl opens connections for: all complete,
 * each with its own answer. */
static void
test_concurrent (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Concurrent sends[N_CONCURRENT];
  guint i;
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = receiver_dup_url (receiver, "/echo");

  memset (sends, 0, sizeof sends);
  for (i = 0; i < N_CONCURRENT; i++)
    {
      g_autoptr(TwHttpRequest) request = tw_http_request_new ("POST", url);
      g_autofree char *text = g_strdup_printf ("{\"n\": %u}", i);

      sends[i].body = g_bytes_new (text, strlen (text));
      tw_http_request_set_body (request, "application/json", sends[i].body);
      tw_http_send_async (http, request, NULL, sent_cb, &sends[i].result);
    }

  for (i = 0; i < N_CONCURRENT; i++)
    {
      result_wait (&sends[i].result);
      g_assert_no_error (sends[i].result.error);
      g_assert_cmpuint (tw_http_response_get_status (sends[i].result.response), ==, 200);
      g_assert_true (g_bytes_equal (tw_http_response_get_body (sends[i].result.response),
                                    sends[i].body));
      result_clear (&sends[i].result);
      g_bytes_unref (sends[i].body);
    }

  g_assert_cmpuint (receiver->received->len, ==, N_CONCURRENT);
  for (i = 0; i < N_CONCURRENT; i++)
    {
      Received *received = g_ptr_array_index (receiver->received, i);

      g_hash_table_add (seen, bytes_to_string (received->body));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, N_CONCURRENT);

  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

static void
test_cancel (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) hang = NULL;
  g_autoptr(TwHttpRequest) fine = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autofree char *hang_url = NULL;
  g_autofree char *fine_url = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  hang_url = receiver_dup_url (receiver, "/hang");
  fine_url = receiver_dup_url (receiver, "/status/200");
  hang = tw_http_request_new ("POST", hang_url);
  fine = tw_http_request_new ("GET", fine_url);

  /* In flight: the server has the request and holds it. */
  tw_http_send_async (http, hang, cancellable, sent_cb, &result);
  g_assert_true (tw_test_wait_until (has_n_received_cond, receiver, WAIT_MSEC));
  g_assert_false (result.done);
  g_cancellable_cancel (cancellable);
  result_wait (&result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (tw_http_error_is_transient (result.error));
  result_clear (&result);

  /* Cancelled before it starts: nothing is sent. */
  g_cancellable_cancel (cancelled);
  tw_http_send_async (http, fine, cancelled, sent_cb, &result);
  g_assert_false (result.done);
  result_wait (&result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (receiver->received->len, ==, 1);

  /* The engine goes on working. */
  send_and_wait (http, fine, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 200);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

static void
test_too_large (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  http = http_new_trusting_test_ca ();
  url = g_strdup_printf ("%s/big?" SECRET_QUERY, receiver->url);
  request = tw_http_request_new ("GET", url);

  tw_http_request_set_max_response_size (request, 1000);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_RESPONSE_TOO_LARGE);
  assert_message_clean (result.error, receiver->host);

  /* The limit is inclusive. */
  tw_http_request_set_max_response_size (request, 64 * 1024);
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (g_bytes_get_size (tw_http_response_get_body (result.response)), ==,
                    64 * 1024);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

/* The environment's proxy is used (with CONNECT), and no_proxy is honoured. */
static void
test_proxy (void)
{
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) receiver = NULL;
  g_autoptr(Proxy) proxy = NULL;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autofree char *url = NULL;
  g_autofree char *proxy_url = NULL;
  Result result = { 0, };
#endif

  if (skip_without_soup () || run_in_subprocess ())
    return;

#ifdef HAVE_LIBSOUP
  receiver = receiver_new (certs.cert, certs.key);
  proxy = proxy_new ();
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  url = receiver_dup_url (receiver, "/status/200");
  request = tw_http_request_new ("GET", url);

  g_setenv ("https_proxy", proxy_url, TRUE);
  http = http_new_trusting_test_ca ();
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 200);
  g_assert_cmpuint (proxy->n_connects, ==, 1);
  g_assert_cmpstr (proxy->last_target, ==, receiver->host);
  g_assert_cmpuint (receiver->received->len, ==, 1);
  g_assert_finalize_object (g_steal_pointer (&http));

  g_setenv ("no_proxy", "127.0.0.1", TRUE);
  http = http_new_trusting_test_ca ();
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (proxy->n_connects, ==, 1);
  g_assert_cmpuint (receiver->received->len, ==, 2);

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
#endif
}

typedef struct
{
  const char *name;
  const char *url;
  TwHttpError code;
} InvalidUrlCase;

static const InvalidUrlCase invalid_url_cases[] = {
  { "http", "http://127.0.0.1" SECRET_PATH "?" SECRET_QUERY, TW_HTTP_ERROR_INVALID_URL },
  { "ftp", "ftp://127.0.0.1" SECRET_PATH, TW_HTTP_ERROR_INVALID_URL },
  { "smtp", "smtp://127.0.0.1" SECRET_PATH, TW_HTTP_ERROR_INVALID_URL },
  { "no-scheme", "127.0.0.1" SECRET_PATH, TW_HTTP_ERROR_INVALID_URL },
  { "space", "https://exa mple.com" SECRET_PATH, TW_HTTP_ERROR_INVALID_URL },
  { "user", "https://" SECRET ":pw@127.0.0.1" SECRET_PATH, TW_HTTP_ERROR_INVALID_URL },
  { "empty", "", TW_HTTP_ERROR_INVALID_URL },
};

static void
test_invalid_url (gconstpointer data)
{
  const InvalidUrlCase *test_case = data;
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  Result result = { 0, };

  if (run_in_subprocess ())
    return;

  http = tw_http_new ();
  request = tw_http_request_new ("POST", test_case->url);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, test_case->code);
  assert_message_clean (result.error, NULL);
  g_assert_false (tw_http_error_is_transient (result.error));

  result_clear (&result);
  g_assert_finalize_object (g_steal_pointer (&http));
}

/* Every log message, debug included, is checked for the secret parts of URLs. */
static GLogWriterOutput
secret_checking_writer (GLogLevelFlags   level,
                        const GLogField *fields,
                        gsize            n_fields,
                        gpointer         user_data)
{
  guint *n_messages = user_data;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        {
          (*n_messages)++;
          g_assert_null (strstr (fields[i].value, SECRET));
        }
    }

  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Webhook URLs are secrets: no error and no log message holds their path or
 * query, whatever went wrong. */
static void
test_secrets (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
#ifdef HAVE_LIBSOUP
  g_autoptr(Receiver) rogue = NULL;
#endif
  guint n_messages = 0;
  guint16 port;
  guint i;

  if (run_in_subprocess ())
    return;

  g_log_set_writer_func (secret_checking_writer, &n_messages, NULL);
  g_log_set_debug_enabled (TRUE);

  listener = silent_listener_new (&port);
  g_ptr_array_add (urls, g_strdup_printf ("https://127.0.0.1:%u" SECRET_PATH "?" SECRET_QUERY,
                                          closed_port ()));
  g_ptr_array_add (urls, g_strdup_printf ("https://127.0.0.1:%u" SECRET_PATH "?" SECRET_QUERY,
                                          port));
  g_ptr_array_add (urls, g_strdup ("https://" LONG_LABEL ".invalid" SECRET_PATH "#" SECRET));
  g_ptr_array_add (urls, g_strdup ("http://127.0.0.1" SECRET_PATH "?" SECRET_QUERY));
  g_ptr_array_add (urls, g_strdup ("https://127.0.0.1:99999" SECRET_PATH));
#ifdef HAVE_LIBSOUP
  rogue = receiver_new (certs.rogue_cert, certs.rogue_key);
  g_ptr_array_add (urls, g_strdup_printf ("%s" SECRET_PATH "?" SECRET_QUERY, rogue->url));
#endif

  http = http_new_trusting_test_ca ();
  for (i = 0; i < urls->len; i++)
    {
      g_autoptr(TwHttpRequest) request = tw_http_request_new ("POST", urls->pdata[i]);
      g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
      Result result = { 0, };

      tw_http_request_set_body (request, "application/json", body);
      tw_http_request_set_timeouts (request, 1000, 1000);
      send_and_wait (http, request, &result);
      g_assert_nonnull (result.error);
      assert_message_clean (result.error, NULL);
      result_clear (&result);
    }
  g_assert_finalize_object (g_steal_pointer (&http));

  /* The writer saw the debug messages: it did check something. */
  g_assert_cmpuint (n_messages, >=, urls->len);
}

typedef struct
{
  const char *name;
  const char *retry_after;  /* nullable */
  const char *date;         /* nullable */
  gint64      expected;
} RetryAfterCase;

static const RetryAfterCase retry_after_cases[] = {
  { "missing", NULL, NULL, -1 },
  { "seconds", "120", NULL, 120 },
  { "zero", "0", NULL, 0 },
  { "negative", "-5", NULL, -1 },
  { "fraction", "1.5", NULL, -1 },
  { "words", "soon", NULL, -1 },
  { "date", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:27:30 GMT", 30 },
  { "date-past", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 08:00:00 GMT", 0 },
  { "date-not-gmt", "Wed, 21 Oct 2015 07:28:00 CET", "Wed, 21 Oct 2015 07:27:30 GMT", -1 },
  { "date-bad-month", "Wed, 21 Okt 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:27:30 GMT", -1 },
  { "date-trailing", "Wed, 21 Oct 2015 07:28:00 GMT x", "Wed, 21 Oct 2015 07:27:30 GMT", -1 },
  { "date-far-past", "Wed, 21 Oct 2015 07:28:00 GMT", NULL, 0 },
};

/* Pure: no server. */
static void
test_retry_after (gconstpointer data)
{
  const RetryAfterCase *test_case = data;
  GPtrArray *headers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TwHttpResponse) response = NULL;

  if (test_case->retry_after != NULL)
    {
      g_ptr_array_add (headers, g_strdup ("retry-after"));
      g_ptr_array_add (headers, g_strdup (test_case->retry_after));
    }
  if (test_case->date != NULL)
    {
      g_ptr_array_add (headers, g_strdup ("Date"));
      g_ptr_array_add (headers, g_strdup (test_case->date));
    }
  response = tw_http_response_new (429, headers, NULL);

  g_assert_cmpint (tw_http_response_get_retry_after (response), ==, test_case->expected);
  g_assert_cmpuint (g_bytes_get_size (tw_http_response_get_body (response)), ==, 0);
}

/* A message as the email channel will make it, with lines starting with a dot. */
static const char mail_text[] =
  "From: Trainwatch <tw@example.test>\r\n"
  "To: dev@example.test, ops@example.test\r\n"
  "Subject: Run resnet finished\r\n"
  "Message-ID: <1@example.test>\r\n"
  "\r\n"
  "The run finished.\r\n"
  ".a line starting with a dot\r\n"
  "..and one with two\r\n"
  ".\r\n"
  "last line\r\n";

static TwHttpRequest *
mail_new (const char *url,
          const char *recipient)
{
  g_autoptr(GBytes) message = g_bytes_new_static (mail_text, strlen (mail_text));
  const char *recipients[] = { "dev@example.test", recipient, NULL };

  return tw_http_request_new_mail (url, "tw@example.test", recipients, message);
}

/* STARTTLS and AUTH against a real SMTP server: the mail arrives byte for byte;
 * a wrong password, a refused and a deferred recipient, and an untrusted
 * certificate are errors of their own. */
static void
test_smtp_starttls (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GBytes) mail = NULL;
  g_autofree char *from = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *auth_user = NULL;
  g_autofree char *answer = NULL;
  TwTestSmtpd *smtpd;
  Result result = { 0, };

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("starttls", SMTP_USER, SMTP_PASSWORD, certs.cert, certs.key);
  http = http_new_trusting_test_ca ();

  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  tw_http_request_set_require_tls (request, TRUE);
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 250);
  answer = bytes_to_string (tw_http_response_get_body (result.response));
  g_assert_cmpstr (answer, ==, "250 2.0.0 Ok: queued as 001.eml");

  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);
  mail = tw_test_smtpd_dup_mail (smtpd, 0, &from, &recipients, &auth_user);
  g_assert_cmpstr (from, ==, "tw@example.test");
  g_assert_cmpuint (g_strv_length (recipients), ==, 2);
  g_assert_cmpstr (recipients[0], ==, "dev@example.test");
  g_assert_cmpstr (recipients[1], ==, "ops@example.test");
  g_assert_cmpstr (auth_user, ==, SMTP_USER);
  g_assert_cmpmem (g_bytes_get_data (mail, NULL), g_bytes_get_size (mail),
                   mail_text, strlen (mail_text));
  g_clear_pointer (&request, tw_http_request_unref);

  /* A wrong password: named as such, and never shown. */
  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, "wrong " SECRET);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_LOGIN_DENIED);
  assert_message_clean (result.error, "127.0.0.1");
  g_assert_nonnull (strstr (result.error->message, "535"));
  g_assert_false (tw_http_error_is_transient (result.error));
  g_clear_pointer (&request, tw_http_request_unref);

  /* A recipient the server refuses for good. */
  request = mail_new (tw_test_smtpd_get_url (smtpd), "reject@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_REJECTED);
  g_test_message ("error: %s", result.error->message);
  g_assert_nonnull (strstr (result.error->message, "550"));
  g_assert_false (tw_http_error_is_transient (result.error));
  g_clear_pointer (&request, tw_http_request_unref);

  /* One it cannot take now. */
  request = mail_new (tw_test_smtpd_get_url (smtpd), "busy@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_DEFERRED);
  g_test_message ("error: %s", result.error->message);
  g_assert_nonnull (strstr (result.error->message, "451"));
  g_assert_true (tw_http_error_is_transient (result.error));
  g_clear_pointer (&request, tw_http_request_unref);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);
  assert_finalized_soon (g_steal_pointer (&http));

  /* Without the CA file, the certificate after STARTTLS is not trusted. */
  http = tw_http_new ();
  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);

  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
  tw_test_smtpd_stop (smtpd);
}

/* smtps: TLS from the first byte. */
static void
test_smtp_smtps (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GBytes) mail = NULL;
  g_autofree char *auth_user = NULL;
  TwTestSmtpd *smtpd;
  Result result = { 0, };

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("smtps", SMTP_USER, SMTP_PASSWORD, certs.cert, certs.key);
  g_assert_true (g_str_has_prefix (tw_test_smtpd_get_url (smtpd), "smtps://"));
  http = http_new_trusting_test_ca ();
  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);

  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_http_response_get_status (result.response), ==, 250);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);
  mail = tw_test_smtpd_dup_mail (smtpd, 0, NULL, NULL, &auth_user);
  g_assert_cmpstr (auth_user, ==, SMTP_USER);
  g_assert_cmpmem (g_bytes_get_data (mail, NULL), g_bytes_get_size (mail),
                   mail_text, strlen (mail_text));

  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
  tw_test_smtpd_stop (smtpd);
}

/* A server without STARTTLS: refused when TLS is required (or a login is to
 * be sent), used in the clear only when neither is asked for. */
static void
test_smtp_tls_required (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  TwTestSmtpd *smtpd;
  Result result = { 0, };

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("plain", SMTP_USER, SMTP_PASSWORD, certs.cert, certs.key);
  http = http_new_trusting_test_ca ();

  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_require_tls (request, TRUE);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_REQUIRED);
  assert_message_clean (result.error, "127.0.0.1");
  g_clear_pointer (&request, tw_http_request_unref);

  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  send_and_wait (http, request, &result);
  g_assert_error (result.error, TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_REQUIRED);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 0);
  g_clear_pointer (&request, tw_http_request_unref);

  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);

  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
  tw_test_smtpd_stop (smtpd);
}

static gboolean
file_exists_cond (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

/* A server that takes its time to accept the data: the main loop runs on
 * meanwhile (libcurl waits for that reply in poll(), so this is the case a
 * mail in the main loop would freeze), and cancelling ends the send at once. */
static void
test_smtp_slow_cancel (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *started = NULL;
  TwTestSmtpd *smtpd;
  Result result = { 0, };

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("starttls", SMTP_USER, SMTP_PASSWORD, certs.cert, certs.key);
  started = g_build_filename (tw_test_smtpd_get_dir (smtpd), "slow-started", NULL);
  http = http_new_trusting_test_ca ();
  request = mail_new (tw_test_smtpd_get_url (smtpd), "slow@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);

  tw_http_send_async (http, request, cancellable, sent_cb, &result);
  g_assert_true (tw_test_wait_until (file_exists_cond, started, WAIT_MSEC));
  /* This loop saw the file while the send still waits for the reply. */
  g_assert_false (result.done);

  g_cancellable_cancel (cancellable);
  result_wait (&result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Stopping the server ends libcurl's wait for it in the worker thread. */
  tw_test_smtpd_stop (smtpd);
  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
}

/* Addresses go into SMTP commands: one with a line break cannot add a command. */
static void
test_smtp_invalid_address (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static (mail_text, strlen (mail_text));
  const char *injected[] = { "dev@example.test\r\nRCPT TO:<evil@example.test>", NULL };
  const char *fine[] = { "dev@example.test", NULL };
  const char *none[] = { NULL };
  TwHttpRequest *requests[4];
  Result result = { 0, };

  if (run_in_subprocess ())
    return;

  http = tw_http_new ();
  requests[0] = tw_http_request_new_mail ("smtp://127.0.0.1:1", "tw@example.test",
                                          injected, message);
  requests[1] = tw_http_request_new_mail ("smtp://127.0.0.1:1", "tw@example.test>\r\nDATA",
                                          fine, message);
  requests[2] = tw_http_request_new_mail ("smtp://127.0.0.1:1", "tw@example.test",
                                          none, message);
  requests[3] = tw_http_request_new_mail ("https://127.0.0.1:1", "tw@example.test",
                                          fine, message);

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      TwHttpError expected = i < 3 ? TW_HTTP_ERROR_INVALID_REQUEST : TW_HTTP_ERROR_INVALID_URL;

      send_and_wait (http, requests[i], &result);
      g_assert_error (result.error, TW_HTTP_ERROR, expected);
      g_assert_null (strchr (result.error->message, '\n'));
      tw_http_request_unref (requests[i]);
    }

  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
}

/* Mail goes through the environment's proxy too, by CONNECT. */
static void
test_smtp_proxy (void)
{
  g_autoptr(TwHttp) http = NULL;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(Proxy) proxy = NULL;
  g_autofree char *proxy_url = NULL;
  TwTestSmtpd *smtpd;
  Result result = { 0, };

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("starttls", SMTP_USER, SMTP_PASSWORD, certs.cert, certs.key);
  proxy = proxy_new ();
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  g_setenv ("all_proxy", proxy_url, TRUE);

  http = http_new_trusting_test_ca ();
  request = mail_new (tw_test_smtpd_get_url (smtpd), "ops@example.test");
  tw_http_request_set_login (request, SMTP_USER, SMTP_PASSWORD);
  send_and_wait (http, request, &result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (proxy->n_connects, ==, 1);
  g_assert_true (g_str_has_suffix (tw_test_smtpd_get_url (smtpd), proxy->last_target));
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);

  result_clear (&result);
  assert_finalized_soon (g_steal_pointer (&http));
  tw_test_smtpd_stop (smtpd);
}

static void
certs_init (const char *dir)
{
  certs.ca = g_build_filename (dir, "test-ca.pem", NULL);
  certs.cert = g_build_filename (dir, "server.pem", NULL);
  certs.key = g_build_filename (dir, "server-key.pem", NULL);
  certs.rogue_ca = g_build_filename (dir, "rogue-ca.pem", NULL);
  certs.rogue_cert = g_build_filename (dir, "rogue.pem", NULL);
  certs.rogue_key = g_build_filename (dir, "rogue-key.pem", NULL);
  certs.wrong_name_cert = g_build_filename (dir, "wrong-name.pem", NULL);
  certs.wrong_name_key = g_build_filename (dir, "wrong-name-key.pem", NULL);
}

static void
certs_make (const char *dir)
{
  g_autoptr(TwTestCa) ca = tw_test_ca_new (dir, "test");
  g_autoptr(TwTestCa) rogue = tw_test_ca_new (dir, "rogue");
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;

  tw_test_ca_issue (ca, "server", "DNS:localhost,IP:127.0.0.1", &cert, &key);
  g_assert_cmpstr (cert, ==, certs.cert);
  g_clear_pointer (&cert, g_free);
  g_clear_pointer (&key, g_free);
  tw_test_ca_issue (rogue, "rogue", "DNS:localhost,IP:127.0.0.1", &cert, &key);
  g_assert_cmpstr (cert, ==, certs.rogue_cert);
  g_clear_pointer (&cert, g_free);
  g_clear_pointer (&key, g_free);
  tw_test_ca_issue (ca, "wrong-name", "DNS:other.example", &cert, &key);
  g_assert_cmpstr (cert, ==, certs.wrong_name_cert);
  g_assert_cmpstr (tw_test_ca_get_cert (ca), ==, certs.ca);
  g_assert_cmpstr (tw_test_ca_get_cert (rogue), ==, certs.rogue_ca);
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
    "NO_PROXY", "smtp_proxy", "smtps_proxy", "TRAINWATCH_CA_FILE",
  };
  g_autofree char *made_dir = NULL;
  const char *cert_dir;
  int status;
  guint i;

  /* Loopback only, whatever the machine's environment says. */
  for (i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    g_unsetenv (proxy_variables[i]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The parent makes the certificates once; each case's subprocess finds them. */
  cert_dir = g_getenv (CERT_DIR_ENV);
  if (cert_dir == NULL && tw_test_ca_is_supported ())
    {
      g_autoptr(GError) error = NULL;

      made_dir = g_dir_make_tmp ("tw-test-http-XXXXXX", &error);
      g_assert_no_error (error);
      certs_init (made_dir);
      certs_make (made_dir);
      g_setenv (CERT_DIR_ENV, made_dir, TRUE);
    }
  else if (cert_dir != NULL)
    certs_init (cert_dir);
  else
    g_error ("the openssl command is needed to make test certificates: "
             "run .ci/install-deps test");

  for (i = 0; i < G_N_ELEMENTS (method_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/http/method/%s", method_cases[i].name);

      g_test_add_data_func (path, &method_cases[i], test_method);
    }
  for (i = 0; i < G_N_ELEMENTS (status_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/http/status/%u", status_cases[i].status);

      g_test_add_data_func (path, &status_cases[i], test_status);
    }
  g_test_add_func ("/http/timeout/total", test_timeout_total);
  g_test_add_func ("/http/timeout/connect", test_timeout_connect);
  g_test_add_func ("/http/refused", test_refused);
  g_test_add_func ("/http/resolve", test_resolve);
  g_test_add_func ("/http/resolver", test_resolver);
  g_test_add_data_func ("/http/untrusted/rogue-ca", GINT_TO_POINTER (UNTRUSTED_ROGUE_CA),
                        test_untrusted);
  g_test_add_data_func ("/http/untrusted/system-cas", GINT_TO_POINTER (UNTRUSTED_SYSTEM_CAS),
                        test_untrusted);
  g_test_add_data_func ("/http/untrusted/wrong-name", GINT_TO_POINTER (UNTRUSTED_WRONG_NAME),
                        test_untrusted);
  g_test_add_func ("/http/ca-file/env", test_ca_file_env);
  g_test_add_func ("/http/ca-file/path", test_ca_file_path);
  g_test_add_func ("/http/concurrent", test_concurrent);
  g_test_add_func ("/http/cancel", test_cancel);
  g_test_add_func ("/http/too-large", test_too_large);
  g_test_add_func ("/http/proxy", test_proxy);
  for (i = 0; i < G_N_ELEMENTS (invalid_url_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/http/invalid-url/%s",
                                               invalid_url_cases[i].name);

      g_test_add_data_func (path, &invalid_url_cases[i], test_invalid_url);
    }
  g_test_add_func ("/http/secrets", test_secrets);
  for (i = 0; i < G_N_ELEMENTS (retry_after_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/http/retry-after/%s",
                                               retry_after_cases[i].name);

      g_test_add_data_func (path, &retry_after_cases[i], test_retry_after);
    }
  g_test_add_func ("/http/smtp/starttls", test_smtp_starttls);
  g_test_add_func ("/http/smtp/smtps", test_smtp_smtps);
  g_test_add_func ("/http/smtp/tls-required", test_smtp_tls_required);
  g_test_add_func ("/http/smtp/slow-cancel", test_smtp_slow_cancel);
  g_test_add_func ("/http/smtp/invalid-address", test_smtp_invalid_address);
  g_test_add_func ("/http/smtp/proxy", test_smtp_proxy);

  status = g_test_run ();

  if (made_dir != NULL)
    remove_dir (made_dir);

  return status;
}
