/* tw-http-private.h — what the files of the HTTP engine share: requests, transfers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <curl/curl.h>

#include "tw-http.h"

G_BEGIN_DECLS

struct _TwHttpRequest
{
  gatomicrefcount  ref_count;

  char            *method;            /* "GET", "POST", …; NULL for a mail */
  char            *url;
  char            *content_type;      /* nullable */
  GBytes          *body;              /* nullable */
  GPtrArray       *headers;           /* of "Name: value" */
  guint            connect_msec;
  guint            total_msec;
  gsize            max_response_size;

  char            *user;              /* nullable */
  char            *password;          /* nullable; wiped when freed */
  gboolean         require_tls;

  char            *mail_from;         /* NULL unless a mail */
  GStrv            recipients;        /* NULL unless a mail */
};

TwHttpResponse *tw_http_response_new            (guint            status,
                                                 GPtrArray       *headers,
                                                 GBytes          *body);

/* One send, from tw_http_send_async() until its task returns. */
typedef struct
{
  TwHttp            *http;            /* borrowed: the task holds a reference */
  GTask             *task;
  CURL              *easy;
  GSource           *cancel_source;   /* nullable */
  gboolean           is_mail;
  char              *host;            /* "host" or "host:port", for messages */
  char              *ca_file;         /* nullable: the system's authorities */
  GStrv              secrets;         /* path, query…: never in a message */

  GBytes            *body;            /* nullable; libcurl reads it in place */
  gsize              body_offset;     /* a mail: how much was handed to libcurl */
  struct curl_slist *headers;
  struct curl_slist *recipients;

  gsize              max_response_size;
  gboolean           too_large;
  GByteArray        *response_body;
  GPtrArray         *response_headers;  /* name, value, …: of the latest response */
  gsize              header_bytes;
  char              *last_reply;      /* a mail: the server's latest reply line */
  char              *error_reply;     /* a mail: its latest 4xx or 5xx reply line */
  char               error_buffer[CURL_ERROR_SIZE];
} TwHttpTransfer;

TwHttpTransfer *tw_http_transfer_new            (TwHttp          *http,
                                                 GTask           *task,
                                                 TwHttpRequest   *request,
                                                 const char      *ca_file,
                                                 GError         **error);
void            tw_http_transfer_free           (TwHttpTransfer  *transfer);
void            tw_http_transfer_stop_on_cancel (TwHttpTransfer  *transfer,
                                                 GCancellable    *cancellable);
TwHttpResponse *tw_http_transfer_finish         (TwHttpTransfer  *transfer,
                                                 CURLcode         result,
                                                 GError         **error);

G_END_DECLS
