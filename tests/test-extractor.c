/* test-extractor.c — the extractor front end: framing, cleaning, bounded memory, and the
 * real runs' logs fed whole, in their recorded chunks and byte by byte
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "tw-extract-failure.h"
#include "tw-extract-rule.h"
#include "tw-extractor.h"

/* Lines a line function saw, as "offset:text". */
static void
collect_line_cb (const char *line,
                 gsize       len,
                 guint64     offset,
                 GArray     *out,
                 gpointer    user_data)
{
  GPtrArray *lines = user_data;

  g_ptr_array_add (lines, g_strdup_printf ("%" G_GUINT64_FORMAT ":%.*s", offset, (int) len,
                                           line));
}

static GArray *
new_observations (void)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (TwObservation));

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  return out;
}

static char *
describe (GArray *out)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);
      g_autofree char *one = tw_observation_to_string (o);

      g_string_append_printf (s, "%" G_GUINT64_FORMAT " %s\n", o->offset, one);
    }
  return g_string_free (s, FALSE);
}

/* Feeds data in pieces of the given sizes (the last repeated), collecting lines too. */
static char *
run (const char  *data,
     gsize        len,
     const gsize *sizes,
     guint        n_sizes,
     GPtrArray   *lines)
{
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = new_observations ();
  gsize pos = 0;
  guint i = 0;

  if (lines != NULL)
    tw_extractor_add_line_func (ex, collect_line_cb, g_ptr_array_ref (lines),
                                (GDestroyNotify) g_ptr_array_unref);
  while (pos < len)
    {
      gsize n = MIN (sizes[MIN (i, n_sizes - 1)], len - pos);

      tw_extractor_feed (ex, (const guint8 *) data + pos, n, out);
      pos += n;
      i++;
    }
  tw_extractor_finish (ex, out);
  g_assert_cmpuint (tw_extractor_get_offset (ex), ==, len);
  return describe (out);
}

static char *
lines_of (const char *data,
          gsize       len,
          gsize       chunk)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ignored = run (data, len, &chunk, 1, lines);

  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("|", (char **) lines->pdata);
}

/* framing and cleaning: the lines a line function sees, whole and byte by byte */

typedef struct
{
  const char *path;
  const char *input;
  gsize       len;     /* 0: strlen (input) */
  const char *lines;   /* "offset:text|offset:text" */
} FramingCase;

static const FramingCase framing_cases[] = {
  { "/extract/framing/newline", "one\ntwo\n", 0, "0:one|4:two" },
  { "/extract/framing/carriage-return", "a\rb\rc\n", 0, "0:a|2:b|4:c" },
  { "/extract/framing/crlf", "one\r\ntwo\r\n\r\nthree", 0, "0:one|5:two|12:three" },
  { "/extract/framing/empty-lines", "\n\n\nx\n", 0, "3:x" },
  { "/extract/framing/partial-at-end", "no newline", 0, "0:no newline" },
  { "/extract/ansi/sgr", "\x1b[31mred\x1b[0m plain\x1b[1;32m!\x1b[m\n", 0, "0:red plain!" },
  { "/extract/ansi/cursor-up", "\r  0%| | 0/8\x1b[A\r\x1b[2Kdone\n", 0, "1:  0%| | 0/8|16:done" },
  { "/extract/ansi/osc", "\x1b]0;title\x07text\x1b]8;;http://x\x1b\\link\n", 0, "0:textlink" },
  { "/extract/ansi/truncated-escape", "abc\x1b", 0, "0:abc" },
  { "/extract/utf8/valid", "bar █▉ ━ • é\n", 0, "0:bar █▉ ━ • é" },
  { "/extract/utf8/invalid", "a\xff" "b\xc3\n", 0, "0:a\xef\xbf\xbd" "b\xef\xbf\xbd" },
  { "/extract/utf8/overlong", "x\xc0\xaf" "y\xed\xa0\x80z\n", 0,
    "0:x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz" },
  { "/extract/nul/dropped", "a\0b\0\0c\n", 7, "0:abc" },
  { "/extract/nul/only", "\0\0\0\nx\n", 6, "4:x" },
  { "/extract/control/tab-kept", "a\tb\x07" "c\n", 0, "0:a\tbc" },
};

static void
test_framing (gconstpointer data)
{
  const FramingCase *c = data;
  gsize len = c->len != 0 ? c->len : strlen (c->input);
  g_autofree char *whole = lines_of (c->input, len, len);
  g_autofree char *bytes = lines_of (c->input, len, 1);
  g_autofree char *threes = lines_of (c->input, len, 3);

  g_assert_cmpstr (whole, ==, c->lines);
  g_assert_cmpstr (bytes, ==, c->lines);
  g_assert_cmpstr (threes, ==, c->lines);
}

/* a 64 MiB line with no newline, fed in 1 MiB chunks: memory stays bounded and the
 * line is kept truncated to the cap */
typedef struct
{
  const char *path;
  const char *fill;       /* repeated after the line's start */
  gsize       fill_len;
  gsize       clean_len;  /* what one fill becomes once cleaned */
} LongLineCase;

