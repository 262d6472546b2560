/* tw-tray-spawn.h — starts trainwatch-tray while a StatusNotifierWatcher is on the bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-config.h"

G_BEGIN_DECLS

/* The tray program to start; empty for none. Else LIBEXECDIR/trainwatch-tray. */
#define TW_ENV_TRAY "TRAINWATCH_TRAY"

#define TW_TYPE_TRAY_SPAWN (tw_tray_spawn_get_type ())
G_DECLARE_FINAL_TYPE (TwTraySpawn, tw_tray_spawn, TW, TRAY_SPAWN, GObject)

char        *tw_tray_spawn_dup_default_program (void);
TwTraySpawn *tw_tray_spawn_new                 (GDBusConnection *connection,
                                                const char      *program,
                                                TwConfig        *config);
gboolean     tw_tray_spawn_is_idle             (TwTraySpawn     *self);
void         tw_tray_spawn_stop                (TwTraySpawn     *self);
void         tw_tray_spawn_add_json            (TwTraySpawn     *self,
                                                JsonBuilder     *builder);

G_END_DECLS
