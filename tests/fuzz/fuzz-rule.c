/* fuzz-rule.c — libFuzzer target: the user's own rules, pattern and template included
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is NUL-separated: pattern, template, pattern, template, … and last
 * the lines, one per newline. An empty template means the line itself. At most
 * MAX_RULES rules are added; a pattern or template that is refused is fine, a
 * crash is not. Lines reach the rules as the extractor hands them over: valid
 * UTF-8 without their terminator.
 */
#include "config.h"

#include <string.h>

#include "tw-extract-rule.h"
#include "tw-fuzz.h"

#define MAX_RULES 4

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) split = NULL;
  g_autofree char *text = NULL;
  guint n_parts;
  guint n_added = 0;
  guint64 offset = 0;
  const char *lines;
  char **line;

  tw_fuzz_init ();
  g_array_set_clear_func (observations, (GDestroyNotify) tw_observation_clear);

  /* g_strsplit() needs a string: NUL bytes become separators first. */
  text = g_malloc (size + 1);
  for (size_t i = 0; i < size; i++)
    text[i] = data[i] != '\0' ? (char) data[i] : '\x1f';
  text[size] = '\0';
  parts = g_strsplit (text, "\x1f", 2 * MAX_RULES + 1);
  n_parts = g_strv_length (parts);

  for (guint i = 0; i + 1 < n_parts; i += 2)
    {
      g_autoptr(GError) error = NULL;
      const char *template = parts[i + 1][0] != '\0' ? parts[i + 1] : NULL;
      TwLevel level = (TwLevel) (i / 2 % TW_N_LEVELS);

      if (tw_rule_set_add (rules, parts[i], level, template, &error))
        n_added++;
      else
        g_assert (error != NULL && error->domain == TW_RULE_ERROR);
    }
  g_assert (tw_rule_set_get_n_rules (rules) == n_added);

  lines = n_parts % 2 == 1 ? parts[n_parts - 1] : "";
  split = g_strsplit (lines, "\n", -1);
  for (line = split; *line != NULL; line++)
    {
      g_autofree char *clean = g_utf8_make_valid (*line, -1);

      tw_rule_set_line (rules, clean, strlen (clean), offset, observations);
      offset += strlen (*line) + 1;
    }

  for (guint i = 0; i < observations->len; i++)
    {
      const TwObservation *observation = &g_array_index (observations, TwObservation, i);
      g_autofree char *str = tw_observation_to_string (observation);

      g_assert (g_utf8_validate (str, -1, NULL));
      g_assert (observation->kind == TW_OBSERVATION_RULE);
      g_assert (observation->message != NULL && g_utf8_validate (observation->message, -1, NULL));
    }

  return 0;
}
