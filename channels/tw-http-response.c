/* tw-http-response.c — what a server answered: status, headers, body, Retry-After
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-http-private.h"

#include <stdio.h>
#include <string.h>

struct _TwHttpResponse
{
  gatomicrefcount  ref_count;
  guint            status;
  GPtrArray       *headers;   /* name, value, name, value, … */
  GBytes          *body;
};

/* An IMF-fixdate (RFC 9110 §5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", as Unix time;
 * the obsolete forms are not sent by any service we talk to. */
static gboolean
parse_http_date (const char *text,
                 gint64     *out_unix)
{
  static const char * const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  };
  g_autoptr(GDateTime) date = NULL;
  char weekday[4], month[4], zone[4];
  int day, year, hour, minute, second, consumed = -1;
  guint i;

  if (sscanf (text, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n",
              weekday, &day, month, &year, &hour, &minute, &second, zone, &consumed) != 8
      || consumed < 0 || text[consumed] != '\0' || strcmp (zone, "GMT") != 0)
    return FALSE;

  for (i = 0; i < G_N_ELEMENTS (months); i++)
    {
      if (strcmp (month, months[i]) == 0)
        break;
    }
  if (i == G_N_ELEMENTS (months))
    return FALSE;

  date = g_date_time_new_utc (year, i + 1, day, hour, minute, second);
  if (date == NULL)
    return FALSE;

  *out_unix = g_date_time_to_unix (date);
  return TRUE;
}

/* Builds a response; takes @headers (name, value, … pairs; nullable) and @body
 * (nullable: empty). */
TwHttpResponse *
tw_http_response_new (guint      status,
                      GPtrArray *headers,
                      GBytes    *body)
{
  TwHttpResponse *self = g_new0 (TwHttpResponse, 1);

  g_assert (headers == NULL || headers->len % 2 == 0);

  g_atomic_ref_count_init (&self->ref_count);
  self->status = status;
  self->headers = headers != NULL ? headers : g_ptr_array_new_with_free_func (g_free);
  self->body = body != NULL ? body : g_bytes_new (NULL, 0);

  return self;
}

/**
 * tw_http_response_ref:
 * @self: a response
 *
 * Returns: (transfer full): @self
 */
TwHttpResponse *
tw_http_response_ref (TwHttpResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * tw_http_response_unref:
 * @self: (transfer full): a response
 *
 * Drops a reference; the last one frees the response.
 */
void
tw_http_response_unref (TwHttpResponse *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_ptr_array_unref (self->headers);
  g_bytes_unref (self->body);
  g_free (self);
}

/**
 * tw_http_response_get_status:
 * @self: a response
 *
 * Returns: the HTTP status of the final response (after any `100 Continue`, and not
 *   the proxy's answer to `CONNECT`); for a mail, the server's reply to the end of
 *   the message (250 when it accepted it)
 */
guint
tw_http_response_get_status (TwHttpResponse *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

/**
 * tw_http_response_get_header:
 * @self: a response
 * @name: a header name, in any case
 *
 * Looks up a header of the final response. A mail's response has none.
 *
 * Returns: (nullable): the value of the last header called @name, without the
 *   spaces around it, or %NULL if there is none
 */
const char *
tw_http_response_get_header (TwHttpResponse *self,
                             const char     *name)
{
  guint i;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (i = self->headers->len; i >= 2; i -= 2)
    {
      if (g_ascii_strcasecmp (g_ptr_array_index (self->headers, i - 2), name) == 0)
        return g_ptr_array_index (self->headers, i - 1);
    }

  return NULL;
}

/**
 * tw_http_response_get_body:
 * @self: a response
 *
 * Returns: (transfer none): the response body, at most the request's maximum size;
 *   for a mail, the server's last reply line, such as `250 2.0.0 Ok: queued as 12A`
 */
GBytes *
tw_http_response_get_body (TwHttpResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->body;
}

/**
 * tw_http_response_get_retry_after:
 * @self: a response
 *
 * Reads the `Retry-After` header: a number of seconds, or a date. A date is taken
 * relative to the response's `Date` header when it has a valid one (so a wrong
 * clock on either side does not matter), else to this machine's clock.
 *
 * Returns: how many seconds to wait before trying again (0 for a date in the
 *   past), or -1 if the header is missing or invalid
 */
gint64
tw_http_response_get_retry_after (TwHttpResponse *self)
{
  const char *value;
  const char *date_header;
  gint64 seconds = -1;
  gint64 when, now;

  g_return_val_if_fail (self != NULL, -1);

  value = tw_http_response_get_header (self, "Retry-After");
  if (value == NULL)
    return -1;

  if (g_ascii_isdigit (value[0]))
    {
      guint64 number;

      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &number, NULL))
        return -1;
      return (gint64) number;
    }

  if (!parse_http_date (value, &when))
    return -1;

  date_header = tw_http_response_get_header (self, "Date");
  if (date_header == NULL || !parse_http_date (date_header, &now))
    now = g_get_real_time () / G_USEC_PER_SEC;

  seconds = when - now;
  return MAX (seconds, 0);
}
