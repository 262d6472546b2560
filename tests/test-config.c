/* test-config.c — tests for TwConfig: default file, validation, problems, saving, reloading
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "tw-config.h"
#include "tw-config-schema.h"
#include "tw-event.h"
#include "tw-test-util.h"

/* Messages the config logged with g_message(), captured so tests can count them. */
static GPtrArray *logged;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;
  gsize i;

  if ((log_level & G_LOG_LEVEL_MASK) != G_LOG_LEVEL_MESSAGE)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  for (i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if (g_strcmp0 (domain, "tw-app") != 0 || message == NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  g_ptr_array_add (logged, g_strdup (message));

  return G_LOG_WRITER_HANDLED;
}

/* A file's bytes and identity, to prove a load or a failed save left it alone. */
typedef struct
{
  GBytes *contents;
  ino_t   inode;
  gint64  mtime_ns;
  mode_t  mode;
} Snapshot;

static void
snapshot_clear (Snapshot *snapshot)
{
  g_clear_pointer (&snapshot->contents, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Snapshot, snapshot_clear)

static char *
config_path (void)
{
  return tw_config_dup_default_path ();
}

static void
write_file (const char *path,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  struct utimbuf times = { .actime = 1000000000, .modtime = 1000000000 };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  /* an old mtime, so that any rewrite shows */
  g_assert_cmpint (g_utime (path, &times), ==, 0);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static void
take_snapshot (const char *path,
               Snapshot   *snapshot)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;
  struct stat st;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stat (path, &st), ==, 0);

  snapshot->contents = g_bytes_new_take (contents, length);
  snapshot->inode = st.st_ino;
  snapshot->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                       + st.st_mtim.tv_nsec;
  snapshot->mode = st.st_mode;
}

static void
assert_unchanged (const char     *path,
                  const Snapshot *before)
{
  g_auto(Snapshot) after = { 0, };

  take_snapshot (path, &after);
  g_assert_cmpmem (g_bytes_get_data (after.contents, NULL), g_bytes_get_size (after.contents),
                   g_bytes_get_data (before->contents, NULL),
                   g_bytes_get_size (before->contents));
  g_assert_cmpuint (after.inode, ==, before->inode);
  g_assert_cmpint (after.mtime_ns, ==, before->mtime_ns);
  g_assert_cmpuint (after.mode, ==, before->mode);
}

static void
config_changed_cb (TwConfig *config,
                   guint    *count)
{
  (*count)++;
}

/* Writes @text as the config file and loads it; NULL leaves the file as it is. */
static TwConfig *
load_config (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;

  if (text != NULL)
    write_file (path, text, -1);

  config = tw_config_new (NULL);
  g_assert_true (tw_config_load (config, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&config);
}

static void
assert_all_defaults (TwConfig *config)
{
  const TwConfigKey *keys;
  guint n_keys;
  guint i;

  keys = tw_config_schema_get_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *value = tw_config_dup_value (config, keys[i].group, keys[i].key);

      g_assert_cmpstr (value, ==, keys[i].default_value);
    }
}

static void
assert_no_problems (TwConfig *config)
{
  GPtrArray *problems = tw_config_get_problems (config);

  if (problems->len > 0)
    g_test_message ("first problem: %s",
                    ((TwConfigProblem *) g_ptr_array_index (problems, 0))->message);
  g_assert_cmpuint (problems->len, ==, 0);
}

static char *
replace (const char *text,
         const char *old,
         const char *new)
{
  const char *found = strstr (text, old);

  g_assert_nonnull (found);
  g_assert_null (strstr (found + 1, old));

  return g_strdup_printf ("%.*s%s%s", (int) (found - text), text, new, found + strlen (old));
}

static void
test_default_path (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *expected = NULL;
  g_autoptr(TwConfig) config = NULL;

  expected = g_build_filename (g_get_user_config_dir (), "trainwatch", "trainwatch.conf", NULL);
  g_assert_cmpstr (path, ==, expected);

  config = tw_config_new (NULL);
  g_assert_cmpstr (tw_config_get_path (config), ==, expected);
}

static void
test_load_creates_default (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Snapshot) before = { 0, };
  g_auto(GStrv) lines = NULL;
  const TwConfigKey *keys;
  guint n_keys;
  guint i;

  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  config = tw_config_new (NULL);
  g_assert_true (tw_config_load (config, &error));
  g_assert_no_error (error);

  contents = read_file (path);
  expected = tw_config_schema_dup_default_text ();
  g_assert_cmpstr (contents, ==, expected);

  /* says what it is and that the daemon reloads it */
  g_assert_true (g_str_has_prefix (contents, "# Trainwatch settings.\n"));
  g_assert_nonnull (strstr (contents, "reloads it"));

  /* every key, commented out at its default, after its description */
  lines = g_strsplit (contents, "\n", -1);
  keys = tw_config_schema_get_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *group_line = g_strdup_printf ("[%s]", keys[i].group);
      g_autofree char *key_line = g_strdup_printf ("# %s = %s", keys[i].key,
                                                   keys[i].default_value);
      gboolean in_group = FALSE;
      gboolean found = FALSE;
      guint l;

      for (l = 0; lines[l] != NULL; l++)
        {
          if (lines[l][0] == '[')
            in_group = strcmp (lines[l], group_line) == 0;
          if (in_group && strcmp (lines[l], key_line) == 0)
            {
              found = TRUE;
              g_assert_cmpuint (l, >=, 2);
              g_assert_true (g_str_has_prefix (lines[l - 1], "# "));
              g_assert_true (g_str_has_prefix (lines[l - 2], "# "));
              break;
            }
        }

      if (!found)
        g_test_message ("“%s” not found in [%s]", key_line, keys[i].group);
      g_assert_true (found);
    }

  assert_no_problems (config);
  assert_all_defaults (config);
  g_clear_object (&config);

  /* loading it again: no problems, and the file is left alone */
  take_snapshot (path, &before);
  config = load_config (NULL);
  assert_no_problems (config);
  assert_all_defaults (config);
  assert_unchanged (path, &before);
}

/* The commented-out defaults are valid once uncommented, and are the defaults. */
static void
test_load_default_uncommented (void)
{
  g_autofree char *text = tw_config_schema_dup_default_text ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autofree char *uncommented = NULL;
  const TwConfigKey *keys;
  guint n_keys;
  guint i;

  regex = g_regex_new ("^# ([a-z-]+ = )", G_REGEX_MULTILINE, 0, NULL);
  uncommented = g_regex_replace (regex, text, -1, 0, "\\1", 0, NULL);
  keys = tw_config_schema_get_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s = %s\n", keys[i].key,
                                               keys[i].default_value);

      g_assert_nonnull (strstr (uncommented, line));
    }

  config = load_config (uncommented);
  assert_no_problems (config);
  assert_all_defaults (config);
}

