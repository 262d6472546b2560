/* tw-http-transfer.c — one request made ready for libcurl, and what it gave: answer or error
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-http-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURLU, curl_url_cleanup)

#define USER_AGENT             PACKAGE_NAME "/" PACKAGE_VERSION
#define MAX_HEADERS            100          /* kept per response; more are dropped */
#define MAX_HEADER_BYTES       (64 * 1024)
#define MAX_REPLY_CHARS        512          /* of an SMTP reply line */

/* Frees @transfer, with its easy handle (which must have left any multi). */
void
tw_http_transfer_free (TwHttpTransfer *transfer)
{
  if (transfer->cancel_source != NULL)
    {
      g_source_destroy (transfer->cancel_source);
      g_source_unref (transfer->cancel_source);
    }
  /* Before the body and the lists it points into. */
  g_clear_pointer (&transfer->easy, curl_easy_cleanup);
  g_clear_pointer (&transfer->headers, curl_slist_free_all);
  g_clear_pointer (&transfer->recipients, curl_slist_free_all);
  g_clear_pointer (&transfer->body, g_bytes_unref);
  g_clear_pointer (&transfer->response_body, g_byte_array_unref);
  g_clear_pointer (&transfer->response_headers, g_ptr_array_unref);
  g_clear_pointer (&transfer->secrets, g_strfreev);
  g_free (transfer->host);
  g_free (transfer->ca_file);
  g_free (transfer->last_reply);
  g_free (transfer->error_reply);
  g_clear_object (&transfer->task);
  g_free (transfer);
}

/* @detail from libcurl, with every secret part of the URL replaced, as valid UTF-8. */
static char *
redact (TwHttpTransfer *transfer,
        const char     *detail)
{
  g_autoptr(GString) text = g_string_new (detail);
  guint i;

  for (i = 0; transfer->secrets != NULL && transfer->secrets[i] != NULL; i++)
    g_string_replace (text, transfer->secrets[i], "…", 0);

  return g_utf8_make_valid (text->str, text->len);
}

