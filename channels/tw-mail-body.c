/* tw-mail-body.c — what a mail about events says: its subject, its plain text and HTML
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both parts say the same, built side by side. Every text from a report is cleaned
 * (valid UTF-8, no control characters) and bounded, and at most
 * TW_MAIL_BODY_MAX_SHOWN reports are shown in full, so a batch of a thousand events
 * with 50 KB log lines still makes a mail of a few hundred kilobytes at most.
 */
#include "config.h"

#include "tw-mail-body.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tw-batch.h"
#include "tw-mime.h"

#define MAX_SUBJECT_CHARS   150
#define MAX_TITLE_CHARS     300
#define MAX_BODY_CHARS      3000
#define MAX_FAILURE_CHARS   1000
#define MAX_LINE_CHARS      500
#define MAX_NAME_CHARS      100
#define MAX_METRICS         20
/* Between two events in the plain text: 32 × U+2500 */
#define RULE "────────────────────────────────"

static const char * const level_colours[TW_N_LEVELS] = {
  "#1c71d8", "#26a269", "#c64600", "#c01c28", "#a51d2d",
};

/* Most important first: the highest level, then the newest, then the latest added. */
static int
compare_importance (gconstpointer a,
                    gconstpointer b)
{
  TwReport *ra = *(TwReport * const *) a;
  TwReport *rb = *(TwReport * const *) b;
  TwLevel la = tw_event_get_level (ra->event);
  TwLevel lb = tw_event_get_level (rb->event);
  gint64 ta = tw_event_get_time (ra->event);
  gint64 tb = tw_event_get_time (rb->event);

  if (la != lb)
    return la > lb ? -1 : 1;
  if (ta != tb)
    return ta > tb ? -1 : 1;
  return 0;
}

/* The reports by importance; a stable sort keeps the later of equals last, so
 * reversing the batch first puts the latest added first among equals. */
static GPtrArray *
dup_by_importance (GPtrArray *reports)
{
  GPtrArray *sorted = g_ptr_array_sized_new (reports->len);

  for (guint i = reports->len; i > 0; i--)
    g_ptr_array_add (sorted, g_ptr_array_index (reports, i - 1));
  g_ptr_array_sort (sorted, compare_importance);

  return sorted;
}

static char *
dup_headline (TwReport *report)
{
  const char *job = tw_event_get_job (report->event);

  if (job != NULL && *job != '\0')
    /* Translators: a mail's subject: a job's name and what happened to it */
    return g_strdup_printf (_("%s: %s"), job, tw_event_get_title (report->event));

  return g_strdup (tw_event_get_title (report->event));
}

/**
 * tw_mail_body_dup_subject:
 * @reports: (element-type TwReport): one or more reports
 *
 * Returns: (transfer full): “[Trainwatch] resnet50: Run failed — RuntimeError”,
 *   or for a batch “[Trainwatch] 3 events: ” and the most important one's; on
 *   one line, at most about 160 characters
 */
char *
tw_mail_body_dup_subject (GPtrArray *reports)
{
  g_autoptr(GPtrArray) sorted = NULL;
  g_autofree char *headline = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  g_return_val_if_fail (reports != NULL && reports->len > 0, NULL);

  sorted = dup_by_importance (reports);
  headline = dup_headline (g_ptr_array_index (sorted, 0));
  if (reports->len == 1)
    text = g_steal_pointer (&headline);
  else
    /* Translators: a mail's subject: how many events it tells of, and the most
     * important one (“resnet50: Run failed”) */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event: %s", "%u events: %s",
                                         reports->len),
                            reports->len, headline);
  line = tw_mime_dup_one_line (text, MAX_SUBJECT_CHARS);

  /* The tag is the program's name, the same in every language, for mail filters. */
  return g_strconcat ("[Trainwatch] ", line, NULL);
}

/* @text cleaned (see tw_mime_dup_clean_text()) and cut to @max_chars characters. */
static char *
dup_text (const char *text,
          gsize       max_chars)
{
  g_autofree char *clean = tw_mime_dup_clean_text (text);
  const char *cut;

  if (g_utf8_strlen (clean, -1) <= (glong) max_chars)
    return g_steal_pointer (&clean);

  cut = g_utf8_offset_to_pointer (clean, max_chars - 1);
  return g_strdup_printf ("%.*s…", (int) (cut - clean), clean);
}

/* HTML text with line breaks as <br>. */
static void
append_html_text (GString    *html,
                  const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_auto(GStrv) lines = g_strsplit (escaped, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (html, "<br>\n");
      g_string_append (html, lines[i]);
    }
}

