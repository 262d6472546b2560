/* tw-prefs-window.c — the preferences window: a sidebar of pages
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Changes apply as they are made (each page writes the config file, which the
 * daemon reloads), so the window has no Save button; closing it is all.
 */
#include "config.h"

#include "tw-prefs-window.h"

#include <glib/gi18n.h>

#include "tw-prefs-pages.h"

struct _TwPrefsWindow
{
  GtkApplicationWindow  parent_instance;

  TwConfig             *config;
  TwPrefsDaemon        *daemon;
  GtkWidget            *stack;
  GtkWidget            *problems;
};

G_DEFINE_FINAL_TYPE (TwPrefsWindow, tw_prefs_window, GTK_TYPE_APPLICATION_WINDOW)

static void
update_problems (TwPrefsWindow *self)
{
  GPtrArray *problems = tw_config_get_problems (self->config);
  TwConfigProblem *first;
  g_autofree char *text = NULL;

  if (problems == NULL || problems->len == 0)
    {
      gtk_widget_set_visible (self->problems, FALSE);
      return;
    }

  first = g_ptr_array_index (problems, 0);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       /* Translators: %s is the problem, a full sentence */
                                       "The config file has %u problem; the default is used there until it is "
                                       "fixed: %s",
                                       /* Translators: %s is the first problem, a full sentence */
                                       "The config file has %u problems; the defaults are used there until they "
                                       "are fixed. The first: %s",
                                       problems->len),
                          problems->len, first->message);
  gtk_label_set_text (GTK_LABEL (self->problems), text);
  gtk_widget_set_visible (self->problems, TRUE);
}

static void
config_changed_cb (TwConfig *config,
                   gpointer  user_data)
{
  update_problems (user_data);
}

static void
add_page (TwPrefsWindow *self,
          GtkWidget     *page,
          const char    *name,
          const char    *title)
{
  gtk_stack_add_titled (GTK_STACK (self->stack), page, name, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (page), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
}

static void
tw_prefs_window_dispose (GObject *object)
{
  TwPrefsWindow *self = TW_PREFS_WINDOW (object);

  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->config);
  g_clear_object (&self->daemon);

  G_OBJECT_CLASS (tw_prefs_window_parent_class)->dispose (object);
}

static void
tw_prefs_window_class_init (TwPrefsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_prefs_window_dispose;
}

static void
tw_prefs_window_init (TwPrefsWindow *self)
{
}

/**
 * tw_prefs_window_new:
 * @application: (nullable): the application
 * @config: the config it edits
 * @daemon: the daemon, for live state and tests
 *
 * Returns: (transfer floating): a new preferences window
 */
TwPrefsWindow *
tw_prefs_window_new (GtkApplication *application,
                     TwConfig       *config,
                     TwPrefsDaemon  *daemon)
{
  TwPrefsWindow *self;
  GtkWidget *outer;
  GtkWidget *body;
  GtkWidget *sidebar;

  g_return_val_if_fail (TW_IS_CONFIG (config), NULL);
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (daemon), NULL);

  self = g_object_new (TW_TYPE_PREFS_WINDOW, "application", application, NULL);
  self->config = g_object_ref (config);
  self->daemon = g_object_ref (daemon);

  gtk_window_set_title (GTK_WINDOW (self), _("Trainwatch Preferences"));
  gtk_window_set_icon_name (GTK_WINDOW (self), APP_ID);
  /* Fits a 1280×800 screen with a panel; every page scrolls. */
  gtk_window_set_default_size (GTK_WINDOW (self), 900, 660);

  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  self->problems = gtk_label_new (NULL);
  gtk_widget_set_name (self->problems, "config-problems");
  gtk_label_set_wrap (GTK_LABEL (self->problems), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->problems), 0);
  gtk_widget_add_css_class (self->problems, "error");
  gtk_widget_set_margin_start (self->problems, 12);
  gtk_widget_set_margin_end (self->problems, 12);
  gtk_widget_set_margin_top (self->problems, 6);
  gtk_widget_set_margin_bottom (self->problems, 6);
  gtk_box_append (GTK_BOX (outer), self->problems);

  body = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  self->stack = gtk_stack_new ();
  gtk_stack_set_transition_type (GTK_STACK (self->stack), GTK_STACK_TRANSITION_TYPE_NONE);
  sidebar = gtk_stack_sidebar_new ();
  gtk_stack_sidebar_set_stack (GTK_STACK_SIDEBAR (sidebar), GTK_STACK (self->stack));
  gtk_widget_set_size_request (sidebar, 170, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sidebar), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Pages"), -1);
  gtk_box_append (GTK_BOX (body), sidebar);
  gtk_box_append (GTK_BOX (body), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (body), self->stack);
  gtk_widget_set_vexpand (body, TRUE);
  gtk_box_append (GTK_BOX (outer), body);
  gtk_window_set_child (GTK_WINDOW (self), outer);

  add_page (self, tw_prefs_general_page_new (config, daemon), "general", _("General"));
  add_page (self, tw_prefs_watches_page_new (config, daemon), "watches", _("Watches"));
  add_page (self, tw_prefs_notifications_page_new (config, daemon), "notifications", _("Notifications"));
  add_page (self, tw_prefs_email_page_new (config, daemon), "email", _("Email"));
  add_page (self, tw_prefs_webhook_page_new (config, daemon, "slack"), "slack", _("Slack"));
  add_page (self, tw_prefs_webhook_page_new (config, daemon, "discord"), "discord", _("Discord"));

  update_problems (self);
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), self);

  return self;
}

/**
 * tw_prefs_window_get_stack:
 * @self: a #TwPrefsWindow
 *
 * Returns: (transfer none): the stack of pages (general, watches,
 *   notifications, email, slack, discord)
 */
GtkStack *
tw_prefs_window_get_stack (TwPrefsWindow *self)
{
  g_return_val_if_fail (TW_IS_PREFS_WINDOW (self), NULL);

  return GTK_STACK (self->stack);
}
