/* tw-test-desktop.c — real desktop components for tests: Xvfb, dunst, xfconfd, a bus monitor
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each runs on the session bus the test set up (tw_test_bus_up()), started by
 * process id and stopped the same way; each dies with the test process if
 * the test aborts. Their environment points HOME and the XDG folders at
 * the test's isolated folders, so nothing reaches the real home.
 */
#include "config.h"

#include "tw-test-desktop.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "tw-test-util.h"

#define START_TIMEOUT_MSEC 20000
#define STOP_TIMEOUT_MSEC  5000
#define CALL_TIMEOUT_MSEC  5000
#define SILENT             (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE)

struct _TwTestXvfb
{
  GSubprocess *process;
  char        *display;
};

struct _TwTestDunst
{
  GSubprocess     *process;
  GDBusConnection *connection;
  char            *dir;
  char           **env;
};

struct _TwTestXfconf
{
  GSubprocess     *process;
  GDBusConnection *connection;
  char           **env;
};

struct _TwTestBusMonitor
{
  GDBusConnection *connection;
  GMutex           lock;
  GPtrArray       *calls;   /* of GVariant "av", the 8 arguments of each Notify */
};

static GPid
get_pid (GSubprocess *process)
{
  const char *id = g_subprocess_get_identifier (process);

  return id != NULL ? (GPid) atoi (id) : 0;
}

typedef struct
{
  GDBusConnection *connection;
  const char      *name;
  GSubprocess     *process;
} OwnerWait;

static gboolean
owned_cond (gpointer data)
{
  OwnerWait *wait = data;

  /* GSubprocess forgets the identifier once the child is reaped */
  return g_subprocess_get_identifier (wait->process) == NULL ||
         tw_test_get_name_owner_pid (wait->connection, wait->name) == get_pid (wait->process);
}

static gboolean
released_cond (gpointer data)
{
  OwnerWait *wait = data;

  return tw_test_get_name_owner_pid (wait->connection, wait->name) == 0;
}

static void
wait_for_owner (GDBusConnection *connection,
                const char      *name,
                GSubprocess     *process)
{
  OwnerWait wait = { connection, name, process };

  g_assert_true (tw_test_wait_until (owned_cond, &wait, START_TIMEOUT_MSEC));
  g_assert_nonnull (g_subprocess_get_identifier (process));
}

static void
stop_owner (GDBusConnection *connection,
            const char      *name,
            GSubprocess     *process)
{
  OwnerWait wait = { connection, name, process };

  if (g_subprocess_get_identifier (process) != NULL)
    g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_assert_true (tw_test_wait_until (released_cond, &wait, STOP_TIMEOUT_MSEC));
}

/* The environment for someone else's program: the test's debugging
 * variables (G_DEBUG=fatal-warnings) are ours to enforce, not theirs; dunst,
 * for one, warns about the icons a test environment lacks. The same list as
 * tests/desktop-session.sh. */
static char **
dup_component_environ (void)
{
  static const char * const test_only[] = {
    "G_DEBUG", "G_SLICE", "G_ENABLE_DIAGNOSTIC", "MALLOC_CHECK_", "MALLOC_PERTURB_",
    "G_MESSAGES_DEBUG",
  };
  char **env = tw_test_dup_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (test_only); i++)
    env = g_environ_unsetenv (env, test_only[i]);

  return env;
}

/**
 * tw_test_run_tool:
 * @envp: (nullable): the environment, or %NULL for the test's
 * @first_arg: the program, looked up in `PATH`
 * @...: its arguments, then %NULL
 *
 * Runs a command-line tool of a desktop component (`dunstctl`,
 * `xfconf-query`, `gsettings`) and waits for it; the test fails if it does
 * not succeed.
 *
 * Returns: %TRUE
 */
gboolean
tw_test_run_tool (char       **envp,
                  const char  *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;
  const char *arg;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &wait_status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, &error))
    g_error ("%s failed: %s\n%s", first_arg, error->message, err);

  return TRUE;
}

/**
 * tw_test_xvfb_is_supported:
 *
 * Returns: whether `Xvfb` is installed
 */
gboolean
tw_test_xvfb_is_supported (void)
{
  g_autofree char *path = g_find_program_in_path ("Xvfb");

  return path != NULL;
}

