/* test-job.c — a job following a real file: events as the log grows, stalls and resumes
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "tw-inotify.h"
#include "tw-job.h"
#include "tw-test-util.h"

typedef struct
{
  GPtrArray *events;
  TwJob     *job;
  TwInotify *inotify;
  char      *log;
} Fixture;

static void
job_event_cb (TwJob   *job,
              TwEvent *event,
              Fixture *fx)
{
  g_ptr_array_add (fx->events, g_object_ref (event));
}

typedef struct
{
  Fixture     *fx;
  TwEventKind  kind;
} KindWait;

static gboolean
has_kind_cb (gpointer data)
{
  KindWait *wait = data;

  for (guint i = 0; i < wait->fx->events->len; i++)
    if (tw_event_get_kind (g_ptr_array_index (wait->fx->events, i)) == wait->kind)
      return TRUE;

  return FALSE;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->events = g_ptr_array_new_with_free_func (g_object_unref);
  fx->inotify = tw_inotify_new (&error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  fx->log = g_build_filename (g_get_user_state_dir (), "train.log", NULL);
  g_assert_true (g_file_set_contents (fx->log, "", 0, NULL));
  fx->job = tw_job_new ("resnet", fx->log);
  g_signal_connect (fx->job, "event", G_CALLBACK (job_event_cb), fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  tw_job_stop_following (fx->job);
  g_assert_finalize_object (fx->job);
  g_assert_finalize_object (fx->inotify);
  g_ptr_array_unref (fx->events);
  g_free (fx->log);
}

static void
test_stall_and_resume (Fixture       *fx,
                       gconstpointer  data)
{
  KindWait started = { fx, TW_EVENT_RUN_STARTED };
  KindWait stalled = { fx, TW_EVENT_STALLED };
  KindWait resumed = { fx, TW_EVENT_RESUMED };

  tw_job_set_stall_timeout (fx->job, 300 * 1000);
  tw_job_follow (fx->job, fx->inotify, 0);

  /* Before any output the run is waiting, not stalled. */
  g_assert_false (tw_test_wait_until (has_kind_cb, &stalled, 600));

  tw_test_append (fx->log,
                  "Epoch 1/3:  10%|#         | 10/100 [00:01<00:09, 10.00it/s, loss=2.1]\n");
  g_assert_true (tw_test_wait_until (has_kind_cb, &started, 10000));
  g_assert_true (tw_test_wait_until (has_kind_cb, &stalled, 10000));
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_STALLED);

  tw_test_append (fx->log,
                  "Epoch 1/3:  20%|##        | 20/100 [00:02<00:08, 10.00it/s, loss=2.0]\n");
  g_assert_true (tw_test_wait_until (has_kind_cb, &resumed, 10000));
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_RUNNING);
}

static void
test_no_stall_after_end (Fixture       *fx,
                         gconstpointer  data)
{
  KindWait completed = { fx, TW_EVENT_RUN_COMPLETED };
  KindWait stalled = { fx, TW_EVENT_STALLED };

  tw_job_set_stall_timeout (fx->job, 200 * 1000);
  tw_job_follow (fx->job, fx->inotify, 0);
  tw_test_append (fx->log, "step 10/10 | loss 0.1\nTraining complete.\n");
  g_assert_true (tw_test_wait_until (has_kind_cb, &completed, 10000));
  /* A finished run is silent for good; that is not a stall. */
  g_assert_false (tw_test_wait_until (has_kind_cb, &stalled, 800));
}

static void
test_exit_status_decides (Fixture       *fx,
                          gconstpointer  data)
{
  TwEvent *last;

  tw_job_follow (fx->job, fx->inotify, 0);
  /* Written and not yet read when the command ends: drained first. */
  tw_test_append (fx->log, "Epoch 1/2: 100%|##########| 10/10 [00:01<00:00, 10.00it/s]\n");
  tw_job_finish_process (fx->job, 2, 0);

  g_assert_false (tw_job_is_following (fx->job));
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_FAILED);
  last = g_ptr_array_index (fx->events, fx->events->len - 1);
  g_assert_cmpuint (tw_event_get_kind (last), ==, TW_EVENT_RUN_FAILED);
  g_assert_cmpstr (tw_event_get_body (last), ==, "The command exited with status 2.");
  g_assert_cmpuint (tw_event_get_kind (g_ptr_array_index (fx->events, 0)), ==, TW_EVENT_RUN_STARTED);
}

