/* tw-desktop-channel.h — native desktop notifications through libnotify
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tw-channel.h"

G_BEGIN_DECLS

#define TW_TYPE_DESKTOP_CHANNEL (tw_desktop_channel_get_type ())
G_DECLARE_FINAL_TYPE (TwDesktopChannel, tw_desktop_channel, TW, DESKTOP_CHANNEL, GObject)

TwDesktopChannel *tw_desktop_channel_new                (const char       *app_name,
                                                         const char       *icon_name);
void              tw_desktop_channel_set_sound          (TwDesktopChannel *self,
                                                         gboolean          sound);
void              tw_desktop_channel_set_snooze_minutes (TwDesktopChannel *self,
                                                         guint             minutes);
guint             tw_desktop_channel_get_pending        (TwDesktopChannel *self);

G_END_DECLS
