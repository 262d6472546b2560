/* test-tray.c — the real daemon and trainwatch-tray under a real StatusNotifierItem host (xfce4-panel)
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run through tests/desktop-session.sh (a private bus, Xvfb, and --panel for
 * xfce4-panel), one case per session: tests/meson.build does. The host is
 * checked over D-Bus the way a panel reads an item: the watcher's
 * RegisteredStatusNotifierItems, the item's properties, and its dbusmenu
 * (GetLayout, Event "clicked").
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "tw-config.h"
#include "tw-test-daemon.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define PANEL_NAME "org.xfce.Panel"
#define WATCHER_PATH "/StatusNotifierWatcher"
/* libayatana's object path for the id APP_ID ("." becomes "_"). */
#define ITEM_PATH_SUFFIX "/org/ayatana/NotificationItem/io_github_trainwatch_Trainwatch"
#define DBUSMENU_INTERFACE "com.canonical.dbusmenu"
/* Long enough for a cold panel and an ASan build on a busy machine. */
#define WAIT_MS 30000

/* What the desktop's own programs must not get (as tests/desktop-session.sh does). */
static const char * const test_only_variables[] = {
  "G_DEBUG", "G_SLICE", "G_ENABLE_DIAGNOSTIC", "MALLOC_CHECK_", "MALLOC_PERTURB_",
};

/* XDG_DATA_DIRS before G_TEST_OPTION_ISOLATE_DIRS replaced it: the daemon needs
 * the MIME database and the tray its icon themes. */
static char *system_data_dirs;
/* The desktop session's environment, for a panel the test starts as the session did. */
static char **session_environ;

typedef struct
{
  GDBusConnection *bus;
  TwTestNotifyd   *notifyd;
  char           **env;
  char            *state_dir;
  char            *runs_dir;
  char            *opened_path;  /* where the test's log "viewer" copies a log it opens */
  GSubprocess     *panel;        /* a panel the test started itself */
} Fixture;

/* The desktop this test needs, or why there is none (then the case skips). */
static gboolean
have_desktop (void)
{
  if (g_getenv ("TW_DESKTOP_SKIP") != NULL)
    {
      g_autofree char *reason = g_strdup_printf ("no desktop for the tray: %s", g_getenv ("TW_DESKTOP_SKIP"));

      g_test_skip (reason);
      return FALSE;
    }
  if (g_getenv ("DISPLAY") == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("run through tests/desktop-session.sh, which starts a bus, an X server and a panel");
      return FALSE;
    }
  return TRUE;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  const char *tray = data != NULL ? data : g_getenv ("TW_TEST_TRAINWATCH_TRAY");
  g_autoptr(GError) error = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *opener = NULL;

  if (g_getenv ("TW_DESKTOP_SKIP") != NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    return;

  fx->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  fx->state_dir = g_build_filename (g_get_user_state_dir (), "trainwatch", NULL);
  fx->runs_dir = g_build_filename (g_get_home_dir (), "runs", NULL);
  fx->opened_path = g_build_filename (g_get_home_dir (), "opened.log", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fx->runs_dir, 0700), ==, 0);

  /* The default application for logs copies the one it is given, so the test
   * sees which log app.open-run opened. */
  opener = g_build_filename (g_get_user_data_dir (), "applications", "tw-test-opener.desktop", NULL);
  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test log viewer\nExec=cp %%f %s\n"
                             "MimeType=text/plain;text/x-log;\nNoDisplay=true\n", fx->opened_path);
  write_file (opener, desktop);
  {
    g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);

    write_file (mimeapps, "[Default Applications]\ntext/plain=tw-test-opener.desktop\n"
                          "text/x-log=tw-test-opener.desktop\n");
  }

  fx->env = tw_test_dup_environ ();
  fx->env = g_environ_setenv (fx->env, "XDG_DATA_DIRS", system_data_dirs, TRUE);
  fx->env = g_environ_unsetenv (fx->env, "XDG_CONFIG_DIRS");
  fx->env = g_environ_setenv (fx->env, "TRAINWATCH_TRAY", tray, TRUE);
  fx->env = g_environ_setenv (fx->env, "TRAINWATCH_PREFERENCES", g_getenv ("TW_TEST_TRAINWATCH_PREFERENCES"), TRUE);
  fx->env = g_environ_setenv (fx->env, "G_MESSAGES_DEBUG", "tw-app tw-tray", TRUE);

  /* Notifications go here, not to whatever the bus would start on demand. */
  if (tw_test_notifyd_is_supported ())
    fx->notifyd = tw_test_notifyd_start ("body body-markup actions");
}

