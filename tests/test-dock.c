/* test-dock.c — the real daemon's overview and dock entry, as a dock and the tray see them on the bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test starts the trainwatch binary on a private bus and listens like a
 * dock (com.canonical.Unity.LauncherEntry Update) and like the tray program
 * (PropertiesChanged of io.github.trainwatch.Trainwatch.Overview).
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tw-test-daemon.h"

#define WAIT_MS             30000
#define DAEMON_PATH         "/io/github/trainwatch/Trainwatch/Daemon"
#define OVERVIEW_INTERFACE  "io.github.trainwatch.Trainwatch.Overview"
#define LAUNCHER_INTERFACE  "com.canonical.Unity.LauncherEntry"
#define APP_URI             "application://" APP_ID ".desktop"

typedef struct
{
  char     *sender;
  char     *path;
  char     *app_uri;
  GVariant *properties;   /* a{sv} */
} Update;

typedef struct
{
  TwTestFixture    base;
  guint            update_id;
  guint            changed_id;
  GPtrArray       *updates;    /* of Update */
  GPtrArray       *statuses;   /* of char *: each Status the overview announced */
  GHashTable      *overview;   /* property name → GVariant, as announced */
} Fixture;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_free (update->sender);
  g_free (update->path);
  g_free (update->app_uri);
  g_variant_unref (update->properties);
  g_free (update);
}

static void
launcher_update_cb (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Fixture *fx = user_data;
  Update *update = g_new0 (Update, 1);

  update->sender = g_strdup (sender);
  update->path = g_strdup (path);
  g_variant_get (parameters, "(s@a{sv})", &update->app_uri, &update->properties);
  g_ptr_array_add (fx->updates, update);
  {
    g_autofree char *text = g_variant_print (update->properties, FALSE);

    g_test_message ("Update %u from %s %s: %s", fx->updates->len - 1, sender, path, text);
  }
}

static void
overview_changed_cb (GDBusConnection *connection,
                     const char      *sender,
                     const char      *path,
                     const char      *interface,
                     const char      *signal,
                     GVariant        *parameters,
                     gpointer         user_data)
{
  Fixture *fx = user_data;
  g_autoptr(GVariant) changed = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      if (g_str_equal (name, "Status"))
        g_ptr_array_add (fx->statuses, g_variant_dup_string (value, NULL));
      g_hash_table_replace (fx->overview, g_strdup (name), value);
    }
}

static gboolean
update_bool (Update     *update,
             const char *key)
{
  gboolean value = FALSE;

  g_assert_true (g_variant_lookup (update->properties, key, "b", &value));
  return value;
}

static double
update_progress (Update *update)
{
  double value = -1;

  g_assert_true (g_variant_lookup (update->properties, "progress", "d", &value));
  return value;
}

static gint64
update_count (Update *update)
{
  gint64 value = -1;

  g_assert_true (g_variant_lookup (update->properties, "count", "x", &value));
  return value;
}

static const char *
last_status (Fixture *fx)
{
  return fx->statuses->len > 0 ? g_ptr_array_index (fx->statuses, fx->statuses->len - 1) : NULL;
}

/* ---- asking the daemon ---- */

static JsonObject *
status_overview (Fixture   *fx,
                 JsonNode **out_root)
{
  *out_root = tw_test_daemon_dup_status (fx->base.env);
  return json_object_get_object_member (json_node_get_object (*out_root), "overview");
}

