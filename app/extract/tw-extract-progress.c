/* tw-extract-progress.c — the progress and metric parsers' front: per-stream state,
 * Keras lines, plain prints, and the dispatch over all parsers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-progress.h"

#include <string.h>

#include "tw-extract-private.h"

/* Case-insensitive strstr for a lower-case @needle that starts with a letter; lines
 * are short enough for the naive loop, once its first test is a bit operation rather
 * than a call (every line that reaches the generic parser goes through it). */
static const char *
find_ci (const char *hay,
         const char *needle)
{
  gsize n = strlen (needle);

  /* needle is lower-case letters: OR-ing 0x20 folds the case of a letter, and a
   * NUL never matches; no call per byte (this runs on every line) */
  for (; *hay != '\0'; hay++)
    {
      gsize i = 0;

      while (i < n && (hay[i] | 0x20) == needle[i])
        i++;
      if (i == n)
        return hay;
    }
  return NULL;
}

/**
 * tw_progress_state_init:
 * @state: (out caller-allocates): the state to reset
 *
 * Resets what the progress parsers remember to the start of a stream.
 */
void
tw_progress_state_init (TwProgressState *state)
{
  g_return_if_fail (state != NULL);

  memset (state, 0, sizeof *state);
}

/* A Keras duration: "3s", "50ms", "1:02" (m:ss), "1:02:03"; -1 when there is none. */
static double
parse_duration (const char  *p,
                const char **endp)
{
  const char *e = NULL;
  double v;

  if (!g_ascii_isdigit (*p))
    return -1;
  if (tw_extract_parse_clock (p, &v, &e) && memchr (p, ':', e - p) != NULL)
    {
      *endp = e;
      return v;
    }
  v = g_ascii_strtod (p, (char **) &e);
  if (e[0] == 'm' && e[1] == 's')
    v /= 1e3, e += 2;
  else if ((e[0] == 'u' && e[1] == 's') || strncmp (e, "\xc2\xb5s", 3) == 0)
    v /= 1e6, e += e[0] == 'u' ? 2 : 3;
  else if (*e == 's')
    e++;
  else if (*e == 'm')
    v *= 60, e++;
  else if (*e == 'h')
    v *= 3600, e++;
  else
    return -1;
  *endp = e;
  return v;
}

/**
 * tw_extract_keras:
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 *
 * Parses a Keras progress line into a PROGRESS and METRICs: Keras 3's `100/100 ━━━━ 2s
 * 15ms/step - accuracy: 0.91 - loss: 0.23` (the time before the per-step time is the
 * ETA while the epoch runs, the time it took once it is over) and Keras 2's
 * `12/100 [==>....] - ETA: 3s - loss: 0.41` and `100/100 [=====] - 5s 50ms/step -
 * loss: 0.2 - val_loss: 0.3` (per step or per sample). `val_` metrics are evaluation
 * metrics, and a line that has them also gives an EVALUATION, after them.
 * (`Epoch 3/10` alone is left to tw_extract_generic().)
 *
 * Returns: %TRUE when @line was a Keras progress line
 */