/**
 * tw_test_xvfb_start:
 *
 * Starts an X server on a display it chooses itself (`-displayfd`), so
 * tests running at the same time never race for one.
 *
 * Returns: (transfer full): the server, for tw_test_xvfb_stop()
 */
TwTestXvfb *
tw_test_xvfb_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) number = g_string_new (NULL);
  TwTestXvfb *self = g_new0 (TwTestXvfb, 1);
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MSEC * 1000;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);

  launcher = tw_test_launcher_new (SILENT, NULL);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  self->process = g_subprocess_launcher_spawn (launcher, &error, "Xvfb", "-displayfd", "3",
                                               "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                                               NULL);
  g_assert_no_error (error);
  /* the parent's copy of the write end is closed: EOF if Xvfb dies */
  g_clear_object (&launcher);

  /* Xvfb writes the display number and a newline when it is ready. */
  for (;;)
    {
      struct pollfd pfd = { fds[0], POLLIN, 0 };
      char c;
      ssize_t n;
      int timeout = (int) MAX ((deadline - g_get_monotonic_time ()) / 1000, 0);

      g_assert_cmpint (poll (&pfd, 1, timeout), ==, 1);
      n = read (fds[0], &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, ==, 1);
      if (c == '\n')
        break;
      g_assert_true (g_ascii_isdigit (c));
      g_string_append_c (number, c);
    }
  close (fds[0]);

  g_assert_cmpuint (number->len, >, 0);
  self->display = g_strconcat (":", number->str, NULL);
  return self;
}

/**
 * tw_test_xvfb_get_display:
 * @self: a running X server
 *
 * Returns: its display, such as `:1`
 */
const char *
tw_test_xvfb_get_display (TwTestXvfb *self)
{
  return self->display;
}

/**
 * tw_test_xvfb_stop:
 * @self: (transfer full) (nullable): a server from tw_test_xvfb_start()
 *
 * Stops the X server and waits for it.
 */
void
tw_test_xvfb_stop (TwTestXvfb *self)
{
  if (self == NULL)
    return;

  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait (self->process, NULL, NULL);
  g_clear_object (&self->process);
  g_free (self->display);
  g_free (self);
}

/**
 * tw_test_dunst_is_supported:
 *
 * Returns: whether dunst, dunstctl and Xvfb are installed
 */
gboolean
tw_test_dunst_is_supported (void)
{
  g_autofree char *dunst = g_find_program_in_path ("dunst");
  g_autofree char *dunstctl = g_find_program_in_path ("dunstctl");

  return dunst != NULL && dunstctl != NULL && tw_test_xvfb_is_supported ();
}

/**
 * tw_test_dunst_start:
 * @display: the X display to show notifications on
 *
 * Starts dunst as the notification server of the session bus, with a
 * config of its own (notifications stay until closed), and waits until it
 * owns `org.freedesktop.Notifications`.
 *
 * Returns: (transfer full): the server, for tw_test_dunst_stop()
 */
TwTestDunst *
tw_test_dunst_start (const char *display)
{
  static const char rc[] =
    "[global]\n"
    "    history_length = 100\n"
    "    markup = full\n"
    "[urgency_low]\n"
    "    timeout = 0\n"
    "[urgency_normal]\n"
    "    timeout = 0\n"
    "[urgency_critical]\n"
    "    timeout = 0\n";
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rc_path = NULL;
  TwTestDunst *self = g_new0 (TwTestDunst, 1);

  self->dir = g_dir_make_tmp ("tw-dunst-XXXXXX", &error);
  g_assert_no_error (error);
  rc_path = g_build_filename (self->dir, "dunstrc", NULL);
  g_assert_true (g_file_set_contents (rc_path, rc, -1, NULL));

  self->env = dup_component_environ ();
  self->env = g_environ_setenv (self->env, "DISPLAY", display, TRUE);
  self->env = g_environ_unsetenv (self->env, "WAYLAND_DISPLAY");
  launcher = tw_test_launcher_new (SILENT, self->env);
  self->process = g_subprocess_launcher_spawn (launcher, &error, "dunst", "-config", rc_path, NULL);
  g_assert_no_error (error);

  self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  wait_for_owner (self->connection, "org.freedesktop.Notifications", self->process);

  return self;
}