static void
test_load_values (void)
{
  g_autoptr(TwConfig) config = NULL;
  g_autofree char *value = NULL;

  config = load_config ("# my settings\n"
                        "[general]\n"
                        "snooze-minutes = 15\n"
                        "\n"
                        "[desktop]\n"
                        "enabled = False\n"
                        "sound=0\n"
                        "min-level = WARNING\n"
                        "[history]\n"
                        "  max-size-kib = 64  \n"
                        "keep-files = +20\n");

  assert_no_problems (config);
  g_assert_cmpint (tw_config_get_int (config, "general", "snooze-minutes"), ==, 15);
  g_assert_false (tw_config_get_boolean (config, "desktop", "enabled"));
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
  g_assert_cmpstr (tw_config_get_string (config, "desktop", "min-level"), ==, "warning");
  g_assert_cmpint (tw_config_get_int (config, "desktop", "min-level"), ==, 2);
  g_assert_cmpint (tw_config_get_int (config, "history", "max-size-kib"), ==, 64);
  g_assert_cmpint (tw_config_get_int (config, "history", "keep-files"), ==, 20);

  value = tw_config_dup_value (config, "desktop", "enabled");
  g_assert_cmpstr (value, ==, "false");
}

/* One problem in a file, named with file, line and key; the default is used. */

typedef struct
{
  const char *name;
  const char *text;
  guint       line;
  const char *group;          /* of the problem */
  const char *key;            /* of the problem */
  const char *fragments[4];   /* in the message, in this order */
  const char *check_group;    /* a key whose value is then checked, or NULL */
  const char *check_key;
  const char *check_value;
} ProblemCase;

static const ProblemCase problem_cases[] = {
  {
    "invalid-time-ranges", "[notifications]\nquiet-hours = 22:00-7\n",
    2, "notifications", "quiet-hours",
    { "“22:00-7”", "“quiet-hours”", "ranges of time such as 22:00-07:30" },
    "notifications", "quiet-hours", "",
  },
  {
    "empty-time-range", "[notifications]\nquiet-hours = 08:00-08:00\n",
    2, "notifications", "quiet-hours",
    { "“08:00-08:00”", "“quiet-hours”" },
    "notifications", "quiet-hours", "",
  },
  {
    "invalid-boolean", "[desktop]\nsound = maybe\n",
    2, "desktop", "sound",
    { "invalid value “maybe” for key “sound” in group [desktop]: expected true or false; "
      "using the default (true)" },
    "desktop", "sound", "true",
  },
  {
    "invalid-int", "[general]\n# how long\nsnooze-minutes = soon\n",
    3, "general", "snooze-minutes",
    { "“soon”", "“snooze-minutes”", "[general]", "expected a whole number from 1 to 1440" },
    "general", "snooze-minutes", "60",
  },
  {
    "int-with-unit", "[general]\nsnooze-minutes = 30m\n",
    2, "general", "snooze-minutes",
    { "“30m”", "“snooze-minutes”", "using the default (60)" },
    "general", "snooze-minutes", "60",
  },
  {
    "int-too-big", "[history]\nmax-size-kib = 2000000\n",
    2, "history", "max-size-kib",
    { "“2000000”", "“max-size-kib”", "from 64 to 1048576", "default (4096)" },
    "history", "max-size-kib", "4096",
  },
  {
    "int-too-small", "[general]\nsnooze-minutes = 0\n",
    2, "general", "snooze-minutes",
    { "“0”", "“snooze-minutes”", "from 1 to 1440" },
    "general", "snooze-minutes", "60",
  },
  {
    "int-overflow", "[history]\nkeep-files = 99999999999999999999999\n",
    2, "history", "keep-files",
    { "“99999999999999999999999”", "“keep-files”", "from 0 to 20" },
    "history", "keep-files", "2",
  },
  {
    "invalid-enum", "[desktop]\nmin-level = loud\n",
    2, "desktop", "min-level",
    { "“loud”", "“min-level”",
      "expected one of info, success, warning, error, critical", "default (info)" },
    "desktop", "min-level", "info",
  },
  {
    "empty-value", "[desktop]\nenabled =\n",
    2, "desktop", "enabled",
    { "invalid value “” for key “enabled”" },
    "desktop", "enabled", "true",
  },
  {
    "long-value-shortened", "[desktop]\nsound = "
    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n",
    2, "desktop", "sound",
    { "“yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…”" },
    "desktop", "sound", "true",
  },
  {
    "unknown-key", "[desktop]\nenabled = false\nvolume = 11\n",
    3, "desktop", "volume",
    { "unknown key “volume” in group [desktop]" },
    "desktop", "enabled", "false",
  },
  {
    "unknown-group", "[desktop]\nsound = false\n\n[emial]\nto = me\nfrom = you\n",
    4, "emial", NULL,
    { "unknown group [emial]" },
    "desktop", "sound", "false",
  },
  {
    "syntax", "[desktop]\nsound false\nenabled = false\n",
    2, "desktop", NULL,
    { "cannot read this line" },
    "desktop", "enabled", "false",
  },
  {
    "key-outside-group", "# comment\nsound = false\n[desktop]\n",
    2, NULL, "sound",
    { "key “sound” comes before any [group] line" },
    "desktop", "sound", "true",
  },
  {
    "duplicate-key", "[desktop]\nsound = false\n[general]\n[desktop]\nsound = true\n",
    5, "desktop", "sound",
    { "key “sound” in group [desktop] is already set on line 2" },
    "desktop", "sound", "true",
  },
  {
    "duplicate-key-invalid-first", "[desktop]\nsound = maybe\nsound = false\n",
    3, "desktop", "sound",
    { "already set on line 2" },
    "desktop", "sound", "false",
  },
  {
    "not-utf8", "[desktop]\nsound = \xe9t\xe9\nenabled = false\n",
    2, "desktop", NULL,
    { "not UTF-8 text" },
    "desktop", "enabled", "false",
  },
  {
    "crlf", "# c\r\n[desktop]\r\n\r\nsound = maybe\r\nenabled = false\r\n",
    4, "desktop", "sound",
    { "“maybe”", "“sound”" },
    "desktop", "enabled", "false",
  },
  {
    "no-final-newline", "[desktop]\nenabled = false\nsound = maybe",
    3, "desktop", "sound",
    { "“maybe”", "“sound”" },
    "desktop", "enabled", "false",
  },
};

static void
test_load_problem (gconstpointer data)
{
  const ProblemCase *c = data;
  g_autofree char *path = config_path ();
  g_autofree char *prefix = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_auto(Snapshot) before = { 0, };
  const TwConfigProblem *problem;
  GPtrArray *problems;
  const char *rest;
  guint i;

  write_file (path, c->text, -1);
  take_snapshot (path, &before);
  g_ptr_array_set_size (logged, 0);

  config = load_config (NULL);
  problems = tw_config_get_problems (config);
  g_assert_cmpuint (problems->len, ==, 1);
  problem = g_ptr_array_index (problems, 0);

  g_assert_cmpstr (problem->file, ==, path);
  g_assert_cmpuint (problem->line, ==, c->line);
  g_assert_cmpstr (problem->group, ==, c->group);
  g_assert_cmpstr (problem->key, ==, c->key);

  /* the message starts with file:line, then says what and where */
  prefix = g_strdup_printf ("%s:%u: ", path, c->line);
  g_assert_true (g_str_has_prefix (problem->message, prefix));
  rest = problem->message + strlen (prefix);
  for (i = 0; i < G_N_ELEMENTS (c->fragments) && c->fragments[i] != NULL; i++)
    {
      const char *found = strstr (rest, c->fragments[i]);

      if (found == NULL)
        g_test_message ("“%s” not in “%s”", c->fragments[i], problem->message);
      g_assert_nonnull (found);
      rest = found + strlen (c->fragments[i]);
    }

  /* logged once */
  g_assert_cmpuint (logged->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (logged, 0), ==, problem->message);

  if (c->check_group != NULL)
    {
      g_autofree char *value = tw_config_dup_value (config, c->check_group, c->check_key);

      g_assert_cmpstr (value, ==, c->check_value);
    }

  assert_unchanged (path, &before);
}

