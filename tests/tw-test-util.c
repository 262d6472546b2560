/* tw-test-util.c — test helpers: children, a private bus, a mock notification server, waiting
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-test-util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define PYTHON3                "/usr/bin/python3"
#define NOTIFICATIONS_NAME     "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH     "/org/freedesktop/Notifications"
#define MOCK_INTERFACE         "org.freedesktop.DBus.Mock"
#define CALL_TIMEOUT_MSEC      5000
#define START_TIMEOUT_MSEC     20000
#define STOP_TIMEOUT_MSEC      5000

struct _TwTestNotifyd
{
  GSubprocess     *process;
  GPid             pid;
  GDBusConnection *connection;
  char            *log_path;
};

/* Runs in a child before exec: it dies with the test process. */
static void
die_with_parent (gpointer data)
{
  pid_t parent = GPOINTER_TO_INT (data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (1);
}

/**
 * tw_test_launcher_new:
 * @flags: flags for the children
 * @env: (nullable): their environment, or %NULL for the test's
 *
 * A launcher whose children die with the test process (`PR_SET_PDEATHSIG`), so that a
 * test that aborts leaves none of them behind.
 *
 * Returns: (transfer full): the launcher
 */
GSubprocessLauncher *
tw_test_launcher_new (GSubprocessFlags   flags,
                      char             **env)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GINT_TO_POINTER (getpid ()),
                                         NULL);
  if (env != NULL)
    g_subprocess_launcher_set_environ (launcher, env);

  return launcher;
}

/**
 * tw_test_dup_environ:
 *
 * The test's environment for a child, with `HOME` and the XDG folders set to the
 * folders G_TEST_OPTION_ISOLATE_DIRS made for this test (they exist only inside this
 * process otherwise).
 *
 * Returns: (transfer full): the environment
 */
char **
tw_test_dup_environ (void)
{
  char **env = g_get_environ ();

  env = g_environ_setenv (env, "HOME", g_get_home_dir (), TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  env = g_environ_setenv (env, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  env = g_environ_setenv (env, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);

  return env;
}

/**
 * tw_test_append:
 * @path: a file, created if need be
 * @text: what to write at its end
 *
 * Appends @text to the file as a program writing its log does (open, write, close); the
 * test fails if that does not work.
 */
void
tw_test_append (const char *path,
                const char *text)
{
  FILE *f = g_fopen (path, "a");

  g_assert_nonnull (f);
  g_assert_cmpint (fputs (text, f), >=, 0);
  g_assert_cmpint (fclose (f), ==, 0);
}

/**
 * tw_test_dup_quiet_hours_around_now:
 *
 * Quiet hours that are on now, for the `quiet-hours` key: from two minutes ago for an
 * hour, in local time.
 *
 * Returns: (transfer full): a range such as `13:58-15:00`
 */
char *
tw_test_dup_quiet_hours_around_now (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) start = g_date_time_add_minutes (now, -2);
  g_autoptr(GDateTime) end = g_date_time_add_minutes (now, 60);
  g_autofree char *from = g_date_time_format (start, "%H:%M");
  g_autofree char *to = g_date_time_format (end, "%H:%M");

  return g_strdup_printf ("%s-%s", from, to);
}

/**
 * tw_test_get_name_owner_pid:
 * @connection: a connection to a message bus
 * @name: a well-known name on that bus
 *
 * Returns: the process id of @name's owner, or 0 when it has none
 */
GPid
tw_test_get_name_owner_pid (GDBusConnection *connection,
                            const char      *name)
{
  g_autoptr(GVariant) owner = NULL;
  g_autoptr(GVariant) pid = NULL;
  const char *unique_name;
  guint32 value;

  owner = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetNameOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, NULL);
  if (owner == NULL)
    return 0;

  g_variant_get (owner, "(&s)", &unique_name);
  pid = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                     g_variant_new ("(s)", unique_name), G_VARIANT_TYPE ("(u)"),
                                     G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, NULL);
  if (pid == NULL)
    return 0;

  g_variant_get (pid, "(u)", &value);
  return (GPid) value;
}