static GVariant *
call_daemon (Fixture            *fx,
             const char         *bus_name,
             const char         *path,
             const char         *interface,
             const char         *method,
             GVariant           *parameters,
             const GVariantType *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (fx->base.connection, bus_name, path, interface, method, parameters,
                                       reply_type, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

/* What a dock asks the sender of an Update. */
static GVariant *
query (Fixture *fx,
       Update  *from)
{
  g_autoptr(GVariant) reply = call_daemon (fx, from->sender, from->path, LAUNCHER_INTERFACE, "Query", NULL,
                                           G_VARIANT_TYPE ("(sa{sv})"));
  const char *app_uri = NULL;
  GVariant *properties = NULL;

  g_variant_get (reply, "(&s@a{sv})", &app_uri, &properties);
  g_assert_cmpstr (app_uri, ==, APP_URI);
  return properties;
}

static GVariant *
overview_get_all (Fixture *fx)
{
  g_autoptr(GVariant) reply = call_daemon (fx, DAEMON_BUS_NAME, DAEMON_PATH, "org.freedesktop.DBus.Properties",
                                           "GetAll", g_variant_new ("(s)", OVERVIEW_INTERFACE),
                                           G_VARIANT_TYPE ("(a{sv})"));
  GVariant *all = NULL;

  g_variant_get (reply, "(@a{sv})", &all);
  return all;
}

/* What the tray does when its menu opens. */
static void
activate_seen (Fixture *fx)
{
  g_autoptr(GVariant) reply = call_daemon (fx, DAEMON_BUS_NAME, DAEMON_PATH, "org.gtk.Actions", "Activate",
                                           g_variant_new ("(s@av@a{sv})", "seen",
                                                          g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0),
                                                          g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                           NULL);
}

/* ---- waiting for what the bus says ---- */

typedef gboolean (*UpdateCheck) (Update *update);

typedef struct
{
  Fixture     *fx;
  UpdateCheck  check;
  guint        from;    /* look at updates from this index on */
} UpdateWait;

static gboolean
has_update_cb (gpointer data)
{
  UpdateWait *wait = data;

  for (guint i = wait->from; i < wait->fx->updates->len; i++)
    if (wait->check (g_ptr_array_index (wait->fx->updates, i)))
      return TRUE;

  return FALSE;
}

/* Waits for an Update from index @from on that passes @check, and returns its index. */
static guint
wait_for_update (Fixture     *fx,
                 guint        from,
                 UpdateCheck  check,
                 const char  *what)
{
  UpdateWait wait = { fx, check, from };

  if (!tw_test_wait_until (has_update_cb, &wait, WAIT_MS))
    g_error ("no LauncherEntry Update %s arrived (%u so far)", what, fx->updates->len);
  for (guint i = from; i < fx->updates->len; i++)
    if (check (g_ptr_array_index (fx->updates, i)))
      return i;

  g_assert_not_reached ();
}

static gboolean
is_full_cb (Update *update)
{
  return update_bool (update, "progress-visible") && update_progress (update) == 1.0;
}

static gboolean
is_progress_hidden_cb (Update *update)
{
  return !update_bool (update, "progress-visible");
}

static gboolean
is_progress_shown_cb (Update *update)
{
  return update_bool (update, "progress-visible");
}

static gboolean
is_urgent_cb (Update *update)
{
  return update_bool (update, "urgent");
}

static gboolean
is_not_urgent_cb (Update *update)
{
  return !update_bool (update, "urgent");
}

static gboolean
is_cleared_cb (Update *update)
{
  return !update_bool (update, "progress-visible") && !update_bool (update, "count-visible") &&
         !update_bool (update, "urgent");
}

static gboolean
any_update_cb (Update *update)
{
  return TRUE;
}

typedef struct
{
  Fixture    *fx;
  const char *status;
} StatusWait;

static gboolean
status_is_cb (gpointer data)
{
  StatusWait *wait = data;

  return g_strcmp0 (last_status (wait->fx), wait->status) == 0;
}

static void
wait_for_status (Fixture    *fx,
                 const char *status)
{
  StatusWait wait = { fx, status };

  if (!tw_test_wait_until (status_is_cb, &wait, WAIT_MS))
    g_error ("the overview's Status did not become “%s”; it is “%s”", status, last_status (fx));
}

/* ---- fixture ---- */

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  GDBusConnection *connection;

  tw_test_fixture_setup (&fx->base, NULL, "tw-app");
  connection = fx->base.connection;
  /* the demo's folder goes where the test's folders are removed */
  fx->base.env = g_environ_setenv (fx->base.env, "TMPDIR", g_get_user_cache_dir (), TRUE);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);

  fx->updates = g_ptr_array_new_with_free_func (update_free);
  fx->statuses = g_ptr_array_new_with_free_func (g_free);
  fx->overview = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
  fx->update_id = g_dbus_connection_signal_subscribe (connection, NULL, LAUNCHER_INTERFACE, "Update", NULL,
                                                      NULL, G_DBUS_SIGNAL_FLAGS_NONE, launcher_update_cb, fx,
                                                      NULL);
  fx->changed_id = g_dbus_connection_signal_subscribe (connection, NULL, "org.freedesktop.DBus.Properties",
                                                       "PropertiesChanged", DAEMON_PATH, OVERVIEW_INTERFACE,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, overview_changed_cb, fx, NULL);
}

