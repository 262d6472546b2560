/* tw-test-reports.h — reports to build messages from, and sending them to a receiver
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-http.h"
#include "tw-report.h"

G_BEGIN_DECLS

/* A time all test reports happen at: 2024-03-05 14:07:09 UTC, in µs. */
#define TW_TEST_REPORT_TIME  G_GINT64_CONSTANT (1709647629000000)

TwReport       *tw_test_report_new_failed (const char      *job,
                                           const char      *host);
TwReport       *tw_test_report_new        (TwEventKind      kind,
                                           TwLevel          level,
                                           const char      *job,
                                           const char      *title,
                                           gint64           time_usec);
GPtrArray      *tw_test_batch_new         (guint            n);
GPtrArray      *tw_test_batch_new_one     (TwReport        *report);
TwHttpResponse *tw_test_send_and_wait     (TwHttp          *http,
                                           TwHttpRequest   *request,
                                           GError         **error);

G_END_DECLS