static gboolean
has_exited (TwTestNotifyd *self)
{
  /* GSubprocess reaps the child in GLib's worker thread and then forgets
   * its identifier. */
  return g_subprocess_get_identifier (self->process) == NULL;
}

static gboolean
owned_by_mock_cond (gpointer data)
{
  TwTestNotifyd *self = data;

  return has_exited (self) ||
         tw_test_get_name_owner_pid (self->connection, NOTIFICATIONS_NAME) == self->pid;
}

static gboolean
released_by_mock_cond (gpointer data)
{
  TwTestNotifyd *self = data;

  return tw_test_get_name_owner_pid (self->connection, NOTIFICATIONS_NAME) != self->pid;
}

static GVariant *
call_mock (TwTestNotifyd      *self,
           const char         *method,
           GVariant           *parameters,
           const GVariantType *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (self->connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                                       MOCK_INTERFACE, method, parameters, reply_type,
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MSEC, NULL, &error);
  g_assert_no_error (error);

  return reply;
}

/**
 * tw_test_notifyd_is_supported:
 *
 * Whether `/usr/bin/python3` can run dbusmock; tests skip when it cannot.
 *
 * Returns: %TRUE if tw_test_notifyd_start() can work here
 */
gboolean
tw_test_notifyd_is_supported (void)
{
  static gsize result = 0;

  if (g_once_init_enter (&result))
    {
      const char *argv[] = { PYTHON3, "-c", "import dbusmock", NULL };
      int wait_status = 0;
      gboolean ok;

      ok = g_spawn_sync (NULL, (char **) argv, NULL,
                         G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, NULL, NULL, &wait_status, NULL) &&
           g_spawn_check_wait_status (wait_status, NULL);
      g_once_init_leave (&result, ok ? 1 : 2);
    }

  return result == 1;
}

/**
 * tw_test_notifyd_start:
 * @capabilities: the server's capabilities, separated by spaces ("body
 *   body-markup actions"); may be empty
 *
 * Starts `/usr/bin/python3 -m dbusmock --session -t notification_daemon`
 * with these capabilities on the current session bus (the one in
 * `DBUS_SESSION_BUS_ADDRESS`, e.g. from a #TwTestBus), logging to a
 * temporary file so nothing reaches the TAP output, and iterates the
 * thread-default main context until the mock owns
 * `org.freedesktop.Notifications` (20 s at most; the test fails otherwise).
 *
 * Returns: (transfer full): the running server, for tw_test_notifyd_stop()
 */
TwTestNotifyd *
tw_test_notifyd_start (const char *capabilities)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *parameters = NULL;
  TwTestNotifyd *self;
  int fd;

  g_assert_nonnull (capabilities);
  g_assert_null (strpbrk (capabilities, "\"\\"));

  self = g_new0 (TwTestNotifyd, 1);
  fd = g_file_open_tmp ("tw-notifyd-XXXXXX.log", &self->log_path, &error);
  g_assert_no_error (error);
  g_close (fd, NULL);

  parameters = g_strdup_printf ("{\"capabilities\": \"%s\"}", capabilities);
  /* it dies with the test process: a test that aborts cannot leave it behind holding the
   * test's output open */
  launcher = tw_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, NULL);
  self->process = g_subprocess_launcher_spawn (launcher, &error, PYTHON3, "-m", "dbusmock",
                                               "--session", "-t", "notification_daemon",
                                               "-p", parameters, "-l", self->log_path, NULL);
  g_assert_no_error (error);
  self->pid = (GPid) atoi (g_subprocess_get_identifier (self->process));

  self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (tw_test_wait_until (owned_by_mock_cond, self, START_TIMEOUT_MSEC));
  g_assert_false (has_exited (self));

  return self;
}

/**
 * tw_test_notifyd_stop:
 * @self: (transfer full) (nullable): a server from tw_test_notifyd_start()
 *
 * Wakes the server if it was stopped (SIGCONT), kills it, waits for it and
 * for the bus to release its name, and frees @self.
 */