gboolean
tw_extract_keras (const char *line,
                  guint64     offset,
                  GArray     *out)
{
  const char *q = tw_extract_skip_spaces (line);
  const char *e = NULL;
  const char *step;
  gint64 n, total;
  double rate = 0, remaining = -1, elapsed = -1;
  gboolean eval = FALSE;
  TwObservation *o;

  if ((n = tw_extract_parse_int (q, &e)) < 0 || *e != '/' ||
      (total = tw_extract_parse_int (e + 1, &e)) < 0 ||
      *e != ' ')
    return FALSE;
  step = strstr (e, "/step");
  if (step == NULL)
    step = strstr (e, "/sample");
  if (step == NULL && strstr (e, " - ") == NULL)
    return FALSE;

  if (step != NULL)
    {
      const char *u = step;
      const char *t;
      double per_step;

      /* back over "15ms", then over the time before it */
      while (u > e && (g_ascii_isalpha (u[-1]) || u[-1] == '\xb5' || u[-1] == '\xc2'))
        u--;
      while (u > e && (g_ascii_isdigit (u[-1]) || u[-1] == '.'))
        u--;
      if ((per_step = parse_duration (u, &t)) > 0 && t == step)
        rate = 1.0 / per_step;
      t = u;
      while (t > e && t[-1] == ' ')
        t--;
      while (t > e && (g_ascii_isalnum (t[-1]) || t[-1] == ':' || t[-1] == '.'))
        t--;
      if (t < u)
        {
          const char *d_end = NULL;
          double d = parse_duration (t, &d_end);

          if (d >= 0 && *d_end == ' ')
            {
              if (n < total)
                remaining = d;
              else
                elapsed = d;
            }
        }
    }
  q = strstr (e, "ETA: ");
  if (q != NULL)
    {
      double v = parse_duration (q + 5, &e);

      if (v >= 0)
        remaining = v;
    }

  o = tw_extract_push (out, TW_OBSERVATION_PROGRESS, offset);
  o->n = n;
  o->total = total;
  o->rate = rate;
  o->elapsed = elapsed;
  o->remaining = remaining;

  for (q = strstr (line, " - "); q != NULL; q = strstr (q, " - "))
    {
      const char *name = q + 3;
      const char *name_end = name;
      double value;

      while (tw_extract_is_ident_char (*name_end))
        name_end++;
      q = name_end;
      if (name_end - name == 3 && strncmp (name, "ETA", 3) == 0)
        continue;
      if (name_end > name && *name_end == ':' &&
          tw_extract_parse_number (tw_extract_skip_spaces (name_end + 1), &value, &e))
        {
          tw_extract_add_metric (out, offset, name, name_end - name, value, FALSE);
          eval = eval || strncmp (name, "val_", 4) == 0;
          q = e;
        }
    }
  if (eval)
    tw_extract_push (out, TW_OBSERVATION_EVALUATION, offset);
  return TRUE;
}

static gboolean
is_marker_word (const char *p,
                gsize       len,
                gboolean   *is_epoch)
{
  *is_epoch = len == 5 && g_ascii_strncasecmp (p, "epoch", 5) == 0;
  return *is_epoch ||
         (len == 4 && (g_ascii_strncasecmp (p, "step", 4) == 0 ||
                       g_ascii_strncasecmp (p, "iter", 4) == 0)) ||
         (len == 9 && g_ascii_strncasecmp (p, "iteration", 9) == 0);
}

static gboolean
is_completion (const char *line)
{
  static const char * const phrases[] = {
    "training complete", "training finished", "training done", "finished training",
  };
  const char *p = tw_extract_skip_spaces (line);
  gsize len = strlen (p);
  gsize i;

  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '.' || p[len - 1] == '!'))
    len--;
  if (len == 4 && g_ascii_strncasecmp (p, "done", 4) == 0)
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (phrases); i++)
    if (g_ascii_strncasecmp (p, phrases[i], strlen (phrases[i])) == 0)
      return TRUE;
  return FALSE;
}

/**
 * tw_extract_generic:
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 *
 * Parses what training loops print by hand: completion phrases (`Training complete.`,
 * `done` alone, `Finished training`) as COMPLETED; `Saved checkpoint to PATH` and
 * `Saving model checkpoint to PATH` as CHECKPOINT (message: the path); a line with an
 * `epoch N[/M]`, `step N[/M]` or `iter N[/M]` marker as EPOCH or STEP, and its
 * `name=value` / `name: value` pairs (and `| name value |` fields) as METRICs. An
 * EPOCH whose line carries metrics is a summary (sub set: the epoch completed).
 *
 * Returns: %TRUE when @line gave an observation
 */
