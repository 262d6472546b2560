/* test-status-source.c — following status files: rewrites, renames, half-written files, history read once
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tw-inotify.h"
#include "tw-run-state.h"
#include "tw-status-source.h"
#include "tw-test-util.h"

#define WAIT_MS 10000

typedef struct
{
  TwInotify      *inotify;
  TwStatusSource *source;
  TwRunState     *run;
  char           *dir;
  char           *path;
  guint           n_emissions;
  guint           n_evaluations;     /* EVALUATION observations */
  gint64          last_step;         /* of the newest STEP observation; -1 before any */
  guint           counts[TW_N_EVENT_KINDS];  /* the run state's events */
} Fixture;

static void
observations_cb (TwStatusSource *source,
                 GArray         *observations,
                 Fixture        *fx)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);

  fx->n_emissions++;
  for (guint i = 0; i < observations->len; i++)
    {
      const TwObservation *o = &g_array_index (observations, TwObservation, i);

      if (o->kind == TW_OBSERVATION_EVALUATION)
        fx->n_evaluations++;
      else if (o->kind == TW_OBSERVATION_STEP)
        fx->last_step = o->n;
      tw_run_state_apply (fx->run, o, events);
    }
  for (guint i = 0; i < events->len; i++)
    fx->counts[tw_event_get_kind (g_ptr_array_index (events, i))]++;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->inotify = tw_inotify_new (&error);
  g_assert_no_error (error);
  fx->dir = g_build_filename (g_get_user_state_dir (), "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fx->dir, 0700), ==, 0);
  fx->path = g_build_filename (fx->dir, data != NULL ? data : "status.json", NULL);
  fx->run = tw_run_state_new ("run");
  fx->last_step = -1;
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->source != NULL)
    {
      tw_status_source_stop (fx->source);
      g_assert_finalize_object (fx->source);
    }
  g_assert_finalize_object (fx->inotify);
  tw_run_state_free (fx->run);
  g_free (fx->dir);
  g_free (fx->path);
}

static void
start (Fixture *fx)
{
  fx->source = tw_status_source_new (fx->inotify, fx->path);
  g_signal_connect (fx->source, "observations", G_CALLBACK (observations_cb), fx);
  tw_status_source_start (fx->source);
}

/* Rewrites in place: open, truncate, write, close. */
static void
write_in_place (const char *path,
                const char *contents,
                gssize      len)
{
  FILE *f = fopen (path, "w");

  g_assert_nonnull (f);
  if (len < 0)
    len = strlen (contents);
  g_assert_cmpuint (fwrite (contents, 1, len, f), ==, (gsize) len);
  g_assert_cmpint (fclose (f), ==, 0);
}

/* Writes a temporary file beside @path and renames it over @path. */
static void
write_by_rename (const char *path,
                 const char *contents,
                 gssize      len)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);

  write_in_place (tmp, contents, len);
  g_assert_cmpint (g_rename (tmp, path), ==, 0);
}

static char *
read_data_file (const char *name,
                gsize      *len)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "status", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, len, &error));
  g_assert_no_error (error);

  return contents;
}

typedef struct
{
  Fixture *fx;
  gint64   value;
} Wait;

static gboolean
step_is_cb (gpointer data)
{
  Wait *wait = data;

  return wait->fx->last_step == wait->value;
}

static gboolean
emissions_reach_cb (gpointer data)
{
  Wait *wait = data;

  return wait->fx->n_emissions >= (guint) wait->value;
}

static gboolean
state_is_cb (gpointer data)
{
  Wait *wait = data;

  return tw_status_source_get_state (wait->fx->source) == (TwStatusSourceState) wait->value;
}

static void
wait_step (Fixture *fx,
           gint64   step)
{
  Wait wait = { fx, step };

  g_assert_true (tw_test_wait_until (step_is_cb, &wait, WAIT_MS));
}

static void
wait_state (Fixture             *fx,
            TwStatusSourceState  state)
{
  Wait wait = { fx, state };

  g_assert_true (tw_test_wait_until (state_is_cb, &wait, WAIT_MS));
}

static void
test_rewritten_in_place (Fixture       *fx,
                         gconstpointer  data)
{
  write_in_place (fx->path, "{\"state\": \"running\", \"step\": 10, \"total_steps\": 100}", -1);
  start (fx);
  /* What is there at start is read at once. */
  g_assert_cmpint (fx->last_step, ==, 10);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);

  write_in_place (fx->path, "{\"state\": \"running\", \"step\": 20, \"total_steps\": 100}", -1);
  wait_step (fx, 20);
  write_in_place (fx->path, "{\"state\": \"completed\", \"step\": 100, \"total_steps\": 100}", -1);
  wait_step (fx, 100);
  g_assert_cmpuint (fx->counts[TW_EVENT_RUN_COMPLETED], ==, 1);
  g_assert_cmpuint (tw_run_state_get_status (fx->run), ==, TW_RUN_COMPLETED);
}