/* The example from the design, word for word. */
static void
test_load_problem_message (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *expected = NULL;
  g_autoptr(TwConfig) config = NULL;
  const TwConfigProblem *problem;

  config = load_config ("[desktop]\n\n\n\n\n\n\n\n\n\n\nsound = maybe\n");
  g_assert_cmpuint (tw_config_get_problems (config)->len, ==, 1);
  problem = g_ptr_array_index (tw_config_get_problems (config), 0);

  expected = g_strdup_printf ("%s:12: invalid value “maybe” for key “sound” in group "
                              "[desktop]: expected true or false; using the default (true)",
                              path);
  g_assert_cmpstr (problem->message, ==, expected);
  g_assert_true (tw_config_get_boolean (config, "desktop", "sound"));
}

static void
test_load_problems_sorted (void)
{
  g_autoptr(TwConfig) config = NULL;
  GPtrArray *problems;
  guint i;

  config = load_config ("stray = 1\n"
                        "[desktop]\n"
                        "sound = maybe\n"
                        "junk\n"
                        "[nope]\n"
                        "min-level = loud\n"
                        "[desktop]\n"
                        "min-level = loud\n"
                        "volume = 3\n"
                        "sound = maybe\n");

  problems = tw_config_get_problems (config);
  for (i = 0; i < problems->len; i++)
    g_test_message ("%s", ((TwConfigProblem *) g_ptr_array_index (problems, i))->message);

  /* line 3 is shadowed by line 10: only the duplicate and line 10 are reported */
  g_assert_cmpuint (problems->len, ==, 7);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 0))->line, ==, 1);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 1))->line, ==, 4);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 2))->line, ==, 5);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 3))->line, ==, 8);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 4))->line, ==, 9);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 5))->line, ==, 10);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 6))->line, ==, 10);
  assert_all_defaults (config);
}

static void
test_load_many_problems (void)
{
  g_autoptr(GString) text = g_string_new ("[desktop]\n");
  g_autoptr(TwConfig) config = NULL;
  const TwConfigProblem *last;
  GPtrArray *problems;
  guint i;

  for (i = 0; i < 200; i++)
    g_string_append (text, "this is not a setting\n");

  g_ptr_array_set_size (logged, 0);
  config = load_config (text->str);
  problems = tw_config_get_problems (config);
  g_assert_cmpuint (problems->len, ==, 51);
  g_assert_cmpuint (((TwConfigProblem *) g_ptr_array_index (problems, 49))->line, ==, 51);

  last = g_ptr_array_index (problems, 50);
  g_assert_cmpuint (last->line, ==, 0);
  g_assert_nonnull (strstr (last->message, "150 more problems are not listed"));
  g_assert_cmpuint (logged->len, ==, 51);
}

/* A file that is not read at all: a problem without a line, every default, and no
 * edits either. */
static void
assert_not_read (const char *text,
                 gsize       length,
                 const char *fragment)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Snapshot) before = { 0, };
  const TwConfigProblem *problem;

  write_file (path, text, length);
  take_snapshot (path, &before);

  config = load_config (NULL);
  g_assert_cmpuint (tw_config_get_problems (config)->len, ==, 1);
  problem = g_ptr_array_index (tw_config_get_problems (config), 0);
  g_assert_cmpuint (problem->line, ==, 0);
  g_assert_true (g_str_has_prefix (problem->message, path));
  if (strstr (problem->message, fragment) == NULL)
    g_test_message ("“%s” not in “%s”", fragment, problem->message);
  g_assert_nonnull (strstr (problem->message, fragment));
  assert_all_defaults (config);

  g_assert_false (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, fragment));
  assert_unchanged (path, &before);
  g_assert_true (tw_config_get_boolean (config, "desktop", "sound"));
}

static void
test_load_binary (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  char data[4096];
  guint i;

  for (i = 0; i < sizeof data; i++)
    data[i] = g_rand_int_range (rand, 0, 256);
  data[100] = '\0';

  assert_not_read (data, sizeof data, "not a text file");
}

static void
test_load_too_large (void)
{
  g_autoptr(GString) text = g_string_new ("[desktop]\nsound = false\n");

  while (text->len <= 2 * 1024 * 1024)
    g_string_append (text, "# a very long comment, repeated until the file is too big\n");

  /* g_format_size() puts a no-break space before the unit */
  assert_not_read (text->str, text->len, "larger than 1.0\u00a0MiB");
}

static void
test_load_too_many_lines (void)
{
  g_autoptr(GString) text = g_string_new ("[desktop]\nsound = false\n");
  g_autoptr(TwConfig) config = NULL;
  guint i;

  /* at the limit, the file is read */
  for (i = 2; i < 10000; i++)
    g_string_append_c (text, '\n');
  config = load_config (text->str);
  assert_no_problems (config);
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));

  g_string_append_c (text, '\n');
  assert_not_read (text->str, text->len, "more than 10000 lines");
}

