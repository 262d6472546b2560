/* tw-router.h — decides which channels hear about an event
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "tw-channel.h"
#include "tw-event.h"
#include "tw-job.h"

G_BEGIN_DECLS

#define TW_TYPE_ROUTER (tw_router_get_type ())
G_DECLARE_FINAL_TYPE (TwRouter, tw_router, TW, ROUTER, GObject)

TwRouter  *tw_router_new                (void);
void       tw_router_add_channel        (TwRouter   *self,
                                         TwChannel  *channel);
TwChannel *tw_router_get_channel        (TwRouter   *self,
                                         const char *id);
GPtrArray *tw_router_get_channels       (TwRouter   *self);
void       tw_router_set_channel_enabled (TwRouter  *self,
                                         const char *id,
                                         gboolean    enabled);
void       tw_router_set_min_level      (TwRouter   *self,
                                         const char *id,
                                         TwLevel     level);
void       tw_router_set_kinds          (TwRouter   *self,
                                         const char *id,
                                         guint32     kinds);
GPtrArray *tw_router_route              (TwRouter   *self,
                                         TwEvent    *event,
                                         TwJob      *job,
                                         gint64      now_unix_usec);

void       tw_router_set_hold_during_dnd (TwRouter  *self,
                                         const char *id,
                                         gboolean    hold);
void       tw_router_set_critical_passes_dnd (TwRouter *self,
                                         gboolean    passes);
void       tw_router_set_dnd_active     (TwRouter   *self,
                                         gboolean    active);
gboolean   tw_router_get_dnd_active     (TwRouter   *self);
guint      tw_router_release_held       (TwRouter   *self);
guint      tw_router_get_n_held         (TwRouter   *self);
gboolean   tw_router_save_held          (TwRouter   *self,
                                         const char *path,
                                         GError    **error);
gboolean   tw_router_load_held          (TwRouter   *self,
                                         const char *path,
                                         gint64      now_unix_usec,
                                         GError    **error);

G_END_DECLS
