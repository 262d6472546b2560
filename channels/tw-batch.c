/* tw-batch.c — what the chat channels share to turn a batch of reports into one message
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox hands a channel a batch of reports, one message's worth. Slack and Discord
 * show the most important few in full and sum up the rest in one line; both limit
 * lengths in characters, which this file counts conservatively as UTF-16 code units
 * (a character outside the Basic Multilingual Plane counts 2, as JavaScript counts it;
 * never fewer than the code points the services may count), and cuts with "…".
 */
#include "config.h"

#include "tw-batch.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tw-http.h"

static int
compare_importance (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  TwReport *first = *(TwReport **) a;
  TwReport *second = *(TwReport **) b;
  TwLevel first_level = tw_event_get_level (first->event);
  TwLevel second_level = tw_event_get_level (second->event);
  gint64 first_time = tw_event_get_time (first->event);
  gint64 second_time = tw_event_get_time (second->event);

  if (first_level != second_level)
    return first_level > second_level ? -1 : 1;
  if (first_time != second_time)
    return first_time > second_time ? -1 : 1;

  return 0;
}

/* How a person counts events of one kind, for the summary line. */
static char *
dup_kind_count (TwEventKind kind,
                guint       n)
{
  switch (kind)
    {
    case TW_EVENT_RUN_STARTED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run started",
                                           "%u runs started", n), n);
    case TW_EVENT_PROGRESS:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u progress update",
                                           "%u progress updates", n), n);
    case TW_EVENT_EPOCH_COMPLETED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u epoch completed",
                                           "%u epochs completed", n), n);
    case TW_EVENT_CHECKPOINT_SAVED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u checkpoint saved",
                                           "%u checkpoints saved", n), n);
    case TW_EVENT_EVALUATION_COMPLETED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u evaluation",
                                           "%u evaluations", n), n);
    case TW_EVENT_NEW_BEST:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new best",
                                           "%u new bests", n), n);
    case TW_EVENT_RUN_COMPLETED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run completed",
                                           "%u runs completed", n), n);
    case TW_EVENT_RUN_FAILED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run failed",
                                           "%u runs failed", n), n);
    case TW_EVENT_OUT_OF_MEMORY:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u out of memory",
                                           "%u out of memory", n), n);
    case TW_EVENT_NAN_DETECTED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u NaN detected",
                                           "%u NaNs detected", n), n);
    case TW_EVENT_LOSS_DIVERGING:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u loss diverging",
                                           "%u losses diverging", n), n);
    case TW_EVENT_STALLED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u stall", "%u stalls", n), n);
    case TW_EVENT_RESUMED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run resumed",
                                           "%u runs resumed", n), n);
    case TW_EVENT_RUN_STOPPED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run stopped",
                                           "%u runs stopped", n), n);
    case TW_EVENT_RULE_MATCHED:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u rule matched",
                                           "%u rules matched", n), n);
    case TW_EVENT_MESSAGE:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages", n), n);
    case TW_EVENT_TEST:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u test", "%u tests", n), n);
    default:
      g_assert_not_reached ();
    }
}

/**
 * tw_batch_dup_by_importance:
 * @reports: (element-type TwReport): a batch, oldest first
 *
 * Returns: (transfer container) (element-type TwReport): the same reports, the
 *   highest level first, and among equals the newest first; the reports are borrowed
 */
GPtrArray *
tw_batch_dup_by_importance (GPtrArray *reports)
{
  GPtrArray *sorted;

  g_return_val_if_fail (reports != NULL, NULL);

  /* Newest first, then a stable sort by level and time keeps the later of two
   * reports with the same level and time first. */
  sorted = g_ptr_array_sized_new (reports->len);
  for (guint i = reports->len; i > 0; i--)
    g_ptr_array_add (sorted, g_ptr_array_index (reports, i - 1));
  g_qsort_with_data (sorted->pdata, sorted->len, sizeof (gpointer), compare_importance, NULL);

  return sorted;
}

static gint
compare_time (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  TwEvent *x = (*(TwReport * const *) a)->event;
  TwEvent *y = (*(TwReport * const *) b)->event;

  if (tw_event_get_time (x) != tw_event_get_time (y))
    return tw_event_get_time (x) < tw_event_get_time (y) ? -1 : 1;
  if (tw_event_get_id (x) != tw_event_get_id (y))
    return tw_event_get_id (x) < tw_event_get_id (y) ? -1 : 1;
  return 0;
}

