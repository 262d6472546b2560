/* tw-observation.c — what an extractor saw in a run's output: names and memory of observations
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-observation.h"

#include <math.h>
#include <string.h>

/**
 * tw_failure_kind_to_string:
 * @kind: a #TwFailureKind
 *
 * Gives the stable name of a failure kind, as used in events and logs.
 *
 * Returns: "exception", "out-of-memory", "cuda-error", "nccl-error", "nan", "killed",
 *   or "none" for %TW_FAILURE_NONE and unknown values
 */
const char *
tw_failure_kind_to_string (TwFailureKind kind)
{
  switch (kind)
    {
    case TW_FAILURE_EXCEPTION:
      return "exception";
    case TW_FAILURE_OUT_OF_MEMORY:
      return "out-of-memory";
    case TW_FAILURE_CUDA_ERROR:
      return "cuda-error";
    case TW_FAILURE_NCCL_ERROR:
      return "nccl-error";
    case TW_FAILURE_NAN:
      return "nan";
    case TW_FAILURE_KILLED:
      return "killed";
    case TW_FAILURE_NONE:
    default:
      return "none";
    }
}

/**
 * tw_observation_kind_to_string:
 * @kind: a #TwObservationKind
 *
 * Gives a short name of an observation kind, for debugging and tests.
 *
 * Returns: "progress", "epoch", "step", "metric", "checkpoint", "evaluation",
 *   "completed", "failure", "rule", or "unknown"
 */
const char *
tw_observation_kind_to_string (TwObservationKind kind)
{
  switch (kind)
    {
    case TW_OBSERVATION_PROGRESS:
      return "progress";
    case TW_OBSERVATION_EPOCH:
      return "epoch";
    case TW_OBSERVATION_STEP:
      return "step";
    case TW_OBSERVATION_METRIC:
      return "metric";
    case TW_OBSERVATION_CHECKPOINT:
      return "checkpoint";
    case TW_OBSERVATION_EVALUATION:
      return "evaluation";
    case TW_OBSERVATION_COMPLETED:
      return "completed";
    case TW_OBSERVATION_FAILURE:
      return "failure";
    case TW_OBSERVATION_RULE:
      return "rule";
    default:
      return "unknown";
    }
}

/**
 * tw_observation_init:
 * @observation: (out caller-allocates): the observation to fill
 * @kind: what was observed
 * @offset: byte offset in the stream of the line it came from
 *
 * Fills @observation with @kind and @offset and every other field unknown: counts and
 * rate 0, elapsed and remaining -1, no strings, failure %TW_FAILURE_NONE.
 */
void
tw_observation_init (TwObservation     *observation,
                     TwObservationKind  kind,
                     guint64            offset)
{
  g_return_if_fail (observation != NULL);

  memset (observation, 0, sizeof *observation);
  observation->kind = kind;
  observation->offset = offset;
  observation->elapsed = -1;
  observation->remaining = -1;
  observation->failure = TW_FAILURE_NONE;
}

/**
 * tw_observation_clear:
 * @observation: an observation
 *
 * Frees the strings @observation owns and sets them to %NULL; the struct itself is
 * not freed (it usually lives in a #GArray, whose clear function this is).
 */
void
tw_observation_clear (TwObservation *observation)
{
  g_return_if_fail (observation != NULL);

  g_clear_pointer (&observation->name, g_free);
  g_clear_pointer (&observation->exception, g_free);
  g_clear_pointer (&observation->message, g_free);
}

static void
append_number (GString *s,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    g_string_append (s, "nan");
  else if (isinf (value))
    g_string_append (s, value > 0 ? "inf" : "-inf");
  else
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", value));
}

/**
 * tw_observation_to_string:
 * @observation: an observation
 *
 * Describes @observation in one line with the fields its kind uses, such as
 * `progress 81/200 rate=82.22 elapsed=0 remaining=1 name=Epoch 3/5` or
 * `metric loss=0.1552 sub`; for debug messages and tests. The offset is left out.
 *
 * Returns: (transfer full): the description
 */
char *
tw_observation_to_string (const TwObservation *observation)
{
  const TwObservation *o = observation;
  GString *s;

  g_return_val_if_fail (observation != NULL, NULL);

  s = g_string_new (tw_observation_kind_to_string (o->kind));
  switch (o->kind)
    {
    case TW_OBSERVATION_PROGRESS:
      g_string_append_printf (s, " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, o->n, o->total);
      g_string_append (s, " rate=");
      append_number (s, o->rate);
      g_string_append (s, " elapsed=");
      append_number (s, o->elapsed);
      g_string_append (s, " remaining=");
      append_number (s, o->remaining);
      break;
    case TW_OBSERVATION_EPOCH:
    case TW_OBSERVATION_STEP:
      g_string_append_printf (s, " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, o->n, o->total);
      break;
    case TW_OBSERVATION_METRIC:
      g_string_append_printf (s, " %s=", o->name != NULL ? o->name : "");
      append_number (s, o->value);
      break;
    case TW_OBSERVATION_FAILURE:
      g_string_append_printf (s, " %s", tw_failure_kind_to_string (o->failure));
      if (o->exception != NULL)
        g_string_append_printf (s, " exception=%s", o->exception);
      break;
    case TW_OBSERVATION_RULE:
      g_string_append_printf (s, " level=%d", (int) o->level);
      break;
    case TW_OBSERVATION_CHECKPOINT:
    case TW_OBSERVATION_EVALUATION:
    case TW_OBSERVATION_COMPLETED:
    default:
      break;
    }
  if (o->kind != TW_OBSERVATION_METRIC && o->name != NULL)
    g_string_append_printf (s, " name=%s", o->name);
  if (o->sub)
    g_string_append (s, " sub");
  if (o->message != NULL)
    g_string_append_printf (s, " message=%s", o->message);
  return g_string_free (s, FALSE);
}