static const LongLineCase long_line_cases[] = {
  { "/extract/framing/long-line", "x", 1, 1 },
  /* each byte becomes U+FFFD: the cleaned line grows three times, still capped */
  { "/extract/framing/long-line-invalid", "\xff", 1, 3 },
  { "/extract/framing/long-line-escapes", "\xff\x1b[1m", 5, 3 },
};

static void
test_long_line (gconstpointer user_data)
{
  const LongLineCase *c = user_data;
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gsize chunk = 1024 * 1024;
  g_autofree guint8 *data = g_malloc (chunk);
  gsize i;

  for (i = 0; i < chunk; i++)
    data[i] = c->fill[i % c->fill_len];
  memcpy (data, "epoch 3: loss=0.5 ", 18);
  tw_extractor_add_line_func (ex, collect_line_cb, g_ptr_array_ref (lines),
                              (GDestroyNotify) g_ptr_array_unref);
  for (i = 0; i < 64; i++)
    {
      tw_extractor_feed (ex, data, chunk, out);
      g_assert_cmpuint (tw_extractor_get_buffer_size (ex), <=, 7 * TW_EXTRACTOR_LINE_CAP);
    }
  g_assert_cmpuint (lines->len, ==, 0);
  tw_extractor_feed (ex, (const guint8 *) "tail\r", 5, out);
  tw_extractor_feed (ex, (const guint8 *) "\nafter\n", 7, out);
  g_assert_cmpuint (tw_extractor_get_buffer_size (ex), <=, 7 * TW_EXTRACTOR_LINE_CAP);
  tw_extractor_finish (ex, out);

  g_assert_cmpuint (lines->len, ==, 2);
  /* "0:" then the line, capped */
  g_assert_cmpuint (strlen (lines->pdata[0]), <=, 2 + TW_EXTRACTOR_LINE_CAP);
  g_assert_cmpuint (strlen (lines->pdata[0]), >=,
                    2 + MIN (TW_EXTRACTOR_LINE_CAP,
                             18 + (TW_EXTRACTOR_LINE_CAP - 18) / c->fill_len * c->clean_len) - 4);
  g_assert_true (g_str_has_prefix (lines->pdata[0], "0:epoch 3: loss=0.5 "));
  g_assert_true (g_utf8_validate (lines->pdata[0], -1, NULL));
  g_assert_cmpstr (lines->pdata[1], ==, "67108870:after");
  g_assert_cmpuint (tw_extractor_get_offset (ex), ==, 64 * chunk + 12);
  /* the truncated line was still parsed */
  g_assert_cmpuint (out->len, >=, 1);
  g_assert_cmpint (g_array_index (out, TwObservation, 0).kind, ==, TW_OBSERVATION_EPOCH);
}

/* a long line fed whole is truncated too, without copying it */
static void
test_long_line_whole (void)
{
  gsize len = 3 * TW_EXTRACTOR_LINE_CAP;
  g_autofree char *data = g_malloc (len + 4);
  g_autofree char *lines = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *ys = g_strnfill (TW_EXTRACTOR_LINE_CAP, 'y');

  memset (data, 'y', len);
  memcpy (data + len, "\nz\n", 4);
  lines = lines_of (data, len + 3, len + 3);
  expected = g_strdup_printf ("0:%s|%" G_GSIZE_FORMAT ":z", ys, len + 1);
  g_assert_cmpstr (lines, ==, expected);
}

/* successive updates of one bar: every segment reaches the line functions, only the
 * newest update is parsed, and a held update is reported by flush */
static void
test_coalesce (void)
{
  const char *bars = "\rEpoch 1/2:  10%|█         | 1/10 [00:00<00:01, 9.00it/s]"
                     "\rEpoch 1/2:  20%|██        | 2/10 [00:00<00:01, 9.00it/s]"
                     "\rEpoch 1/2:  30%|███       | 3/10 [00:00<00:01, 9.00it/s]";
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const TwObservation *o;

  tw_extractor_add_line_func (ex, collect_line_cb, g_ptr_array_ref (lines),
                              (GDestroyNotify) g_ptr_array_unref);
  tw_extractor_feed (ex, (const guint8 *) bars, strlen (bars), out);
  /* the third has no line end yet; the second is held */
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_cmpuint (out->len, ==, 0);
  /* a '\r' that ends a chunk waits for the next byte (is it "\r\n"?) */
  tw_extractor_feed (ex, (const guint8 *) "\r", 1, out);
  g_assert_cmpuint (lines->len, ==, 2);
  tw_extractor_feed (ex, (const guint8 *) "\r", 1, out);
  g_assert_cmpuint (lines->len, ==, 3);
  g_assert_cmpuint (out->len, ==, 0);
  tw_extractor_flush (ex, out);
  g_assert_cmpuint (out->len, ==, 2);
  o = &g_array_index (out, TwObservation, 1);
  g_assert_cmpint (o->kind, ==, TW_OBSERVATION_PROGRESS);
  g_assert_cmpint (o->n, ==, 3);
  g_assert_cmpint (o->total, ==, 10);
  tw_extractor_flush (ex, out);
  tw_extractor_finish (ex, out);
  g_assert_cmpuint (out->len, ==, 2);
}

