/* test-daemon.c — the real trainwatch binary on a private bus with a real notification server
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>

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

static void
test_start_send_status_quit (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(JsonNode) status = NULL;
  JsonObject *event;
  GVariant *call;

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Trainwatch started"));
    /* It returned, and the daemon is on the bus. */
    g_assert_true (tw_test_daemon_is_running ());
  }
  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "already running"));
  }
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--level", "error", "Run failed",
                                     "CUDA <b>out</b> of memory & more", NULL));

  calls = tw_test_notifyd_wait_for_calls (fx->notifyd, 1, 20000);
  g_assert_cmpuint (calls->len, ==, 1);
  call = g_ptr_array_index (calls, 0);
  g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "Run failed");
  g_assert_cmpstr (tw_test_notify_call_get_body (call), ==, "CUDA &lt;b&gt;out&lt;/b&gt; of memory &amp; more");
  g_assert_cmpuint (tw_test_notify_call_get_urgency (call), ==, 2);

  status = tw_test_daemon_dup_status (fx->env);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (status), "running"));
  event = tw_test_status_find_event (status, "Run failed");
  g_assert_nonnull (event);
  g_assert_cmpstr (json_object_get_string_member (event, "level"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (event, "body"), ==, "CUDA <b>out</b> of memory & more");

  tw_test_daemon_quit (fx->env);
  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "status", NULL);
    g_assert_cmpint (result.status, ==, 3);
    g_assert_nonnull (strstr (result.out, "not running"));
  }
}

static void
test_same_job_replaced (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  const char *titles[] = { "epoch 1", "epoch 2", "other run" };
  const char *jobs[] = { "resnet50", "resnet50", "bert" };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", jobs[i], titles[i], NULL));
      g_ptr_array_unref (tw_test_notifyd_wait_for_calls (fx->notifyd, i + 1, 20000));
    }

  calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  g_assert_cmpuint (calls->len, ==, 3);
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (g_ptr_array_index (calls, 0)), ==, 0);
  /* dbusmock numbers notifications from 1: the second updates the first. */
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (g_ptr_array_index (calls, 1)), ==, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 1)), ==, "epoch 2");
  g_assert_cmpuint (tw_test_notify_call_get_replaces_id (g_ptr_array_index (calls, 2)), ==, 0);
}

static gboolean
job_snoozed_cb (gpointer data)
{
  Fixture *fx = data;
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);
  JsonArray *jobs = json_object_get_array_member (json_node_get_object (status), "jobs");

  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);

      if (g_str_equal (json_object_get_string_member (job, "name"), "resnet50"))
        return !json_object_get_null_member (job, "snoozed_until");
    }

  return FALSE;
}

static void
test_action_snooze (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) calls = NULL;
  GVariant *call;

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "50 % done", NULL));
  calls = tw_test_notifyd_wait_for_calls (fx->notifyd, 1, 20000);
  call = g_ptr_array_index (calls, 0);
  g_assert_true (tw_test_notify_call_has_action (call, "snooze"));
  /* A run known only from `send` has no log to open. */
  g_assert_false (tw_test_notify_call_has_action (call, "open-log"));

  tw_test_notifyd_emit_action (fx->notifyd, 1, "snooze");
  g_assert_true (tw_test_wait_until (job_snoozed_cb, fx, 20000));

  /* Snoozed: the info event is recorded but not shown; the failure is shown. */
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "75 % done", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--level", "error", "--job", "resnet50",
                                     "Run failed", NULL));
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = tw_test_notifyd_wait_for_calls (fx->notifyd, 2, 20000);
  g_assert_cmpuint (calls->len, ==, 2);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 1)), ==, "Run failed");

  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);

    g_assert_nonnull (tw_test_status_find_event (status, "75 % done"));
  }
}

static gboolean
last_summary_is_hang_2_cb (gpointer data)
{
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (data);

  return calls->len > 0 &&
         g_strcmp0 (tw_test_notify_call_get_summary (g_ptr_array_index (calls, calls->len - 1)),
                    "during the hang 2") == 0;
}

