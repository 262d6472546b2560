/* tw-inspect.h — `trainwatch inspect`: a log or status file read offline, as the daemon would
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-command.h"

G_BEGIN_DECLS

int tw_inspect_run (TwCommand *command);

G_END_DECLS