/* with "\r\n" line ends, lines that look like bars are still lines, each parsed */
static void
test_crlf_bars (void)
{
  const char *input = "step 1 | loss 0.5 | [ok]\r\nstep 2 | loss 0.4 | [ok]\r\n";
  gsize sizes[] = { 25, 1 };
  g_autofree char *whole = run (input, strlen (input), (gsize[]) { 100 }, 1, NULL);
  g_autofree char *split = run (input, strlen (input), sizes, G_N_ELEMENTS (sizes), NULL);

  g_assert_cmpstr (whole, ==, "0 step 1/0\n0 metric loss=0.5\n26 step 2/0\n26 metric loss=0.4\n");
  g_assert_cmpstr (split, ==, whole);
}

/* damaged real logs split at random points give what they give whole */
static void
test_random_split (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs",
                                                 "hf_trainer_tqdm.log", NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  guint round;

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);
  for (round = 0; round < 20; round++)
    {
      g_autofree char *damaged = g_memdup2 (log, len);
      g_autofree char *whole = NULL;
      g_autofree char *split = NULL;
      gsize sizes[64];
      guint i;

      for (i = 0; i < 200; i++)
        damaged[g_test_rand_int_range (0, len)] = (char) g_test_rand_int_range (0, 256);
      for (i = 0; i < G_N_ELEMENTS (sizes); i++)
        sizes[i] = g_test_rand_int_range (1, 700);
      whole = run (damaged, len, &len, 1, NULL);
      split = run (damaged, len, sizes, G_N_ELEMENTS (sizes), NULL);
      g_assert_cmpstr (split, ==, whole);
    }
}

/* Keras 2 redraws its bar after '\b's and a '\r'; the epoch's last line has the
 * validation metrics */
static void
test_keras_stream (void)
{
  const char *stream =
    "Epoch 1/2\n"
    "  1/10 [==>...........................] - ETA: 3s - loss: 0.5\b\b\b\b\b\b\b\b\r"
    " 10/10 [==============================] - 1s 100ms/step - loss: 0.4 - val_loss: 0.45\n";
  gsize sizes[] = { 1 };
  g_autofree char *whole = run (stream, strlen (stream), (gsize[]) { 1000 }, 1, NULL);
  g_autofree char *bytes = run (stream, strlen (stream), sizes, 1, NULL);
  g_autofree char *lines = lines_of (stream, strlen (stream), 1000);

  g_assert_cmpstr (whole, ==,
                   "0 epoch 1/2\n"
                   "10 progress 1/10 rate=0 elapsed=-1 remaining=3\n"
                   "10 metric loss=0.5\n"
                   "80 progress 10/10 rate=10 elapsed=1 remaining=-1\n"
                   "80 metric loss=0.4\n"
                   "80 metric val_loss=0.45 sub\n"
                   "80 evaluation\n");
  g_assert_cmpstr (bytes, ==, whole);
  g_assert_cmpstr (lines, ==,
                   "0:Epoch 1/2|"
                   "10:  1/10 [==>...........................] - ETA: 3s - loss: 0.5|"
                   "80: 10/10 [==============================] - 1s 100ms/step - loss: 0.4 - "
                   "val_loss: 0.45");
}

/* Following live: what a line function and the parsers have seen so far */
typedef struct
{
  TwExtractor *ex;
  GArray      *out;
  GPtrArray   *lines;
} Live;

static void
live_init (Live *live)
{
  live->ex = tw_extractor_new ();
  live->out = new_observations ();
  live->lines = g_ptr_array_new_with_free_func (g_free);
  tw_extractor_add_line_func (live->ex, collect_line_cb, g_ptr_array_ref (live->lines),
                              (GDestroyNotify) g_ptr_array_unref);
}

static void
live_clear (Live *live)
{
  g_clear_pointer (&live->ex, tw_extractor_free);
  g_clear_pointer (&live->out, g_array_unref);
  g_clear_pointer (&live->lines, g_ptr_array_unref);
}

/* Feeds @text then flushes, as a job does after each read when it has caught up. */
static void
live_write (Live       *live,
            const char *text)
{
  tw_extractor_feed (live->ex, (const guint8 *) text, strlen (text), live->out);
  tw_extractor_flush (live->ex, live->out);
}

static char *
live_lines (Live *live)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < live->lines->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? "|" : "", (char *) live->lines->pdata[i]);
  return g_string_free (s, FALSE);
}

/* Takes what was observed since the last call, described. */
static char *
live_take (Live *live)
{
  char *text = describe (live->out);

  g_array_set_size (live->out, 0);
  return text;
}

#define BAR1 "Epoch 1/2:  10%|█         | 1/10 [00:00<00:01, 9.00it/s, loss=0.5]"
#define BAR2 "Epoch 1/2:  20%|██        | 2/10 [00:00<00:01, 9.00it/s, loss=0.4]"

/* a tqdm bar written to a file ends with no line end: flush shows the newest redraw at
 * once, line functions included, and its end later adds nothing */
