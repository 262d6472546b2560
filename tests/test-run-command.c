/* test-run-command.c — `trainwatch run -- CMD`, the real binary on a private bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "tw-run-command.h"
#include "tw-test-util.h"

/* A command that takes longer than this is hung, not slow. */
#define COMMAND_DEADLINE_MS 30000

typedef struct
{
  TwTestBus       *bus;
  GDBusConnection *connection;
  TwTestNotifyd   *notifyd;
  char           **env;
  char            *state_dir;
  char            *runs_dir;
} Fixture;

typedef struct
{
  int   status;      /* the exit status, or -1 when a signal ended it */
  char *out;
  char *err;
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* How a test wants trainwatch started, besides its arguments. */
typedef struct
{
  char       **env;          /* instead of the fixture's */
  int          stdout_fd;    /* taken, instead of a pipe; -1 for a pipe */
  gboolean     own_group;    /* in a process group of its own */
  const char  *ready_file;   /* wait for this file to exist, then send the signal */
  int          signal;
  gboolean     to_group;     /* send it to the process group, as a terminal does */
} Options;

typedef struct
{
  gboolean     done;
  GBytes      *out;
  GBytes      *err;
  GError      *error;
} Communicate;

static void
communicate_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

static gboolean
communicate_done (gpointer data)
{
  return ((Communicate *) data)->done;
}

static gboolean
file_exists_cb (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  return g_strndup (data != NULL ? data : "", len);
}

static void
new_group_setup (gpointer user_data)
{
  setpgid (0, 0);
}

static void
run_trainwatch_full (Fixture            *fx,
                     Result             *result,
                     const Options      *options,
                     const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
  Communicate c = { 0 };

  g_ptr_array_add (argv, (gpointer) g_getenv ("TW_TEST_TRAINWATCH"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  joined = g_strjoinv (" ", (char **) args);

  if (options == NULL || options->stdout_fd < 0)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_environ (launcher, options != NULL && options->env != NULL ? options->env : fx->env);
  if (options != NULL && options->stdout_fd >= 0)
    g_subprocess_launcher_take_stdout_fd (launcher, options->stdout_fd);
  if (options != NULL && options->own_group)
    g_subprocess_launcher_set_child_setup (launcher, new_group_setup, NULL, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* Closes the taken stdout here, so that only trainwatch holds it. */
  g_clear_object (&launcher);

  g_subprocess_communicate_async (process, NULL, NULL, communicate_cb, &c);

  if (options != NULL && options->signal != 0)
    {
      pid_t pid = atoi (g_subprocess_get_identifier (process));

      g_assert_true (tw_test_wait_until (file_exists_cb, (gpointer) options->ready_file, COMMAND_DEADLINE_MS));
      g_assert_cmpint (kill (options->to_group ? -pid : pid, options->signal), ==, 0);
    }

  if (!tw_test_wait_until (communicate_done, &c, COMMAND_DEADLINE_MS))
    {
      g_subprocess_force_exit (process);
      g_error ("trainwatch %s did not end within %d s", joined, COMMAND_DEADLINE_MS / 1000);
    }
  g_assert_no_error (c.error);

  result->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  result->out = bytes_to_string (c.out);
  result->err = bytes_to_string (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);
  g_test_message ("trainwatch %s -> %d\nstdout: %s\nstderr: %s", joined, result->status, result->out,
                  result->err);
}

/* Runs the trainwatch binary with @first_arg… (NULL-terminated) and waits for it. */
static void
run_trainwatch (Fixture    *fx,
                Result     *result,
                const char *first_arg,
                ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  run_trainwatch_full (fx, result, NULL, (const char * const *) args->pdata);
}

static gboolean
daemon_owned (Fixture *fx)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (fx->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", DAEMON_BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);

  return owned;
}

static gboolean
daemon_gone_cb (gpointer data)
{
  return !daemon_owned (data);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *capabilities = data;

  fx->bus = tw_test_bus_new ();
  tw_test_bus_up (fx->bus);
  fx->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  if (capabilities != NULL)
    fx->notifyd = tw_test_notifyd_start (capabilities);

  /* The isolated folders exist only in this process: hand them on. */
  fx->env = g_get_environ ();
  fx->env = g_environ_setenv (fx->env, "HOME", g_get_home_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "G_MESSAGES_DEBUG", "tw-app tw-channels", TRUE);

  fx->state_dir = g_build_filename (g_get_user_state_dir (), "trainwatch", NULL);
  fx->runs_dir = g_build_filename (fx->state_dir, "runs", NULL);
}

static void
assert_daemon_log_clean (Fixture *fx)
{
  g_autofree char *log_path = g_build_filename (fx->state_dir, "daemon.log", NULL);
  g_autofree char *log = NULL;

  if (!g_file_get_contents (log_path, &log, NULL, NULL))
    return;

  g_test_message ("daemon.log:\n%s", log);
  g_assert_null (strstr (log, "Sanitizer"));
  g_assert_null (strstr (log, "runtime error:"));
  g_assert_null (strstr (log, "CRITICAL"));
  g_assert_null (strstr (log, "WARNING"));
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (daemon_owned (fx))
    {
      g_auto(Result) result = { 0 };

      run_trainwatch (fx, &result, "quit", NULL);
      g_assert_true (tw_test_wait_until (daemon_gone_cb, fx, 20000));
    }

  assert_daemon_log_clean (fx);

  g_clear_pointer (&fx->notifyd, tw_test_notifyd_stop);
  g_clear_object (&fx->connection);
  g_clear_pointer (&fx->bus, tw_test_bus_free);
  g_clear_pointer (&fx->env, g_strfreev);
  g_clear_pointer (&fx->state_dir, g_free);
  g_clear_pointer (&fx->runs_dir, g_free);
}

/* The one log under runs/: its name must start with @prefix. */
static char *
dup_only_log (Fixture    *fx,
              const char *prefix)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  char *contents = NULL;
  const char *name;
  guint n = 0;

  dir = g_dir_open (fx->runs_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_test_message ("log: %s", name);
      g_assert_true (g_str_has_prefix (name, prefix));
      g_assert_true (g_str_has_suffix (name, ".log"));
      g_clear_pointer (&path, g_free);
      path = g_build_filename (fx->runs_dir, name, NULL);
      n++;
    }
  g_assert_cmpuint (n, ==, 1);

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

static void
test_name (void)
{
  const struct
  {
    const char *argv[8];
    const char *name;
  } rows[] = {
    { { "python", "train.py", "--lr", "3", NULL }, "train" },
    { { "/usr/bin/python3.11", "-u", "scripts/train_gpt.py", NULL }, "train_gpt" },
    { { "python", "-m", "pkg.train", "--epochs", "2", NULL }, "train" },
    { { "python3", "-mpkg.sub.finetune", NULL }, "finetune" },
    { { "torchrun", "--nproc_per_node", "4", "train.py", NULL }, "train" },
    { { "accelerate", "launch", "ddp.py", NULL }, "ddp" },
    { { "python", "-c", "print(1)", NULL }, "python" },
    { { "python", NULL }, "python" },
    { { "sh", "-c", "python train.py; echo done", NULL }, "sh" },
    { { "./bin/train-model", "--config", "a.py", NULL }, "train-model" },
    { { "/", NULL }, "run" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *name = tw_run_command_dup_name (rows[i].argv);

      g_assert_cmpstr (name, ==, rows[i].name);
    }
}

static void
test_exit_status (Fixture       *fx,
                  gconstpointer  data)
{
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;

  run_trainwatch (fx, &result, "run", "--", "sh", "-c", "echo 50%; exit 3", NULL);
  g_assert_cmpint (result.status, ==, 3);
  g_assert_cmpstr (result.out, ==, "50%\n");
  g_assert_cmpstr (result.err, ==, "");

  log = dup_only_log (fx, "sh-");
  g_assert_cmpstr (log, ==, result.out);
}

static void
test_named (Fixture       *fx,
            gconstpointer  data)
{
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;

  run_trainwatch (fx, &result, "run", "--name", "my/run", "--", "true", NULL);
  g_assert_cmpint (result.status, ==, 0);
  log = dup_only_log (fx, "my_run-");
  g_assert_cmpstr (log, ==, "");
}

static void
test_stdout_stderr (Fixture       *fx,
                    gconstpointer  data)
{
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;

  run_trainwatch (fx, &result, "run", "--", "sh", "-c", "echo out; echo err >&2", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, "out\n");
  g_assert_cmpstr (result.err, ==, "err\n");

  /* Both, in the order they were read. */
  log = dup_only_log (fx, "sh-");
  g_assert_cmpuint (strlen (log), ==, 8);
  g_assert_nonnull (strstr (log, "out\n"));
  g_assert_nonnull (strstr (log, "err\n"));
}

static void
test_carriage_return (Fixture       *fx,
                      gconstpointer  data)
{
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;

  run_trainwatch (fx, &result, "run", "--", "printf", " 10%%\\r 50%%\\r100%%", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, " 10%\r 50%\r100%");

  log = dup_only_log (fx, "printf-");
  g_assert_cmpstr (log, ==, " 10%\r 50%\r100%");
}

static void
test_python_unbuffered (Fixture       *fx,
                        gconstpointer  data)
{
  g_auto(Result) result = { 0 };

  run_trainwatch (fx, &result, "run", "--", "sh", "-c", "echo \"$PYTHONUNBUFFERED\"", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, "1\n");
}

static void
test_killed_by_signal (Fixture       *fx,
                       gconstpointer  data)
{
  g_auto(Result) result = { 0 };

  run_trainwatch (fx, &result, "run", "--", "sh", "-c", "kill -TERM $$", NULL);
  g_assert_cmpint (result.status, ==, 128 + SIGTERM);
}

static void
test_interrupt_reaches_child (Fixture       *fx,
                              gconstpointer  data)
{
  g_autofree char *ready = g_build_filename (g_get_user_runtime_dir (), "ready", NULL);
  g_autofree char *script = g_strdup_printf ("trap 'echo interrupted; exit 7' INT; touch '%s'; "
                                             "while :; do sleep 0.05; done", ready);
  const char *args[] = { "run", "--", "sh", "-c", script, NULL };
  Options options = { NULL, -1, TRUE, ready, SIGINT, TRUE };
  g_auto(Result) result = { 0 };

  /* Ctrl+C reaches the terminal's whole foreground group: trainwatch
   * outlives it and ends with the command, as the command chose. */
  run_trainwatch_full (fx, &result, &options, args);
  g_assert_cmpint (result.status, ==, 7);
  g_assert_cmpstr (result.out, ==, "interrupted\n");
}

static void
test_terminate_forwarded (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *ready = g_build_filename (g_get_user_runtime_dir (), "ready", NULL);
  g_autofree char *script = g_strdup_printf ("touch '%s'; exec sleep 60", ready);
  const char *args[] = { "run", "--", "sh", "-c", script, NULL };
  Options options = { NULL, -1, TRUE, ready, SIGTERM, FALSE };
  g_auto(Result) result = { 0 };

  /* Only trainwatch gets it; the command ends from it, then trainwatch. */
  run_trainwatch_full (fx, &result, &options, args);
  g_assert_cmpint (result.status, ==, 128 + SIGTERM);
}

static void
test_usage_error (Fixture       *fx,
                  gconstpointer  data)
{
  g_auto(Result) bare = { 0 };
  g_auto(Result) no_dashes = { 0 };

  run_trainwatch (fx, &bare, "run", NULL);
  g_assert_cmpint (bare.status, ==, 2);
  g_assert_nonnull (strstr (bare.err, "--"));
  run_trainwatch (fx, &no_dashes, "run", "--name", "x", NULL);
  g_assert_cmpint (no_dashes.status, ==, 2);
  g_assert_false (g_file_test (fx->runs_dir, G_FILE_TEST_EXISTS));
}

static void
test_missing_program (Fixture       *fx,
                      gconstpointer  data)
{
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;

  run_trainwatch (fx, &result, "run", "--", "trainwatch-no-such-program", "--flag", NULL);
  g_assert_cmpint (result.status, ==, 127);
  g_assert_cmpstr (result.out, ==, "");
  g_assert_nonnull (strstr (result.err, "“trainwatch-no-such-program”"));
  g_assert_nonnull (strstr (result.err, "No such file"));

  /* The log says why, for the daemon and for later. */
  log = dup_only_log (fx, "trainwatch-no-such-program-");
  g_assert_nonnull (strstr (log, "trainwatch-no-such-program"));
}

static void
test_daemon_unreachable (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *dead = g_build_filename (g_get_user_runtime_dir (), "no-bus", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", dead, NULL);
  g_auto(GStrv) env = g_environ_setenv (g_strdupv (fx->env), "DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  const char *args[] = { "run", "--", "sh", "-c", "echo still ran; exit 5", NULL };
  Options options = { env, -1, FALSE, NULL, 0, FALSE };
  g_auto(Result) result = { 0 };
  g_autofree char *log = NULL;
  guint n_lines = 0;

  run_trainwatch_full (fx, &result, &options, args);
  g_assert_cmpint (result.status, ==, 5);
  g_assert_cmpstr (result.out, ==, "still ran\n");
  /* One warning, and it says what happened. */
  g_assert_nonnull (strstr (result.err, "daemon"));
  for (const char *p = result.err; *p != '\0'; p++)
    n_lines += *p == '\n';
  g_assert_cmpuint (n_lines, ==, 1);
  g_assert_false (daemon_owned (fx));

  log = dup_only_log (fx, "sh-");
  g_assert_cmpstr (log, ==, "still ran\n");
}

static void
test_terminal (Fixture       *fx,
               gconstpointer  data)
{
  const char *args[] = { "run", "--", "sh", "-c",
                         "test -t 1 && echo tty; test -t 2 || echo apart >&2; stty size <&1; printf 'a\\nb\\r'",
                         NULL };
  struct winsize ws = { 0 };
  Options options = { NULL, -1, FALSE, NULL, 0, FALSE };
  g_auto(Result) result = { 0 };
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autofree char *log = NULL;
  int master = -1;
  int slave = -1;
  char buf[4096];
  gssize n;

  ws.ws_row = 33;
  ws.ws_col = 77;
  g_assert_cmpint (openpty (&master, &slave, NULL, NULL, &ws), ==, 0);
  options.stdout_fd = slave;

  run_trainwatch_full (fx, &result, &options, args);
  g_assert_cmpint (result.status, ==, 0);
  /* Our standard error is a pipe: the command's goes there, as it is. */
  g_assert_cmpstr (result.err, ==, "apart\n");

  /* Everyone holding the terminal is gone: what it holds, then EIO. */
  while ((n = read (master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (seen, buf, n);
  g_close (master, NULL);
  g_test_message ("terminal: %s", seen->str);

  /* Our terminal turns "\n" into "\r\n"; the command's did not do it too. */
  g_assert_cmpstr (seen->str, ==, "tty\r\n33 77\r\na\r\nb\r");
  log = dup_only_log (fx, "sh-");
  g_assert_nonnull (strstr (log, "apart\n"));
  g_assert_cmpuint (strlen (log), ==, strlen ("tty\n33 77\na\nb\rapart\n"));
}

static JsonNode *
status_json (Fixture *fx)
{
  g_auto(Result) result = { 0 };
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  run_trainwatch (fx, &result, "status", "--json", NULL);
  g_assert_cmpint (result.status, ==, 0);
  root = json_from_string (result.out, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return root;
}

static gboolean
critical_notified_cb (gpointer data)
{
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (data);

  for (guint i = 0; i < calls->len; i++)
    if (tw_test_notify_call_get_urgency (g_ptr_array_index (calls, i)) == 2)
      return TRUE;

  return FALSE;
}

static void
test_daemon_sees_failure (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *text = NULL;
  JsonObject *job = NULL;
  JsonObject *last;
  JsonArray *jobs;
  guint n_critical = 0;

  {
    g_auto(Result) result = { 0 };

    run_trainwatch (fx, &result, "run", "--", "sh", "-c", "echo 50%; exit 3", NULL);
    g_assert_cmpint (result.status, ==, 3);
    g_assert_cmpstr (result.err, ==, "");
    g_assert_true (daemon_owned (fx));
  }

  status = status_json (fx);
  jobs = json_object_get_array_member (json_node_get_object (status), "jobs");
  for (guint i = 0; i < json_array_get_length (jobs); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (jobs, i), "name"), "sh"))
      job = json_array_get_object_element (jobs, i);
  g_assert_nonnull (job);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (job, "log"), fx->runs_dir));
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "failed");

  last = json_object_get_object_member (job, "last_event");
  g_assert_nonnull (last);
  g_assert_cmpstr (json_object_get_string_member (last, "kind"), ==, "run-failed");
  text = g_strconcat (json_object_get_string_member (last, "title"), " ",
                      json_object_get_string_member_with_default (last, "body", ""), NULL);
  g_assert_nonnull (strstr (text, "status 3"));

  g_assert_true (tw_test_wait_until (critical_notified_cb, fx->notifyd, 20000));
  calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      g_test_message ("Notify: %s — %s (urgency %u)", tw_test_notify_call_get_summary (call),
                      tw_test_notify_call_get_body (call), tw_test_notify_call_get_urgency (call));
      if (tw_test_notify_call_get_urgency (call) == 2)
        {
          g_autofree char *shown = g_strconcat (tw_test_notify_call_get_summary (call), " ",
                                                tw_test_notify_call_get_body (call), NULL);

          n_critical++;
          g_assert_nonnull (strstr (shown, "status 3"));
        }
    }
  g_assert_cmpuint (n_critical, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  const char *caps = "body body-markup actions";

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/run-command/name", test_name);
  g_test_add ("/run-command/exit-status", Fixture, NULL, fixture_setup, test_exit_status, fixture_teardown);
  g_test_add ("/run-command/named", Fixture, NULL, fixture_setup, test_named, fixture_teardown);
  g_test_add ("/run-command/stdout-stderr", Fixture, NULL, fixture_setup, test_stdout_stderr, fixture_teardown);
  g_test_add ("/run-command/carriage-return", Fixture, NULL, fixture_setup, test_carriage_return,
              fixture_teardown);
  g_test_add ("/run-command/python-unbuffered", Fixture, NULL, fixture_setup, test_python_unbuffered,
              fixture_teardown);
  g_test_add ("/run-command/killed-by-signal", Fixture, NULL, fixture_setup, test_killed_by_signal,
              fixture_teardown);
  g_test_add ("/run-command/interrupt-reaches-child", Fixture, NULL, fixture_setup,
              test_interrupt_reaches_child, fixture_teardown);
  g_test_add ("/run-command/terminate-forwarded", Fixture, NULL, fixture_setup, test_terminate_forwarded,
              fixture_teardown);
  g_test_add ("/run-command/usage-error", Fixture, NULL, fixture_setup, test_usage_error, fixture_teardown);
  g_test_add ("/run-command/missing-program", Fixture, NULL, fixture_setup, test_missing_program,
              fixture_teardown);
  g_test_add ("/run-command/daemon-unreachable", Fixture, NULL, fixture_setup, test_daemon_unreachable,
              fixture_teardown);
  g_test_add ("/run-command/terminal", Fixture, NULL, fixture_setup, test_terminal, fixture_teardown);
  g_test_add ("/run-command/daemon-sees-failure", Fixture, caps, fixture_setup, test_daemon_sees_failure,
              fixture_teardown);

  return g_test_run ();
}
