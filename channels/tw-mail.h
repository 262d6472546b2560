/* tw-mail.h — email messages about events: the settings, the MIME message, the request, the verdict
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-http.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

#define TW_MAIL_ERROR (tw_mail_error_quark ())

typedef enum
{
  TW_MAIL_ERROR_INVALID_SETTINGS,   /* a field of TwMailSettings is missing or malformed */
} TwMailError;

typedef enum
{
  TW_MAIL_SECURITY_STARTTLS,        /* smtp://, STARTTLS required; port 587 */
  TW_MAIL_SECURITY_TLS,             /* smtps://, TLS from the first byte; port 465 */
  TW_MAIL_SECURITY_NONE,            /* smtp://, STARTTLS when offered (always with a login);
                                     * port 25 */
} TwMailSecurity;

/* Where and to whom mail goes; borrowed strings, as the config holds them. */
typedef struct
{
  const char          *server;      /* host name or IP (IPv6 with or without brackets) */
  guint                port;        /* 0: 587, 465 or 25 by security */
  TwMailSecurity       security;
  const char          *user;        /* NULL or "": no login */
  const char          *from;        /* NULL or "": user if it is an address, else to[0] */
  const char * const  *to;          /* one or more addresses */
} TwMailSettings;

GQuark          tw_mail_error_quark      (void);

gboolean        tw_mail_settings_check   (const TwMailSettings  *settings,
                                          GError               **error);
char           *tw_mail_dup_url          (const TwMailSettings  *settings);
char           *tw_mail_dup_from         (const TwMailSettings  *settings);
GBytes         *tw_mail_build_message    (const TwMailSettings  *settings,
                                          GPtrArray             *reports,
                                          gint64                 now_unix_usec,
                                          GError               **error);
TwHttpRequest  *tw_mail_build_request    (const TwMailSettings  *settings,
                                          const char            *password,
                                          GPtrArray             *reports,
                                          gint64                 now_unix_usec,
                                          GError               **error);
void            tw_mail_judge            (const GError          *error,
                                          TwSendResult          *result);
void            tw_mail_judge_response   (TwHttpResponse        *response,
                                          const GError          *error,
                                          TwSendResult          *result);

G_END_DECLS