static void
test_hung_server (Fixture       *fx,
                  gconstpointer  data)
{
  GPid pid = tw_test_notifyd_get_pid (fx->notifyd);

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "send", "--job", "r", "before the hang", NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_ptr_array_unref (tw_test_notifyd_wait_for_calls (fx->notifyd, 1, 20000));
  }

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);

  /* The daemon keeps answering while the server is stopped. The deadline
   * in tw_test_run_trainwatch only catches a hang; the times are in the log. */
  {
    g_auto(TwTestResult) first = { 0 };
    g_auto(TwTestResult) second = { 0 };
    g_auto(TwTestResult) status = { 0 };

    tw_test_run_trainwatch (fx->env, &first, "send", "--job", "r", "during the hang 1", NULL);
    g_assert_cmpint (first.status, ==, 0);
    tw_test_run_trainwatch (fx->env, &second, "send", "--job", "r", "during the hang 2", NULL);
    g_assert_cmpint (second.status, ==, 0);
    tw_test_run_trainwatch (fx->env, &status, "status", NULL);
    g_assert_cmpint (status.status, ==, 0);
    g_assert_nonnull (strstr (status.out, "during the hang 2"));
    g_test_message ("while stopped: send %.0f ms, send %.0f ms, status %.0f ms",
                    first.elapsed_us / 1000.0, second.elapsed_us / 1000.0, status.elapsed_us / 1000.0);
  }

  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  /* The newest state of the run arrives once the server is back. */
  g_assert_true (tw_test_wait_until (last_summary_is_hang_2_cb, fx->notifyd, 60000));
}

static void
test_no_server (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  JsonObject *desktop;

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--level", "critical", "Nobody listens",
                                     NULL));

  /* the channel counts as available until its worker has asked for a server */
  for (guint tries = 0;; tries++)
    {
      g_clear_pointer (&status, json_node_unref);
      status = tw_test_daemon_dup_status (fx->env);
      g_assert_nonnull (tw_test_status_find_event (status, "Nobody listens"));
      desktop = json_object_get_object_member (json_object_get_object_member (json_node_get_object (status),
                                                                              "channels"),
                                               "desktop");
      g_assert_nonnull (desktop);
      if (!json_object_get_boolean_member (desktop, "available"))
        break;
      g_assert_cmpuint (tries, <, 100);
      tw_test_iterate_for (100);
    }
}

static void
test_invalid_config (Fixture       *fx,
                     gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fx->config_path);
  g_autofree char *after = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autofree char *expected = NULL;
  JsonArray *problems;
  JsonObject *problem;
  const char contents[] =
    "# my settings\n"
    "[desktop]\n"
    "enabled = true\n"
    "sound = maybe\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->config_path, contents, -1, NULL));

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, NULL);
    g_assert_cmpint (result.status, ==, 0);
    expected = g_strdup_printf ("%s:4:", fx->config_path);
    g_assert_nonnull (strstr (result.err, expected));
    g_assert_nonnull (strstr (result.err, "sound"));
  }

  status = tw_test_daemon_dup_status (fx->env);
  problems = json_object_get_array_member (json_object_get_object_member (json_node_get_object (status),
                                                                          "config"),
                                           "problems");
  g_assert_cmpuint (json_array_get_length (problems), ==, 1);
  problem = json_array_get_object_element (problems, 0);
  g_assert_cmpstr (json_object_get_string_member (problem, "file"), ==, fx->config_path);
  g_assert_cmpint (json_object_get_int_member (problem, "line"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (problem, "key"), ==, "sound");

  g_assert_true (g_file_get_contents (fx->config_path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, contents);
}

static gboolean
config_problem_on_line_3_cb (gpointer data)
{
  Fixture *fx = data;
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);
  JsonObject *config = json_object_get_object_member (json_node_get_object (status), "config");
  JsonArray *problems = json_object_get_array_member (config, "problems");

  return json_array_get_length (problems) == 1 &&
         json_object_get_int_member (json_array_get_object_element (problems, 0), "line") == 3;
}

static void
test_config_reloaded (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *tmp_path = g_strconcat (fx->config_path, ".new", NULL);
  g_autoptr(GPtrArray) calls = NULL;
  /* Raises the desktop's threshold; the bad key on line 3 shows the reload. */
  const char contents[] =
    "[desktop]\n"
    "min-level = error\n"
    "volume = 11\n";

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  /* The first start wrote the documented default file. */
  g_assert_true (g_file_test (fx->config_path, G_FILE_TEST_IS_REGULAR));

  /* Saved the way editors do: a new file renamed over the old one. */
  g_assert_true (g_file_set_contents (tmp_path, contents, -1, NULL));
  g_assert_cmpint (g_rename (tmp_path, fx->config_path), ==, 0);
  g_assert_true (tw_test_wait_until (config_problem_on_line_3_cb, fx, 20000));

  {
    g_auto(TwTestResult) info = { 0 };
    g_auto(TwTestResult) error = { 0 };

    tw_test_run_trainwatch (fx->env, &info, "send", "--level", "warning", "below the threshold",
                            NULL);
    g_assert_cmpint (info.status, ==, 0);
    tw_test_run_trainwatch (fx->env, &error, "send", "--level", "error", "at the threshold", NULL);
    g_assert_cmpint (error.status, ==, 0);
  }

  calls = tw_test_notifyd_wait_for_calls (fx->notifyd, 1, 20000);
  g_assert_cmpuint (calls->len, ==, 1);
  g_assert_cmpstr (tw_test_notify_call_get_summary (g_ptr_array_index (calls, 0)), ==, "at the threshold");
}

