/* tw-secret-command.h — `trainwatch secret set|clear|status`, run by the command line itself
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "tw-command.h"
#include "tw-secrets.h"

G_BEGIN_DECLS

/* How long `status` and `secret status` wait for the Secret Service. */
#define TW_SECRETS_STATUS_TIMEOUT_MS 3000

char *tw_secret_command_read_value  (int          fd,
                                     const char  *prompt,
                                     GError     **error);
int   tw_secret_command_run         (TwCommand   *command);
void  tw_secret_states_add_json     (GPtrArray   *states,
                                     JsonBuilder *builder);
void  tw_secret_states_append_text  (GPtrArray   *states,
                                     GString     *text,
                                     const char  *indent);

G_END_DECLS
