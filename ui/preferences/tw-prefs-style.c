/* tw-prefs-style.c — follows the desktop's light or dark preference
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 without libadwaita does not read the desktop's colour scheme by
 * itself: it only has the gtk-application-prefer-dark-theme setting. The
 * preference comes from the settings portal's org.freedesktop.appearance
 * color-scheme (1 = prefer dark), read asynchronously and followed through
 * SettingChanged; without a portal, from GNOME's own color-scheme key when
 * its schema is installed.
 */
#include "config.h"

#include "tw-prefs-style.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define PORTAL_SETTINGS "org.freedesktop.portal.Settings"
#define APPEARANCE "org.freedesktop.appearance"

struct _TwPrefsStyle
{
  GObject          parent_instance;

  GDBusConnection *connection;
  guint            changed_id;
  GCancellable    *cancellable;
  GSettings       *gnome;         /* nullable: only without a portal */
  gboolean         dark;
};

G_DEFINE_FINAL_TYPE (TwPrefsStyle, tw_prefs_style, G_TYPE_OBJECT)

static void
set_dark (TwPrefsStyle *self,
          gboolean      dark)
{
  GtkSettings *settings = gtk_settings_get_default ();

  self->dark = dark;
  if (settings != NULL)
    g_object_set (settings, "gtk-application-prefer-dark-theme", dark, NULL);
}

/* The portal wraps the value in one or two variants, by version. */
static void
apply_portal_value (TwPrefsStyle *self,
                    GVariant     *value)
{
  g_autoptr(GVariant) inner = g_variant_ref (value);

  while (g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *next = g_variant_get_variant (inner);

      g_variant_unref (inner);
      inner = next;
    }
  if (g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    set_dark (self, g_variant_get_uint32 (inner) == 1);
}

static void
gnome_changed_cb (GSettings  *settings,
                  const char *key,
                  gpointer    user_data)
{
  g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");

  set_dark (user_data, g_str_equal (scheme, "prefer-dark"));
}

static void
follow_gnome (TwPrefsStyle *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return;

  self->gnome = g_settings_new_full (schema, NULL, NULL);
  g_signal_connect (self->gnome, "changed::color-scheme", G_CALLBACK (gnome_changed_cb), self);
  gnome_changed_cb (self->gnome, "color-scheme", self);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  TwPrefsStyle *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  if (reply == NULL)
    {
      g_debug ("No colour scheme from the settings portal: %s", error->message);
      follow_gnome (self);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  apply_portal_value (self, value);
}

static void
setting_changed_cb (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  const char *namespace;
  const char *key;
  g_autoptr(GVariant) value = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (parameters, "(&s&sv)", &namespace, &key, &value);
  if (g_str_equal (namespace, APPEARANCE) && g_str_equal (key, "color-scheme"))
    apply_portal_value (user_data, value);
}

static void
tw_prefs_style_dispose (GObject *object)
{
  TwPrefsStyle *self = TW_PREFS_STYLE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->changed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->changed_id);
  self->changed_id = 0;
  g_clear_object (&self->connection);
  if (self->gnome != NULL)
    g_signal_handlers_disconnect_by_data (self->gnome, self);
  g_clear_object (&self->gnome);

  G_OBJECT_CLASS (tw_prefs_style_parent_class)->dispose (object);
}

static void
tw_prefs_style_class_init (TwPrefsStyleClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = tw_prefs_style_dispose;
}

static void
tw_prefs_style_init (TwPrefsStyle *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * tw_prefs_style_new:
 * @connection: (nullable): the session bus
 *
 * Starts following the desktop's colour scheme; GTK must be initialised.
 *
 * Returns: (transfer full): a new #TwPrefsStyle
 */
TwPrefsStyle *
tw_prefs_style_new (GDBusConnection *connection)
{
  TwPrefsStyle *self = g_object_new (TW_TYPE_PREFS_STYLE, NULL);

  if (connection == NULL)
    {
      follow_gnome (self);
      return self;
    }

  self->connection = g_object_ref (connection);
  self->changed_id = g_dbus_connection_signal_subscribe (connection, PORTAL_NAME, PORTAL_SETTINGS, "SettingChanged",
                                                         PORTAL_PATH, APPEARANCE, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         setting_changed_cb, self, NULL);
  g_dbus_connection_call (connection, PORTAL_NAME, PORTAL_PATH, PORTAL_SETTINGS, "Read",
                          g_variant_new ("(ss)", APPEARANCE, "color-scheme"), G_VARIANT_TYPE ("(v)"),
                          G_DBUS_CALL_FLAGS_NONE, 5000, self->cancellable, read_cb, self);

  return self;
}

/**
 * tw_prefs_style_get_dark:
 * @self: a #TwPrefsStyle
 *
 * Returns: whether the desktop prefers dark, as far as known
 */
gboolean
tw_prefs_style_get_dark (TwPrefsStyle *self)
{
  g_return_val_if_fail (TW_IS_PREFS_STYLE (self), FALSE);

  return self->dark;
}