static void
test_load_directory (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);

  config = tw_config_new (NULL);
  g_assert_false (tw_config_load (config, &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  assert_all_defaults (config);
}

static void
test_load_fifo (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);

  /* must not wait for a writer */
  config = tw_config_new (NULL);
  g_assert_false (tw_config_load (config, &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO);
}

static void
test_load_unreadable (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  if (geteuid () == 0)
    {
      g_test_skip ("root can read any file");
      return;
    }

  write_file (path, "[desktop]\nsound = false\n", -1);
  g_assert_cmpint (g_chmod (path, 0), ==, 0);

  config = tw_config_new (NULL);
  g_assert_false (tw_config_load (config, &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO);
}

static void
test_load_cannot_create (void)
{
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = g_build_filename (g_get_user_config_dir (), "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "trainwatch.conf", NULL);

  /* the directory cannot be created: a file is in its place */
  write_file (blocker, "", 0);

  config = tw_config_new (path);
  g_assert_false (tw_config_load (config, &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO);
}

static void
test_load_dangling_symlink (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *target = g_build_filename (g_get_user_config_dir (), "dotfiles",
                                              "trainwatch.conf", NULL);
  g_autofree char *link = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = tw_config_schema_dup_default_text ();
  g_autoptr(TwConfig) config = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink ("../dotfiles/trainwatch.conf", path), ==, 0);

  config = load_config (NULL);
  assert_no_problems (config);

  link = g_file_read_link (path, NULL);
  g_assert_cmpstr (link, ==, "../dotfiles/trainwatch.conf");
  contents = read_file (target);
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_load_problems_replaced (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  g_ptr_array_set_size (logged, 0);
  config = load_config ("[desktop]\nsound = maybe\n");
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), &changed);
  g_assert_cmpuint (tw_config_get_problems (config)->len, ==, 1);
  g_assert_cmpuint (logged->len, ==, 1);

  /* the same problem again is not logged again */
  write_file (path, "[desktop]\nsound = maybe\nenabled = true\n", -1);
  g_assert_true (tw_config_load (config, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tw_config_get_problems (config)->len, ==, 1);
  g_assert_cmpuint (logged->len, ==, 1);
  g_assert_cmpuint (changed, ==, 0);

  write_file (path, "[desktop]\nsound = false\n", -1);
  g_assert_true (tw_config_load (config, &error));
  g_assert_no_error (error);
  assert_no_problems (config);
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (logged->len, ==, 1);

  g_assert_finalize_object (g_steal_pointer (&config));
}

static void
test_get_unknown_key (void)
{
  g_autoptr(TwConfig) config = tw_config_new (NULL);

  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*no key “volume” in group [desktop]*");
  g_assert_false (tw_config_get_boolean (config, "desktop", "volume"));
  g_test_assert_expected_messages ();

  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*another type*");
  g_assert_cmpint (tw_config_get_int (config, "desktop", "sound"), ==, 0);
  g_test_assert_expected_messages ();

  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*another type*");
  g_assert_null (tw_config_get_string (config, "general", "snooze-minutes"));
  g_test_assert_expected_messages ();
}

/* Setting values: the file changes only where it must. */

static void
test_set_uncomments_default (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *default_text = tw_config_schema_dup_default_text ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  config = load_config (NULL);
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), &changed);

  g_assert_true (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
  g_assert_cmpuint (changed, ==, 1);

  contents = read_file (path);
  expected = replace (default_text, "\n# sound = true\n", "\nsound = false\n");
  g_assert_cmpstr (contents, ==, expected);

  /* setting it again edits the same line */
  g_clear_pointer (&contents, g_free);
  g_clear_pointer (&expected, g_free);
  g_assert_true (tw_config_set_value (config, "desktop", "sound", "true", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 2);
  contents = read_file (path);
  expected = replace (default_text, "\n# sound = true\n", "\nsound = true\n");
  g_assert_cmpstr (contents, ==, expected);

  assert_no_problems (config);
  g_assert_finalize_object (g_steal_pointer (&config));
}

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
  {
    "normalizes-time-ranges",
    "[notifications]\nquiet-hours = 12:00-13:00\n",
    "notifications", "quiet-hours", " 7:00 - 9:30,22:00-24:00 ",
    "[notifications]\nquiet-hours = 07:00-09:30, 22:00-00:00\n",
  },
  {
    "keeps-comments",
    "# My settings, do not lose this comment\n"
    "\n"
    "[desktop]   \n"
    "; the sound drives me mad\n"
    "sound   =   true   \n"
    "\n"
    "# history is fine\n"
    "[history]\n"
    "keep-files=3\n",
    "desktop", "sound", "false",
    "# My settings, do not lose this comment\n"
    "\n"
    "[desktop]   \n"
    "; the sound drives me mad\n"
    "sound   =   false   \n"
    "\n"
    "# history is fine\n"
    "[history]\n"
    "keep-files=3\n",
  },
  {
    "replaces-invalid-value",
    "[general]\nsnooze-minutes = forever\n",
    "general", "snooze-minutes", "120",
    "[general]\nsnooze-minutes = 120\n",
  },
  {
    "normalizes",
    "[desktop]\nmin-level = info\n",
    "desktop", "min-level", " Warning ",
    "[desktop]\nmin-level = warning\n",
  },
  {
    "appends-to-group",
    "[desktop]\nenabled = true\n\n# about history\n[history]\n",
    "desktop", "min-level", "error",
    "[desktop]\nenabled = true\nmin-level = error\n\n# about history\n[history]\n",
  },
  {
    "creates-group",
    "[desktop]\nenabled = true\n",
    "history", "keep-files", "5",
    "[desktop]\nenabled = true\n\n[history]\nkeep-files = 5\n",
  },
  {
    "crlf",
    "[desktop]\r\nenabled = true\r\n",
    "history", "keep-files", "5",
    "[desktop]\r\nenabled = true\r\n\r\n[history]\r\nkeep-files = 5\r\n",
  },
  {
    "no-final-newline",
    "[general]\nsnooze-minutes = 5",
    "general", "snooze-minutes", "6",
    "[general]\nsnooze-minutes = 6",
  },
  {
    "keeps-other-problems",
    "[desktop]\nsound = maybe\nwhat\n[nope]\nx = 1\n",
    "desktop", "enabled", "false",
    "[desktop]\nsound = maybe\nwhat\nenabled = false\n[nope]\nx = 1\n",
  },
  {
    "empty-file",
    "",
    "desktop", "enabled", "false",
    "[desktop]\nenabled = false\n",
  },
};

static void
test_set (gconstpointer data)
{
  const SetCase *c = data;
  g_autofree char *path = config_path ();
  g_autofree char *contents = NULL;
  g_autofree char *value = NULL;
  g_autofree char *expected_value = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  guint n_keys;
  const TwConfigKey *keys = tw_config_schema_get_keys (&n_keys);
  const TwConfigKey *key;

  config = load_config (c->before);
  g_assert_true (tw_config_set_value (config, c->group, c->key, c->value, &error));
  g_assert_no_error (error);

  contents = read_file (path);
  g_assert_cmpstr (contents, ==, c->after);

  /* the value as the file now has it: normalized */
  value = tw_config_dup_value (config, c->group, c->key);
  key = &keys[tw_config_schema_find_key (c->group, c->key)];
  expected_value = tw_config_key_dup_normalized (key, c->value);
  g_assert_cmpstr (value, ==, expected_value);
}

typedef struct
{
  const char   *name;
  const char   *group;
  const char   *key;
  const char   *value;
  TwConfigError code;
  const char   *fragment;  /* in the error message */
} SetErrorCase;

static const SetErrorCase set_error_cases[] = {
  { "invalid-boolean", "desktop", "sound", "maybe", TW_CONFIG_ERROR_INVALID_VALUE,
    "Invalid value “maybe” for key “sound” in group [desktop]: expected true or false" },
  { "invalid-int", "general", "snooze-minutes", "soon", TW_CONFIG_ERROR_INVALID_VALUE,
    "expected a whole number from 1 to 1440" },
  { "int-out-of-range", "history", "keep-files", "21", TW_CONFIG_ERROR_INVALID_VALUE,
    "“21” for key “keep-files”" },
  { "invalid-enum", "desktop", "min-level", "loud", TW_CONFIG_ERROR_INVALID_VALUE,
    "expected one of info, success" },
  { "newline", "desktop", "min-level", "info\n[general]", TW_CONFIG_ERROR_INVALID_VALUE,
    "“min-level”" },
  { "empty", "desktop", "enabled", "", TW_CONFIG_ERROR_INVALID_VALUE, "“enabled”" },
  { "invalid-time-ranges", "notifications", "quiet-hours", "25:00-01:00",
    TW_CONFIG_ERROR_INVALID_VALUE, "expected ranges of time such as 22:00-07:30" },
  { "unknown-key", "desktop", "volume", "11", TW_CONFIG_ERROR_UNKNOWN_KEY,
    "“volume” in group [desktop]" },
  { "unknown-group", "emial", "to", "me", TW_CONFIG_ERROR_UNKNOWN_KEY, "[emial]" },
};

static void
test_set_error (gconstpointer data)
{
  const SetErrorCase *c = data;
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Snapshot) before = { 0, };
  guint changed = 0;

  config = load_config ("# mine\n[desktop]\nsound = false\n");
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), &changed);
  take_snapshot (path, &before);

  g_assert_false (tw_config_set_value (config, c->group, c->key, c->value, &error));
  g_assert_error (error, TW_CONFIG_ERROR, c->code);
  if (strstr (error->message, c->fragment) == NULL)
    g_test_message ("“%s” not in “%s”", c->fragment, error->message);
  g_assert_nonnull (strstr (error->message, c->fragment));

  assert_unchanged (path, &before);
  g_assert_cmpuint (changed, ==, 0);
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
}

