/* tw-discord.h — messages for a Discord webhook, edited in place, and what its answers mean
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-http.h"
#include "tw-report.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

GBytes         *tw_discord_build_payload (GPtrArray       *reports);
TwHttpRequest  *tw_discord_build_request (const char      *webhook_url,
                                          const char      *edit_message_id,
                                          GPtrArray       *reports);
void            tw_discord_judge         (TwHttpResponse  *response,
                                          const GError    *error,
                                          gboolean         was_edit,
                                          TwSendResult    *result);

G_END_DECLS