static void
test_atomic_replace (Fixture       *fx,
                     gconstpointer  data)
{
  start (fx);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_WAITING);

  write_by_rename (fx->path, "{\"step\": 5, \"total_steps\": 50}", -1);
  wait_step (fx, 5);
  write_by_rename (fx->path, "{\"step\": 6, \"total_steps\": 50}", -1);
  wait_step (fx, 6);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);
}

static void
test_half_written (Fixture       *fx,
                   gconstpointer  data)
{
  const char *whole = "{\"state\": \"running\", \"step\": 42, \"total_steps\": 100, \"metrics\": {\"loss\": 0.5}}";
  FILE *f = fopen (fx->path, "w");

  /* The writer is halfway through when the source starts and reads it. */
  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (whole, 1, 30, f), ==, 30);
  g_assert_cmpint (fflush (f), ==, 0);
  start (fx);
  g_assert_cmpuint (fx->n_emissions, ==, 0);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);
  g_assert_null (tw_status_source_get_error_message (fx->source));

  g_assert_cmpuint (fwrite (whole + 30, 1, strlen (whole) - 30, f), ==, strlen (whole) - 30);
  g_assert_cmpint (fclose (f), ==, 0);
  wait_step (fx, 42);
  g_assert_cmpuint (fx->n_emissions, ==, 1);
  g_assert_null (tw_status_source_get_error_message (fx->source));
}

static void
test_deleted_and_recreated (Fixture       *fx,
                            gconstpointer  data)
{
  write_in_place (fx->path, "{\"step\": 1}", -1);
  start (fx);
  g_assert_cmpint (fx->last_step, ==, 1);

  g_assert_cmpint (g_unlink (fx->path), ==, 0);
  wait_state (fx, TW_STATUS_SOURCE_STATE_WAITING);
  write_in_place (fx->path, "{\"step\": 2}", -1);
  wait_step (fx, 2);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);
}

static void
test_created_later (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree char *deep = g_build_filename (fx->dir, "out", "logs", NULL);

  /* Neither the file nor its folder exist yet: the nearest folder is watched. */
  g_free (fx->path);
  fx->path = g_build_filename (deep, "status.json", NULL);
  start (fx);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_WAITING);

  g_assert_cmpint (g_mkdir_with_parents (deep, 0700), ==, 0);
  write_by_rename (fx->path, "{\"step\": 7}", -1);
  wait_step (fx, 7);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);
}

static void
test_hf_checkpoints (Fixture       *fx,
                     gconstpointer  data)
{
  gsize len200, len300;
  g_autofree char *state200 = read_data_file ("hf-checkpoint-200-trainer_state.json", &len200);
  g_autofree char *state300 = read_data_file ("hf-checkpoint-300-trainer_state.json", &len300);
  g_autofree char *touched = NULL;
  Wait wait = { fx, 0 };

  start (fx);
  write_by_rename (fx->path, state200, len200);
  wait_step (fx, 200);
  g_assert_cmpuint (fx->n_evaluations, ==, 2);

  /* The next save holds the whole history again plus one evaluation. */
  write_by_rename (fx->path, state300, len300);
  wait_step (fx, 300);
  g_assert_cmpuint (fx->n_evaluations, ==, 3);

  /* Written again with nothing new in its history: nothing repeated. */
  touched = g_strconcat (state300, "\n", NULL);
  wait.value = fx->n_emissions + 1;
  write_in_place (fx->path, touched, -1);
  g_assert_true (tw_test_wait_until (emissions_reach_cb, &wait, WAIT_MS));
  g_assert_cmpuint (fx->n_evaluations, ==, 3);
  g_assert_cmpuint (fx->counts[TW_EVENT_EVALUATION_COMPLETED], ==, 3);
  /* eval_loss fell at steps 200 and 300; the first value only sets the best. */
  g_assert_cmpuint (fx->counts[TW_EVENT_NEW_BEST], ==, 2);
}

static void
test_hf_newer_checkpoint (Fixture       *fx,
                          gconstpointer  data)
{
  gsize len200, len300;
  g_autofree char *state200 = read_data_file ("hf-checkpoint-200-trainer_state.json", &len200);
  g_autofree char *state300 = read_data_file ("hf-checkpoint-300-trainer_state.json", &len300);
  g_autofree char *other = g_build_filename (fx->dir, "checkpoint-300-trainer_state.json", NULL);

  write_in_place (fx->path, state200, len200);
  write_in_place (other, state300, len300);
  start (fx);
  g_assert_cmpuint (fx->n_evaluations, ==, 2);

  /* A newer checkpoint continues the same history. */
  tw_status_source_set_path (fx->source, other, TRUE);
  g_assert_cmpint (fx->last_step, ==, 300);
  g_assert_cmpuint (fx->n_evaluations, ==, 3);
}