void
tw_test_notifyd_stop (TwTestNotifyd *self)
{
  if (self == NULL)
    return;

  if (!has_exited (self))
    {
      kill (self->pid, SIGCONT);
      g_subprocess_force_exit (self->process);
    }
  g_subprocess_wait (self->process, NULL, NULL);
  g_assert_true (tw_test_wait_until (released_by_mock_cond, self, STOP_TIMEOUT_MSEC));

  g_unlink (self->log_path);
  g_free (self->log_path);
  g_clear_object (&self->process);
  g_clear_object (&self->connection);
  g_free (self);
}

/**
 * tw_test_notifyd_get_pid:
 * @self: a running server
 *
 * Returns: the server's process id (for SIGSTOP and SIGCONT)
 */
GPid
tw_test_notifyd_get_pid (TwTestNotifyd *self)
{
  return self->pid;
}

/**
 * tw_test_notifyd_pause:
 * @self: a running server
 *
 * Stops the server with SIGSTOP: calls to it hang until
 * tw_test_notifyd_resume() (or the 25 s D-Bus timeout).
 */
void
tw_test_notifyd_pause (TwTestNotifyd *self)
{
  g_assert_cmpint (kill (self->pid, SIGSTOP), ==, 0);
}

/**
 * tw_test_notifyd_resume:
 * @self: a server stopped with tw_test_notifyd_pause()
 *
 * Lets the server go on (SIGCONT).
 */
void
tw_test_notifyd_resume (TwTestNotifyd *self)
{
  g_assert_cmpint (kill (self->pid, SIGCONT), ==, 0);
}

/**
 * tw_test_notifyd_get_notify_calls:
 * @self: a running server
 *
 * Asks the mock for the `Notify` calls it received, through
 * `org.freedesktop.DBus.Mock.GetMethodCalls`.
 *
 * Returns: (transfer full) (element-type GVariant): one "av" of the call's 8
 *   arguments per call, in call order
 */
GPtrArray *
tw_test_notifyd_get_notify_calls (TwTestNotifyd *self)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  guint64 timestamp;
  GVariant *args;

  reply = call_mock (self, "GetMethodCalls", g_variant_new ("(s)", "Notify"),
                     G_VARIANT_TYPE ("(a(tav))"));
  g_variant_get (reply, "(a(tav))", &iter);
  while (g_variant_iter_next (iter, "(t@av)", &timestamp, &args))
    {
      g_assert_cmpuint (g_variant_n_children (args), ==, 8);
      g_ptr_array_add (calls, args);
    }

  return calls;
}

typedef struct
{
  TwTestNotifyd *self;
  guint          n;
  const char    *summary;
} CallWait;

static gboolean
n_calls_cond (gpointer data)
{
  CallWait *wait = data;
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (wait->self);

  return calls->len >= wait->n;
}

static gboolean
summary_seen_cond (gpointer data)
{
  CallWait *wait = data;
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (wait->self);

  for (guint i = 0; i < calls->len; i++)
    if (g_strcmp0 (tw_test_notify_call_get_summary (g_ptr_array_index (calls, i)),
                   wait->summary) == 0)
      return TRUE;

  return FALSE;
}

/**
 * tw_test_notifyd_wait_for_calls:
 * @self: a running server
 * @n: how many `Notify` calls to wait for
 * @timeout_ms: how long to wait at most
 *
 * Iterates the thread-default main context until the server has received @n `Notify`
 * calls or more; the test fails if it has not within @timeout_ms.
 *
 * Returns: (transfer full) (element-type GVariant): all the calls, as
 *   tw_test_notifyd_get_notify_calls() returns them
 */
GPtrArray *
tw_test_notifyd_wait_for_calls (TwTestNotifyd *self,
                                guint          n,
                                guint          timeout_ms)
{
  CallWait wait = { self, n, NULL };

  g_assert_true (tw_test_wait_until (n_calls_cond, &wait, timeout_ms));
  return tw_test_notifyd_get_notify_calls (self);
}

