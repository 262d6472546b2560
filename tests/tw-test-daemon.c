/* tw-test-daemon.c — the trainwatch binary and its daemon in integration tests
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the binary the build made (`TW_TEST_TRAINWATCH`) as a user would, in an
 * environment that hands it the test's isolated folders, and waits for each command with
 * a deadline that only catches a hang. The daemon it starts lives on the test's session
 * bus; these helpers ask it for its state, quit it and read its log.
 */
#include "config.h"

#include "tw-test-daemon.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A command that takes longer than this is hung, not slow. */
#define COMMAND_DEADLINE_MS 30000
/* How long the daemon may take to leave the bus once told to quit. */
#define QUIT_DEADLINE_MS    30000

typedef struct
{
  gboolean  done;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
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
communicate_done_cond (gpointer data)
{
  return ((Communicate *) data)->done;
}

static gboolean
file_exists_cond (gpointer data)
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

static GPtrArray *
collect_args (const char *first_arg,
              va_list     ap)
{
  GPtrArray *args = g_ptr_array_new ();

  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  g_ptr_array_add (args, NULL);

  return args;
}

static JsonObject *
find_member_element (JsonNode   *status,
                     const char *array,
                     const char *member,
                     const char *value)
{
  JsonArray *elements = json_object_get_array_member (json_node_get_object (status), array);

  for (guint i = 0; i < json_array_get_length (elements); i++)
    {
      JsonObject *element = json_array_get_object_element (elements, i);

      if (g_strcmp0 (json_object_get_string_member (element, member), value) == 0)
        return element;
    }

  return NULL;
}

/**
 * tw_test_result_clear:
 * @result: a result
 *
 * Frees what @result holds (not @result itself).
 */
void
tw_test_result_clear (TwTestResult *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

/**
 * tw_test_run_trainwatch_full:
 * @env: the environment to run it in (a #TwTestFixture's `env`)
 * @options: (nullable): how to start it; %NULL: with pipes, in the test's process group
 * @args: its arguments (without the program), %NULL-terminated
 * @result: (out caller-allocates): what it gave back
 *
 * Runs the trainwatch binary under test and waits for it, iterating the thread-default
 * main context meanwhile. A command that has not ended within 30 s is killed and fails
 * the test. What it printed goes to the test's log.
 */
void
tw_test_run_trainwatch_full (char                  **env,
                             const TwTestRunOptions *options,
                             const char * const     *args,
                             TwTestResult           *result)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = g_strjoinv (" ", (char **) args);
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
  gboolean take_stdout = options != NULL && options->stdout_fd > 2;
  Communicate c = { 0 };
  gint64 start;

  g_ptr_array_add (argv, (gpointer) g_getenv ("TW_TEST_TRAINWATCH"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!take_stdout)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_environ (launcher, env);
  if (take_stdout)
    g_subprocess_launcher_take_stdout_fd (launcher, options->stdout_fd);
  if (options != NULL && options->own_group)
    g_subprocess_launcher_set_child_setup (launcher, new_group_setup, NULL, NULL);

  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* Closes a taken stdout here, so that only trainwatch holds it. */
  g_clear_object (&launcher);

  g_subprocess_communicate_async (process, NULL, NULL, communicate_cb, &c);

  if (options != NULL && options->signal != 0)
    {
      pid_t pid = atoi (g_subprocess_get_identifier (process));

      g_assert_true (tw_test_wait_until (file_exists_cond, (gpointer) options->ready_file,
                                         COMMAND_DEADLINE_MS));
      g_assert_cmpint (kill (options->to_group ? -pid : pid, options->signal), ==, 0);
    }

  if (!tw_test_wait_until (communicate_done_cond, &c, COMMAND_DEADLINE_MS))
    {
      g_subprocess_force_exit (process);
      g_error ("trainwatch %s did not end within %d s", joined, COMMAND_DEADLINE_MS / 1000);
    }
  g_assert_no_error (c.error);

  result->elapsed_us = g_get_monotonic_time () - start;
  result->status = -1;
  if (g_subprocess_get_if_exited (process))
    result->status = g_subprocess_get_exit_status (process);
  result->out = bytes_to_string (c.out);
  result->err = bytes_to_string (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);
  g_test_message ("trainwatch %s -> %d in %.1f ms\nstdout: %s\nstderr: %s", joined,
                  result->status, result->elapsed_us / 1000.0, result->out, result->err);
}

/**
 * tw_test_run_trainwatch:
 * @env: the environment to run it in
 * @result: (out caller-allocates): what it gave back
 * @first_arg: (nullable): its first argument, or %NULL for none
 * @...: the other arguments, then %NULL
 *
 * Runs the trainwatch binary with pipes for its output and waits for it, as
 * tw_test_run_trainwatch_full() does.
 */
void
tw_test_run_trainwatch (char         **env,
                        TwTestResult  *result,
                        const char    *first_arg,
                        ...)
{
  g_autoptr(GPtrArray) args = NULL;
  va_list ap;

  va_start (ap, first_arg);
  args = collect_args (first_arg, ap);
  va_end (ap);

  tw_test_run_trainwatch_full (env, NULL, (const char * const *) args->pdata, result);
}

/**
 * tw_test_run_trainwatch_ok:
 * @env: the environment to run it in
 * @first_arg: (nullable): its first argument, or %NULL for none
 * @...: the other arguments, then %NULL
 *
 * Runs a trainwatch command that must succeed: the test fails unless it exits with
 * status 0.
 *
 * Returns: (transfer full): what it printed on standard output
 */
char *
tw_test_run_trainwatch_ok (char       **env,
                           const char  *first_arg,
                           ...)
{
  g_auto(TwTestResult) result = { 0 };
  g_autoptr(GPtrArray) args = NULL;
  va_list ap;

  va_start (ap, first_arg);
  args = collect_args (first_arg, ap);
  va_end (ap);

  tw_test_run_trainwatch_full (env, NULL, (const char * const *) args->pdata, &result);
  g_assert_cmpint (result.status, ==, 0);

  return g_steal_pointer (&result.out);
}

/**
 * tw_test_daemon_is_running:
 *
 * Returns: whether the daemon owns its name on the session bus
 */
gboolean
tw_test_daemon_is_running (void)
{
  return tw_test_bus_name_has_owner (DAEMON_BUS_NAME);
}

/**
 * tw_test_daemon_quit:
 * @env: the environment to run trainwatch in
 *
 * Runs `trainwatch quit`, which must succeed, and waits until the daemon has left the
 * bus; the test fails if it has not within 30 s.
 */
void
tw_test_daemon_quit (char **env)
{
  g_autofree char *out = tw_test_run_trainwatch_ok (env, "quit", NULL);

  g_assert_true (tw_test_wait_for_bus_name (DAEMON_BUS_NAME, FALSE, QUIT_DEADLINE_MS));
}

/**
 * tw_test_daemon_dup_status:
 * @env: the environment to run trainwatch in
 *
 * Runs `trainwatch status --json`, which must succeed and print a JSON object.
 *
 * Returns: (transfer full): the parsed answer
 */
JsonNode *
tw_test_daemon_dup_status (char **env)
{
  g_autofree char *out = tw_test_run_trainwatch_ok (env, "status", "--json", NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *root = json_from_string (out, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return root;
}

/**
 * tw_test_daemon_assert_log_clean:
 *
 * Puts the daemon's log (`$XDG_STATE_HOME/trainwatch/daemon.log`, the daemon's and the
 * tray's messages) into the test's log, and fails the test if it holds a sanitizer
 * report, a warning or a critical. No log is fine: no daemon ran.
 */
void
tw_test_daemon_assert_log_clean (void)
{
  g_autofree char *log_path = g_build_filename (g_get_user_state_dir (), "trainwatch",
                                                "daemon.log", NULL);
  g_autofree char *log = NULL;

  if (!g_file_get_contents (log_path, &log, NULL, NULL))
    return;

  g_test_message ("daemon.log:\n%s", log);
  g_assert_null (strstr (log, "Sanitizer"));
  g_assert_null (strstr (log, "runtime error:"));
  g_assert_null (strstr (log, "CRITICAL"));
  g_assert_null (strstr (log, "WARNING"));
}

/**
 * tw_test_status_find_job:
 * @status: what tw_test_daemon_dup_status() returned
 * @name: a job's name
 *
 * Returns: (transfer none) (nullable): the first job of that name, or %NULL
 */
JsonObject *
tw_test_status_find_job (JsonNode   *status,
                         const char *name)
{
  return find_member_element (status, "jobs", "name", name);
}

/**
 * tw_test_status_find_event:
 * @status: what tw_test_daemon_dup_status() returned
 * @title: an event's title
 *
 * Returns: (transfer none) (nullable): the first event with that title, or %NULL
 */
JsonObject *
tw_test_status_find_event (JsonNode   *status,
                           const char *title)
{
  return find_member_element (status, "events", "title", title);
}

/**
 * tw_test_fixture_setup:
 * @self: a zeroed fixture (g_test_add() hands one out)
 * @capabilities: (nullable): the capabilities of a dbusmock notification server to start
 *   (as tw_test_notifyd_start() takes them), or %NULL for none
 * @messages_debug: (nullable): `G_MESSAGES_DEBUG` for trainwatch, or %NULL to leave it
 *
 * Starts a private session bus (#TwTestBus) and, if asked, a notification server on it,
 * and makes the environment trainwatch runs in.
 */
void
tw_test_fixture_setup (TwTestFixture *self,
                       const char    *capabilities,
                       const char    *messages_debug)
{
  g_autoptr(GError) error = NULL;

  self->bus = tw_test_bus_new ();
  tw_test_bus_up (self->bus);
  self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  if (capabilities != NULL)
    self->notifyd = tw_test_notifyd_start (capabilities);

  self->env = tw_test_dup_environ ();
  if (messages_debug != NULL)
    self->env = g_environ_setenv (self->env, "G_MESSAGES_DEBUG", messages_debug, TRUE);
  self->config_path = g_build_filename (g_get_user_config_dir (), "trainwatch", "trainwatch.conf",
                                        NULL);
  self->state_dir = g_build_filename (g_get_user_state_dir (), "trainwatch", NULL);
}

/**
 * tw_test_fixture_teardown:
 * @self: a fixture from tw_test_fixture_setup()
 *
 * Quits the daemon if it runs, checks its log (tw_test_daemon_assert_log_clean()), stops
 * the servers the fixture holds and its bus, and frees what it holds.
 */
void
tw_test_fixture_teardown (TwTestFixture *self)
{
  if (tw_test_daemon_is_running ())
    tw_test_daemon_quit (self->env);

  tw_test_daemon_assert_log_clean ();

  g_clear_pointer (&self->monitor, tw_test_bus_monitor_stop);
  g_clear_pointer (&self->dunst, tw_test_dunst_stop);
  g_clear_pointer (&self->xvfb, tw_test_xvfb_stop);
  g_clear_pointer (&self->notifyd, tw_test_notifyd_stop);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->bus, tw_test_bus_free);
  g_clear_pointer (&self->env, g_strfreev);
  g_clear_pointer (&self->config_path, g_free);
  g_clear_pointer (&self->state_dir, g_free);
}
