/* tw-launcher.c — progress, a count and urgency on the dock's icon (Unity LauncherEntry)
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Docks (Plank, Dash to Dock, KDE Plasma's task manager, …) listen for the
 * com.canonical.Unity.LauncherEntry Update signal: an application:// URI
 * naming a desktop file, and properties for its icon. We send the overview's
 * mean progress, the number of running runs and urgency while a failure is
 * unseen, from the long-lived daemon (a dock drops an entry whose sender left
 * the bus). The overview already throttles its changes; an Update goes out
 * only when what the dock shows changes. A dock that starts later gets the
 * state when it takes the com.canonical.Unity name, and may ask with Query.
 * On exit a last Update hides everything.
 */
#include "config.h"

#include "tw-launcher.h"

#include <glib/gi18n.h>

/* Docks that implement the API own this name. */
#define UNITY_NAME "com.canonical.Unity"

/* What a dock shows: the properties of an Update, before they become a{sv}. */
typedef struct
{
  double   progress;
  gboolean progress_visible;
  gint64   count;
  gboolean count_visible;
  gboolean urgent;
} Shown;

struct _TwLauncher
{
  GObject          parent_instance;

  TwOverview      *overview;
  GDBusConnection *connection;
  char            *app_uri;
  char            *object_path;
  guint            registration_id;
  guint            watch_id;
  gboolean         enabled;
  gboolean         cleared;     /* shows nothing from now on */
  gboolean         have_sent;
  Shown            sent;        /* the last Update's, once have_sent */
  guint64          n_updates;
};

G_DEFINE_FINAL_TYPE (TwLauncher, tw_launcher, G_TYPE_OBJECT)

static const char introspection_xml[] =
  "<node>"
  "  <interface name='" TW_LAUNCHER_INTERFACE "'>"
  "    <method name='Query'>"
  "      <arg type='s' name='app_uri' direction='out'/>"
  "      <arg type='a{sv}' name='properties' direction='out'/>"
  "    </method>"
  "    <signal name='Update'>"
  "      <arg type='s' name='app_uri'/>"
  "      <arg type='a{sv}' name='properties'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* What the dock should show now. */
static void
compute_shown (TwLauncher *self,
               Shown      *shown)
{
  const TwOverviewState *state = NULL;

  if (self->enabled && !self->cleared && self->overview != NULL)
    state = tw_overview_get_state (self->overview);

  shown->progress = state != NULL && state->progress >= 0 ? state->progress : 0.0;
  shown->progress_visible = state != NULL && state->running > 0 && state->progress >= 0;
  shown->count = state != NULL ? state->running : 0;
  shown->count_visible = state != NULL && state->running > 0;
  shown->urgent = state != NULL && state->status == TW_OVERVIEW_ATTENTION;
}

static gboolean
shown_equal (const Shown *a,
             const Shown *b)
{
  return a->progress == b->progress && a->progress_visible == b->progress_visible &&
         a->count == b->count && a->count_visible == b->count_visible && a->urgent == b->urgent;
}

/* @shown as a new floating a{sv}. */
static GVariant *
build_properties (const Shown *shown)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "progress", g_variant_new_double (shown->progress));
  g_variant_builder_add (&builder, "{sv}", "progress-visible", g_variant_new_boolean (shown->progress_visible));
  g_variant_builder_add (&builder, "{sv}", "count", g_variant_new_int64 (shown->count));
  g_variant_builder_add (&builder, "{sv}", "count-visible", g_variant_new_boolean (shown->count_visible));
  g_variant_builder_add (&builder, "{sv}", "urgent", g_variant_new_boolean (shown->urgent));

  return g_variant_builder_end (&builder);
}

/* Sends an Update if what the dock shows changed, or in any case with @force.
 * The overview changes several times a second while runs write; building
 * the a{sv} only when it differs keeps that cheap. */
