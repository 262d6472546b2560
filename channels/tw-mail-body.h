/* tw-mail-body.h — what a mail about events says: its subject, its plain text and HTML
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-report.h"

G_BEGIN_DECLS

/* How many reports of a batch a mail shows in full; the others are summed up. */
#define TW_MAIL_BODY_MAX_SHOWN 10

char  *tw_mail_body_dup_subject (GPtrArray  *reports);
void   tw_mail_body_build       (GPtrArray  *reports,
                                 char      **out_plain,
                                 char      **out_html);

G_END_DECLS
