/* test-keydoc.c — tests for TwKeyDoc: parsing, problems, in-place edits, byte-identical output
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "tw-keydoc.h"

/* a string literal and its length, NUL bytes included */
#define BYTES(literal) literal, sizeof (literal) - 1

static TwKeyDoc *
parse (const char *text)
{
  return tw_key_doc_new_from_data (text, strlen (text));
}

static void
assert_serialises_to (TwKeyDoc   *doc,
                      const char *expected,
                      gsize       expected_length)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  data = tw_key_doc_to_data (doc, &length);
  g_assert_cmpmem (data, length, expected, expected_length);
}

/* Round trip: anything parsed comes back byte for byte. */

typedef struct
{
  const char *name;
  const char *data;
  gsize       length;  /* 0: strlen (data) */
} RoundTripCase;

static const RoundTripCase round_trip_cases[] = {
  { "empty", "" },
  { "one-newline", "\n" },
  { "blank-lines", "\n\n\n" },
  { "simple", "[a]\nk = v\n" },
  { "no-final-newline", "[a]\nk = v" },
  { "crlf", "[a]\r\nk = v\r\n# c\r\n" },
  { "crlf-no-final-newline", "[a]\r\nk = v" },
  { "mixed-eol", "[a]\r\nk = v\n\r\n# c\n" },
  { "lone-cr", "[a]\rk = v\r" },
  { "whitespace", "  [ a ]  \n\t k\t=\t v \t\n   \n" },
  { "comments", "# one\n; two\n  # three\n[a]\n#k = v\n" },
  { "bom", "\xEF\xBB\xBF[a]\nk = v\n" },
  { "garbage", "what is this\n[unclosed\n=novalue\n[a]\n" },
  { "invalid-utf8", "[a]\nk = \xff\xfe\n" },
  { "nul-bytes", BYTES ("[a]\nk = v\0w\n\0\0\n") },
  { "empty-value", "[a]\nk =\nj=\n" },
  { "duplicate", "[a]\nk = 1\nk = 2\n[a]\nk = 3\n" },
};

static void
test_round_trip (gconstpointer data)
{
  const RoundTripCase *c = data;
  gsize length = c->length != 0 ? c->length : strlen (c->data);
  g_autoptr(TwKeyDoc) doc = NULL;

  doc = tw_key_doc_new_from_data (c->data, length);
  assert_serialises_to (doc, c->data, length);
}

static void
test_parse_lines (void)
{
  g_autoptr(TwKeyDoc) doc = NULL;
  const TwKeyDocLine *line;

  doc = parse ("# header\n"
               "\n"
               "[general]\n"
               "  snooze-minutes  =  60  \n"
               "; another comment\n"
               "[ desktop ]\r\n"
               "sound=true\r\n"
               "empty =\n"
               "spaced key = a = b");

  g_assert_cmpuint (tw_key_doc_get_n_lines (doc), ==, 9);
  g_assert_cmpuint (tw_key_doc_get_n_problems (doc), ==, 0);

  line = tw_key_doc_get_line (doc, 0);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_COMMENT);
  g_assert_cmpuint (line->line, ==, 1);
  g_assert_null (line->group);

  line = tw_key_doc_get_line (doc, 1);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_BLANK);

  line = tw_key_doc_get_line (doc, 2);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_GROUP);
  g_assert_cmpstr (line->group, ==, "general");
  g_assert_cmpuint (line->line, ==, 3);

  line = tw_key_doc_get_line (doc, 3);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_KEY);
  g_assert_cmpuint (line->line, ==, 4);
  g_assert_cmpstr (line->group, ==, "general");
  g_assert_cmpstr (line->key, ==, "snooze-minutes");
  g_assert_cmpstr (line->value, ==, "60");

  line = tw_key_doc_get_line (doc, 4);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_COMMENT);
  g_assert_cmpstr (line->group, ==, "general");

  line = tw_key_doc_get_line (doc, 5);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_GROUP);
  g_assert_cmpstr (line->group, ==, "desktop");

  line = tw_key_doc_get_line (doc, 6);
  g_assert_cmpint (line->kind, ==, TW_KEY_DOC_LINE_KEY);
  g_assert_cmpstr (line->group, ==, "desktop");
  g_assert_cmpstr (line->key, ==, "sound");
  g_assert_cmpstr (line->value, ==, "true");

  line = tw_key_doc_get_line (doc, 7);
  g_assert_cmpstr (line->key, ==, "empty");
  g_assert_cmpstr (line->value, ==, "");

  line = tw_key_doc_get_line (doc, 8);
  g_assert_cmpstr (line->key, ==, "spaced key");
  g_assert_cmpstr (line->value, ==, "a = b");
  g_assert_cmpuint (line->line, ==, 9);
}