/* Polls @cond every 50 ms until it holds or @timeout_ms passed. */
static gboolean
poll_until (gboolean (*cond) (Fixture *fx, gpointer data),
            Fixture   *fx,
            gpointer   data,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (fx, data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      tw_test_iterate_for (50);
    }
  return TRUE;
}

static JsonObject *
dup_tray_status (Fixture *fx)
{
  g_autoptr(JsonNode) root = tw_test_daemon_dup_status (fx->env);

  return json_object_ref (json_object_get_object_member (json_node_get_object (root), "tray"));
}

static gint64
get_tray_pid (Fixture *fx)
{
  g_autoptr(JsonObject) tray = dup_tray_status (fx);

  if (json_object_get_null_member (tray, "pid"))
    return 0;
  return json_object_get_int_member (tray, "pid");
}

static gboolean
tray_state_is (Fixture  *fx,
               gpointer  data)
{
  g_autoptr(JsonObject) tray = dup_tray_status (fx);

  return g_strcmp0 (json_object_get_string_member (tray, "state"), data) == 0;
}

/* Our item as the watcher lists it ("BUS/PATH"), or NULL. */
static char *
dup_registered_item (Fixture *fx)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) items = NULL;
  g_autofree const char **strv = NULL;

  reply = g_dbus_connection_call_sync (fx->bus, WATCHER_NAME, WATCHER_PATH, "org.freedesktop.DBus.Properties",
                                       "Get", g_variant_new ("(ss)", WATCHER_NAME, "RegisteredStatusNotifierItems"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, NULL);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &items);
  strv = g_variant_get_strv (items, NULL);
  for (guint i = 0; strv[i] != NULL; i++)
    if (g_str_has_suffix (strv[i], ITEM_PATH_SUFFIX))
      return g_strdup (strv[i]);
  return NULL;
}

static gboolean
item_registered (Fixture  *fx,
                 gpointer  data)
{
  g_autofree char *item = dup_registered_item (fx);
  const char *not_by = data;

  /* registered, and (when given) by another connection than @data */
  return item != NULL && (not_by == NULL || !g_str_has_prefix (item, not_by));
}

static gboolean
item_gone (Fixture  *fx,
           gpointer  data)
{
  g_autofree char *item = dup_registered_item (fx);

  return item == NULL;
}

/* Waits for our item; returns the bus name of the tray that registered it. */
static char *
wait_for_item (Fixture    *fx,
               const char *not_by)
{
  g_autofree char *item = NULL;

  g_assert_true (poll_until (item_registered, fx, (gpointer) not_by, WAIT_MS));
  item = dup_registered_item (fx);
  return g_strndup (item, strchr (item, '/') - item);
}

static GVariant *
get_layout (Fixture    *fx,
            const char *tray)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *layout;
  const char *props[] = { "label", "enabled", "type", "children-display", "toggle-type", NULL };

  reply = g_dbus_connection_call_sync (fx->bus, tray, ITEM_PATH_SUFFIX "/Menu", DBUSMENU_INTERFACE, "GetLayout",
                                       g_variant_new ("(ii^as)", 0, -1, props), G_VARIANT_TYPE ("(u(ia{sv}av))"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply == NULL)
    return NULL;
  layout = g_variant_get_child_value (reply, 1);
  return layout;
}

/* The item of @layout (an (ia{sv}av)) labelled @label, searched depth first. */
static GVariant *
find_item (GVariant   *layout,
           const char *label)
{
  g_autoptr(GVariant) props = g_variant_get_child_value (layout, 1);
  g_autoptr(GVariant) children = g_variant_get_child_value (layout, 2);
  const char *item_label = NULL;

  if (g_variant_lookup (props, "label", "&s", &item_label) && g_strcmp0 (item_label, label) == 0)
    return g_variant_ref (layout);

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);
      GVariant *found = find_item (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gint32
item_get_id (GVariant *item)
{
  gint32 id;

  g_variant_get_child (item, 0, "i", &id);
  return id;
}

static gboolean
item_get_enabled (GVariant *item)
{
  g_autoptr(GVariant) props = g_variant_get_child_value (item, 1);
  gboolean enabled = TRUE;

  /* dbusmenu: absent means true */
  g_variant_lookup (props, "enabled", "b", &enabled);
  return enabled;
}

static char *
dup_child_labels (GVariant *item)
{
  g_autoptr(GVariant) children = g_variant_get_child_value (item, 2);
  GString *labels = g_string_new (NULL);

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);
      g_autoptr(GVariant) props = g_variant_get_child_value (child, 1);
      const char *label = NULL;
      const char *type = NULL;

      if (labels->len > 0)
        g_string_append_c (labels, '|');
      if (g_variant_lookup (props, "type", "&s", &type) && g_str_equal (type, "separator"))
        g_string_append (labels, "---");
      else if (g_variant_lookup (props, "label", "&s", &label))
        g_string_append (labels, label);
    }
  return g_string_free (labels, FALSE);
}

