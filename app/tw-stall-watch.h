/* tw-stall-watch.h — measures how long the main loop is busy between two polls
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The variable that turns it on: a threshold in milliseconds. */
#define TW_STALL_WATCH_ENV "TRAINWATCH_DEBUG_STALLS"

void    tw_stall_watch_start_from_env (void);
void    tw_stall_watch_stop           (void);
double  tw_stall_watch_get_max_ms     (void);

G_END_DECLS
