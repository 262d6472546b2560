/* tw-preferences-command.h — starts trainwatch-preferences, the GTK 4 window
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-command.h"

G_BEGIN_DECLS

/* The window program to start instead of the installed one (tests, a build dir). */
#define TW_ENV_PREFERENCES "TRAINWATCH_PREFERENCES"

char        *tw_preferences_dup_program (void);
GSubprocess *tw_preferences_spawn       (GError   **error);
int          tw_preferences_command_run (TwCommand *command);

G_END_DECLS