/**
 * tw_test_notifyd_wait_for_summary:
 * @self: a running server
 * @summary: a notification's summary
 * @timeout_ms: how long to wait at most
 *
 * Iterates the thread-default main context until a `Notify` call with this summary has
 * come (or one came before).
 *
 * Returns: %TRUE if it came within @timeout_ms
 */
gboolean
tw_test_notifyd_wait_for_summary (TwTestNotifyd *self,
                                  const char    *summary,
                                  guint          timeout_ms)
{
  CallWait wait = { self, 0, summary };

  return tw_test_wait_until (summary_seen_cond, &wait, timeout_ms);
}

/**
 * tw_test_notifyd_clear:
 * @self: a running server
 *
 * Forgets the calls received so far (`ClearCalls`).
 */
void
tw_test_notifyd_clear (TwTestNotifyd *self)
{
  g_autoptr(GVariant) reply = NULL;

  reply = call_mock (self, "ClearCalls", NULL, G_VARIANT_TYPE ("()"));
}

static void
emit_signal (TwTestNotifyd *self,
             const char    *name,
             const char    *signature,
             GVariant      *arg1,
             GVariant      *arg2)
{
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder args;

  g_variant_builder_init (&args, G_VARIANT_TYPE ("av"));
  g_variant_builder_add (&args, "v", arg1);
  g_variant_builder_add (&args, "v", arg2);
  reply = call_mock (self, "EmitSignal",
                     g_variant_new ("(sssav)", NOTIFICATIONS_NAME, name, signature, &args),
                     G_VARIANT_TYPE ("()"));
}

/**
 * tw_test_notifyd_emit_action:
 * @self: a running server
 * @id: the notification's id
 * @action: the action key, as the client registered it
 *
 * Makes the server emit `ActionInvoked`, as when the user presses a button.
 */
void
tw_test_notifyd_emit_action (TwTestNotifyd *self,
                             guint32        id,
                             const char    *action)
{
  emit_signal (self, "ActionInvoked", "us", g_variant_new_uint32 (id),
               g_variant_new_string (action));
}

/**
 * tw_test_notifyd_emit_closed:
 * @self: a running server
 * @id: the notification's id
 * @reason: 1 expired, 2 dismissed, 3 closed by a call, 4 undefined
 *
 * Makes the server emit `NotificationClosed`.
 */
void
tw_test_notifyd_emit_closed (TwTestNotifyd *self,
                             guint32        id,
                             guint32        reason)
{
  emit_signal (self, "NotificationClosed", "uu", g_variant_new_uint32 (id),
               g_variant_new_uint32 (reason));
}

static gboolean
wake_up_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * tw_test_wait_until:
 * @cond: checked before each iteration
 * @data: passed to @cond
 * @timeout_ms: how long to wait at most
 *
 * Iterates the thread-default main context until @cond returns %TRUE or
 * @timeout_ms have passed.
 *
 * Returns: @cond's last result
 */