static void
test_lightning_rows (Fixture       *fx,
                     gconstpointer  data)
{
  gsize len;
  g_autofree char *csv = read_data_file ("lightning-metrics.csv", &len);
  g_autofree char *appended = NULL;
  const char *cut;
  Wait wait = { fx, 0 };

  /* Up to the middle of the third epoch (Lightning's epoch 2), then all of it. */
  cut = strstr (csv, "\n2,");
  g_assert_nonnull (cut);
  start (fx);
  write_in_place (fx->path, csv, cut + 1 - csv);
  wait.value = 1;
  g_assert_true (tw_test_wait_until (emissions_reach_cb, &wait, WAIT_MS));
  g_assert_cmpuint (fx->counts[TW_EVENT_EPOCH_COMPLETED], ==, 1);
  g_assert_cmpuint (fx->counts[TW_EVENT_EVALUATION_COMPLETED], ==, 2);

  write_in_place (fx->path, csv, len);
  wait_step (fx, 1127);
  g_assert_cmpuint (fx->counts[TW_EVENT_EPOCH_COMPLETED], ==, 3);
  g_assert_cmpuint (fx->counts[TW_EVENT_EVALUATION_COMPLETED], ==, 4);

  /* Rewritten whole with the same rows, then with one more: only that one is new. */
  appended = g_strconcat (csv, "\n", NULL);
  write_in_place (fx->path, appended, -1);
  g_free (appended);
  appended = g_strconcat (csv, "4,1200,0.1,,\n", NULL);
  write_in_place (fx->path, appended, -1);
  wait_step (fx, 1200);
  g_assert_cmpuint (fx->counts[TW_EVENT_EPOCH_COMPLETED], ==, 4);
  g_assert_cmpuint (fx->counts[TW_EVENT_EVALUATION_COMPLETED], ==, 4);
  g_assert_cmpuint (fx->n_evaluations, ==, 4);
}

static void
test_too_big (Fixture       *fx,
              gconstpointer  data)
{
  int fd = g_open (fx->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, TW_STATUS_SOURCE_MAX_SIZE + 1), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  start (fx);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_ERROR);
  g_assert_nonnull (strstr (tw_status_source_get_error_message (fx->source), "larger than 16 MiB"));
  g_assert_cmpuint (fx->n_emissions, ==, 0);

  /* Back to a sane size: followed again. */
  write_in_place (fx->path, "{\"step\": 3}", -1);
  wait_step (fx, 3);
  g_assert_cmpint (tw_status_source_get_state (fx->source), ==, TW_STATUS_SOURCE_STATE_FOLLOWING);
  g_assert_null (tw_status_source_get_error_message (fx->source));
}

static void
test_binary_garbage (Fixture       *fx,
                     gconstpointer  data)
{
  guint8 garbage[4096];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (guint8) ((i * 131 + 7) % 256);
  start (fx);
  write_in_place (fx->path, (const char *) garbage, sizeof garbage);
  wait_state (fx, TW_STATUS_SOURCE_STATE_ERROR);
  g_assert_nonnull (strstr (tw_status_source_get_error_message (fx->source), "binary data"));
  g_assert_cmpuint (fx->n_emissions, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/status-source/rewritten-in-place", Fixture, NULL, fixture_setup, test_rewritten_in_place,
              fixture_teardown);
  g_test_add ("/status-source/atomic-replace", Fixture, NULL, fixture_setup, test_atomic_replace,
              fixture_teardown);
  g_test_add ("/status-source/half-written", Fixture, NULL, fixture_setup, test_half_written,
              fixture_teardown);
  g_test_add ("/status-source/deleted-and-recreated", Fixture, NULL, fixture_setup, test_deleted_and_recreated,
              fixture_teardown);
  g_test_add ("/status-source/created-later", Fixture, NULL, fixture_setup, test_created_later,
              fixture_teardown);
  g_test_add ("/status-source/hf-checkpoints", Fixture, "trainer_state.json", fixture_setup, test_hf_checkpoints,
              fixture_teardown);
  g_test_add ("/status-source/hf-newer-checkpoint", Fixture, "trainer_state.json", fixture_setup,
              test_hf_newer_checkpoint, fixture_teardown);
  g_test_add ("/status-source/lightning-rows", Fixture, "metrics.csv", fixture_setup, test_lightning_rows,
              fixture_teardown);
  g_test_add ("/status-source/too-big", Fixture, NULL, fixture_setup, test_too_big, fixture_teardown);
  g_test_add ("/status-source/binary-garbage", Fixture, NULL, fixture_setup, test_binary_garbage,
              fixture_teardown);

  return g_test_run ();
}
