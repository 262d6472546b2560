/* trainwatch-tray.c — the tray icon: shows the daemon's menu and state, and holds no logic
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A StatusNotifierItem through libayatana-appindicator3, which links GTK 3,
 * so it lives apart from the daemon (DESIGN.md). Its menu is the daemon's
 * exported GMenuModel, shown with gtk_menu_new_from_model() over the
 * daemon's actions (GDBusActionGroup, prefix "app"). Icon, status, label and
 * title come from the daemon's io.github.trainwatch.Trainwatch.Overview
 * properties, read asynchronously and followed through PropertiesChanged;
 * a daemon without that interface leaves the idle icon. Opening the menu
 * calls app.seen. The program exits when the daemon's bus name goes away.
 * The panel restarting needs nothing from here: libayatana registers the
 * item again when a StatusNotifierWatcher comes back.
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <libayatana-appindicator/app-indicator.h>
#include <libdbusmenu-gtk/parser.h>
#include <locale.h>
#include <string.h>

#define OVERVIEW_INTERFACE APP_ID ".Overview"
#define MENU_PATH DAEMON_OBJECT_PATH "/menu"
#define DBUSMENU_INTERFACE "com.canonical.dbusmenu"
#define ICON_IDLE APP_ID "-idle"
#define ICON_RUNNING APP_ID "-running"
#define ICON_ATTENTION APP_ID "-attention"
/* Hosts say "the menu opens" in more than one way: one app.seen for them all. */
#define SEEN_DEBOUNCE_USEC (G_USEC_PER_SEC / 2)
/* When set and not empty: where the translations are, instead of LOCALEDIR. */
#define LOCALEDIR_ENV "TRAINWATCH_LOCALEDIR"

/* An AppIndicator that never falls back to a GtkStatusIcon (XEmbed) while no
 * StatusNotifierWatcher is on the bus, as between a panel's exit and its
 * restart: the daemon starts the tray only under such a panel, the item
 * registers again by itself, and GTK 3's status icon leaks at every fallback. */
typedef struct
{
  AppIndicator parent_instance;
} TwTrayIndicator;

typedef struct
{
  AppIndicatorClass parent_class;
} TwTrayIndicatorClass;

GType tw_tray_indicator_get_type (void);

G_DEFINE_TYPE (TwTrayIndicator, tw_tray_indicator, APP_INDICATOR_TYPE)

static void
tw_tray_indicator_class_init (TwTrayIndicatorClass *klass)
{
  AppIndicatorClass *indicator_class = APP_INDICATOR_CLASS (klass);

  indicator_class->fallback = NULL;
  indicator_class->unfallback = NULL;
}

static void
tw_tray_indicator_init (TwTrayIndicator *self)
{
}

typedef struct
{
  GDBusConnection  *connection;
  guint             watch_id;
  guint             filter_id;
  guint             sigterm_id;
  guint             sigint_id;
  gboolean          daemon_appeared;
  int               exit_status;

  GCancellable     *cancellable;
  GDBusActionGroup *actions;
  GDBusMenuModel   *model;
  GtkWidget        *menu;
  AppIndicator     *indicator;
  GDBusProxy       *overview;
  gint64            last_seen;
} Tray;

static char *
dup_string_property (Tray       *tray,
                     const char *name)
{
  g_autoptr(GVariant) value = NULL;

  if (tray->overview != NULL)
    value = g_dbus_proxy_get_cached_property (tray->overview, name);
  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return NULL;

  return g_variant_dup_string (value, NULL);
}

/* Icon, status, label and title from the daemon's overview. */
static void
apply_overview (Tray *tray)
{
  g_autofree char *status = dup_string_property (tray, "Status");
  g_autofree char *label = dup_string_property (tray, "Label");
  g_autofree char *tooltip = dup_string_property (tray, "Tooltip");

  if (g_strcmp0 (status, "attention") == 0)
    {
      app_indicator_set_status (tray->indicator, APP_INDICATOR_STATUS_ATTENTION);
    }
  else
    {
      if (g_strcmp0 (status, "running") == 0)
        app_indicator_set_icon_full (tray->indicator, ICON_RUNNING, _("Trainwatch: runs in progress"));
      else
        app_indicator_set_icon_full (tray->indicator, ICON_IDLE, _("Trainwatch: no runs in progress"));
      app_indicator_set_status (tray->indicator, APP_INDICATOR_STATUS_ACTIVE);
    }

  /* The guide is the widest label we show, so the panel does not jitter. */
  app_indicator_set_label (tray->indicator, label != NULL ? label : "", "100 %");
  app_indicator_set_title (tray->indicator, tooltip != NULL && *tooltip != '\0' ? tooltip : PACKAGE_NAME);
}