gboolean
tw_test_wait_until (gboolean (*cond) (gpointer data),
                    gpointer   data,
                    guint      timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GSource *tick;
  gboolean result;

  /* Conditions that change in other threads or processes wake nobody up. */
  tick = g_timeout_source_new (10);
  g_source_set_callback (tick, wake_up_cb, NULL, NULL);
  g_source_attach (tick, context);

  while (!(result = cond (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (tick);
  g_source_unref (tick);

  return result;
}

static gboolean
never_cond (gpointer data)
{
  return FALSE;
}

/**
 * tw_test_iterate_for:
 * @ms: how long
 *
 * Iterates the thread-default main context for @ms milliseconds, to give
 * something that should not happen a chance to happen.
 */
void
tw_test_iterate_for (guint ms)
{
  tw_test_wait_until (never_cond, NULL, ms);
}

/**
 * tw_test_bus_name_has_owner:
 * @name: a well-known name on the session bus
 *
 * Returns: whether @name has an owner now
 */
gboolean
tw_test_bus_name_has_owner (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MSEC, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);

  return has_owner;
}

typedef struct
{
  const char *name;
  gboolean    owned;
} NameWait;

static gboolean
name_state_cond (gpointer data)
{
  NameWait *wait = data;

  return tw_test_bus_name_has_owner (wait->name) == wait->owned;
}

/**
 * tw_test_wait_for_bus_name:
 * @name: a well-known name on the session bus
 * @owned: whether to wait for an owner or for none
 * @timeout_ms: how long to wait at most
 *
 * Returns: %TRUE if @name reached the state in time
 */
gboolean
tw_test_wait_for_bus_name (const char *name,
                           gboolean    owned,
                           guint       timeout_ms)
{
  NameWait wait = { name, owned };

  return tw_test_wait_until (name_state_cond, &wait, timeout_ms);
}

/* The argument at @index of a Notify call, unwrapped from its variant. The
 * call holds the data, so strings read from the result stay valid as long
 * as the call lives. */
static GVariant *
dup_argument (GVariant           *call,
              gsize               index,
              const GVariantType *type)
{
  g_autoptr(GVariant) boxed = NULL;
  GVariant *value;

  g_assert_true (g_variant_is_of_type (call, G_VARIANT_TYPE ("av")));
  g_assert_cmpuint (g_variant_n_children (call), ==, 8);

  boxed = g_variant_get_child_value (call, index);
  value = g_variant_get_variant (boxed);
  if (!g_variant_is_of_type (value, type))
    {
      g_autofree char *printed = g_variant_print (value, TRUE);

      g_error ("Notify argument %" G_GSIZE_FORMAT " has an unexpected type: %s", index, printed);
    }

  return value;
}

static const char *
get_string_argument (GVariant *call,
                     gsize     index)
{
  g_autoptr(GVariant) value = dup_argument (call, index, G_VARIANT_TYPE_STRING);

  return g_variant_get_string (value, NULL);
}

/**
 * tw_test_notify_call_get_app_name:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the app_name argument, borrowed from @call
 */
const char *
tw_test_notify_call_get_app_name (GVariant *call)
{
  return get_string_argument (call, 0);
}

/**
 * tw_test_notify_call_get_app_icon:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the app_icon argument, borrowed from @call
 */
const char *
tw_test_notify_call_get_app_icon (GVariant *call)
{
  return get_string_argument (call, 2);
}

/**
 * tw_test_notify_call_get_summary:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the summary argument, borrowed from @call
 */
const char *
tw_test_notify_call_get_summary (GVariant *call)
{
  return get_string_argument (call, 3);
}

/**
 * tw_test_notify_call_get_body:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the body argument, borrowed from @call
 */
const char *
tw_test_notify_call_get_body (GVariant *call)
{
  return get_string_argument (call, 4);
}

/**
 * tw_test_notify_call_get_replaces_id:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the replaces_id argument (0 for a new notification)
 */
guint32
tw_test_notify_call_get_replaces_id (GVariant *call)
{
  g_autoptr(GVariant) value = dup_argument (call, 1, G_VARIANT_TYPE_UINT32);

  return g_variant_get_uint32 (value);
}

/**
 * tw_test_notify_call_get_timeout:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the expire_timeout argument (-1 for the server's default)
 */
gint32
tw_test_notify_call_get_timeout (GVariant *call)
{
  g_autoptr(GVariant) value = dup_argument (call, 7, G_VARIANT_TYPE_INT32);

  return g_variant_get_int32 (value);
}

/**
 * tw_test_notify_call_dup_hint:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 * @hint: a hint name
 *
 * Returns: (transfer full) (nullable): the hint's value, or %NULL if absent
 */
GVariant *
tw_test_notify_call_dup_hint (GVariant   *call,
                              const char *hint)
{
  g_autoptr(GVariant) hints = dup_argument (call, 6, G_VARIANT_TYPE_VARDICT);

  return g_variant_lookup_value (hints, hint, NULL);
}

/**
 * tw_test_notify_call_get_urgency:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: the "urgency" hint (0 low, 1 normal, 2 critical), 1 if absent
 */
guint8
tw_test_notify_call_get_urgency (GVariant *call)
{
  g_autoptr(GVariant) value = tw_test_notify_call_dup_hint (call, "urgency");

  if (value == NULL)
    return 1;

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTE));
  return g_variant_get_byte (value);
}

