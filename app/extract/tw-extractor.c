/* tw-extractor.c — the extractor front end: frames a run's raw output into clean lines
 * and runs the parsers on them (bytes in, observations out)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extractor.h"

#include <string.h>

#include "tw-extract-progress.h"

typedef struct
{
  TwLineFunc     func;
  gpointer       user_data;
  GDestroyNotify destroy;
} LineFunc;

struct _TwExtractor
{
  guint64          offset;          /* bytes consumed */

  /* a line begun in an earlier chunk: raw bytes, at most TW_EXTRACTOR_LINE_CAP */
  guint8          *partial;
  gsize            partial_len;
  gboolean         in_line;
  guint64          line_offset;
  gboolean         cr_held;         /* the partial line ended with '\r' at the end of a
                                     * chunk: a '\n' next makes it a "\r\n" line end */

  GString         *scratch;         /* a line whose cleaning changed it */
  GString         *parse;           /* NUL-terminated copy handed to the parsers */

  /* the newest update of a tqdm bar, held until another line shows it was the last */
  GString         *pending;
  const char      *pending_line;    /* into the current chunk, or pending->str */
  gsize            pending_len;
  gsize            pending_key_len; /* its description: a prefix of the line */
  guint64          pending_offset;
  gboolean         has_pending;
  gboolean         pending_in_chunk;

  TwProgressState  progress;
  GArray          *line_funcs;      /* of LineFunc */
};

