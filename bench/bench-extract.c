/* bench-extract.c — throughput of the extractor on the real runs' logs, concatenated
 * and repeated to about 200 MB, fed in 1 MiB and 4 KiB chunks, read in full and
 * skimmed (prints the median MB/s of three runs; never fails on it)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-failure.h"
#include "tw-extract-rule.h"
#include "tw-extractor.h"

#include <stdlib.h>

/* Runs of each measurement; the median is printed. */
#define RUNS 3

static const char * const runs[] = {
  "hf_trainer_tqdm", "jax_ok", "killed", "lightning_ok", "lightning_tqdm_ok", "oom",
  "plain_crash", "plain_ok",
};

/* What a failure detector's cheap prefilter costs: one substring search per line. */
static void
prefilter_line_cb (const char *line,
                   gsize       len,
                   guint64     offset,
                   GArray     *out,
                   gpointer    user_data)
{
  guint *hits = user_data;

  if (g_strstr_len (line, len, "Error") != NULL)
    (*hits)++;
}

typedef enum
{
  LINE_FUNC_NONE,
  LINE_FUNC_SEARCH,
  LINE_FUNC_FAILURE_DETECTOR,
  LINE_FUNC_SKIM_WITH_RULES,     /* a follower far behind: failure detector, a rule, skimming */
} LineFuncKind;

static double
measure (const guint8 *data,
         gsize         len,
         gsize         chunk,
         LineFuncKind  line_func,
         guint        *n_observations)
{
  g_autoptr(TwExtractor) ex = tw_extractor_new ();
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (TwObservation));
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  guint hits = 0, count = 0;
  gint64 start;
  gsize pos;

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  if (line_func == LINE_FUNC_SEARCH)
    tw_extractor_add_line_func (ex, prefilter_line_cb, &hits, NULL);
  else if (line_func == LINE_FUNC_FAILURE_DETECTOR || line_func == LINE_FUNC_SKIM_WITH_RULES)
    tw_extractor_add_line_func (ex, tw_failure_detector_line_func, tw_failure_detector_new (),
                                (GDestroyNotify) tw_failure_detector_free);
  if (line_func == LINE_FUNC_SKIM_WITH_RULES)
    {
      /* the latency harness's rule */
      tw_rule_set_add (rules, "Traceback|Error", TW_LEVEL_ERROR, NULL, NULL);
      tw_extractor_set_rules (ex, rules);
      tw_extractor_set_skim (ex, TRUE, out);
    }
  start = g_get_monotonic_time ();
  for (pos = 0; pos < len; pos += chunk)
    {
      tw_extractor_feed (ex, data + pos, MIN (chunk, len - pos), out);
      /* a job consumes what each read produced */
      count += out->len;
      g_array_set_size (out, 0);
    }
  tw_extractor_finish (ex, out);
  count += out->len;
  *n_observations = count;
  return (double) len / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC) / 1e6;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Shared machines are noisy: the median of a few runs. */
static double
median_of_runs (GByteArray   *big,
                gsize         chunk,
                LineFuncKind  line_func,
                guint        *n_observations)
{
  double rates[RUNS];
  guint i;

  for (i = 0; i < RUNS; i++)
    rates[i] = measure (big->data, big->len, chunk, line_func, n_observations);
  qsort (rates, RUNS, sizeof rates[0], compare_double);
  return rates[RUNS / 2];
}

int
main (int    argc,
      char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "tests/data/real-runs";
  g_autoptr(GByteArray) all = g_byte_array_new ();
  g_autoptr(GByteArray) big = g_byte_array_new ();
  gsize chunks[] = { 1024 * 1024, 4096 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s.log", runs[i]);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &contents, &len, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      g_byte_array_append (all, (const guint8 *) contents, len);
    }
  while (big->len < 200 * 1000 * 1000)
    g_byte_array_append (big, all->data, all->len);

  for (i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      guint n = 0, n_failures = 0;
      double plain = median_of_runs (big, chunks[i], LINE_FUNC_NONE, &n);
      double search = median_of_runs (big, chunks[i], LINE_FUNC_SEARCH, &n);
      double detector = median_of_runs (big, chunks[i], LINE_FUNC_FAILURE_DETECTOR, &n_failures);
      guint n_skimmed = 0;
      double skim = median_of_runs (big, chunks[i], LINE_FUNC_SKIM_WITH_RULES, &n_skimmed);

      g_print ("%u MB in %" G_GSIZE_FORMAT "-byte chunks: %.0f MB/s alone (%u observations), "
               "%.0f MB/s with a substring-search line function, "
               "%.0f MB/s with the failure detector (%u observations), "
               "%.0f MB/s skimmed with the failure detector and a rule (%u observations)\n",
               big->len / 1000000, chunks[i], plain, n, search, detector, n_failures, skim,
               n_skimmed);
    }
  return 0;
}