/* The code an SMTP reply line starts with, or 0 if it has none. */
static guint
reply_code (const char *line)
{
  if (line[0] < '1' || line[0] > '5' || !g_ascii_isdigit (line[1])
      || !g_ascii_isdigit (line[2]) || (line[3] != ' ' && line[3] != '-' && line[3] != '\0'))
    return 0;

  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* @text (valid UTF-8) cut to its first @max_chars characters. */
static char *
dup_truncated (const char *text,
               glong       max_chars)
{
  if (g_utf8_strlen (text, -1) <= max_chars)
    return g_strdup (text);

  return g_utf8_substring (text, 0, max_chars);
}

static gboolean
is_mail_address (const char *address)
{
  const char *p;

  if (*address == '\0' || !g_utf8_validate (address, -1, NULL))
    return FALSE;

  /* libcurl writes the address between < and > into MAIL FROM and RCPT TO. */
  for (p = address; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == ' ')
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_mail_address (const char  *address,
                    GError     **error)
{
  g_autofree char *shown = NULL;

  if (is_mail_address (address))
    return TRUE;

  shown = g_strescape (address, NULL);
  g_set_error (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_REQUEST,
               /* Translators: %s is an e-mail address */
               _("“%s” is not a valid mail address"), shown);
  return FALSE;
}

static size_t
write_cb (char   *data,
          size_t  size,
          size_t  n_items,
          void   *user_data)
{
  TwHttpTransfer *transfer = user_data;
  gsize length = size * n_items;

  if (length > transfer->max_response_size - transfer->response_body->len)
    {
      transfer->too_large = TRUE;
      return CURL_WRITEFUNC_ERROR;
    }

  g_byte_array_append (transfer->response_body, (const guint8 *) data, length);
  return length;
}

static size_t
header_cb (char   *data,
           size_t  size,
           size_t  n_items,
           void   *user_data)
{
  TwHttpTransfer *transfer = user_data;
  gsize length = size * n_items;
  g_autofree char *line = g_utf8_make_valid (data, MIN (length, MAX_HEADER_BYTES));
  char *colon;

  g_strstrip (line);

  /* SMTP hands every reply line of the server here. */
  if (transfer->is_mail)
    {
      guint code = reply_code (line);

      /* The connection is closed with QUIT, whose reply (221) says nothing
       * about the mail: keep the one before it, and the latest that said no. */
      if (code != 0 && code != 221)
        {
          g_free (transfer->last_reply);
          transfer->last_reply = dup_truncated (line, MAX_REPLY_CHARS);
        }
      if (code >= 400)
        {
          g_free (transfer->error_reply);
          transfer->error_reply = dup_truncated (line, MAX_REPLY_CHARS);
        }
      return length;
    }

  /* A status line starts a new response: after 100 Continue, or after the
   * proxy's answer to CONNECT, only the final response's headers count. */
  if (g_str_has_prefix (line, "HTTP/"))
    {
      g_ptr_array_set_size (transfer->response_headers, 0);
      transfer->header_bytes = 0;
      return length;
    }

  colon = strchr (line, ':');
  if (colon == NULL || colon == line
      || transfer->response_headers->len >= 2 * MAX_HEADERS
      || transfer->header_bytes + length > MAX_HEADER_BYTES)
    return length;

  *colon = '\0';
  transfer->header_bytes += length;
  g_ptr_array_add (transfer->response_headers, g_strdup (g_strchomp (line)));
  g_ptr_array_add (transfer->response_headers, g_strdup (g_strchug (colon + 1)));

  return length;
}

static size_t
read_cb (char   *buffer,
         size_t  size,
         size_t  n_items,
         void   *user_data)
{
  TwHttpTransfer *transfer = user_data;
  gsize available = g_bytes_get_size (transfer->body) - transfer->body_offset;
  gsize length = MIN (available, size * n_items);

  if (length > 0)
    {
      memcpy (buffer, (const char *) g_bytes_get_data (transfer->body, NULL)
                      + transfer->body_offset, length);
      transfer->body_offset += length;
    }

  return length;
}

/* Splits @url_text into what messages may show (@out_host) and what they must
 * not (@out_secrets), after checking it is an address we send to. */
static gboolean
parse_url (const char   *url_text,
           gboolean      is_mail,
           char        **out_host,
           GStrv        *out_secrets,
           GError      **error)
{
  g_autoptr(CURLU) url = curl_url ();
  g_autoptr(GStrvBuilder) secrets = g_strv_builder_new ();
  static const CURLUPart secret_parts[] = {
    CURLUPART_PATH, CURLUPART_QUERY, CURLUPART_FRAGMENT, CURLUPART_USER,
    CURLUPART_PASSWORD, CURLUPART_OPTIONS,
  };
  char *scheme = NULL;
  char *host = NULL;
  char *port = NULL;
  char *part = NULL;
  gboolean allowed;
  CURLUcode code;
  guint i;

  if (url == NULL)
    g_error ("%s: out of memory", G_STRLOC);

  code = curl_url_set (url, CURLUPART_URL, url_text, CURLU_NON_SUPPORT_SCHEME);
  if (code != CURLUE_OK)
    {
      g_set_error (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                   /* Translators: %s is a technical detail in English */
                   _("The address is not a valid URL (%s)"), curl_url_strerror (code));
      return FALSE;
    }

  curl_url_get (url, CURLUPART_SCHEME, &scheme, 0);
  if (is_mail)
    allowed = g_strcmp0 (scheme, "smtp") == 0 || g_strcmp0 (scheme, "smtps") == 0;
  else
    allowed = g_strcmp0 (scheme, "https") == 0;
  if (!allowed)
    {
      if (is_mail)
        g_set_error (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                     /* Translators: %s is a URL scheme such as "http" */
                     _("A mail server’s address must start with smtp: or smtps:, not %s:"),
                     scheme);
      else
        g_set_error (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                     /* Translators: %s is a URL scheme such as "http" */
                     _("Only https: addresses are allowed, not %s:"), scheme);
      curl_free (scheme);
      return FALSE;
    }
  curl_free (scheme);

  if (curl_url_get (url, CURLUPART_USER, &part, 0) == CURLUE_OK)
    {
      curl_free (part);
      g_set_error_literal (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                           _("The address must not hold a user name or password: "
                             "they are set apart from it"));
      return FALSE;
    }

  if (curl_url_get (url, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    {
      g_set_error_literal (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                           _("The address names no host"));
      return FALSE;
    }

  if (curl_url_get (url, CURLUPART_PORT, &port, 0) == CURLUE_OK)
    *out_host = g_strdup_printf ("%s:%s", host, port);
  else
    *out_host = g_strdup (host);
  curl_free (host);
  curl_free (port);

  /* The longest first, so that it is replaced before its parts are. */
  g_strv_builder_add (secrets, url_text);
  for (i = 0; i < G_N_ELEMENTS (secret_parts); i++)
    {
      if (curl_url_get (url, secret_parts[i], &part, 0) == CURLUE_OK)
        {
          if (strlen (part) > 1)
            g_strv_builder_add (secrets, part);
          curl_free (part);
        }
    }
  /* libcurl may quote the path as it sent it. */
  if (curl_url_get (url, CURLUPART_PATH, &part, CURLU_URLENCODE) == CURLUE_OK)
    {
      if (strlen (part) > 1)
        g_strv_builder_add (secrets, part);
      curl_free (part);
    }
  *out_secrets = g_strv_builder_end (secrets);

  return TRUE;
}

static void
setopt_failed (CURLcode    code,
               const char *option)
{
  /* Only a libcurl built without a feature we rely on gets here. */
  g_error ("libcurl refused %s: %s", option, curl_easy_strerror (code));
}

#define SETOPT(easy, option, value) \
  G_STMT_START { \
    CURLcode setopt_code_ = curl_easy_setopt ((easy), (option), (value)); \
    if (setopt_code_ != CURLE_OK) \
      setopt_failed (setopt_code_, #option); \
  } G_STMT_END

static void
setup_http (TwHttpTransfer *transfer,
            TwHttpRequest  *request)
{
  CURL *easy = transfer->easy;
  guint i;

  for (i = 0; i < request->headers->len; i++)
    transfer->headers = curl_slist_append (transfer->headers,
                                           g_ptr_array_index (request->headers, i));
  if (request->content_type != NULL)
    {
      g_autofree char *header = g_strdup_printf ("Content-Type: %s", request->content_type);

      transfer->headers = curl_slist_append (transfer->headers, header);
    }
  else if (strcmp (request->method, "GET") != 0)
    {
      /* Not libcurl's application/x-www-form-urlencoded for an empty body. */
      transfer->headers = curl_slist_append (transfer->headers, "Content-Type:");
    }
  /* No "Expect: 100-continue" and its wait of up to a second for large bodies. */
  transfer->headers = curl_slist_append (transfer->headers, "Expect:");
  SETOPT (easy, CURLOPT_HTTPHEADER, transfer->headers);

  if (strcmp (request->method, "GET") == 0)
    SETOPT (easy, CURLOPT_HTTPGET, 1L);
  else
    {
      if (strcmp (request->method, "POST") != 0)
        SETOPT (easy, CURLOPT_CUSTOMREQUEST, request->method);

      if (request->body != NULL)
        {
          gsize size = 0;
          const char *data = g_bytes_get_data (request->body, &size);

          transfer->body = g_bytes_ref (request->body);
          SETOPT (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
          SETOPT (easy, CURLOPT_POSTFIELDS, size > 0 ? data : "");
        }
      else if (strcmp (request->method, "POST") == 0)
        {
          SETOPT (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
          SETOPT (easy, CURLOPT_POSTFIELDS, "");
        }
    }

  SETOPT (easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) transfer->max_response_size);
  SETOPT (easy, CURLOPT_WRITEFUNCTION, write_cb);
  SETOPT (easy, CURLOPT_WRITEDATA, transfer);
}

static gboolean
setup_mail (TwHttpTransfer  *transfer,
            TwHttpRequest   *request,
            GError         **error)
{
  CURL *easy = transfer->easy;
  guint i;

  if (!check_mail_address (request->mail_from, error))
    return FALSE;
  if (request->recipients[0] == NULL)
    {
      g_set_error_literal (error, TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_REQUEST,
                           _("A mail needs at least one recipient"));
      return FALSE;
    }
  for (i = 0; request->recipients[i] != NULL; i++)
    {
      if (!check_mail_address (request->recipients[i], error))
        return FALSE;
      transfer->recipients = curl_slist_append (transfer->recipients, request->recipients[i]);
    }

  transfer->body = g_bytes_ref (request->body);
  /* The connection closes (QUIT) at the end of the transfer, in its thread;
   * the response timeout bounds the wait for the reply. */
  SETOPT (easy, CURLOPT_FORBID_REUSE, 1L);
  SETOPT (easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long) MAX (request->total_msec / 1000, 1));
  SETOPT (easy, CURLOPT_MAIL_FROM, request->mail_from);
  SETOPT (easy, CURLOPT_MAIL_RCPT, transfer->recipients);
  SETOPT (easy, CURLOPT_UPLOAD, 1L);
  SETOPT (easy, CURLOPT_READFUNCTION, read_cb);
  SETOPT (easy, CURLOPT_READDATA, transfer);
  SETOPT (easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) g_bytes_get_size (request->body));

  /* A login never crosses the network in the clear. With smtps: the whole
   * connection is TLS anyway. */
  if (request->require_tls || request->user != NULL)
    SETOPT (easy, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
  else
    SETOPT (easy, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);

  if (request->user != NULL)
    {
      SETOPT (easy, CURLOPT_USERNAME, request->user);
      SETOPT (easy, CURLOPT_PASSWORD, request->password);
    }

  return TRUE;
}

/* Prepares @request for sending: checks the URL and the mail addresses, and
 * sets up an easy handle. @ca_file (nullable) replaces the system's
 * authorities. Returns NULL with @error set if @request cannot be sent. */
TwHttpTransfer *
tw_http_transfer_new (TwHttp         *http,
                      GTask          *task,
                      TwHttpRequest  *request,
                      const char     *ca_file,
                      GError        **error)
{
  TwHttpTransfer *transfer = g_new0 (TwHttpTransfer, 1);
  CURL *easy;

  transfer->http = http;
  transfer->task = g_object_ref (task);
  transfer->is_mail = request->mail_from != NULL;
  transfer->max_response_size = request->max_response_size;
  transfer->response_body = g_byte_array_new ();
  transfer->response_headers = g_ptr_array_new_with_free_func (g_free);
  transfer->ca_file = g_strdup (ca_file);

  if (!parse_url (request->url, transfer->is_mail, &transfer->host, &transfer->secrets, error))
    {
      tw_http_transfer_free (transfer);
      return NULL;
    }

  easy = transfer->easy = curl_easy_init ();
  if (easy == NULL)
    g_error ("%s: out of memory", G_STRLOC);

  SETOPT (easy, CURLOPT_PRIVATE, transfer);
  SETOPT (easy, CURLOPT_URL, request->url);
  SETOPT (easy, CURLOPT_PROTOCOLS_STR, transfer->is_mail ? "smtp,smtps" : "https");
  SETOPT (easy, CURLOPT_FOLLOWLOCATION, 0L);
  SETOPT (easy, CURLOPT_ERRORBUFFER, transfer->error_buffer);
  SETOPT (easy, CURLOPT_USERAGENT, USER_AGENT);
  SETOPT (easy, CURLOPT_CONNECTTIMEOUT_MS, (long) request->connect_msec);
  SETOPT (easy, CURLOPT_TIMEOUT_MS, (long) request->total_msec);
  SETOPT (easy, CURLOPT_HEADERFUNCTION, header_cb);
  SETOPT (easy, CURLOPT_HEADERDATA, transfer);

  /* No signals: with the threaded resolver libcurl needs no SIGALRM, and it
   * writes to sockets (TLS records included) with MSG_NOSIGNAL, so no
   * SIGPIPE either; it never touches the process's signal handlers, which
   * the daemon's wrapped commands inherit. */
  SETOPT (easy, CURLOPT_NOSIGNAL, 1L);

  /* Proxies (https_proxy, all_proxy, no_proxy…) are left to libcurl, which
   * reads them from the environment unless CURLOPT_PROXY is set, and it
   * never is. An HTTP proxy is always asked to CONNECT, mail included, so
   * TLS runs end to end. */
  SETOPT (easy, CURLOPT_HTTPPROXYTUNNEL, 1L);

  /* Verification is always on; there is no way to turn it off. */
  SETOPT (easy, CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT (easy, CURLOPT_SSL_VERIFYHOST, 2L);
  SETOPT (easy, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
  SETOPT (easy, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
  SETOPT (easy, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  if (transfer->ca_file != NULL)
    {
      /* The file replaces the system's authorities: no CA directory either. */
      SETOPT (easy, CURLOPT_CAINFO, transfer->ca_file);
      SETOPT (easy, CURLOPT_CAPATH, NULL);
      SETOPT (easy, CURLOPT_PROXY_CAINFO, transfer->ca_file);
      SETOPT (easy, CURLOPT_PROXY_CAPATH, NULL);
    }

  if (transfer->is_mail)
    {
      if (!setup_mail (transfer, request, error))
        {
          tw_http_transfer_free (transfer);
          return NULL;
        }
    }
  else
    setup_http (transfer, request);

  return transfer;
}

static GError *
new_error (TwHttpTransfer *transfer,
           CURLcode        result)
{
  const char *raw_detail = transfer->error_buffer[0] != '\0'
                           ? transfer->error_buffer : curl_easy_strerror (result);
  g_autofree char *detail = redact (transfer, raw_detail);
  g_autofree char *reply = transfer->error_reply != NULL
                           ? redact (transfer, transfer->error_reply) : g_strdup (detail);
  const char *host = transfer->host;
  guint refusal = transfer->error_reply != NULL ? reply_code (transfer->error_reply) : 0;
  long os_errno = 0;
  long connect_status = 0;

  curl_easy_getinfo (transfer->easy, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_getinfo (transfer->easy, CURLINFO_HTTP_CONNECTCODE, &connect_status);

  /* Translators for all these messages: %s before the parentheses is a host
   * name (and port), the one inside is a technical detail in English. */
  switch (result)
    {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL,
                          _("The address of %s is not valid (%s)"), host, detail);

    case CURLE_COULDNT_RESOLVE_HOST:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_RESOLVE,
                          _("Cannot find the server %s: looking up its name failed (%s)"),
                          host, detail);

    case CURLE_COULDNT_RESOLVE_PROXY:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_PROXY,
                          _("Cannot find the proxy for %s: looking up its name failed (%s)"),
                          host, detail);

    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED)
        return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_CONNECTION_REFUSED,
                            _("%s refused the connection (%s)"), host, detail);
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_NETWORK,
                          _("Cannot connect to %s (%s)"), host, detail);

    case CURLE_OPERATION_TIMEDOUT:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_TIMED_OUT,
                          _("%s did not answer in time (%s)"), host, detail);

    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION,
                          _("The certificate of %s is not trusted (%s)"), host, detail);

    case CURLE_SSL_CACERT_BADFILE:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_CA_FILE,
                          /* Translators: the first %s is a file name */
                          _("Cannot use the CA file “%s” to connect to %s (%s)"),
                          transfer->ca_file != NULL ? transfer->ca_file : "-", host, detail);

    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_TLS,
                          _("The secure connection to %s failed (%s)"), host, detail);

    case CURLE_USE_SSL_FAILED:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_REQUIRED,
                          _("The mail server %s does not offer STARTTLS, which is required "
                            "(%s)"), host, detail);

    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_LOGIN_DENIED,
                          _("The mail server %s refused the user name or password (%s)"),
                          host, reply);

    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      if (transfer->too_large || result == CURLE_FILESIZE_EXCEEDED)
        {
          g_autofree char *limit = g_format_size (transfer->max_response_size);

          return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_RESPONSE_TOO_LARGE,
                              /* Translators: the second %s is a size such as "256.0 kB" */
                              _("The answer from %s is larger than %s"), host, limit);
        }
      break;

    default:
      break;
    }

  if (connect_status >= 300 || result == CURLE_PROXY)
    return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_PROXY,
                        _("The proxy did not connect to %s (%s)"), host, detail);

  if (transfer->is_mail && refusal >= 500)
    return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_REJECTED,
                        _("The mail server %s refused the mail (%s)"), host, reply);
  if (transfer->is_mail && refusal >= 400)
    return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_DEFERRED,
                        _("The mail server %s cannot take the mail now (%s)"), host, reply);

  switch (result)
    {
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_NETWORK,
                          _("The connection to %s failed (%s)"), host, detail);

    default:
      return g_error_new (TW_HTTP_ERROR, TW_HTTP_ERROR_FAILED,
                          _("The request to %s failed (%s)"), host, detail);
    }
}