static gboolean
failure_notified_cb (gpointer data)
{
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (data);

  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (tw_test_notify_call_get_summary (g_ptr_array_index (calls, i)), "Run failed"))
      return TRUE;

  return FALSE;
}

static void
test_watch_traceback (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "runs", "resnet50", NULL);
  g_autofree char *log = g_build_filename (dir, "train.log", NULL);
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(JsonNode) status = NULL;
  JsonArray *jobs;
  JsonObject *job;
  guint n_failures = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* What is in the log before the watch starts is history, not news. */
  g_assert_true (g_file_set_contents (log, "Traceback (most recent call last):\nOldError: before\n", -1, NULL));

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "watch", log, NULL);
    g_assert_cmpint (result.status, ==, 0);
    /* The folder names the run: train.log says nothing. */
    g_assert_nonnull (strstr (result.out, "resnet50"));
  }

  tw_test_append (log, "Epoch 1/2:  50%|#####     | 50/100 [00:01<00:01, 50.00it/s, loss=0.5]\n");
  tw_test_append (log, "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n    main()\n"
                       "RuntimeError: CUDA error: device-side assert triggered\n");
  g_assert_true (tw_test_wait_until (failure_notified_cb, fx->notifyd, 20000));

  calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      g_assert_null (strstr (tw_test_notify_call_get_summary (call), "OldError"));
      if (g_str_has_prefix (tw_test_notify_call_get_summary (call), "Run failed"))
        {
          n_failures++;
          g_assert_cmpstr (tw_test_notify_call_get_summary (call), ==, "Run failed: RuntimeError");
          g_assert_cmpstr (tw_test_notify_call_get_body (call), ==, "CUDA error: device-side assert triggered");
          g_assert_cmpuint (tw_test_notify_call_get_urgency (call), ==, 2);
          g_assert_true (tw_test_notify_call_has_action (call, "open-log"));
        }
    }
  g_assert_cmpuint (n_failures, ==, 1);

  status = tw_test_daemon_dup_status (fx->env);
  jobs = json_object_get_array_member (json_node_get_object (status), "jobs");
  g_assert_cmpuint (json_array_get_length (jobs), ==, 1);
  job = json_array_get_object_element (jobs, 0);
  g_assert_cmpstr (json_object_get_string_member (job, "name"), ==, "resnet50");
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (job, "source"), "state"), ==,
                   "following");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (job, "failure"), "kind"), ==,
                   "cuda-error");
  {
    JsonArray *last = json_object_get_array_member (job, "last_lines");
    guint n = json_array_get_length (last);

    /* the end of the log, the bar's redraw as shown */
    g_assert_cmpuint (n, >=, 5);
    g_assert_cmpstr (json_array_get_string_element (last, n - 1), ==,
                     "RuntimeError: CUDA error: device-side assert triggered");
    g_assert_cmpstr (json_array_get_string_element (last, n - 5), ==,
                     "Epoch 1/2:  50%|#####     | 50/100 [00:01<00:01, 50.00it/s, loss=0.5]");
  }

  {
    g_auto(TwTestResult) again = { 0 };
    g_auto(TwTestResult) unwatch = { 0 };
    g_auto(TwTestResult) unknown = { 0 };
    g_autofree char *config = NULL;

    tw_test_run_trainwatch (fx->env, &again, "watch", log, NULL);
    g_assert_cmpint (again.status, ==, 0);
    g_assert_nonnull (strstr (again.out, "Already watching"));
    /* the watch is kept in the config, and unwatch takes it out */
    g_assert_true (g_file_get_contents (fx->config_path, &config, NULL, NULL));
    g_assert_nonnull (strstr (config, "[watch:resnet50]\npath = "));
    g_clear_pointer (&config, g_free);
    tw_test_run_trainwatch (fx->env, &unwatch, "unwatch", "resnet50", NULL);
    g_assert_cmpint (unwatch.status, ==, 0);
    g_assert_true (g_file_get_contents (fx->config_path, &config, NULL, NULL));
    g_assert_null (strstr (config, "[watch:resnet50]"));
    g_assert_nonnull (strstr (config, "# Trainwatch settings."));
    tw_test_run_trainwatch (fx->env, &unknown, "unwatch", "resnet50", NULL);
    g_assert_cmpint (unknown.status, ==, 1);
  }
}

