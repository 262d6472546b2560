/* tw-extractor.c — the extractor front end: frames a run's raw output into clean lines
 * and runs the parsers on them (bytes in, observations out)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* memmem, memrchr */
#define _GNU_SOURCE 1

#include "config.h"

#include "tw-extractor.h"

#include <string.h>

#include "tw-extract-failure-line.h"
#include "tw-extract-failure.h"
#include "tw-extract-progress.h"
#include "tw-extract-rule.h"

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
  gboolean         after_redraw;    /* the partial line began right after a bare '\r'
                                     * that ended a redraw other than a tqdm bar */
  gsize            provisional_len; /* flush processed the partial line at this length
                                     * (0: it did not)… */
  gsize            provisional_clean_len;
  guint64          provisional_hash; /* …and this clean text (its FNV-1a hash), which
                                      * bytes cleaning drops ("\b") do not change */

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
  gboolean         pending_raw;     /* not cleaned yet: no control bytes, but its UTF-8
                                     * is unchecked */

  TwProgressState  progress;
  GArray          *line_funcs;      /* of LineFunc */
  guint            n_other_funcs;   /* line funcs that are not failure detectors */

  TwRuleSet       *rules;           /* the user's rules, not owned; nullable */
  const char     **needle_next;     /* per needle of the rules: where it is next in the
                                     * chunk being fed (the chunk's end: nowhere), NULL
                                     * when not looked for yet */
  guint            n_needle_next;

  gboolean         skim;            /* see tw_extractor_set_skim() */
};

