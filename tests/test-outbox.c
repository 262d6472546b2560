/* test-outbox.c — the outbox: on disk before sending, batches, retries, restarts
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The send function here is the outbox's own interface, played by the test: it
 * records each message and answers with the verdicts the test scripts. The
 * services themselves are tested with real servers in test-mail, test-slack,
 * test-discord and test-forward.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "tw-outbox.h"

typedef struct
{
  char      *dir;
  TwOutbox  *outbox;
  GPtrArray *messages;   /* of GPtrArray of char * (event titles) */
  GArray    *verdicts;   /* scripted answers, then ACCEPTED */
  gint64     retry_after_usec;
  gboolean   hold;       /* don't answer: a service that never replies */
  guint64    held_serial;
  GPtrArray *failed;     /* titles given up */
} Fixture;

static void
send_cb (TwOutbox  *outbox,
         GPtrArray *reports,
         guint64    serial,
         gpointer   user_data)
{
  Fixture *fx = user_data;
  GPtrArray *titles = g_ptr_array_new_with_free_func (g_free);
  TwSendResult result = TW_SEND_RESULT_INIT;

  for (guint i = 0; i < reports->len; i++)
    {
      TwReport *report = g_ptr_array_index (reports, i);

      g_ptr_array_add (titles, g_strdup (tw_event_get_title (report->event)));
    }
  g_ptr_array_add (fx->messages, titles);

  if (fx->hold)
    {
      fx->held_serial = serial;
      return;
    }

  result.verdict = TW_VERDICT_ACCEPTED;
  if (fx->verdicts->len > 0)
    {
      result.verdict = g_array_index (fx->verdicts, TwVerdict, 0);
      g_array_remove_index (fx->verdicts, 0);
      result.retry_after_usec = fx->retry_after_usec;
    }
  result.answer = g_strdup (tw_verdict_to_string (result.verdict));
  tw_outbox_complete (outbox, serial, &result);
  tw_send_result_clear (&result);
}

static void
failed_cb (TwOutbox   *outbox,
           GPtrArray  *reports,
           const char *answer,
           Fixture    *fx)
{
  for (guint i = 0; i < reports->len; i++)
    g_ptr_array_add (fx->failed, g_strdup (tw_event_get_title (((TwReport *) g_ptr_array_index (reports, i))->event)));
}

static TwOutbox *
open_outbox (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  TwOutbox *outbox = tw_outbox_new (fx->dir, send_cb, fx);

  tw_outbox_set_min_interval (outbox, 0);
  tw_outbox_set_backoff (outbox, 5, 20);
  g_signal_connect (outbox, "failed", G_CALLBACK (failed_cb), fx);
  g_assert_true (tw_outbox_load (outbox, &error));
  g_assert_no_error (error);

  return outbox;
}

/* Lets the disk work end, so that an outbox can be dropped. */
static void
settle (TwOutbox *outbox)
{
  while (tw_outbox_get_n_pending_io (outbox) > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
close_outbox (Fixture *fx)
{
  settle (fx->outbox);
  g_clear_object (&fx->outbox);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  /* G_TEST_OPTION_ISOLATE_DIRS: a fresh state folder for each test, removed after it */
  fx->dir = g_build_filename (g_get_user_state_dir (), "trainwatch", "outbox", "slack", NULL);
  fx->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  fx->verdicts = g_array_new (FALSE, FALSE, sizeof (TwVerdict));
  fx->failed = g_ptr_array_new_with_free_func (g_free);
  fx->retry_after_usec = -1;
  fx->outbox = open_outbox (fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->outbox != NULL)
    close_outbox (fx);
  g_free (fx->dir);
  g_ptr_array_unref (fx->messages);
  g_array_unref (fx->verdicts);
  g_ptr_array_unref (fx->failed);
}

static void
push (Fixture    *fx,
      const char *title)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "resnet50", title, NULL);

  tw_outbox_push (fx->outbox, tw_report_new (event, "gpu01"));
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      n++;

  return n;
}

static void
wait_sent (Fixture *fx,
           guint64  n)
{
  while (tw_outbox_get_n_sent (fx->outbox) < n || tw_outbox_get_n_pending_io (fx->outbox) > 0)
    g_main_context_iteration (NULL, TRUE);
}

/* All titles of all messages, in order. */
static char *
join_sent (Fixture *fx)
{
  GString *out = g_string_new (NULL);

  for (guint m = 0; m < fx->messages->len; m++)
    {
      GPtrArray *titles = g_ptr_array_index (fx->messages, m);

      if (m > 0)
        g_string_append (out, " | ");
      for (guint i = 0; i < titles->len; i++)
        g_string_append_printf (out, "%s%s", i > 0 ? " " : "", (char *) g_ptr_array_index (titles, i));
    }

  return g_string_free (out, FALSE);
}

