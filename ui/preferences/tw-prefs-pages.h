/* tw-prefs-pages.h — the pages of the preferences window
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "tw-config.h"
#include "tw-prefs-daemon.h"

G_BEGIN_DECLS

GtkWidget *tw_prefs_general_page_new       (TwConfig      *config,
                                            TwPrefsDaemon *daemon);
GtkWidget *tw_prefs_watches_page_new       (TwConfig      *config,
                                            TwPrefsDaemon *daemon);
GtkWidget *tw_prefs_notifications_page_new (TwConfig      *config,
                                            TwPrefsDaemon *daemon);
GtkWidget *tw_prefs_email_page_new         (TwConfig      *config,
                                            TwPrefsDaemon *daemon);
GtkWidget *tw_prefs_webhook_page_new       (TwConfig      *config,
                                            TwPrefsDaemon *daemon,
                                            const char    *channel);

char      *tw_prefs_dup_autostart_path     (void);
gboolean   tw_prefs_set_autostart          (gboolean       enabled,
                                            GError       **error);

G_END_DECLS
