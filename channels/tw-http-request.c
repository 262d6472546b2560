/* tw-http-request.c — what a channel asks TwHttp to send: an HTTPS request or a mail
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-http-private.h"

#include <string.h>

static gboolean
is_token (const char *text)
{
  const char *p;

  if (text == NULL || *text == '\0')
    return FALSE;

  for (p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
        return FALSE;
    }

  return TRUE;
}

static gboolean
has_line_break (const char *text)
{
  return strpbrk (text, "\r\n") != NULL;
}

/* A password stays in memory no longer than the request holding it. */
static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;

  memset (secret, 0, strlen (secret));
  g_free (secret);
}

static TwHttpRequest *
request_alloc (const char *url)
{
  TwHttpRequest *self = g_new0 (TwHttpRequest, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->url = g_strdup (url);
  self->headers = g_ptr_array_new_with_free_func (g_free);
  self->connect_msec = TW_HTTP_DEFAULT_CONNECT_TIMEOUT_MSEC;
  self->total_msec = TW_HTTP_DEFAULT_TOTAL_TIMEOUT_MSEC;
  self->max_response_size = TW_HTTP_DEFAULT_MAX_RESPONSE_SIZE;

  return self;
}

/**
 * tw_http_request_new:
 * @method: the HTTP method, such as `POST` or `PATCH`: a token in upper case
 * @url: an `https:` address; checked when the request is sent, so a malformed or
 *   plain `http:` address (a webhook URL the user gave) becomes a #GError there
 *
 * Makes an HTTPS request with no body, the default timeouts
 * (%TW_HTTP_DEFAULT_CONNECT_TIMEOUT_MSEC, %TW_HTTP_DEFAULT_TOTAL_TIMEOUT_MSEC) and
 * response size limit (%TW_HTTP_DEFAULT_MAX_RESPONSE_SIZE). Redirects are not
 * followed: a webhook that answers 3xx is reported as that status.
 *
 * Returns: (transfer full): a new request
 */
TwHttpRequest *
tw_http_request_new (const char *method,
                     const char *url)
{
  TwHttpRequest *self;
  const char *p;

  g_return_val_if_fail (is_token (method), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  for (p = method; *p != '\0'; p++)
    g_return_val_if_fail (!g_ascii_islower (*p), NULL);

  self = request_alloc (url);
  self->method = g_strdup (method);

  return self;
}

/**
 * tw_http_request_new_mail:
 * @url: `smtp://HOST[:PORT]` (STARTTLS; see tw_http_request_set_require_tls()) or
 *   `smtps://HOST[:PORT]` (TLS from the start); a path names the domain said in
 *   `EHLO`, which is otherwise this machine's host name
 * @from: the envelope sender, a bare address such as `me@example.org`
 * @recipients: (array zero-terminated=1): the envelope recipients, at least one; the
 *   mail is refused as a whole if the server refuses any of them
 * @message: the whole message as it goes after `DATA`: header lines, an empty line
 *   and the body, every line ending in CRLF. Lines starting with a dot are escaped
 *   on the way (dot-stuffing); nothing else is changed.
 *
 * Makes a mail to be sent through the SMTP server at @url. The addresses are checked
 * when it is sent: one holding a line break or another control character becomes a
 * #GError there, so text from a config file can never add an SMTP command.
 *
 * Returns: (transfer full): a new request
 */
TwHttpRequest *
tw_http_request_new_mail (const char         *url,
                          const char         *from,
                          const char * const *recipients,
                          GBytes             *message)
{
  TwHttpRequest *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (from != NULL, NULL);
  g_return_val_if_fail (recipients != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);

  self = request_alloc (url);
  self->mail_from = g_strdup (from);
  self->recipients = g_strdupv ((char **) recipients);
  self->body = g_bytes_ref (message);

  return self;
}

/**
 * tw_http_request_ref:
 * @self: a request
 *
 * Returns: (transfer full): @self
 */
TwHttpRequest *
tw_http_request_ref (TwHttpRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * tw_http_request_unref:
 * @self: (transfer full): a request
 *
 * Drops a reference; the last one frees the request and wipes its password.
 */
void
tw_http_request_unref (TwHttpRequest *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->method);
  wipe_free (self->url);
  g_free (self->content_type);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_ptr_array_unref (self->headers);
  g_free (self->user);
  wipe_free (self->password);
  g_free (self->mail_from);
  g_strfreev (self->recipients);
  g_free (self);
}

/**
 * tw_http_request_set_body:
 * @self: an HTTPS request
 * @content_type: the `Content-Type`, such as `application/json`
 * @body: the bytes to send as they are
 *
 * Sets what the request sends. Changing a request after tw_http_send_async() does
 * not change what that send sends.
 */
void
tw_http_request_set_body (TwHttpRequest *self,
                          const char    *content_type,
                          GBytes        *body)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->mail_from == NULL);
  g_return_if_fail (content_type != NULL && !has_line_break (content_type));
  g_return_if_fail (body != NULL);

  g_free (self->content_type);
  self->content_type = g_strdup (content_type);
  g_bytes_ref (body);
  g_clear_pointer (&self->body, g_bytes_unref);
  self->body = body;
}

