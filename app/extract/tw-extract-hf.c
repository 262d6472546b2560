/* tw-extract-hf.c — parses the Hugging Face Trainer's log dicts into metrics,
 * evaluations and the end of training
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-progress.h"

#include <string.h>

#include "tw-extract-private.h"

/**
 * tw_extract_hf_dict:
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 *
 * Parses a Hugging Face Trainer log dict (`{'loss': 2.345, 'grad_norm': '1.23', …}`,
 * values as numbers or as quoted numbers, possibly after a label such as `final eval:`)
 * into a METRIC per numeric value; `eval_*` keys give sub metrics followed by one
 * EVALUATION, and a `train_runtime` key (the end-of-training summary) a COMPLETED.
 *
 * Returns: %TRUE when @line held such a dict with at least one numeric value
 */
gboolean
tw_extract_hf_dict (const char *line,
                    guint64     offset,
                    GArray     *out)
{
  const char *q = strstr (line, "{'");
  gboolean any = FALSE, eval = FALSE, completed = FALSE;

  if (q == NULL || strchr (q, '}') == NULL)
    return FALSE;
  q++;
  while (*q == '\'')
    {
      const char *key = q + 1;
      const char *key_end = strchr (key, '\'');
      const char *e = NULL;
      double value;
      gboolean quoted;

      if (key_end == NULL || key_end[1] != ':')
        break;
      q = tw_extract_skip_spaces (key_end + 2);
      quoted = *q == '\'';
      if (quoted)
        q++;
      if (tw_extract_parse_number (q, &value, &e) && (!quoted || *e == '\''))
        {
          gsize key_len = key_end - key;

          tw_extract_add_metric (out, offset, key, key_len, value, FALSE);
          any = TRUE;
          if (key_len > 5 && strncmp (key, "eval_", 5) == 0)
            eval = TRUE;
          if (key_len == 13 && strncmp (key, "train_runtime", 13) == 0)
            completed = TRUE;
          q = e;
        }
      /* on to the next key, past a string value that may hold ',' */
      if (quoted)
        {
          q = strchr (q, '\'');
          if (q == NULL)
            break;
          q++;
        }
      while (*q != '\0' && *q != ',' && *q != '}')
        q++;
      if (*q != ',')
        break;
      q = tw_extract_skip_spaces (q + 1);
    }

  if (eval)
    tw_extract_push (out, TW_OBSERVATION_EVALUATION, offset);
  if (completed)
    tw_extract_push (out, TW_OBSERVATION_COMPLETED, offset);
  return any;
}
