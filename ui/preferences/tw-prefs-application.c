/* tw-prefs-application.c — trainwatch-preferences: one window, one instance per session
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkApplication with the desktop file's app id: a second start activates the
 * first, which presents its window; the process ends when the window closes.
 * It owns the config (watched, so edits elsewhere show at once), the view of
 * the daemon, and the colour scheme.
 */
#include "config.h"

#include "tw-prefs-application.h"

#include <glib/gi18n.h>

#include "tw-config.h"
#include "tw-inotify.h"
#include "tw-prefs-daemon.h"
#include "tw-prefs-style.h"
#include "tw-prefs-window.h"

struct _TwPrefsApplication
{
  GtkApplication  parent_instance;

  TwInotify      *inotify;
  TwConfig       *config;
  TwPrefsDaemon  *daemon;
  TwPrefsStyle   *style;
};

G_DEFINE_FINAL_TYPE (TwPrefsApplication, tw_prefs_application, GTK_TYPE_APPLICATION)

static void
tw_prefs_application_startup (GApplication *application)
{
  TwPrefsApplication *self = TW_PREFS_APPLICATION (application);
  GDBusConnection *connection;
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (tw_prefs_application_parent_class)->startup (application);

  connection = g_application_get_dbus_connection (application);
  self->style = tw_prefs_style_new (connection);

  self->config = tw_config_new (NULL);
  /* A file with mistakes still loads (the window shows them); this is only I/O failing. */
  if (!tw_config_load (self->config, &error))
    g_warning ("%s", error->message);
  g_clear_error (&error);
  self->inotify = tw_inotify_new (&error);
  if (self->inotify != NULL)
    tw_config_watch (self->config, self->inotify);
  else
    g_message ("Changes made to the config file elsewhere show when the window opens again: %s",
               error->message);

  if (connection != NULL)
    self->daemon = tw_prefs_daemon_new (connection);
}

static void
tw_prefs_application_activate (GApplication *application)
{
  TwPrefsApplication *self = TW_PREFS_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    {
      if (self->daemon == NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

          /* Without a bus there is no daemon to talk to, and no uniqueness either. */
          if (bus == NULL)
            {
              g_printerr (_("Cannot reach the D-Bus session bus: %s\n"), error->message);
              return;
            }
          self->daemon = tw_prefs_daemon_new (bus);
        }
      window = GTK_WINDOW (tw_prefs_window_new (GTK_APPLICATION (application), self->config, self->daemon));
    }

  gtk_window_present (window);
}

static void
tw_prefs_application_shutdown (GApplication *application)
{
  TwPrefsApplication *self = TW_PREFS_APPLICATION (application);

  g_clear_object (&self->style);
  g_clear_object (&self->daemon);
  g_clear_object (&self->config);
  g_clear_object (&self->inotify);

  G_APPLICATION_CLASS (tw_prefs_application_parent_class)->shutdown (application);
}

static void
tw_prefs_application_class_init (TwPrefsApplicationClass *klass)
{
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  application_class->startup = tw_prefs_application_startup;
  application_class->activate = tw_prefs_application_activate;
  application_class->shutdown = tw_prefs_application_shutdown;
}

static void
tw_prefs_application_init (TwPrefsApplication *self)
{
}

/**
 * tw_prefs_application_new:
 *
 * Returns: (transfer full): the preferences application
 */
TwPrefsApplication *
tw_prefs_application_new (void)
{
  return g_object_new (TW_TYPE_PREFS_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
