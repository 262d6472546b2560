/* tw-report.h — an event with what a message about it needs: the host and the run's state
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"

G_BEGIN_DECLS

/* One metric's newest and best value. NaN and infinities are kept as such. */
typedef struct
{
  char     *name;
  double    last;
  gboolean  has_best;
  double    best;
} TwReportMetric;

/* What the outbox keeps of an event, and what email, Slack and Discord build their
 * messages from: everything is copied when the event happens, so a message sent after
 * a restart says what was true then. Fields are read directly; unknown numbers are
 * negative (or 0 for times), unknown strings NULL. */
typedef struct
{
  TwEvent    *event;
  char       *host;            /* the computer the run is on: g_get_host_name() */

  gboolean    has_run;         /* FALSE: the event is about no run (a test, a message) */
  char       *state;           /* tw_run_status_to_string(): "running", "failed", … */
  double      progress;        /* 0 to 1, or < 0 */
  gint64      step;
  gint64      total;
  gint64      epoch;
  gint64      epochs;
  double      eta_seconds;     /* < 0: unknown */
  gint64      started_usec;    /* real time the run was first seen; 0: unknown */
  GPtrArray  *metrics;         /* of TwReportMetric, in the run's order; never NULL */
  char       *failure_kind;    /* "exception", "out-of-memory", … */
  char       *exception;       /* "RuntimeError" */
  char       *failure_message; /* "CUDA out of memory. Tried to allocate …" */
  int         exit_status;     /* < 0: unknown or none */
  int         signal_number;   /* 0: none */
  GStrv       last_lines;      /* the log's last lines as a person sees them; never NULL */
} TwReport;

/* The most a report keeps of the end of the log, and of one line. */
#define TW_REPORT_MAX_LAST_LINES      10
#define TW_REPORT_MAX_LINE_BYTES      2048

TwReport  *tw_report_new                 (TwEvent       *event,
                                          const char    *host);
void       tw_report_free                (TwReport      *self);
void       tw_report_set_run_from_json   (TwReport      *self,
                                          JsonObject    *job);
TwReport  *tw_report_new_from_json       (JsonNode      *node,
                                          GError       **error);
JsonNode  *tw_report_to_json             (TwReport      *self);

gint64     tw_report_get_duration_seconds (TwReport     *self);
char      *tw_report_format_duration      (gint64        seconds);
char      *tw_report_format_number        (double        value);
char      *tw_report_dup_progress_text    (TwReport     *self);
char      *tw_report_dup_failure_text     (TwReport     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwReport, tw_report_free)

G_END_DECLS
