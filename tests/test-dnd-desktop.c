/* test-dnd-desktop.c — following the desktop's Do Not Disturb: dunst, Xfce, Plasma, GSettings
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "tw-dnd.h"
#include "tw-test-desktop.h"
#include "tw-test-util.h"

#define WAIT_MS 20000

typedef struct
{
  TwTestBus       *bus;
  GDBusConnection *connection;
  TwDnd           *dnd;
  guint            changed;
} Fixture;

static void
changed_cb (TwDnd   *dnd,
            Fixture *fx)
{
  fx->changed++;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *service_dir = data;

  fx->bus = tw_test_bus_new ();
  if (service_dir != NULL)
    tw_test_bus_add_service_dir (fx->bus, service_dir);
  tw_test_bus_up (fx->bus);
  fx->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->dnd != NULL)
    g_assert_finalize_object (g_steal_pointer (&fx->dnd));
  g_clear_object (&fx->connection);
  g_clear_pointer (&fx->bus, tw_test_bus_free);
}

static void
start_dnd (Fixture *fx)
{
  fx->dnd = tw_dnd_new (NULL);
  g_signal_connect (fx->dnd, "changed", G_CALLBACK (changed_cb), fx);
  tw_dnd_start (fx->dnd, fx->connection);
}

static gboolean
settled_cond (gpointer data)
{
  return tw_dnd_is_settled (((Fixture *) data)->dnd);
}

static gboolean
active_cond (gpointer data)
{
  return tw_dnd_is_active (((Fixture *) data)->dnd);
}

static gboolean
inactive_cond (gpointer data)
{
  return !tw_dnd_is_active (((Fixture *) data)->dnd);
}

static void
assert_reasons (Fixture    *fx,
                const char *expected)
{
  g_auto(GStrv) reasons = tw_dnd_dup_reasons (fx->dnd);
  g_autofree char *text = g_strjoinv (",", reasons);

  g_assert_cmpstr (text, ==, expected);
}

static void
wait_active (Fixture    *fx,
             const char *reasons)
{
  g_assert_true (tw_test_wait_until (active_cond, fx, WAIT_MS));
  assert_reasons (fx, reasons);
}

static void
wait_inactive (Fixture *fx)
{
  g_assert_true (tw_test_wait_until (inactive_cond, fx, WAIT_MS));
  assert_reasons (fx, "");
}

static void
run_dunst (Fixture *fx)
{
  TwTestXvfb *xvfb = tw_test_xvfb_start ();
  TwTestDunst *dunst = tw_test_dunst_start (tw_test_xvfb_get_display (xvfb));

  /* paused before Trainwatch starts: the first answer says so */
  tw_test_dunst_set_paused (dunst, TRUE);
  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_true (tw_dnd_is_active (fx->dnd));
  assert_reasons (fx, "dunst");

  /* then every change, from dunst's PropertiesChanged */
  tw_test_dunst_set_paused (dunst, FALSE);
  wait_inactive (fx);
  tw_test_dunst_set_paused (dunst, TRUE);
  wait_active (fx, "dunst");

  /* the config can say not to follow the desktop */
  tw_dnd_set_follow_desktop (fx->dnd, FALSE);
  g_assert_false (tw_dnd_is_active (fx->dnd));
  tw_dnd_set_follow_desktop (fx->dnd, TRUE);
  g_assert_true (tw_dnd_is_active (fx->dnd));

  /* a server that is gone holds nothing */
  g_clear_pointer (&dunst, tw_test_dunst_stop);
  wait_inactive (fx);

  /* and one that comes back is asked again */
  dunst = tw_test_dunst_start (tw_test_xvfb_get_display (xvfb));
  tw_test_dunst_set_paused (dunst, TRUE);
  wait_active (fx, "dunst");

  g_assert_finalize_object (g_steal_pointer (&fx->dnd));
  tw_test_dunst_stop (dunst);
  tw_test_xvfb_stop (xvfb);
}

static void
test_dunst (Fixture       *fx,
            gconstpointer  data)
{
  if (!tw_test_dunst_is_supported ())
    {
      g_test_skip ("dunst, dunstctl or Xvfb is not installed");
      return;
    }
  run_dunst (fx);
}