static guint
count_summaries (TwTestNotifyd *notifyd,
                 const char    *prefix)
{
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (notifyd);
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    if (g_str_has_prefix (tw_test_notify_call_get_summary (g_ptr_array_index (calls, i)), prefix))
      n++;

  return n;
}

/* 32 MB written at once: the follower skims to the newest lines, and still reports the
 * line a rule asks for in the middle, the traceback at the end, once, and the progress
 * the newest bar shows. */
static void
test_watch_burst (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *log = g_build_filename (g_get_user_data_dir (), "burst.log", NULL);
  g_autofree char *config_dir = g_path_get_dirname (fx->config_path);
  g_autoptr(GString) burst = g_string_new (NULL);
  g_autoptr(JsonNode) status = NULL;
  JsonObject *job;
  guint step = 0;

  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->config_path,
                                      "[rule:overflow]\n"
                                      "pattern = reducing loss scale to (\\S+)\n"
                                      "message = Loss scale dropped to \\1\n", -1, NULL));
  g_assert_true (g_file_set_contents (log, "", -1, NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL));

  while (burst->len < 16 * 1024 * 1024)
    {
      step++;
      g_string_append_printf (burst, "step %u/1000000 | loss 0.%06u | lr 0.0001 | 12.5 it/s\n", step,
                              step % 999999);
    }
  g_string_append (burst, "Gradient overflow. Skipping step, reducing loss scale to 2048.0\n");
  while (burst->len < 32 * 1024 * 1024)
    {
      step++;
      g_string_append_printf (burst, "step %u/1000000 | loss 0.%06u | lr 0.0001 | 12.5 it/s\n", step,
                              step % 999999);
    }
  g_string_append (burst, "Epoch 2/2: 100%|##########| 100/100 [00:10<00:00, 10.00it/s, loss=0.2]\n"
                          "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
                          "RuntimeError: NCCL error: unhandled system error\n");
  tw_test_append (log, burst->str);

  g_assert_true (tw_test_wait_until (failure_notified_cb, fx->notifyd, 60000));
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Loss scale dropped to 2048.0",
                                                   10000));
  tw_test_iterate_for (200);
  g_assert_cmpuint (count_summaries (fx->notifyd, "Run failed"), ==, 1);

  status = tw_test_daemon_dup_status (fx->env);
  job = tw_test_status_find_job (status, "burst");
  g_assert_nonnull (job);
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (job, "epoch"), ==, 2);
  /* most of it was skimmed */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (job, "source"), "skimmed"), >,
                   8 * 1024 * 1024);
}

