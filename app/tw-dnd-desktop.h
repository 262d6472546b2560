/* tw-dnd-desktop.h — the desktop's own Do Not Disturb, followed live
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TW_DND_DESKTOP_GNOME,
  TW_DND_DESKTOP_KDE,
  TW_DND_DESKTOP_XFCE,
  TW_DND_DESKTOP_DUNST,
  TW_DND_DESKTOP_MATE,
  TW_DND_DESKTOP_CINNAMON,
} TwDndDesktopSource;

#define TW_DND_DESKTOP_N_SOURCES (TW_DND_DESKTOP_CINNAMON + 1)

#define TW_TYPE_DND_DESKTOP (tw_dnd_desktop_get_type ())
G_DECLARE_FINAL_TYPE (TwDndDesktop, tw_dnd_desktop, TW, DND_DESKTOP, GObject)

TwDndDesktop *tw_dnd_desktop_new              (void);
void          tw_dnd_desktop_start            (TwDndDesktop       *self,
                                               GDBusConnection    *connection);
gboolean      tw_dnd_desktop_is_on            (TwDndDesktop       *self,
                                               TwDndDesktopSource  source);
gboolean      tw_dnd_desktop_is_settled       (TwDndDesktop       *self);
const char   *tw_dnd_desktop_source_to_string (TwDndDesktopSource  source);

G_END_DECLS
