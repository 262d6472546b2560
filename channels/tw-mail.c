/* tw-mail.c — email messages about events: the settings, the MIME message, the request, the verdict
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One batch of reports makes one mail: multipart/alternative with a plain text part
 * and an HTML part, both quoted-printable, both saying the same. The header fields
 * are fixed in form; only their values come from the reports, made one line and
 * encoded (RFC 2047) so a job name or a log line can never start a header of its own.
 */
#include "config.h"

#include "tw-mail.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tw-mail-body.h"
#include "tw-mime.h"

G_DEFINE_QUARK (tw-mail-error-quark, tw_mail_error)

/* A host name (letters, digits, hyphens, dots; labels of at most 63 bytes) or an IP
 * address, IPv6 with or without brackets. */
static gboolean
is_host_name (const char *text)
{
  gsize len = strlen (text);
  gsize label = 0;

  if (len >= 2 && text[0] == '[' && text[len - 1] == ']')
    {
      g_autofree char *inner = g_strndup (text + 1, len - 2);

      return g_hostname_is_ip_address (inner) && strchr (inner, ':') != NULL;
    }
  if (g_hostname_is_ip_address (text))
    return TRUE;
  if (len == 0 || len > 253 || text[0] == '.' || text[0] == '-' || text[len - 1] == '-')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (label == 0 || p[-1] == '-')
            return FALSE;
          label = 0;
        }
      else if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_') || ++label > 63)
        {
          return FALSE;
        }
    }

  return TRUE;
}

/* local@domain: a local part of printable ASCII without spaces, quotes, brackets,
 * commas or semicolons, and a domain with a dot or an address literal. Such an
 * address goes into a header and into MAIL FROM / RCPT TO as it is. */
static gboolean
is_mail_address (const char *text)
{
  const char *at = strrchr (text, '@');

  if (at == NULL || at == text || at - text > 64 || strlen (text) > 254)
    return FALSE;
  for (const char *p = text; p < at; p++)
    {
      if (*p <= ' ' || *p >= 0x7f || strchr ("\"<>(),;:@[]\\", *p) != NULL)
        return FALSE;
    }
  if (text[0] == '.' || at[-1] == '.' || strstr (text, "..") != NULL)
    return FALSE;
  if (at[1] == '[')
    {
      gsize len = strlen (at + 1);
      g_autofree char *inner = len >= 3 && at[len] == ']' ? g_strndup (at + 2, len - 2) : NULL;

      return inner != NULL && g_hostname_is_ip_address (inner);
    }

  return is_host_name (at + 1) && strchr (at + 1, '.') != NULL
         && !g_hostname_is_ip_address (at + 1);
}

static gboolean
is_set (const char *text)
{
  return text != NULL && *text != '\0';
}

static char *
dup_shown (const char *text)
{
  return tw_mime_dup_one_line (text, 80);
}

/**
 * tw_mail_settings_check:
 * @settings: the settings
 * @error: return location for a #GError
 *
 * Checks that mail can be sent with @settings: a server name or address, a port,
 * recipients and a sender that are mail addresses, a user name on one line.
 *
 * Returns: %TRUE if they are complete, else %FALSE with
 *   %TW_MAIL_ERROR_INVALID_SETTINGS and a message that names the field
 */