/**
 * tw_http_request_add_header:
 * @self: a request
 * @name: a header name, such as `Authorization`
 * @value: its value, on one line
 *
 * Adds a header to an HTTPS request (a mail's headers are part of its message).
 * `Content-Type` is set by tw_http_request_set_body() and `User-Agent` by TwHttp.
 */
void
tw_http_request_add_header (TwHttpRequest *self,
                            const char    *name,
                            const char    *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->mail_from == NULL);
  g_return_if_fail (is_token (name));
  g_return_if_fail (value != NULL && !has_line_break (value));

  g_ptr_array_add (self->headers, g_strdup_printf ("%s: %s", name, value));
}

/**
 * tw_http_request_set_timeouts:
 * @self: a request
 * @connect_msec: how long connecting (including the TLS handshake) may take, > 0
 * @total_msec: how long the whole request may take, > 0; for HTTPS from the
 *   moment it is handed to tw_http_send_async(), time spent queued behind other
 *   requests to the same host included
 *
 * When a timeout expires the send fails with %TW_HTTP_ERROR_TIMED_OUT.
 */
void
tw_http_request_set_timeouts (TwHttpRequest *self,
                              guint          connect_msec,
                              guint          total_msec)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (connect_msec > 0);
  g_return_if_fail (total_msec > 0);

  self->connect_msec = connect_msec;
  self->total_msec = total_msec;
}

/**
 * tw_http_request_set_max_response_size:
 * @self: a request
 * @max_size: the largest response body accepted, in bytes
 *
 * A larger body fails the send with %TW_HTTP_ERROR_RESPONSE_TOO_LARGE, so a server
 * cannot make the daemon hold more than this.
 */
void
tw_http_request_set_max_response_size (TwHttpRequest *self,
                                       gsize          max_size)
{
  g_return_if_fail (self != NULL);

  self->max_response_size = max_size;
}

/**
 * tw_http_request_set_login:
 * @self: a mail
 * @user: the user name for SMTP AUTH
 * @password: its password
 *
 * Makes the mail log in before sending, with the best mechanism both sides know
 * (PLAIN or LOGIN on a TLS connection). A login is only ever sent over TLS: on an
 * `smtp://` address it makes STARTTLS required, as
 * tw_http_request_set_require_tls() does.
 */
void
tw_http_request_set_login (TwHttpRequest *self,
                           const char    *user,
                           const char    *password)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->mail_from != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  g_free (self->user);
  self->user = g_strdup (user);
  wipe_free (self->password);
  self->password = g_strdup (password);
}

/**
 * tw_http_request_set_require_tls:
 * @self: a mail
 * @require_tls: whether an `smtp://` server must switch to TLS with STARTTLS
 *
 * With %TRUE, a server that does not offer STARTTLS fails the send with
 * %TW_HTTP_ERROR_TLS_REQUIRED before anything but `EHLO` is said. With %FALSE
 * (and no login), STARTTLS is still used when the server offers it. Either way the
 * server's certificate is verified.
 */
void
tw_http_request_set_require_tls (TwHttpRequest *self,
                                 gboolean       require_tls)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->mail_from != NULL);

  self->require_tls = !!require_tls;
}