static void
test_send_and_remove (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *sent = NULL;

  push (fx, "a");
  wait_sent (fx, 1);
  g_assert_cmpuint (count_files (fx->dir), ==, 0);
  g_assert_cmpint (tw_outbox_get_state (fx->outbox), ==, TW_OUTBOX_IDLE);
  g_assert_cmpuint (tw_outbox_get_n_messages (fx->outbox), ==, 1);
  sent = join_sent (fx);
  g_assert_cmpstr (sent, ==, "a");
}

/* Events that come while the rate limit runs are gathered into one message. */
static void
test_coalesce (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *sent = NULL;

  tw_outbox_set_min_interval (fx->outbox, 300);
  push (fx, "1");
  wait_sent (fx, 1);
  for (guint i = 2; i <= 10; i++)
    {
      g_autofree char *title = g_strdup_printf ("%u", i);

      push (fx, title);
    }
  wait_sent (fx, 10);
  sent = join_sent (fx);
  g_assert_cmpstr (sent, ==, "1 | 2 3 4 5 6 7 8 9 10");
  g_assert_cmpuint (tw_outbox_get_n_messages (fx->outbox), ==, 2);
}

/* Batches have at most TW_OUTBOX_MAX_BATCH reports, in order. */
static void
test_batch_limit (Fixture       *fx,
                  gconstpointer  data)
{
  fx->hold = TRUE;
  push (fx, "first");
  settle (fx->outbox);
  for (guint i = 0; i < TW_OUTBOX_MAX_BATCH + 50; i++)
    push (fx, "x");
  settle (fx->outbox);
  fx->hold = FALSE;
  {
    TwSendResult result = { TW_VERDICT_ACCEPTED, -1, g_strdup ("ok"), NULL };

    tw_outbox_complete (fx->outbox, fx->held_serial, &result);
    tw_send_result_clear (&result);
  }
  wait_sent (fx, TW_OUTBOX_MAX_BATCH + 51);
  g_assert_cmpuint (fx->messages->len, ==, 3);
  g_assert_cmpuint (((GPtrArray *) g_ptr_array_index (fx->messages, 1))->len, ==, TW_OUTBOX_MAX_BATCH);
  g_assert_cmpuint (((GPtrArray *) g_ptr_array_index (fx->messages, 2))->len, ==, 50);
}

static void
test_retry (Fixture       *fx,
            gconstpointer  data)
{
  TwVerdict retry = TW_VERDICT_RETRY;
  g_autofree char *sent = NULL;

  g_array_append_val (fx->verdicts, retry);
  g_array_append_val (fx->verdicts, retry);
  push (fx, "a");
  wait_sent (fx, 1);
  sent = join_sent (fx);
  g_assert_cmpstr (sent, ==, "a | a | a");
  g_assert_cmpuint (fx->failed->len, ==, 0);
}

/* A retry waits what the service asked for, not the (short) backoff. */
static void
test_retry_after (Fixture       *fx,
                  gconstpointer  data)
{
  TwVerdict retry = TW_VERDICT_RETRY;
  gint64 start = g_get_monotonic_time ();

  fx->retry_after_usec = 300 * 1000;
  g_array_append_val (fx->verdicts, retry);
  push (fx, "a");
  wait_sent (fx, 1);
  /* a lower bound only: waiting less would break the service's rule */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
}

static void
test_give_up (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *failed_dir = g_build_filename (fx->dir, "failed", NULL);

  tw_outbox_set_retry_limit (fx->outbox, 50 * 1000);
  for (guint i = 0; i < 1000; i++)
    {
      TwVerdict retry = TW_VERDICT_RETRY;

      g_array_append_val (fx->verdicts, retry);
    }
  push (fx, "lost");
  while (fx->failed->len == 0)
    g_main_context_iteration (NULL, TRUE);
  settle (fx->outbox);
  g_assert_cmpstr (g_ptr_array_index (fx->failed, 0), ==, "lost");
  g_assert_cmpuint (count_files (fx->dir), ==, 0);
  g_assert_cmpuint (count_files (failed_dir), ==, 1);
  g_assert_cmpuint (tw_outbox_get_n_failed (fx->outbox), ==, 1);

  /* the next one is sent as usual */
  g_array_set_size (fx->verdicts, 0);
  push (fx, "next");
  wait_sent (fx, 1);
}

/* A message refused for good is given up at once, and the next goes. */
static void
test_rejected (Fixture       *fx,
               gconstpointer  data)
{
  TwVerdict rejected = TW_VERDICT_REJECTED;

  g_array_append_val (fx->verdicts, rejected);
  push (fx, "bad");
  while (fx->failed->len == 0)
    g_main_context_iteration (NULL, TRUE);
  push (fx, "good");
  wait_sent (fx, 1);
  g_assert_cmpuint (fx->failed->len, ==, 1);
}