/* Hand edits made since the last load are not lost. */
static void
test_set_rereads_file (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *contents = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = load_config ("[desktop]\nsound = true\n");
  write_file (path, "# added by hand\n[desktop]\nsound = true\nenabled = false\n", -1);

  g_assert_true (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);

  contents = read_file (path);
  g_assert_cmpstr (contents, ==, "# added by hand\n[desktop]\nsound = false\nenabled = false\n");
  g_assert_false (tw_config_get_boolean (config, "desktop", "enabled"));
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
}

static void
test_set_missing_file (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *default_text = tw_config_schema_dup_default_text ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = tw_config_new (NULL);
  g_assert_true (tw_config_set_value (config, "general", "snooze-minutes", "10", &error));
  g_assert_no_error (error);
  g_assert_cmpint (tw_config_get_int (config, "general", "snooze-minutes"), ==, 10);

  contents = read_file (path);
  expected = replace (default_text, "\n# snooze-minutes = 60\n", "\nsnooze-minutes = 10\n");
  g_assert_cmpstr (contents, ==, expected);
}

static void
test_set_symlink (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *target = g_build_filename (g_get_user_config_dir (), "dotfiles",
                                              "trainwatch.conf", NULL);
  g_autofree char *link = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  write_file (target, "# in my dotfiles\n[desktop]\nsound = true\n", -1);
  g_assert_cmpint (g_chmod (target, 0640), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink ("../dotfiles/trainwatch.conf", path), ==, 0);

  config = load_config (NULL);
  g_assert_true (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
  link = g_file_read_link (path, NULL);
  g_assert_cmpstr (link, ==, "../dotfiles/trainwatch.conf");

  contents = read_file (target);
  g_assert_cmpstr (contents, ==, "# in my dotfiles\n[desktop]\nsound = false\n");
  g_assert_cmpint (stat (target, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);
  g_assert_false (tw_config_get_boolean (config, "desktop", "sound"));
}

static void
test_set_keeps_mode (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  write_file (path, "[desktop]\nsound = true\n", -1);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);

  config = load_config (NULL);
  g_assert_true (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);

  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* Setting a value the file already has does not write it. */
static void
test_set_same_value (void)
{
  g_autofree char *path = config_path ();
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Snapshot) before = { 0, };
  guint changed = 0;

  config = load_config ("[desktop]\nsound = false\n");
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), &changed);
  take_snapshot (path, &before);

  g_assert_true (tw_config_set_value (config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);
  assert_unchanged (path, &before);
  g_assert_cmpuint (changed, ==, 0);
}

/* Watching: changes made by others are reloaded. These wait on the main loop, so
 * they run in a subprocess with a timeout. */

typedef struct
{
  TwConfig  *config;
  TwInotify *inotify;
  guint      changed;
} WatchData;

static gboolean
changed_cond (gpointer data)
{
  WatchData *watch = data;

  return watch->changed > 0;
}

static void
watch_changed_cb (TwConfig  *config,
                  WatchData *watch)
{
  watch->changed++;
}

static void
watch_setup (WatchData  *watch,
             const char *text)
{
  g_autoptr(GError) error = NULL;

  watch->config = load_config (text);
  watch->changed = 0;
  watch->inotify = tw_inotify_new (&error);
  g_assert_no_error (error);
  g_signal_connect (watch->config, "changed", G_CALLBACK (watch_changed_cb), watch);
  tw_config_watch (watch->config, watch->inotify);
}

static void
watch_teardown (WatchData *watch)
{
  g_assert_finalize_object (g_steal_pointer (&watch->config));
  g_assert_finalize_object (g_steal_pointer (&watch->inotify));
}

typedef enum
{
  WRITE_RENAME_SAME_DIR,
  WRITE_RENAME_OTHER_DIR,
  WRITE_IN_PLACE,
} WriteMethod;

static void
write_by (WriteMethod  method,
          const char  *path,
          const char  *text)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *other_dir = g_build_filename (g_get_user_config_dir (), "elsewhere", NULL);
  g_autofree char *temp = NULL;
  FILE *file;

  switch (method)
    {
    case WRITE_RENAME_SAME_DIR:
      temp = g_build_filename (dir, ".trainwatch.conf.swp", NULL);
      break;
    case WRITE_RENAME_OTHER_DIR:
      temp = g_build_filename (other_dir, "new.conf", NULL);
      break;
    case WRITE_IN_PLACE:
      file = fopen (path, "w");
      g_assert_nonnull (file);
      g_assert_cmpint (fputs (text, file), >=, 0);
      g_assert_cmpint (fclose (file), ==, 0);
      return;
    default:
      g_assert_not_reached ();
    }

  write_file (temp, text, -1);
  g_assert_cmpint (g_rename (temp, path), ==, 0);
}

static void
run_watch_reloads (WriteMethod method)
{
  g_autofree char *path = config_path ();
  WatchData watch;

  watch_setup (&watch, "[desktop]\nsound = true\n");

  write_by (method, path, "# edited\n[desktop]\nsound = false\n");
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));
  assert_no_problems (watch.config);

  watch_teardown (&watch);
}

static void
test_watch_reloads (gconstpointer data)
{
  if (g_test_subprocess ())
    {
      run_watch_reloads (GPOINTER_TO_INT (data));
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Removes a folder and what is in it, like `rm -rf`. */
static gboolean
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return g_remove (path) == 0 || errno == ENOENT;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!rm_rf (child))
        {
          g_dir_close (dir);
          return FALSE;
        }
    }
  g_dir_close (dir);

  return g_rmdir (path) == 0;
}

/* A config folder that does not exist yet is waited for, several levels up; one that
 * is removed and made again is watched again. */
static void
run_watch_missing_folder (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_dirname (dir);
  WatchData watch;

  watch_setup (&watch, NULL);
  g_assert_true (rm_rf (parent));
  tw_test_iterate_for (200);
  /* watched afresh while the folder is missing */
  tw_config_watch (watch.config, watch.inotify);
  watch.changed = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  tw_test_iterate_for (200);
  write_file (path, "[desktop]\nsound = false\n", -1);
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));

  /* gone (defaults), then back */
  watch.changed = 0;
  g_assert_true (rm_rf (dir));
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_true (tw_config_get_boolean (watch.config, "desktop", "sound"));
  watch.changed = 0;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  tw_test_iterate_for (200);
  write_file (path, "[desktop]\nsound = false\n", -1);
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));

  watch_teardown (&watch);
}