static void
append_row (GString    *plain,
            GString    *html,
            const char *label,
            const char *value)
{
  g_autofree char *line = NULL;
  g_autofree char *escaped_label = g_markup_escape_text (label, -1);
  g_autofree char *escaped_value = NULL;

  if (value == NULL || *value == '\0')
    return;

  line = tw_mime_dup_one_line (value, MAX_FAILURE_CHARS);
  escaped_value = g_markup_escape_text (line, -1);
  /* Translators: a label and its value on one line of a mail, such as “Host: gpu01” */
  g_string_append_printf (plain, _("%s: %s"), label, line);
  g_string_append_c (plain, '\n');
  g_string_append_printf (html, "<tr><th align=\"left\" style=\"padding-right:12px\">%s</th>"
                                "<td>%s</td></tr>\n", escaped_label, escaped_value);
}

static char *
dup_local_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  if (dt == NULL)
    return NULL;

  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S %Z");
}

static void
append_metrics (GString  *plain,
                GString  *html,
                TwReport *report)
{
  guint n = MIN (report->metrics->len, MAX_METRICS);

  if (n == 0)
    return;

  g_string_append_printf (plain, "\n%s\n", _("Last metrics:"));
  g_string_append_printf (html, "<h3 style=\"margin:12px 0 4px\">%s</h3>\n"
                                "<table cellspacing=\"0\" cellpadding=\"2\">\n"
                                "<tr><th align=\"left\">%s</th><th align=\"right\">%s</th>"
                                "<th align=\"right\">%s</th></tr>\n",
                          _("Last metrics"), _("Metric"), _("Last"), _("Best"));
  for (guint i = 0; i < n; i++)
    {
      TwReportMetric *metric = g_ptr_array_index (report->metrics, i);
      g_autofree char *name = tw_mime_dup_one_line (metric->name, MAX_NAME_CHARS);
      g_autofree char *escaped = g_markup_escape_text (name, -1);
      g_autofree char *last = tw_report_format_number (metric->last);
      g_autofree char *best = metric->has_best ? tw_report_format_number (metric->best) : NULL;

      if (best != NULL)
        /* Translators: a metric in a mail: its name, last value and best value */
        g_string_append_printf (plain, _("  %s: %s (best %s)"), name, last, best);
      else
        /* Translators: a metric in a mail: its name and last value */
        g_string_append_printf (plain, _("  %s: %s"), name, last);
      g_string_append_c (plain, '\n');
      g_string_append_printf (html, "<tr><td style=\"padding-right:12px\">%s</td>"
                                    "<td align=\"right\">%s</td>"
                                    "<td align=\"right\">%s</td></tr>\n",
                              escaped, last, best != NULL ? best : "–");
    }
  if (report->metrics->len > n)
    {
      guint rest = report->metrics->len - n;
      g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "and %u more metric",
                                                            "and %u more metrics", rest),
                                               rest);

      g_string_append_printf (plain, "  %s\n", more);
      g_string_append_printf (html, "<tr><td colspan=\"3\">%s</td></tr>\n", more);
    }
  g_string_append (html, "</table>\n");
}

static void
append_last_lines (GString  *plain,
                   GString  *html,
                   TwReport *report)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *escaped = NULL;
  guint n = g_strv_length (report->last_lines);
  guint first = n > TW_REPORT_MAX_LAST_LINES ? n - TW_REPORT_MAX_LAST_LINES : 0;

  if (n == 0)
    return;

  for (guint i = first; i < n; i++)
    {
      g_autofree char *line = dup_text (report->last_lines[i], MAX_LINE_CHARS);

      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }

  g_string_append_printf (plain, "\n%s\n", _("Last lines of the log:"));
  for (const char *p = text->str; *p != '\0';)
    {
      const char *end = strchr (p, '\n');

      g_string_append (plain, "    ");
      g_string_append_len (plain, p, end - p + 1);
      p = end + 1;
    }

  escaped = g_markup_escape_text (text->str, -1);
  g_string_append_printf (html, "<h3 style=\"margin:12px 0 4px\">%s</h3>\n"
                                "<pre style=\"background:#f6f5f4;padding:8px;"
                                "white-space:pre-wrap\">%s</pre>\n",
                          _("Last lines of the log"), escaped);
}

