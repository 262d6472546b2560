/* test-job.c — a job following a real file: events as the log grows, stalls and resumes
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

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

static void
append_to (const char *path,
           const char *text)
{
  FILE *f = fopen (path, "a");

  g_assert_nonnull (f);
  g_assert_cmpint (fputs (text, f), >=, 0);
  g_assert_cmpint (fclose (f), ==, 0);
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

  append_to (fx->log, "Epoch 1/3:  10%|#         | 10/100 [00:01<00:09, 10.00it/s, loss=2.1]\n");
  g_assert_true (tw_test_wait_until (has_kind_cb, &started, 10000));
  g_assert_true (tw_test_wait_until (has_kind_cb, &stalled, 10000));
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_STALLED);

  append_to (fx->log, "Epoch 1/3:  20%|##        | 20/100 [00:02<00:08, 10.00it/s, loss=2.0]\n");
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
  append_to (fx->log, "step 10/10 | loss 0.1\nTraining complete.\n");
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
  append_to (fx->log, "Epoch 1/2: 100%|##########| 10/10 [00:01<00:00, 10.00it/s]\n");
  tw_job_finish_process (fx->job, 2, 0);

  g_assert_false (tw_job_is_following (fx->job));
  g_assert_cmpuint (tw_run_state_get_status (tw_job_get_run_state (fx->job)), ==, TW_RUN_FAILED);
  last = g_ptr_array_index (fx->events, fx->events->len - 1);
  g_assert_cmpuint (tw_event_get_kind (last), ==, TW_EVENT_RUN_FAILED);
  g_assert_cmpstr (tw_event_get_body (last), ==, "The command exited with status 2.");
  g_assert_cmpuint (tw_event_get_kind (g_ptr_array_index (fx->events, 0)), ==, TW_EVENT_RUN_STARTED);
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

  return g_test_run ();
}