static void
send_update (TwLauncher *self,
             gboolean    force)
{
  g_autoptr(GError) error = NULL;
  Shown shown;

  if (self->connection == NULL)
    return;
  compute_shown (self, &shown);
  if (!force && self->have_sent && shown_equal (&self->sent, &shown))
    return;

  /* Queued on the connection: never waits for a dock. */
  if (!g_dbus_connection_emit_signal (self->connection, NULL, self->object_path, TW_LAUNCHER_INTERFACE, "Update",
                                      g_variant_new ("(s@a{sv})", self->app_uri, build_properties (&shown)),
                                      &error))
    {
      g_debug ("Failed to update the dock: %s", error->message);
      return;
    }

  self->sent = shown;
  self->have_sent = TRUE;
  self->n_updates++;
}

static void
overview_changed_cb (TwOverview *overview,
                     TwLauncher *self)
{
  send_update (self, FALSE);
}

/* A dock (re)started: it knows nothing of us yet. */
static void
unity_appeared_cb (GDBusConnection *connection,
                   const char      *name,
                   const char      *name_owner,
                   gpointer         user_data)
{
  send_update (TW_LAUNCHER (user_data), TRUE);
}

static void
handle_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  TwLauncher *self = user_data;

  if (g_str_equal (method_name, "Query"))
    {
      Shown shown;

      compute_shown (self, &shown);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(s@a{sv})", self->app_uri, build_properties (&shown)));
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No such method: %s", method_name);
}

static const GDBusInterfaceVTable interface_vtable = {
  handle_method_call,
  NULL,
  NULL,
  { 0 },
};

static void
tw_launcher_dispose (GObject *object)
{
  TwLauncher *self = TW_LAUNCHER (object);

  tw_launcher_clear (self);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (tw_launcher_parent_class)->dispose (object);
}

static void
tw_launcher_finalize (GObject *object)
{
  TwLauncher *self = TW_LAUNCHER (object);

  g_clear_pointer (&self->app_uri, g_free);
  g_clear_pointer (&self->object_path, g_free);

  G_OBJECT_CLASS (tw_launcher_parent_class)->finalize (object);
}

static void
tw_launcher_class_init (TwLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_launcher_dispose;
  object_class->finalize = tw_launcher_finalize;
}

static void
tw_launcher_init (TwLauncher *self)
{
  self->enabled = TRUE;
}

/**
 * tw_launcher_new:
 * @overview: the daemon's overview, whose changes the dock shows
 * @connection: the daemon's session bus connection
 * @desktop_id: the installed desktop file's id, e.g. "io.github.trainwatch.Trainwatch.desktop"
 * @error: return location for a #GError
 *
 * Starts showing @overview on the dock icon of @desktop_id: exports the
 * entry's Query method at /com/canonical/unity/launcherentry/N (N the URI's
 * hash, as libunity does) and sends Update signals from there.
 *
 * Returns: (transfer full) (nullable): the launcher entry, or %NULL with
 *   @error set when the object cannot be exported
 */
