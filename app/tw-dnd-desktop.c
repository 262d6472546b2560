/* tw-dnd-desktop.c — the desktop's own Do Not Disturb, followed live
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each desktop keeps its Do Not Disturb in its own place:
 *
 * - GNOME (`show-banners` off), MATE (`do-not-disturb`) and Cinnamon
 *   (`display-notifications` off) in GSettings, each followed only when its
 *   schema is installed (g_settings_new() aborts on a missing one);
 * - KDE Plasma in the `Inhibited` property of its notification server, and
 *   dunst in its `paused` property, both on the notification server's bus
 *   name;
 * - XFCE in the `/do-not-disturb` property of xfconf's `xfce4-notifyd`
 *   channel, over xfconf's D-Bus API.
 *
 * Everything follows change signals; nothing polls. Every D-Bus call is
 * asynchronous, goes to the unique name of a server that is already running
 * (never starting one on demand) and is cancelled when the server goes, so
 * a hung notification server or xfconfd cannot block the daemon. Until the
 * first answers are in (or SETTLE_TIMEOUT_MS passed) the state is not
 * "settled".
 */
#include "config.h"

#include "tw-dnd-desktop.h"

/* How long the first answers of the desktop's servers are waited for. */
#define SETTLE_TIMEOUT_MS 3000

#define NOTIFICATIONS_NAME      "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH      "/org/freedesktop/Notifications"
#define NOTIFICATIONS_INTERFACE "org.freedesktop.Notifications"
#define DUNST_INTERFACE         "org.dunstproject.cmd0"
#define XFCONF_NAME             "org.xfce.Xfconf"
#define XFCONF_PATH             "/org/xfce/Xfconf"
#define XFCONF_INTERFACE        "org.xfce.Xfconf"
#define XFCONF_CHANNEL          "xfce4-notifyd"
#define XFCONF_PROPERTY         "/do-not-disturb"
#define PROPERTIES_INTERFACE    "org.freedesktop.DBus.Properties"

/* The names `status --json` gives them; stable. */
static const char * const source_ids[TW_DND_DESKTOP_N_SOURCES] = {
  [TW_DND_DESKTOP_GNOME] = "gnome",
  [TW_DND_DESKTOP_KDE] = "kde",
  [TW_DND_DESKTOP_XFCE] = "xfce",
  [TW_DND_DESKTOP_DUNST] = "dunst",
  [TW_DND_DESKTOP_MATE] = "mate",
  [TW_DND_DESKTOP_CINNAMON] = "cinnamon",
};

/* A desktop's Do Not Disturb kept in GSettings. */
typedef struct
{
  TwDndDesktopSource  source;
  const char         *schema;
  const char         *key;
  gboolean            on_when;   /* the key's value that means notifications are held */
} SettingsSource;

static const SettingsSource settings_sources[] = {
  { TW_DND_DESKTOP_GNOME, "org.gnome.desktop.notifications", "show-banners", FALSE },
  { TW_DND_DESKTOP_MATE, "org.mate.NotificationDaemon", "do-not-disturb", TRUE },
  { TW_DND_DESKTOP_CINNAMON, "org.cinnamon.desktop.notifications", "display-notifications", FALSE },
};

/* A D-Bus server followed while it owns its well-known name. */
typedef struct
{
  TwDndDesktop *dnd;
  const char   *name;
  guint         watch_id;
  char         *owner;          /* unique name, nullable */
  GCancellable *cancellable;    /* of the calls to this owner */
  guint         subscriptions[2];
  gboolean      first_seen;     /* the watch has reported once */
  guint         initial_calls;  /* calls in flight that count for settling */
} Server;

struct _TwDndDesktop
{
  GObject          parent_instance;

  GDBusConnection *connection;
  gboolean         started;
  gboolean         on[TW_DND_DESKTOP_N_SOURCES];
  GSettings       *settings[G_N_ELEMENTS (settings_sources)];
  Server           notifications;
  Server           xfconf;

  guint            pending;       /* first answers not in yet */
  gboolean         settled;
  guint            settle_id;
};