/* Quits the daemon; the dock's last Update hides everything. */
static void
quit_daemon (Fixture *fx)
{
  guint before = fx->updates->len;
  guint last;

  tw_test_daemon_quit (fx->base.env);
  last = wait_for_update (fx, before, is_cleared_cb, "that clears the icon on exit");
  g_assert_cmpuint (last, ==, fx->updates->len - 1);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (tw_test_daemon_is_running ())
    quit_daemon (fx);

  g_dbus_connection_signal_unsubscribe (fx->base.connection, fx->update_id);
  g_dbus_connection_signal_unsubscribe (fx->base.connection, fx->changed_id);
  g_clear_pointer (&fx->updates, g_ptr_array_unref);
  g_clear_pointer (&fx->statuses, g_ptr_array_unref);
  g_clear_pointer (&fx->overview, g_hash_table_unref);
  tw_test_fixture_teardown (&fx->base);
}

/* ---- tests ---- */

/* The acceptance test of the issue: the demo's progress rises to 1 on the dock, then goes. */
static void
test_demo (Fixture       *fx,
           gconstpointer  data)
{
  g_autofree char *desktop_id = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GVariant) during = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *overview;
  double previous = 0;
  gboolean first_running = TRUE;
  guint first;
  guint full;
  guint hidden;
  double progress;
  gint64 count;

  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_DEMO_SPEED", "4", TRUE);
  out = tw_test_run_trainwatch_ok (fx->base.env, "--demo", NULL);
  g_assert_nonnull (strstr (out, "simulated training run"));

  first = wait_for_update (fx, 0, is_progress_shown_cb, "with progress");
  /* a dock asks the sender of the signal */
  during = query (fx, g_ptr_array_index (fx->updates, first));
  g_assert_true (g_variant_lookup (during, "count-visible", "b", &first_running) && first_running);
  g_assert_true (g_variant_lookup (during, "count", "x", &count));
  g_assert_cmpint (count, ==, 1);

  full = wait_for_update (fx, first, is_full_cb, "at 100 %");
  hidden = wait_for_update (fx, full, is_progress_hidden_cb, "that hides the progress");

  /* the progress only rises, one run all along */
  for (guint i = first; i <= full; i++)
    {
      Update *update = g_ptr_array_index (fx->updates, i);

      g_assert_cmpstr (update->app_uri, ==, APP_URI);
      g_assert_true (update_bool (update, "progress-visible"));
      g_assert_true (update_bool (update, "count-visible"));
      g_assert_cmpint (update_count (update), ==, 1);
      g_assert_false (update_bool (update, "urgent"));
      progress = update_progress (update);
      g_assert_cmpfloat (progress, >=, previous);
      g_assert_cmpfloat (progress, <=, 1.0);
      previous = progress;
    }
  g_test_message ("%u Updates with progress, %u in all", full - first + 1, fx->updates->len);
  g_assert_cmpuint (full - first + 1, >=, 2);
  {
    Update *update = g_ptr_array_index (fx->updates, hidden);

    g_assert_false (update_bool (update, "count-visible"));
    g_assert_cmpint (update_count (update), ==, 0);
    g_assert_false (update_bool (update, "urgent"));
  }

  /* the URI names the desktop file the build installs */
  desktop_id = g_path_get_basename (g_getenv ("TW_TEST_DESKTOP_FILE"));
  g_assert_cmpstr (APP_URI + strlen ("application://"), ==, desktop_id);
  g_assert_true (g_file_test (g_getenv ("TW_TEST_DESKTOP_FILE"), G_FILE_TEST_IS_REGULAR));

  /* the tray's view: running, then idle */
  wait_for_status (fx, "idle");
  g_assert_cmpstr (g_ptr_array_index (fx->statuses, 0), ==, "running");
  all = overview_get_all (fx);
  {
    const char *status = NULL;
    const char *label = NULL;
    const char *tooltip = NULL;
    guint32 running = 99;
    double mean = 0;

    g_assert_true (g_variant_lookup (all, "Status", "&s", &status));
    g_assert_cmpstr (status, ==, "idle");
    g_assert_true (g_variant_lookup (all, "Running", "u", &running));
    g_assert_cmpuint (running, ==, 0);
    g_assert_true (g_variant_lookup (all, "Progress", "d", &mean));
    g_assert_cmpfloat (mean, ==, -1.0);
    g_assert_true (g_variant_lookup (all, "Label", "&s", &label));
    g_assert_cmpstr (label, ==, "");
    g_assert_true (g_variant_lookup (all, "Tooltip", "&s", &tooltip));
    g_assert_cmpstr (tooltip, ==, "No runs in progress");
  }
  g_assert_true (g_hash_table_contains (fx->overview, "Label"));

  after = query (fx, g_ptr_array_index (fx->updates, hidden));
  g_assert_true (g_variant_lookup (after, "progress-visible", "b", &first_running));
  g_assert_false (first_running);

  overview = status_overview (fx, &root);
  g_assert_cmpstr (json_object_get_string_member (overview, "status"), ==, "idle");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (overview, "dock"), "app_uri"), ==,
                   APP_URI);
}