gboolean
tw_mail_settings_check (const TwMailSettings  *settings,
                        GError               **error)
{
  g_return_val_if_fail (settings != NULL, FALSE);

  if (!is_set (settings->server))
    {
      g_set_error_literal (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                           _("No mail server is set"));
      return FALSE;
    }
  if (!is_host_name (settings->server) &&
      !(g_hostname_is_ip_address (settings->server) && strchr (settings->server, ':') != NULL))
    {
      g_autofree char *shown = dup_shown (settings->server);

      g_set_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                   _("The mail server “%s” is not a host name or an IP address"), shown);
      return FALSE;
    }
  if (settings->port > 65535)
    {
      g_set_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                   _("The mail server’s port %u is not between 1 and 65535"), settings->port);
      return FALSE;
    }
  if (settings->security > TW_MAIL_SECURITY_NONE)
    {
      g_set_error_literal (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                           _("The mail server’s security must be STARTTLS, TLS or none"));
      return FALSE;
    }
  if (is_set (settings->user))
    {
      for (const char *p = settings->user; *p != '\0'; p++)
        {
          if ((guchar) *p < 0x20 || *p == 0x7f)
            {
              g_set_error_literal (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                                   _("The mail user name holds a line break or another "
                                     "control character"));
              return FALSE;
            }
        }
      if (!g_utf8_validate (settings->user, -1, NULL) || strlen (settings->user) > 256)
        {
          g_set_error_literal (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                               _("The mail user name is not valid"));
          return FALSE;
        }
    }
  if (is_set (settings->from) && !is_mail_address (settings->from))
    {
      g_autofree char *shown = dup_shown (settings->from);

      g_set_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                   _("The sender “%s” is not a mail address"), shown);
      return FALSE;
    }
  if (settings->to == NULL || settings->to[0] == NULL)
    {
      g_set_error_literal (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                           _("No recipient is set"));
      return FALSE;
    }
  for (guint i = 0; settings->to[i] != NULL; i++)
    {
      if (!is_mail_address (settings->to[i]))
        {
          g_autofree char *shown = dup_shown (settings->to[i]);

          g_set_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS,
                       _("The recipient “%s” is not a mail address"), shown);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * tw_mail_dup_url:
 * @settings: checked settings (tw_mail_settings_check())
 *
 * Returns: (transfer full): the server's address for tw_http_request_new_mail():
 *   `smtp://HOST:587`, `smtps://HOST:465` or `smtp://HOST:25`, or the port set
 */
char *
tw_mail_dup_url (const TwMailSettings *settings)
{
  static const guint default_ports[] = { 587, 465, 25 };
  const char *server;
  const char *scheme;
  guint port;

  g_return_val_if_fail (settings != NULL && settings->server != NULL, NULL);
  g_return_val_if_fail (settings->security <= TW_MAIL_SECURITY_NONE, NULL);

  server = settings->server;
  scheme = settings->security == TW_MAIL_SECURITY_TLS ? "smtps" : "smtp";
  port = settings->port != 0 ? settings->port : default_ports[settings->security];
  if (strchr (server, ':') != NULL && server[0] != '[')
    return g_strdup_printf ("%s://[%s]:%u", scheme, server, port);

  return g_strdup_printf ("%s://%s:%u", scheme, server, port);
}

/**
 * tw_mail_dup_from:
 * @settings: checked settings (tw_mail_settings_check())
 *
 * Returns: (transfer full): the sender's address: `from` if set, else the user
 *   name if it is a mail address, else the first recipient
 */
char *
tw_mail_dup_from (const TwMailSettings *settings)
{
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (settings->to != NULL && settings->to[0] != NULL, NULL);

  if (is_set (settings->from))
    return g_strdup (settings->from);
  if (is_set (settings->user) && is_mail_address (settings->user))
    return g_strdup (settings->user);

  return g_strdup (settings->to[0]);
}

/* RFC 5322 §3.3, in English whatever the locale: "Tue, 14 May 2024 09:05:00 +0200". */
static char *
dup_date (gint64 now_unix_usec)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (now_unix_usec / G_USEC_PER_SEC);
  gint64 offset;

  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);
  offset = g_date_time_get_utc_offset (dt) / G_USEC_PER_SEC / 60;

  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                          days[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt),
                          offset < 0 ? '-' : '+',
                          (int) (ABS (offset) / 60), (int) (ABS (offset) % 60));
}

static char *
dup_random_hex (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *hex = g_string_new (NULL);

  for (const char *p = uuid; *p != '\0'; p++)
    {
      if (*p != '-')
        g_string_append_c (hex, *p);
    }

  return g_string_free (hex, FALSE);
}