static void
test_live_bar (void)
{
  Live live;
  g_autofree char *lines = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *expected = NULL;
  gsize bar1 = strlen ("\r" BAR1);

  live_init (&live);
  live_write (&live, "\r" BAR1);
  lines = live_lines (&live);
  g_assert_cmpstr (lines, ==, "1:" BAR1);
  seen = live_take (&live);
  g_assert_cmpstr (seen, ==, "1 epoch 1/2\n"
                             "1 progress 1/10 rate=9 elapsed=0 remaining=1 name=Epoch 1/2\n"
                             "1 metric loss=0.5\n");

  /* a second flush, and the '\r' of the next redraw, see nothing new */
  tw_extractor_flush (live.ex, live.out);
  live_write (&live, "\r");
  g_assert_cmpuint (live.lines->len, ==, 1);
  g_assert_cmpuint (live.out->len, ==, 0);

  live_write (&live, BAR2);
  g_clear_pointer (&lines, g_free);
  lines = live_lines (&live);
  expected = g_strdup_printf ("1:%s|%" G_GSIZE_FORMAT ":%s", BAR1, bar1 + 1, BAR2);
  g_assert_cmpstr (lines, ==, expected);
  g_clear_pointer (&seen, g_free);
  seen = live_take (&live);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%" G_GSIZE_FORMAT " epoch 1/2\n"
                              "%" G_GSIZE_FORMAT " progress 2/10 rate=9 elapsed=0 remaining=1"
                              " name=Epoch 1/2\n"
                              "%" G_GSIZE_FORMAT " metric loss=0.4\n",
                              bar1 + 1, bar1 + 1, bar1 + 1);
  g_assert_cmpstr (seen, ==, expected);

  /* the bar closes with a newline: no duplicate, to the end of the stream */
  live_write (&live, "\nTraining complete.\n");
  tw_extractor_finish (live.ex, live.out);
  g_assert_cmpuint (live.lines->len, ==, 3);
  g_clear_pointer (&seen, g_free);
  seen = live_take (&live);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%" G_GSIZE_FORMAT " completed\n",
                              strlen ("\r" BAR1 "\r" BAR2 "\n"));
  g_assert_cmpstr (seen, ==, expected);
  live_clear (&live);
}

/* the same stream followed live and read whole gives one observation per redraw shown,
 * and every redraw reaches the line functions exactly once */
static void
test_live_no_duplicates (void)
{
  const char *stream = "\r" BAR1 "\r" BAR2 "\r\n";
  Live live;
  g_autofree char *whole = lines_of (stream, strlen (stream), strlen (stream));
  g_autofree char *lines = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *expected = NULL;
  gsize bar1 = strlen ("\r" BAR1);
  gsize i;

  live_init (&live);
  /* one byte at a time, flushing after each: the worst a follower can do */
  for (i = 0; stream[i] != '\0'; i++)
    {
      tw_extractor_feed (live.ex, (const guint8 *) stream + i, 1, live.out);
      tw_extractor_flush (live.ex, live.out);
    }
  tw_extractor_finish (live.ex, live.out);
  lines = live_lines (&live);
  g_assert_cmpstr (lines, ==, whole);
  seen = live_take (&live);
  expected = g_strdup_printf ("1 epoch 1/2\n"
                              "1 progress 1/10 rate=9 elapsed=0 remaining=1 name=Epoch 1/2\n"
                              "1 metric loss=0.5\n"
                              "%" G_GSIZE_FORMAT " epoch 1/2\n"
                              "%" G_GSIZE_FORMAT " progress 2/10 rate=9 elapsed=0 remaining=1"
                              " name=Epoch 1/2\n"
                              "%" G_GSIZE_FORMAT " metric loss=0.4\n",
                              bar1 + 1, bar1 + 1, bar1 + 1);
  g_assert_cmpstr (seen, ==, expected);
  live_clear (&live);
}

/* a user rule sees the redraw when it arrives, once */
static void
test_live_rule (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;
  Live live;

  live_init (&live);
  tw_rule_set_add (rules, "[0-9]+%\\|", TW_LEVEL_INFO, "bar \\0", &error);
  g_assert_no_error (error);
  tw_extractor_add_line_func (live.ex, tw_rule_set_line_func, rules, NULL);

  live_write (&live, "\r" BAR1);
  g_assert_cmpuint (live.out->len, ==, 4);
  g_assert_cmpint (g_array_index (live.out, TwObservation, 0).kind, ==, TW_OBSERVATION_RULE);
  g_assert_cmpstr (g_array_index (live.out, TwObservation, 0).message, ==, "bar 10%|");
  g_array_set_size (live.out, 0);

  live_write (&live, "\r");
  live_write (&live, "\n");
  tw_extractor_finish (live.ex, live.out);
  seen = live_take (&live);
  g_assert_cmpstr (seen, ==, "");
  live_clear (&live);
}

/* a whole bar with a tag after its bracket (as a wrapper or the latency harness
 * writes) is news at once; one cut inside the bracket waits */
static void
test_live_tagged_bar (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;
  Live live;

  live_init (&live);
  tw_rule_set_add (rules, "id=[0-9]+", TW_LEVEL_INFO, "\\0", &error);
  g_assert_no_error (error);
  tw_extractor_add_line_func (live.ex, tw_rule_set_line_func, rules, NULL);

  live_write (&live, "\rtrain:  37%|###       | 37/100 [00:03<00:06, 13.37it/s] id=7");
  g_assert_cmpuint (live.out->len, >, 0);
  g_assert_cmpstr (g_array_index (live.out, TwObservation, 0).message, ==, "id=7");
  g_array_set_size (live.out, 0);

  live_write (&live, "\rtrain:  38%|###       | 38/100 [00:03<00:0");
  g_assert_cmpuint (live.out->len, ==, 0);
  live_clear (&live);
}