G_DEFINE_FINAL_TYPE (TwDndDesktop, tw_dnd_desktop, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_source (TwDndDesktop       *self,
            TwDndDesktopSource  source,
            gboolean            on)
{
  if (self->on[source] == !!on)
    return;

  g_debug ("Do Not Disturb of %s is %s", source_ids[source], on ? "on" : "off");
  self->on[source] = !!on;
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
settle (TwDndDesktop *self)
{
  if (self->settled)
    return;

  g_clear_handle_id (&self->settle_id, g_source_remove);
  self->settled = TRUE;
  g_debug ("The desktop's Do Not Disturb is known");
  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
settle_timeout_cb (gpointer user_data)
{
  TwDndDesktop *self = user_data;

  self->settle_id = 0;
  g_debug ("Some desktop servers did not answer in time");
  settle (self);

  return G_SOURCE_REMOVE;
}

static void
begin_pending (TwDndDesktop *self)
{
  if (!self->settled)
    self->pending++;
}

static void
end_pending (TwDndDesktop *self)
{
  if (self->settled || self->pending == 0)
    return;

  if (--self->pending == 0)
    settle (self);
}

/* A pending call carries its server and whether it counts for settling;
 * it is cancelled (and then touches nothing) when the server goes, and the
 * server then stops waiting for it. */
typedef struct
{
  Server   *server;
  gboolean  initial;
} Call;

static Call *
call_new (Server *server)
{
  Call *call = g_new0 (Call, 1);

  call->server = server;
  call->initial = !server->dnd->settled;
  if (call->initial)
    {
      server->initial_calls++;
      begin_pending (server->dnd);
    }

  return call;
}

/* Finishes @res; returns NULL (and frees @call) when cancelled. */
static GVariant *
call_finish (Call          *call,
             GObject       *source,
             GAsyncResult  *res,
             GError       **error)
{
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, error);

  if (reply == NULL && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (call);
      return NULL;
    }

  return reply;
}

static void
call_done (Call *call)
{
  Server *server = call->server;
  gboolean initial = call->initial;

  g_free (call);
  if (initial && server->initial_calls > 0)
    {
      server->initial_calls--;
      end_pending (server->dnd);
    }
}

static gboolean
unpack_boolean (GVariant *value,
                gboolean *out)
{
  g_autoptr(GVariant) inner = NULL;

  if (value == NULL)
    return FALSE;

  inner = g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT) ? g_variant_get_variant (value)
                                                                : g_variant_ref (value);
  if (!g_variant_is_of_type (inner, G_VARIANT_TYPE_BOOLEAN))
    return FALSE;

  *out = g_variant_get_boolean (inner);
  return TRUE;
}

static void
server_call (Server              *server,
             const char          *path,
             const char          *interface,
             const char          *method,
             GVariant            *parameters,
             GAsyncReadyCallback  callback)
{
  /* To the unique name, never auto-starting; the default timeout, which
   * only delays the answer of a hung server, never the daemon. */
  g_dbus_connection_call (server->dnd->connection, server->owner, path, interface, method,
                          parameters, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          server->cancellable, callback, call_new (server));
}

/* The notification server: KDE Plasma's Inhibited, dunst's paused. */

/* The reply to a Get of the server's boolean property that @which follows; a server
 * without it counts as not holding notifications. */
static void
finish_get_boolean (Call               *call,
                    GObject            *source,
                    GAsyncResult       *res,
                    TwDndDesktopSource  which,
                    const char         *missing)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_finish (call, source, res, &error);
  g_autoptr(GVariant) value = NULL;
  gboolean on = FALSE;

  if (reply == NULL && error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (reply != NULL)
    {
      g_variant_get (reply, "(v)", &value);
      if (!unpack_boolean (value, &on))
        g_debug ("%s is not a boolean", missing);
    }
  else
    g_debug ("The notification server has no %s: %s", missing, error->message);

  set_source (call->server->dnd, which, on);
  call_done (call);
}

static void
get_inhibited_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  finish_get_boolean (user_data, source, res, TW_DND_DESKTOP_KDE, "KDE's Inhibited");
}

static void
get_paused_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  finish_get_boolean (user_data, source, res, TW_DND_DESKTOP_DUNST, "dunst's paused");
}

static void
get_notifications_property (Server     *server,
                            const char *interface,
                            const char *property)
{
  gboolean dunst = g_str_equal (interface, DUNST_INTERFACE);

  server_call (server, NOTIFICATIONS_PATH, PROPERTIES_INTERFACE, "Get",
               g_variant_new ("(ss)", interface, property),
               dunst ? get_paused_cb : get_inhibited_cb);
}

