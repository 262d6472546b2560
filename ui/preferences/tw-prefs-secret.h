/* tw-prefs-secret.h — a password entry for one secret in the keyring, and a "Send test" row
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "tw-prefs-daemon.h"
#include "tw-secrets.h"

G_BEGIN_DECLS

GtkWidget *tw_prefs_secret_row_new         (TwSecretKind         kind,
                                            const char          *title,
                                            const char          *subtitle);
void       tw_prefs_secret_row_store_async (GtkWidget           *row,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean   tw_prefs_secret_row_store_finish (GtkWidget          *row,
                                            GAsyncResult        *result,
                                            GError             **error);

GtkWidget *tw_prefs_test_row_new           (TwPrefsDaemon       *daemon,
                                            const char          *channel,
                                            GtkWidget           *secret_row);

G_END_DECLS