typedef struct
{
  guint changed;
  guint read;
} Signals;

static void
count_changed_cb (TwJob   *job,
                  Signals *signals)
{
  signals->changed++;
}

static void
count_read_cb (TwJob   *job,
               Signals *signals)
{
  signals->read++;
}

static gboolean
read_once_cb (gpointer data)
{
  return ((Signals *) data)->read >= 1;
}

/* "changed" follows the state, the progress and the ETA, not every line. */
static void
test_changed (Fixture       *fx,
              gconstpointer  data)
{
  Signals signals = { 0 };
  guint before;

  g_signal_connect (fx->job, "changed", G_CALLBACK (count_changed_cb), &signals);
  g_signal_connect (fx->job, "read", G_CALLBACK (count_read_cb), &signals);
  tw_job_follow (fx->job, fx->inotify, 0);
  g_assert_cmpuint (signals.changed, ==, 0);

  tw_test_append (fx->log, "Epoch 1/2:  50%|#####     | 5/10 [00:01<00:01, 5.00it/s]\n");
  /* the run starts, and its bar moves: in one read or two */
  g_assert_true (tw_test_wait_until (read_once_cb, &signals, 10000));
  g_assert_cmpuint (signals.changed, >=, 1);
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (tw_job_get_run_state (fx->job)), 0.25, 1e-9);

  before = signals.changed;
  signals.read = 0;
  tw_test_append (fx->log, "a line that moves nothing\n");
  g_assert_true (tw_test_wait_until (read_once_cb, &signals, 10000));
  g_assert_cmpuint (signals.changed, ==, before);

  signals.read = 0;
  tw_test_append (fx->log, "Epoch 1/2:  60%|######    | 6/10 [00:01<00:01, 5.00it/s]\n");
  g_assert_true (tw_test_wait_until (read_once_cb, &signals, 10000));
  /* one write, one read: the bar and its ETA moved together */
  g_assert_cmpuint (signals.changed, ==, before + 1);
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (tw_job_get_run_state (fx->job)), 0.3, 1e-9);

  before = signals.changed;
  tw_job_finish_process (fx->job, 0, 0);
  g_assert_cmpuint (signals.changed, ==, before + 1);
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_COMPLETED);
}

static guint
count_kind (Fixture     *fx,
            TwEventKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < fx->events->len; i++)
    n += tw_event_get_kind (g_ptr_array_index (fx->events, i)) == kind;

  return n;
}

typedef struct
{
  Fixture     *fx;
  TwEventKind  kind;
  guint        n;
} CountWait;

static gboolean
has_count_cb (gpointer data)
{
  CountWait *wait = data;

  return count_kind (wait->fx, wait->kind) >= wait->n;
}

/* Copies a fixture to @dir/@name through a temporary file and a rename, as a writer would. */
static void
install_data_file (const char *fixture,
                   const char *dir,
                   const char *name)
{
  g_autofree char *from = g_test_build_filename (G_TEST_DIST, "data", fixture, NULL);
  g_autofree char *to = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strconcat (to, ".tmp", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (tmp, contents, len, NULL));
  g_assert_cmpint (g_rename (tmp, to), ==, 0);
}

static JsonObject *
job_json (TwJob *job)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonNode *root;
  JsonObject *object;

  tw_job_add_json (job, builder);
  root = json_builder_get_root (builder);
  object = json_object_ref (json_node_get_object (root));
  json_node_unref (root);

  return object;
}

