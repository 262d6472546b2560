/* tw-extract-tqdm.c — parses tqdm progress bars (plain loops, Hugging Face Trainer,
 * Lightning's TQDM bar) into progress, epochs and postfix metrics
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-progress.h"

#include <string.h>

#include "tw-extract-private.h"

/* Descriptions of bars that are never the main (training) bar. */
static const char * const sub_bar_words[] = {
  "eval", "valid", "test", "predict", "sanity", "writing model shards",
};

/* The multiplier of a suffix of tqdm's format_sizeof() (unit_scale=True), 0 for none. */
static double
suffix_scale (char c)
{
  switch (c)
    {
    case 'k':
    case 'K':
      return 1e3;
    case 'M':
      return 1e6;
    case 'G':
      return 1e9;
    case 'T':
      return 1e12;
    case 'P':
      return 1e15;
    default:
      return 0;
    }
}

/* A count as tqdm prints it: "81", or with unit_scale "4.50k", "1.20M", "999", maybe
 * in bytes ("12.3MB", "1.5KiB"); -1 when there is none. Scaled counts are rounded:
 * "4.50k" is 4500 (tqdm shows three digits, so the count is known to about 1 %). */
static gint64
parse_count (const char  *p,
             const char **endp)
{
  const char *e = NULL;
  gint64 whole = tw_extract_parse_int (p, &e);
  double value, scale, unit = 0.1;

  if (whole < 0)
    return -1;
  value = whole;
  if (*e == '.' && g_ascii_isdigit (e[1]))
    for (e++; g_ascii_isdigit (*e); e++, unit /= 10)
      value += (*e - '0') * unit;
  if ((scale = suffix_scale (*e)) > 0)
    {
      value *= scale;
      e++;
    }
  if (e[0] == 'B')
    e++;
  else if (e[0] == 'i' && e[1] == 'B')
    e += 2;
  *endp = e;
  return value < (double) G_MAXINT64 ? (gint64) (value + 0.5) : G_MAXINT64;
}

/* Folds the digits of a description so that "Epoch 1/5" and "Epoch 2/5" are one bar. */
static void
fold_key (const char *desc,
          char        key[TW_PROGRESS_KEY_MAX])
{
  gsize i;

  for (i = 0; desc[i] != '\0' && i < TW_PROGRESS_KEY_MAX - 1; i++)
    key[i] = g_ascii_isdigit (desc[i]) ? '#' : desc[i];
  key[i] = '\0';
}

/**
 * tw_extract_tqdm:
 * @state: the stream's parser state
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 * @rest: (out) (optional): where the text after the bar starts (a print can follow a
 *   bar update on the same line)
 *
 * Parses a tqdm bar (`desc: 40%|████  | 81/200 [00:00<00:01, 82.22it/s, loss=0.155]`),
 * also as printed by Lightning's TQDM progress bar, into a PROGRESS, an EPOCH when the
 * description names one, and a METRIC per numeric postfix (`v_num` skipped). Counts
 * and rates scaled by `unit_scale` (`4.50k/10.0k`, `1.20M/?`, `12.3MB/45.6MB`,
 * `1.23kit/s`, `3.21MB/s`) are read with their k, M, G, T or P suffix.
 *
 * A bar is a sub-bar (PROGRESS with sub set) when its description speaks of
 * evaluation, validation, testing, prediction, sanity checking or writing model
 * shards (at the start of a word), or when it is not the first main bar seen
 * (descriptions compared with their digits folded; among bars without a description,
 * the one with the largest total is the main bar, so that an evaluation bar shown
 * before training does not take its place). A bar whose description starts with
 * `Epoch` takes over from a main bar named otherwise.
 *
 * Lightning numbers epochs from 0 and shows no total (`Epoch 3: …, v_num=0`): such an
 * epoch is reported 1-based (n = 4) with the total from a `max_epochs=` seen earlier,
 * else 0, so that EPOCH always counts epochs begun like `Epoch 4/5` from a plain loop.
 *
 * Returns: %TRUE when @line was a bar
 */
