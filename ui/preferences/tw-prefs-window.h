/* tw-prefs-window.h — the preferences window: a sidebar of pages
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "tw-config.h"
#include "tw-prefs-daemon.h"

G_BEGIN_DECLS

#define TW_TYPE_PREFS_WINDOW (tw_prefs_window_get_type ())
G_DECLARE_FINAL_TYPE (TwPrefsWindow, tw_prefs_window, TW, PREFS_WINDOW, GtkApplicationWindow)

TwPrefsWindow *tw_prefs_window_new       (GtkApplication *application,
                                          TwConfig       *config,
                                          TwPrefsDaemon  *daemon);
GtkStack      *tw_prefs_window_get_stack (TwPrefsWindow  *self);

G_END_DECLS