/**
 * tw_batch_dup_summary:
 * @sorted: (element-type TwReport): a batch from tw_batch_dup_by_importance()
 * @n_shown: how many of its first reports the message shows
 *
 * Sums up the reports a message does not show in full: the first
 * TW_BATCH_MAX_LISTED of them, oldest first, as a line each (“• resnet50: Epoch 3
 * done”, cut at TW_BATCH_MAX_LISTED_UNITS), then the rest as one line by kind,
 * such as “and 37 more events: 30 epochs completed, 7 stalls”. So a batch of up to
 * n_shown + TW_BATCH_MAX_LISTED events names every one of them.
 *
 * Returns: (transfer full) (nullable): the lines, separated by newlines, or %NULL
 *   if all are shown
 */
char *
tw_batch_dup_summary (GPtrArray *sorted,
                      guint      n_shown)
{
  guint counts[TW_N_EVENT_KINDS] = { 0, };
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) rest = NULL;
  g_autofree char *list = NULL;
  GString *out;
  guint n_listed;
  guint n_more;

  g_return_val_if_fail (sorted != NULL, NULL);

  if (n_shown >= sorted->len)
    return NULL;

  rest = g_ptr_array_sized_new (sorted->len - n_shown);
  for (guint i = n_shown; i < sorted->len; i++)
    g_ptr_array_add (rest, g_ptr_array_index (sorted, i));
  g_qsort_with_data (rest->pdata, rest->len, sizeof (gpointer), compare_time, NULL);

  out = g_string_new (NULL);
  n_listed = MIN (rest->len, TW_BATCH_MAX_LISTED);
  for (guint i = 0; i < n_listed; i++)
    {
      g_autofree char *headline = tw_batch_dup_headline (g_ptr_array_index (rest, i));
      g_autofree char *cut = tw_batch_truncate (headline, TW_BATCH_MAX_LISTED_UNITS, NULL, FALSE);

      g_string_append_printf (out, "%s• %s", out->len > 0 ? "\n" : "", cut);
    }

  n_more = rest->len - n_listed;
  if (n_more == 0)
    return g_string_free (out, FALSE);

  for (guint i = n_listed; i < rest->len; i++)
    counts[tw_event_get_kind (((TwReport *) g_ptr_array_index (rest, i))->event)]++;

  /* The most frequent kind first; the kinds' order among equals. */
  for (guint done = 0; done < n_more;)
    {
      guint best = 0;

      for (guint kind = 1; kind < TW_N_EVENT_KINDS; kind++)
        {
          if (counts[kind] > counts[best])
            best = kind;
        }
      g_ptr_array_add (parts, dup_kind_count (best, counts[best]));
      done += counts[best];
      counts[best] = 0;
    }
  g_ptr_array_add (parts, NULL);
  /* Translators: the separator of a list such as “30 epochs completed, 7 stalls” */
  list = g_strjoinv (_(", "), (char **) parts->pdata);

  if (out->len > 0)
    g_string_append_c (out, '\n');
  /* Translators: %u is a number of events, %s a list such as “30 epochs completed,
   * 7 stalls”; the line ends a message that shows or lists the other events */
  g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "and %u more event: %s",
                                            "and %u more events: %s", n_more), n_more, list);

  return g_string_free (out, FALSE);
}

/**
 * tw_batch_dup_first_line:
 * @sorted: (element-type TwReport): a batch from tw_batch_dup_by_importance()
 * @max_units: the longest the line may be, in UTF-16 units after escaping
 * @escape: (nullable): how the service escapes text
 *
 * Returns: (transfer full): a chat message's first line: the headline of a single
 *   report, or “37 events: resnet50: Run failed” (the most important) for a batch
 */
char *
tw_batch_dup_first_line (GPtrArray         *sorted,
                         glong              max_units,
                         TwBatchEscapeFunc  escape)
{
  g_autofree char *headline = NULL;
  g_autofree char *line = NULL;

  g_return_val_if_fail (sorted != NULL && sorted->len > 0, NULL);

  headline = tw_batch_dup_headline (g_ptr_array_index (sorted, 0));
  if (sorted->len == 1)
    return tw_batch_truncate (headline, max_units, escape, FALSE);

  /* Translators: a chat message's first line: a number of events, then the
   * headline of the most important, such as “resnet50: Run failed” */
  line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event: %s", "%u events: %s", sorted->len),
                          sorted->len, headline);
  return tw_batch_truncate (line, max_units, escape, FALSE);
}

