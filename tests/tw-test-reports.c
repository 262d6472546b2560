/* tw-test-reports.c — reports to build messages from, and sending them to a receiver
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-test-reports.h"

#include "tw-test-util.h"

#define SEND_TIMEOUT_MSEC 30000

/**
 * tw_test_report_new_failed:
 * @job: the run's name
 * @host: the computer's name
 *
 * Returns: (transfer full): a run that failed with a RuntimeError at 62 %, after
 *   1 h 05 min, with two metrics and a log tail whose lines try to ping a Slack
 *   channel and a Discord server, link, close a code block, and hold an ampersand
 */
TwReport *
tw_test_report_new_failed (const char *job,
                           const char *host)
{
  static const char * const lines[] = {
    "Traceback (most recent call last):",
    "  File \"train.py\", line 42, in <module>",
    "    loss.backward()  # <!channel> <@U123> <https://x.example|y> @everyone @here",
    "``` fence & more ```",
    "RuntimeError: CUDA error: device-side assert triggered",
    NULL,
  };
  g_autoptr(TwEvent) event = NULL;
  TwReport *report;
  TwReportMetric *metric;

  event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, job,
                        "Run failed \xe2\x80\x94 RuntimeError",
                        "The run stopped with an exception & exit status 1.");
  tw_event_set_time (event, TW_TEST_REPORT_TIME);
  report = tw_report_new (event, host);
  report->has_run = TRUE;
  report->state = g_strdup ("failed");
  report->progress = 0.62;
  report->step = 3100;
  report->total = 5000;
  report->epoch = 3;
  report->epochs = 5;
  report->started_usec = TW_TEST_REPORT_TIME - (gint64) 3900 * G_USEC_PER_SEC;
  report->failure_kind = g_strdup ("exception");
  report->exception = g_strdup ("RuntimeError");
  report->failure_message = g_strdup ("CUDA error: device-side assert triggered");
  report->exit_status = 1;
  g_strfreev (report->last_lines);
  report->last_lines = g_strdupv ((char **) lines);

  metric = g_new0 (TwReportMetric, 1);
  metric->name = g_strdup ("loss");
  metric->last = 0.4321;
  metric->has_best = TRUE;
  metric->best = 0.3999;
  g_ptr_array_add (report->metrics, metric);
  metric = g_new0 (TwReportMetric, 1);
  metric->name = g_strdup ("acc");
  metric->last = 0.875;
  g_ptr_array_add (report->metrics, metric);

  return report;
}

/**
 * tw_test_report_new:
 * @kind: the event's kind
 * @level: its level
 * @job: (nullable): the run's name
 * @title: what happened
 * @time_usec: when, in real time
 *
 * Returns: (transfer full): a report of an event about no run, on host gpu01
 */
TwReport *
tw_test_report_new (TwEventKind  kind,
                    TwLevel      level,
                    const char  *job,
                    const char  *title,
                    gint64       time_usec)
{
  g_autoptr(TwEvent) event = tw_event_new (kind, level, job, title, NULL);

  tw_event_set_time (event, time_usec);
  return tw_report_new (event, "gpu01");
}

/**
 * tw_test_batch_new:
 * @n: how many reports
 *
 * Returns: (transfer full) (element-type TwReport): @n reports a second apart, oldest
 *   first: every 10th an error (“Run failed”), every 10th from the 5th a warning
 *   (“Stalled”), the others epochs completed (info)
 */
GPtrArray *
tw_test_batch_new (guint n)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) tw_report_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *job = g_strdup_printf ("job-%u", i);
      gint64 time = TW_TEST_REPORT_TIME + (gint64) i * G_USEC_PER_SEC;

      if (i % 10 == 0)
        g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, job,
                                                    "Run failed", time));
      else if (i % 10 == 5)
        g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_STALLED, TW_LEVEL_WARNING, job,
                                                    "Stalled", time));
      else
        g_ptr_array_add (batch, tw_test_report_new (TW_EVENT_EPOCH_COMPLETED, TW_LEVEL_INFO,
                                                    job, "Epoch completed", time));
    }

  return batch;
}

/**
 * tw_test_batch_new_one:
 * @report: (transfer full): a report
 *
 * Returns: (transfer full) (element-type TwReport): a batch of @report alone
 */
GPtrArray *
tw_test_batch_new_one (TwReport *report)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) tw_report_free);

  g_ptr_array_add (batch, report);
  return batch;
}

typedef struct
{
  TwHttpResponse *response;
  GError         *error;
  gboolean        done;
} Sent;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Sent *sent = user_data;

  sent->response = tw_http_send_finish (TW_HTTP (source), result, &sent->error);
  sent->done = TRUE;
}

static gboolean
sent_cond (gpointer data)
{
  return ((Sent *) data)->done;
}

/**
 * tw_test_send_and_wait:
 * @http: the engine
 * @request: what to send
 * @error: why there was no answer
 *
 * Sends @request and iterates the thread-default main context until it is done.
 *
 * Returns: (transfer full) (nullable): the answer
 */
TwHttpResponse *
tw_test_send_and_wait (TwHttp         *http,
                       TwHttpRequest  *request,
                       GError        **error)
{
  Sent sent = { NULL, NULL, FALSE };

  tw_http_send_async (http, request, NULL, sent_cb, &sent);
  g_assert_true (tw_test_wait_until (sent_cond, &sent, SEND_TIMEOUT_MSEC));
  if (sent.error != NULL)
    g_propagate_error (error, sent.error);

  return sent.response;
}