/* a redraw that grew before its line end is seen again, whole */
static void
test_live_grown (void)
{
  const char *keras1 = "  1/10 [==>.......] - ETA: 3s - loss: 0.41";
  const char *keras2 = "  2/10 [====>.....] - ETA: 2s - loss: 0.3";
  Live live;
  g_autofree char *seen = NULL;
  g_autofree char *lines = NULL;
  g_autofree char *expected = NULL;
  gsize at = strlen (keras1) + 1;

  live_init (&live);
  live_write (&live, keras1);
  /* a first line may be anything cut short: it waits */
  g_assert_cmpuint (live.lines->len, ==, 0);
  live_write (&live, "\r");
  live_write (&live, keras2);
  g_assert_cmpuint (live.lines->len, ==, 2);
  g_array_set_size (live.out, 0);

  /* "0.3" was "0.39" cut short; then the line ends: seen again whole */
  live_write (&live, "9");
  live_write (&live, "\n");
  lines = live_lines (&live);
  expected = g_strdup_printf ("0:%s|%" G_GSIZE_FORMAT ":%s|%" G_GSIZE_FORMAT ":%s9", keras1,
                              at, keras2, at, keras2);
  g_assert_cmpstr (lines, ==, expected);
  seen = live_take (&live);
  g_assert_cmpstr (seen, ==, "43 progress 2/10 rate=0 elapsed=-1 remaining=2\n"
                             "43 metric loss=0.39\n");

  /* a tqdm bar that grew between flushes (its postfix got longer), but not by bytes
   * that cleaning drops */
  live_write (&live, "\r" BAR1);
  g_array_set_size (live.out, 0);
  live_write (&live, "\b");
  g_assert_cmpuint (live.out->len, ==, 0);
  live_write (&live, " extra]");
  g_assert_cmpuint (live.out->len, ==, 3);
  live_write (&live, "\n");
  g_assert_cmpuint (live.lines->len, ==, 5);
  g_assert_cmpuint (live.out->len, ==, 3);
  live_clear (&live);
}

/* an ordinary line cut by a read is not shown before it ends */
static void
test_live_partial_line (void)
{
  static const char * const cases[][2] = {
    { "Traceb", "ack (most recent call last):\n" },
    { "step 3: loss=0.1", "2\n" },
    /* after tqdm blanks its bar, a print is an ordinary line */
    { "\r" BAR1 "\r                    \rstep 3: loss=0.1", "2\n" },
    /* a tqdm bar cut before its '|', or before its ']' */
    { "\r" BAR1 "\rEpoch 1/2:  3", "0%|███       | 3/10 [00:00<00:01, 9.00it/s]\n" },
    { "\r" BAR1 "\r" "Epoch 1/2:  30%|███       | 3/10 [00:00<00", ":01, 9.00it/s]\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *joined = g_strconcat (cases[i][0], cases[i][1], NULL);
      g_autofree char *whole = lines_of (joined, strlen (joined), strlen (joined));
      g_autofree char *lines = NULL;
      guint before;
      Live live;

      live_init (&live);
      live_write (&live, cases[i][0]);
      before = live.lines->len;
      /* the cut line was not seen: it is seen once, whole, when it ends */
      live_write (&live, cases[i][1]);
      tw_extractor_finish (live.ex, live.out);
      g_assert_cmpuint (live.lines->len, ==, before + 1);
      lines = live_lines (&live);
      g_assert_cmpstr (lines, ==, whole);
      live_clear (&live);
    }
}

/* a line whose '\r' ends what was read is complete, whatever follows */
static void
test_live_cr_at_end (void)
{
  g_autofree char *seen = NULL;
  Live live;

  live_init (&live);
  live_write (&live, "step 3: loss=0.12\r");
  seen = live_take (&live);
  g_assert_cmpstr (seen, ==, "0 step 3/0\n0 metric loss=0.12\n");
  live_write (&live, "\nstep 4: loss=0.11\n");
  g_clear_pointer (&seen, g_free);
  seen = live_take (&live);
  g_assert_cmpstr (seen, ==, "19 step 4/0\n19 metric loss=0.11\n");
  g_assert_cmpuint (live.lines->len, ==, 2);
  live_clear (&live);
}

static gboolean destroyed;

static void
flag_destroyed (gpointer data)
{
  destroyed = TRUE;
}

static void
test_line_func_destroy (void)
{
  TwExtractor *ex = tw_extractor_new ();
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  destroyed = FALSE;
  tw_extractor_add_line_func (ex, collect_line_cb, lines, flag_destroyed);
  tw_extractor_free (ex);
  g_assert_true (destroyed);
}

/* the real runs */

typedef struct
{
  const char *name;
  const char *last_main_progress;  /* n/total of the last PROGRESS that is not sub */
  const char *last_epoch;          /* n/total of the last EPOCH that is not a summary */
  const char *last_step;           /* n/total of the last STEP */
  gboolean    completed;
  guint       n_checkpoints;
} RunCase;

static const RunCase run_cases[] = {
  { "plain_ok", "200/200", "5/5", NULL, TRUE, 5 },
  { "plain_crash", "81/200", "3/5", NULL, FALSE, 2 },
  { "killed", "186/200", "2/5", NULL, FALSE, 1 },
  { "hf_trainer_tqdm", "300/300", NULL, NULL, TRUE, 0 },
  { "lightning_tqdm_ok", "282/282", "4/4", NULL, TRUE, 0 },
  { "lightning_ok", "282/282", "4/4", NULL, TRUE, 0 },
  { "oom", "20/100", NULL, "19/0", FALSE, 0 },
  { "jax_ok", NULL, NULL, "2000/2000", TRUE, 0 },
};

static GArray *
read_timing (const char *name,
             gsize       log_len)
{
  g_autofree char *file = g_strdup_printf ("%s.timing", name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) rows = NULL;
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize total = 0;
  guint i;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  rows = g_strsplit (contents, "\n", -1);
  for (i = 0; rows[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (rows[i], " ", 2);
      gsize n;

      if (fields[0] == NULL || fields[1] == NULL)
        continue;
      n = g_ascii_strtoull (fields[1], NULL, 10);
      g_array_append_val (sizes, n);
      total += n;
    }
  g_assert_cmpuint (total, ==, log_len);
  return sizes;
}

static void
find_last (GArray            *out,
           TwObservationKind  kind,
           gboolean           sub,
           const char        *expected)
{
  const TwObservation *last = NULL;
  g_autofree char *got = NULL;
  guint i;

  for (i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);

      if (o->kind == kind && o->sub == sub)
        last = o;
    }
  if (expected == NULL)
    {
      g_assert_null (last);
      return;
    }
  g_assert_nonnull (last);
  got = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, last->n, last->total);
  g_assert_cmpstr (got, ==, expected);
}