static void
test_xfce (Fixture       *fx,
           gconstpointer  data)
{
  TwTestXfconf *xfconf;

  if (!tw_test_xfconf_is_supported ())
    {
      g_test_skip ("xfconfd or xfconf-query is not installed");
      return;
    }

  /* Trainwatch first: xfconfd appearing later is followed too */
  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_false (tw_dnd_is_active (fx->dnd));

  xfconf = tw_test_xfconf_start ();
  tw_test_xfconf_set_bool (xfconf, "xfce4-notifyd", "/do-not-disturb", TRUE);
  wait_active (fx, "xfce");
  tw_test_xfconf_set_bool (xfconf, "xfce4-notifyd", "/do-not-disturb", FALSE);
  wait_inactive (fx);

  /* other properties and channels do not count */
  tw_test_xfconf_set_bool (xfconf, "xfce4-panel", "/do-not-disturb", TRUE);
  tw_test_xfconf_set_bool (xfconf, "xfce4-notifyd", "/do-slow-fadeout", TRUE);
  tw_test_xfconf_set_bool (xfconf, "xfce4-notifyd", "/do-not-disturb", TRUE);
  wait_active (fx, "xfce");
  tw_test_xfconf_reset (xfconf, "xfce4-notifyd", "/do-not-disturb");
  wait_inactive (fx);

  /* set while Trainwatch was not running: read at start */
  tw_test_xfconf_set_bool (xfconf, "xfce4-notifyd", "/do-not-disturb", TRUE);
  wait_active (fx, "xfce");
  g_assert_finalize_object (g_steal_pointer (&fx->dnd));
  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_true (tw_dnd_is_active (fx->dnd));
  assert_reasons (fx, "xfce");

  tw_test_xfconf_stop (xfconf);
  wait_inactive (fx);
}

static GVariant *
call_mock (Fixture    *fx,
           const char *method,
           GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (fx->connection, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.DBus.Mock", method, parameters, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static void
set_inhibited (Fixture  *fx,
               gboolean  inhibited)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder properties;

  /* as Plasma does when its Do Not Disturb is switched: PropertiesChanged */
  g_variant_builder_init (&properties, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&properties, "{sv}", "Inhibited", g_variant_new_boolean (inhibited));
  reply = call_mock (fx, "UpdateProperties",
                     g_variant_new ("(sa{sv})", "org.freedesktop.Notifications", &properties));
}

/* KDE Plasma cannot run here: dbusmock's notification server stands in,
 * with the Inhibited property Plasma's has. */
static void
test_kde (Fixture       *fx,
          gconstpointer  data)
{
  TwTestNotifyd *notifyd;
  g_autoptr(GVariant) reply = NULL;

  if (!tw_test_notifyd_is_supported ())
    {
      g_test_skip ("python3-dbusmock is not installed");
      return;
    }

  notifyd = tw_test_notifyd_start ("body actions");
  reply = call_mock (fx, "AddProperty",
                     g_variant_new ("(ssv)", "org.freedesktop.Notifications", "Inhibited",
                                    g_variant_new_boolean (TRUE)));
  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_true (tw_dnd_is_active (fx->dnd));
  assert_reasons (fx, "kde");

  set_inhibited (fx, FALSE);
  wait_inactive (fx);
  set_inhibited (fx, TRUE);
  wait_active (fx, "kde");

  tw_test_notifyd_stop (notifyd);
  wait_inactive (fx);
}

typedef struct
{
  const char *schema;
  const char *key;
  gboolean    on_when;
  const char *reason;
} SettingsCase;

static const SettingsCase settings_cases[] = {
  { "org.gnome.desktop.notifications", "show-banners", FALSE, "gnome" },
  { "org.mate.NotificationDaemon", "do-not-disturb", TRUE, "mate" },
  { "org.cinnamon.desktop.notifications", "display-notifications", FALSE, "cinnamon" },
};

/* In this process through the memory backend (the test default); the daemon
 * tests flip the key from another process through the keyfile backend. */
static void
test_gsettings (Fixture       *fx,
                gconstpointer  data)
{
  const SettingsCase *c = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (settings_cases); i++)
    if (g_str_has_suffix (g_test_get_path (), settings_cases[i].reason))
      c = &settings_cases[i];
  g_assert_nonnull (c);

  schema = source != NULL ? g_settings_schema_source_lookup (source, c->schema, TRUE) : NULL;
  if (schema == NULL)
    {
      g_autofree char *message = g_strdup_printf ("the schema %s is not installed", c->schema);

      g_test_skip (message);
      return;
    }

  settings = g_settings_new_full (schema, NULL, NULL);
  g_assert_true (g_settings_set_boolean (settings, c->key, c->on_when));
  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_true (tw_dnd_is_active (fx->dnd));
  assert_reasons (fx, c->reason);

  g_assert_true (g_settings_set_boolean (settings, c->key, !c->on_when));
  wait_inactive (fx);
  g_assert_true (g_settings_set_boolean (settings, c->key, c->on_when));
  wait_active (fx, c->reason);
  g_settings_reset (settings, c->key);
  wait_inactive (fx);
}

/* Without the desktops' schemas (as in every other test here): no
 * GSettings source, and no abort from g_settings_new(). */