gboolean
tw_extract_tqdm (TwProgressState  *state,
                 const char       *line,
                 guint64           offset,
                 GArray           *out,
                 const char      **rest)
{
  const char *p1, *p2, *q, *e = NULL;
  const char *postfix;
  gint64 n, total = 0;
  double elapsed = -1, remaining = -1, rate = 0;
  gboolean sub = FALSE, lightning = FALSE;
  g_autofree char *desc = NULL;
  g_autofree char *lower = NULL;
  gint64 epoch = -1, epoch_total = -1;
  TwObservation *o;
  gsize i;

  p1 = strchr (line, '|');
  if (p1 == NULL || (p2 = strchr (p1 + 1, '|')) == NULL)
    return FALSE;
  q = tw_extract_skip_spaces (p2 + 1);
  if ((n = parse_count (q, &e)) < 0 || *e != '/')
    return FALSE;
  q = e + 1;
  if (*q == '?')
    q++;
  else if ((total = parse_count (q, &e)) >= 0)
    q = e;
  else
    return FALSE;
  q = tw_extract_skip_spaces (q);
  if (*q != '[')
    return FALSE;
  q++;
  if (!tw_extract_parse_clock (q, &elapsed, &q))
    return FALSE;
  if (*q == '<' && !tw_extract_parse_clock (q + 1, &remaining, &q))
    return FALSE;
  if (*q == ',')
    {
      double r = 0;

      q = tw_extract_skip_spaces (q + 1);
      if (*q == '?')
        rate = 0;
      else if (g_ascii_isdigit (*q))
        {
          double scale;

          r = g_ascii_strtod (q, (char **) &e);
          q = e;
          /* "1.23kit/s", "3.21MB/s": a suffix, then the unit per second */
          if ((scale = suffix_scale (*q)) > 0)
            {
              const char *u = q + 1;

              while (g_ascii_isalpha (*u))
                u++;
              if (u[0] == '/' && u[1] == 's')
                r *= scale, q++;
            }
          /* tqdm flips to seconds per item below one item a second */
          if (q[0] == 's' && q[1] == '/')
            rate = r > 0 ? 1.0 / r : 0;
          else
            rate = r;
        }
      while (*q != '\0' && *q != ',' && *q != ']')
        q++;
    }
  postfix = q;

  /* the description: before the first '|', without the percentage and colon */
  {
    const char *start = tw_extract_skip_spaces (line);
    const char *end = p1;

    while (end > start && end[-1] == ' ')
      end--;
    if (end > start && end[-1] == '%')
      {
        end--;
        while (end > start && g_ascii_isdigit (end[-1]))
          end--;
      }
    while (end > start && end[-1] == ' ')
      end--;
    if (end > start && end[-1] == ':')
      end--;
    desc = g_strndup (start, end > start ? end - start : 0);
  }

  /* Lightning marks its postfix with v_num */
  if (strstr (postfix, "v_num") != NULL)
    lightning = TRUE;

  lower = g_ascii_strdown (desc, -1);
  for (i = 0; i < G_N_ELEMENTS (sub_bar_words) && !sub; i++)
    {
      const char *w;

      /* at the start of a word: "Testing", not "latest" */
      for (w = strstr (lower, sub_bar_words[i]); w != NULL && !sub;
           w = strstr (w + 1, sub_bar_words[i]))
        sub = w == lower || !g_ascii_isalnum (w[-1]);
    }
  if (!sub)
    {
      char key[TW_PROGRESS_KEY_MAX];

      fold_key (desc, key);
      /* an epoch bar is the training bar, even after one named otherwise (Lightning
       * shows "Training" before its first "Epoch 0") */
      if (!state->have_main ||
          (g_ascii_strncasecmp (desc, "epoch", 5) == 0 &&
           g_ascii_strncasecmp (state->main_key, "epoch", 5) != 0))
        {
          state->have_main = TRUE;
          memcpy (state->main_key, key, sizeof key);
          state->main_total = total;
        }
      else if (strcmp (key, state->main_key) != 0)
        sub = TRUE;
      else if (key[0] == '\0' && total > state->main_total)
        state->main_total = total;   /* an evaluation bar came first (eval on start) */
      else if (key[0] == '\0' && total != state->main_total)
        sub = TRUE;
      else
        state->main_total = total;
    }

  if (!sub && tw_extract_parse_epoch_prefix (desc, &epoch, &epoch_total, &e))
    {
      o = tw_extract_push (out, TW_OBSERVATION_EPOCH, offset);
      if (epoch_total >= 0)
        {
          o->n = epoch;
          o->total = epoch_total;
        }
      else if (lightning)
        {
          o->n = epoch + 1;
          o->total = state->max_epochs;
        }
      else
        o->n = epoch;
    }

  o = tw_extract_push (out, TW_OBSERVATION_PROGRESS, offset);
  o->n = n;
  o->total = total;
  o->rate = rate;
  o->elapsed = elapsed;
  o->remaining = remaining;
  o->sub = sub;
  o->name = desc[0] != '\0' ? g_strdup (desc) : NULL;

  /* postfix: ", k=v, k=v]" */
  q = postfix;
  while (*q == ',')
    {
      const char *name = tw_extract_skip_spaces (q + 1);
      const char *name_end = name;
      double value;

      while (tw_extract_is_ident_char (*name_end) || *name_end == '/' || *name_end == '.' ||
             *name_end == '-')
        name_end++;
      q = name_end;
      if (*name_end == '=' && name_end > name &&
          tw_extract_parse_number (name_end + 1, &value, &e))
        {
          if (!tw_extract_is_skipped_metric (name, name_end - name))
            tw_extract_add_metric (out, offset, name, name_end - name, value, sub);
          q = e;
        }
      while (*q != '\0' && *q != ',' && *q != ']')
        q++;
    }
  if (rest != NULL)
    *rest = *q == ']' ? q + 1 : q;

  return TRUE;
}
