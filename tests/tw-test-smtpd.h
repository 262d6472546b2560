/* tw-test-smtpd.h — a real SMTP server (tests/smtp-server.py, aiosmtpd) on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TwTestSmtpd TwTestSmtpd;

gboolean     tw_test_smtpd_is_supported (void);
TwTestSmtpd *tw_test_smtpd_start        (const char   *mode,
                                         const char   *user,
                                         const char   *password,
                                         const char   *cert,
                                         const char   *key);
const char  *tw_test_smtpd_get_url      (TwTestSmtpd  *self);
const char  *tw_test_smtpd_get_dir      (TwTestSmtpd  *self);
guint        tw_test_smtpd_get_n_mails  (TwTestSmtpd  *self);
GBytes      *tw_test_smtpd_dup_mail     (TwTestSmtpd  *self,
                                         guint         index,
                                         char        **out_from,
                                         GStrv        *out_recipients,
                                         char        **out_auth_user);
void         tw_test_smtpd_stop         (TwTestSmtpd  *self);

G_END_DECLS
