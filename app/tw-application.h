/* tw-application.h — the daemon: owns the sources, jobs, router and channels
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-event.h"

G_BEGIN_DECLS

#define TW_TYPE_APPLICATION (tw_application_get_type ())
G_DECLARE_FINAL_TYPE (TwApplication, tw_application, TW, APPLICATION, GApplication)

/* Set by the client in the environment it forwards when it has just started the daemon. */
#define TW_ENV_CLIENT_STARTED_DAEMON "TRAINWATCH_CLIENT_STARTED_DAEMON"

TwApplication *tw_application_new        (void);
void           tw_application_post_event (TwApplication *self,
                                          TwEvent       *event);

G_END_DECLS