/* A pattern makes each matching run its own job, present runs and future ones. */
static void
test_watch_glob (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *runs = g_build_filename (g_get_user_data_dir (), "sweep", NULL);
  g_autofree char *pattern = g_build_filename (runs, "*", "train.log", NULL);
  g_autofree char *a = g_build_filename (runs, "lr-0.1", NULL);
  g_autofree char *b = g_build_filename (runs, "lr-0.01", NULL);
  g_autofree char *c = g_build_filename (runs, "lr-0.001", NULL);
  g_autofree char *log_a = g_build_filename (a, "train.log", NULL);
  g_autofree char *log_b = g_build_filename (b, "train.log", NULL);
  g_autofree char *log_c = g_build_filename (c, "train.log", NULL);
  g_autoptr(JsonNode) status = NULL;
  g_autofree char *config = NULL;
  JsonObject *job;

  g_assert_cmpint (g_mkdir_with_parents (a, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (b, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log_a, "Epoch 1/4\n", -1, NULL));
  g_assert_true (g_file_set_contents (log_b, "Epoch 1/4\n", -1, NULL));
  /* not a match: no train.log in it */
  g_assert_cmpint (g_mkdir_with_parents (runs, 0700), ==, 0);

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "watch", pattern, NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "2 files match now"));
    g_assert_nonnull (strstr (result.out, "“sweep”"));
  }
  g_assert_true (g_file_get_contents (fx->config_path, &config, NULL, NULL));
  g_assert_nonnull (strstr (config, "[watch:sweep]\npath = "));

  /* a new run appears later: read from its start */
  g_assert_cmpint (g_mkdir_with_parents (c, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log_c,
                                      "Traceback (most recent call last):\n  File \"train.py\", line 9\n"
                                      "ValueError: lr too small\n", -1, NULL));
  g_assert_true (tw_test_wait_until (failure_notified_cb, fx->notifyd, 20000));
  g_assert_cmpuint (count_summaries (fx->notifyd, "Run failed: ValueError"), ==, 1);

  /* the runs that were there are followed from their end */
  tw_test_append (log_a, "Traceback (most recent call last):\nKeyError: 'x'\n");
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Run failed: KeyError", 20000));

  status = tw_test_daemon_dup_status (fx->env);
  job = tw_test_status_find_job (status, "lr-0.001");
  g_assert_nonnull (job);
  g_assert_cmpstr (json_object_get_string_member (job, "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (job, "log"), ==, log_c);
  g_assert_nonnull (tw_test_status_find_job (status, "lr-0.1"));
  g_assert_nonnull (tw_test_status_find_job (status, "lr-0.01"));

  {
    g_auto(TwTestResult) result = { 0 };
    g_autoptr(JsonNode) after = NULL;

    tw_test_run_trainwatch (fx->env, &result, "unwatch", "sweep", NULL);
    g_assert_cmpint (result.status, ==, 0);
    after = tw_test_daemon_dup_status (fx->env);
    g_assert_null (tw_test_status_find_job (after, "lr-0.001"));
    g_assert_null (tw_test_status_find_job (after, "lr-0.1"));
  }
}

/* Watches are kept in the config, and a restart continues each file where the
 * daemon stopped: what was written meanwhile is news, what was read is not. */
static void
test_watch_survives_restart (Fixture       *fx,
                             gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "gpt", NULL);
  g_autofree char *log = g_build_filename (dir, "train.log", NULL);
  g_autofree char *offsets = g_build_filename (fx->state_dir, "offsets.json", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "", -1, NULL));

  g_free (tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL));
  tw_test_append (log, "Epoch 1/4:  10%|#         | 10/100 [00:01<00:09, 10.00it/s]\n"
                       "Traceback (most recent call last):\nOSError: first failure\n");
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Run failed: OSError", 20000));
  /* half a line when the daemon stops: it is read whole after the restart */
  tw_test_append (log, "Epoch 2/4:  20%|##        | 20/100 [00:02<00:08, 10.00it/s]\n"
                       "Saving checkp");
  tw_test_daemon_quit (fx->env);
  g_assert_true (g_file_test (offsets, G_FILE_TEST_IS_REGULAR));

  tw_test_append (log, "oint to ckpt/epoch-2.pt\n"
                       "Traceback (most recent call last):\nKeyError: 'written while the daemon was away'\n");
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Run failed: KeyError", 20000));
  g_assert_cmpuint (count_summaries (fx->notifyd, "Run failed: OSError"), ==, 1);
  g_assert_cmpuint (count_summaries (fx->notifyd, "Run failed: KeyError"), ==, 1);
  /* joining midway is not a start */
  g_assert_cmpuint (count_summaries (fx->notifyd, "Run started"), ==, 1);
}

/* [runs] milestones chooses the milestone events. */
static void
test_milestones_from_config (Fixture       *fx,
                             gconstpointer  data)
{
  g_autofree char *config_dir = g_path_get_dirname (fx->config_path);

  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->config_path, "[runs]\nmilestones = 50, x, 40, 100\n", -1, NULL));
  fx->env = g_environ_setenv (fx->env, "TRAINWATCH_DEMO_SPEED", "4", TRUE);
  g_free (tw_test_run_trainwatch_ok (fx->env, "--demo", NULL));
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Run completed", 30000));
  g_assert_cmpuint (count_summaries (fx->notifyd, "50 % done"), ==, 1);
  g_assert_cmpuint (count_summaries (fx->notifyd, "100 % done"), ==, 1);
  g_assert_cmpuint (count_summaries (fx->notifyd, "25 % done"), ==, 0);
  g_assert_cmpuint (count_summaries (fx->notifyd, "40 % done"), ==, 0);
  g_assert_cmpuint (count_summaries (fx->notifyd, "75 % done"), ==, 0);
}

/* A [rule:NAME] of the config turns each matching line into a notification. */
static void
test_watch_rule (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *log = g_build_filename (g_get_user_data_dir (), "bert.log", NULL);
  g_autoptr(GPtrArray) calls = NULL;
  g_autofree char *config_dir = g_path_get_dirname (fx->config_path);
  gboolean found = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->config_path,
                                      "[rule:overflow]\n"
                                      "pattern = Gradient overflow.*loss scale to (\\S+)\n"
                                      "level = error\n"
                                      "message = Loss scale dropped to \\1\n", -1, NULL));
  g_assert_true (g_file_set_contents (log, "", -1, NULL));
  g_free (tw_test_run_trainwatch_ok (fx->env, "watch", log, NULL));
  tw_test_append (log, "Gradient overflow. Skipping step, loss scaler 0 reducing loss scale to 4096.0\n");
  /* the run's start may be notified first */
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Loss scale dropped to 4096.0",
                                                   20000));
  calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      if (g_strcmp0 (tw_test_notify_call_get_summary (call), "Loss scale dropped to 4096.0") == 0)
        {
          found = TRUE;
          g_assert_cmpuint (tw_test_notify_call_get_urgency (call), ==, 2);
        }
    }
  g_assert_true (found);
}

