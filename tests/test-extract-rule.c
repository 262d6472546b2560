/* test-extract-rule.c — the user's own rules: pattern, level, message template
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* memmem */
#define _GNU_SOURCE 1

#include "config.h"

#include <glib.h>
#include <string.h>

#include "tw-extract-rule.h"

typedef struct
{
  const char *name;
  const char *regex;
  const char *template;   /* NULL: the message is the line */
  const char *line;
  const char *message;    /* NULL: no match */
} RuleCase;

static const RuleCase rule_cases[] = {
  { "group", "checkpoint saved to (\\S+)", "Saved \\1", "[12:00] checkpoint saved to /ckpt/7.pt",
    "Saved /ckpt/7.pt" },
  { "whole-match", "val_acc=\\d+\\.\\d+", "got \\0", "epoch 3 val_acc=0.912 loss=0.3",
    "got val_acc=0.912" },
  { "several-groups", "epoch (\\d+)/(\\d+) acc ([0-9.]+)", "\\3 at \\1 of \\2",
    "epoch 4/10 acc 0.75", "0.75 at 4 of 10" },
  { "unmatched-group", "lr (up|down)?\\s*(\\S+)", "[\\1] \\2", "lr  0.001", "[] 0.001" },
  { "backslash", "grad norm (\\S+)", "norm \\\\ \\1", "grad norm 12.5", "norm \\ 12.5" },
  { "captures-are-plain-text", "path (\\S+)", "at \\1!", "path C:\\1data\\0x",
    "at C:\\1data\\0x!" },
  { "trailing-backslash", "done", "done \\", "all done", "done \\" },
  { "no-template", "WARN", NULL, "  WARN disk 91% full  ", "WARN disk 91% full" },
  { "utf-8", "Schritt (\\S+) — (\\S+)", "\\2/\\1", "Schritt 3 — fertig", "fertig/3" },
  { "case-option", "(?i)disk full", "disk", "DISK FULL on /scratch", "disk" },
  { "no-match", "checkpoint saved", "x", "epoch 1 loss 0.3", NULL },
  { "anchored", "^Epoch", "x", "  Epoch 1", NULL },
};

static GArray *
new_observations (void)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (TwObservation));

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  return out;
}

static void
test_rule_case (gconstpointer data)
{
  const RuleCase *rc = data;
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GError) error = NULL;
  const TwObservation *o;

  g_assert_true (tw_rule_set_add (rules, rc->regex, TW_LEVEL_WARNING, rc->template, &error));
  g_assert_no_error (error);
  tw_rule_set_line (rules, rc->line, strlen (rc->line), 4096, out);

  if (rc->message == NULL)
    {
      g_assert_cmpuint (out->len, ==, 0);
      return;
    }
  g_assert_cmpuint (out->len, ==, 1);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->kind, ==, TW_OBSERVATION_RULE);
  g_assert_cmpuint (o->level, ==, TW_LEVEL_WARNING);
  g_assert_cmpuint (o->offset, ==, 4096);
  g_assert_cmpstr (o->message, ==, rc->message);
}

/* The needles of a pattern: literals one of which every matching line holds, or
 * none when every line must be tried. */
typedef struct
{
  const char *name;
  const char *regex;
  const char *needles;   /* joined by '|'; "" when every line must be tried */
} NeedleCase;

static const NeedleCase needle_cases[] = {
  { "alternatives", "Traceback|Error", "Traceback|Error" },
  { "after-a-class", "[0-9]+%\\|", "%|" },
  { "before-a-group", "loss=(\\d+)", "loss=" },
  { "optional-char", "colou?r of", "colo" },
  { "one-or-more", "ab+c", "ab" },
  { "counted", "x{2}yz", "yz" },
  { "counted-zero", "ERR{0,3}OR", "ER" },
  { "literal-brace", "a{b}c", "a{b}c" },
  { "escaped", "Error\\.$", "Error." },
  { "escaped-brackets", "\\[rank0\\]: (\\w+Error)", "[rank0]: " },
  { "bar-in-class", "[|]ab|cd", "ab|cd" },
  { "escaped-bar", "a\\|b", "a|b" },
  { "group-alternatives", "(a|b)cd", "cd" },
  { "named-group", "(?<n>\\d+) steps", " steps" },
  { "scoped-option", "(?i:error) done", " done" },
  { "non-ascii", "\xc3\xa9+rror", "rror" },
  { "lazy", "ab*?cd", "cd" },
  { "duplicates", "Error|Trace|Error", "Error|Trace" },
  { "short-branch", "Error|x", "" },
  { "digits-only", "\\d+%", "" },
  { "one-char", "a.b", "" },
  { "options", "(?i)error", "" },
  { "verb", "(*CR)error", "" },
  { "quoted", "\\Qa.b\\E", "" },
  { "hex-escape", "\\x41BC", "" },
  { "empty-branch", "error|", "" },
};