static void
test_failure_and_seen (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "runs", "resnet50", NULL);
  g_autofree char *log = g_build_filename (dir, "train.log", NULL);
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *overview;
  JsonArray *unseen;
  Update *update;
  guint i;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "", 0, NULL));
  out = tw_test_run_trainwatch_ok (fx->base.env, "watch", log, NULL);

  tw_test_append (log, "Epoch 1/2:  50%|#####     | 50/100 [00:05<00:05, 10.00it/s, loss=0.5]\n");
  i = wait_for_update (fx, 0, is_progress_shown_cb, "with progress");
  update = g_ptr_array_index (fx->updates, i);
  g_assert_cmpfloat_with_epsilon (update_progress (update), 0.25, 1e-9);
  g_assert_cmpint (update_count (update), ==, 1);
  wait_for_status (fx, "running");

  tw_test_append (log, "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                       "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n");
  i = wait_for_update (fx, i, is_urgent_cb, "that asks for attention");
  update = g_ptr_array_index (fx->updates, i);
  /* the failed run no longer runs */
  g_assert_false (update_bool (update, "progress-visible"));
  g_assert_false (update_bool (update, "count-visible"));
  wait_for_status (fx, "attention");
  g_assert_cmpstr (g_variant_get_string (g_hash_table_lookup (fx->overview, "Tooltip"), NULL), ==,
                   "resnet50: Out of memory");

  overview = status_overview (fx, &root);
  g_assert_cmpstr (json_object_get_string_member (overview, "status"), ==, "attention");
  unseen = json_object_get_array_member (overview, "unseen_failures");
  g_assert_cmpuint (json_array_get_length (unseen), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (unseen, 0), "job"), ==,
                   "resnet50");

  /* the tray's menu opened */
  activate_seen (fx);
  i = wait_for_update (fx, i, is_not_urgent_cb, "after app.seen");
  wait_for_status (fx, "idle");

  /* a second failure, not seen before the daemon quits: the last Update clears it (teardown) */
  g_clear_pointer (&out, g_free);
  out = tw_test_run_trainwatch_ok (fx->base.env, "send", "--level", "critical", "--job", "bert",
                                   "The loss went NaN", NULL);
  wait_for_update (fx, i, is_urgent_cb, "for the second failure");
  wait_for_status (fx, "attention");
  quit_daemon (fx);
}