static void
append_report (GString  *plain,
               GString  *html,
               TwReport *report)
{
  TwEvent *event = report->event;
  g_autofree char *title = tw_mime_dup_one_line (tw_event_get_title (event), MAX_TITLE_CHARS);
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *body = dup_text (tw_event_get_body (event), MAX_BODY_CHARS);
  g_autofree char *when = dup_local_time (tw_event_get_time (event));
  g_autofree char *progress = tw_report_dup_progress_text (report);
  g_autofree char *duration = NULL;
  g_autofree char *failure = tw_report_dup_failure_text (report);
  gint64 seconds = tw_report_get_duration_seconds (report);
  TwLevel level = tw_event_get_level (event);

  g_strchomp (body);
  if (seconds >= 0)
    duration = tw_report_format_duration (seconds);

  g_string_append_printf (plain, "%s\n\n", title);
  g_string_append_printf (html, "<h2 style=\"margin:16px 0 8px;color:%s\">%s</h2>\n",
                          level_colours[level < TW_N_LEVELS ? level : TW_LEVEL_INFO],
                          escaped_title);
  if (*body != '\0')
    {
      g_string_append_printf (plain, "%s\n\n", body);
      g_string_append (html, "<p>");
      append_html_text (html, body);
      g_string_append (html, "</p>\n");
    }

  g_string_append (html, "<table cellspacing=\"0\" cellpadding=\"2\">\n");
  append_row (plain, html, _("Run"), tw_event_get_job (event));
  append_row (plain, html, _("Host"), report->host);
  append_row (plain, html, _("Time"), when);
  if (report->has_run)
    append_row (plain, html, _("State"), report->state);
  append_row (plain, html, _("Progress"), progress);
  append_row (plain, html, _("Duration"), duration);
  append_row (plain, html, _("Failure"), failure);
  append_row (plain, html, _("Log"), tw_event_get_log_path (event));
  g_string_append (html, "</table>\n");

  append_metrics (plain, html, report);
  /* The end of the log tells why a run failed; for a milestone it is noise. */
  if (failure != NULL || level >= TW_LEVEL_WARNING)
    append_last_lines (plain, html, report);
}

/**
 * tw_mail_body_build:
 * @reports: (element-type TwReport): one or more reports, oldest first
 * @out_plain: (out) (transfer full): the plain text, lines ending in LF
 * @out_html: (out) (transfer full): the same as an HTML document
 *
 * Writes what the mail says: for each report shown (the most important first),
 * its title and body, the run, host, local time, state, progress, duration,
 * failure and log, the last metrics, and for a failure or a warning the last lines
 * of the log; then one line summing up the reports not shown.
 */
void
tw_mail_body_build (GPtrArray  *reports,
                    char      **out_plain,
                    char      **out_html)
{
  g_autoptr(GPtrArray) sorted = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *escaped_subject = NULL;
  g_autofree char *host = NULL;
  g_autofree char *footer = NULL;
  g_autofree char *escaped_footer = NULL;
  GString *plain = g_string_new (NULL);
  GString *html = g_string_new (NULL);
  guint shown;
  TwReport *first;

  g_return_if_fail (reports != NULL && reports->len > 0);
  g_return_if_fail (out_plain != NULL && out_html != NULL);

  sorted = dup_by_importance (reports);
  shown = MIN (sorted->len, TW_MAIL_BODY_MAX_SHOWN);
  first = g_ptr_array_index (sorted, 0);
  subject = tw_mail_body_dup_subject (reports);
  escaped_subject = g_markup_escape_text (subject, -1);

  g_string_append_printf (html, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
                                "<title>%s</title>\n</head>\n"
                                "<body style=\"font-family:sans-serif;font-size:14px\">\n",
                          escaped_subject);
  if (sorted->len > 1)
    {
      g_autofree char *intro = NULL;

      /* Translators: the start of a mail about several events */
      intro = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%u event, the most important first.",
                                            "%u events, the most important first.",
                                            sorted->len),
                               sorted->len);
      g_string_append_printf (plain, "%s\n\n", intro);
      g_string_append_printf (html, "<p>%s</p>\n", intro);
    }

  for (guint i = 0; i < shown; i++)
    {
      if (i > 0)
        {
          g_string_append (plain, "\n" RULE "\n\n");
          g_string_append (html, "<hr>\n");
        }
      append_report (plain, html, g_ptr_array_index (sorted, i));
    }

  if (shown < sorted->len)
    {
      /* the others a line each, then the rest counted by kind: as Slack and Discord */
      g_autofree char *rest = tw_batch_dup_summary (sorted, shown);
      g_autofree char *escaped = g_markup_escape_text (rest, -1);
      g_auto(GStrv) lines = g_strsplit (escaped, "\n", -1);
      g_autofree char *html_lines = g_strjoinv ("<br>\n", lines);

      g_string_append_printf (plain, "\n%s\n", rest);
      g_string_append_printf (html, "<hr>\n<p>%s</p>\n", html_lines);
    }

  /* Translators: the end of a mail; %s is the computer's name */
  host = tw_mime_dup_one_line (first->host, MAX_NAME_CHARS);
  footer = g_strdup_printf (_("Sent by Trainwatch on %s."), host);
  escaped_footer = g_markup_escape_text (footer, -1);
  /* "-- " starts a signature, which mail programs show apart. */
  g_string_append_printf (plain, "\n-- \n%s\n", footer);
  g_string_append_printf (html, "<p style=\"color:#77767b;font-size:12px\">%s</p>\n"
                                "</body>\n</html>\n", escaped_footer);

  *out_plain = g_string_free (plain, FALSE);
  *out_html = g_string_free (html, FALSE);
}
