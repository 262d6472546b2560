/* tw-run-state.h — what a run is doing, built from observations; the events its changes make
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"
#include "tw-observation.h"

G_BEGIN_DECLS

typedef enum
{
  TW_RUN_WAITING,
  TW_RUN_RUNNING,
  TW_RUN_STALLED,
  TW_RUN_COMPLETED,
  TW_RUN_FAILED,
  TW_RUN_STOPPED,
} TwRunStatus;

typedef struct _TwRunState TwRunState;

const char  *tw_run_status_to_string            (TwRunStatus          status);

TwRunState  *tw_run_state_new                   (const char          *job);
void         tw_run_state_free                  (TwRunState          *self);
void         tw_run_state_set_joined_late       (TwRunState          *self);
void         tw_run_state_set_milestones        (TwRunState          *self,
                                                 const guint         *percents,
                                                 guint                n_percents);
void         tw_run_state_set_divergence_factor (TwRunState          *self,
                                                 double               factor);
void         tw_run_state_apply                 (TwRunState          *self,
                                                 const TwObservation *observation,
                                                 GPtrArray           *events);
void         tw_run_state_finish_process        (TwRunState          *self,
                                                 int                  exit_status,
                                                 int                  signal_number,
                                                 GPtrArray           *events);
void         tw_run_state_set_stalled           (TwRunState          *self,
                                                 gboolean             stalled,
                                                 double               silent_seconds,
                                                 GPtrArray           *events);
TwRunStatus  tw_run_state_get_status            (TwRunState          *self);
double       tw_run_state_get_progress          (TwRunState          *self);
double       tw_run_state_get_eta               (TwRunState          *self);
void         tw_run_state_add_json              (TwRunState          *self,
                                                 JsonBuilder         *builder);
void         tw_run_state_add_series_json       (TwRunState          *self,
                                                 JsonBuilder         *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwRunState, tw_run_state_free)

G_END_DECLS