#if defined(__GNUC__) && G_BYTE_ORDER == G_LITTLE_ENDIAN
/* GCC's vector extensions: SSE2 on x86-64, NEON on ARM, without intrinsics. */
#define HAVE_BLOCKS 1
typedef gint8 Block __attribute__ ((vector_size (16)));
#endif

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
clean_line_slow (GString      *s,
                 const guint8 *raw,
                 gsize         len,
                 gsize        *out_len)
{
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

/* What find_line_end() saw in a line's bytes. */
enum
{
  LINE_HAS_CONTROL = 1 << 0,   /* a byte below ' ' (a tab, an escape, a NUL…) */
  LINE_HAS_HIGH    = 1 << 1,   /* a byte >= 0x80: UTF-8, valid or not */
  LINE_UNKNOWN     = LINE_HAS_CONTROL | LINE_HAS_HIGH,
};

#ifdef HAVE_BLOCKS
static inline guint64
bytes_below (gsize k,
             guint half)
{
  gsize bits = k > half * 8 ? (k - half * 8) * 8 : 0;

  return bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;
}
#endif

/* The first '\n' or '\r' in [p, end), or end; *flags says what came before it. One
 * pass, 16 bytes at a time where the compiler allows, instead of a memchr() per line
 * end and another pass to see whether the line needs cleaning. */
static inline const guint8 *
find_line_end (const guint8 *p,
               const guint8 *end,
               guint        *flags)
{
  guint f = 0;

#ifdef HAVE_BLOCKS
  while (p + 16 <= end)
    {
      Block x, low, high, eol;
      guint64 l[2], h[2], e[2];

      memcpy (&x, p, sizeof x);
      low = (Block) ((x < ' ') & (x >= 0));
      memcpy (l, &low, sizeof l);
      if (G_UNLIKELY ((l[0] | l[1]) != 0))
        {
          eol = (Block) ((x == '\n') | (x == '\r'));
          memcpy (e, &eol, sizeof e);
          if ((e[0] | e[1]) != 0)
            {
              gsize k = e[0] != 0 ? __builtin_ctzll (e[0]) / 8 : 8 + __builtin_ctzll (e[1]) / 8;

              high = (Block) (x < 0);
              memcpy (h, &high, sizeof h);
              if (((l[0] & bytes_below (k, 0)) | (l[1] & bytes_below (k, 1))) != 0)
                f |= LINE_HAS_CONTROL;
              if (((h[0] & bytes_below (k, 0)) | (h[1] & bytes_below (k, 1))) != 0)
                f |= LINE_HAS_HIGH;
              *flags = f;
              return p + k;
            }
          f |= LINE_HAS_CONTROL;
        }
      high = (Block) (x < 0);
      memcpy (h, &high, sizeof h);
      if ((h[0] | h[1]) != 0)
        f |= LINE_HAS_HIGH;
      p += 16;
    }
#endif
  for (; p < end; p++)
    {
      if (*p == '\n' || *p == '\r')
        break;
      if (*p < ' ')
        f |= LINE_HAS_CONTROL;
      else if (*p >= 0x80)
        f |= LINE_HAS_HIGH;
    }
  *flags = f;
  return p;
}

/* Whether @raw, which holds no control bytes, is valid UTF-8: ASCII is skipped 16 bytes
 * at a time. */
static gboolean
is_valid_utf8 (const guint8 *raw,
               gsize         len)
{
  gsize i = 0;

  while (i < len)
    {
      gsize n;

#ifdef HAVE_BLOCKS
      if (i + 16 <= len)
        {
          Block x;
          guint64 half[2];

          memcpy (&x, raw + i, sizeof x);
          x = (Block) (x < 0);
          memcpy (half, &x, sizeof half);
          if ((half[0] | half[1]) == 0)
            {
              i += 16;
              continue;
            }
          i += half[0] != 0 ? __builtin_ctzll (half[0]) / 8 : 8 + __builtin_ctzll (half[1]) / 8;
        }
#endif
      if (raw[i] < 0x80)
        i++;
      else if ((n = utf8_sequence_len (raw + i, len - i)) > 0)
        i += n;
      else
        return FALSE;
    }

  return TRUE;
}

/* The line itself when it is already clean (the common case, no copy), else a cleaned
 * copy in self->scratch. @flags (from find_line_end()) spares the look at lines known
 * to be plain ASCII, and the look for controls in the others. */
static const char *
clean_line (TwExtractor  *self,
            const guint8 *raw,
            gsize         len,
            guint         flags,
            gsize        *out_len)
{
  if ((flags & LINE_HAS_CONTROL) != 0 ||
      ((flags & LINE_HAS_HIGH) != 0 && !is_valid_utf8 (raw, len)))
    return clean_line_slow (self->scratch, raw, len, out_len);

  *out_len = len;
  return (const char *) raw;
}

/* A cheap look for a tqdm bar; sets the length of its description (before the
 * percentage) so that successive updates of one bar can be told apart from others. */
static gsize
bar_key_len (const char *line,
             const char *bar)
{
  gsize k = bar - line;

  while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '%' || g_ascii_isdigit (line[k - 1])))
    k--;
  return k;
}

static gboolean
find_bar_key (const char *line,
              gsize       len,
              gsize      *key_len)
{
  const char *bar = memchr (line, '|', len);
  const char *open;

  if (bar == NULL)
    return FALSE;
  open = memchr (bar, '[', len - (bar - line));
  if (open == NULL || memchr (open, ']', len - (open - line)) == NULL)
    return FALSE;
  *key_len = bar_key_len (line, bar);
  return TRUE;
}

/* find_bar_key() for the common bar that ends with its ']', with one search fewer;
 * %FALSE for the others, which the caller then looks at the long way. */
