/* tw-prefs-application.h — trainwatch-preferences: one window, one instance per session
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TW_TYPE_PREFS_APPLICATION (tw_prefs_application_get_type ())
G_DECLARE_FINAL_TYPE (TwPrefsApplication, tw_prefs_application, TW, PREFS_APPLICATION, GtkApplication)

TwPrefsApplication *tw_prefs_application_new (void);

G_END_DECLS