static void
append_part (GString    *message,
             const char *boundary,
             const char *content_type,
             const char *text)
{
  g_autofree char *encoded = tw_mime_encode_quoted_printable (text);

  g_string_append_printf (message, "--%s\r\n", boundary);
  g_string_append_printf (message, "Content-Type: %s; charset=utf-8\r\n", content_type);
  g_string_append (message, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  g_string_append (message, encoded);
  /* The CR LF before a boundary belongs to the boundary: this one keeps the
   * part's last line end. */
  g_string_append (message, "\r\n");
}

/**
 * tw_mail_build_message:
 * @settings: the settings
 * @reports: (element-type TwReport): one or more reports, oldest first
 * @now_unix_usec: the time for the Date field, µs since the epoch
 * @error: return location for a #GError
 *
 * Makes the mail about @reports: From, To, Subject, Date, Message-ID,
 * Auto-Submitted and X-Mailer, then a plain text and an HTML part saying which run,
 * on which host, what happened, its progress, duration, last metrics and, for a
 * failure, the exception and the last lines of the log. The most important reports
 * (highest level, then newest) are shown in full, the others summed up in one line,
 * so the mail stays small whatever the batch. Lines end in CR LF and are at most 76
 * characters long.
 *
 * Returns: (transfer full) (nullable): the message as it goes after SMTP `DATA`, or
 *   %NULL with %TW_MAIL_ERROR_INVALID_SETTINGS
 */
GBytes *
tw_mail_build_message (const TwMailSettings  *settings,
                       GPtrArray             *reports,
                       gint64                 now_unix_usec,
                       GError               **error)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *date = NULL;
  g_autofree char *id = NULL;
  g_autofree char *boundary_id = NULL;
  g_autofree char *boundary = NULL;
  g_autofree char *header = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *html = NULL;
  g_autofree char *from_field = NULL;
  const char *domain;
  GString *message;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  if (!tw_mail_settings_check (settings, error))
    return NULL;

  from = tw_mail_dup_from (settings);
  domain = strrchr (from, '@') + 1;
  to = g_strjoinv (", ", (char **) settings->to);
  subject = tw_mail_body_dup_subject (reports);
  date = dup_date (now_unix_usec);
  id = dup_random_hex ();
  boundary_id = dup_random_hex ();
  /* Quoted-printable never writes "=_": no encoded line can hold the boundary. */
  boundary = g_strconcat ("=_tw_", boundary_id, NULL);
  tw_mail_body_build (reports, &plain, &html);

  message = g_string_sized_new (strlen (plain) + strlen (html) + 2048);
  /* The display name is the program's, in ASCII: the field's form never changes. */
  from_field = g_strdup_printf ("Trainwatch <%s>", from);
  header = tw_mime_encode_header ("From", from_field);
  g_string_append (message, header);
  g_clear_pointer (&header, g_free);
  header = tw_mime_encode_header ("To", to);
  g_string_append (message, header);
  g_clear_pointer (&header, g_free);
  header = tw_mime_encode_header ("Subject", subject);
  g_string_append (message, header);
  g_string_append_printf (message, "Date: %s\r\n", date);
  g_string_append_printf (message, "Message-ID: <%s.%" G_GINT64_FORMAT "@%s>\r\n",
                          id, now_unix_usec / G_USEC_PER_SEC, domain);
  g_string_append (message, "MIME-Version: 1.0\r\n");
  g_string_append_printf (message, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n",
                          boundary);
  g_string_append (message, "Auto-Submitted: auto-generated\r\n");
  g_string_append (message, "X-Mailer: " PACKAGE_NAME " " PACKAGE_VERSION "\r\n");
  g_string_append (message, "\r\n");

  append_part (message, boundary, "text/plain", plain);
  append_part (message, boundary, "text/html", html);
  g_string_append_printf (message, "--%s--\r\n", boundary);

  return g_string_free_to_bytes (message);
}

/**
 * tw_mail_build_request:
 * @settings: the settings
 * @password: (nullable): the SMTP password; used only when a user is set
 * @reports: (element-type TwReport): one or more reports, oldest first
 * @now_unix_usec: the time for the Date field, µs since the epoch
 * @error: return location for a #GError
 *
 * Makes the mail (tw_mail_build_message()) and the request that sends it to the
 * server, logging in when a user is set. STARTTLS security makes a server without
 * STARTTLS fail with %TW_HTTP_ERROR_TLS_REQUIRED.
 *
 * Returns: (transfer full) (nullable): the request for tw_http_send_async(), or
 *   %NULL with %TW_MAIL_ERROR_INVALID_SETTINGS
 */