static void
test_no_schemas (Fixture       *fx,
                 gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TwDnd) dnd = NULL;

      g_assert_true (g_setenv ("GSETTINGS_SCHEMA_DIR", g_get_user_data_dir (), TRUE));
      g_assert_true (g_setenv ("XDG_DATA_DIRS", g_get_user_data_dir (), TRUE));
      dnd = tw_dnd_new (NULL);
      tw_dnd_start (dnd, NULL);
      g_assert_true (tw_dnd_is_settled (dnd));
      g_assert_false (tw_dnd_is_active (dnd));
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A notification server stopped with SIGSTOP answers nothing: the daemon
 * goes on (its other sources keep working), settles without it, and can
 * let go of the calls still waiting. */
static void
test_hung_server (Fixture       *fx,
                  gconstpointer  data)
{
  TwTestNotifyd *notifyd;

  if (!tw_test_notifyd_is_supported ())
    {
      g_test_skip ("python3-dbusmock is not installed");
      return;
    }

  notifyd = tw_test_notifyd_start ("body actions");
  tw_test_notifyd_pause (notifyd);

  start_dnd (fx);
  g_assert_false (tw_dnd_is_settled (fx->dnd));
  g_assert_true (tw_dnd_pause (fx->dnd, TW_DND_UNTIL_RESUME, NULL));
  g_assert_true (tw_dnd_is_active (fx->dnd));
  g_assert_true (tw_dnd_resume (fx->dnd, NULL));
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  g_assert_false (tw_dnd_is_active (fx->dnd));

  /* dropped while its calls still wait */
  {
    g_autoptr(TwDnd) other = tw_dnd_new (NULL);

    tw_dnd_start (other, fx->connection);
    tw_test_iterate_for (100);
    g_assert_finalize_object (g_steal_pointer (&other));
  }

  tw_test_notifyd_resume (notifyd);
  tw_test_iterate_for (200);
  g_assert_false (tw_dnd_is_active (fx->dnd));
  tw_test_notifyd_stop (notifyd);
}

static gboolean
is_activatable (Fixture    *fx,
                const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  reply = g_dbus_connection_call_sync (fx->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListActivatableNames", NULL, G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(^a&s)", &names);

  return g_strv_contains (names, name);
}

/* Following the desktop never starts a server the bus could start on demand. */
static void
test_no_auto_start (Fixture       *fx,
                    gconstpointer  data)
{
  const char *service_dir = data;
  g_autofree char *marker = g_build_filename (service_dir, "started", NULL);

  g_assert_true (is_activatable (fx, "org.freedesktop.Notifications"));
  g_assert_true (is_activatable (fx, "org.xfce.Xfconf"));

  start_dnd (fx);
  g_assert_true (tw_test_wait_until (settled_cond, fx, WAIT_MS));
  tw_test_iterate_for (300);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_false (tw_dnd_is_active (fx->dnd));
}

/* Service files that leave a mark when the bus starts them. */
static char *
make_service_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tw-services-XXXXXX", &error);
  const char *names[] = { "org.freedesktop.Notifications", "org.xfce.Xfconf" };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s.service", dir, names[i]);
      g_autofree char *text = NULL;

      text = g_strdup_printf ("[D-BUS Service]\nName=%s\nExec=/bin/sh -c 'touch %s/started'\n",
                              names[i], dir);

      g_assert_true (g_file_set_contents (path, text, -1, NULL));
    }

  return dir;
}

static void
remove_service_dir (const char *dir)
{
  const char *names[] = {
    "org.freedesktop.Notifications.service", "org.xfce.Xfconf.service", "started",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *service_dir = NULL;
  int result;

  /* the desktops' schemas, which G_TEST_OPTION_ISOLATE_DIRS hides */
  if (g_getenv ("TW_TEST_SCHEMA_DIR") != NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", g_getenv ("TW_TEST_SCHEMA_DIR"), TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  service_dir = make_service_dir ();

  g_test_add ("/dnd-desktop/dunst", Fixture, NULL, fixture_setup, test_dunst, fixture_teardown);
  g_test_add ("/dnd-desktop/xfce", Fixture, NULL, fixture_setup, test_xfce, fixture_teardown);
  g_test_add ("/dnd-desktop/kde", Fixture, NULL, fixture_setup, test_kde, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (settings_cases); i++)
    {
      g_autofree char *path = NULL;

      path = g_strdup_printf ("/dnd-desktop/gsettings/%s", settings_cases[i].reason);

      g_test_add (path, Fixture, NULL, fixture_setup, test_gsettings, fixture_teardown);
    }
  g_test_add ("/dnd-desktop/no-schemas", Fixture, NULL, fixture_setup, test_no_schemas,
              fixture_teardown);
  g_test_add ("/dnd-desktop/hung-server", Fixture, NULL, fixture_setup, test_hung_server,
              fixture_teardown);
  g_test_add ("/dnd-desktop/no-auto-start", Fixture, service_dir, fixture_setup, test_no_auto_start,
              fixture_teardown);

  result = g_test_run ();
  remove_service_dir (service_dir);

  return result;
}
