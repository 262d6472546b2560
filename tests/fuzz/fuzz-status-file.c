/* fuzz-status-file.c — libFuzzer target: the status file parsers
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same bytes are parsed as each format (ours, a Hugging Face
 * trainer_state.json, a Lightning metrics.csv): a file caught mid-write or of
 * another format must give an error, never a crash.
 */
#include "config.h"

#include "tw-fuzz.h"
#include "tw-status-file.h"

static const TwStatusFormat formats[] = {
  TW_STATUS_FORMAT_TRAINWATCH,
  TW_STATUS_FORMAT_HF_TRAINER_STATE,
  TW_STATUS_FORMAT_LIGHTNING_CSV,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  tw_fuzz_init ();

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GArray) observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_array_set_clear_func (observations, (GDestroyNotify) tw_observation_clear);
      ok = tw_status_file_parse (formats[i], (const char *) data, size, observations, &error);
      /* TRUE, or FALSE with one of the errors the parser documents. */
      g_assert (ok == (error == NULL));
      g_assert (ok || error->domain == TW_STATUS_FILE_ERROR);
      for (guint j = 0; j < observations->len; j++)
        {
          g_autofree char *str = tw_observation_to_string (&g_array_index (observations, TwObservation, j));

          g_assert (g_utf8_validate (str, -1, NULL));
        }
    }

  return 0;
}