/**
 * tw_test_dunst_set_paused:
 * @self: a running dunst
 * @paused: whether it holds notifications (its Do Not Disturb)
 *
 * Pauses or unpauses dunst as its user would, with `dunstctl set-paused`.
 */
void
tw_test_dunst_set_paused (TwTestDunst *self,
                          gboolean     paused)
{
  tw_test_run_tool (self->env, "dunstctl", "set-paused", paused ? "true" : "false", NULL);
}

/**
 * tw_test_dunst_stop:
 * @self: (transfer full) (nullable): a dunst from tw_test_dunst_start()
 *
 * Stops dunst, waits for the bus to release its name, and removes its config.
 */
void
tw_test_dunst_stop (TwTestDunst *self)
{
  g_autofree char *rc_path = NULL;

  if (self == NULL)
    return;

  stop_owner (self->connection, "org.freedesktop.Notifications", self->process);
  rc_path = g_build_filename (self->dir, "dunstrc", NULL);
  g_unlink (rc_path);
  g_rmdir (self->dir);
  g_free (self->dir);
  g_strfreev (self->env);
  g_clear_object (&self->process);
  g_clear_object (&self->connection);
  g_free (self);
}

/* xfconfd is not in PATH: its D-Bus service file says where it is. */
static char *
find_xfconfd (void)
{
  /* the XDG default data folders; the test's own are isolated */
  static const char * const dirs[] = { "/usr/local/share", "/usr/share" };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "dbus-1", "services",
                                                "org.xfce.Xfconf.service", NULL);
      g_autoptr(GKeyFile) file = g_key_file_new ();
      g_autofree char *exec = NULL;

      if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
        continue;
      exec = g_key_file_get_string (file, "D-BUS Service", "Exec", NULL);
      if (exec != NULL && g_file_test (exec, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&exec);
    }

  return NULL;
}

/**
 * tw_test_xfconf_is_supported:
 *
 * Returns: whether xfconfd and xfconf-query are installed
 */
gboolean
tw_test_xfconf_is_supported (void)
{
  g_autofree char *xfconfd = find_xfconfd ();
  g_autofree char *query = g_find_program_in_path ("xfconf-query");

  return xfconfd != NULL && query != NULL;
}

/**
 * tw_test_xfconf_start:
 *
 * Starts xfconfd, Xfce's settings daemon, on the session bus (keeping its
 * files in the test's config folder) and waits until it owns
 * `org.xfce.Xfconf`.
 *
 * Returns: (transfer full): the daemon, for tw_test_xfconf_stop()
 */
TwTestXfconf *
tw_test_xfconf_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xfconfd = find_xfconfd ();
  TwTestXfconf *self = g_new0 (TwTestXfconf, 1);

  g_assert_nonnull (xfconfd);
  self->env = dup_component_environ ();
  launcher = tw_test_launcher_new (SILENT, self->env);
  self->process = g_subprocess_launcher_spawn (launcher, &error, xfconfd, NULL);
  g_assert_no_error (error);

  self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  wait_for_owner (self->connection, "org.xfce.Xfconf", self->process);

  return self;
}

/**
 * tw_test_xfconf_set_bool:
 * @self: a running xfconfd
 * @channel: such as `xfce4-notifyd`
 * @property: such as `/do-not-disturb`
 * @value: the value
 *
 * Sets a property as Xfce's settings dialogs do, through `xfconf-query`.
 */
void
tw_test_xfconf_set_bool (TwTestXfconf *self,
                         const char   *channel,
                         const char   *property,
                         gboolean      value)
{
  tw_test_run_tool (self->env, "xfconf-query", "-c", channel, "-p", property, "-n", "-t", "bool",
                    "-s", value ? "true" : "false", NULL);
}

/**
 * tw_test_xfconf_reset:
 * @self: a running xfconfd
 * @channel: such as `xfce4-notifyd`
 * @property: such as `/do-not-disturb`
 *
 * Removes a property (`xfconf-query -r`).
 */
void
tw_test_xfconf_reset (TwTestXfconf *self,
                      const char   *channel,
                      const char   *property)
{
  tw_test_run_tool (self->env, "xfconf-query", "-c", channel, "-p", property, "-r", NULL);
}