gboolean
tw_extract_generic (const char *line,
                    guint64     offset,
                    GArray     *out)
{
  const char *q, *sav, *e = NULL;
  guint epoch_index = G_MAXUINT;
  gboolean have_epoch = FALSE, have_step = FALSE;
  guint n_metrics = 0;
  guint start_len = out->len;

  if (is_completion (line))
    {
      tw_extract_push (out, TW_OBSERVATION_COMPLETED, offset);
      return TRUE;
    }

  q = find_ci (line, "checkpoint");
  sav = q != NULL ? find_ci (line, "sav") : NULL;
  if (sav != NULL && sav < q)
    {
      TwObservation *o = tw_extract_push (out, TW_OBSERVATION_CHECKPOINT, offset);
      const char *path = strstr (q, " to ");

      if (path != NULL)
        {
          gsize len;

          path = tw_extract_skip_spaces (path + 4);
          len = strlen (path);
          while (len > 0 && (path[len - 1] == ' ' || path[len - 1] == '.'))
            len--;
          if (len > 0)
            o->message = g_strndup (path, len);
        }
      return TRUE;
    }

  /* markers */
  for (q = line; *q != '\0'; q++)
    {
      const char *w = q;
      gboolean is_epoch;
      gint64 n, total = 0;

      if (!g_ascii_isalpha (*q) || (q > line && tw_extract_is_ident_char (q[-1])))
        continue;
      while (tw_extract_is_ident_char (*q))
        q++;
      if (!is_marker_word (w, q - w, &is_epoch) || (is_epoch ? have_epoch : have_step))
        {
          q--;
          continue;
        }
      e = q;
      while (*e == ' ' || *e == ':' || *e == '=' || *e == '#')
        e++;
      if ((n = tw_extract_parse_int (e, &e)) < 0)
        {
          q--;
          continue;
        }
      if (*e == '/' && g_ascii_isdigit (e[1]))
        total = tw_extract_parse_int (e + 1, &e);
      else if (strncmp (e, " of ", 4) == 0 && g_ascii_isdigit (e[4]))
        total = tw_extract_parse_int (e + 4, &e);
      if (tw_extract_is_ident_char (*e))
        {
          q--;
          continue;
        }
      if (is_epoch)
        {
          epoch_index = out->len;
          have_epoch = TRUE;
        }
      else
        have_step = TRUE;
      {
        TwObservationKind kind = is_epoch ? TW_OBSERVATION_EPOCH : TW_OBSERVATION_STEP;
        TwObservation *o = tw_extract_push (out, kind, offset);
        o->n = n;
        o->total = total;
      }
      q = e - 1;
    }
  if (!have_epoch && !have_step)
    return FALSE;

  /* metrics */
  for (q = line; *q != '\0';)
    {
      const char *name = q;
      const char *name_end;
      const char *v;
      gboolean is_epoch;
      double value;

      if (!(g_ascii_isalpha (*q) || *q == '_') || (q > line && tw_extract_is_ident_char (q[-1])))
        {
          q++;
          continue;
        }
      while (tw_extract_is_ident_char (*q) || *q == '.' || *q == '/')
        q++;
      name_end = q;
      while (name_end > name && (name_end[-1] == '.' || name_end[-1] == '/'))
        name_end--;
      if (is_marker_word (name, name_end - name, &is_epoch) ||
          tw_extract_is_skipped_metric (name, name_end - name))
        continue;
      v = tw_extract_skip_spaces (q);
      if ((*v == '=' || *v == ':') &&
          tw_extract_parse_number (tw_extract_skip_spaces (v + 1), &value, &e))
        {
          tw_extract_add_metric (out, offset, name, name_end - name, value, FALSE);
          n_metrics++;
          q = e;
        }
      else if (v > q && tw_extract_parse_number (v, &value, &e))
        {
          /* "| loss 0.25 |": a field of its own between bars */
          const char *before = name;
          const char *after = tw_extract_skip_spaces (e);

          while (before > line && before[-1] == ' ')
            before--;
          if ((before > line && before[-1] == '|') && (*after == '|' || *after == '\0'))
            {
              tw_extract_add_metric (out, offset, name, name_end - name, value, FALSE);
              n_metrics++;
              q = e;
            }
        }
    }

  if (epoch_index != G_MAXUINT && n_metrics > 0)
    g_array_index (out, TwObservation, epoch_index).sub = TRUE;
  return out->len > start_len;
}

/**
 * tw_extract_progress_line:
 * @state: the stream's parser state
 * @line: one clean, NUL-terminated line
 * @offset: the line's byte offset in the stream
 * @out: array of #TwObservation to append to
 *
 * Runs the progress and metric parsers on @line, first match wins: tqdm bars,
 * Hugging Face dicts, Lightning, Keras, then the generic forms; text after a tqdm bar
 * on the same line is parsed again.
 *
 * Returns: %TRUE when @line gave an observation
 */
gboolean
tw_extract_progress_line (TwProgressState *state,
                          const char      *line,
                          guint64          offset,
                          GArray          *out)
{
  const char *rest = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  /* "…it/s]step 4: loss=47084.9" — a print right after an update, or more updates */
  while (tw_extract_tqdm (state, line, offset, out, &rest))
    {
      found = TRUE;
      line = rest;
      if (*tw_extract_skip_spaces (line) == '\0')
        return TRUE;
    }

  return tw_extract_hf_dict (line, offset, out) ||
         tw_extract_lightning (state, line, offset, out) ||
         tw_extract_keras (line, offset, out) ||
         tw_extract_generic (line, offset, out) ||
         found;
}
