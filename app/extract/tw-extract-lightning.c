/* tw-extract-lightning.c — parses what PyTorch Lightning prints besides tqdm bars: the
 * end of fit and the Rich progress bar's summary block
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-progress.h"

#include <string.h>

#include "tw-extract-private.h"

/* "name: value  name: value" pairs, as Rich prints them; returns how many, or -1 when
 * anything else is on the line. */
static int
parse_colon_pairs (const char *q,
                   guint64     offset,
                   GArray     *out,
                   gboolean    emit)
{
  int count = 0;

  for (q = tw_extract_skip_spaces (q); *q != '\0'; q = tw_extract_skip_spaces (q))
    {
      const char *name = q;
      const char *e = NULL;
      double value;

      while (tw_extract_is_ident_char (*q) || *q == '/' || *q == '.' || *q == '-')
        q++;
      if (q == name || *q != ':' ||
          !tw_extract_parse_number (tw_extract_skip_spaces (q + 1), &value, &e))
        return -1;
      if (emit && !tw_extract_is_skipped_metric (name, q - name))
        tw_extract_add_metric (out, offset, name, q - name, value, FALSE);
      count++;
      q = e;
    }
  return count;
}

/**
 * tw_extract_lightning:
 * @state: the stream's parser state
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 *
 * Parses what PyTorch Lightning prints besides tqdm bars: ``Trainer.fit` stopped:
 * `max_epochs=4` reached.`` (COMPLETED; remembers max_epochs), and the Rich progress
 * bar's block (`Epoch 3/3  ━━━ 282/282 0:00:01 • 203.38it/s v_num: 0` and the
 * following lines of `name: value`): Rich shows the 0-based epoch over max_epochs - 1,
 * reported 1-based as EPOCH n = 4, total = 4, with a PROGRESS and METRICs.
 *
 * Returns: %TRUE when @line was one of these
 */
gboolean
tw_extract_lightning (TwProgressState *state,
                      const char      *line,
                      guint64          offset,
                      GArray          *out)
{
  const char *q, *e = NULL;
  gint64 epoch, epoch_max;

  if (strstr (line, "Trainer.fit") != NULL && strstr (line, "stopped") != NULL)
    {
      TwObservation *o;

      q = strstr (line, "max_epochs=");
      if (q != NULL && tw_extract_parse_int (q + 11, &e) > 0)
        state->max_epochs = tw_extract_parse_int (q + 11, &e);
      state->in_rich_summary = FALSE;
      o = tw_extract_push (out, TW_OBSERVATION_COMPLETED, offset);
      o->message = g_strdup (tw_extract_skip_spaces (line));
      return TRUE;
    }

  if (tw_extract_parse_epoch_prefix (line, &epoch, &epoch_max, &q) && epoch_max >= 0 &&
      *q == ' ' && strstr (q, "\xe2\x94\x81") != NULL)
    {
      TwObservation *o;
      gint64 n = -1, total = 0;
      double elapsed = -1, remaining = -1, rate = 0;

      /* after the bar: "282/282 0:00:01 • 0:00:00 203.38it/s v_num: 0 …" */
      for (; *q != '\0'; q++)
        if (g_ascii_isdigit (*q) && q[-1] == ' ' && (n = tw_extract_parse_int (q, &e)) >= 0 &&
            *e == '/' && (total = tw_extract_parse_int (e + 1, &e)) >= 0)
          break;
      if (*q == '\0')
        return FALSE;
      q = tw_extract_skip_spaces (e);
      if (tw_extract_parse_clock (q, &elapsed, &e))
        q = tw_extract_skip_spaces (e);
      if (strncmp (q, "\xe2\x80\xa2", 3) == 0)
        q = tw_extract_skip_spaces (q + 3);
      if (strchr (q, ':') != NULL && q[0] != '\0' && g_ascii_isdigit (q[0]) &&
          strchr (q, ':') < strchr (q, ' ') && tw_extract_parse_clock (q, &remaining, &e))
        q = tw_extract_skip_spaces (e);
      if (g_ascii_isdigit (*q))
        {
          double r = g_ascii_strtod (q, (char **) &e);

          if (g_str_has_prefix (e, "it/s"))
            {
              rate = r;
              q = tw_extract_skip_spaces (e + 4);
            }
        }

      if (state->max_epochs == 0)
        state->max_epochs = epoch_max + 1;
      o = tw_extract_push (out, TW_OBSERVATION_EPOCH, offset);
      o->n = epoch + 1;
      o->total = epoch_max + 1;
      o = tw_extract_push (out, TW_OBSERVATION_PROGRESS, offset);
      o->n = n;
      o->total = total;
      o->rate = rate;
      o->elapsed = elapsed;
      o->remaining = remaining;
      if (parse_colon_pairs (q, offset, out, FALSE) > 0)
        parse_colon_pairs (q, offset, out, TRUE);
      state->in_rich_summary = TRUE;
      return TRUE;
    }

  if (state->in_rich_summary)
    {
      q = tw_extract_skip_spaces (line);
      /* the wrapped remaining time may lead the line */
      if (g_ascii_isdigit (*q) && tw_extract_parse_clock (q, &(double) { 0 }, &e) && *e == ' ')
        q = e;
      if (parse_colon_pairs (q, offset, out, FALSE) > 0)
        {
          parse_colon_pairs (q, offset, out, TRUE);
          return TRUE;
        }
      if (*tw_extract_skip_spaces (q) != '\0')
        state->in_rich_summary = FALSE;
      return FALSE;
    }

  return FALSE;
}
