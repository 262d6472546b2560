/* tw-slack.h — messages for a Slack incoming webhook, and what its answers mean
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-http.h"
#include "tw-report.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

char           *tw_slack_escape          (const char      *text);
GBytes         *tw_slack_build_payload   (GPtrArray       *reports);
TwHttpRequest  *tw_slack_build_request   (const char      *webhook_url,
                                          GPtrArray       *reports);
void            tw_slack_judge           (TwHttpResponse  *response,
                                          const GError    *error,
                                          TwSendResult    *result);

G_END_DECLS