static void
notifications_properties_changed_cb (GDBusConnection *connection,
                                     const char      *sender,
                                     const char      *path,
                                     const char      *interface,
                                     const char      *signal,
                                     GVariant        *parameters,
                                     gpointer         user_data)
{
  Server *server = user_data;
  g_autoptr(GVariant) changed = NULL;
  g_autofree const char **invalidated = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *changed_interface;
  const char *property;
  TwDndDesktopSource source;
  gboolean on;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;

  g_variant_get (parameters, "(&s@a{sv}^a&s)", &changed_interface, &changed, &invalidated);
  if (g_str_equal (changed_interface, DUNST_INTERFACE))
    {
      source = TW_DND_DESKTOP_DUNST;
      property = "paused";
    }
  else if (g_str_equal (changed_interface, NOTIFICATIONS_INTERFACE))
    {
      source = TW_DND_DESKTOP_KDE;
      property = "Inhibited";
    }
  else
    return;

  value = g_variant_lookup_value (changed, property, G_VARIANT_TYPE_BOOLEAN);
  if (unpack_boolean (value, &on))
    set_source (server->dnd, source, on);
  else if (g_strv_contains (invalidated, property))
    get_notifications_property (server, changed_interface, property);
}

/* xfconf: xfce4-notifyd's /do-not-disturb. */

static void
xfconf_get_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_finish (call, source, res, &error);
  g_autoptr(GVariant) value = NULL;
  gboolean on = FALSE;

  if (reply == NULL && error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE ("(v)")))
    {
      g_variant_get (reply, "(v)", &value);
      if (!unpack_boolean (value, &on))
        g_debug ("xfconf's %s is not a boolean", XFCONF_PROPERTY);
    }
  else if (error != NULL)
    g_debug ("xfconf has no %s: %s", XFCONF_PROPERTY, error->message);

  set_source (call->server->dnd, TW_DND_DESKTOP_XFCE, on);
  call_done (call);
}