typedef struct
{
  const char *tray;
  const char *label;
} LabelWait;

static gboolean
layout_has_label (Fixture  *fx,
                  gpointer  data)
{
  LabelWait *wait = data;
  g_autoptr(GVariant) layout = get_layout (fx, wait->tray);
  g_autoptr(GVariant) item = layout != NULL ? find_item (layout, wait->label) : NULL;

  return item != NULL;
}

static gboolean
layout_item_enabled (Fixture  *fx,
                     gpointer  data)
{
  LabelWait *wait = data;
  g_autoptr(GVariant) layout = get_layout (fx, wait->tray);
  g_autoptr(GVariant) item = layout != NULL ? find_item (layout, wait->label) : NULL;

  return item != NULL && item_get_enabled (item);
}

/* Whether the daemon's own pause is on, as `status --json` says. */
static gboolean
dnd_paused_is (Fixture  *fx,
               gpointer  data)
{
  g_autoptr(JsonNode) root = tw_test_daemon_dup_status (fx->env);
  JsonObject *dnd = json_object_get_object_member (json_node_get_object (root), "dnd");
  return json_object_get_boolean_member (dnd, "paused") == GPOINTER_TO_INT (data) &&
         json_object_get_boolean_member (dnd, "active") == GPOINTER_TO_INT (data);
}

/* Chooses the item labelled @label, as a host does when it is clicked. */
static void
click (Fixture    *fx,
       const char *tray,
       const char *label)
{
  g_autoptr(GVariant) layout = get_layout (fx, tray);
  g_autoptr(GVariant) item = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (layout);
  item = find_item (layout, label);
  g_assert_nonnull (item);
  g_assert_true (item_get_enabled (item));
  reply = g_dbus_connection_call_sync (fx->bus, tray, ITEM_PATH_SUFFIX "/Menu", DBUSMENU_INTERFACE, "Event",
                                       g_variant_new ("(isvu)", item_get_id (item), "clicked",
                                                      g_variant_new_string (""), 0),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

static void
start_panel (Fixture *fx)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* The session's (a panel with isolated XDG_CONFIG_DIRS finds no default layout and asks
   * its user), less what is for the code under test: fatal-warnings would abort it on
   * its first harmless warning. */
  g_subprocess_launcher_set_environ (launcher, session_environ);
  for (guint i = 0; i < G_N_ELEMENTS (test_only_variables); i++)
    g_subprocess_launcher_unsetenv (launcher, test_only_variables[i]);
  /* A panel that still owns its name, one stopped just before and still
   * saving its settings, makes the new one say "There is already a running
   * instance" and exit. */
  g_assert_true (tw_test_wait_for_bus_name (PANEL_NAME, FALSE, WAIT_MS));
  fx->panel = g_subprocess_launcher_spawn (launcher, &error, "xfce4-panel", "--disable-wm-check", NULL);
  g_assert_no_error (error);
  g_assert_true (tw_test_wait_for_bus_name (WATCHER_NAME, TRUE, WAIT_MS));
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->bus != NULL && tw_test_daemon_is_running ())
    tw_test_daemon_quit (fx->env);
  if (fx->state_dir != NULL)
    tw_test_daemon_assert_log_clean ();

  if (fx->panel != NULL)
    {
      g_subprocess_send_signal (fx->panel, SIGTERM);
      g_subprocess_wait (fx->panel, NULL, NULL);
      g_clear_object (&fx->panel);
    }
  g_clear_pointer (&fx->notifyd, tw_test_notifyd_stop);
  g_clear_object (&fx->bus);
  g_clear_pointer (&fx->env, g_strfreev);
  g_clear_pointer (&fx->state_dir, g_free);
  g_clear_pointer (&fx->runs_dir, g_free);
  g_clear_pointer (&fx->opened_path, g_free);
}