static gboolean
find_closed_bar_key (const char *line,
                     gsize       len,
                     gsize      *key_len)
{
  const char *bar;

  if (len == 0 || line[len - 1] != ']' || (bar = memchr (line, '|', len)) == NULL ||
      memchr (bar, '[', line + len - 1 - bar) == NULL)
    return FALSE;
  *key_len = bar_key_len (line, bar);
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
  if (self->pending_raw && !is_valid_utf8 ((const guint8 *) self->pending_line,
                                           self->pending_len))
    {
      gsize len;

      /* not into scratch, which may hold the line that ended this update */
      clean_line_slow (self->parse, (const guint8 *) self->pending_line, self->pending_len,
                       &len);
      tw_extract_progress_line (&self->progress, self->parse->str, self->pending_offset, out);
      return;
    }
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
hold_update (TwExtractor *self,
             const char  *line,
             gsize        len,
             gsize        key_len,
             guint64      offset,
             gboolean     raw,
             gboolean     in_chunk)
{
  self->has_pending = TRUE;
  self->pending_len = len;
  self->pending_key_len = key_len;
  self->pending_offset = offset;
  self->pending_line = line;
  self->pending_in_chunk = TRUE;
  self->pending_raw = raw;
  /* the chunk stays valid until feed returns; scratch and partial do not */
  if (!in_chunk)
    keep_pending (self);
}

static gboolean
is_pending_key (TwExtractor *self,
                const char  *line,
                gsize        key_len)
{
  return self->has_pending && key_len == self->pending_key_len &&
         memcmp (line, self->pending_line, key_len) == 0;
}

/* Whether every line func would ignore a line without control bytes (so cleaning only
 * replaces invalid UTF-8, and adds or removes no ASCII) whose raw bytes hold no failure
 * candidate: only idle failure detectors, which look at nothing else. */
static gboolean
line_funcs_ignore (TwExtractor *self)
{
  guint i;

  if (self->n_other_funcs > 0)
    return FALSE;
  if (self->rules != NULL && tw_rule_set_get_n_rules (self->rules) > 0 &&
      tw_rule_set_get_n_needles (self->rules) == 0)
    return FALSE;
  for (i = 0; i < self->line_funcs->len; i++)
    if (!tw_failure_detector_is_idle (g_array_index (self->line_funcs, LineFunc, i).user_data))
      return FALSE;
  return TRUE;
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
  if (self->rules != NULL)
    tw_rule_set_line (self->rules, line, len, offset, out);
}

/* The first place in [p, end) where a needle of the rules starts, or end. Each needle
 * is searched for once per stretch of the chunk, not once per line. */
static const guint8 *
find_rule_candidate (TwExtractor  *self,
                     const guint8 *p,
                     const guint8 *end)
{
  const guint8 *first = end;
  guint n = tw_rule_set_get_n_needles (self->rules);

  for (guint i = 0; i < n; i++)
    {
      const char *next = self->needle_next[i];

      if (next == NULL || next < (const char *) p)
        {
          next = tw_rule_set_find_needle (self->rules, i, (const char *) p, end - p);
          if (next == NULL)
            next = (const char *) end;
          self->needle_next[i] = next;
        }
      first = MIN (first, (const guint8 *) next);
    }

  return first;
}

/* Forgets where the needles were: a new chunk, or new rules. */
static void
reset_needles (TwExtractor *self)
{
  guint n = self->rules != NULL ? tw_rule_set_get_n_needles (self->rules) : 0;

  if (n > self->n_needle_next)
    {
      self->needle_next = g_renew (const char *, self->needle_next, n);
      self->n_needle_next = n;
    }
  for (guint i = 0; i < n; i++)
    self->needle_next[i] = NULL;
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

/* raw is stable when it points into the caller's chunk (valid until feed returns);
 * quiet when the line funcs are known to ignore the line (see line_funcs_ignore()). */
static void
process_line (TwExtractor  *self,
              const guint8 *raw,
              gsize         len,
              guint         flags,
              gboolean      quiet,
              guint64       offset,
              gboolean      ended_by_cr,
              gboolean      stable,
              GArray       *out)
{
  gsize clean_len = 0, key_len = 0;
  const char *clean;
  gboolean blank;

  if (flags == LINE_UNKNOWN)
    find_line_end (raw, raw + len, &flags);

  if (self->skim)
    {
      if (!quiet)
        {
          clean = clean_line (self, raw, len, flags, &clean_len);
          if (clean_len > 0)
            call_line_funcs (self, clean, clean_len, offset, out);
        }
      return;
    }

  /* Most of a big log is redraws of a bar that the next redraw supersedes: when no line
   * func wants one, it is held raw and cleaned only if it turns out to be the newest.
   * Its description must be ASCII to be compared raw. */
  if (quiet && stable && ended_by_cr && (flags & LINE_HAS_CONTROL) == 0 &&
      find_closed_bar_key ((const char *) raw, len, &key_len))
    {
      gsize k;

      for (k = 0; k < key_len && raw[k] < 0x80; k++)
        ;
      if (k == key_len)
        {
          if (!is_pending_key (self, (const char *) raw, key_len))
            flush_pending (self, out);
          hold_update (self, (const char *) raw, len, key_len, offset, TRUE, TRUE);
          return;
        }
    }

  clean = clean_line (self, raw, len, flags, &clean_len);
  if (clean_len == 0)
    return;

  /* tqdm rewrites its bar after '\r' many times a second: only the newest update of a
   * bar is parsed, when the next line shows it was the newest */
  if (ended_by_cr && find_bar_key (clean, clean_len, &key_len))
    {
      if (!is_pending_key (self, clean, key_len))
        flush_pending (self, out);
      if (!quiet)
        call_line_funcs (self, clean, clean_len, offset, out);
      hold_update (self, clean, clean_len, key_len, offset, FALSE,
                   stable && clean == (const char *) raw);
      return;
    }

  /* tqdm also blanks its line with spaces between updates: nothing to see there */
  blank = is_blank (clean, clean_len);
  if (!blank)
    flush_pending (self, out);
  if (!quiet)
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
      self->provisional_len = 0;
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

static guint64
hash_text (const char *text,
           gsize       len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  gsize i;

  for (i = 0; i < len; i++)
    h = (h ^ (guint8) text[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return h;
}

/* Whether flush already processed the partial line as it stands. */
static gboolean
partial_was_processed (TwExtractor *self)
{
  gsize len = 0;
  const char *clean;

  if (self->provisional_len == 0)
    return FALSE;
  if (self->partial_len == self->provisional_len)
    return TRUE;
  clean = clean_line (self, self->partial, self->partial_len, LINE_HAS_CONTROL, &len);
  return len == self->provisional_clean_len && hash_text (clean, len) == self->provisional_hash;
}

/* Processes the partial line now that it has ended, unless flush already did. */
static void
end_partial (TwExtractor *self,
             gboolean     ended_by_cr,
             GArray      *out)
{
  self->in_line = FALSE;
  /* an empty line before any other has no buffer yet, and NULL + 0 is undefined */
  if (!partial_was_processed (self))
    process_line (self, self->partial != NULL ? self->partial : (const guint8 *) "", self->partial_len,
                  LINE_UNKNOWN, FALSE, self->line_offset, ended_by_cr, FALSE, out);
  self->partial_len = 0;
  self->provisional_len = 0;
}

/* Whether a line that a bare '\r' ended was a redraw that is not a tqdm bar (Keras,
 * hand-made "\rstep 5 loss=0.3" counters): what follows it is another. After a tqdm
 * bar only a whole bar is, since one cut before its '|' ("\rEpoch 2:  4") shows none. */
static gboolean
is_plain_redraw (const guint8 *raw,
                 gsize         len)
{
  return !is_blank ((const char *) raw, len) && memchr (raw, '|', len) == NULL;
}

/* Whether the partial line is a redraw that can be shown before it ends: a whole tqdm
 * bar (up to its closing ']'), or a line written over a plain redraw after a bare '\r'
 * (see is_plain_redraw()) that is not a tqdm bar still being written. A line that
 * merely has not ended yet is not one: it may be cut anywhere ("Traceb", "loss=0.1"
 * of "loss=0.12"). */
static gboolean
partial_is_redraw (TwExtractor *self)
{
  gsize len = 0, key_len = 0;
  const char *line = clean_line (self, self->partial, self->partial_len, LINE_HAS_CONTROL,
                                 &len);

  while (len > 0 && line[len - 1] == ' ')
    len--;
  if (len == 0)
    return FALSE;
  if (find_bar_key (line, len, &key_len))
    {
      /* whole once the bracket after the bar is closed; text may follow it (a
       * wrapper's own tag), and if it grows the grown line is read again */
      const char *bar_end = g_strrstr_len (line, len, "|");

      return bar_end != NULL && memchr (bar_end, ']', len - (bar_end - line)) != NULL;
    }
  return self->after_redraw && memchr (line, '|', len) == NULL;
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
  g_free (self->needle_next);
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
  const guint8 *candidate = NULL;
  const guint8 *rule_candidate = NULL;
  /* the last line that ended here, for telling whether the next one is a redraw: in
   * the chunk (looked at only if a partial line follows it), or already known */
  const guint8 *last = NULL;
  gsize last_len = 0;
  gboolean last_by_cr = FALSE;
  gboolean redraw_before = FALSE;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (out != NULL);

  if (len == 0)
    return;

  reset_needles (self);
  if (self->cr_held)
    {
      gboolean crlf = *p == '\n';

      self->cr_held = FALSE;
      redraw_before = !crlf && is_plain_redraw (self->partial, self->partial_len);
      end_partial (self, !crlf, out);
      if (crlf)
        p++;
    }

  while (p < end)
    {
      guint64 here;
      guint flags = 0;
      const guint8 *eol;
      gboolean by_cr;

      /* Skimming: straight to the line of the next failure candidate or needle */
      if (self->skim && !self->in_line && line_funcs_ignore (self))
        {
          const guint8 *next;
          const guint8 *nl;

          if (candidate < p)
            {
              candidate = (const guint8 *)
                tw_failure_line_find_candidate ((const char *) p, end - p);
              if (candidate == NULL)
                candidate = end;
            }
          next = candidate;
          if (self->rules != NULL && tw_rule_set_get_n_needles (self->rules) > 0)
            {
              if (rule_candidate < p)
                rule_candidate = find_rule_candidate (self, p, end);
              next = MIN (next, rule_candidate);
            }
          nl = next > p ? memrchr (p, '\n', next - p) : NULL;
          if (nl != NULL)
            {
              p = nl + 1;
              last = NULL;
              redraw_before = FALSE;
              if (p == end)
                break;
            }
        }

      here = self->offset + (p - data);
      eol = find_line_end (p, end, &flags);

      /* a bare '\r' (a bar redrawn) is told from "\r\n" (a line end) by the next
       * byte: a line ended so at the end of the chunk is held too */
      if (eol == end || (*eol == '\r' && eol + 1 == end))
        {
          if (!self->in_line)
            self->after_redraw = last != NULL ?
              last_by_cr && is_plain_redraw (last, last_len) : redraw_before;
          append_partial (self, p, eol - p, here);
          self->cr_held = eol != end;
          break;
        }
      by_cr = *eol == '\r' && eol[1] != '\n';
      if (self->in_line)
        {
          append_partial (self, p, eol - p, here);
          redraw_before = by_cr && is_plain_redraw (self->partial, self->partial_len);
          last = NULL;
          end_partial (self, by_cr, out);
        }
      else
        {
          gboolean quiet = FALSE;

          /* one look for failure candidates over the chunk, not one per line */
          if ((flags & LINE_HAS_CONTROL) == 0 && line_funcs_ignore (self))
            {
              if (candidate < p)
                {
                  candidate = (const guint8 *)
                    tw_failure_line_find_candidate ((const char *) p, end - p);
                  if (candidate == NULL)
                    candidate = end;
                }
              quiet = candidate >= eol;
              if (quiet && self->rules != NULL && tw_rule_set_get_n_needles (self->rules) > 0)
                {
                  if (rule_candidate < p)
                    rule_candidate = find_rule_candidate (self, p, end);
                  quiet = rule_candidate >= eol;
                }
            }
          process_line (self, p, MIN ((gsize) (eol - p), TW_EXTRACTOR_LINE_CAP), flags, quiet,
                        here, by_cr, TRUE, out);
          last = p;
          last_len = eol - p;
          last_by_cr = by_cr;
        }

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
 * Reports what the stream shows now, for a follower that has caught up with the end of
 * what was written: a held bar update (see tw_extractor_feed()), and the unterminated
 * last line when it is a redraw, since a bar written to a file ends with no line end
 * until the next redraw replaces it. Such a line (a whole tqdm bar up to its `]`, or a
 * line written after a bare `\r` over a non-blank one, like a Keras bar) goes to the
 * line functions and the parsers at once, as if a `\r` had ended it; a line whose
 * `\r` ends the data is complete and is taken too. When the line later ends without
 * having grown, it is not seen again; when it grew, it is seen again whole (so are
 * redraws that grew between two flushes). Any other partial line (a `Traceback` or a
 * `loss=0.12` cut mid-write) stays held until it ends.
 */
void
tw_extractor_flush (TwExtractor *self,
                    GArray      *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  if (self->in_line && self->partial_len > 0 && !partial_was_processed (self) &&
      (self->cr_held || partial_is_redraw (self)))
    {
      gsize len = 0;
      const char *clean = clean_line (self, self->partial, self->partial_len,
                                      LINE_HAS_CONTROL, &len);

      self->provisional_len = self->partial_len;
      self->provisional_clean_len = len;
      self->provisional_hash = hash_text (clean, len);
      process_line (self, self->partial, self->partial_len, LINE_UNKNOWN, FALSE,
                    self->line_offset, TRUE, FALSE, out);
    }
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
    end_partial (self, self->cr_held, out);
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
 * tw_extractor_get_resume_offset:
 * @self: a #TwExtractor
 *
 * Where a later reader of the same stream should start so that no line is lost
 * or read twice: the start of the line (or `\r` segment) not yet ended, or the
 * end of what was fed.
 *
 * Returns: a byte offset in the stream
 */
guint64
tw_extractor_get_resume_offset (TwExtractor *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->in_line ? self->line_offset : self->offset;
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
 *
 * tw_failure_detector_line_func() is known here: while its detector is idle (see
 * tw_failure_detector_is_idle()) it is not called with lines it would ignore (those
 * in which tw_failure_line_find_candidate() finds nothing), and when every line
 * function is such a detector, bar redraws that a later redraw supersedes are not even
 * cleaned. What is observed stays the same; only the work is spared.
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

  if (func != tw_failure_detector_line_func)
    self->n_other_funcs++;
  g_array_append_val (self->line_funcs, lf);
}

/**
 * tw_extractor_set_rules:
 * @self: a #TwExtractor
 * @rules: (nullable): the user's rules, owned by the caller, who keeps them alive until
 *   they are replaced or @self is freed
 *
 * Sets the rules every clean line is matched against, after the line functions, from
 * the next line on. When every rule has a needle (see tw_rule_set_get_n_needles()), a
 * chunk is searched for the needles once and the rules are tried only on the lines
 * that hold one; bar redraws that a later redraw supersedes are then still skipped
 * unread when no needle is in them. What is observed stays the same.
 */
void
tw_extractor_set_rules (TwExtractor *self,
                        TwRuleSet   *rules)
{
  g_return_if_fail (self != NULL);

  self->rules = rules;
}

/**
 * tw_extractor_set_skim:
 * @self: a #TwExtractor
 * @skim: whether to skim from the next line on
 * @out: (element-type TwObservation): array to append observations to
 *
 * Skimming is for a reader far behind a writer, such as a follower that finds 100 MB
 * appended at once: what matters then is a failure, or a line a user rule asks for,
 * not each of the epochs and metrics the backlog went through, which the newest lines
 * tell anyway. While skimming, the lines in which neither a failure candidate (see
 * tw_failure_line_find_candidate()) nor a needle of the rules is found in the raw bytes
 * are passed over unread, whole stretches of a chunk at a time; the other lines go to
 * the line functions and the rules, as always; no line is parsed for progress,
 * epochs, metrics, checkpoints or completion. A held bar update is reported first.
 */
void
tw_extractor_set_skim (TwExtractor *self,
                       gboolean     skim,
                       GArray      *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  skim = !!skim;
  if (skim && !self->skim)
    flush_pending (self, out);
  self->skim = skim;
}