/* Wrong settings keep every report until they change. */
static void
test_disable (Fixture       *fx,
              gconstpointer  data)
{
  TwVerdict disable = TW_VERDICT_DISABLE;
  g_autofree char *sent = NULL;

  g_array_append_val (fx->verdicts, disable);
  push (fx, "a");
  while (tw_outbox_get_state (fx->outbox) != TW_OUTBOX_DISABLED)
    g_main_context_iteration (NULL, TRUE);
  push (fx, "b");
  settle (fx->outbox);
  g_assert_cmpuint (fx->messages->len, ==, 1);
  g_assert_cmpuint (count_files (fx->dir), ==, 2);

  tw_outbox_enable (fx->outbox);
  wait_sent (fx, 2);
  sent = join_sent (fx);
  g_assert_cmpstr (sent, ==, "a | a b");
  g_assert_cmpuint (fx->failed->len, ==, 0);
}

/* What a daemon left on disk is sent by the next, in order; broken files are
 * named and left alone; half-written ones are removed. */
static void
test_restart (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *broken = g_build_filename (fx->dir, "00000000000000ff.json", NULL);
  g_autofree char *partial = g_build_filename (fx->dir, "0000000000000100.json.tmp", NULL);
  g_autofree char *sent = NULL;

  fx->hold = TRUE;
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *title = g_strdup_printf ("e%02u", i);

      push (fx, title);
    }
  close_outbox (fx);
  g_assert_cmpuint (count_files (fx->dir), ==, 20);
  g_assert_true (g_file_set_contents (broken, "{\"report\": 42", -1, NULL));
  g_assert_true (g_file_set_contents (partial, "{", -1, NULL));

  fx->hold = FALSE;
  g_ptr_array_set_size (fx->messages, 0);
  fx->outbox = open_outbox (fx);
  wait_sent (fx, 20);
  sent = join_sent (fx);
  g_assert_cmpstr (sent, ==, "e00 e01 e02 e03 e04 e05 e06 e07 e08 e09 e10 e11 e12 e13 e14 e15 e16 e17 e18 e19");
  g_assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));

  /* new reports are numbered after the broken file, never over it */
  push (fx, "after");
  wait_sent (fx, 21);
  g_assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));
}

/* A report comes back from disk as it went in. */
static void
test_report_on_disk (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_CRITICAL, "bert", "Out of memory", "CUDA");
  TwReport *report = tw_report_new (event, "gpu07");
  TwReport *back;
  g_autoptr(JsonNode) node = NULL;

  report->has_run = TRUE;
  report->progress = 0.5;
  report->exception = g_strdup ("torch.OutOfMemoryError");
  g_strfreev (report->last_lines);
  report->last_lines = g_strsplit ("line 1|line 2", "|", -1);
  node = tw_report_to_json (report);
  back = tw_report_new_from_json (node, NULL);
  g_assert_nonnull (back);
  g_assert_cmpstr (back->host, ==, "gpu07");
  g_assert_cmpfloat (back->progress, ==, 0.5);
  g_assert_cmpstr (back->exception, ==, "torch.OutOfMemoryError");
  g_assert_cmpstr (back->last_lines[1], ==, "line 2");
  g_assert_cmpint (tw_event_get_level (back->event), ==, TW_LEVEL_CRITICAL);
  tw_report_free (back);
  tw_report_free (report);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/outbox/send-and-remove", Fixture, NULL, fixture_setup, test_send_and_remove, fixture_teardown);
  g_test_add ("/outbox/coalesce", Fixture, NULL, fixture_setup, test_coalesce, fixture_teardown);
  g_test_add ("/outbox/batch-limit", Fixture, NULL, fixture_setup, test_batch_limit, fixture_teardown);
  g_test_add ("/outbox/retry", Fixture, NULL, fixture_setup, test_retry, fixture_teardown);
  g_test_add ("/outbox/retry-after", Fixture, NULL, fixture_setup, test_retry_after, fixture_teardown);
  g_test_add ("/outbox/give-up", Fixture, NULL, fixture_setup, test_give_up, fixture_teardown);
  g_test_add ("/outbox/rejected", Fixture, NULL, fixture_setup, test_rejected, fixture_teardown);
  g_test_add ("/outbox/disable", Fixture, NULL, fixture_setup, test_disable, fixture_teardown);
  g_test_add ("/outbox/restart", Fixture, NULL, fixture_setup, test_restart, fixture_teardown);
  g_test_add ("/outbox/report-on-disk", Fixture, NULL, fixture_setup, test_report_on_disk, fixture_teardown);

  return g_test_run ();
}