static void
clear_line_func (gpointer data)
{
  LineFunc *lf = data;

  if (lf->destroy != NULL)
    lf->destroy (lf->user_data);
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 when invalid. */
static inline gsize
utf8_sequence_len (const guint8 *p,
                   gsize         avail)
{
  guint8 c = p[0];
  gsize n, k;

  if (c < 0xc2)
    return 0;
  else if (c < 0xe0)
    n = 2;
  else if (c < 0xf0)
    n = 3;
  else if (c < 0xf5)
    n = 4;
  else
    return 0;
  if (avail < n)
    return 0;
  for (k = 1; k < n; k++)
    if ((p[k] & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
      (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
    return 0;
  return n;
}

/* Index just past the escape sequence starting at raw[i] (an ESC): CSI, OSC, or a
 * two-byte sequence. */
static gsize
skip_escape (const guint8 *raw,
             gsize         i,
             gsize         len)
{
  i++;
  if (i >= len)
    return i;
  if (raw[i] == '[')
    {
      i++;
      while (i < len && raw[i] >= 0x30 && raw[i] <= 0x3f)
        i++;
      while (i < len && raw[i] >= 0x20 && raw[i] <= 0x2f)
        i++;
      if (i < len && raw[i] >= 0x40 && raw[i] <= 0x7e)
        i++;
      return i;
    }
  if (raw[i] == ']')
    {
      for (i++; i < len; i++)
        {
          if (raw[i] == 0x07)
            return i + 1;
          if (raw[i] == 0x1b && i + 1 < len && raw[i + 1] == '\\')
            return i + 2;
        }
      return i;
    }
  return i + 1;
}

static const char *
clean_line_slow (TwExtractor  *self,
                 const guint8 *raw,
                 gsize         len,
                 gsize        *out_len)
{
  GString *s = self->scratch;
  gsize i = 0, run = 0;

  g_string_truncate (s, 0);
  while (i < len && s->len < TW_EXTRACTOR_LINE_CAP)
    {
      guint8 c = raw[i];
      gsize n;

      if ((c >= 0x20 && c < 0x80) || c == '\t')
        {
          i++;
          continue;
        }
      g_string_append_len (s, (const char *) raw + run, i - run);
      if (c == 0x1b)
        i = skip_escape (raw, i, len);
      else if (c < 0x20)
        i++;      /* NUL and other controls carry nothing */
      else if ((n = utf8_sequence_len (raw + i, len - i)) > 0)
        {
          g_string_append_len (s, (const char *) raw + i, n);
          i += n;
        }
      else
        {
          g_string_append (s, "\xef\xbf\xbd");
          i++;
        }
      run = i;
    }
  if (i > len)
    i = len;
  g_string_append_len (s, (const char *) raw + run, i - run);
  if (s->len > TW_EXTRACTOR_LINE_CAP)
    {
      gsize cut = TW_EXTRACTOR_LINE_CAP;

      /* not inside a character */
      while (cut > 0 && ((guint8) s->str[cut] & 0xc0) == 0x80)
        cut--;
      g_string_truncate (s, cut);
    }
  *out_len = s->len;
  return s->str;
}

/* The line itself when it is already clean (the common case, no copy), else a cleaned
 * copy in self->scratch. */
static const char *
clean_line (TwExtractor  *self,
            const guint8 *raw,
            gsize         len,
            gsize        *out_len)
{
  gsize i = 0;

  while (i < len)
    {
      gsize stop;

      if (i + 8 <= len)
        {
          guint64 x;

          memcpy (&x, raw + i, 8);
          /* no byte >= 0x80 and none < 0x20: eight plain ASCII bytes */
          if (((x | ((x - G_GUINT64_CONSTANT (0x2020202020202020)) & ~x)) &
               G_GUINT64_CONSTANT (0x8080808080808080)) == 0)
            {
              i += 8;
              continue;
            }
          stop = i + 8;
        }
      else
        stop = len;

      while (i < stop)
        {
          guint8 c = raw[i];
          gsize n;

          if ((c >= 0x20 && c < 0x80) || c == '\t')
            i++;
          else if (c >= 0x80 && (n = utf8_sequence_len (raw + i, len - i)) > 0)
            i += n;
          else
            return clean_line_slow (self, raw, len, out_len);
        }
    }

  *out_len = len;
  return (const char *) raw;
}

/* A cheap look for a tqdm bar; sets the length of its description (before the
 * percentage) so that successive updates of one bar can be told apart from others. */
static gboolean
find_bar_key (const char *line,
              gsize       len,
              gsize      *key_len)
{
  const char *bar = memchr (line, '|', len);
  const char *open;
  gsize k;

  if (bar == NULL)
    return FALSE;
  open = memchr (bar, '[', len - (bar - line));
  if (open == NULL || memchr (open, ']', len - (open - line)) == NULL)
    return FALSE;
  k = bar - line;
  while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '%' || g_ascii_isdigit (line[k - 1])))
    k--;
  *key_len = k;
  return TRUE;
}

static void
run_parsers (TwExtractor *self,
             const char  *line,
             gsize        len,
             guint64      offset,
             GArray      *out)
{
  g_string_truncate (self->parse, 0);
  g_string_append_len (self->parse, line, len);
  tw_extract_progress_line (&self->progress, self->parse->str, offset, out);
}

static void
flush_pending (TwExtractor *self,
               GArray      *out)
{
  if (!self->has_pending)
    return;
  self->has_pending = FALSE;
  run_parsers (self, self->pending_line, self->pending_len, self->pending_offset, out);
}

/* Copies a held update that still points into the caller's chunk or into a buffer
 * about to be reused. */
static void
keep_pending (TwExtractor *self)
{
  if (!self->has_pending || !self->pending_in_chunk)
    return;
  g_string_truncate (self->pending, 0);
  g_string_append_len (self->pending, self->pending_line, self->pending_len);
  self->pending_line = self->pending->str;
  self->pending_in_chunk = FALSE;
}

static void
call_line_funcs (TwExtractor *self,
                 const char  *line,
                 gsize        len,
                 guint64      offset,
                 GArray      *out)
{
  guint i;

  for (i = 0; i < self->line_funcs->len; i++)
    {
      LineFunc *lf = &g_array_index (self->line_funcs, LineFunc, i);

      lf->func (line, len, offset, out, lf->user_data);
    }
}

static gboolean
is_blank (const char *line,
          gsize       len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t')
      return FALSE;
  return TRUE;
}

/* raw is stable when it points into the caller's chunk (valid until feed returns). */
static void
process_line (TwExtractor  *self,
              const guint8 *raw,
              gsize         len,
              guint64       offset,
              gboolean      ended_by_cr,
              gboolean      stable,
              GArray       *out)
{
  gsize clean_len = 0, key_len = 0;
  const char *clean = clean_line (self, raw, len, &clean_len);
  gboolean in_chunk = stable && clean == (const char *) raw;
  gboolean blank;

  if (clean_len == 0)
    return;

  /* tqdm rewrites its bar after '\r' many times a second: only the newest update of a
   * bar is parsed, when the next line shows it was the newest */
  if (ended_by_cr && find_bar_key (clean, clean_len, &key_len))
    {
      if (!(self->has_pending && key_len == self->pending_key_len &&
            memcmp (clean, self->pending_line, key_len) == 0))
        flush_pending (self, out);
      call_line_funcs (self, clean, clean_len, offset, out);
      self->has_pending = TRUE;
      self->pending_len = clean_len;
      self->pending_key_len = key_len;
      self->pending_offset = offset;
      self->pending_line = clean;
      self->pending_in_chunk = TRUE;
      /* the chunk stays valid until feed returns; scratch and partial do not */
      if (!in_chunk)
        keep_pending (self);
      return;
    }

  /* tqdm also blanks its line with spaces between updates: nothing to see there */
  blank = is_blank (clean, clean_len);
  if (!blank)
    flush_pending (self, out);
  call_line_funcs (self, clean, clean_len, offset, out);
  if (!blank)
    run_parsers (self, clean, clean_len, offset, out);
}

static void
append_partial (TwExtractor  *self,
                const guint8 *data,
                gsize         len,
                guint64       offset)
{
  gsize room;

  if (!self->in_line)
    {
      self->in_line = TRUE;
      self->line_offset = offset;
      self->partial_len = 0;
    }
  room = TW_EXTRACTOR_LINE_CAP - self->partial_len;
  len = MIN (len, room);
  if (len == 0)
    return;
  if (self->partial == NULL)
    self->partial = g_malloc (TW_EXTRACTOR_LINE_CAP);
  memcpy (self->partial + self->partial_len, data, len);
  self->partial_len += len;
}

/**
 * tw_extractor_new:
 *
 * Creates an extractor for one stream (a run's merged stdout and stderr).
 *
 * Returns: (transfer full): a new #TwExtractor; free with tw_extractor_free()
 */
TwExtractor *
tw_extractor_new (void)
{
  TwExtractor *self = g_new0 (TwExtractor, 1);

  self->scratch = g_string_new (NULL);
  self->parse = g_string_new (NULL);
  self->pending = g_string_new (NULL);
  self->line_funcs = g_array_new (FALSE, FALSE, sizeof (LineFunc));
  g_array_set_clear_func (self->line_funcs, clear_line_func);
  tw_progress_state_init (&self->progress);
  return self;
}

/**
 * tw_extractor_free:
 * @self: (nullable): a #TwExtractor
 *
 * Frees @self, calling the destroy notifies of its line functions.
 */
void
tw_extractor_free (TwExtractor *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->partial, g_free);
  g_string_free (self->scratch, TRUE);
  g_string_free (self->parse, TRUE);
  g_string_free (self->pending, TRUE);
  g_array_unref (self->line_funcs);
  g_free (self);
}

/**
 * tw_extractor_feed:
 * @self: a #TwExtractor
 * @data: (array length=len): the next bytes of the stream, split anywhere
 * @len: their length
 * @out: (element-type TwObservation): array to append observations to; its clear
 *   function should be tw_observation_clear()
 *
 * Frames @data into lines (ended by `\n`, `\r` or `\r\n`; a partial line is held for
 * the next call, and so is a line whose `\r` ends @data until the next byte tells
 * whether a `\n` follows), cleans each (ANSI escapes stripped, invalid UTF-8 replaced by
 * U+FFFD, NUL and other control bytes dropped, at most %TW_EXTRACTOR_LINE_CAP bytes
 * kept), passes each non-empty line to the line functions, and parses it.
 *
 * Successive updates of one tqdm bar are coalesced: an update is held until a later
 * line shows whether it was the newest, so one update may stay held when @data ends;
 * call tw_extractor_flush() when no more data is at hand (the stream went quiet) to
 * report it. The observations are the same however the stream is split.
 *
 * Observations come in stream order, each with the offset of its line, except that
 * what line functions append for a bar update comes before that update's own PROGRESS.
 */
void
tw_extractor_feed (TwExtractor  *self,
                   const guint8 *data,
                   gsize         len,
                   GArray       *out)
{
  const guint8 *p = data;
  const guint8 *end = data + len;
  const guint8 *nl = NULL, *cr = NULL;
  gboolean nl_done = FALSE, cr_done = FALSE;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (out != NULL);

  if (len == 0)
    return;

  if (self->cr_held)
    {
      gboolean crlf = *p == '\n';

      self->cr_held = FALSE;
      self->in_line = FALSE;
      process_line (self, self->partial, self->partial_len, self->line_offset, !crlf, FALSE,
                    out);
      self->partial_len = 0;
      if (crlf)
        p++;
    }

  while (p < end)
    {
      const guint8 *eol;
      guint64 here = self->offset + (p - data);
      gboolean by_cr;

      /* two memchr() cursors, each advanced only when passed */
      if (!nl_done && (nl == NULL || nl < p))
        nl_done = (nl = memchr (p, '\n', end - p)) == NULL;
      if (!cr_done && (cr == NULL || cr < p))
        cr_done = (cr = memchr (p, '\r', end - p)) == NULL;
      if (nl_done)
        eol = cr_done ? NULL : cr;
      else
        eol = cr_done ? nl : MIN (nl, cr);

      if (eol == NULL)
        {
          append_partial (self, p, end - p, here);
          break;
        }

      /* a bare '\r' (a bar redrawn) is told from "\r\n" (a line end) by the next byte */
      if (*eol == '\r' && eol + 1 == end)
        {
          append_partial (self, p, eol - p, here);
          self->cr_held = TRUE;
          break;
        }
      by_cr = *eol == '\r' && eol[1] != '\n';
      if (self->in_line)
        {
          append_partial (self, p, eol - p, here);
          self->in_line = FALSE;
          process_line (self, self->partial, self->partial_len, self->line_offset, by_cr,
                        FALSE, out);
          self->partial_len = 0;
        }
      else
        process_line (self, p, MIN ((gsize) (eol - p), TW_EXTRACTOR_LINE_CAP), here, by_cr,
                      TRUE, out);

      p = eol + 1;
      if (*eol == '\r' && !by_cr)
        p++;
    }

  self->offset += len;
  keep_pending (self);
}

/**
 * tw_extractor_flush:
 * @self: a #TwExtractor
 * @out: (element-type TwObservation): array to append observations to
 *
 * Reports a held bar update now (see tw_extractor_feed()); a partial line stays held.
 */
void
tw_extractor_flush (TwExtractor *self,
                    GArray      *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  flush_pending (self, out);
}

/**
 * tw_extractor_finish:
 * @self: a #TwExtractor
 * @out: (element-type TwObservation): array to append observations to
 *
 * Ends the stream: the partial line is taken as a whole line and a held bar update is
 * reported. The extractor can then be fed a new stream (its offset keeps counting).
 */
void
tw_extractor_finish (TwExtractor *self,
                     GArray      *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  if (self->in_line)
    {
      self->in_line = FALSE;
      process_line (self, self->partial, self->partial_len, self->line_offset,
                    self->cr_held, FALSE, out);
      self->partial_len = 0;
    }
  flush_pending (self, out);
  self->cr_held = FALSE;
  self->progress.in_rich_summary = FALSE;
}

/**
 * tw_extractor_get_offset:
 * @self: a #TwExtractor
 *
 * Returns: how many bytes of the stream were fed so far
 */
guint64
tw_extractor_get_offset (TwExtractor *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->offset;
}

/**
 * tw_extractor_get_buffer_size:
 * @self: a #TwExtractor
 *
 * Tells how much memory the extractor's line buffers hold, to prove it stays bounded
 * whatever the stream: the partial line (%TW_EXTRACTOR_LINE_CAP) and three line copies
 * of at most %TW_EXTRACTOR_LINE_CAP + 3 bytes each (#GString rounds up to a power of
 * two), so at most 7 × %TW_EXTRACTOR_LINE_CAP.
 *
 * Returns: the allocated size of the internal buffers, in bytes
 */
gsize
tw_extractor_get_buffer_size (TwExtractor *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return (self->partial != NULL ? TW_EXTRACTOR_LINE_CAP : 0) +
         self->scratch->allocated_len + self->parse->allocated_len +
         self->pending->allocated_len;
}

/**
 * tw_extractor_add_line_func:
 * @self: a #TwExtractor
 * @func: (scope notified): called with every non-empty clean line
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @self is freed
 *
 * Adds a function that sees every clean line, such as the failure detector; it is
 * called in stream order before the line is parsed for progress.
 */
void
tw_extractor_add_line_func (TwExtractor    *self,
                            TwLineFunc      func,
                            gpointer        user_data,
                            GDestroyNotify  destroy)
{
  LineFunc lf = { func, user_data, destroy };

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  g_array_append_val (self->line_funcs, lf);
}
