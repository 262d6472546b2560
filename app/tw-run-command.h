/* tw-run-command.h — `trainwatch run -- CMD`: run a training command, copy and log its output
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-command.h"

G_BEGIN_DECLS

char *tw_run_command_dup_name (const char * const *argv);
int   tw_run_command_run      (TwCommand          *command,
                               int                 argc,
                               char              **argv);

G_END_DECLS
