/* tw-client.h — the command line's side: start the daemon if needed, forward to it
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-command.h"

G_BEGIN_DECLS

int      tw_client_run            (TwCommand  *command,
                                   int         argc,
                                   char      **argv);
gboolean tw_client_ensure_daemon  (GError    **error);
int      tw_client_forward        (int         argc,
                                   char      **argv);

G_END_DECLS