TwHttpRequest *
tw_mail_build_request (const TwMailSettings  *settings,
                       const char            *password,
                       GPtrArray             *reports,
                       gint64                 now_unix_usec,
                       GError               **error)
{
  g_autoptr(GBytes) message = NULL;
  g_autofree char *url = NULL;
  g_autofree char *from = NULL;
  TwHttpRequest *request;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  message = tw_mail_build_message (settings, reports, now_unix_usec, error);
  if (message == NULL)
    return NULL;

  url = tw_mail_dup_url (settings);
  from = tw_mail_dup_from (settings);
  request = tw_http_request_new_mail (url, from, settings->to, message);
  if (is_set (settings->user))
    tw_http_request_set_login (request, settings->user, password != NULL ? password : "");
  tw_http_request_set_require_tls (request, settings->security == TW_MAIL_SECURITY_STARTTLS);

  return request;
}

/**
 * tw_mail_judge_response:
 * @response: (nullable): the server's answer to a mail that was sent
 * @error: (nullable): why the mail was not sent, or %NULL if it was
 * @result: (out caller-allocates): the verdict
 *
 * Like tw_mail_judge(); when the mail was sent, the answer is the server's last
 * reply (“250 2.0.0 Ok: queued as …”) if @response holds it.
 */
void
tw_mail_judge_response (TwHttpResponse *response,
                        const GError   *error,
                        TwSendResult   *result)
{
  GBytes *body;

  g_return_if_fail (result != NULL);

  tw_mail_judge (error, result);
  if (error != NULL || response == NULL)
    return;

  body = tw_http_response_get_body (response);
  if (body != NULL && g_bytes_get_size (body) > 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      g_free (result->answer);
      result->answer = tw_mime_dup_one_line (text, 300);
    }
}

/**
 * tw_mail_judge:
 * @error: (nullable): why the mail was not sent, or %NULL if it was
 * @result: (out caller-allocates): the verdict
 *
 * Says what becomes of a mail after a send: %NULL is %TW_VERDICT_ACCEPTED (answer
 * “sent”); a refused login, a server without the STARTTLS that is required, a
 * certificate that is not trusted, a CA file that cannot be used, a bad address or
 * sender are %TW_VERDICT_DISABLE (the settings must change); a mail the server
 * refuses for good (5xx) is %TW_VERDICT_REJECTED; everything else (4xx, timeouts, a
 * refused connection, no network, a name that cannot be looked up, a failed TLS
 * handshake) is %TW_VERDICT_RETRY. A host name that cannot be looked up is retried:
 * without network it is what every name does, and a typo still shows in the
 * answer and in `trainwatch test-channel`. The answer is the error's message on one
 * line: the engine's messages never hold the password.
 */
void
tw_mail_judge (const GError *error,
               TwSendResult *result)
{
  g_return_if_fail (result != NULL);

  tw_send_result_clear (result);

  if (error == NULL)
    {
      result->verdict = TW_VERDICT_ACCEPTED;
      result->answer = g_strdup (_("sent"));
      return;
    }

  result->answer = tw_mime_dup_one_line (error->message, 500);
  if (error->domain == TW_MAIL_ERROR)
    {
      result->verdict = TW_VERDICT_DISABLE;
      return;
    }
  if (error->domain != TW_HTTP_ERROR)
    {
      result->verdict = TW_VERDICT_RETRY;
      return;
    }

  switch ((TwHttpError) error->code)
    {
    case TW_HTTP_ERROR_LOGIN_DENIED:
    case TW_HTTP_ERROR_TLS_REQUIRED:
    case TW_HTTP_ERROR_TLS_VERIFICATION:
    case TW_HTTP_ERROR_CA_FILE:
    case TW_HTTP_ERROR_INVALID_URL:
    case TW_HTTP_ERROR_INVALID_REQUEST:
      result->verdict = TW_VERDICT_DISABLE;
      break;

    case TW_HTTP_ERROR_MAIL_REJECTED:
      result->verdict = TW_VERDICT_REJECTED;
      break;

    case TW_HTTP_ERROR_FAILED:
    case TW_HTTP_ERROR_RESOLVE:
    case TW_HTTP_ERROR_CONNECTION_REFUSED:
    case TW_HTTP_ERROR_TIMED_OUT:
    case TW_HTTP_ERROR_NETWORK:
    case TW_HTTP_ERROR_PROXY:
    case TW_HTTP_ERROR_TLS:
    case TW_HTTP_ERROR_RESPONSE_TOO_LARGE:
    case TW_HTTP_ERROR_MAIL_DEFERRED:
    default:
      result->verdict = TW_VERDICT_RETRY;
      break;
    }
}