/* Rules given to the extractor (searched for by their needles over whole chunks, so
 * that quiet bar redraws are still skipped) observe the same as rules that see every
 * line, with a failure detector beside them, however the stream is split. */
static char *
run_with_rules (const char *log,
                gsize       len,
                gsize       chunk,
                TwRuleSet  *rules,
                gboolean    every_line,
                gboolean    skim,
                gboolean    skim_kinds_only)
{
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = new_observations ();
  TwFailureDetector *detector = tw_failure_detector_new ();
  GString *seen = g_string_new (NULL);
  gsize pos;

  tw_extractor_add_line_func (ex, tw_failure_detector_line_func, detector,
                              (GDestroyNotify) tw_failure_detector_free);
  if (every_line)
    tw_extractor_add_line_func (ex, tw_rule_set_line_func, rules, NULL);
  else
    tw_extractor_set_rules (ex, rules);
  tw_extractor_set_skim (ex, skim, out);
  for (pos = 0; pos < len; pos += chunk)
    tw_extractor_feed (ex, (const guint8 *) log + pos, MIN (chunk, len - pos), out);
  tw_extractor_finish (ex, out);
  tw_failure_detector_finish (detector, out);

  for (guint i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);
      g_autofree char *one = NULL;

      /* skimming observes failures and rules only */
      if (skim_kinds_only && o->kind != TW_OBSERVATION_FAILURE && o->kind != TW_OBSERVATION_RULE)
        continue;
      one = tw_observation_to_string (o);
      g_string_append_printf (seen, "%" G_GUINT64_FORMAT " %s%s%s\n", o->offset, one,
                              o->kind == TW_OBSERVATION_RULE ? " " : "",
                              o->kind == TW_OBSERVATION_RULE ? o->message : "");
    }
  return g_string_free (seen, FALSE);
}

static void
test_real_run_rules (gconstpointer data)
{
  const RunCase *c = data;
  static const char * const patterns[] = {
    "Traceback|Error", "[0-9]+%\\|", "loss[=: ] ?([0-9.]+)", "it/s\\]", "\\d+%|[Ee]poch",
  };
  g_autofree char *file = g_strdup_printf ("%s.log", c->name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  static const gsize chunks[] = { 65536, 4096, 97, 7 };
  guint matched = 0;

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
      g_autofree char *expected = NULL;

      tw_rule_set_add (rules, patterns[i], TW_LEVEL_INFO, "\\0", &error);
      g_assert_no_error (error);
      expected = run_with_rules (log, len, 65536, rules, TRUE, FALSE, FALSE);
      if (strstr (expected, " rule level=") != NULL)
        matched++;
      for (guint k = 0; k < G_N_ELEMENTS (chunks); k++)
        {
          g_autofree char *seen = NULL;

          /* byte by byte is slow on the biggest logs; 7 is split enough */
          seen = run_with_rules (log, len, chunks[k], rules, FALSE, FALSE, FALSE);
          g_assert_cmpstr (seen, ==, expected);
        }
    }
  g_assert_cmpuint (matched, >, 0);
}

/* Skimming (a follower far behind) sees the same failures and rule matches as reading
 * every line, however the stream is split, and nothing else. */