static void
xfconf_property_cb (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Server *server = user_data;
  const char *channel;
  const char *property;
  g_autoptr(GVariant) value = NULL;
  gboolean on = FALSE;

  if (g_str_equal (signal, "PropertyChanged") &&
      g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    g_variant_get (parameters, "(&s&s@v)", &channel, &property, &value);
  else if (g_str_equal (signal, "PropertyRemoved") &&
           g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ss)")))
    g_variant_get (parameters, "(&s&s)", &channel, &property);
  else
    return;

  if (!g_str_equal (channel, XFCONF_CHANNEL) || !g_str_equal (property, XFCONF_PROPERTY))
    return;

  if (value != NULL && !unpack_boolean (value, &on))
    g_debug ("xfconf's %s is not a boolean", XFCONF_PROPERTY);
  set_source (server->dnd, TW_DND_DESKTOP_XFCE, on);
}

static void
server_forget_owner (Server *server)
{
  for (guint i = 0; i < G_N_ELEMENTS (server->subscriptions); i++)
    if (server->subscriptions[i] != 0)
      {
        g_dbus_connection_signal_unsubscribe (server->dnd->connection, server->subscriptions[i]);
        server->subscriptions[i] = 0;
      }
  if (server->cancellable != NULL)
    {
      g_cancellable_cancel (server->cancellable);
      g_clear_object (&server->cancellable);
    }
  g_clear_pointer (&server->owner, g_free);

  /* the cancelled calls will not answer */
  for (; server->initial_calls > 0; server->initial_calls--)
    end_pending (server->dnd);
}

static void
server_appeared_cb (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  Server *server = user_data;
  TwDndDesktop *self = server->dnd;
  gboolean first = !server->first_seen;

  server->first_seen = TRUE;
  if (g_strcmp0 (server->owner, owner) == 0)
    goto out;

  /* not settled between forgetting the old owner's calls and asking the new one */
  begin_pending (self);

  g_debug ("%s is owned by %s", name, owner);
  server_forget_owner (server);
  server->owner = g_strdup (owner);
  server->cancellable = g_cancellable_new ();

  /* Subscribed before asking, so that no change falls between the two. */
  if (server == &self->notifications)
    {
      server->subscriptions[0] =
        g_dbus_connection_signal_subscribe (connection, owner, PROPERTIES_INTERFACE,
                                            "PropertiesChanged", NOTIFICATIONS_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE,
                                            notifications_properties_changed_cb, server, NULL);
      get_notifications_property (server, NOTIFICATIONS_INTERFACE, "Inhibited");
      get_notifications_property (server, DUNST_INTERFACE, "paused");
    }
  else
    {
      server->subscriptions[0] =
        g_dbus_connection_signal_subscribe (connection, owner, XFCONF_INTERFACE, "PropertyChanged",
                                            XFCONF_PATH, XFCONF_CHANNEL, G_DBUS_SIGNAL_FLAGS_NONE,
                                            xfconf_property_cb, server, NULL);
      server->subscriptions[1] =
        g_dbus_connection_signal_subscribe (connection, owner, XFCONF_INTERFACE, "PropertyRemoved",
                                            XFCONF_PATH, XFCONF_CHANNEL, G_DBUS_SIGNAL_FLAGS_NONE,
                                            xfconf_property_cb, server, NULL);
      server_call (server, XFCONF_PATH, XFCONF_INTERFACE, "GetProperty",
                   g_variant_new ("(ss)", XFCONF_CHANNEL, XFCONF_PROPERTY), xfconf_get_cb);
    }
  end_pending (self);

out:
  if (first)
    end_pending (self);
}

static void
server_vanished_cb (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  Server *server = user_data;
  TwDndDesktop *self = server->dnd;
  gboolean first = !server->first_seen;

  server->first_seen = TRUE;
  if (server->owner != NULL)
    g_debug ("%s has no owner any more", name);
  server_forget_owner (server);

  /* A server that is gone holds nothing. */
  if (server == &self->notifications)
    {
      set_source (self, TW_DND_DESKTOP_KDE, FALSE);
      set_source (self, TW_DND_DESKTOP_DUNST, FALSE);
    }
  else
    set_source (self, TW_DND_DESKTOP_XFCE, FALSE);

  if (first)
    end_pending (self);
}

static void
server_start (TwDndDesktop *self,
              Server     *server,
              const char *name)
{
  server->dnd = self;
  server->name = name;
  begin_pending (self);
  server->watch_id = g_bus_watch_name_on_connection (self->connection, name,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     server_appeared_cb, server_vanished_cb, server,
                                                     NULL);
}

static void
server_stop (Server *server)
{
  if (server->dnd == NULL)
    return;

  g_clear_handle_id (&server->watch_id, g_bus_unwatch_name);
  server_forget_owner (server);
}

/* GSettings: GNOME, MATE, Cinnamon. */

static void
settings_changed_cb (GSettings  *settings,
                     const char *key,
                     TwDndDesktop *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings_sources); i++)
    if (self->settings[i] == settings)
      {
        const SettingsSource *source = &settings_sources[i];

        set_source (self, source->source,
                    g_settings_get_boolean (settings, source->key) == source->on_when);
      }
}

static void
start_settings (TwDndDesktop *self)
{
  GSettingsSchemaSource *schemas = g_settings_schema_source_get_default ();

  /* g_settings_new() aborts on a schema that is not installed: look first. */
  for (guint i = 0; schemas != NULL && i < G_N_ELEMENTS (settings_sources); i++)
    {
      const SettingsSource *source = &settings_sources[i];
      g_autoptr(GSettingsSchema) schema = NULL;
      g_autoptr(GSettingsSchemaKey) key = NULL;
      g_autofree char *signal = NULL;

      schema = g_settings_schema_source_lookup (schemas, source->schema, TRUE);
      if (schema == NULL || !g_settings_schema_has_key (schema, source->key))
        {
          g_debug ("No GSettings schema %s with %s", source->schema, source->key);
          continue;
        }
      key = g_settings_schema_get_key (schema, source->key);
      if (!g_variant_type_equal (g_settings_schema_key_get_value_type (key),
                                 G_VARIANT_TYPE_BOOLEAN))
        continue;

      self->settings[i] = g_settings_new_full (schema, NULL, NULL);
      signal = g_strconcat ("changed::", source->key, NULL);
      g_signal_connect (self->settings[i], signal, G_CALLBACK (settings_changed_cb), self);
      self->on[source->source] =
        g_settings_get_boolean (self->settings[i], source->key) == source->on_when;
      g_debug ("Following %s %s: Do Not Disturb %s", source->schema, source->key,
               self->on[source->source] ? "on" : "off");
    }
}