static void
test_parse_bom (void)
{
  g_autoptr(TwKeyDoc) doc = parse ("\xEF\xBB\xBF[a]\nk = v\n");

  g_assert_cmpuint (tw_key_doc_get_n_problems (doc), ==, 0);
  g_assert_cmpint (tw_key_doc_get_line (doc, 0)->kind, ==, TW_KEY_DOC_LINE_GROUP);
  g_assert_cmpstr (tw_key_doc_get_value (doc, "a", "k", NULL), ==, "v");
}

/* Problems, with their lines. */

typedef struct
{
  TwKeyDocProblemKind kind;
  guint               line;
  const char         *group;
  const char         *key;
  guint               first_line;
} ExpectedProblem;

typedef struct
{
  const char      *name;
  const char      *data;
  gsize            length;  /* 0: strlen (data) */
  ExpectedProblem  problems[4];
  guint            n_problems;
} ProblemCase;

static const ProblemCase problem_cases[] = {
  {
    "none", "# c\n\n[a]\nk = v\n; c\n",
    .n_problems = 0,
  },
  {
    "not-a-key", "[a]\nk = v\njust words\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 3, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    "unclosed-group", "[a]\n\n[b\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 3, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    "empty-group", "[]\n[  ]\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 1, NULL, NULL, 0 },
                  { TW_KEY_DOC_PROBLEM_SYNTAX, 2, NULL, NULL, 0 } },
    .n_problems = 2,
  },
  {
    "group-trailing-text", "[a] x\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 1, NULL, NULL, 0 } },
    .n_problems = 1,
  },
  {
    "empty-key", "[a]\n = v\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 2, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    "locale-key", "[a]\nname[de] = v\n",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 2, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    "key-outside-group", "# c\nk = v\n[a]\nj = w\n",
    .problems = { { TW_KEY_DOC_PROBLEM_KEY_OUTSIDE_GROUP, 2, NULL, "k", 0 } },
    .n_problems = 1,
  },
  {
    "duplicate-key", "[a]\nk = 1\n\nk = 2\n",
    .problems = { { TW_KEY_DOC_PROBLEM_DUPLICATE_KEY, 4, "a", "k", 2 } },
    .n_problems = 1,
  },
  {
    "duplicate-key-repeated-group", "[a]\nk = 1\n[b]\nk = 2\n[a]\nk = 3\nk = 4\n",
    .problems = { { TW_KEY_DOC_PROBLEM_DUPLICATE_KEY, 6, "a", "k", 2 },
                  { TW_KEY_DOC_PROBLEM_DUPLICATE_KEY, 7, "a", "k", 2 } },
    .n_problems = 2,
  },
  {
    "crlf-line-numbers", "[a]\r\n\r\nbad\r\nk = v\r\nk = w",
    .problems = { { TW_KEY_DOC_PROBLEM_SYNTAX, 3, "a", NULL, 0 },
                  { TW_KEY_DOC_PROBLEM_DUPLICATE_KEY, 5, "a", "k", 4 } },
    .n_problems = 2,
  },
  {
    "invalid-utf8", "[a]\nk = \xc3\x28\nj = ok\n",
    .problems = { { TW_KEY_DOC_PROBLEM_NOT_TEXT, 2, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    "nul-byte", BYTES ("[a]\nk = v\0\nj = ok\n"),
    .problems = { { TW_KEY_DOC_PROBLEM_NOT_TEXT, 2, "a", NULL, 0 } },
    .n_problems = 1,
  },
  {
    /* only a file's first bytes are a byte order mark; elsewhere U+FEFF is part of
     * the key, which the config then reports as unknown */
    "bom-not-first-line", "[a]\n\xEF\xBB\xBFk = v\n",
    .n_problems = 0,
  },
};

static void
test_problems (gconstpointer data)
{
  const ProblemCase *c = data;
  gsize length = c->length != 0 ? c->length : strlen (c->data);
  g_autoptr(TwKeyDoc) doc = NULL;
  guint i;

  doc = tw_key_doc_new_from_data (c->data, length);
  g_assert_cmpuint (tw_key_doc_get_n_problems (doc), ==, c->n_problems);

  for (i = 0; i < c->n_problems; i++)
    {
      const TwKeyDocProblem *problem = tw_key_doc_get_problem (doc, i);
      const ExpectedProblem *expected = &c->problems[i];

      g_assert_cmpint (problem->kind, ==, expected->kind);
      g_assert_cmpuint (problem->line, ==, expected->line);
      g_assert_cmpstr (problem->group, ==, expected->group);
      g_assert_cmpstr (problem->key, ==, expected->key);
      g_assert_cmpuint (problem->first_line, ==, expected->first_line);
    }

  assert_serialises_to (doc, c->data, length);
}

static void
test_get_value (void)
{
  g_autoptr(TwKeyDoc) doc = NULL;
  guint line = 99;

  doc = parse ("k = outside\n"
               "[a]\n"
               "k = 1\n"
               "j =   spaced value  \n"
               "[b]\n"
               "k = other\n"
               "[a]\n"
               "k = 2\n");

  g_assert_cmpstr (tw_key_doc_get_value (doc, "a", "k", &line), ==, "2");
  g_assert_cmpuint (line, ==, 8);
  g_assert_cmpstr (tw_key_doc_get_value (doc, "a", "j", &line), ==, "spaced value");
  g_assert_cmpuint (line, ==, 4);
  g_assert_cmpstr (tw_key_doc_get_value (doc, "b", "k", NULL), ==, "other");
  g_assert_null (tw_key_doc_get_value (doc, "a", "missing", &line));
  g_assert_cmpuint (line, ==, 0);
  g_assert_null (tw_key_doc_get_value (doc, "c", "k", NULL));

  g_assert_true (tw_key_doc_has_group (doc, "a"));
  g_assert_true (tw_key_doc_has_group (doc, "b"));
  g_assert_false (tw_key_doc_has_group (doc, "c"));
}

/* Setting values: in place, uncommenting, appending, creating the group. */

typedef struct
{
  const char *name;
  const char *before;
  const char *group;
  const char *key;
  const char *value;
  const char *after;
} SetCase;

static const SetCase set_cases[] = {
  /* replacing in place */
  { "replace", "[a]\nk = 1\n", "a", "k", "2", "[a]\nk = 2\n" },
  { "replace-keeps-spacing", "[a]\n  k\t=  1   \n", "a", "k", "22", "[a]\n  k\t=  22   \n" },
  { "replace-no-spaces", "[a]\nk=1\n", "a", "k", "2", "[a]\nk=2\n" },
  { "replace-empty-value", "[a]\nk =\n", "a", "k", "2", "[a]\nk = 2\n" },
  { "replace-empty-value-tight", "[a]\nk=\n", "a", "k", "2", "[a]\nk=2\n" },
  { "replace-empty-value-space", "[a]\nk = \n", "a", "k", "2", "[a]\nk = 2\n" },
  { "replace-invalid-value", "[a]\nk = maybe\n", "a", "k", "true", "[a]\nk = true\n" },
  { "replace-keeps-comments",
    "# top\n[a]\n# about k\nk = 1 \n; after\n\n[b]\n# b\n",
    "a", "k", "5",
    "# top\n[a]\n# about k\nk = 5 \n; after\n\n[b]\n# b\n" },
  { "replace-last-duplicate", "[a]\nk = 1\nk = 2\n", "a", "k", "3", "[a]\nk = 1\nk = 3\n" },
  { "replace-crlf", "[a]\r\nk = 1\r\n", "a", "k", "2", "[a]\r\nk = 2\r\n" },
  { "replace-no-final-newline", "[a]\nk = 1", "a", "k", "2", "[a]\nk = 2" },
  { "replace-same-value", "[a]\nk = 1\n", "a", "k", "1", "[a]\nk = 1\n" },
  { "replace-not-other-group", "[b]\nk = 1\n[a]\nk = 1\n", "a", "k", "2",
    "[b]\nk = 1\n[a]\nk = 2\n" },
  { "replace-bom-first-line", "\xEF\xBB\xBFk = 1\n[a]\n", "a", "k", "2",
    "\xEF\xBB\xBFk = 1\n[a]\nk = 2\n" },

  /* uncommenting */
  { "uncomment-hash-space", "[a]\n# doc\n# k = 1\n", "a", "k", "2", "[a]\n# doc\nk = 2\n" },
  { "uncomment-hash", "[a]\n#k = 1\n", "a", "k", "2", "[a]\nk = 2\n" },
  { "uncomment-tight", "[a]\n#k=1\n", "a", "k", "2", "[a]\nk=2\n" },
  { "uncomment-first-of-two", "[a]\n# k = 1\n# k = 3\n", "a", "k", "2",
    "[a]\nk = 2\n# k = 3\n" },
  { "uncomment-crlf", "[a]\r\n# k = 1\r\n", "a", "k", "2", "[a]\r\nk = 2\r\n" },
  { "uncomment-not-two-spaces", "[a]\n#  k = 1\n", "a", "k", "2", "[a]\n#  k = 1\nk = 2\n" },
  { "uncomment-not-semicolon", "[a]\n; k = 1\n", "a", "k", "2", "[a]\n; k = 1\nk = 2\n" },
  { "uncomment-not-double-hash", "[a]\n## k = 1\n", "a", "k", "2", "[a]\n## k = 1\nk = 2\n" },
  { "uncomment-not-longer-key", "[a]\n# kk = 1\n# k-x = 1\n", "a", "k", "2",
    "[a]\n# kk = 1\n# k-x = 1\nk = 2\n" },
  { "uncomment-not-prose", "[a]\n# k is a key\n", "a", "k", "2",
    "[a]\n# k is a key\nk = 2\n" },
  { "uncomment-not-other-group", "[b]\n# k = 1\n[a]\n", "a", "k", "2",
    "[b]\n# k = 1\n[a]\nk = 2\n" },
  { "uncomment-not-before-groups", "# k = 1\n[a]\n", "a", "k", "2",
    "# k = 1\n[a]\nk = 2\n" },

  /* appending to the group */
  { "append", "[a]\nj = 1\n", "a", "k", "2", "[a]\nj = 1\nk = 2\n" },
  { "append-empty-group", "[a]\n", "a", "k", "2", "[a]\nk = 2\n" },
  { "append-before-blank-lines", "[a]\nj = 1\n\n\n[b]\n", "a", "k", "2",
    "[a]\nj = 1\nk = 2\n\n\n[b]\n" },
  { "append-before-next-group-comment", "[a]\nj = 1\n\n# about b\n[b]\n", "a", "k", "2",
    "[a]\nj = 1\nk = 2\n\n# about b\n[b]\n" },
  { "append-after-own-comment", "[a]\nj = 1\n# end of a\n\n[b]\n", "a", "k", "2",
    "[a]\nj = 1\n# end of a\nk = 2\n\n[b]\n" },
  { "append-last-group-trailing-blank", "[a]\nj = 1\n\n", "a", "k", "2",
    "[a]\nj = 1\nk = 2\n\n" },
  { "append-no-final-newline", "[a]\nj = 1", "a", "k", "2", "[a]\nj = 1\nk = 2" },
  { "append-crlf", "[a]\r\nj = 1\r\n\r\n[b]\r\n", "a", "k", "2",
    "[a]\r\nj = 1\r\nk = 2\r\n\r\n[b]\r\n" },
  { "append-last-section-of-group", "[a]\nj = 1\n[b]\n[a]\ni = 0\n[c]\n", "a", "k", "2",
    "[a]\nj = 1\n[b]\n[a]\ni = 0\nk = 2\n[c]\n" },

  /* creating the group */
  { "create-group-empty-doc", "", "a", "k", "2", "[a]\nk = 2\n" },
  { "create-group", "[b]\nj = 1\n", "a", "k", "2", "[b]\nj = 1\n\n[a]\nk = 2\n" },
  { "create-group-after-blank", "[b]\nj = 1\n\n", "a", "k", "2", "[b]\nj = 1\n\n[a]\nk = 2\n" },
  { "create-group-no-final-newline", "[b]\nj = 1", "a", "k", "2",
    "[b]\nj = 1\n\n[a]\nk = 2" },
  { "create-group-crlf", "[b]\r\nj = 1\r\n", "a", "k", "2",
    "[b]\r\nj = 1\r\n\r\n[a]\r\nk = 2\r\n" },
  { "create-group-comment-only", "# just a comment\n", "a", "k", "2",
    "# just a comment\n\n[a]\nk = 2\n" },
  { "create-group-key-outside", "k = 1\n", "a", "k", "2", "k = 1\n\n[a]\nk = 2\n" },
};

static void
test_set (gconstpointer data)
{
  const SetCase *c = data;
  g_autoptr(TwKeyDoc) doc = NULL;
  g_autoptr(TwKeyDoc) reparsed = NULL;
  g_autofree char *text = NULL;
  guint line = 0;
  guint i;

  doc = parse (c->before);
  tw_key_doc_set_value (doc, c->group, c->key, c->value);
  assert_serialises_to (doc, c->after, strlen (c->after));

  /* the document is re-analysed: lookups and line numbers follow the edit */
  g_assert_cmpstr (tw_key_doc_get_value (doc, c->group, c->key, &line), ==, c->value);
  g_assert_cmpuint (line, >, 0);
  g_assert_cmpint (tw_key_doc_get_line (doc, line - 1)->kind, ==, TW_KEY_DOC_LINE_KEY);
  for (i = 0; i < tw_key_doc_get_n_lines (doc); i++)
    g_assert_cmpuint (tw_key_doc_get_line (doc, i)->line, ==, i + 1);

  /* and agrees with parsing the result afresh */
  text = tw_key_doc_to_data (doc, NULL);
  reparsed = parse (text);
  g_assert_cmpstr (tw_key_doc_get_value (reparsed, c->group, c->key, NULL), ==, c->value);
  g_assert_cmpuint (tw_key_doc_get_n_lines (reparsed), ==, tw_key_doc_get_n_lines (doc));
  g_assert_cmpuint (tw_key_doc_get_n_problems (reparsed), ==, tw_key_doc_get_n_problems (doc));
}

static void
test_set_twice (void)
{
  g_autoptr(TwKeyDoc) doc = parse ("[b]\nj = 1");

  tw_key_doc_set_value (doc, "a", "k", "1");
  tw_key_doc_set_value (doc, "a", "l", "2");
  tw_key_doc_set_value (doc, "a", "k", "3");
  tw_key_doc_set_value (doc, "b", "j", "4");

  assert_serialises_to (doc, BYTES ("[b]\nj = 4\n\n[a]\nk = 3\nl = 2"));
  g_assert_cmpuint (tw_key_doc_get_n_problems (doc), ==, 0);
}

static void
test_set_keeps_other_problems (void)
{
  g_autoptr(TwKeyDoc) doc = parse ("[a]\nbad line\nk = 1\n");
  const TwKeyDocProblem *problem;

  tw_key_doc_set_value (doc, "a", "j", "2");
  assert_serialises_to (doc, BYTES ("[a]\nbad line\nk = 1\nj = 2\n"));

  g_assert_cmpuint (tw_key_doc_get_n_problems (doc), ==, 1);
  problem = tw_key_doc_get_problem (doc, 0);
  g_assert_cmpint (problem->kind, ==, TW_KEY_DOC_PROBLEM_SYNTAX);
  g_assert_cmpuint (problem->line, ==, 2);
}

static void
test_names (void)
{
  g_assert_true (tw_key_doc_is_group_name ("desktop"));
  g_assert_true (tw_key_doc_is_group_name ("a b"));
  g_assert_false (tw_key_doc_is_group_name (""));
  g_assert_false (tw_key_doc_is_group_name (" a"));
  g_assert_false (tw_key_doc_is_group_name ("a]"));
  g_assert_false (tw_key_doc_is_group_name ("a\nb"));

  g_assert_true (tw_key_doc_is_key_name ("min-level"));
  g_assert_false (tw_key_doc_is_key_name (""));
  g_assert_false (tw_key_doc_is_key_name ("a=b"));
  g_assert_false (tw_key_doc_is_key_name ("#a"));
  g_assert_false (tw_key_doc_is_key_name (";a"));
  g_assert_false (tw_key_doc_is_key_name ("a[de]"));
  g_assert_false (tw_key_doc_is_key_name ("a "));
}

static void
test_set_invalid_value (void)
{
  g_autoptr(TwKeyDoc) doc = parse ("[a]\nk = 1\n");

  /* a newline in a value would change the document's structure */
  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  tw_key_doc_set_value (doc, "a", "k", "1\nj = 2");
  g_test_assert_expected_messages ();

  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  tw_key_doc_set_value (doc, "a", "k=", "1");
  g_test_assert_expected_messages ();

  assert_serialises_to (doc, BYTES ("[a]\nk = 1\n"));
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/keydoc/round-trip/%s", round_trip_cases[i].name);

      g_test_add_data_func (path, &round_trip_cases[i], test_round_trip);
    }

  g_test_add_func ("/keydoc/parse/lines", test_parse_lines);
  g_test_add_func ("/keydoc/parse/bom", test_parse_bom);

  for (i = 0; i < G_N_ELEMENTS (problem_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/keydoc/problems/%s", problem_cases[i].name);

      g_test_add_data_func (path, &problem_cases[i], test_problems);
    }

  g_test_add_func ("/keydoc/get-value", test_get_value);

  for (i = 0; i < G_N_ELEMENTS (set_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/keydoc/set/%s", set_cases[i].name);

      g_test_add_data_func (path, &set_cases[i], test_set);
    }

  g_test_add_func ("/keydoc/set/twice", test_set_twice);
  g_test_add_func ("/keydoc/set/keeps-other-problems", test_set_keeps_other_problems);
  g_test_add_func ("/keydoc/set/invalid-arguments", test_set_invalid_value);
  g_test_add_func ("/keydoc/names", test_names);

  return g_test_run ();
}