static void
test_rule_needles (gconstpointer data)
{
  const NeedleCase *nc = data;
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) needles = g_string_new (NULL);

  g_assert_true (tw_rule_set_add (rules, nc->regex, TW_LEVEL_INFO, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < tw_rule_set_get_n_needles (rules); i++)
    g_string_append_printf (needles, "%s%s", i > 0 ? "|" : "", tw_rule_set_get_needle (rules, i));
  g_assert_cmpstr (needles->str, ==, nc->needles);
}

/* A rule set's needles are those of all its rules, each once; one rule without any
 * makes every line a candidate. */
static void
test_rule_needles_union (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (tw_rule_set_add (rules, "Traceback|Error", TW_LEVEL_ERROR, NULL, &error));
  g_assert_true (tw_rule_set_add (rules, "Error: (.*)", TW_LEVEL_ERROR, "\\1", &error));
  g_assert_true (tw_rule_set_add (rules, "disk full", TW_LEVEL_WARNING, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tw_rule_set_get_n_needles (rules), ==, 4);
  g_assert_cmpstr (tw_rule_set_get_needle (rules, 2), ==, "Error: ");
  g_assert_cmpstr (tw_rule_set_get_needle (rules, 3), ==, "disk full");

  g_assert_true (tw_rule_set_add (rules, "\\d+%", TW_LEVEL_WARNING, NULL, &error));
  g_assert_cmpuint (tw_rule_set_get_n_needles (rules), ==, 0);
  g_assert_true (tw_rule_set_add (rules, "later", TW_LEVEL_WARNING, NULL, &error));
  g_assert_cmpuint (tw_rule_set_get_n_needles (rules), ==, 0);
}

/* The needle search against memmem(): every position around the block size, and
 * random text from a small alphabet, so that first and last bytes often match. */
static void
test_rule_find_needle (void)
{
  static const char * const needles[] = { "ab", "aba", "Error", "%|", "abcabcabcabcabcabcab" };
  static const char alphabet[] = "abcE%|ro";
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;
  char text[300];
  guint found = 0;

  for (guint k = 0; k < G_N_ELEMENTS (needles); k++)
    {
      g_autofree char *escaped = g_regex_escape_string (needles[k], -1);

      g_assert_true (tw_rule_set_add (rules, escaped, TW_LEVEL_INFO, NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (tw_rule_set_get_n_needles (rules), ==, G_N_ELEMENTS (needles));

  for (gsize len = 0; len <= 70; len++)
    for (gsize at = 0; at + 5 <= len; at++)
      {
        memset (text, 'x', len);
        memcpy (text + at, "Error", 5);
        g_assert_true (tw_rule_set_find_needle (rules, 2, text, len) == text + at);
        g_assert_null (tw_rule_set_find_needle (rules, 2, text, at + 4));
      }

  for (guint round = 0; round < 5000; round++)
    {
      gsize len = g_test_rand_int_range (0, sizeof text);

      for (gsize i = 0; i < len; i++)
        text[i] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
      for (guint k = 0; k < G_N_ELEMENTS (needles); k++)
        {
          const char *expected = memmem (text, len, needles[k], strlen (needles[k]));

          g_assert_true (tw_rule_set_find_needle (rules, k, text, len) == expected);
          if (expected != NULL)
            found++;
        }
    }
  g_assert_cmpuint (found, >, 5000);
}

/* The first rule that matches speaks for the line, with its own level. */
static void
test_rule_order (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GError) error = NULL;
  static const char *lines[] = {
    "val_acc=0.99 new best",
    "val_acc=0.50",
    "nothing here",
  };
  const TwObservation *o;

  g_assert_true (tw_rule_set_add (rules, "new best", TW_LEVEL_SUCCESS, "Best", &error));
  g_assert_true (tw_rule_set_add (rules, "val_acc=(\\S+)", TW_LEVEL_INFO, "Accuracy \\1",
                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tw_rule_set_get_n_rules (rules), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    tw_rule_set_line_func (lines[i], strlen (lines[i]), i * 100, out, rules);

  g_assert_cmpuint (out->len, ==, 2);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->level, ==, TW_LEVEL_SUCCESS);
  g_assert_cmpstr (o->message, ==, "Best");
  g_assert_cmpuint (o->offset, ==, 0);
  o = &g_array_index (out, TwObservation, 1);
  g_assert_cmpuint (o->level, ==, TW_LEVEL_INFO);
  g_assert_cmpstr (o->message, ==, "Accuracy 0.50");
  g_assert_cmpuint (o->offset, ==, 100);
}

static void
test_rule_invalid_pattern (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tw_rule_set_add (rules, "loss=(\\d+", TW_LEVEL_ERROR, "x", &error));
  g_assert_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_PATTERN);
  g_assert_nonnull (strstr (error->message, "loss=(\\d+"));
  g_assert_cmpuint (tw_rule_set_get_n_rules (rules), ==, 0);
}

/* Found by fuzz-rule: PCRE2 read past the end of a broken UTF-8 sequence and crashed. */
static void
test_rule_invalid_utf8 (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tw_rule_set_add (rules, "Epoch (\\d+)/(\\d+)\xff\xff\xff\xff- ", TW_LEVEL_INFO, "\\1",
                                   &error));
  g_assert_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_PATTERN);
  g_clear_error (&error);
  g_assert_false (tw_rule_set_add (rules, "epoch (\\d+)", TW_LEVEL_INFO, "\\1 \xe2\x96", &error));
  g_assert_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_TEMPLATE);
  g_assert_cmpuint (tw_rule_set_get_n_rules (rules), ==, 0);
}

