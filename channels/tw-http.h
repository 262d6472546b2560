/* tw-http.h — HTTPS and SMTP requests on the main loop: the one place that drives libcurl
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TW_HTTP_ERROR (tw_http_error_quark ())

/* Why a request got no answer. An answer that says no (an HTTP 404 or 500) is not an
 * error: it is a TwHttpResponse with that status. */
typedef enum
{
  TW_HTTP_ERROR_FAILED,               /* anything not listed below */
  TW_HTTP_ERROR_INVALID_URL,          /* malformed, or a scheme other than https, smtp, smtps */
  TW_HTTP_ERROR_INVALID_REQUEST,      /* a mail address with control characters, no recipient */
  TW_HTTP_ERROR_RESOLVE,              /* the host name could not be looked up */
  TW_HTTP_ERROR_CONNECTION_REFUSED,
  TW_HTTP_ERROR_TIMED_OUT,            /* the connect or the total timeout expired */
  TW_HTTP_ERROR_NETWORK,              /* unreachable, reset, closed half-way */
  TW_HTTP_ERROR_PROXY,                /* the proxy from the environment failed */
  TW_HTTP_ERROR_TLS,                  /* the TLS handshake failed */
  TW_HTTP_ERROR_TLS_VERIFICATION,     /* the server's certificate is not trusted */
  TW_HTTP_ERROR_CA_FILE,              /* the CA file cannot be read */
  TW_HTTP_ERROR_RESPONSE_TOO_LARGE,
  TW_HTTP_ERROR_TLS_REQUIRED,         /* SMTP: the server does not offer STARTTLS */
  TW_HTTP_ERROR_LOGIN_DENIED,         /* SMTP: the user name or password was refused */
  TW_HTTP_ERROR_MAIL_REJECTED,        /* SMTP: a 5xx reply, permanent */
  TW_HTTP_ERROR_MAIL_DEFERRED,        /* SMTP: a 4xx reply, try again later */
} TwHttpError;

#define TW_HTTP_DEFAULT_CONNECT_TIMEOUT_MSEC  10000
#define TW_HTTP_DEFAULT_TOTAL_TIMEOUT_MSEC    30000
#define TW_HTTP_DEFAULT_MAX_RESPONSE_SIZE     (256 * 1024)

/* What to send: built by a channel, then handed to tw_http_send_async(). Reference
 * counted, so an outbox can keep one to send again. */
typedef struct _TwHttpRequest TwHttpRequest;

/* What came back: immutable. */
typedef struct _TwHttpResponse TwHttpResponse;

#define TW_TYPE_HTTP (tw_http_get_type ())
G_DECLARE_FINAL_TYPE (TwHttp, tw_http, TW, HTTP, GObject)

GQuark          tw_http_error_quark                   (void);
gboolean        tw_http_error_is_transient            (const GError        *error);

TwHttpRequest  *tw_http_request_new                   (const char          *method,
                                                       const char          *url);
TwHttpRequest  *tw_http_request_new_mail              (const char          *url,
                                                       const char          *from,
                                                       const char * const  *recipients,
                                                       GBytes              *message);
TwHttpRequest  *tw_http_request_ref                   (TwHttpRequest       *self);
void            tw_http_request_unref                 (TwHttpRequest       *self);
void            tw_http_request_set_body              (TwHttpRequest       *self,
                                                       const char          *content_type,
                                                       GBytes              *body);
void            tw_http_request_add_header            (TwHttpRequest       *self,
                                                       const char          *name,
                                                       const char          *value);
void            tw_http_request_set_timeouts          (TwHttpRequest       *self,
                                                       guint                connect_msec,
                                                       guint                total_msec);
void            tw_http_request_set_max_response_size (TwHttpRequest       *self,
                                                       gsize                max_size);
void            tw_http_request_set_login             (TwHttpRequest       *self,
                                                       const char          *user,
                                                       const char          *password);
void            tw_http_request_set_require_tls       (TwHttpRequest       *self,
                                                       gboolean             require_tls);

TwHttpResponse *tw_http_response_ref                  (TwHttpResponse      *self);
void            tw_http_response_unref                (TwHttpResponse      *self);
guint           tw_http_response_get_status           (TwHttpResponse      *self);
const char     *tw_http_response_get_header           (TwHttpResponse      *self,
                                                       const char          *name);
GBytes         *tw_http_response_get_body             (TwHttpResponse      *self);
gint64          tw_http_response_get_retry_after      (TwHttpResponse      *self);

TwHttp         *tw_http_new                           (void);
const char     *tw_http_get_ca_file                   (TwHttp              *self);
void            tw_http_set_ca_file                   (TwHttp              *self,
                                                       const char          *ca_file);
void            tw_http_send_async                    (TwHttp              *self,
                                                       TwHttpRequest       *request,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
TwHttpResponse *tw_http_send_finish                   (TwHttp              *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwHttpRequest, tw_http_request_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwHttpResponse, tw_http_response_unref)

G_END_DECLS
