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
#include "tw-test-daemon.h"

typedef TwTestFixture Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  tw_test_fixture_setup (fx, data, "tw-app tw-channels");
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  tw_test_fixture_teardown (fx);
}

/* Where `trainwatch run` keeps the commands' logs. */
static char *
dup_runs_dir (Fixture *fx)
{
  return g_build_filename (fx->state_dir, "runs", NULL);
}

/* The one log under runs/: its name must start with @prefix. */
static char *
dup_only_log (Fixture    *fx,
              const char *prefix)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *runs_dir = dup_runs_dir (fx);
  g_autofree char *path = NULL;
  char *contents = NULL;
  const char *name;
  guint n = 0;

  dir = g_dir_open (runs_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_test_message ("log: %s", name);
      g_assert_true (g_str_has_prefix (name, prefix));
      g_assert_true (g_str_has_suffix (name, ".log"));
      g_clear_pointer (&path, g_free);
      path = g_build_filename (runs_dir, name, NULL);
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
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "sh", "-c", "echo 50%; exit 3", NULL);
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
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;

  tw_test_run_trainwatch (fx->env, &result, "run", "--name", "my/run", "--", "true", NULL);
  g_assert_cmpint (result.status, ==, 0);
  log = dup_only_log (fx, "my_run-");
  g_assert_cmpstr (log, ==, "");
}

static void
test_stdout_stderr (Fixture       *fx,
                    gconstpointer  data)
{
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "sh", "-c", "echo out; echo err >&2", NULL);
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
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "printf", " 10%%\\r 50%%\\r100%%", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, " 10%\r 50%\r100%");

  log = dup_only_log (fx, "printf-");
  g_assert_cmpstr (log, ==, " 10%\r 50%\r100%");
}

static void
test_python_unbuffered (Fixture       *fx,
                        gconstpointer  data)
{
  g_auto(TwTestResult) result = { 0 };

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "sh", "-c", "echo \"$PYTHONUNBUFFERED\"", NULL);
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, "1\n");
}

static void
test_killed_by_signal (Fixture       *fx,
                       gconstpointer  data)
{
  g_auto(TwTestResult) result = { 0 };

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "sh", "-c", "kill -TERM $$", NULL);
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
  TwTestRunOptions options = { .own_group = TRUE, .ready_file = ready, .signal = SIGINT,
                               .to_group = TRUE };
  g_auto(TwTestResult) result = { 0 };

  /* Ctrl+C reaches the terminal's whole foreground group: trainwatch
   * outlives it and ends with the command, as the command chose. */
  tw_test_run_trainwatch_full (fx->env, &options, args, &result);
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
  TwTestRunOptions options = { .own_group = TRUE, .ready_file = ready, .signal = SIGTERM };
  g_auto(TwTestResult) result = { 0 };

  /* Only trainwatch gets it; the command ends from it, then trainwatch. */
  tw_test_run_trainwatch_full (fx->env, &options, args, &result);
  g_assert_cmpint (result.status, ==, 128 + SIGTERM);
}

static void
test_usage_error (Fixture       *fx,
                  gconstpointer  data)
{
  g_auto(TwTestResult) bare = { 0 };
  g_auto(TwTestResult) no_dashes = { 0 };
  g_autofree char *runs_dir = dup_runs_dir (fx);

  tw_test_run_trainwatch (fx->env, &bare, "run", NULL);
  g_assert_cmpint (bare.status, ==, 2);
  g_assert_nonnull (strstr (bare.err, "--"));
  tw_test_run_trainwatch (fx->env, &no_dashes, "run", "--name", "x", NULL);
  g_assert_cmpint (no_dashes.status, ==, 2);
  g_assert_false (g_file_test (runs_dir, G_FILE_TEST_EXISTS));
}

static void
test_missing_program (Fixture       *fx,
                      gconstpointer  data)
{
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;

  tw_test_run_trainwatch (fx->env, &result, "run", "--", "trainwatch-no-such-program", "--flag", NULL);
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
  g_auto(TwTestResult) result = { 0 };
  g_autofree char *log = NULL;
  guint n_lines = 0;

  tw_test_run_trainwatch_full (env, NULL, args, &result);
  g_assert_cmpint (result.status, ==, 5);
  g_assert_cmpstr (result.out, ==, "still ran\n");
  /* One warning, and it says what happened. */
  g_assert_nonnull (strstr (result.err, "daemon"));
  for (const char *p = result.err; *p != '\0'; p++)
    n_lines += *p == '\n';
  g_assert_cmpuint (n_lines, ==, 1);
  g_assert_false (tw_test_daemon_is_running ());

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
  TwTestRunOptions options = { 0 };
  g_auto(TwTestResult) result = { 0 };
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

  tw_test_run_trainwatch_full (fx->env, &options, args, &result);
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
  g_autofree char *runs_dir = dup_runs_dir (fx);
  JsonObject *job;
  JsonObject *last;
  guint n_critical = 0;

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "run", "--", "sh", "-c", "echo 50%; exit 3", NULL);
    g_assert_cmpint (result.status, ==, 3);
    g_assert_cmpstr (result.err, ==, "");
    g_assert_true (tw_test_daemon_is_running ());
  }

  status = tw_test_daemon_dup_status (fx->env);
  job = tw_test_status_find_job (status, "sh");
  g_assert_nonnull (job);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (job, "log"), runs_dir));
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
