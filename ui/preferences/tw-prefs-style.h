/* tw-prefs-style.h — follows the desktop's light or dark preference
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TW_TYPE_PREFS_STYLE (tw_prefs_style_get_type ())
G_DECLARE_FINAL_TYPE (TwPrefsStyle, tw_prefs_style, TW, PREFS_STYLE, GObject)

TwPrefsStyle *tw_prefs_style_new      (GDBusConnection *connection);
gboolean      tw_prefs_style_get_dark (TwPrefsStyle    *self);

G_END_DECLS