static void
test_run_folder_trainer_state (Fixture       *fx,
                               gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fx->log);
  g_autofree char *checkpoint_200 = g_build_filename (dir, "checkpoint-200", NULL);
  g_autofree char *checkpoint_300 = g_build_filename (dir, "checkpoint-300", NULL);
  g_autoptr(JsonObject) json = NULL;
  CountWait evaluations = { fx, TW_EVENT_EVALUATION_COMPLETED, 2 };
  JsonArray *files;
  JsonObject *file;

  /* The log says nothing parseable; the Trainer's checkpoints say it all. */
  install_data_file ("status/hf-checkpoint-200-trainer_state.json", checkpoint_200, "trainer_state.json");
  tw_job_follow (fx->job, fx->inotify, 0);
  tw_test_append (fx->log, "some output we cannot parse\n");
  g_assert_true (tw_test_wait_until (has_count_cb, &evaluations, 10000));
  g_assert_cmpuint (count_kind (fx, TW_EVENT_EVALUATION_COMPLETED), ==, 2);
  g_assert_cmpuint (count_kind (fx, TW_EVENT_RUN_STARTED), ==, 1);

  /* A newer checkpoint appears later: only its new evaluation is heard. */
  g_assert_cmpint (g_mkdir (checkpoint_300, 0700), ==, 0);
  install_data_file ("status/hf-checkpoint-300-trainer_state.json", checkpoint_300, "trainer_state.json");
  evaluations.n = 3;
  g_assert_true (tw_test_wait_until (has_count_cb, &evaluations, 10000));
  g_assert_cmpfloat_with_epsilon (tw_run_state_get_progress (tw_job_get_run_state (fx->job)), 1.0, 1e-9);

  json = job_json (fx->job);
  files = json_object_get_array_member (json, "status_files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  file = json_array_get_object_element (files, 0);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (file, "path"),
                                   "/checkpoint-300/trainer_state.json"));
  g_assert_cmpstr (json_object_get_string_member (file, "state"), ==, "following");
  g_assert_true (json_object_get_null_member (file, "error"));
  g_assert_cmpuint (count_kind (fx, TW_EVENT_EVALUATION_COMPLETED), ==, 3);
  g_assert_cmpuint (count_kind (fx, TW_EVENT_NEW_BEST), ==, 2);
}

static void
test_run_folder_lightning (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fx->log);
  g_autofree char *version = g_build_filename (dir, "lightning_logs", "version_0", NULL);
  CountWait epochs = { fx, TW_EVENT_EPOCH_COMPLETED, 3 };

  tw_job_follow (fx->job, fx->inotify, 0);
  /* Lightning makes its folders once training starts. */
  install_data_file ("status/lightning-metrics.csv", version, "metrics.csv");
  g_assert_true (tw_test_wait_until (has_count_cb, &epochs, 10000));
  g_assert_cmpuint (count_kind (fx, TW_EVENT_EPOCH_COMPLETED), ==, 3);
  g_assert_cmpuint (count_kind (fx, TW_EVENT_EVALUATION_COMPLETED), ==, 4);
}

static void
test_status_file_path (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fx->log);
  g_autofree char *path = g_build_filename (dir, "status.json", NULL);
  TwJob *job = tw_job_new ("scripted", path);
  g_autoptr(JsonObject) json = NULL;
  KindWait completed = { fx, TW_EVENT_RUN_COMPLETED };
  JsonArray *files;

  g_signal_connect (job, "event", G_CALLBACK (job_event_cb), fx);
  tw_job_follow (job, fx->inotify, -1);
  g_assert_true (tw_job_is_following (job));
  g_assert_true (g_file_set_contents (path, "{\"state\": \"running\", \"step\": 50, \"total_steps\": 100}",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (path, "{\"state\": \"completed\", \"step\": 100, \"total_steps\": 100}",
                                      -1, NULL));
  g_assert_true (tw_test_wait_until (has_kind_cb, &completed, 10000));
  g_assert_cmpuint (count_kind (fx, TW_EVENT_RUN_STARTED), ==, 1);

  json = job_json (job);
  g_assert_true (json_object_get_null_member (json, "source"));
  files = json_object_get_array_member (json, "status_files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (files, 0), "path"), ==, path);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (files, 0), "state"), ==,
                   "following");

  tw_job_stop_following (job);
  g_assert_false (tw_job_is_following (job));
  g_assert_finalize_object (job);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/job/stall-and-resume", Fixture, NULL, fixture_setup, test_stall_and_resume, fixture_teardown);
  g_test_add ("/job/no-stall-after-end", Fixture, NULL, fixture_setup, test_no_stall_after_end, fixture_teardown);
  g_test_add ("/job/exit-status-decides", Fixture, NULL, fixture_setup, test_exit_status_decides,
              fixture_teardown);
  g_test_add ("/job/changed", Fixture, NULL, fixture_setup, test_changed, fixture_teardown);

  g_test_add ("/job/run-folder-trainer-state", Fixture, NULL, fixture_setup, test_run_folder_trainer_state,
              fixture_teardown);
  g_test_add ("/job/run-folder-lightning", Fixture, NULL, fixture_setup, test_run_folder_lightning,
              fixture_teardown);
  g_test_add ("/job/status-file-path", Fixture, NULL, fixture_setup, test_status_file_path, fixture_teardown);

  return g_test_run ();
}
