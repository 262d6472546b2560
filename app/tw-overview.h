/* tw-overview.h — the daemon's overall state, for the tray icon and the dock
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"
#include "tw-job.h"
#include "tw-run-state.h"

G_BEGIN_DECLS

#define TW_OVERVIEW_INTERFACE "io.github.trainwatch.Trainwatch.Overview"

/* The shortest time between two published states, in ms. */
#define TW_OVERVIEW_INTERVAL_MS 250

typedef enum
{
  TW_OVERVIEW_IDLE,
  TW_OVERVIEW_RUNNING,
  TW_OVERVIEW_ATTENTION,
} TwOverviewStatus;

/* One run, as the overview counts it. */
typedef struct
{
  const char  *name;
  TwRunStatus  status;
  double       progress;   /* 0..1; < 0 when unknown */
  double       eta;        /* seconds; < 0 when unknown */
} TwOverviewRun;

/* An event at error level or worse that the user has not seen yet. */
typedef struct
{
  const char *job;         /* nullable */
  const char *title;
} TwOverviewFailure;

typedef struct
{
  TwOverviewStatus  status;
  guint             running;    /* running or stalled runs */
  double            progress;   /* their mean, of those that know it; -1 when none does */
  double            eta;        /* the longest known ETA among them, seconds; -1 when none */
  guint             n_unseen;   /* unseen failures */
  char             *label;      /* "47 %", or empty */
  char             *tooltip;
} TwOverviewState;

const char *tw_overview_status_to_string (TwOverviewStatus         status);
char       *tw_overview_format_eta       (double                   seconds);
void        tw_overview_state_compute    (const TwOverviewRun     *runs,
                                          guint                    n_runs,
                                          const TwOverviewFailure *newest_unseen,
                                          guint                    n_unseen,
                                          TwOverviewState         *out);
void        tw_overview_state_clear      (TwOverviewState         *state);
gboolean    tw_overview_state_equal      (const TwOverviewState   *a,
                                          const TwOverviewState   *b);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TwOverviewState, tw_overview_state_clear)

#define TW_TYPE_OVERVIEW (tw_overview_get_type ())
G_DECLARE_FINAL_TYPE (TwOverview, tw_overview, TW, OVERVIEW, GObject)

TwOverview            *tw_overview_new           (void);
void                   tw_overview_track_job     (TwOverview       *self,
                                                  TwJob            *job);
void                   tw_overview_post_event    (TwOverview       *self,
                                                  TwEvent          *event);
void                   tw_overview_mark_seen     (TwOverview       *self,
                                                  const char       *job);
void                   tw_overview_add_actions   (TwOverview       *self,
                                                  GActionMap       *map);
const TwOverviewState *tw_overview_get_state     (TwOverview       *self);
guint64                tw_overview_get_n_changes (TwOverview       *self);
gboolean               tw_overview_export        (TwOverview       *self,
                                                  GDBusConnection  *connection,
                                                  const char       *object_path,
                                                  GError          **error);
void                   tw_overview_unexport      (TwOverview       *self);
void                   tw_overview_add_json      (TwOverview       *self,
                                                  JsonBuilder      *builder);

G_END_DECLS