static void
test_real_run_skim (gconstpointer data)
{
  const RunCase *c = data;
  static const char * const patterns[] = { "Traceback|Error", "it/s\\]", "\\d+%|[Ee]poch" };
  g_autofree char *file = g_strdup_printf ("%s.log", c->name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  static const gsize chunks[] = { 65536, 4096, 97, 7 };

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
      g_autofree char *expected = NULL;
      g_autofree char *all = NULL;

      tw_rule_set_add (rules, patterns[i], TW_LEVEL_INFO, "\\0", &error);
      g_assert_no_error (error);
      expected = run_with_rules (log, len, 65536, rules, TRUE, FALSE, TRUE);
      for (guint k = 0; k < G_N_ELEMENTS (chunks); k++)
        {
          g_autofree char *seen = run_with_rules (log, len, chunks[k], rules, FALSE, TRUE, TRUE);

          g_assert_cmpstr (seen, ==, expected);
        }
      /* and no progress, epoch or metric at all */
      all = run_with_rules (log, len, 4096, rules, FALSE, TRUE, FALSE);
      g_assert_null (strstr (all, " progress "));
      g_assert_null (strstr (all, " metric "));
    }
}

static void
test_real_run (gconstpointer data)
{
  const RunCase *c = data;
  g_autofree char *file = g_strdup_printf ("%s.log", c->name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *log = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *timed = NULL;
  g_autoptr(GArray) sizes = NULL;
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0, primes[] = { 7, 13, 1, 4096, 3 };
  guint i, completed = 0, checkpoints = 0;

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);

  whole = run (log, len, &len, 1, NULL);
  sizes = read_timing (c->name, len);
  timed = run (log, len, (gsize *) (gpointer) sizes->data, sizes->len, NULL);
  g_assert_cmpstr (timed, ==, whole);
  {
    g_autofree char *odd = run (log, len, primes, G_N_ELEMENTS (primes), NULL);

    g_assert_cmpstr (odd, ==, whole);
  }
  if (len < 16 * 1024)
    {
      gsize one = 1;
      g_autofree char *bytes = run (log, len, &one, 1, NULL);

      g_assert_cmpstr (bytes, ==, whole);
    }

  tw_extractor_feed (ex, (const guint8 *) log, len, out);
  tw_extractor_finish (ex, out);
  find_last (out, TW_OBSERVATION_PROGRESS, FALSE, c->last_main_progress);
  find_last (out, TW_OBSERVATION_EPOCH, FALSE, c->last_epoch);
  find_last (out, TW_OBSERVATION_STEP, FALSE, c->last_step);
  for (i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);

      completed += o->kind == TW_OBSERVATION_COMPLETED;
      checkpoints += o->kind == TW_OBSERVATION_CHECKPOINT;
      g_assert_cmpuint (o->offset, <, len);
    }
  g_assert_cmpuint (completed > 0, ==, c->completed);
  g_assert_cmpuint (checkpoints, ==, c->n_checkpoints);
}

/* with the failure detector as a line function, each run's failure is found once, at
 * the offsets it was printed, however the stream is split */
typedef struct
{
  const char *name;
  const char *failures;  /* "kind exception" of each FAILURE, joined by "; " */
} FailureCase;

static const FailureCase failure_cases[] = {
  { "plain_ok", "" },
  { "plain_crash", "exception ValueError" },
  { "oom", "out-of-memory torch.OutOfMemoryError" },
  { "killed", "killed" },
  { "hf_trainer_tqdm", "" },
  { "jax_ok", "" },
  { "lightning_ok", "" },
  { "lightning_tqdm_ok", "" },
};

static char *
find_failures (const char *log,
               gsize       len,
               gsize       chunk)
{
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = new_observations ();
  TwFailureDetector *detector = tw_failure_detector_new ();
  GString *s = g_string_new (NULL);
  gsize pos;
  guint i;

  tw_extractor_add_line_func (ex, tw_failure_detector_line_func, detector,
                              (GDestroyNotify) tw_failure_detector_free);
  for (pos = 0; pos < len; pos += chunk)
    tw_extractor_feed (ex, (const guint8 *) log + pos, MIN (chunk, len - pos), out);
  tw_extractor_finish (ex, out);
  tw_failure_detector_finish (detector, out);
  for (i = 0; i < out->len; i++)
    {
      const TwObservation *o = &g_array_index (out, TwObservation, i);

      if (o->kind != TW_OBSERVATION_FAILURE)
        continue;
      g_assert_cmpuint (o->offset, <, len);
      if (s->len > 0)
        g_string_append (s, "; ");
      g_string_append (s, tw_failure_kind_to_string (o->failure));
      if (o->exception != NULL)
        g_string_append_printf (s, " %s", o->exception);
    }
  return g_string_free (s, FALSE);
}

static void
test_real_run_failures (gconstpointer data)
{
  const FailureCase *c = data;
  g_autofree char *file = g_strdup_printf ("%s.log", c->name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *log = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *split = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);
  whole = find_failures (log, len, len);
  split = find_failures (log, len, 37);
  g_assert_cmpstr (whole, ==, c->failures);
  g_assert_cmpstr (split, ==, c->failures);
}

