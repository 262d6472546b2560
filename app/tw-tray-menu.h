/* tw-tray-menu.h — the tray's menu: a GMenuModel of the runs, recent events and commands
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where the daemon exports the menu, below its own object path (config.h). */
#define TW_TRAY_MENU_OBJECT_PATH DAEMON_OBJECT_PATH "/menu"

/* At most this many rebuilds a second, however fast the logs are written. */
#define TW_TRAY_MENU_MIN_INTERVAL_MS 500

#define TW_TYPE_TRAY_MENU (tw_tray_menu_get_type ())
G_DECLARE_FINAL_TYPE (TwTrayMenu, tw_tray_menu, TW, TRAY_MENU, GObject)

TwTrayMenu *tw_tray_menu_new          (GHashTable       *jobs,
                                       GQueue           *recent);
GMenuModel *tw_tray_menu_get_model    (TwTrayMenu       *self);
void        tw_tray_menu_queue_update (TwTrayMenu       *self);
void        tw_tray_menu_update       (TwTrayMenu       *self);
guint       tw_tray_menu_get_n_builds (TwTrayMenu       *self);
gint64      tw_tray_menu_get_last_build_time (TwTrayMenu *self);
void        tw_tray_menu_add_actions  (TwTrayMenu       *self,
                                       GActionMap       *map);
gboolean    tw_tray_menu_export       (TwTrayMenu       *self,
                                       GDBusConnection  *connection,
                                       GError          **error);
void        tw_tray_menu_unexport     (TwTrayMenu       *self);

G_END_DECLS