/**
 * tw_batch_dup_metrics_text:
 * @report: a report
 * @max_shown: how many metrics to show
 *
 * Returns: (transfer full) (nullable): the run's metrics a line each, “loss 0.31
 *   (best 0.29)”, with a last line “…” when there are more than @max_shown, or
 *   %NULL when the run has none
 */
char *
tw_batch_dup_metrics_text (TwReport *report,
                           guint     max_shown)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (report != NULL, NULL);

  for (guint i = 0; i < report->metrics->len && i < max_shown; i++)
    {
      TwReportMetric *metric = g_ptr_array_index (report->metrics, i);
      g_autofree char *last = tw_report_format_number (metric->last);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (metric->has_best)
        {
          g_autofree char *best = tw_report_format_number (metric->best);

          /* Translators: a metric's name, its newest value and its best value */
          g_string_append_printf (text, _("%s %s (best %s)"), metric->name, last, best);
        }
      else
        g_string_append_printf (text, "%s %s", metric->name, last);
    }
  if (report->metrics->len > max_shown)
    g_string_append (text, "\n" TW_BATCH_ELLIPSIS);

  return text->len > 0 ? g_strdup (text->str) : NULL;
}

/**
 * tw_batch_dup_headline:
 * @report: a report
 *
 * Returns: (transfer full): what happened in a few words: “resnet50: Run failed —
 *   RuntimeError”, or the event's title alone when it is about no job
 */
char *
tw_batch_dup_headline (TwReport *report)
{
  const char *job;
  const char *title;

  g_return_val_if_fail (report != NULL, NULL);

  job = tw_event_get_job (report->event);
  title = tw_event_get_title (report->event);
  if (title == NULL)
    title = "";
  if (job == NULL || *job == '\0')
    return g_strdup (title);

  /* Translators: a message's headline: a job's name, then what happened to it */
  return g_strdup_printf (_("%s: %s"), job, title);
}

/**
 * tw_batch_get_level_color:
 * @level: an event's level
 *
 * The colour of a message's bar, the same for Slack and Discord, readable on light
 * and dark themes: info blue, success green, warning amber, error crimson, critical
 * dark red.
 *
 * Returns: the colour as 0xRRGGBB
 */
guint32
tw_batch_get_level_color (TwLevel level)
{
  switch (level)
    {
    case TW_LEVEL_INFO:
      return 0x439FE0;
    case TW_LEVEL_SUCCESS:
      return 0x2EB67D;
    case TW_LEVEL_WARNING:
      return 0xECB22E;
    case TW_LEVEL_ERROR:
      return 0xE01E5A;
    case TW_LEVEL_CRITICAL:
      return 0xA30200;
    default:
      g_return_val_if_reached (0x439FE0);
    }
}

static glong
unit_count (gunichar c)
{
  return c > 0xFFFF ? 2 : 1;
}

static glong
escaped_units (gunichar          c,
               TwBatchEscapeFunc escape,
               const char      **out_replacement)
{
  const char *replacement = escape != NULL ? escape (c) : NULL;

  *out_replacement = replacement;
  return replacement != NULL ? tw_batch_count_units (replacement) : unit_count (c);
}