/* the offset of each observation is where its line starts in the raw stream */
static void
test_offsets (void)
{
  const char *input = "\x1b[1mhello\x1b[0m\r\nstep 3/9: loss=1\n";
  g_autofree char *got = run (input, strlen (input), (gsize[]) { 5 }, 1, NULL);

  g_assert_cmpstr (got, ==, "15 step 3/9\n15 metric loss=1\n");
}

/* a real run followed live, flushed after each recorded write: every line is seen as
 * when read whole, in order, and a redraw seen early is seen again only when it grew;
 * where the run ends up is the same */
static void
test_live_real_run (gconstpointer data)
{
  const RunCase *c = data;
  g_autofree char *file = g_strdup_printf ("%s.log", c->name);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "real-runs", file, NULL);
  g_autofree char *log = NULL;
  g_autoptr(GArray) sizes = NULL;
  g_autoptr(GPtrArray) whole = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *ignored = NULL;
  Live live;
  gsize len = 0, pos = 0;
  guint i, j = 0, early = 0;

  g_file_get_contents (path, &log, &len, &error);
  g_assert_no_error (error);
  ignored = run (log, len, &len, 1, whole);
  sizes = read_timing (c->name, len);

  live_init (&live);
  for (i = 0; i < sizes->len; i++)
    {
      gsize n = g_array_index (sizes, gsize, i);

      tw_extractor_feed (live.ex, (const guint8 *) log + pos, n, live.out);
      tw_extractor_flush (live.ex, live.out);
      pos += n;
    }
  tw_extractor_finish (live.ex, live.out);

  for (i = 0; i < live.lines->len; i++)
    {
      const char *seen = live.lines->pdata[i];

      if (j < whole->len && g_str_equal (seen, whole->pdata[j]))
        {
          j++;
          continue;
        }
      /* a redraw shown before it was whole: the line seen next starts with it */
      g_assert_cmpuint (i + 1, <, live.lines->len);
      g_assert_true (g_str_has_prefix (live.lines->pdata[i + 1], seen));
      g_assert_cmpstr (live.lines->pdata[i + 1], !=, seen);
      g_test_message ("seen early: %s", seen);
      early++;
    }
  g_assert_cmpuint (j, ==, whole->len);
  g_test_message ("%u lines, %u seen early", whole->len, early);

  find_last (live.out, TW_OBSERVATION_PROGRESS, FALSE, c->last_main_progress);
  find_last (live.out, TW_OBSERVATION_EPOCH, FALSE, c->last_epoch);
  find_last (live.out, TW_OBSERVATION_STEP, FALSE, c->last_step);
  live_clear (&live);
}

int
main (int    argc,
      char **argv)
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (i = 0; i < G_N_ELEMENTS (framing_cases); i++)
    g_test_add_data_func (framing_cases[i].path, &framing_cases[i], test_framing);
  for (i = 0; i < G_N_ELEMENTS (long_line_cases); i++)
    g_test_add_data_func (long_line_cases[i].path, &long_line_cases[i], test_long_line);
  g_test_add_func ("/extract/framing/crlf-bars", test_crlf_bars);
  g_test_add_func ("/extract/framing/random-split", test_random_split);
  g_test_add_func ("/extract/framing/long-line-whole", test_long_line_whole);
  g_test_add_func ("/extract/framing/offsets", test_offsets);
  g_test_add_func ("/extract/coalesce/newest-update", test_coalesce);
  g_test_add_func ("/extract/keras/stream", test_keras_stream);
  g_test_add_func ("/extract/live/bar", test_live_bar);
  g_test_add_func ("/extract/live/no-duplicates", test_live_no_duplicates);
  g_test_add_func ("/extract/live/rule", test_live_rule);
  g_test_add_func ("/extract/live/grown", test_live_grown);
  g_test_add_func ("/extract/live/tagged-bar", test_live_tagged_bar);
  g_test_add_func ("/extract/live/partial-line", test_live_partial_line);
  g_test_add_func ("/extract/live/cr-at-end", test_live_cr_at_end);
  g_test_add_func ("/extract/line-func/destroy", test_line_func_destroy);
  for (i = 0; i < G_N_ELEMENTS (run_cases); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/extract/real-runs/%s", run_cases[i].name);

      g_test_add_data_func (test_path, &run_cases[i], test_real_run);
      g_free (test_path);
      test_path = g_strdup_printf ("/extract/live/real-runs/%s", run_cases[i].name);
      g_test_add_data_func (test_path, &run_cases[i], test_live_real_run);
      g_free (test_path);
      test_path = g_strdup_printf ("/extract/rules/real-runs/%s", run_cases[i].name);
      g_test_add_data_func (test_path, &run_cases[i], test_real_run_rules);
      g_free (test_path);
      test_path = g_strdup_printf ("/extract/skim/real-runs/%s", run_cases[i].name);
      g_test_add_data_func (test_path, &run_cases[i], test_real_run_skim);
    }
  for (i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/extract/real-runs/failures/%s",
                                                    failure_cases[i].name);

      g_test_add_data_func (test_path, &failure_cases[i], test_real_run_failures);
    }

  return g_test_run ();
}
