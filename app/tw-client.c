/* tw-client.c — the command line's side: start the daemon if needed, forward to it
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `trainwatch CMD` never does the work itself: it makes sure the daemon is
 * on the session bus (starting it in the background when a command needs
 * it) and forwards its command line through GApplication, so the daemon's
 * answer is printed here and its exit status becomes ours.
 */
#include "config.h"

#include "tw-client.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw-application.h"
#include "tw-secret-command.h"

/* How long a freshly started daemon may take to appear on the bus. */
#define DAEMON_START_TIMEOUT_S 15
/* The daemon's log is started afresh past this size. */
#define DAEMON_LOG_MAX_SIZE (1024 * 1024)

/* Exit status of `status` when no daemon runs, as `systemctl status` does. */
#define EXIT_NOT_RUNNING 3

typedef struct
{
  GMainLoop *loop;
  gboolean   appeared;
  gboolean   exited;
  int        exit_status;
  gboolean   timed_out;
} StartWait;

static gboolean
name_has_owner (GDBusConnection  *bus,
                const char       *name,
                GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
  if (reply == NULL)
    return FALSE;

  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static char *
dup_daemon_log_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "trainwatch", "daemon.log", NULL);
}

static int
open_daemon_log (const char  *path,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return -1;
    }

  if (g_stat (path, &st) == 0 && st.st_size > DAEMON_LOG_MAX_SIZE)
    {
      g_autofree char *old = g_strconcat (path, ".1", NULL);

      g_rename (path, old);
    }

  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to open the log “%s”: %s"), path, g_strerror (saved_errno));
    }

  return fd;
}

static void
daemon_child_setup (gpointer user_data)
{
  /* Leave the terminal's session so closing the terminal or Ctrl+C in it
   * does not stop the daemon. */
  setsid ();
}

static void
name_appeared_cb (GDBusConnection *bus,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  StartWait *wait = user_data;

  wait->appeared = TRUE;
  g_main_loop_quit (wait->loop);
}

static void
daemon_exited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  StartWait *wait = user_data;
  GSubprocess *process = G_SUBPROCESS (source);

  if (g_subprocess_wait_finish (process, result, NULL))
    {
      wait->exited = TRUE;
      wait->exit_status = g_subprocess_get_status (process);
      g_main_loop_quit (wait->loop);
    }
}

static gboolean
start_timeout_cb (gpointer user_data)
{
  StartWait *wait = user_data;

  wait->timed_out = TRUE;
  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
start_daemon (GDBusConnection  *bus,
              GError          **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *exe = NULL;
  g_autofree char *log_path = dup_daemon_log_path ();
  StartWait wait = { 0 };
  guint watch_id;
  int log_fd;

  /* The same binary as this one, so a build tree runs its own daemon. */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe == NULL)
    exe = g_find_program_in_path ("trainwatch");
  if (exe == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("Cannot find the trainwatch program to start the daemon."));
      return FALSE;
    }

  log_fd = open_daemon_log (log_path, error);
  if (log_fd < 0)
    return FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_stdout_fd (launcher, dup (log_fd));
  g_subprocess_launcher_take_stderr_fd (launcher, log_fd);
  g_subprocess_launcher_set_child_setup (launcher, daemon_child_setup, NULL, NULL);
  {
    int null_fd = g_open ("/dev/null", O_RDONLY | O_CLOEXEC, 0);

    if (null_fd >= 0)
      g_subprocess_launcher_take_stdin_fd (launcher, null_fd);
  }

  process = g_subprocess_launcher_spawn (launcher, error, exe, "--daemon", NULL);
  if (process == NULL)
    {
      g_prefix_error (error, _("Failed to start the daemon: "));
      return FALSE;
    }

  /* Wait on a private context: nothing else in this short-lived process runs. */
  g_main_context_push_thread_default (context);
  loop = g_main_loop_new (context, FALSE);
  wait.loop = loop;

  watch_id = g_bus_watch_name_on_connection (bus, DAEMON_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             name_appeared_cb, NULL, &wait, NULL);
  g_subprocess_wait_async (process, cancellable, daemon_exited_cb, &wait);
  timeout = g_timeout_source_new_seconds (DAEMON_START_TIMEOUT_S);
  g_source_set_callback (timeout, start_timeout_cb, &wait, NULL);
  g_source_attach (timeout, context);

  g_main_loop_run (loop);

  g_source_destroy (timeout);
  g_bus_unwatch_name (watch_id);
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  if (wait.appeared)
    return TRUE;

  /* A daemon started at the same moment by another command may have won. */
  if (name_has_owner (bus, DAEMON_BUS_NAME, NULL))
    return TRUE;

  if (wait.exited)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("The daemon exited at start (status %d); its log is “%s”."),
                 wait.exit_status, log_path);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("The daemon did not appear on the session bus within %d seconds; its log is “%s”."),
                 DAEMON_START_TIMEOUT_S, log_path);
  return FALSE;
}

