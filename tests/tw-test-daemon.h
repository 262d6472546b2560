/* tw-test-daemon.h — the trainwatch binary and its daemon in integration tests
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-test-desktop.h"
#include "tw-test-util.h"

G_BEGIN_DECLS

/**
 * TwTestResult:
 * @status: the exit status, or -1 when a signal ended the command
 * @out: what it printed on standard output (empty when that was not a pipe)
 * @err: what it printed on standard error
 * @elapsed_us: how long it ran, for the test's log
 *
 * What a run of trainwatch gave back. Clear it with tw_test_result_clear(), or declare it
 * with `g_auto(TwTestResult) result = { 0 };`.
 */
typedef struct
{
  int     status;
  char   *out;
  char   *err;
  gint64  elapsed_us;
} TwTestResult;

/**
 * TwTestRunOptions:
 * @stdout_fd: a descriptor above 2 that becomes the command's standard output (it is
 *   taken), or 0 for a pipe
 * @own_group: start the command in a process group of its own
 * @ready_file: with @signal: once this file exists, the signal is sent
 * @signal: a signal to send the command, or 0
 * @to_group: send @signal to the command's process group, as a terminal does
 *
 * How tw_test_run_trainwatch_full() starts trainwatch, besides its environment and
 * arguments.
 */
typedef struct
{
  int          stdout_fd;
  gboolean     own_group;
  const char  *ready_file;
  int          signal;
  gboolean     to_group;
} TwTestRunOptions;

/**
 * TwTestFixture:
 * @bus: the test's private session bus
 * @connection: the test's connection to it
 * @notifyd: (nullable): the dbusmock notification server, if the test has one
 * @xvfb: (nullable): an X server for @dunst
 * @dunst: (nullable): dunst as the notification server instead
 * @monitor: (nullable): a bus monitor watching the `Notify` calls to @dunst
 * @env: the environment trainwatch runs in: the test's, with its isolated folders
 * @config_path: where the daemon reads its config
 * @state_dir: the daemon's state folder (daemon.log, the history, offsets)
 *
 * What an integration test of the daemon stands on. tw_test_fixture_setup() fills it
 * in; a test may start the desktop servers (@xvfb, @dunst, @monitor) itself, and
 * tw_test_fixture_teardown() stops whatever it holds.
 */
typedef struct
{
  TwTestBus         *bus;
  GDBusConnection   *connection;
  TwTestNotifyd     *notifyd;
  TwTestXvfb        *xvfb;
  TwTestDunst       *dunst;
  TwTestBusMonitor  *monitor;
  char             **env;
  char              *config_path;
  char              *state_dir;
} TwTestFixture;

void         tw_test_result_clear            (TwTestResult           *result);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TwTestResult, tw_test_result_clear)

void         tw_test_run_trainwatch_full     (char                  **env,
                                              const TwTestRunOptions *options,
                                              const char * const     *args,
                                              TwTestResult           *result);
void         tw_test_run_trainwatch          (char                  **env,
                                              TwTestResult           *result,
                                              const char             *first_arg,
                                              ...);
char        *tw_test_run_trainwatch_ok       (char                  **env,
                                              const char             *first_arg,
                                              ...);

gboolean     tw_test_daemon_is_running       (void);
void         tw_test_daemon_quit             (char                  **env);
JsonNode    *tw_test_daemon_dup_status       (char                  **env);
void         tw_test_daemon_assert_log_clean (void);

JsonObject  *tw_test_status_find_job         (JsonNode               *status,
                                              const char             *name);
JsonObject  *tw_test_status_find_event       (JsonNode               *status,
                                              const char             *title);

void         tw_test_fixture_setup           (TwTestFixture          *self,
                                              const char             *capabilities,
                                              const char             *messages_debug);
void         tw_test_fixture_teardown        (TwTestFixture          *self);

G_END_DECLS