static gboolean
file_has_contents (Fixture  *fx,
                   gpointer  data)
{
  const char **expected = data;
  g_autofree char *contents = NULL;

  return g_file_get_contents (expected[0], &contents, NULL, NULL) && g_str_equal (contents, expected[1]);
}

static guint32
get_name_pid (Fixture    *fx,
              const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 pid;

  reply = g_dbus_connection_call_sync (fx->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &pid);
  return pid;
}

static void
set_tray_icon (const char *value)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "trainwatch", "trainwatch.conf", NULL);
  g_autoptr(TwConfig) config = tw_config_new (path);
  g_autoptr(GError) error = NULL;

  tw_config_load (config, &error);
  g_assert_no_error (error);
  g_assert_true (tw_config_set_value (config, "general", "tray-icon", value, &error));
  g_assert_no_error (error);
}

/* [general] tray-icon = false takes the icon away at once, and true brings it back. */
static void
test_hidden (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(JsonObject) status = NULL;

  if (!have_desktop ())
    return;

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  first = wait_for_item (fx, NULL);

  set_tray_icon ("false");
  g_assert_true (poll_until (tray_state_is, fx, "hidden", WAIT_MS));
  g_assert_true (tw_test_wait_for_bus_name (first, FALSE, WAIT_MS));
  g_assert_true (poll_until (item_gone, fx, NULL, WAIT_MS));
  status = dup_tray_status (fx);
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 1);
  g_clear_pointer (&status, json_object_unref);

  set_tray_icon ("true");
  second = wait_for_item (fx, NULL);
  g_assert_true (poll_until (tray_state_is, fx, "running", WAIT_MS));
  status = dup_tray_status (fx);
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 2);
}

/* The menu a host shows: the running job with its progress, the commands; and
 * choosing an item runs the daemon's action. */