static void
append_escaped (GString           *out,
                const char        *start,
                const char        *end,
                TwBatchEscapeFunc  escape)
{
  for (const char *p = start; p < end; p = g_utf8_next_char (p))
    {
      const char *replacement = NULL;

      escaped_units (g_utf8_get_char (p), escape, &replacement);
      if (replacement != NULL)
        g_string_append (out, replacement);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
}

/**
 * tw_batch_count_units:
 * @text: UTF-8 text
 *
 * Returns: the length of @text in UTF-16 code units, the way the services count at
 *   most
 */
glong
tw_batch_count_units (const char *text)
{
  glong units = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    units += unit_count (g_utf8_get_char (p));

  return units;
}

/**
 * tw_batch_truncate:
 * @text: (nullable): text, valid UTF-8 or not (invalid bytes become U+FFFD)
 * @max_units: the most UTF-16 code units the result may have
 * @escape: (nullable): how to replace characters, such as `<` by `&lt;`; counted after
 *   replacing, and never cut in half
 * @keep_end: %TRUE to keep the end of @text (a log's last lines) rather than its start
 *
 * Returns: (transfer full): @text escaped, cut with “…” to fit @max_units if it
 *   is longer (an empty string if not even “…” fits)
 */
char *
tw_batch_truncate (const char        *text,
                   glong              max_units,
                   TwBatchEscapeFunc  escape,
                   gboolean           keep_end)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  GString *out = g_string_new (NULL);
  const char *end = valid + strlen (valid);
  const char *replacement;
  glong total = 0;
  glong budget;
  const char *cut;

  for (const char *p = valid; p < end; p = g_utf8_next_char (p))
    total += escaped_units (g_utf8_get_char (p), escape, &replacement);

  if (total <= max_units)
    {
      append_escaped (out, valid, end, escape);
      return g_string_free (out, FALSE);
    }
  if (max_units < 1)
    return g_string_free (out, FALSE);

  budget = max_units - 1;  /* the ellipsis */
  if (!keep_end)
    {
      for (cut = valid; cut < end; cut = g_utf8_next_char (cut))
        {
          glong units = escaped_units (g_utf8_get_char (cut), escape, &replacement);

          if (units > budget)
            break;
          budget -= units;
        }
      append_escaped (out, valid, cut, escape);
      g_string_append (out, TW_BATCH_ELLIPSIS);
    }
  else
    {
      for (cut = end; cut > valid;)
        {
          const char *prev = g_utf8_prev_char (cut);
          glong units = escaped_units (g_utf8_get_char (prev), escape, &replacement);

          if (units > budget)
            break;
          budget -= units;
          cut = prev;
        }
      g_string_append (out, TW_BATCH_ELLIPSIS);
      append_escaped (out, cut, end, escape);
    }

  return g_string_free (out, FALSE);
}

/**
 * tw_batch_dup_answer:
 * @status: an HTTP status
 * @words: (nullable): what the server said: its body, or the message from it
 *
 * Returns: (transfer full): “HTTP 404: no_service”: one line (line breaks and
 *   control characters become spaces, runs of spaces one), the words cut with “…”
 *   after %TW_BATCH_MAX_ANSWER_WORDS characters; “HTTP 500” without words
 */
char *
tw_batch_dup_answer (guint       status,
                     const char *words)
{
  g_autofree char *valid = g_utf8_make_valid (words != NULL ? words : "", -1);
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *cut = NULL;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_isspace (c))
        {
          if (line->len > 0 && line->str[line->len - 1] != ' ')
            g_string_append_c (line, ' ');
        }
      else
        g_string_append_unichar (line, c);
    }
  if (line->len > 0 && line->str[line->len - 1] == ' ')
    g_string_truncate (line, line->len - 1);

  if (line->len == 0)
    return g_strdup_printf ("HTTP %u", status);

  cut = tw_batch_truncate (line->str, TW_BATCH_MAX_ANSWER_WORDS, NULL, FALSE);
  return g_strdup_printf ("HTTP %u: %s", status, cut);
}

/**
 * tw_batch_judge_error:
 * @error: why a webhook request got no answer (a #TW_HTTP_ERROR, or cancelled)
 * @result: (out caller-allocates): what becomes of the message
 *
 * A webhook request that got no answer: a certificate not trusted, a CA file that
 * cannot be read or a malformed webhook URL are settings to fix (%TW_VERDICT_DISABLE);
 * a request that cannot be made is %TW_VERDICT_REJECTED; anything else, the network
 * first, is tried again (%TW_VERDICT_RETRY), as the message may still be taken later.
 * The answer is the error's message, which never holds the URL's path or query.
 */
void
tw_batch_judge_error (const GError *error,
                      TwSendResult *result)
{
  g_return_if_fail (error != NULL);
  g_return_if_fail (result != NULL);

  tw_send_result_clear (result);
  result->answer = g_strdup (error->message);

  if (error->domain != TW_HTTP_ERROR)
    {
      result->verdict = TW_VERDICT_RETRY;
      return;
    }

  switch ((TwHttpError) error->code)
    {
    case TW_HTTP_ERROR_INVALID_URL:
    case TW_HTTP_ERROR_TLS_VERIFICATION:
    case TW_HTTP_ERROR_CA_FILE:
      result->verdict = TW_VERDICT_DISABLE;
      break;

    case TW_HTTP_ERROR_INVALID_REQUEST:
      result->verdict = TW_VERDICT_REJECTED;
      break;

    default:
      result->verdict = TW_VERDICT_RETRY;
      break;
    }
}