static void
tw_dnd_desktop_dispose (GObject *object)
{
  TwDndDesktop *self = TW_DND_DESKTOP (object);

  /* nothing to wait for or to tell any more */
  self->settled = TRUE;
  g_clear_handle_id (&self->settle_id, g_source_remove);
  server_stop (&self->notifications);
  server_stop (&self->xfconf);
  for (guint i = 0; i < G_N_ELEMENTS (self->settings); i++)
    {
      if (self->settings[i] != NULL)
        g_signal_handlers_disconnect_by_data (self->settings[i], self);
      g_clear_object (&self->settings[i]);
    }
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (tw_dnd_desktop_parent_class)->dispose (object);
}

static void
tw_dnd_desktop_class_init (TwDndDesktopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_dnd_desktop_dispose;

  /**
   * TwDndDesktop::changed:
   *
   * Emitted when a desktop's Do Not Disturb goes on or off, and once when
   * the first answers are in (settled).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_dnd_desktop_init (TwDndDesktop *self)
{
}

/**
 * tw_dnd_desktop_new:
 *
 * Returns: (transfer full): a follower of the desktop's Do Not Disturb,
 *   following nothing until tw_dnd_desktop_start()
 */
TwDndDesktop *
tw_dnd_desktop_new (void)
{
  return g_object_new (TW_TYPE_DND_DESKTOP, NULL);
}

/**
 * tw_dnd_desktop_start:
 * @self: a #TwDndDesktop
 * @connection: (nullable): the session bus, or %NULL to follow no D-Bus server
 *
 * Starts following: the GSettings keys of the desktops whose schemas are
 * installed at once, the notification server and xfconf as they answer.
 * "changed" is emitted once everything answered (or a few seconds passed),
 * and on every change after that.
 */
void
tw_dnd_desktop_start (TwDndDesktop    *self,
                      GDBusConnection *connection)
{
  g_return_if_fail (TW_IS_DND_DESKTOP (self));
  g_return_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  start_settings (self);

  /* One for the start itself, so that answers arriving during it cannot settle early. */
  begin_pending (self);
  if (connection != NULL)
    {
      self->connection = g_object_ref (connection);
      server_start (self, &self->notifications, NOTIFICATIONS_NAME);
      server_start (self, &self->xfconf, XFCONF_NAME);
      self->settle_id = g_timeout_add (SETTLE_TIMEOUT_MS, settle_timeout_cb, self);
    }
  end_pending (self);
}

/**
 * tw_dnd_desktop_is_on:
 * @self: a #TwDndDesktop
 * @source: a desktop
 *
 * Returns: whether that desktop's Do Not Disturb is on
 */
gboolean
tw_dnd_desktop_is_on (TwDndDesktop       *self,
                      TwDndDesktopSource  source)
{
  g_return_val_if_fail (TW_IS_DND_DESKTOP (self), FALSE);
  g_return_val_if_fail (source < TW_DND_DESKTOP_N_SOURCES, FALSE);

  return self->on[source];
}

/**
 * tw_dnd_desktop_is_settled:
 * @self: a #TwDndDesktop
 *
 * Returns: whether the desktop's servers have answered (or were given up
 *   on), so that tw_dnd_desktop_is_on() tells the whole story
 */
gboolean
tw_dnd_desktop_is_settled (TwDndDesktop *self)
{
  g_return_val_if_fail (TW_IS_DND_DESKTOP (self), FALSE);

  return self->settled;
}

/**
 * tw_dnd_desktop_source_to_string:
 * @source: a desktop
 *
 * Returns: its stable name: `gnome`, `kde`, `xfce`, `dunst`, `mate` or `cinnamon`
 */
const char *
tw_dnd_desktop_source_to_string (TwDndDesktopSource source)
{
  g_return_val_if_fail (source < TW_DND_DESKTOP_N_SOURCES, NULL);

  return source_ids[source];
}