static void
overview_properties_changed_cb (GDBusProxy *proxy,
                                GVariant   *changed,
                                GStrv       invalidated,
                                gpointer    user_data)
{
  apply_overview (user_data);
}

static void
overview_ready_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusProxy *proxy = g_dbus_proxy_new_finish (result, &error);
  Tray *tray;

  if (proxy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Cannot follow the daemon's overview: %s", error->message);
      return;
    }

  tray = user_data;
  tray->overview = proxy;
  /* A daemon without the interface leaves the cache empty: the idle icon stays. */
  g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (overview_properties_changed_cb), tray);
  apply_overview (tray);
}

static gboolean
menu_opened_cb (gpointer user_data)
{
  Tray *tray = user_data;
  gint64 now = g_get_monotonic_time ();

  if (tray->actions == NULL || now - tray->last_seen < SEEN_DEBOUNCE_USEC)
    return G_SOURCE_REMOVE;
  tray->last_seen = now;

  /* Only a daemon that has it: an unknown action is not worth an error. */
  if (g_action_group_has_action (G_ACTION_GROUP (tray->actions), "seen"))
    g_action_group_activate_action (G_ACTION_GROUP (tray->actions), "seen", NULL);

  return G_SOURCE_REMOVE;
}

/* Whether @message is a host telling our dbusmenu that its root menu opens. */
static gboolean
is_menu_opening (GDBusMessage *message)
{
  const char *member = g_dbus_message_get_member (message);
  GVariant *body = g_dbus_message_get_body (message);

  if (body == NULL)
    return FALSE;

  if (g_strcmp0 (member, "AboutToShow") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(i)")))
    {
      gint32 id;

      g_variant_get (body, "(i)", &id);
      return id == 0;
    }
  if (g_strcmp0 (member, "AboutToShowGroup") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(ai)")))
    {
      g_autoptr(GVariant) ids = g_variant_get_child_value (body, 0);
      gsize n = 0;
      const gint32 *id = g_variant_get_fixed_array (ids, &n, sizeof (gint32));

      for (gsize i = 0; i < n; i++)
        if (id[i] == 0)
          return TRUE;
      return FALSE;
    }
  if (g_strcmp0 (member, "Event") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(isvu)")))
    {
      gint32 id;
      const char *name;

      g_variant_get (body, "(i&svu)", &id, &name, NULL, NULL);
      return id == 0 && g_str_equal (name, "opened");
    }
  if (g_strcmp0 (member, "EventGroup") == 0 && g_variant_is_of_type (body, G_VARIANT_TYPE ("(a(isvu))")))
    {
      g_autoptr(GVariantIter) iter = NULL;
      gint32 id;
      const char *name;

      g_variant_get (body, "(a(isvu))", &iter);
      while (g_variant_iter_next (iter, "(i&svu)", &id, &name, NULL, NULL))
        if (id == 0 && g_str_equal (name, "opened"))
          return TRUE;
      return FALSE;
    }

  return FALSE;
}

/* In GDBus's worker thread. libayatana's dbusmenu server reports no opening
 * of the root menu to the GtkMenu, so the calls themselves are watched (the
 * dbusmenu protocol, as every host speaks it); they pass on unchanged. */
static GDBusMessage *
dbusmenu_filter (GDBusConnection *connection,
                 GDBusMessage    *message,
                 gboolean         incoming,
                 gpointer         user_data)
{
  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_interface (message), DBUSMENU_INTERFACE) == 0 && is_menu_opening (message))
    g_main_context_invoke (NULL, menu_opened_cb, user_data);

  return message;
}

static void watch_shell (GtkWidget *shell);

/* GTK 3 makes every row of a model's menu a GtkCheckMenuItem, which the
 * dbusmenu parser exports with a "toggle-type": hosts would draw a checkbox
 * beside each row. The menu has no toggles, so that goes, row by row as the
 * rows come (the parser made each one's dbusmenu item just before). */
static void
untoggle_item (GtkWidget *widget,
               gpointer   user_data)
{
  DbusmenuMenuitem *item = dbusmenu_gtk_parse_get_cached_item (widget);
  GtkWidget *submenu = GTK_IS_MENU_ITEM (widget) ? gtk_menu_item_get_submenu (GTK_MENU_ITEM (widget)) : NULL;

  if (item != NULL)
    {
      dbusmenu_menuitem_property_remove (item, DBUSMENU_MENUITEM_PROP_TOGGLE_TYPE);
      dbusmenu_menuitem_property_remove (item, DBUSMENU_MENUITEM_PROP_TOGGLE_STATE);
    }
  if (submenu != NULL)
    watch_shell (submenu);
}

static void
shell_insert_cb (GtkMenuShell *shell,
                 GtkWidget    *child,
                 int           position,
                 gpointer      user_data)
{
  untoggle_item (child, NULL);
}

static void
watch_shell (GtkWidget *shell)
{
  if (g_object_get_data (G_OBJECT (shell), "tw-tray-watched") == NULL)
    {
      g_object_set_data (G_OBJECT (shell), "tw-tray-watched", GINT_TO_POINTER (TRUE));
      /* after the parser's own handler, which makes the row's dbusmenu item */
      g_signal_connect_after (shell, "insert", G_CALLBACK (shell_insert_cb), NULL);
    }
  gtk_container_foreach (GTK_CONTAINER (shell), untoggle_item, NULL);
}

static void
show_daemon (Tray       *tray,
             const char *owner)
{
  tray->actions = g_dbus_action_group_get (tray->connection, owner, DAEMON_OBJECT_PATH);
  tray->model = g_dbus_menu_model_get (tray->connection, owner, MENU_PATH);
  tray->menu = g_object_ref_sink (gtk_menu_new_from_model (G_MENU_MODEL (tray->model)));
  gtk_widget_insert_action_group (tray->menu, "app", G_ACTION_GROUP (tray->actions));

  tray->indicator = g_object_new (tw_tray_indicator_get_type (), "id", APP_ID, "category", "ApplicationStatus",
                                  "icon-name", ICON_IDLE, NULL);
  app_indicator_set_attention_icon_full (tray->indicator, ICON_ATTENTION, _("Trainwatch: a run needs attention"));
  app_indicator_set_menu (tray->indicator, GTK_MENU (tray->menu));
  watch_shell (tray->menu);
  apply_overview (tray);

  tray->filter_id = g_dbus_connection_add_filter (tray->connection, dbusmenu_filter, tray, NULL);
  g_dbus_proxy_new (tray->connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL, owner, DAEMON_OBJECT_PATH,
                    OVERVIEW_INTERFACE, tray->cancellable, overview_ready_cb, tray);
}

static void
daemon_appeared_cb (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  Tray *tray = user_data;

  if (tray->daemon_appeared)
    return;
  tray->daemon_appeared = TRUE;
  g_debug ("Showing the daemon %s", owner);
  show_daemon (tray, owner);
}

static void
daemon_vanished_cb (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  Tray *tray = user_data;

  if (!tray->daemon_appeared)
    {
      g_printerr (_("Trainwatch is not running: the tray icon shows the daemon’s runs and has nothing to "
                    "show without it.\n"));
      tray->exit_status = 1;
    }
  else
    {
      g_debug ("The daemon left the bus");
    }
  gtk_main_quit ();
}

static gboolean
signal_quit_cb (gpointer user_data)
{
  gtk_main_quit ();
  return G_SOURCE_CONTINUE;
}

static void
tray_clear (Tray *tray)
{
  g_cancellable_cancel (tray->cancellable);
  g_clear_handle_id (&tray->sigterm_id, g_source_remove);
  g_clear_handle_id (&tray->sigint_id, g_source_remove);
  g_clear_handle_id (&tray->watch_id, g_bus_unwatch_name);
  if (tray->filter_id != 0)
    g_dbus_connection_remove_filter (tray->connection, tray->filter_id);
  tray->filter_id = 0;
  if (tray->overview != NULL)
    g_signal_handlers_disconnect_by_data (tray->overview, tray);
  g_clear_object (&tray->overview);
  /* Dropping the indicator takes the item off the panel. */
  g_clear_object (&tray->indicator);
  if (tray->menu != NULL)
    gtk_widget_destroy (tray->menu);
  g_clear_object (&tray->menu);
  g_clear_object (&tray->model);
  g_clear_object (&tray->actions);
  g_clear_object (&tray->cancellable);
  g_clear_object (&tray->connection);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  Tray tray = { 0 };
  const char *localedir = g_getenv (LOCALEDIR_ENV);

  /* The tests read the translations the build made, from the build folder. */
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("trainwatch-tray");
  g_set_application_name (PACKAGE_NAME);

  if (!gtk_init_check (&argc, &argv))
    {
      g_printerr (_("The tray icon cannot start: no display.\n"));
      return 1;
    }

  tray.connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (tray.connection == NULL)
    {
      g_printerr (_("The tray icon cannot reach the session bus: %s\n"), error->message);
      return 1;
    }

  tray.cancellable = g_cancellable_new ();
  tray.sigterm_id = g_unix_signal_add (SIGTERM, signal_quit_cb, &tray);
  tray.sigint_id = g_unix_signal_add (SIGINT, signal_quit_cb, &tray);
  tray.watch_id = g_bus_watch_name_on_connection (tray.connection, DAEMON_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                  daemon_appeared_cb, daemon_vanished_cb, &tray, NULL);

  gtk_main ();

  tray_clear (&tray);
  return tray.exit_status;
}