/**
 * tw_client_forward:
 * @argc: the number of arguments
 * @argv: a trainwatch command line, the program name first
 *
 * Sends a command line to the running daemon, which prints its answer on
 * this process's standard output and error.
 *
 * Returns: the daemon's exit status for the command
 */
int
tw_client_forward (int    argc,
                   char **argv)
{
  g_autoptr(GApplication) remote = NULL;

  remote = g_application_new (DAEMON_BUS_NAME,
                              G_APPLICATION_IS_LAUNCHER | G_APPLICATION_HANDLES_COMMAND_LINE |
                              G_APPLICATION_SEND_ENVIRONMENT);
  return g_application_run (remote, argc, argv);
}

static void
print_not_running (TwCommand *command)
{
  if (command->json)
    g_print ("{\n  \"running\" : false\n}\n");
  else
    g_print ("%s\n", _("Trainwatch is not running."));
}

/**
 * tw_client_ensure_daemon:
 * @error: return location for a #GError
 *
 * Starts the daemon in the background unless it already runs, and waits
 * until it is on the session bus.
 *
 * Returns: %TRUE when the daemon runs
 */
gboolean
tw_client_ensure_daemon (GError **error)
{
  g_autoptr(GDBusConnection) bus = NULL;
  gboolean running;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  if (bus == NULL)
    return FALSE;
  running = name_has_owner (bus, DAEMON_BUS_NAME, error);
  if (error != NULL && *error != NULL)
    return FALSE;

  return running || start_daemon (bus, error);
}

/**
 * tw_client_run:
 * @command: the parsed command line
 * @argc: the number of arguments
 * @argv: the arguments as given, forwarded to the daemon unchanged
 *
 * Runs a command on behalf of the user: starts the daemon when the command
 * needs one (no command, `send`, `watch`, `pause`, `resume`), answers `status`, `quit` and
 * `secret status` when none runs, and otherwise forwards the command line to the daemon.
 *
 * Returns: the process exit status
 */
int
tw_client_run (TwCommand  *command,
               int         argc,
               char      **argv)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  gboolean running;

  g_return_val_if_fail (command != NULL, 1);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  /* no bus, so no daemon: it says what the environment here holds */
  if (bus == NULL && command->kind == TW_COMMAND_SECRET_STATUS)
    return tw_secret_command_run (command);
  if (bus == NULL)
    {
      g_printerr (_("Cannot reach the D-Bus session bus: %s\n"), error->message);
      return 1;
    }

  running = name_has_owner (bus, DAEMON_BUS_NAME, &error);
  if (error != NULL)
    {
      g_printerr (_("Cannot ask the session bus whether Trainwatch runs: %s\n"), error->message);
      return 1;
    }

  if (!running)
    {
      switch (command->kind)
        {
        case TW_COMMAND_STATUS:
          print_not_running (command);
          return EXIT_NOT_RUNNING;

        case TW_COMMAND_QUIT:
          g_print ("%s\n", _("Trainwatch is not running."));
          return 0;

        case TW_COMMAND_SECRET_STATUS:
          return tw_secret_command_run (command);

        case TW_COMMAND_UNWATCH:
        case TW_COMMAND_RUN_FINISHED:
          g_printerr ("%s\n", _("Trainwatch is not running."));
          return 1;

        case TW_COMMAND_START:
        case TW_COMMAND_SEND:
        case TW_COMMAND_WATCH:
        case TW_COMMAND_PAUSE:
        case TW_COMMAND_RESUME:
        case TW_COMMAND_TEST_CHANNEL:
          if (!start_daemon (bus, &error))
            {
              g_printerr ("%s\n", error->message);
              return 1;
            }
          g_setenv (TW_ENV_CLIENT_STARTED_DAEMON, "1", TRUE);
          break;

        case TW_COMMAND_DAEMON:
        case TW_COMMAND_INSPECT:
        case TW_COMMAND_RUN:
        case TW_COMMAND_HELP:
        case TW_COMMAND_VERSION:
        case TW_COMMAND_SECRET_SET:
        case TW_COMMAND_SECRET_CLEAR:
        default:
          g_return_val_if_reached (1);
        }
    }

  return tw_client_forward (argc, argv);
}