static void
test_watch_waits_for_file (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *log = g_build_filename (g_get_user_data_dir (), "later", "bert.log", NULL);
  g_autofree char *dir = g_path_get_dirname (log);

  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, "watch", log, NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Waiting for"));
  }

  /* A log that appears later is read from its start. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  tw_test_append (log, "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 8.00 GiB.\n");
  /* "Run started" comes first, or is replaced by the failure in place. */
  g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, "Out of memory", 20000));
  {
    g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
    GVariant *last = g_ptr_array_index (calls, calls->len - 1);

    g_assert_cmpstr (tw_test_notify_call_get_summary (last), ==, "Out of memory");
    g_assert_cmpuint (tw_test_notify_call_get_urgency (last), ==, 2);
  }
}

static void
run_demo (Fixture  *fx,
          gboolean  fail)
{
  const char *ok_summaries[] = { "Run started", "25 % done", "50 % done", "75 % done", "100 % done",
                                 "Checkpoint saved", "Run completed" };
  const char *fail_summaries[] = { "Run started", "25 % done", "Out of memory" };
  const char **summaries = fail ? fail_summaries : ok_summaries;
  guint n_summaries = fail ? G_N_ELEMENTS (fail_summaries) : G_N_ELEMENTS (ok_summaries);
  g_autoptr(GPtrArray) calls = NULL;

  fx->env = g_environ_setenv (fx->env, "TRAINWATCH_DEMO_SPEED", "4", TRUE);
  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, fail ? "--demo=fail" : "--demo", NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "simulated training run"));
  }

  for (guint i = 0; i < n_summaries; i++)
    {
      g_test_message ("waiting for “%s”", summaries[i]);
      g_assert_true (tw_test_notifyd_wait_for_summary (fx->notifyd, summaries[i], 30000));
    }

  calls = tw_test_notifyd_get_notify_calls (fx->notifyd);
  {
    GVariant *last = g_ptr_array_index (calls, calls->len - 1);

    g_assert_cmpstr (tw_test_notify_call_get_summary (last), ==, summaries[n_summaries - 1]);
    g_assert_cmpuint (tw_test_notify_call_get_urgency (last), ==, fail ? 2 : 1);
  }
}

static void
test_demo_completes (Fixture       *fx,
                     gconstpointer  data)
{
  run_demo (fx, FALSE);
}

static void
test_demo_fails (Fixture       *fx,
                 gconstpointer  data)
{
  run_demo (fx, TRUE);
}

static void
test_history_survives_restart (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  JsonObject *event;

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--level", "success", "--job", "bert",
                                     "Run completed", NULL));
  tw_test_daemon_quit (fx->env);
  {
    g_auto(TwTestResult) result = { 0 };

    tw_test_run_trainwatch (fx->env, &result, NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Trainwatch started"));
  }

  status = tw_test_daemon_dup_status (fx->env);
  event = tw_test_status_find_event (status, "Run completed");
  g_assert_nonnull (event);
  g_assert_cmpstr (json_object_get_string_member (event, "job"), ==, "bert");
  g_assert_cmpint (json_object_get_int_member (event, "id"), ==, 1);
}

static void
test_usage_errors (Fixture       *fx,
                   gconstpointer  data)
{
  g_auto(TwTestResult) missing_title = { 0 };
  g_auto(TwTestResult) bad_level = { 0 };
  g_auto(TwTestResult) quit = { 0 };

  tw_test_run_trainwatch (fx->env, &missing_title, "send", NULL);
  g_assert_cmpint (missing_title.status, ==, 2);
  g_assert_nonnull (strstr (missing_title.err, "trainwatch --help"));

  tw_test_run_trainwatch (fx->env, &bad_level, "send", "--level", "loud", "x", NULL);
  g_assert_cmpint (bad_level.status, ==, 2);
  g_assert_nonnull (strstr (bad_level.err, "loud"));

  /* Neither started a daemon. */
  g_assert_false (tw_test_daemon_is_running ());
  tw_test_run_trainwatch (fx->env, &quit, "quit", NULL);
  g_assert_cmpint (quit.status, ==, 0);
  g_assert_nonnull (strstr (quit.out, "not running"));
}

