/* tw-prefs-daemon.h — the preferences window's view of the running daemon, over D-Bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TW_PREFS_DAEMON_INTERFACE "io.github.trainwatch.Trainwatch.Control"

#define TW_TYPE_PREFS_DAEMON (tw_prefs_daemon_get_type ())
G_DECLARE_FINAL_TYPE (TwPrefsDaemon, tw_prefs_daemon, TW, PREFS_DAEMON, GObject)

TwPrefsDaemon *tw_prefs_daemon_new                 (GDBusConnection     *connection);
gboolean       tw_prefs_daemon_is_running          (TwPrefsDaemon       *self);
JsonObject    *tw_prefs_daemon_get_status          (TwPrefsDaemon       *self);
const char    *tw_prefs_daemon_get_status_error    (TwPrefsDaemon       *self);
gboolean       tw_prefs_daemon_is_paused           (TwPrefsDaemon       *self);
gboolean       tw_prefs_daemon_set_paused          (TwPrefsDaemon       *self,
                                                    gboolean             paused);

void           tw_prefs_daemon_test_channel_async  (TwPrefsDaemon       *self,
                                                    const char          *channel,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean       tw_prefs_daemon_test_channel_finish (TwPrefsDaemon       *self,
                                                    GAsyncResult        *result,
                                                    char               **out_verdict,
                                                    char               **out_answer,
                                                    GError             **error);

G_END_DECLS