static void
test_menu (Fixture       *fx,
           gconstpointer  data)
{
  g_autofree char *log = NULL;
  g_autofree char *tray = NULL;
  g_autofree char *out = NULL;
  g_autofree char *pause_labels = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) item = NULL;
  g_autoptr(GVariant) pause = NULL;
  const char *children_display = NULL;
  LabelWait wait;
  const char *opened[2];
  gint64 tray_pid;

  if (!have_desktop ())
    return;
  if (fx->notifyd == NULL)
    {
      g_test_skip ("python3-dbusmock is not installed");
      return;
    }

  log = g_build_filename (fx->runs_dir, "resnet50.log", NULL);
  write_file (log, "loading the data\n");
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  out = tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL);
  /* tqdm's own format: 47 % done, 12 minutes to go */
  tw_test_append (log, "Epoch 1:  47%|████▋     | 470/1000 [10:38<12:00,  0.74it/s]\n");

  tray = wait_for_item (fx, NULL);
  tray_pid = get_tray_pid (fx);
  g_assert_cmpint (tray_pid, >, 0);
  {
    g_autoptr(GVariant) reply = NULL;
    guint32 pid = 0;

    reply = g_dbus_connection_call_sync (fx->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                         g_variant_new ("(s)", tray), G_VARIANT_TYPE ("(u)"),
                                         G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
    g_assert_nonnull (reply);
    g_variant_get (reply, "(u)", &pid);
    /* the item is the daemon's tray program */
    g_assert_cmpint (pid, ==, tray_pid);
  }

  wait.tray = tray;
  wait.label = "resnet50 — 47 % · ETA 12 min";
  g_assert_true (poll_until (layout_has_label, fx, &wait, WAIT_MS));

  layout = get_layout (fx, tray);
  item = find_item (layout, "resnet50 — 47 % · ETA 12 min");
  g_assert_true (item_get_enabled (item));
  /* plain rows: no checkbox beside them */
  {
    g_autoptr(GVariant) props = g_variant_get_child_value (item, 1);

    g_assert_false (g_variant_lookup (props, "toggle-type", "&s", NULL));
  }
  pause = find_item (layout, "Pause notifications");
  g_assert_nonnull (pause);
  {
    g_autoptr(GVariant) props = g_variant_get_child_value (pause, 1);

    g_assert_true (g_variant_lookup (props, "children-display", "&s", &children_display));
    g_assert_cmpstr (children_display, ==, "submenu");
  }
  pause_labels = dup_child_labels (pause);
  g_assert_cmpstr (pause_labels, ==, "For 1 hour|Until tomorrow|---|Resume notifications");
  {
    g_autoptr(GVariant) prefs = find_item (layout, "Preferences…");
    g_autoptr(GVariant) quit = find_item (layout, "Quit");

    g_assert_nonnull (prefs);
    g_assert_true (item_get_enabled (prefs));
    g_assert_nonnull (quit);
    g_assert_true (item_get_enabled (quit));
  }

  /* the run's row opens its log with the default application */
  click (fx, tray, "resnet50 — 47 % · ETA 12 min");
  opened[0] = fx->opened_path;
  g_file_get_contents (log, (char **) &opened[1], NULL, NULL);
  g_assert_true (poll_until (file_has_contents, fx, opened, WAIT_MS));
  g_free ((char *) opened[1]);

  /* Preferences… starts the window, a unique application: a second click
   * presents the same process */
  click (fx, tray, "Preferences…");
  g_assert_true (tw_test_wait_for_bus_name (APP_ID, TRUE, WAIT_MS));
  {
    guint32 pid = get_name_pid (fx, APP_ID);

    click (fx, tray, "Preferences…");
    tw_test_iterate_for (500);
    g_assert_true (tw_test_bus_name_has_owner (APP_ID));
    g_assert_cmpuint (get_name_pid (fx, APP_ID), ==, pid);
    g_assert_cmpint (kill ((pid_t) pid, SIGTERM), ==, 0);
    g_assert_true (tw_test_wait_for_bus_name (APP_ID, FALSE, WAIT_MS));
  }

  /* Pause notifications holds them in the daemon; Resume, enabled only
   * while paused, ends it */
  wait.label = "Resume notifications";
  g_assert_false (layout_item_enabled (fx, &wait));
  click (fx, tray, "For 1 hour");
  g_assert_true (poll_until (dnd_paused_is, fx, GINT_TO_POINTER (TRUE), WAIT_MS));
  g_assert_true (poll_until (layout_item_enabled, fx, &wait, WAIT_MS));
  click (fx, tray, "Resume notifications");
  g_assert_true (poll_until (dnd_paused_is, fx, GINT_TO_POINTER (FALSE), WAIT_MS));

  /* A host opening the menu: the tray passes it on (app.seen, once the daemon
   * has it) and stays. */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;

    reply = g_dbus_connection_call_sync (fx->bus, tray, ITEM_PATH_SUFFIX "/Menu", DBUSMENU_INTERFACE, "Event",
                                         g_variant_new ("(isvu)", 0, "opened", g_variant_new_string (""), 0),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
    g_clear_pointer (&reply, g_variant_unref);
    reply = g_dbus_connection_call_sync (fx->bus, tray, ITEM_PATH_SUFFIX "/Menu", DBUSMENU_INTERFACE,
                                         "AboutToShow", g_variant_new ("(i)", 0), G_VARIANT_TYPE ("(b)"),
                                         G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (tw_test_bus_name_has_owner (tray));
  }

  /* Quit quits the daemon, and the tray leaves with it */
  click (fx, tray, "Quit");
  g_assert_true (tw_test_wait_for_bus_name (DAEMON_BUS_NAME, FALSE, WAIT_MS));
  g_assert_true (tw_test_wait_for_bus_name (tray, FALSE, WAIT_MS));
  g_assert_true (poll_until (item_gone, fx, NULL, WAIT_MS));
}

/* A tray that dies comes back; a panel that restarts gets the same tray again. */
static void
test_respawn (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autoptr(JsonObject) status = NULL;
  const char *panel_pid;
  gint64 pid;

  if (!have_desktop ())
    return;
  panel_pid = g_getenv ("TW_DESKTOP_PANEL_PID");
  g_assert_nonnull (panel_pid);

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  first = wait_for_item (fx, NULL);
  pid = get_tray_pid (fx);
  g_assert_cmpint (pid, >, 0);

  /* a crash */
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  second = wait_for_item (fx, first);
  g_assert_true (poll_until (tray_state_is, fx, "running", WAIT_MS));
  status = dup_tray_status (fx);
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (status, "pid"), !=, pid);
  g_assert_cmpstr (json_object_get_string_member (status, "last_exit"), ==, "ended by signal 9");
  g_clear_pointer (&status, json_object_unref);

  /* the panel goes away and comes back: the same tray registers again */
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (panel_pid, NULL, 10), SIGTERM), ==, 0);
  g_assert_true (tw_test_wait_for_bus_name (WATCHER_NAME, FALSE, WAIT_MS));
  g_assert_true (tw_test_bus_name_has_owner (second));
  start_panel (fx);
  third = wait_for_item (fx, NULL);
  g_assert_cmpstr (third, ==, second);
  status = dup_tray_status (fx);
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 2);
  g_assert_true (json_object_get_boolean_member (status, "watcher"));

  tw_test_daemon_quit (fx->env);
  g_assert_true (tw_test_wait_for_bus_name (second, FALSE, WAIT_MS));
}