/**
 * tw_test_xfconf_stop:
 * @self: (transfer full) (nullable): an xfconfd from tw_test_xfconf_start()
 *
 * Stops xfconfd and waits for the bus to release its name.
 */
void
tw_test_xfconf_stop (TwTestXfconf *self)
{
  if (self == NULL)
    return;

  stop_owner (self->connection, "org.xfce.Xfconf", self->process);
  g_strfreev (self->env);
  g_clear_object (&self->process);
  g_clear_object (&self->connection);
  g_free (self);
}

/* Runs in GDBus's worker thread for every message the monitor receives. */
static GDBusMessage *
monitor_filter (GDBusConnection *connection,
                GDBusMessage    *message,
                gboolean         incoming,
                gpointer         user_data)
{
  TwTestBusMonitor *self = user_data;
  GDBusMessageType type = g_dbus_message_get_message_type (message);
  GVariant *body = g_dbus_message_get_body (message);

  if (!incoming)
    return message;

  /* Only answers to our own call (BecomeMonitor) and the bus's own signals to
   * us are for this connection; everything else is a copy of someone
   * else's traffic, which must not reach GDBus (it would answer method
   * calls, and a monitor that sends is disconnected). */
  if (g_strcmp0 (g_dbus_message_get_destination (message),
                 g_dbus_connection_get_unique_name (connection)) == 0 &&
      type != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;

  if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.Notifications") == 0 &&
      g_strcmp0 (g_dbus_message_get_member (message), "Notify") == 0 &&
      body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(susssasa{sv}i)")))
    {
      GVariantBuilder args;

      g_variant_builder_init (&args, G_VARIANT_TYPE ("av"));
      for (gsize i = 0; i < g_variant_n_children (body); i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (body, i);

          g_variant_builder_add (&args, "v", child);
        }
      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->calls, g_variant_ref_sink (g_variant_builder_end (&args)));
      g_mutex_unlock (&self->lock);
    }

  g_object_unref (message);
  return NULL;
}

/**
 * tw_test_bus_monitor_start:
 * @match_rule: which messages to see, such as
 *   `type='method_call',interface='org.freedesktop.Notifications',member='Notify'`
 *
 * Watches the session bus as dbus-monitor does: a connection of its own
 * that becomes a monitor (`org.freedesktop.DBus.Monitoring.BecomeMonitor`),
 * so that calls to a server can be seen whatever the server does with them
 * (dunst, paused, shows nothing). It keeps each `Notify` call.
 *
 * Returns: (transfer full): the monitor, for tw_test_bus_monitor_stop()
 */
TwTestBusMonitor *
tw_test_bus_monitor_start (const char *match_rule)
{
  const char *rules[] = { match_rule, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *address = NULL;
  GDBusConnectionFlags flags;
  TwTestBusMonitor *self = g_new0 (TwTestBusMonitor, 1);

  g_mutex_init (&self->lock);
  self->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;
  self->connection = g_dbus_connection_new_for_address_sync (address, flags, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (self->connection, FALSE);
  g_dbus_connection_add_filter (self->connection, monitor_filter, self, NULL);

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                                       "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), G_VARIANT_TYPE ("()"),
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);

  return self;
}

/**
 * tw_test_bus_monitor_dup_notify_calls:
 * @self: a monitor
 *
 * Returns: (transfer full) (element-type GVariant): one "av" of the 8
 *   arguments per `Notify` call seen so far, in order (as
 *   tw_test_notifyd_get_notify_calls() returns them)
 */
GPtrArray *
tw_test_bus_monitor_dup_notify_calls (TwTestBusMonitor *self)
{
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->calls->len; i++)
    g_ptr_array_add (calls, g_variant_ref (g_ptr_array_index (self->calls, i)));
  g_mutex_unlock (&self->lock);

  return calls;
}

/**
 * tw_test_bus_monitor_stop:
 * @self: (transfer full) (nullable): a monitor
 *
 * Closes the monitor's connection and frees it.
 */
void
tw_test_bus_monitor_stop (TwTestBusMonitor *self)
{
  if (self == NULL)
    return;

  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_ptr_array_unref (self->calls);
  g_mutex_clear (&self->lock);
  g_free (self);
}