static void
test_help_and_version (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *version_cmd = g_strdup_printf ("%s --version", g_getenv ("TW_TEST_TRAINWATCH"));
  g_autofree char *help_cmd = g_strdup_printf ("%s --help", g_getenv ("TW_TEST_TRAINWATCH"));
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_command_line_sync (version_cmd, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==, "trainwatch " PACKAGE_VERSION "\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_true (g_spawn_command_line_sync (help_cmd, &out, &err, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "send"));
  g_assert_nonnull (strstr (out, "status"));
  g_assert_nonnull (strstr (out, "quit"));
}

static void
test_links_no_gtk (void)
{
  g_autofree char *cmd = g_strdup_printf ("ldd %s", g_getenv ("TW_TEST_TRAINWATCH"));
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "libglib-2.0"));
  g_assert_null (strstr (out, "libgtk"));
  g_assert_null (strstr (out, "libgdk-"));   /* GDK 3; gdk-pixbuf (libnotify) is not GTK */
}

static void
test_inspect_json (void)
{
  g_autofree char *log = g_test_build_filename (G_TEST_DIST, "data", "real-runs", "plain_crash.log", NULL);
  const char *argv[] = { g_getenv ("TW_TEST_TRAINWATCH"), "inspect", "--json", log, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *job = NULL;
  guint n_events = 0;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                               &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (lines[i], &error);
      JsonObject *object;

      g_assert_no_error (error);
      object = json_node_get_object (node);
      if (g_str_equal (json_object_get_string_member (object, "type"), "event"))
        {
          n_events++;
          g_assert_true (json_object_has_member (object, "kind"));
          g_assert_true (json_object_has_member (object, "level"));
          g_assert_true (json_object_has_member (object, "title"));
          g_assert_true (json_object_has_member (object, "body"));
          g_assert_cmpint (json_object_get_int_member (object, "offset"), >=, 0);
          g_assert_null (job);   /* the run comes last */
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "job");
          g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "failed");
          job = json_object_ref (object);
        }
    }
  g_assert_nonnull (job);
  g_assert_cmpuint (n_events, >=, 3);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (job, "failure"), "exception"), ==,
                   "ValueError");
  g_assert_cmpint (json_object_get_int_member (job, "step"), ==, 81);
  g_assert_cmpint (json_object_get_int_member (job, "total"), ==, 200);
  json_object_unref (job);
}

static void
test_inspect_errors (void)
{
  const char *missing_argv[] = { g_getenv ("TW_TEST_TRAINWATCH"), "inspect", "/nonexistent/train.log", NULL };
  const char *usage_argv[] = { g_getenv ("TW_TEST_TRAINWATCH"), "inspect", NULL };
  g_autofree char *err = NULL;
  g_autofree char *usage_err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) missing_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, &error));
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 1);
  g_assert_nonnull (strstr (err, "/nonexistent/train.log"));

  g_assert_true (g_spawn_sync (NULL, (char **) usage_argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &usage_err, &status, &error));
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
}

static void
changed_cb (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  guint *n_changed = user_data;

  (*n_changed)++;
}

/* The preferences window's D-Bus API: the status as `status --json` has it, and a
 * Changed signal when it changes. */
static void
test_control_status (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(GError) error = NULL;
  const char *json = NULL;
  guint n_changed = 0;
  guint subscription;

  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  subscription = g_dbus_connection_signal_subscribe (fx->connection, NULL,
                                                     "io.github.trainwatch.Trainwatch.Control", "Changed",
                                                     "/io/github/trainwatch/Trainwatch/Daemon", NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, changed_cb, &n_changed, NULL);

  g_free (tw_test_run_trainwatch_ok (fx->env, "send", "--job", "resnet50", "Checkpoint kept", NULL));
  reply = g_dbus_connection_call_sync (fx->connection, "io.github.trainwatch.Trainwatch.Daemon",
                                       "/io/github/trainwatch/Trainwatch/Daemon",
                                       "io.github.trainwatch.Trainwatch.Control", "GetStatus", NULL,
                                       G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &json);
  status = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (status), "running"));
  g_assert_nonnull (tw_test_status_find_job (status, "resnet50"));
  g_assert_nonnull (tw_test_status_find_event (status, "Checkpoint kept"));

  /* the event changed the status; the signal may come before or after the reply */
  while (n_changed == 0)
    g_main_context_iteration (NULL, TRUE);

  g_dbus_connection_signal_unsubscribe (fx->connection, subscription);
}