/* Returns what a finished transfer gave: a response, or NULL with @error set. */
TwHttpResponse *
tw_http_transfer_finish (TwHttpTransfer  *transfer,
                         CURLcode         result,
                         GError         **error)
{
  long status = 0;

  if (result != CURLE_OK)
    {
      GError *local_error = new_error (transfer, result);

      g_debug ("%s", local_error->message);
      g_propagate_error (error, local_error);
      return NULL;
    }

  if (transfer->is_mail)
    {
      char *reply = g_steal_pointer (&transfer->last_reply);
      GBytes *body = NULL;

      if (reply != NULL)
        {
          status = reply_code (reply);
          body = g_bytes_new_take (reply, strlen (reply));
        }
      g_debug ("%s answered %ld", transfer->host, status);
      return tw_http_response_new (status, NULL, body);
    }

  curl_easy_getinfo (transfer->easy, CURLINFO_RESPONSE_CODE, &status);
  g_debug ("%s answered %ld", transfer->host, status);

  return tw_http_response_new (status, g_steal_pointer (&transfer->response_headers),
                               g_byte_array_free_to_bytes (
                                 g_steal_pointer (&transfer->response_body)));
}

/* Progress in a worker thread: stops the transfer once it is cancelled. */
static int
progress_cb (void       *user_data,
             curl_off_t  download_total,
             curl_off_t  downloaded,
             curl_off_t  upload_total,
             curl_off_t  uploaded)
{
  GCancellable *cancellable = user_data;

  return g_cancellable_is_cancelled (cancellable) ? 1 : 0;
}

/* For a transfer run with curl_easy_perform(): makes it stop soon (within a
 * second, even while libcurl waits for a server) once @cancellable is
 * cancelled. @cancellable must outlive the transfer. */
void
tw_http_transfer_stop_on_cancel (TwHttpTransfer *transfer,
                                 GCancellable   *cancellable)
{
  SETOPT (transfer->easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
  SETOPT (transfer->easy, CURLOPT_XFERINFODATA, cancellable);
  SETOPT (transfer->easy, CURLOPT_NOPROGRESS, 0L);
}
