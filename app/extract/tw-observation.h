/* tw-observation.h — what an extractor saw in a run's output: the currency between
 * the pure parsers (extract) and the jobs that turn observations into events
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-event.h"

G_BEGIN_DECLS

typedef enum
{
  TW_OBSERVATION_PROGRESS,     /* a progress bar: n of total, rate, elapsed, remaining; sub for nested/eval bars */
  TW_OBSERVATION_EPOCH,        /* epoch n of total (total 0 when unknown); completed when it is a summary line */
  TW_OBSERVATION_STEP,         /* step/iteration n of total (total 0 when unknown) */
  TW_OBSERVATION_METRIC,       /* name = value; sub when it is an evaluation metric */
  TW_OBSERVATION_CHECKPOINT,   /* message: the saved path, when known */
  TW_OBSERVATION_EVALUATION,   /* an evaluation finished (its metrics come as METRIC with sub) */
  TW_OBSERVATION_COMPLETED,    /* the run says it finished (completion phrase, train_runtime summary) */
  TW_OBSERVATION_FAILURE,      /* failure, exception, message */
  TW_OBSERVATION_RULE,         /* a user rule matched: level, message (template expanded) */
} TwObservationKind;

typedef enum
{
  TW_FAILURE_NONE,
  TW_FAILURE_EXCEPTION,
  TW_FAILURE_OUT_OF_MEMORY,
  TW_FAILURE_CUDA_ERROR,
  TW_FAILURE_NCCL_ERROR,
  TW_FAILURE_NAN,
  TW_FAILURE_KILLED,
} TwFailureKind;

typedef struct
{
  TwObservationKind kind;
  guint64           offset;       /* byte offset in the stream of the line it came from */
  gint64            n;            /* progress/epoch/step: the count */
  gint64            total;        /* 0 when unknown */
  double            rate;         /* items per second; 0 when unknown */
  double            elapsed;      /* seconds; < 0 when unknown */
  double            remaining;    /* seconds; < 0 when unknown */
  gboolean          sub;          /* nested/eval bar, eval metric, completed epoch */
  char             *name;         /* metric name, bar description */
  double            value;        /* metric value (may be NaN or ±Inf) */
  TwFailureKind     failure;
  char             *exception;    /* "torch.OutOfMemoryError", "ValueError"; NULL when none */
  char             *message;      /* failure message, checkpoint path, rule text */
  TwLevel           level;        /* for RULE */
} TwObservation;

const char *tw_failure_kind_to_string     (TwFailureKind        kind);
const char *tw_observation_kind_to_string (TwObservationKind    kind);
void        tw_observation_init           (TwObservation       *observation,
                                           TwObservationKind    kind,
                                           guint64              offset);
void        tw_observation_clear          (TwObservation       *observation);
char       *tw_observation_to_string      (const TwObservation *observation);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TwObservation, tw_observation_clear)

G_END_DECLS