/* Whether the run @name is followed, as status says. */
static gboolean
job_following (Fixture    *fx,
               const char *name)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->env);
  JsonObject *job = tw_test_status_find_job (status, name);

  return job != NULL &&
         g_strcmp0 (json_object_get_string_member (json_object_get_object_member (job, "source"), "state"),
                    "following") == 0;
}

static void
write_watch_config (Fixture    *fx,
                    const char *log,
                    gboolean    paused)
{
  g_autofree char *dir = g_path_get_dirname (fx->config_path);
  g_autofree char *text = g_strdup_printf ("[watch:bert]\npath = %s\npaused = %s\n", log,
                                           paused ? "true" : "false");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->config_path, text, -1, NULL));
}

/* A paused watch is kept in the config but not followed, until it is resumed. */
static void
test_watch_paused (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *log = g_build_filename (g_get_user_cache_dir (), "bert.log", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "Epoch 1:  10%|#  | 10/100\n", -1, NULL));
  write_watch_config (fx, log, TRUE);
  g_free (tw_test_run_trainwatch_ok (fx->env, NULL));
  /* the daemon read the config at start: the paused watch made no run */
  g_assert_false (job_following (fx, "bert"));

  write_watch_config (fx, log, FALSE);
  while (!job_following (fx, "bert"))
    tw_test_iterate_for (100);

  write_watch_config (fx, log, TRUE);
  while (job_following (fx, "bert"))
    tw_test_iterate_for (100);
}

int
main (int    argc,
      char **argv)
{
  const char *caps = "body body-markup actions";

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/daemon/help-and-version", test_help_and_version);
  g_test_add_func ("/daemon/links-no-gtk", test_links_no_gtk);
  g_test_add_func ("/daemon/inspect/json", test_inspect_json);
  g_test_add_func ("/daemon/inspect/errors", test_inspect_errors);
  g_test_add ("/daemon/start-send-status-quit", Fixture, caps, fixture_setup, test_start_send_status_quit,
              fixture_teardown);
  g_test_add ("/daemon/control-status", Fixture, caps, fixture_setup, test_control_status, fixture_teardown);
  g_test_add ("/daemon/watch-paused", Fixture, caps, fixture_setup, test_watch_paused, fixture_teardown);
  g_test_add ("/daemon/same-job-replaced", Fixture, caps, fixture_setup, test_same_job_replaced,
              fixture_teardown);
  g_test_add ("/daemon/action-snooze", Fixture, caps, fixture_setup, test_action_snooze, fixture_teardown);
  g_test_add ("/daemon/hung-server", Fixture, caps, fixture_setup, test_hung_server, fixture_teardown);
  g_test_add ("/daemon/no-server", Fixture, NULL, fixture_setup, test_no_server, fixture_teardown);
  g_test_add ("/daemon/invalid-config", Fixture, caps, fixture_setup, test_invalid_config, fixture_teardown);
  g_test_add ("/daemon/config-reloaded", Fixture, caps, fixture_setup, test_config_reloaded, fixture_teardown);
  g_test_add ("/daemon/watch/traceback", Fixture, caps, fixture_setup, test_watch_traceback, fixture_teardown);
  g_test_add ("/daemon/watch/glob", Fixture, caps, fixture_setup, test_watch_glob, fixture_teardown);
  g_test_add ("/daemon/watch/survives-restart", Fixture, caps, fixture_setup, test_watch_survives_restart,
              fixture_teardown);
  g_test_add ("/daemon/watch/rule", Fixture, caps, fixture_setup, test_watch_rule, fixture_teardown);
  g_test_add ("/daemon/watch/burst", Fixture, caps, fixture_setup, test_watch_burst, fixture_teardown);
  g_test_add ("/daemon/milestones-from-config", Fixture, caps, fixture_setup, test_milestones_from_config,
              fixture_teardown);
  g_test_add ("/daemon/watch/waits-for-file", Fixture, caps, fixture_setup, test_watch_waits_for_file,
              fixture_teardown);
  g_test_add ("/daemon/demo/completes", Fixture, caps, fixture_setup, test_demo_completes, fixture_teardown);
  g_test_add ("/daemon/demo/fails", Fixture, caps, fixture_setup, test_demo_fails, fixture_teardown);
  g_test_add ("/daemon/history-survives-restart", Fixture, caps, fixture_setup, test_history_survives_restart,
              fixture_teardown);
  g_test_add ("/daemon/usage-errors", Fixture, caps, fixture_setup, test_usage_errors, fixture_teardown);

  return g_test_run ();
}