/* dock-progress = false: the tray still sees the runs, the dock shows nothing; true shows it again. */
static void
test_switched_off (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *config_dir = g_build_filename (g_get_user_config_dir (), "trainwatch", NULL);
  g_autofree char *config = g_build_filename (config_dir, "trainwatch.conf", NULL);
  g_autofree char *tmp = g_strconcat (config, ".new", NULL);
  g_autofree char *log = g_build_filename (g_get_user_data_dir (), "bert.log", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GVariant) properties = NULL;
  gboolean visible = TRUE;
  Update *update;
  guint i;

  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (config, "[desktop]\ndock-progress = false\n", -1, NULL));
  g_assert_true (g_file_set_contents (log, "", 0, NULL));
  out = tw_test_run_trainwatch_ok (fx->base.env, "watch", log, NULL);
  tw_test_append (log, "Epoch 1/1:  30%|###       | 30/100 [00:03<00:07, 10.00it/s]\n");
  wait_for_status (fx, "running");

  for (i = 0; i < fx->updates->len; i++)
    g_assert_false (update_bool (g_ptr_array_index (fx->updates, i), "count-visible"));
  {
    g_autoptr(JsonNode) root = NULL;
    JsonObject *dock = json_object_get_object_member (status_overview (fx, &root), "dock");
    Update where = { .sender = (char *) DAEMON_BUS_NAME,
                     .path = (char *) json_object_get_string_member (dock, "object_path") };

    g_assert_false (json_object_get_boolean_member (dock, "enabled"));
    properties = query (fx, &where);
    g_assert_true (g_variant_lookup (properties, "count-visible", "b", &visible));
    g_assert_false (visible);
  }

  /* saved as an editor does; `watch` added the run's group, which stays */
  {
    g_autofree char *text = NULL;
    g_autofree char *edited = NULL;
    char *line;

    g_assert_true (g_file_get_contents (config, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "[watch:bert]"));
    line = strstr (text, "dock-progress = false");
    g_assert_nonnull (line);
    edited = g_strdup_printf ("%.*sdock-progress = true%s", (int) (line - text), text,
                              line + strlen ("dock-progress = false"));
    g_assert_true (g_file_set_contents (tmp, edited, -1, NULL));
    g_assert_cmpint (g_rename (tmp, config), ==, 0);
  }
  i = wait_for_update (fx, 0, is_progress_shown_cb, "once switched on");
  update = g_ptr_array_index (fx->updates, i);
  g_assert_cmpfloat_with_epsilon (update_progress (update), 0.3, 1e-9);
}

/* A dock that starts after the daemon hears the state at once. */
static void
test_dock_starts_later (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *out = tw_test_run_trainwatch_ok (fx->base.env, NULL);
  guint before;
  guint owner_id;
  guint i;

  tw_test_iterate_for (300);
  before = fx->updates->len;
  owner_id = g_bus_own_name_on_connection (fx->base.connection, "com.canonical.Unity",
                                           G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
  i = wait_for_update (fx, before, any_update_cb, "when a dock appeared");
  g_assert_cmpstr (((Update *) g_ptr_array_index (fx->updates, i))->app_uri, ==, APP_URI);
  g_assert_true (is_cleared_cb (g_ptr_array_index (fx->updates, i)));
  g_bus_unown_name (owner_id);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/dock/demo", Fixture, NULL, fixture_setup, test_demo, fixture_teardown);
  g_test_add ("/dock/failure-and-seen", Fixture, NULL, fixture_setup, test_failure_and_seen, fixture_teardown);
  g_test_add ("/dock/switched-off", Fixture, NULL, fixture_setup, test_switched_off, fixture_teardown);
  g_test_add ("/dock/dock-starts-later", Fixture, NULL, fixture_setup, test_dock_starts_later, fixture_teardown);

  return g_test_run ();
}