/* A tray program that exits at once is started five times, then left alone. */
static void
test_give_up (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(JsonObject) status = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;

  if (!have_desktop ())
    return;

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  g_assert_true (poll_until (tray_state_is, fx, "given-up", WAIT_MS));
  status = dup_tray_status (fx);
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (status, "last_exit"), ==, "exited with status 1");

  log_path = g_build_filename (fx->state_dir, "daemon.log", NULL);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "The tray icon stopped 5 times in a row soon after it started"));
}

static gboolean
watcher_known (Fixture  *fx,
               gpointer  data)
{
  g_autoptr(JsonObject) tray = dup_tray_status (fx);

  return !json_object_get_null_member (tray, "watcher");
}

/* The daemon's status lists a run at this progress. */
static gboolean
run_progress_is (Fixture  *fx,
                 gpointer  data)
{
  g_autoptr(JsonNode) root = tw_test_daemon_dup_status (fx->env);
  JsonArray *jobs = json_object_get_array_member (json_node_get_object (root), "jobs");

  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);
      JsonNode *progress = json_object_get_member (job, "progress");

      if (progress != NULL && JSON_NODE_HOLDS_VALUE (progress) &&
          fabs (json_node_get_double (progress) - *(const double *) data) < 1e-6)
        return TRUE;
    }

  return FALSE;
}

/* With no StatusNotifierWatcher no tray starts; a panel that starts later gets one,
 * and its menu shows what happened before. */
static void
test_late_panel (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) status = NULL;
  g_autofree char *tray = NULL;
  g_autofree char *log = NULL;
  static const double progress = 0.47;
  LabelWait wait;

  if (!have_desktop ())
    return;
  g_assert_false (tw_test_bus_name_has_owner (WATCHER_NAME));

  log = g_build_filename (fx->runs_dir, "resnet50.log", NULL);
  write_file (log, "loading the data\n");
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL));
  /* While nothing shows the tray menu, the daemon does not keep it up to date:
   * the tray must still find this run in it when it starts. */
  tw_test_append (log, "Epoch 1:  47%|████▋     | 470/1000 [10:38<12:00,  0.74it/s]\n");
  g_assert_true (poll_until (run_progress_is, fx, (gpointer) &progress, WAIT_MS));
  g_assert_true (poll_until (watcher_known, fx, NULL, WAIT_MS));
  status = dup_tray_status (fx);
  g_assert_false (json_object_get_boolean_member (status, "watcher"));
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "waiting");
  g_assert_cmpint (json_object_get_int_member (status, "starts"), ==, 0);
  g_assert_true (json_object_get_null_member (status, "pid"));

  start_panel (fx);
  tray = wait_for_item (fx, NULL);
  g_assert_true (poll_until (tray_state_is, fx, "running", WAIT_MS));
  wait.tray = tray;
  wait.label = "resnet50 — 47 % · ETA 12 min";
  g_assert_true (poll_until (layout_has_label, fx, &wait, WAIT_MS));

  tw_test_daemon_quit (fx->env);
  g_assert_true (tw_test_wait_for_bus_name (tray, FALSE, WAIT_MS));
}

static gboolean
daemon_has_overview (Fixture *fx)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;

  reply = g_dbus_connection_call_sync (fx->bus, DAEMON_BUS_NAME, DAEMON_OBJECT_PATH,
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", APP_ID ".Overview"), G_VARIANT_TYPE ("(a{sv})"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  props = g_variant_get_child_value (reply, 0);
  return g_variant_n_children (props) > 0;
}