TwLauncher *
tw_launcher_new (TwOverview       *overview,
                 GDBusConnection  *connection,
                 const char       *desktop_id,
                 GError          **error)
{
  g_autoptr(TwLauncher) self = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  GClosure *appeared;

  g_return_val_if_fail (TW_IS_OVERVIEW (overview), NULL);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (desktop_id != NULL && g_str_has_suffix (desktop_id, ".desktop"), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (TW_TYPE_LAUNCHER, NULL);
  self->app_uri = g_strconcat ("application://", desktop_id, NULL);
  self->object_path = g_strdup_printf ("/com/canonical/unity/launcherentry/%u", g_str_hash (self->app_uri));

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return NULL;
  self->registration_id = g_dbus_connection_register_object (connection, self->object_path, info->interfaces[0],
                                                             &interface_vtable, self, NULL, error);
  if (self->registration_id == 0)
    {
      g_prefix_error (error, _("Cannot show progress on the dock: "));
      return NULL;
    }

  self->connection = g_object_ref (connection);
  self->overview = g_object_ref (overview);
  g_signal_connect (overview, "changed", G_CALLBACK (overview_changed_cb), self);
  /* The closure dies with us: a late callback cannot reach a freed launcher. */
  appeared = g_cclosure_new_object (G_CALLBACK (unity_appeared_cb), G_OBJECT (self));
  self->watch_id = g_bus_watch_name_on_connection_with_closures (connection, UNITY_NAME,
                                                                 G_BUS_NAME_WATCHER_FLAGS_NONE, appeared, NULL);

  return g_steal_pointer (&self);
}

/**
 * tw_launcher_get_app_uri:
 * @self: a #TwLauncher
 *
 * Returns: the entry's URI, "application://" and the desktop file's id
 */
const char *
tw_launcher_get_app_uri (TwLauncher *self)
{
  g_return_val_if_fail (TW_IS_LAUNCHER (self), NULL);

  return self->app_uri;
}

/**
 * tw_launcher_get_object_path:
 * @self: a #TwLauncher
 *
 * Returns: where the entry is exported and its Update signals come from
 */
const char *
tw_launcher_get_object_path (TwLauncher *self)
{
  g_return_val_if_fail (TW_IS_LAUNCHER (self), NULL);

  return self->object_path;
}

/**
 * tw_launcher_get_enabled:
 * @self: a #TwLauncher
 *
 * Returns: whether the dock shows the overview (the `dock-progress` setting)
 */
gboolean
tw_launcher_get_enabled (TwLauncher *self)
{
  g_return_val_if_fail (TW_IS_LAUNCHER (self), FALSE);

  return self->enabled;
}

/**
 * tw_launcher_set_enabled:
 * @self: a #TwLauncher
 * @enabled: whether the dock shows the overview
 *
 * Switches the dock's progress, count and urgency on or off; off hides them
 * at once (Query then answers them hidden).
 */
void
tw_launcher_set_enabled (TwLauncher *self,
                         gboolean    enabled)
{
  g_return_if_fail (TW_IS_LAUNCHER (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  send_update (self, FALSE);
}

/**
 * tw_launcher_dup_properties:
 * @self: a #TwLauncher
 *
 * Returns: (transfer full): what the dock should show now, as Query answers
 *   it: `progress` (d), `progress-visible` (b), `count` (x), `count-visible`
 *   (b) and `urgent` (b)
 */
GVariant *
tw_launcher_dup_properties (TwLauncher *self)
{
  Shown shown;

  g_return_val_if_fail (TW_IS_LAUNCHER (self), NULL);

  compute_shown (self, &shown);
  return g_variant_ref_sink (build_properties (&shown));
}

/**
 * tw_launcher_get_n_updates:
 * @self: a #TwLauncher
 *
 * Returns: how many Update signals were sent
 */
guint64
tw_launcher_get_n_updates (TwLauncher *self)
{
  g_return_val_if_fail (TW_IS_LAUNCHER (self), 0);

  return self->n_updates;
}

/**
 * tw_launcher_clear:
 * @self: a #TwLauncher
 *
 * Hides everything on the dock icon with a last Update and stops: the
 * daemon calls it as it quits. The Update is queued on the connection, which
 * the application flushes before it exits.
 */
void
tw_launcher_clear (TwLauncher *self)
{
  g_return_if_fail (TW_IS_LAUNCHER (self));

  if (self->cleared)
    return;

  self->cleared = TRUE;
  send_update (self, TRUE);

  if (self->overview != NULL)
    g_signal_handlers_disconnect_by_data (self->overview, self);
  g_clear_object (&self->overview);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
}

/**
 * tw_launcher_add_json:
 * @self: a #TwLauncher
 * @builder: a #JsonBuilder where a value may be added
 *
 * Adds the entry as one object: `enabled`, `app_uri`, `object_path`,
 * `updates` (Update signals sent) and `properties` (what the dock shows now).
 */
void
tw_launcher_add_json (TwLauncher  *self,
                      JsonBuilder *builder)
{
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (TW_IS_LAUNCHER (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  properties = tw_launcher_dup_properties (self);
  node = json_gvariant_serialize (properties);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, self->enabled);
  json_builder_set_member_name (builder, "app_uri");
  json_builder_add_string_value (builder, self->app_uri);
  json_builder_set_member_name (builder, "object_path");
  json_builder_add_string_value (builder, self->object_path);
  json_builder_set_member_name (builder, "updates");
  json_builder_add_int_value (builder, (gint64) self->n_updates);
  json_builder_set_member_name (builder, "properties");
  json_builder_add_value (builder, g_steal_pointer (&node));
  json_builder_end_object (builder);
}