/**
 * tw_test_notify_call_dup_hint_string:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 * @hint: a hint name
 *
 * Returns: (transfer full) (nullable): the hint's string value, or %NULL if
 *   absent (a hint of another type fails the test)
 */
char *
tw_test_notify_call_dup_hint_string (GVariant   *call,
                                     const char *hint)
{
  g_autoptr(GVariant) value = tw_test_notify_call_dup_hint (call, hint);

  if (value == NULL)
    return NULL;

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
  return g_variant_dup_string (value, NULL);
}

/**
 * tw_test_notify_call_dup_action_label:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 * @action_key: an action key ("default", "snooze", …)
 *
 * Returns: (transfer full) (nullable): the action's label, or %NULL if the
 *   call has no such action
 */
char *
tw_test_notify_call_dup_action_label (GVariant   *call,
                                      const char *action_key)
{
  g_autoptr(GVariant) actions = dup_argument (call, 5, G_VARIANT_TYPE_STRING_ARRAY);
  g_autofree const char **strv = g_variant_get_strv (actions, NULL);

  /* Keys and labels alternate. */
  for (guint i = 0; strv[i] != NULL && strv[i + 1] != NULL; i += 2)
    {
      if (g_str_equal (strv[i], action_key))
        return g_strdup (strv[i + 1]);
    }

  return NULL;
}

/**
 * tw_test_notify_call_has_action:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 * @action_key: an action key ("default", "snooze", …)
 *
 * Returns: whether the call offers that action
 */
gboolean
tw_test_notify_call_has_action (GVariant   *call,
                                const char *action_key)
{
  g_autofree char *label = tw_test_notify_call_dup_action_label (call, action_key);

  return label != NULL;
}

/**
 * tw_test_notify_call_get_n_actions:
 * @call: one call from tw_test_notifyd_get_notify_calls()
 *
 * Returns: how many actions (key and label pairs) the call offers
 */
guint
tw_test_notify_call_get_n_actions (GVariant *call)
{
  g_autoptr(GVariant) actions = dup_argument (call, 5, G_VARIANT_TYPE_STRING_ARRAY);

  return g_variant_n_children (actions) / 2;
}

/* A private session bus. With GLib 2.74, g_test_dbus_up() sometimes never returned in
 * our tests under AddressSanitizer: its dbus-daemon was up and serving, yet the test
 * waited on the pipe the address comes through, with no time limit (the daemon held the
 * pipe's write end at another descriptor than the one it was told to print to). So the
 * tests start dbus-daemon themselves: the address comes on its standard output, read up
 * to the first line end, within a time limit. */
struct _TwTestBus
{
  GPtrArray *service_dirs;   /* of char * */
  GPid       pid;
  char      *address;
  char      *config_path;
};

/**
 * tw_test_bus_new:
 *
 * Returns: a private session bus, not started yet
 */
