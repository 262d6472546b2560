/* tw-prefs-general.c — the General page: start at login, tray icon, pause, Do Not Disturb
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-prefs-pages.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tw-prefs-field.h"

typedef struct
{
  TwPrefsDaemon *daemon;
  GtkWidget     *pause_switch;
  GtkWidget     *pause_state;
  gboolean       updating;
} GeneralPage;

static void
general_page_free (gpointer data)
{
  GeneralPage *page = data;

  g_clear_object (&page->daemon);
  g_free (page);
}

/**
 * tw_prefs_dup_autostart_path:
 *
 * Returns: (transfer full): the XDG autostart entry that starts the daemon at login
 */
char *
tw_prefs_dup_autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

/**
 * tw_prefs_set_autostart:
 * @enabled: whether the daemon starts at login
 * @error: return location for a #GError
 *
 * Writes or removes the XDG autostart entry, which runs `trainwatch` (the
 * command that starts the daemon in the background).
 *
 * Returns: whether the entry is now as asked
 */
gboolean
tw_prefs_set_autostart (gboolean   enabled,
                        GError   **error)
{
  g_autofree char *path = tw_prefs_dup_autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) file = NULL;
  g_autofree char *data = NULL;
  int saved_errno;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       /* Translators: %s is a file, the second %s the system's reason */
                       _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   /* Translators: %s is a folder, the second %s the system's reason */
                   _("Cannot create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  file = g_key_file_new ();
  g_key_file_set_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE, "Application");
  g_key_file_set_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME, PACKAGE_NAME);
  g_key_file_set_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         _("Watch training runs and tell you when they finish, fail or stall"));
  g_key_file_set_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, "trainwatch");
  g_key_file_set_string (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  g_key_file_set_boolean (file, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL, FALSE);
  g_key_file_set_boolean (file, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  data = g_key_file_to_data (file, NULL, NULL);

  return g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static void
autostart_active_cb (GObject    *object,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  GtkWidget *error_label = user_data;
  g_autoptr(GError) error = NULL;
  gboolean active = gtk_switch_get_active (GTK_SWITCH (object));

  if (!tw_prefs_set_autostart (active, &error))
    tw_prefs_show_error (GTK_WIDGET (object), error_label, error->message);
  else
    tw_prefs_show_error (GTK_WIDGET (object), error_label, NULL);
}

static GtkWidget *
autostart_row_new (void)
{
  g_autofree char *path = tw_prefs_dup_autostart_path ();
  GtkWidget *control = gtk_switch_new ();
  GtkWidget *row;
  GtkWidget *error_label = gtk_label_new (NULL);

  gtk_widget_set_name (control, "autostart");
  gtk_switch_set_active (GTK_SWITCH (control), g_file_test (path, G_FILE_TEST_EXISTS));
  row = tw_prefs_row_new (_("Start at login"),
                          _("Start Trainwatch in the background when you log in."), control, NULL);
  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_set_visible (error_label, FALSE);
  gtk_box_append (GTK_BOX (row), error_label);
  g_signal_connect (control, "notify::active", G_CALLBACK (autostart_active_cb), error_label);

  return row;
}

static void
update_pause (GeneralPage *page)
{
  gboolean running = tw_prefs_daemon_is_running (page->daemon);

  page->updating = TRUE;
  gtk_switch_set_active (GTK_SWITCH (page->pause_switch), running && tw_prefs_daemon_is_paused (page->daemon));
  page->updating = FALSE;
  gtk_widget_set_sensitive (page->pause_switch, running);
  gtk_label_set_text (GTK_LABEL (page->pause_state),
                      running ? "" : _("Trainwatch is not running, so there is nothing to pause."));
  gtk_widget_set_visible (page->pause_state, !running);
}

static void
daemon_changed_cb (TwPrefsDaemon *daemon,
                   gpointer       user_data)
{
  GtkWidget *widget = user_data;

  update_pause (g_object_get_data (G_OBJECT (widget), "tw-prefs-general"));
}

static void
pause_active_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GeneralPage *page = user_data;

  if (page->updating)
    return;

  tw_prefs_daemon_set_paused (page->daemon, gtk_switch_get_active (GTK_SWITCH (object)));
}

/**
 * tw_prefs_general_page_new:
 * @config: the config
 * @daemon: the daemon
 *
 * Returns: (transfer floating): the General page
 */
GtkWidget *
tw_prefs_general_page_new (TwConfig      *config,
                           TwPrefsDaemon *daemon)
{
  GeneralPage *page = g_new0 (GeneralPage, 1);
  GtkWidget *box;
  GtkWidget *scrolled = tw_prefs_page_new (&box);
  GtkWidget *group;
  GtkWidget *row;

  page->daemon = g_object_ref (daemon);
  g_object_set_data_full (G_OBJECT (scrolled), "tw-prefs-general", page, general_page_free);

  group = tw_prefs_group_new (_("Trainwatch"), NULL);
  tw_prefs_group_add (group, autostart_row_new ());
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "general", "tray-icon", _("Show the tray icon"),
                                                      _("An icon in the panel with your runs and a menu, where "
                                                        "the panel shows such icons.")));
  page->pause_switch = gtk_switch_new ();
  gtk_widget_set_name (page->pause_switch, "pause");
  row = tw_prefs_row_new (_("Pause notifications"),
                          _("Hold notifications until you turn this off; what was held is summed up then. "
                            "Critical ones still show if allowed below."),
                          page->pause_switch, NULL);
  page->pause_state = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (page->pause_state), 0);
  gtk_widget_add_css_class (page->pause_state, "dim-label");
  gtk_box_append (GTK_BOX (row), page->pause_state);
  tw_prefs_group_add (group, row);
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "general", "snooze-minutes", _("Snooze for (minutes)"),
                                                     _("How long a notification’s “Snooze” silences its run."),
                                                     NULL, NULL));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Do Not Disturb"), NULL);
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "notifications", "follow-desktop",
                                                      _("Follow the desktop’s Do Not Disturb"),
                                                      _("Hold notifications while the desktop does.")));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "notifications", "show-critical",
                                                      _("Let critical notifications through"),
                                                      _("A failed run, out of memory or NaN shows even while "
                                                        "notifications are held.")));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "notifications", "quiet-hours", _("Quiet hours"),
                                                     _("Times of day when notifications are held, such as "
                                                       "22:00-07:30. Separate several with commas."),
                                                     NULL, NULL));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "notifications", "hold-forwarding",
                                                      _("Hold forwarding too"),
                                                      _("Also hold email, Slack and Discord while "
                                                        "notifications are held.")));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Network"), NULL);
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "network", "ca-file", _("Certificate authorities"),
                                                     _("A PEM file to check servers’ certificates against "
                                                       "instead of the system’s. Empty: the system’s."),
                                                     NULL, NULL));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "network", "retry-hours", _("Keep trying for (hours)"),
                                                     _("How long a message that could not be sent is tried "
                                                       "again."),
                                                     NULL, NULL));
  gtk_box_append (GTK_BOX (box), group);

  update_pause (page);
  g_signal_connect (page->pause_switch, "notify::active", G_CALLBACK (pause_active_cb), page);
  g_signal_connect_object (daemon, "changed", G_CALLBACK (daemon_changed_cb), scrolled, 0);

  return scrolled;
}