static void
test_rule_invalid_template (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tw_rule_set_add (rules, "epoch (\\d+)", TW_LEVEL_INFO, "\\1 and \\2",
                                   &error));
  g_assert_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_TEMPLATE);
  g_assert_nonnull (strstr (error->message, "epoch (\\d+)"));
  g_assert_nonnull (strstr (error->message, "\\2"));
  g_assert_cmpuint (tw_rule_set_get_n_rules (rules), ==, 0);
}

/* A pattern that backtracks exponentially gives up on the line instead of hanging. */
static void
test_rule_backtracking (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_strnfill (4000, 'a');
  static const char tail[] = "aaaa b";

  g_assert_true (tw_rule_set_add (rules, "^(\\w+\\s?)*$", TW_LEVEL_INFO, "x", &error));
  g_assert_no_error (error);
  tw_rule_set_line (rules, line, strlen (line), 0, out);
  g_assert_cmpuint (out->len, ==, 1);
  line[3990] = '!';
  tw_rule_set_line (rules, line, strlen (line), 0, out);
  g_assert_cmpuint (out->len, ==, 1);
  tw_rule_set_line (rules, tail, strlen (tail), 0, out);
  g_assert_cmpuint (out->len, ==, 2);
}

/* A line the pattern would match, but only after more backtracking than a rule is
 * allowed: the rule gives up on it (the same pattern matches a short line). */
static void
test_rule_match_limit (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GError) error = NULL;
  g_autofree char *as = g_strnfill (30, 'a');
  g_autofree char *line = g_strconcat (as, "b", NULL);
  static const char short_line[] = "aaab";

  g_assert_true (tw_rule_set_add (rules, "^(?:(a|aa)+c|a+b)", TW_LEVEL_INFO, "x", &error));
  g_assert_no_error (error);
  tw_rule_set_line (rules, line, strlen (line), 0, out);
  g_assert_cmpuint (out->len, ==, 0);
  tw_rule_set_line (rules, short_line, strlen (short_line), 0, out);
  g_assert_cmpuint (out->len, ==, 1);
}

/* A template that makes a huge message is cut, at a character boundary. */
static void
test_rule_long_message (void)
{
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) line = g_string_new ("x");
  const TwObservation *o;

  for (guint i = 0; i < 3000; i++)
    g_string_append (line, "\xc3\xa9");
  g_assert_true (tw_rule_set_add (rules, "x(.*)", TW_LEVEL_INFO, "-\\1", &error));
  tw_rule_set_line (rules, line->str, line->len, 0, out);
  g_assert_cmpuint (out->len, ==, 1);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (strlen (o->message), <=, 2048);
  g_assert_cmpuint (strlen (o->message), >=, 2046);
  g_assert_true (g_utf8_validate (o->message, -1, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rule_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/rule/%s", rule_cases[i].name);

      g_test_add_data_func (path, &rule_cases[i], test_rule_case);
    }
  for (guint i = 0; i < G_N_ELEMENTS (needle_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/rule/needles/%s", needle_cases[i].name);

      g_test_add_data_func (path, &needle_cases[i], test_rule_needles);
    }
  g_test_add_func ("/extract/rule/needles-union", test_rule_needles_union);
  g_test_add_func ("/extract/rule/find-needle", test_rule_find_needle);
  g_test_add_func ("/extract/rule/order", test_rule_order);
  g_test_add_func ("/extract/rule/invalid-pattern", test_rule_invalid_pattern);
  g_test_add_func ("/extract/rule/invalid-template", test_rule_invalid_template);
  g_test_add_func ("/extract/rule/invalid-utf8", test_rule_invalid_utf8);
  g_test_add_func ("/extract/rule/backtracking", test_rule_backtracking);
  g_test_add_func ("/extract/rule/match-limit", test_rule_match_limit);
  g_test_add_func ("/extract/rule/long-message", test_rule_long_message);

  return g_test_run ();
}