TwTestBus *
tw_test_bus_new (void)
{
  TwTestBus *self = g_new0 (TwTestBus, 1);

  self->service_dirs = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/**
 * tw_test_bus_add_service_dir:
 * @self: a bus not started yet
 * @dir: a folder of D-Bus service files the bus may start services from
 */
void
tw_test_bus_add_service_dir (TwTestBus  *self,
                             const char *dir)
{
  g_assert_null (self->address);
  g_ptr_array_add (self->service_dirs, g_strdup (dir));
}

static char *
write_bus_config (TwTestBus *self)
{
  g_autoptr(GString) config = g_string_new ("<busconfig>\n"
                                            "  <type>session</type>\n"
                                            "  <listen>unix:tmpdir=/tmp</listen>\n");
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd;

  for (guint i = 0; i < self->service_dirs->len; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (g_ptr_array_index (self->service_dirs, i), -1);

      g_string_append_printf (config, "  <servicedir>%s</servicedir>\n", escaped);
    }
  g_string_append (config, "  <policy context=\"default\">\n"
                           "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                           "    <allow eavesdrop=\"true\"/>\n"
                           "    <allow own=\"*\"/>\n"
                           "  </policy>\n"
                           "</busconfig>\n");

  fd = g_file_open_tmp ("tw-test-bus-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, config->str, config->len, &error);
  g_assert_no_error (error);

  return path;
}

/**
 * tw_test_bus_up:
 * @self: a bus not started yet
 *
 * Starts dbus-daemon and points `DBUS_SESSION_BUS_ADDRESS` at it (and unsets
 * `DBUS_STARTER_*` and `DISPLAY`), so that children started later use it too. Fails
 * the test when the daemon cannot be started or does not tell its address within
 * 20 seconds.
 */
void
tw_test_bus_up (TwTestBus *self)
{
  g_autofree char *config_arg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  int out_fd = -1;

  g_assert_null (self->address);
  self->config_path = write_bus_config (self);
  config_arg = g_strdup_printf ("--config-file=%s", self->config_path);
  {
    const char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1", config_arg, NULL };

    g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                              &self->pid, NULL, &out_fd, NULL, &error);
    g_assert_no_error (error);
  }

  while (strchr (line->str, '\n') == NULL)
    {
      struct pollfd pfd = { out_fd, POLLIN, 0 };
      gint64 left = deadline - g_get_monotonic_time ();
      char buf[256];
      ssize_t n;

      if (left <= 0)
        g_error ("dbus-daemon did not tell its address within 20 s");
      if (poll (&pfd, 1, (int) (left / 1000) + 1) <= 0)
        continue;
      n = read (out_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("dbus-daemon exited before telling its address");
      g_string_append_len (line, buf, n);
    }
  /* the daemon keeps its standard output; what it might print later is not read */
  close (out_fd);
  self->address = g_strndup (line->str, strchr (line->str, '\n') - line->str);

  g_unsetenv ("DISPLAY");
  g_unsetenv ("DBUS_STARTER_ADDRESS");
  g_unsetenv ("DBUS_STARTER_BUS_TYPE");
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", self->address, TRUE);
}

/**
 * tw_test_bus_get_address:
 * @self: a started bus
 *
 * Returns: its address
 */
const char *
tw_test_bus_get_address (TwTestBus *self)
{
  return self->address;
}

static void
connection_gone_cb (gpointer  data,
                    GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_cond (gpointer data)
{
  return *(gboolean *) data;
}

/**
 * tw_test_bus_free:
 * @self: (nullable): a bus
 *
 * Stops the bus and waits for the daemon to exit. The process's shared session bus
 * connection (g_bus_get()), if any, is closed; everyone who holds it should let go of
 * it (it waits up to 10 seconds for that), so that the next test in the process gets
 * a connection to its own bus.
 */
void
tw_test_bus_free (TwTestBus *self)
{
  if (self == NULL)
    return;

  if (self->address != NULL)
    {
      g_autoptr(GDBusConnection) connection = NULL;
      gboolean gone = FALSE;
      int status;

      /* g_bus_get_sync() hands out the shared connection only if it exists here:
       * the address is gone from the environment first, so no new one is made */
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
      connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
      if (connection != NULL)
        {
          g_dbus_connection_set_exit_on_close (connection, FALSE);
          g_dbus_connection_close_sync (connection, NULL, NULL);
          g_object_weak_ref (G_OBJECT (connection), connection_gone_cb, &gone);
        }

      /* stopped first, so that calls still waiting on it (a thread stuck on a
       * stopped peer) fail and let go of the connection */
      kill (self->pid, SIGTERM);
      while (waitpid (self->pid, &status, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (self->pid);

      if (connection != NULL)
        {
          g_clear_object (&connection);
          if (!tw_test_wait_until (flag_cond, &gone, 10000))
            g_test_message ("The session bus connection is still held after its bus stopped");
        }
    }

  if (self->config_path != NULL)
    g_unlink (self->config_path);
  g_free (self->config_path);
  g_free (self->address);
  g_ptr_array_unref (self->service_dirs);
  g_free (self);
}
