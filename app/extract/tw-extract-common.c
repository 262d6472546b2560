/* tw-extract-common.c — helpers shared by the progress and metric parsers: numbers,
 * times and observations
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-private.h"

#include <math.h>
#include <string.h>

/**
 * tw_extract_push:
 * @out: array of #TwObservation
 * @kind: what was observed
 * @offset: the line's byte offset in the stream
 *
 * Appends an observation initialised by tw_observation_init().
 *
 * Returns: (transfer none): the new observation, valid until @out changes size
 */
TwObservation *
tw_extract_push (GArray            *out,
                 TwObservationKind  kind,
                 guint64            offset)
{
  TwObservation *o;

  g_array_set_size (out, out->len + 1);
  o = &g_array_index (out, TwObservation, out->len - 1);
  tw_observation_init (o, kind, offset);
  return o;
}

static gboolean
is_eval_name (const char *name)
{
  return g_str_has_prefix (name, "eval_") || g_str_has_prefix (name, "val_") ||
         g_str_has_prefix (name, "valid_") || g_str_has_prefix (name, "test_");
}

/**
 * tw_extract_parse_number:
 * @p: where the number should start, in a NUL-terminated string
 * @value: (out): the number
 * @endp: (out): just past it
 *
 * Reads a number, `nan` or `inf` standing alone (with g_ascii_strtod()): `nan` inside
 * a word (`nanoseconds`) and a number glued to letters (`3rd`, `2s`) are not values.
 *
 * Returns: %TRUE when a value was read
 */
gboolean
tw_extract_parse_number (const char  *p,
                         double      *value,
                         const char **endp)
{
  const char *q = p;
  char *e = NULL;
  gboolean negative = FALSE;

  if (*q == '+' || *q == '-')
    negative = *q++ == '-';

  if (g_ascii_strncasecmp (q, "nan", 3) == 0 && !tw_extract_is_ident_char (q[3]))
    {
      *value = NAN;
      *endp = q + 3;
      return TRUE;
    }
  if (g_ascii_strncasecmp (q, "infinity", 8) == 0 && !tw_extract_is_ident_char (q[8]))
    {
      *value = negative ? -INFINITY : INFINITY;
      *endp = q + 8;
      return TRUE;
    }
  if (g_ascii_strncasecmp (q, "inf", 3) == 0 && !tw_extract_is_ident_char (q[3]))
    {
      *value = negative ? -INFINITY : INFINITY;
      *endp = q + 3;
      return TRUE;
    }
  if (!g_ascii_isdigit (*q) && !(*q == '.' && g_ascii_isdigit (q[1])))
    return FALSE;
  /* g_ascii_strtod would take hexadecimal; a log's "0x7f" is an address, not a value */
  if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
    return FALSE;

  *value = g_ascii_strtod (p, &e);
  if (e == p || tw_extract_is_ident_char (*e))
    return FALSE;
  *endp = e;
  return TRUE;
}

/**
 * tw_extract_parse_int:
 * @p: where the digits should start
 * @endp: (out): just past them, set only on success
 *
 * Returns: the non-negative decimal integer at @p (saturating), or -1 when none
 */
gint64
tw_extract_parse_int (const char  *p,
                      const char **endp)
{
  gint64 v = 0;

  if (!g_ascii_isdigit (*p))
    return -1;
  while (g_ascii_isdigit (*p))
    {
      if (v < G_MAXINT64 / 10 - 10)
        v = v * 10 + (*p - '0');
      p++;
    }
  *endp = p;
  return v;
}

/**
 * tw_extract_parse_clock:
 * @p: where the time should start
 * @seconds: (out): the time in seconds, -1 for `?`
 * @endp: (out): just past it
 *
 * Reads a clock time as tqdm and Rich print them: `SS`, `MM:SS`, `H:MM:SS`, or `?`.
 *
 * Returns: %TRUE when a time was read
 */
gboolean
tw_extract_parse_clock (const char  *p,
                        double      *seconds,
                        const char **endp)
{
  double total = 0;
  int parts = 0;

  if (*p == '?')
    {
      *seconds = -1;
      *endp = p + 1;
      return TRUE;
    }
  while (g_ascii_isdigit (*p) && parts < 3)
    {
      const char *e = NULL;
      gint64 v = tw_extract_parse_int (p, &e);

      total = total * 60 + v;
      parts++;
      p = e;
      if (*p != ':' || !g_ascii_isdigit (p[1]))
        break;
      p++;
    }
  if (parts == 0)
    return FALSE;
  *seconds = total;
  *endp = p;
  return TRUE;
}

/**
 * tw_extract_add_metric:
 * @out: array of #TwObservation
 * @offset: the line's byte offset in the stream
 * @name: the metric's name
 * @name_len: its length, or -1 when NUL-terminated
 * @value: its value
 * @sub: whether it is an evaluation metric (also set for `eval_`, `val_`, `valid_`
 *   and `test_` names)
 *
 * Appends a METRIC.
 */
void
tw_extract_add_metric (GArray     *out,
                       guint64     offset,
                       const char *name,
                       gssize      name_len,
                       double      value,
                       gboolean    sub)
{
  TwObservation *o = tw_extract_push (out, TW_OBSERVATION_METRIC, offset);

  o->name = name_len < 0 ? g_strdup (name) : g_strndup (name, name_len);
  o->value = value;
  o->sub = sub || is_eval_name (o->name);
}

/**
 * tw_extract_is_skipped_metric:
 * @name: a metric name
 * @len: its length
 *
 * Returns: %TRUE for names that are not metrics though printed like one (`v_num`)
 */
gboolean
tw_extract_is_skipped_metric (const char *name,
                              gsize       len)
{
  return len == 5 && strncmp (name, "v_num", 5) == 0;
}

/**
 * tw_extract_parse_epoch_prefix:
 * @p: text that may start (after spaces) with `Epoch N` or `Epoch N/M`
 * @n: (out): N
 * @total: (out): M, or -1 when absent
 * @endp: (out): just past it
 *
 * Returns: %TRUE when @p starts with an epoch
 */
gboolean
tw_extract_parse_epoch_prefix (const char  *p,
                               gint64      *n,
                               gint64      *total,
                               const char **endp)
{
  const char *e = NULL;

  p = tw_extract_skip_spaces (p);
  if (g_ascii_strncasecmp (p, "epoch", 5) != 0 || tw_extract_is_ident_char (p[5]))
    return FALSE;
  p = tw_extract_skip_spaces (p + 5);
  if ((*n = tw_extract_parse_int (p, &e)) < 0)
    return FALSE;
  p = e;
  *total = -1;
  if (*p == '/' && g_ascii_isdigit (p[1]))
    *total = tw_extract_parse_int (p + 1, &p);
  *endp = p;
  return TRUE;
}
