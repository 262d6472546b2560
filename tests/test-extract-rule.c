/* test-extract-rule.c — the user's own rules: pattern, level, message template
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
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
  g_test_add_func ("/extract/rule/order", test_rule_order);
  g_test_add_func ("/extract/rule/invalid-pattern", test_rule_invalid_pattern);
  g_test_add_func ("/extract/rule/invalid-template", test_rule_invalid_template);
  g_test_add_func ("/extract/rule/invalid-utf8", test_rule_invalid_utf8);
  g_test_add_func ("/extract/rule/backtracking", test_rule_backtracking);
  g_test_add_func ("/extract/rule/match-limit", test_rule_match_limit);
  g_test_add_func ("/extract/rule/long-message", test_rule_long_message);

  return g_test_run ();
}
