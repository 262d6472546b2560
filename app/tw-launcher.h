/* tw-launcher.h — progress, a count and urgency on the dock's icon (Unity LauncherEntry)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-overview.h"

G_BEGIN_DECLS

#define TW_LAUNCHER_INTERFACE "com.canonical.Unity.LauncherEntry"

#define TW_TYPE_LAUNCHER (tw_launcher_get_type ())
G_DECLARE_FINAL_TYPE (TwLauncher, tw_launcher, TW, LAUNCHER, GObject)

TwLauncher *tw_launcher_new             (TwOverview       *overview,
                                         GDBusConnection  *connection,
                                         const char       *desktop_id,
                                         GError          **error);
const char *tw_launcher_get_app_uri     (TwLauncher       *self);
const char *tw_launcher_get_object_path (TwLauncher       *self);
gboolean    tw_launcher_get_enabled     (TwLauncher       *self);
void        tw_launcher_set_enabled     (TwLauncher       *self,
                                         gboolean          enabled);
GVariant   *tw_launcher_dup_properties  (TwLauncher       *self);
guint64     tw_launcher_get_n_updates   (TwLauncher       *self);
void        tw_launcher_clear           (TwLauncher       *self);
void        tw_launcher_add_json        (TwLauncher       *self,
                                         JsonBuilder      *builder);

G_END_DECLS
