/* fuzz-extractor.c — libFuzzer target: a run's raw output through the whole pure pipeline
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a small control header, then the bytes of the run's output. The
 * header chooses where the output is cut into chunks (so that chunk boundaries
 * fall anywhere: inside a line, a UTF-8 sequence, an escape sequence, a CRLF),
 * what happens after each chunk (a flush, the quiet timer that finishes the
 * failure detector, a stall) and how the process exits. Everything runs as in
 * the daemon's TwJob: the extractor with the failure detector attached, each
 * observation applied to a TwRunState, and the state written as JSON.
 *
 * Header: byte 0 = n_cuts (low 4 bits; bit 4 gives the extractor two user rules with
 * needles, bit 5 one without); then per cut 3 bytes: length (16 bits, little-endian,
 * taken modulo what is left + 1) and actions (bit 0 flush, bit 1 quiet, bit 2 stall,
 * bit 3 skim that chunk, as a follower far behind its writer does); then 1 byte of
 * exit: 0 exits 0, 1–127 exit status, 128 no exit at all, above 128 the signal
 * (value − 128).
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "tw-extract-failure.h"
#include "tw-extractor.h"
#include "tw-fuzz.h"
#include "tw-run-state.h"

#define MAX_CUTS 15

enum
{
  ACTION_FLUSH = 1 << 0,
  ACTION_QUIET = 1 << 1,
  ACTION_STALL = 1 << 2,
  ACTION_SKIM  = 1 << 3,
};

enum
{
  RULES_WITH_NEEDLES    = 1 << 4,
  RULES_WITHOUT_NEEDLES = 1 << 5,
};

typedef struct
{
  TwRunState *run;
  GArray     *observations;   /* of TwObservation */
  GPtrArray  *events;         /* of TwEvent */
} Pipeline;

/* Like the daemon's emit_events(): observations to the run state, events out. */
static void
drain (Pipeline *pipeline)
{
  for (guint i = 0; i < pipeline->observations->len; i++)
    {
      const TwObservation *observation = &g_array_index (pipeline->observations, TwObservation, i);
      g_autofree char *str = tw_observation_to_string (observation);

      /* Lines reach the extractors as valid UTF-8: so does all they say. */
      g_assert (g_utf8_validate (str, -1, NULL));
      tw_run_state_apply (pipeline->run, observation, pipeline->events);
    }
  g_array_set_size (pipeline->observations, 0);

  for (guint i = 0; i < pipeline->events->len; i++)
    {
      g_autofree char *event_json = tw_event_to_json (g_ptr_array_index (pipeline->events, i));

      g_assert (g_utf8_validate (event_json, -1, NULL));
    }
  g_ptr_array_set_size (pipeline->events, 0);
}

static guint
take_byte (const uint8_t **data,
           size_t         *size)
{
  guint byte;

  if (*size == 0)
    return 0;

  byte = (*data)[0];
  (*data)++;
  (*size)--;

  return byte;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(TwExtractor) extractor = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  TwFailureDetector *detector;
  Pipeline pipeline;
  guint16 cuts[MAX_CUTS];
  guint actions[MAX_CUTS];
  guint n_cuts;
  guint first;
  guint exit_byte;
  gboolean stalled = FALSE;
  double progress;

  tw_fuzz_init ();

  first = take_byte (&data, &size);
  n_cuts = first & 0x0f;
  for (guint i = 0; i < n_cuts; i++)
    {
      cuts[i] = take_byte (&data, &size);
      cuts[i] |= take_byte (&data, &size) << 8;
      actions[i] = take_byte (&data, &size);
    }
  exit_byte = take_byte (&data, &size);

  pipeline.run = tw_run_state_new ("fuzz");
  pipeline.observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_array_set_clear_func (pipeline.observations, (GDestroyNotify) tw_observation_clear);
  pipeline.events = g_ptr_array_new_with_free_func (g_object_unref);

  extractor = tw_extractor_new ();
  detector = tw_failure_detector_new ();
  tw_extractor_add_line_func (extractor, tw_failure_detector_line_func, detector,
                              (GDestroyNotify) tw_failure_detector_free);
  if (first & RULES_WITH_NEEDLES)
    {
      g_assert (tw_rule_set_add (rules, "Traceback|Error: (.*)", TW_LEVEL_ERROR, "\\1", NULL));
      g_assert (tw_rule_set_add (rules, "loss[=:] ?(\\S+)", TW_LEVEL_INFO, NULL, NULL));
    }
  if (first & RULES_WITHOUT_NEEDLES)
    g_assert (tw_rule_set_add (rules, "\\d+%", TW_LEVEL_INFO, NULL, NULL));
  tw_extractor_set_rules (extractor, rules);

  for (guint i = 0; i < n_cuts; i++)
    {
      gsize len = cuts[i] % (size + 1);

      tw_extractor_set_skim (extractor, (actions[i] & ACTION_SKIM) != 0, pipeline.observations);
      tw_extractor_feed (extractor, data, len, pipeline.observations);
      data += len;
      size -= len;
      if (actions[i] & ACTION_FLUSH)
        tw_extractor_flush (extractor, pipeline.observations);
      if (actions[i] & ACTION_QUIET)
        tw_failure_detector_finish (detector, pipeline.observations);
      drain (&pipeline);
      if (actions[i] & ACTION_STALL)
        {
          stalled = !stalled;
          tw_run_state_set_stalled (pipeline.run, stalled, 60.0 * (i + 1), pipeline.events);
          drain (&pipeline);
        }
    }
  tw_extractor_set_skim (extractor, FALSE, pipeline.observations);
  tw_extractor_feed (extractor, data, size, pipeline.observations);
  tw_extractor_finish (extractor, pipeline.observations);
  tw_failure_detector_finish (detector, pipeline.observations);
  drain (&pipeline);

  if (exit_byte > 128)
    tw_run_state_finish_process (pipeline.run, -1, exit_byte - 128, pipeline.events);
  else if (exit_byte < 128)
    tw_run_state_finish_process (pipeline.run, exit_byte, 0, pipeline.events);
  drain (&pipeline);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  tw_run_state_add_json (pipeline.run, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  g_assert (g_utf8_validate (json, -1, NULL));
  /* A fraction, or negative when unknown; never NaN, never past the end. */
  progress = tw_run_state_get_progress (pipeline.run);
  g_assert (!isnan (progress) && progress <= 1.0);

  g_ptr_array_unref (pipeline.events);
  g_array_unref (pipeline.observations);
  tw_run_state_free (pipeline.run);

  return 0;
}