static void
test_watch_missing_folder (void)
{
  if (g_test_subprocess ())
    {
      run_watch_missing_folder ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
run_watch_ignores_identical (void)
{
  g_autofree char *path = config_path ();
  WatchData watch;

  watch_setup (&watch, "[desktop]\nsound = true\n");

  /* rewritten as it was: nothing to tell */
  write_by (WRITE_RENAME_SAME_DIR, path, "[desktop]\nsound = true\n");
  tw_test_iterate_for (500);

  write_by (WRITE_RENAME_SAME_DIR, path, "[desktop]\nsound = false\n");
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  tw_test_iterate_for (300);
  g_assert_cmpuint (watch.changed, ==, 1);
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));

  watch_teardown (&watch);
}

static void
test_watch_ignores_identical (void)
{
  if (g_test_subprocess ())
    {
      run_watch_ignores_identical ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
run_watch_ignores_own_save (void)
{
  g_autoptr(GError) error = NULL;
  WatchData watch;

  watch_setup (&watch, "[desktop]\nsound = true\n");

  g_assert_true (tw_config_set_value (watch.config, "desktop", "sound", "false", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (watch.changed, ==, 1);

  tw_test_iterate_for (500);
  g_assert_cmpuint (watch.changed, ==, 1);

  watch_teardown (&watch);
}

static void
test_watch_ignores_own_save (void)
{
  if (g_test_subprocess ())
    {
      run_watch_ignores_own_save ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
run_watch_problems_replaced (void)
{
  g_autofree char *path = config_path ();
  const TwConfigProblem *problem;
  WatchData watch;

  watch_setup (&watch, "[desktop]\nsound = true\n");
  g_ptr_array_set_size (logged, 0);

  write_by (WRITE_RENAME_SAME_DIR, path, "[desktop]\nsound = false\nmin-level = loud\n");
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));
  g_assert_cmpuint (tw_config_get_problems (watch.config)->len, ==, 1);
  problem = g_ptr_array_index (tw_config_get_problems (watch.config), 0);
  g_assert_cmpuint (problem->line, ==, 3);
  g_assert_cmpuint (logged->len, ==, 1);

  watch.changed = 0;
  write_by (WRITE_RENAME_SAME_DIR, path, "[desktop]\nmin-level = error\n");
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  assert_no_problems (watch.config);
  g_assert_cmpstr (tw_config_get_string (watch.config, "desktop", "min-level"), ==, "error");
  g_assert_true (tw_config_get_boolean (watch.config, "desktop", "sound"));

  /* a deleted file means defaults, and is not recreated */
  watch.changed = 0;
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  assert_all_defaults (watch.config);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  watch_teardown (&watch);
}

static void
test_watch_problems_replaced (void)
{
  if (g_test_subprocess ())
    {
      run_watch_problems_replaced ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
run_watch_symlink_target (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *target = g_build_filename (g_get_user_config_dir (), "dotfiles",
                                              "trainwatch.conf", NULL);
  WatchData watch;

  write_file (target, "[desktop]\nsound = true\n", -1);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
  watch_setup (&watch, NULL);

  /* edited where the link points, not through it */
  write_by (WRITE_RENAME_SAME_DIR, target, "[desktop]\nsound = false\n");
  g_assert_true (tw_test_wait_until (changed_cond, &watch, 5000));
  g_assert_false (tw_config_get_boolean (watch.config, "desktop", "sound"));

  watch_teardown (&watch);
}

static void
test_watch_symlink_target (void)
{
  if (g_test_subprocess ())
    {
      run_watch_symlink_target ();
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The schema itself: valid defaults, known groups, and documentation in sync. */

static void
test_schema_valid (void)
{
  const TwConfigGroup *groups;
  const TwConfigKey *keys;
  guint n_groups;
  guint n_keys;
  guint i;
  guint j;

  groups = tw_config_schema_get_groups (&n_groups);
  keys = tw_config_schema_get_keys (&n_keys);
  g_assert_cmpuint (n_groups, >, 0);
  g_assert_cmpuint (n_keys, >, 0);

  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *normalized = NULL;

      g_assert_true (tw_config_schema_has_group (keys[i].group));
      g_assert_cmpint (tw_config_schema_find_key (keys[i].group, keys[i].key), ==, i);
      g_assert_true (tw_config_key_parse (&keys[i], keys[i].default_value, NULL));

      /* defaults are written the way a save would write them */
      normalized = tw_config_key_dup_normalized (&keys[i], keys[i].default_value);
      g_assert_cmpstr (normalized, ==, keys[i].default_value);

      g_assert_nonnull (keys[i].doc);
      g_assert_cmpstr (keys[i].doc, !=, "");
      if (keys[i].type == TW_CONFIG_TYPE_INT)
        g_assert_cmpint (keys[i].min, <=, keys[i].max);
      if (keys[i].type == TW_CONFIG_TYPE_ENUM)
        g_assert_nonnull (keys[i].choices);
    }

  for (i = 0; i < n_groups; i++)
    {
      gboolean has_keys = FALSE;

      for (j = 0; j < i; j++)
        g_assert_cmpstr (groups[i].name, !=, groups[j].name);
      for (j = 0; j < n_keys; j++)
        has_keys |= strcmp (keys[j].group, groups[i].name) == 0;
      g_assert_true (has_keys);
    }
}

/* The value types of forwarding: event kinds, hosts and mail addresses. */
static void
test_schema_forwarding_types (void)
{
  static const struct { const char *text; gboolean valid; } hosts[] = {
    { "smtp.example.org", TRUE }, { "localhost", TRUE }, { "127.0.0.1", TRUE },
    { "[::1]", TRUE }, { "::1", TRUE }, { "mail-1.example.org", TRUE },
    { "", FALSE }, { "smtp .example.org", FALSE }, { "-a.example.org", FALSE },
    { "a..b", FALSE }, { "a.b-", FALSE }, { "smtp.example.org:587", FALSE },
    { "smtp.example.org\r\nRCPT", FALSE }, { "[127.0.0.1]", FALSE },
  };
  static const struct { const char *text; gboolean valid; } addresses[] = {
    { "ada@example.org", TRUE }, { "a.b+runs@mail.example.co.uk", TRUE },
    { "ada@[127.0.0.1]", TRUE }, { "ada", FALSE }, { "@example.org", FALSE },
    { "ada@", FALSE }, { "ada@localhost", FALSE }, { "a da@example.org", FALSE },
    { "<ada@example.org>", FALSE }, { "ada@example.org\r\nBcc: x@y.org", FALSE },
    { "a..b@example.org", FALSE }, { ".a@example.org", FALSE }, { "a,b@example.org", FALSE },
    { "ada@127.0.0.1", FALSE },
  };
  const TwConfigKey *keys;
  guint n_keys;
  gboolean ok = FALSE;
  guint32 kinds;

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_test_message ("host “%s”", hosts[i].text);
      g_assert_cmpint (tw_config_is_host_name (hosts[i].text), ==, hosts[i].valid);
    }
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_test_message ("address “%s”", addresses[i].text);
      g_assert_cmpint (tw_config_is_mail_address (addresses[i].text), ==, addresses[i].valid);
    }

  kinds = tw_config_parse_event_kinds ("run-failed,  stalled ,test", &ok);
  g_assert_true (ok);
  g_assert_cmphex (kinds, ==, (1u << TW_EVENT_RUN_FAILED) | (1u << TW_EVENT_STALLED) | (1u << TW_EVENT_TEST));
  g_assert_cmphex (tw_config_parse_event_kinds ("", &ok), ==, 0);
  g_assert_true (ok);
  g_assert_cmphex (tw_config_parse_event_kinds ("run-failed, exploded", &ok), ==, 0);
  g_assert_false (ok);
  tw_config_parse_event_kinds ("run-failed,,stalled", &ok);
  g_assert_false (ok);

  /* the file gets a normal form: kinds in their order, addresses ", "-separated */
  keys = tw_config_schema_get_keys (&n_keys);
  for (guint i = 0; i < n_keys; i++)
    {
      g_autofree char *normal = NULL;

      if (g_str_equal (keys[i].group, "slack") && g_str_equal (keys[i].key, "events"))
        {
          normal = tw_config_key_dup_normalized (&keys[i], " stalled,run-failed ");
          g_assert_cmpstr (normal, ==, "run-failed, stalled");
        }
      else if (g_str_equal (keys[i].group, "email") && g_str_equal (keys[i].key, "to"))
        {
          g_autofree char *empty = tw_config_key_dup_normalized (&keys[i], "");

          normal = tw_config_key_dup_normalized (&keys[i], "a@example.org ,b@example.org");
          g_assert_cmpstr (normal, ==, "a@example.org, b@example.org");
          g_assert_null (tw_config_key_dup_normalized (&keys[i], "a@example.org; b@example.org"));
          g_assert_cmpstr (empty, ==, "");
        }
      else if (g_str_equal (keys[i].group, "email") && g_str_equal (keys[i].key, "port"))
        {
          g_assert_null (tw_config_key_dup_normalized (&keys[i], "65536"));
          g_assert_null (tw_config_key_dup_normalized (&keys[i], "58x"));
        }
    }
}

static void
test_schema_documented (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", "config.md", NULL);
  g_autofree char *doc = NULL;
  g_auto(GStrv) lines = NULL;
  const TwConfigGroup *groups;
  const TwConfigKey *keys;
  guint n_groups;
  guint n_keys;
  guint i;

  doc = read_file (path);
  lines = g_strsplit (doc, "\n", -1);

  groups = tw_config_schema_get_groups (&n_groups);
  for (i = 0; i < n_groups; i++)
    {
      g_autofree char *heading = g_strdup_printf ("### `[%s]`", groups[i].name);

      if (!g_strv_contains ((const char * const *) lines, heading))
        g_test_message ("docs/config.md has no heading “%s”", heading);
      g_assert_true (g_strv_contains ((const char * const *) lines, heading));
    }

  /* every key has a table row that gives its default, under its group's heading */
  keys = tw_config_schema_get_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *heading = g_strdup_printf ("### `[%s]`", keys[i].group);
      g_autofree char *row = g_strdup_printf ("| `%s` |", keys[i].key);
      g_autofree char *default_cell = g_strdup_printf ("| `%s` |", keys[i].default_value);
      gboolean in_group = FALSE;
      gboolean found = FALSE;
      guint l;

      for (l = 0; lines[l] != NULL; l++)
        {
          if (g_str_has_prefix (lines[l], "### "))
            in_group = strcmp (lines[l], heading) == 0;
          if (in_group && g_str_has_prefix (lines[l], row) && strstr (lines[l], default_cell))
            found = TRUE;
        }

      if (!found)
        g_test_message ("docs/config.md has no row “%s … %s” under “%s”",
                        row, default_cell, heading);
      g_assert_true (found);
    }

  /* and every key of the [KIND:NAME] groups, under "### `[KIND:NAME]`" */
  keys = tw_config_schema_get_section_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    {
      g_autofree char *heading = g_strdup_printf ("### `[%s:NAME]`", keys[i].group);
      g_autofree char *row = g_strdup_printf ("| `%s` |", keys[i].key);
      g_autofree char *default_cell = g_strdup_printf ("| `%s` |", keys[i].default_value);
      gboolean in_group = FALSE;
      gboolean found = FALSE;

      for (guint l = 0; lines[l] != NULL; l++)
        {
          if (g_str_has_prefix (lines[l], "### "))
            in_group = strcmp (lines[l], heading) == 0;
          if (in_group && g_str_has_prefix (lines[l], row) && strstr (lines[l], default_cell))
            found = TRUE;
        }

      if (!found)
        g_test_message ("docs/config.md has no row “%s … %s” under “%s”", row, default_cell, heading);
      g_assert_true (found);
    }
}

/* The commented-out example groups are valid once their "#   " is removed. */
static void
test_sections_default_examples (void)
{
  g_autofree char *text = tw_config_schema_dup_default_text ();
  g_autoptr(GRegex) regex = g_regex_new ("^#   ", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *uncommented = g_regex_replace_literal (regex, text, -1, 0, "", 0, NULL);
  g_autoptr(TwConfig) config = load_config (uncommented);
  g_auto(GStrv) watches = tw_config_dup_section_names (config, "watch");
  g_auto(GStrv) rules = tw_config_dup_section_names (config, "rule");

  assert_no_problems (config);
  assert_all_defaults (config);
  g_assert_cmpuint (g_strv_length (watches), ==, 1);
  g_assert_cmpstr (tw_config_get_string (config, "watch:resnet", "path"), ==, "~/runs/resnet/train.log");
  g_assert_cmpuint (g_strv_length (rules), ==, 1);
  g_assert_cmpstr (tw_config_get_string (config, "rule:checkpoint-lost", "pattern"), ==,
                   "Failed to save checkpoint (.*)");
  g_assert_cmpstr (tw_config_get_string (config, "rule:checkpoint-lost", "level"), ==, "warning");
  g_assert_cmpstr (tw_config_get_string (config, "rule:checkpoint-lost", "message"), ==, "");
}

static void
test_sections_load (void)
{
  g_autoptr(TwConfig) config = NULL;
  g_auto(GStrv) watches = NULL;
  g_auto(GStrv) rules = NULL;
  GPtrArray *problems;
  const char * const expected[] = {
    "group [watch:nopath] sets no valid “path”; the group is ignored",
    "unknown key “colour” in group [watch:b]; the line is ignored",
    "invalid value “(unclosed” for key “pattern” in group [rule:bad]: expected a regular "
    "expression; using the default ()",
    "group [rule:bad] sets no valid “pattern”; the group is ignored",
    "invalid value “loud” for key “level” in group [rule:nan]: expected one of info, success, "
    "warning, error, critical; using the default (warning)",
    "unknown group [wach:typo]; the keys in it are ignored",
  };

  config = load_config ("[watch:b]\n"
                        "path = /runs/b.log\n"
                        "colour = red\n"
                        "[watch:a]\n"
                        "path = /runs/old.log\n"
                        "path = /runs/*/train.log\n"
                        "[watch:nopath]\n"
                        "[rule:bad]\n"
                        "pattern = (unclosed\n"
                        "[rule:nan]\n"
                        "pattern = loss (nan|inf)\n"
                        "level = loud\n"
                        "message = loss went \\1\n"
                        "[wach:typo]\n"
                        "path = /x\n");

  watches = tw_config_dup_section_names (config, "watch");
  g_assert_cmpstrv (watches, ((const char * const[]) { "b", "a", NULL }));
  g_assert_cmpstr (tw_config_get_string (config, "watch:a", "path"), ==, "/runs/*/train.log");
  rules = tw_config_dup_section_names (config, "rule");
  g_assert_cmpstrv (rules, ((const char * const[]) { "nan", NULL }));
  g_assert_cmpstr (tw_config_get_string (config, "rule:nan", "level"), ==, "warning");
  g_assert_cmpstr (tw_config_get_string (config, "rule:nan", "message"), ==, "loss went \\1");

  problems = tw_config_get_problems (config);
  /* the duplicate "path" of [watch:a] is reported too */
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < problems->len; j++)
        found |= g_str_has_suffix (((TwConfigProblem *) g_ptr_array_index (problems, j))->message,
                                   expected[i]);
      if (!found)
        g_test_message ("missing problem: %s", expected[i]);
      g_assert_true (found);
    }
  g_assert_cmpuint (problems->len, ==, G_N_ELEMENTS (expected) + 1);

  /* a section the file does not have is a programmer error */
  g_test_expect_message ("tw-app", G_LOG_LEVEL_CRITICAL, "*has no group [watch:zzz]*");
  g_assert_null (tw_config_get_string (config, "watch:zzz", "path"));
  g_test_assert_expected_messages ();
}

static void
test_sections_set_and_remove (void)
{
  g_autofree char *path = config_path ();
  g_autofree char *contents = NULL;
  g_autoptr(TwConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) watches = NULL;
  guint changed = 0;
  const char *before = "# mine\n"
                       "[desktop]\n"
                       "sound = false\n"
                       "\n"
                       "# my runs\n"
                       "[watch:old]\n"
                       "# keep an eye on it\n"
                       "path = /runs/old.log\n"
                       "\n"
                       "# the end\n"
                       "[history]\n"
                       "keep-files = 3\n";

  config = load_config (before);
  g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), &changed);

  g_assert_true (tw_config_set_value (config, "watch:new run", "path", "  ~/runs/*/train.log ", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  watches = tw_config_dup_section_names (config, "watch");
  g_assert_cmpstrv (watches, ((const char * const[]) { "old", "new run", NULL }));
  contents = read_file (path);
  g_assert_true (g_str_has_suffix (contents, "keep-files = 3\n\n[watch:new run]\npath = ~/runs/*/train.log\n"));

  /* removing keeps everything else, comments on the next header included */
  g_clear_pointer (&contents, g_free);
  g_assert_true (tw_config_remove_section (config, "watch:old", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 2);
  contents = read_file (path);
  g_assert_cmpstr (contents, ==,
                   "# mine\n"
                   "[desktop]\n"
                   "sound = false\n"
                   "\n"
                   "# my runs\n"
                   "# the end\n"
                   "[history]\n"
                   "keep-files = 3\n"
                   "\n"
                   "[watch:new run]\n"
                   "path = ~/runs/*/train.log\n");

  /* the last group goes with the blank line before it */
  g_clear_pointer (&contents, g_free);
  g_assert_true (tw_config_remove_section (config, "watch:new run", &error));
  g_assert_no_error (error);
  contents = read_file (path);
  g_assert_true (g_str_has_suffix (contents, "keep-files = 3\n"));
  g_assert_cmpuint (changed, ==, 3);

  /* removing what is not there writes nothing and changes nothing */
  g_assert_true (tw_config_remove_section (config, "watch:never", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 3);

  /* invalid values and names are refused, the file untouched */
  g_assert_false (tw_config_set_value (config, "rule:x", "pattern", "(", &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (tw_config_set_value (config, "watch:a]b", "path", "/x", &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);
  g_assert_false (tw_config_remove_section (config, "desktop", &error));
  g_assert_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);
  g_assert_cmpuint (changed, ==, 3);
  assert_no_problems (config);
}

int
main (int   argc,
      char *argv[])
{
  guint i;
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  logged = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/config/default-path", test_default_path);
  g_test_add_func ("/config/load/creates-default", test_load_creates_default);
  g_test_add_func ("/config/load/default-uncommented", test_load_default_uncommented);
  g_test_add_func ("/config/load/values", test_load_values);
  g_test_add_func ("/config/sections/default-examples", test_sections_default_examples);
  g_test_add_func ("/config/sections/load", test_sections_load);
  g_test_add_func ("/config/sections/set-and-remove", test_sections_set_and_remove);

  for (i = 0; i < G_N_ELEMENTS (problem_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/load/%s", problem_cases[i].name);

      g_test_add_data_func (path, &problem_cases[i], test_load_problem);
    }

  g_test_add_func ("/config/load/problem-message", test_load_problem_message);
  g_test_add_func ("/config/load/problems-sorted", test_load_problems_sorted);
  g_test_add_func ("/config/load/many-problems", test_load_many_problems);
  g_test_add_func ("/config/load/binary", test_load_binary);
  g_test_add_func ("/config/load/too-large", test_load_too_large);
  g_test_add_func ("/config/load/too-many-lines", test_load_too_many_lines);
  g_test_add_func ("/config/load/directory", test_load_directory);
  g_test_add_func ("/config/load/fifo", test_load_fifo);
  g_test_add_func ("/config/load/unreadable", test_load_unreadable);
  g_test_add_func ("/config/load/cannot-create", test_load_cannot_create);
  g_test_add_func ("/config/load/dangling-symlink", test_load_dangling_symlink);
  g_test_add_func ("/config/load/problems-replaced", test_load_problems_replaced);
  g_test_add_func ("/config/get/unknown-key", test_get_unknown_key);

  g_test_add_func ("/config/set/uncomments-default", test_set_uncomments_default);
  for (i = 0; i < G_N_ELEMENTS (set_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/set/%s", set_cases[i].name);

      g_test_add_data_func (path, &set_cases[i], test_set);
    }
  for (i = 0; i < G_N_ELEMENTS (set_error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/config/set/error/%s", set_error_cases[i].name);

      g_test_add_data_func (path, &set_error_cases[i], test_set_error);
    }
  g_test_add_func ("/config/set/rereads-file", test_set_rereads_file);
  g_test_add_func ("/config/set/missing-file", test_set_missing_file);
  g_test_add_func ("/config/set/symlink", test_set_symlink);
  g_test_add_func ("/config/set/keeps-mode", test_set_keeps_mode);
  g_test_add_func ("/config/set/same-value", test_set_same_value);

  g_test_add_data_func ("/config/watch/rename-same-dir",
                        GINT_TO_POINTER (WRITE_RENAME_SAME_DIR), test_watch_reloads);
  g_test_add_data_func ("/config/watch/rename-other-dir",
                        GINT_TO_POINTER (WRITE_RENAME_OTHER_DIR), test_watch_reloads);
  g_test_add_data_func ("/config/watch/in-place",
                        GINT_TO_POINTER (WRITE_IN_PLACE), test_watch_reloads);
  g_test_add_func ("/config/watch/ignores-identical", test_watch_ignores_identical);
  g_test_add_func ("/config/watch/missing-folder", test_watch_missing_folder);
  g_test_add_func ("/config/watch/ignores-own-save", test_watch_ignores_own_save);
  g_test_add_func ("/config/watch/problems-replaced", test_watch_problems_replaced);
  g_test_add_func ("/config/watch/symlink-target", test_watch_symlink_target);

  g_test_add_func ("/config/schema/valid", test_schema_valid);
  g_test_add_func ("/config/schema/documented", test_schema_documented);
  g_test_add_func ("/config/schema/forwarding-types", test_schema_forwarding_types);

  result = g_test_run ();

  g_ptr_array_unref (logged);

  return result;
}