static char *
dup_overview_string (Fixture    *fx,
                     const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = g_dbus_connection_call_sync (fx->bus, DAEMON_BUS_NAME, DAEMON_OBJECT_PATH,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", APP_ID ".Overview", name), G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

typedef struct
{
  const char *tray;
  const char *name;
  const char *value;   /* NULL: the overview property named in overview */
  const char *overview;
} ItemWait;

static gboolean
item_property_is (Fixture  *fx,
                  gpointer  data)
{
  ItemWait *wait = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *wanted = wait->value != NULL ? g_strdup (wait->value) : dup_overview_string (fx, wait->overview);

  reply = g_dbus_connection_call_sync (fx->bus, wait->tray, ITEM_PATH_SUFFIX, "org.freedesktop.DBus.Properties",
                                       "Get", g_variant_new ("(ss)", "org.kde.StatusNotifierItem", wait->name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) && g_str_equal (g_variant_get_string (value, NULL),
                                                                              wanted);
}

/* The icon follows the daemon's overview: running, then attention after a failure,
 * until the menu is opened (app.seen). Needs the daemon's Overview interface (issue
 * 4's overview work): skips while the daemon has none. */
static void
test_overview (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *log = NULL;
  g_autofree char *tray = NULL;
  ItemWait wait;

  if (!have_desktop ())
    return;

  log = g_build_filename (fx->runs_dir, "bert.log", NULL);
  write_file (log, "loading the data\n");
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL));
  tw_test_append (log, "Epoch 1:  47%|████▋     | 470/1000 [10:38<12:00,  0.74it/s]\n");
  tray = wait_for_item (fx, NULL);

  if (!daemon_has_overview (fx))
    {
      /* the tray still works: the idle icon, as test_menu shows the menu */
      wait = (ItemWait) { tray, "IconName", APP_ID "-idle", NULL };
      g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
      g_test_skip ("the daemon has no " APP_ID ".Overview interface yet: the icon's states are not checked");
      return;
    }

  wait = (ItemWait) { tray, "IconName", APP_ID "-running", NULL };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
  wait = (ItemWait) { tray, "Status", "Active", NULL };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
  wait = (ItemWait) { tray, "XAyatanaLabel", NULL, "Label" };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
  wait = (ItemWait) { tray, "Title", NULL, "Tooltip" };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));

  tw_test_append (log, "Traceback (most recent call last):\n"
                       "  File \"train.py\", line 10, in <module>\n"
                       "    main()\n"
                       "RuntimeError: CUDA error: an illegal memory access was encountered\n");
  wait = (ItemWait) { tray, "Status", "NeedsAttention", NULL };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));

  /* xfce4-panel opens the menu with AboutToShowGroup [0]: the failure is seen */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;
    const gint32 root[] = { 0 };

    reply = g_dbus_connection_call_sync (fx->bus, tray, ITEM_PATH_SUFFIX "/Menu", DBUSMENU_INTERFACE,
                                         "AboutToShowGroup",
                                         g_variant_new ("(@ai)", g_variant_new_fixed_array (G_VARIANT_TYPE_INT32,
                                                                                            root, 1,
                                                                                            sizeof (gint32))),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
  }
  wait = (ItemWait) { tray, "Status", "Active", NULL };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
  wait = (ItemWait) { tray, "IconName", APP_ID "-idle", NULL };
  g_assert_true (poll_until (item_property_is, fx, &wait, WAIT_MS));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *false_program = g_find_program_in_path ("false");
  int status;

  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS") != NULL && *g_getenv ("XDG_DATA_DIRS") != '\0'
                               ? g_getenv ("XDG_DATA_DIRS")
                               : "/usr/local/share:/usr/share");
  session_environ = g_get_environ ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/tray/menu", Fixture, NULL, fixture_setup, test_menu, fixture_teardown);
  g_test_add ("/tray/respawn", Fixture, NULL, fixture_setup, test_respawn, fixture_teardown);
  g_test_add ("/tray/give-up", Fixture, false_program, fixture_setup, test_give_up, fixture_teardown);
  g_test_add ("/tray/overview", Fixture, NULL, fixture_setup, test_overview, fixture_teardown);
  g_test_add ("/tray/late-panel", Fixture, NULL, fixture_setup, test_late_panel, fixture_teardown);
  g_test_add ("/tray/hidden", Fixture, NULL, fixture_setup, test_hidden, fixture_teardown);

  status = g_test_run ();
  g_strfreev (session_environ);
  g_free (system_data_dirs);
  return status;
}
