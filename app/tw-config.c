/* tw-config.c — the user's config file: schema-checked values, comment-preserving saves
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw-config-schema.h"
#include "tw-keydoc.h"

/* One value per key of the schema, in schema order. */
typedef struct
{
  gboolean  boolean;
  int       integer;  /* TW_CONFIG_TYPE_INT; TW_CONFIG_TYPE_ENUM: the choice's index */
  char     *string;   /* TW_CONFIG_TYPE_ENUM, TW_CONFIG_TYPE_STRING and the other text types */
} Value;

/* One [KIND:NAME] group of the file. */
typedef struct
{
  const TwConfigSection *kind;
  char                  *group;   /* "watch:resnet" */
  const char            *name;    /* points into group */
  guint                  line;    /* of its first header */
  Value                 *values;  /* one per row of tw_config_schema_get_section_keys() */
  gboolean               valid;   /* it sets its required key */
} Section;

struct _TwConfig
{
  GObject    parent_instance;

  char      *path;
  Value     *values;          /* replaced as a whole, then "changed" is emitted */
  GPtrArray *sections;        /* of Section, in file order; replaced with values */
  GPtrArray *problems;        /* of TwConfigProblem; replaced as a whole on each load */
  GBytes    *loaded;          /* the contents values came from; NULL: no file */

  TwInotify *inotify;         /* the daemon's; set while watching */
  GPtrArray *dir_watches;     /* of DirWatch, on the directories of watched_files */
  GPtrArray *watched_files;   /* of char *: the path and, if it is a symlink, its target */
  char      *watched_target;
  guint      reload_id;
  char      *last_reload_error;
};

G_DEFINE_FINAL_TYPE (TwConfig, tw_config, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (tw-config-error-quark, tw_config_error)

/* A config file is a few kilobytes and a few hundred lines; anything much bigger is a
 * mistake (a wrong symlink, a log saved over it), and parsing it line by line would
 * cost the daemon a hundred bytes or more per line. */
#define MAX_FILE_SIZE (1024 * 1024)
#define MAX_LINES 10000

/* Beyond this, one more problem says how many were left out. */
#define MAX_PROBLEMS 50

/* Editors write a file in bursts (truncate, write, rename, chmod): reload once. */
#define RELOAD_DELAY_MS 100

/* How much of a bad value a message quotes. */
#define MAX_QUOTED_CHARS 60

typedef enum
{
  READ_OK,
  READ_MISSING,
  READ_FAILED,
} ReadResult;

static Value *
values_new_defaults (void)
{
  const TwConfigKey *keys;
  guint n_keys;
  Value *values;
  guint i;

  keys = tw_config_schema_get_keys (&n_keys);
  values = g_new0 (Value, n_keys);
  for (i = 0; i < n_keys; i++)
    {
      TwConfigValue parsed;
      gboolean valid;

      valid = tw_config_key_parse (&keys[i], keys[i].default_value, &parsed);
      g_assert (valid);

      values[i].boolean = parsed.boolean;
      values[i].integer = parsed.integer;
      values[i].string = g_strdup (parsed.string);
    }

  return values;
}

static void
values_free (Value *values)
{
  guint n_keys;
  guint i;

  if (values == NULL)
    return;

  tw_config_schema_get_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    g_free (values[i].string);
  g_free (values);
}

static gboolean
value_array_equal (const Value *a,
                   const Value *b,
                   guint        n_keys)
{
  guint i;

  for (i = 0; i < n_keys; i++)
    {
      if (a[i].boolean != b[i].boolean
          || a[i].integer != b[i].integer
          || g_strcmp0 (a[i].string, b[i].string) != 0)
        return FALSE;
    }

  return TRUE;
}

static gboolean
values_equal (const Value *a,
              const Value *b)
{
  guint n_keys;

  tw_config_schema_get_keys (&n_keys);
  return value_array_equal (a, b, n_keys);
}

static void
section_free (Section *section)
{
  guint n_keys;
  guint i;

  tw_config_schema_get_section_keys (&n_keys);
  for (i = 0; i < n_keys; i++)
    g_free (section->values[i].string);
  g_free (section->values);
  g_free (section->group);
  g_free (section);
}

static Section *
section_new (const TwConfigSection *kind,
             const char            *group,
             guint                  line)
{
  Section *section = g_new0 (Section, 1);
  const TwConfigKey *keys;
  guint n_keys;
  guint i;

  section->kind = kind;
  section->group = g_strdup (group);
  section->name = strchr (section->group, ':') + 1;
  section->line = line;

  keys = tw_config_schema_get_section_keys (&n_keys);
  section->values = g_new0 (Value, n_keys);
  for (i = 0; i < n_keys; i++)
    {
      TwConfigValue parsed;

      /* a required key has no usable default ("" is no path, no pattern) */
      if (tw_config_key_parse (&keys[i], keys[i].default_value, &parsed))
        {
          section->values[i].boolean = parsed.boolean;
          section->values[i].integer = parsed.integer;
          section->values[i].string = g_strdup (parsed.string);
        }
      else
        {
          section->values[i].string = g_strdup (keys[i].default_value);
        }
    }

  return section;
}

static GPtrArray *
sections_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) section_free);
}

static gboolean
sections_equal (GPtrArray *a,
                GPtrArray *b)
{
  guint n_keys;
  guint i;

  if (a->len != b->len)
    return FALSE;

  tw_config_schema_get_section_keys (&n_keys);
  for (i = 0; i < a->len; i++)
    {
      const Section *sa = g_ptr_array_index (a, i);
      const Section *sb = g_ptr_array_index (b, i);

      if (strcmp (sa->group, sb->group) != 0 || !value_array_equal (sa->values, sb->values, n_keys))
        return FALSE;
    }

  return TRUE;
}

static Section *
find_section (GPtrArray  *sections,
              const char *group)
{
  guint i;

  for (i = 0; i < sections->len; i++)
    {
      Section *section = g_ptr_array_index (sections, i);

      if (strcmp (section->group, group) == 0)
        return section;
    }

  return NULL;
}

static gboolean
problems_equal (GPtrArray *a,
                GPtrArray *b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;

  for (i = 0; i < a->len; i++)
    {
      const TwConfigProblem *pa = g_ptr_array_index (a, i);
      const TwConfigProblem *pb = g_ptr_array_index (b, i);

      if (pa->line != pb->line || strcmp (pa->message, pb->message) != 0)
        return FALSE;
    }

  return TRUE;
}

static GPtrArray *
problems_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) tw_config_problem_free);
}

/* Takes @sentence; builds the message as "file:line: sentence", like compilers do. */
static void
add_problem (GPtrArray  *problems,
             const char *file,
             guint       line,
             const char *group,
             const char *key,
             char       *sentence)
{
  TwConfigProblem *problem = g_new0 (TwConfigProblem, 1);

  problem->file = g_strdup (file);
  problem->line = line;
  problem->group = g_strdup (group);
  problem->key = g_strdup (key);
  if (line > 0)
    problem->message = g_strdup_printf ("%s:%u: %s", file, line, sentence);
  else
    problem->message = g_strdup_printf ("%s: %s", file, sentence);
  g_free (sentence);

  g_ptr_array_add (problems, problem);
}

static int
compare_problems (gconstpointer a,
                  gconstpointer b)
{
  const TwConfigProblem *pa = *(const TwConfigProblem **) a;
  const TwConfigProblem *pb = *(const TwConfigProblem **) b;

  return (pa->line > pb->line) - (pa->line < pb->line);
}

static char *
quote_value (const char *value)
{
  g_autofree char *start = NULL;

  if (g_utf8_strlen (value, -1) <= MAX_QUOTED_CHARS)
    return g_strdup (value);

  start = g_utf8_substring (value, 0, MAX_QUOTED_CHARS - 1);
  return g_strconcat (start, "…", NULL);
}

static void
add_doc_problem (GPtrArray             *problems,
                 const char            *file,
                 const TwKeyDocProblem *problem)
{
  char *sentence = NULL;

  switch (problem->kind)
    {
    case TW_KEY_DOC_PROBLEM_SYNTAX:
      sentence = g_strdup (_("cannot read this line: expected “[group]”, “key = value” or a "
                             "comment starting with “#”; the line is ignored"));
      break;

    case TW_KEY_DOC_PROBLEM_NOT_TEXT:
      sentence = g_strdup (_("this line is not UTF-8 text; the line is ignored"));
      break;

    case TW_KEY_DOC_PROBLEM_KEY_OUTSIDE_GROUP:
      sentence = g_strdup_printf (_("key “%s” comes before any [group] line; the line is "
                                    "ignored"),
                                  problem->key);
      break;

    case TW_KEY_DOC_PROBLEM_DUPLICATE_KEY:
      sentence = g_strdup_printf (_("key “%s” in group [%s] is already set on line %u; the "
                                    "value on this line is used"),
                                  problem->key, problem->group, problem->first_line);
      break;

    default:
      g_assert_not_reached ();
    }

  add_problem (problems, file, problem->line, problem->group, problem->key, sentence);
}

/* Sets *value from a key line, or reports why it keeps its default. */
static gboolean
parse_line_value (const char         *file,
                  const TwConfigKey  *key,
                  const TwKeyDocLine *line,
                  Value              *value,
                  GPtrArray          *problems)
{
  g_autofree char *quoted = NULL;
  g_autofree char *allowed = NULL;
  TwConfigValue parsed;

  if (tw_config_key_parse (key, line->value, &parsed))
    {
      value->boolean = parsed.boolean;
      value->integer = parsed.integer;
      g_free (value->string);
      value->string = g_strdup (parsed.string);
      return TRUE;
    }

  quoted = quote_value (line->value);
  allowed = tw_config_key_dup_allowed (key);
  add_problem (problems, file, line->line, line->group, line->key,
               /* Translators: “%s” are a value, a key, a group, a
                * description such as “true or false”, and a value */
               g_strdup_printf (_("invalid value “%s” for key “%s” in group [%s]: "
                                  "expected %s; using the default (%s)"),
                                quoted, line->key, line->group, allowed, key->default_value));
  return FALSE;
}

/* One `key = value` line of a [KIND:NAME] group; the last setting of a key counts. */
static void
evaluate_section_line (const char         *file,
                       Section            *section,
                       const TwKeyDocLine *line,
                       GHashTable         *seen,
                       GPtrArray          *problems)
{
  const TwConfigKey *keys;
  guint n_keys;
  char *seen_key;
  int index;

  keys = tw_config_schema_get_section_keys (&n_keys);
  index = tw_config_schema_find_section_key (section->kind->kind, line->key);
  if (index < 0)
    {
      add_problem (problems, file, line->line, line->group, line->key,
                   g_strdup_printf (_("unknown key “%s” in group [%s]; the line is "
                                      "ignored"),
                                    line->key, line->group));
      return;
    }

  seen_key = g_strconcat (section->group, "\n", line->key, NULL);
  if (!g_hash_table_add (seen, seen_key))
    return;

  /* an invalid required key stays unset: the group is then reported and ignored */
  if (!parse_line_value (file, &keys[index], line, &section->values[index], problems)
      && strcmp (line->key, section->kind->required_key) == 0)
    g_hash_table_remove (seen, seen_key);
}

/* Checks every line of @doc against the schema. Of a key set twice only the last
 * line counts (the document reports the duplicate), so lines are visited from the
 * end and a key already seen is skipped. */
static void
evaluate_doc (const char *file,
              TwKeyDoc   *doc,
              Value      *values,
              GPtrArray  *sections,
              GPtrArray  *problems)
{
  g_autoptr(GHashTable) unknown_groups = NULL;
  g_autoptr(GHashTable) seen_in_sections = NULL;
  g_autofree gboolean *seen = NULL;
  const TwConfigKey *keys;
  guint n_keys;
  guint i;

  keys = tw_config_schema_get_keys (&n_keys);
  seen = g_new0 (gboolean, n_keys);
  unknown_groups = g_hash_table_new (g_str_hash, g_str_equal);
  seen_in_sections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (i = 0; i < tw_key_doc_get_n_problems (doc); i++)
    add_doc_problem (problems, file, tw_key_doc_get_problem (doc, i));

  /* Report an unknown group once, at its first header. */
  for (i = 0; i < tw_key_doc_get_n_lines (doc); i++)
    {
      const TwKeyDocLine *line = tw_key_doc_get_line (doc, i);

      if (line->kind != TW_KEY_DOC_LINE_GROUP
          || tw_config_schema_has_group (line->group)
          || g_hash_table_contains (unknown_groups, line->group))
        continue;

      g_hash_table_add (unknown_groups, (gpointer) line->group);
      add_problem (problems, file, line->line, line->group, NULL,
                   g_strdup_printf (_("unknown group [%s]; the keys in it are ignored"),
                                    line->group));
    }

  /* Sections in the order of their first header. */
  for (i = 0; i < tw_key_doc_get_n_lines (doc); i++)
    {
      const TwKeyDocLine *line = tw_key_doc_get_line (doc, i);
      const TwConfigSection *kind;

      if (line->kind != TW_KEY_DOC_LINE_GROUP || find_section (sections, line->group) != NULL)
        continue;
      kind = tw_config_schema_parse_section (line->group, NULL);
      if (kind != NULL)
        g_ptr_array_add (sections, section_new (kind, line->group, line->line));
    }

  for (i = tw_key_doc_get_n_lines (doc); i > 0; i--)
    {
      const TwKeyDocLine *line = tw_key_doc_get_line (doc, i - 1);
      Section *section;
      int index;

      if (line->kind != TW_KEY_DOC_LINE_KEY
          || line->group == NULL
          || g_hash_table_contains (unknown_groups, line->group))
        continue;

      section = find_section (sections, line->group);
      if (section != NULL)
        {
          evaluate_section_line (file, section, line, seen_in_sections, problems);
          continue;
        }

      index = tw_config_schema_find_key (line->group, line->key);
      if (index < 0)
        {
          add_problem (problems, file, line->line, line->group, line->key,
                       g_strdup_printf (_("unknown key “%s” in group [%s]; the line is "
                                          "ignored"),
                                        line->key, line->group));
          continue;
        }

      if (seen[index])
        continue;
      seen[index] = TRUE;

      parse_line_value (file, &keys[index], line, &values[index], problems);
    }

  /* A section without its required key is no watch, no rule. */
  for (i = sections->len; i > 0; i--)
    {
      Section *section = g_ptr_array_index (sections, i - 1);
      g_autofree char *seen_key = g_strconcat (section->group, "\n", section->kind->required_key, NULL);

      if (g_hash_table_contains (seen_in_sections, seen_key)
          && *section->values[tw_config_schema_find_section_key (section->kind->kind,
                                                                 section->kind->required_key)].string != '\0')
        continue;

      add_problem (problems, file, section->line, section->group, section->kind->required_key,
                   /* Translators: [%s] is a group such as [watch:resnet]; “%s” a key */
                   g_strdup_printf (_("group [%s] sets no valid “%s”; the group is ignored"),
                                    section->group, section->kind->required_key));
      g_ptr_array_remove_index (sections, i - 1);
    }
}

/* Works out the values and problems of a file with @contents (NULL: no file);
 * pure, so that a load only swaps its results in. */
/* Says why @data is not read as a config file at all, or returns NULL. */
static char *
dup_not_config_reason (const char *data,
                       gsize       length)
{
  g_autofree char *max_size = NULL;
  const char *p = data;
  const char *end = data + length;
  guint n_lines = 0;

  if (length > MAX_FILE_SIZE)
    {
      max_size = g_format_size_full (MAX_FILE_SIZE, G_FORMAT_SIZE_IEC_UNITS);
      /* Translators: %s is a size such as “1.0 MiB” */
      return g_strdup_printf (_("the file is larger than %s, so it is not a config file"),
                              max_size);
    }

  if (memchr (data, '\0', length) != NULL)
    return g_strdup (_("the file contains NUL bytes, so it is not a text file"));

  while (p < end && (p = memchr (p, '\n', end - p)) != NULL)
    {
      p++;
      if (++n_lines > MAX_LINES)
        return g_strdup_printf (_("the file has more than %u lines, so it is not a config "
                                  "file"),
                                MAX_LINES);
    }

  return NULL;
}

/* Works out the values and problems of a file with @contents (NULL: no file);
 * pure, so that a load only swaps its results in. */
static void
evaluate (const char *file,
          GBytes     *contents,
          Value      *values,
          GPtrArray  *sections,
          GPtrArray  *problems)
{
  g_autoptr(TwKeyDoc) doc = NULL;
  g_autofree char *reason = NULL;
  const char *data;
  gsize length;

  if (contents == NULL)
    return;

  data = g_bytes_get_data (contents, &length);
  reason = dup_not_config_reason (data, length);
  if (reason != NULL)
    {
      add_problem (problems, file, 0, NULL, NULL,
                   /* Translators: %s says what is wrong with the file, such as “the
                    * file contains NUL bytes, so it is not a text file” */
                   g_strdup_printf (_("%s; it was not read and every setting has its "
                                      "default value"),
                                    reason));
      return;
    }

  doc = tw_key_doc_new_from_data (data, length);
  evaluate_doc (file, doc, values, sections, problems);

  g_ptr_array_sort (problems, compare_problems);

  if (problems->len > MAX_PROBLEMS)
    {
      guint more = problems->len - MAX_PROBLEMS;

      g_ptr_array_set_size (problems, MAX_PROBLEMS);
      add_problem (problems, file, 0, NULL, NULL,
                   g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "%u more problem is not listed",
                                                 "%u more problems are not listed",
                                                 more),
                                    more));
    }
}

/* Follows @path through symlinks, so that saving replaces the file a dotfile manager's
 * link points to rather than the link. Stops where there is no link (the file or the
 * path where it will be created). */
static char *
resolve_target (const char *path)
{
  char *current = g_strdup (path);
  guint i;

  /* the kernel's own limit on links in a path */
  for (i = 0; i < 40; i++)
    {
      g_autofree char *link = g_file_read_link (current, NULL);
      g_autofree char *dir = NULL;

      if (link == NULL)
        break;

      dir = g_path_get_dirname (current);
      g_free (current);
      current = g_path_is_absolute (link) ? g_steal_pointer (&link)
                                          : g_build_filename (dir, link, NULL);
    }

  return current;
}

/* Reads at most MAX_FILE_SIZE + 1 bytes, so callers can tell a file that is too big. */
static ReadResult
read_config_file (const char  *path,
                  GBytes     **out_contents,
                  GError     **error)
{
  g_autoptr(GByteArray) buffer = NULL;
  GStatBuf st;
  int saved_errno;
  int fd;

  /* O_NONBLOCK: a FIFO in the file's place must not hang the daemon */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      if (saved_errno == ENOENT)
        return READ_MISSING;

      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                   _("Failed to read config file “%s”: %s"), path, g_strerror (saved_errno));
      return READ_FAILED;
    }

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_close (fd, NULL);
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                   _("Failed to read config file “%s”: %s"), path, g_strerror (saved_errno));
      return READ_FAILED;
    }

  if (!S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                   S_ISDIR (st.st_mode)
                   ? _("Failed to read config file “%s”: it is a directory")
                   : _("Failed to read config file “%s”: it is not a regular file"),
                   path);
      return READ_FAILED;
    }

  buffer = g_byte_array_sized_new (MIN ((gsize) st.st_size, MAX_FILE_SIZE) + 1);
  while (buffer->len <= MAX_FILE_SIZE)
    {
      guint8 chunk[16384];
      gssize n;

      n = read (fd, chunk, MIN (sizeof chunk, MAX_FILE_SIZE + 1 - buffer->len));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          g_close (fd, NULL);
          g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                       _("Failed to read config file “%s”: %s"),
                       path, g_strerror (saved_errno));
          return READ_FAILED;
        }
      if (n == 0)
        break;

      g_byte_array_append (buffer, chunk, n);
    }

  g_close (fd, NULL);
  *out_contents = g_byte_array_free_to_bytes (g_steal_pointer (&buffer));

  return READ_OK;
}

/* Atomically replaces the file @path leads to, keeping its mode. */
static gboolean
save_config_file (const char  *path,
                  const char  *data,
                  gsize        length,
                  GError     **error)
{
  g_autofree char *target = resolve_target (path);
  g_autofree char *dir = g_path_get_dirname (target);
  g_autoptr(GError) local_error = NULL;
  GStatBuf st;
  int mode = 0666;

  if (g_stat (target, &st) == 0)
    mode = st.st_mode & 0777;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                   _("Failed to create folder “%s” for the config file: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!g_file_set_contents_full (target, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, &local_error))
    {
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_IO,
                   _("Failed to save config file: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Makes @contents (NULL: no file) the loaded state: new values and problems are in
 * place before "changed" is emitted. */
static void
apply_contents (TwConfig *self,
                GBytes   *contents)
{
  g_autoptr(GPtrArray) problems = problems_new ();
  g_autoptr(GPtrArray) sections = sections_new ();
  g_autoptr(GPtrArray) old_problems = NULL;
  g_autoptr(GPtrArray) old_sections = NULL;
  g_autoptr(GHashTable) logged = NULL;
  Value *values = values_new_defaults ();
  Value *old_values;
  gboolean changed;
  guint i;

  evaluate (self->path, contents, values, sections, problems);

  changed = !values_equal (values, self->values)
            || !sections_equal (sections, self->sections)
            || !problems_equal (problems, self->problems);

  old_values = g_steal_pointer (&self->values);
  self->values = values;
  old_problems = g_steal_pointer (&self->problems);
  self->problems = g_steal_pointer (&problems);
  old_sections = g_steal_pointer (&self->sections);
  self->sections = g_steal_pointer (&sections);
  g_clear_pointer (&self->loaded, g_bytes_unref);
  self->loaded = contents != NULL ? g_bytes_ref (contents) : NULL;
  values_free (old_values);

  /* Log each problem once, not again on every reload of a file that still has it. */
  logged = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < old_problems->len; i++)
    {
      TwConfigProblem *problem = g_ptr_array_index (old_problems, i);

      g_hash_table_add (logged, problem->message);
    }
  for (i = 0; i < self->problems->len; i++)
    {
      TwConfigProblem *problem = g_ptr_array_index (self->problems, i);

      if (!g_hash_table_contains (logged, problem->message))
        g_message ("%s", problem->message);
    }

  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
reload (TwConfig *self)
{
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  ReadResult result;

  result = read_config_file (self->path, &contents, &error);
  if (result == READ_FAILED)
    {
      /* keep the values we have; say so once, not on every change */
      if (g_strcmp0 (self->last_reload_error, error->message) != 0)
        {
          g_message ("%s", error->message);
          g_free (self->last_reload_error);
          self->last_reload_error = g_strdup (error->message);
        }
      return;
    }
  g_clear_pointer (&self->last_reload_error, g_free);

  /* the symlink may now point somewhere else */
  target = resolve_target (self->path);
  if (self->inotify != NULL && g_strcmp0 (target, self->watched_target) != 0)
    tw_config_watch (self, self->inotify);

  /* Our own saves, and saves that changed nothing, come back here too. A deleted file
   * means defaults, but is not recreated: the user may be moving it. */
  if (contents == NULL ? self->loaded == NULL
                       : self->loaded != NULL && g_bytes_equal (contents, self->loaded))
    return;

  apply_contents (self, contents);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  TwConfig *self = user_data;

  self->reload_id = 0;
  reload (self);

  return G_SOURCE_REMOVE;
}

/* One watched directory: the folder of a watched file or, while that folder does not
 * exist, its nearest existing ancestor. */
typedef struct
{
  TwConfig *config;   /* not owned */
  char     *dir;
  gboolean  ancestor; /* waiting for the folder to be created */
  guint     id;
} DirWatch;

static void
dir_watch_free (gpointer data)
{
  DirWatch *watch = data;

  if (watch->id != 0 && watch->config->inotify != NULL)
    tw_inotify_remove_watch (watch->config->inotify, watch->id);
  g_free (watch->dir);
  g_free (watch);
}

static gboolean
is_watched_file (TwConfig   *self,
                 const char *dir,
                 const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  for (guint i = 0; i < self->watched_files->len; i++)
    if (strcmp (path, g_ptr_array_index (self->watched_files, i)) == 0)
      return TRUE;

  return FALSE;
}

static void
schedule_reload (TwConfig *self)
{
  if (self->reload_id == 0)
    {
      self->reload_id = g_timeout_add (RELOAD_DELAY_MS, reload_timeout_cb, self);
      g_source_set_name_by_id (self->reload_id, "[trainwatch] reload config");
    }
}

static gboolean
rewatch_idle_cb (gpointer user_data)
{
  TwConfig *self = user_data;

  if (self->inotify != NULL)
    tw_config_watch (self, self->inotify);
  schedule_reload (self);

  return G_SOURCE_REMOVE;
}

static void
dir_event_cb (TwInotify  *inotify,
              guint32     mask,
              const char *name,
              gpointer    user_data)
{
  DirWatch *watch = user_data;
  TwConfig *self = watch->config;

  /* The folder appeared (or one on the way to it), went away, or events were lost:
   * watch afresh, from an idle so that no subscription is removed while it is being
   * dispatched, and look at the file again. */
  if ((mask & (IN_IGNORED | IN_Q_OVERFLOW)) != 0 ||
      (watch->ancestor && (mask & (IN_CREATE | IN_MOVED_TO)) != 0))
    {
      g_idle_add_full (G_PRIORITY_DEFAULT, rewatch_idle_cb, g_object_ref (self), g_object_unref);
      return;
    }

  /* an editor saving by rename shows up as a file moved to the watched name */
  if (!watch->ancestor && name != NULL && is_watched_file (self, watch->dir, name))
    schedule_reload (self);
}

static void
clear_watches (TwConfig *self)
{
  g_clear_pointer (&self->dir_watches, g_ptr_array_unref);
  g_clear_pointer (&self->watched_files, g_ptr_array_unref);
  g_clear_pointer (&self->watched_target, g_free);
}

static void
add_dir_watch (TwConfig   *self,
               const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  DirWatch *watch;

  g_ptr_array_add (self->watched_files, g_strdup (path));

  for (guint i = 0; i < self->dir_watches->len; i++)
    if (strcmp (((DirWatch *) g_ptr_array_index (self->dir_watches, i))->dir, dir) == 0)
      return;

  /* the directory, not the file: editors that save by renaming a new file over the
   * old one would leave a watch on the file watching the old one */
  watch = g_new0 (DirWatch, 1);
  watch->config = self;
  watch->dir = g_strdup (dir);
  for (;;)
    {
      guint32 mask = watch->ancestor ? IN_CREATE | IN_MOVED_TO
                                     : IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE |
                                       IN_MOVED_FROM | IN_MOVED_TO;
      char *parent;

      g_clear_error (&error);
      watch->id = tw_inotify_add_watch (self->inotify, watch->dir, mask, dir_event_cb, watch, &error);
      if (watch->id != 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        break;
      /* not there yet: wait for it in the nearest folder that is */
      parent = g_path_get_dirname (watch->dir);
      if (strcmp (parent, watch->dir) == 0)
        {
          g_free (parent);
          break;
        }
      g_free (watch->dir);
      watch->dir = parent;
      watch->ancestor = TRUE;
    }

  if (watch->id == 0)
    {
      g_message ("Failed to watch config file “%s” for changes: %s", path, error->message);
      dir_watch_free (watch);
      return;
    }
  g_ptr_array_add (self->dir_watches, watch);
}

static void
tw_config_dispose (GObject *object)
{
  TwConfig *self = TW_CONFIG (object);

  clear_watches (self);
  g_clear_object (&self->inotify);
  g_clear_handle_id (&self->reload_id, g_source_remove);

  G_OBJECT_CLASS (tw_config_parent_class)->dispose (object);
}

static void
tw_config_finalize (GObject *object)
{
  TwConfig *self = TW_CONFIG (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->values, values_free);
  g_clear_pointer (&self->sections, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->loaded, g_bytes_unref);
  g_clear_pointer (&self->last_reload_error, g_free);

  G_OBJECT_CLASS (tw_config_parent_class)->finalize (object);
}

static void
tw_config_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TwConfig *self = TW_CONFIG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_config_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TwConfig *self = TW_CONFIG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = tw_config_dup_default_path ();
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_config_class_init (TwConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_config_dispose;
  object_class->finalize = tw_config_finalize;
  object_class->get_property = tw_config_get_property;
  object_class->set_property = tw_config_set_property;

  /**
   * TwConfig:path:
   *
   * The config file. %NULL at construction means tw_config_dup_default_path().
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TwConfig::changed:
   * @self: the config
   *
   * Emitted when a load, a reload after the file changed, or
   * tw_config_set_value() changed the values or the problems. The new ones are
   * in place when it is emitted.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
tw_config_init (TwConfig *self)
{
  self->values = values_new_defaults ();
  self->sections = sections_new ();
  self->problems = problems_new ();
}

/**
 * tw_config_problem_free:
 * @problem: (transfer full) (nullable): a problem
 *
 * Frees @problem.
 */
void
tw_config_problem_free (TwConfigProblem *problem)
{
  if (problem == NULL)
    return;

  g_free (problem->file);
  g_free (problem->group);
  g_free (problem->key);
  g_free (problem->message);
  g_free (problem);
}

/**
 * tw_config_dup_default_path:
 *
 * Returns: (transfer full): `$XDG_CONFIG_HOME/trainwatch/trainwatch.conf`
 */
char *
tw_config_dup_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "trainwatch", "trainwatch.conf", NULL);
}

/**
 * tw_config_new:
 * @path: (nullable): the config file, or %NULL for tw_config_dup_default_path()
 *
 * Creates a config holding every default. Nothing is read until tw_config_load().
 *
 * Returns: (transfer full): a new #TwConfig
 */
TwConfig *
tw_config_new (const char *path)
{
  return g_object_new (TW_TYPE_CONFIG, "path", path, NULL);
}

/**
 * tw_config_get_path:
 * @self: a #TwConfig
 *
 * Returns: the config file's path
 */
const char *
tw_config_get_path (TwConfig *self)
{
  g_return_val_if_fail (TW_IS_CONFIG (self), NULL);

  return self->path;
}

/**
 * tw_config_load:
 * @self: a #TwConfig
 * @error: return location for a #GError
 *
 * Reads the config file and checks it against the schema. If there is no file,
 * writes one that documents every setting, all commented out. Otherwise the file
 * is never written: what is wrong in it (syntax, unknown groups and keys, invalid
 * values, a file that is not text or too big) becomes a #TwConfigProblem, logged
 * once, and the setting concerned keeps its default. Emits #TwConfig::changed if
 * the values or problems changed.
 *
 * Returns: %TRUE on success; %FALSE with %TW_CONFIG_ERROR_IO if the file cannot be
 *   read or created, in which case nothing changes
 */
gboolean
tw_config_load (TwConfig  *self,
                GError   **error)
{
  g_autoptr(GBytes) contents = NULL;
  ReadResult result;

  g_return_val_if_fail (TW_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = read_config_file (self->path, &contents, error);
  if (result == READ_FAILED)
    return FALSE;

  if (result == READ_MISSING)
    {
      char *text = tw_config_schema_dup_default_text ();
      gsize length = strlen (text);

      contents = g_bytes_new_take (text, length);
      if (!save_config_file (self->path, text, length, error))
        return FALSE;
    }

  apply_contents (self, contents);

  return TRUE;
}

/**
 * tw_config_get_problems:
 * @self: a #TwConfig
 *
 * What was wrong with the file at the last load, in line order. Each load makes
 * a new array: take a reference to keep this one.
 *
 * Returns: (transfer none) (element-type TwConfigProblem): the problems, maybe none
 */
GPtrArray *
tw_config_get_problems (TwConfig *self)
{
  g_return_val_if_fail (TW_IS_CONFIG (self), NULL);

  return self->problems;
}

/**
 * tw_config_watch:
 * @self: a #TwConfig
 * @inotify: the daemon's inotify instance, which @self keeps
 *
 * Reloads the file whenever it changes (bursts of changes are coalesced, and
 * changes that leave the contents as loaded are ignored), emitting
 * #TwConfig::changed when values or problems changed. If the path is a symlink,
 * both the link and its target are watched; a folder that does not exist yet is
 * waited for. Calling it again re-creates the watch.
 */
void
tw_config_watch (TwConfig  *self,
                 TwInotify *inotify)
{
  g_return_if_fail (TW_IS_CONFIG (self));
  g_return_if_fail (TW_IS_INOTIFY (inotify));

  clear_watches (self);
  g_set_object (&self->inotify, inotify);

  self->dir_watches = g_ptr_array_new_with_free_func (dir_watch_free);
  self->watched_files = g_ptr_array_new_with_free_func (g_free);
  self->watched_target = resolve_target (self->path);

  add_dir_watch (self, self->path);
  if (strcmp (self->watched_target, self->path) != 0)
    add_dir_watch (self, self->watched_target);
}

#define TYPE_BIT(type) (1u << (type))

/* Finds the value a getter asks for, in a fixed group or a [KIND:NAME] section, or
 * says which programmer error it is. The criticals go through g_log(), not
 * g_critical(): with G_LOG_USE_STRUCTURED only g_log() honours
 * g_test_expect_message(), and tests check these. */
static const Value *
lookup_checked (TwConfig           *self,
                const char         *func,
                const char         *group,
                const char         *key,
                guint               type_bits,
                const TwConfigKey **out_key)
{
  const TwConfigSection *kind;
  const TwConfigKey *keys;
  const Value *values;
  guint n_keys;
  int index;

  if (group == NULL || key == NULL)
    {
      g_log (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "%s: group and key must not be NULL", func);
      return NULL;
    }

  kind = tw_config_schema_parse_section (group, NULL);
  if (kind != NULL)
    {
      Section *section = find_section (self->sections, group);

      keys = tw_config_schema_get_section_keys (&n_keys);
      index = tw_config_schema_find_section_key (kind->kind, key);
      if (index >= 0 && section == NULL)
        {
          g_log (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                 "%s: the config file has no group [%s]", func, group);
          return NULL;
        }
      values = section != NULL ? section->values : NULL;
    }
  else
    {
      keys = tw_config_schema_get_keys (&n_keys);
      index = tw_config_schema_find_key (group, key);
      values = self->values;
    }

  if (index < 0)
    {
      g_log (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
             "%s: the config schema has no key “%s” in group [%s]", func, key, group);
      return NULL;
    }

  if ((TYPE_BIT (keys[index].type) & type_bits) == 0)
    {
      g_log (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
             "%s: config key “%s” in group [%s] is of another type", func, key, group);
      return NULL;
    }

  if (out_key != NULL)
    *out_key = &keys[index];
  return &values[index];
}

/**
 * tw_config_get_boolean:
 * @self: a #TwConfig
 * @group: a group of the schema, or a `[KIND:NAME]` group the file has
 * @key: a boolean key of @group
 *
 * Returns: the value of the key, or its default if the file does not set it
 *   validly
 */
gboolean
tw_config_get_boolean (TwConfig   *self,
                       const char *group,
                       const char *key)
{
  const Value *value;

  g_return_val_if_fail (TW_IS_CONFIG (self), FALSE);

  value = lookup_checked (self, G_STRFUNC, group, key, TYPE_BIT (TW_CONFIG_TYPE_BOOLEAN), NULL);

  return value != NULL ? value->boolean : FALSE;
}

/**
 * tw_config_get_int:
 * @self: a #TwConfig
 * @group: a group of the schema, or a `[KIND:NAME]` group the file has
 * @key: an integer key of @group, or an enum key
 *
 * Returns: the value of the key (for an enum, the index of the choice in the
 *   schema), or its default if the file does not set it validly
 */
int
tw_config_get_int (TwConfig   *self,
                   const char *group,
                   const char *key)
{
  const Value *value;

  g_return_val_if_fail (TW_IS_CONFIG (self), 0);

  value = lookup_checked (self, G_STRFUNC, group, key,
                          TYPE_BIT (TW_CONFIG_TYPE_INT) | TYPE_BIT (TW_CONFIG_TYPE_ENUM), NULL);

  return value != NULL ? value->integer : 0;
}

/**
 * tw_config_get_string:
 * @self: a #TwConfig
 * @group: a group of the schema, or a `[KIND:NAME]` group the file has
 * @key: a string, regular expression, time ranges or enum key of @group
 *
 * Returns: (transfer none): the value of the key (for an enum, the choice as the
 *   schema spells it), or its default if the file does not set it validly; valid
 *   until the next load
 */
const char *
tw_config_get_string (TwConfig   *self,
                      const char *group,
                      const char *key)
{
  const Value *value;

  g_return_val_if_fail (TW_IS_CONFIG (self), NULL);

  value = lookup_checked (self, G_STRFUNC, group, key,
                          TYPE_BIT (TW_CONFIG_TYPE_STRING) | TYPE_BIT (TW_CONFIG_TYPE_REGEX)
                          | TYPE_BIT (TW_CONFIG_TYPE_ENUM) | TYPE_BIT (TW_CONFIG_TYPE_TIME_RANGES)
                          | TYPE_BIT (TW_CONFIG_TYPE_EVENT_KINDS) | TYPE_BIT (TW_CONFIG_TYPE_HOST)
                          | TYPE_BIT (TW_CONFIG_TYPE_MAIL_ADDRESS)
                          | TYPE_BIT (TW_CONFIG_TYPE_MAIL_ADDRESSES),
                          NULL);

  return value != NULL ? value->string : NULL;
}

/**
 * tw_config_get_event_kinds:
 * @self: a #TwConfig
 * @group: a group of the schema
 * @key: a key of @group whose type is a list of event kinds
 *
 * Returns: a bit (1 << #TwEventKind) for each kind the key names, or for its
 *   default if the file does not set it validly
 */
guint32
tw_config_get_event_kinds (TwConfig   *self,
                           const char *group,
                           const char *key)
{
  const Value *value;

  g_return_val_if_fail (TW_IS_CONFIG (self), 0);

  value = lookup_checked (self, G_STRFUNC, group, key, TYPE_BIT (TW_CONFIG_TYPE_EVENT_KINDS), NULL);

  return value != NULL ? tw_config_parse_event_kinds (value->string, NULL) : 0;
}

/**
 * tw_config_dup_value:
 * @self: a #TwConfig
 * @group: a group of the schema, or a `[KIND:NAME]` group the file has
 * @key: a key of @group, of any type
 *
 * The value of a key as it would be written in the file, whatever its type; for
 * code that shows or passes on settings generically, such as the D-Bus API.
 *
 * Returns: (transfer full): the value, or its default if the file does not set
 *   it validly
 */
char *
tw_config_dup_value (TwConfig   *self,
                     const char *group,
                     const char *key)
{
  const TwConfigKey *schema_key = NULL;
  const Value *value;

  g_return_val_if_fail (TW_IS_CONFIG (self), NULL);
  g_return_val_if_fail (group != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  value = lookup_checked (self, G_STRFUNC, group, key, ~0u, &schema_key);
  if (value == NULL)
    return NULL;

  switch (schema_key->type)
    {
    case TW_CONFIG_TYPE_BOOLEAN:
      return g_strdup (value->boolean ? "true" : "false");
    case TW_CONFIG_TYPE_INT:
      return g_strdup_printf ("%d", value->integer);
    case TW_CONFIG_TYPE_ENUM:
    case TW_CONFIG_TYPE_STRING:
    case TW_CONFIG_TYPE_REGEX:
    case TW_CONFIG_TYPE_TIME_RANGES:
    case TW_CONFIG_TYPE_EVENT_KINDS:
    case TW_CONFIG_TYPE_HOST:
    case TW_CONFIG_TYPE_MAIL_ADDRESS:
    case TW_CONFIG_TYPE_MAIL_ADDRESSES:
      return g_strdup (value->string);
    default:
      g_assert_not_reached ();
    }
}

/**
 * tw_config_dup_section_names:
 * @self: a #TwConfig
 * @kind: a section kind of the schema, such as `watch` or `rule`
 *
 * Lists the `[KIND:NAME]` groups of the file that are in effect: those that set
 * their required key validly. Read their keys with the getters and the group
 * `KIND:NAME`.
 *
 * Returns: (transfer full): the names, in file order
 */
GStrv
tw_config_dup_section_names (TwConfig   *self,
                             const char *kind)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  guint i;

  g_return_val_if_fail (TW_IS_CONFIG (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  for (i = 0; i < self->sections->len; i++)
    {
      const Section *section = g_ptr_array_index (self->sections, i);

      if (strcmp (section->kind->kind, kind) == 0)
        g_strv_builder_add (names, section->name);
    }

  return g_strv_builder_end (names);
}

/* Changes the file as it is on disk now (hand edits since the last load are kept):
 * sets @key of @group to @value, or with @key %NULL removes @group. */
static gboolean
edit_file (TwConfig    *self,
           const char  *group,
           const char  *key,
           const char  *value,
           GError     **error)
{
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) new_contents = NULL;
  g_autoptr(TwKeyDoc) doc = NULL;
  g_autofree char *default_text = NULL;
  g_autofree char *new_text = NULL;
  g_autofree char *reason = NULL;
  const char *data;
  gsize length;
  gsize new_length;
  ReadResult result;

  result = read_config_file (self->path, &contents, error);
  if (result == READ_FAILED)
    return FALSE;

  if (result == READ_MISSING)
    {
      default_text = tw_config_schema_dup_default_text ();
      data = default_text;
      length = strlen (default_text);
    }
  else
    {
      data = g_bytes_get_data (contents, &length);
      reason = dup_not_config_reason (data, length);
      if (reason != NULL)
        {
          g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_SYNTAX,
                       /* Translators: the second %s says what is wrong with the file,
                        * such as “the file contains NUL bytes, so it is not a text file” */
                       _("Cannot change config file “%s”: %s"), self->path, reason);
          return FALSE;
        }
    }

  doc = tw_key_doc_new_from_data (data, length);
  if (key != NULL)
    tw_key_doc_set_value (doc, group, key, value);
  else
    tw_key_doc_remove_group (doc, group);
  new_text = tw_key_doc_to_data (doc, &new_length);

  if (result == READ_MISSING || new_length != length || memcmp (new_text, data, length) != 0)
    {
      if (!save_config_file (self->path, new_text, new_length, error))
        return FALSE;
    }

  new_contents = g_bytes_new_take (g_steal_pointer (&new_text), new_length);
  apply_contents (self, new_contents);

  return TRUE;
}

/**
 * tw_config_set_value:
 * @self: a #TwConfig
 * @group: the key's group
 * @key: the key
 * @value: the new value, as it would be written in the file (`true`, `60`, `info`)
 *
 * Checks @value against the schema, then changes that one setting in the file as
 * it is on disk now (so hand edits made since the last load are kept), touching
 * only the line concerned: the key's line, or its commented-out default, or a new
 * line at the end of its group. The user's comments and layout stay; the file is
 * replaced atomically, keeps its mode, and if it is a symlink, its target is
 * written. Emits #TwConfig::changed if the values or problems changed.
 *
 * Returns: %TRUE on success; %FALSE with %TW_CONFIG_ERROR_UNKNOWN_KEY or
 *   %TW_CONFIG_ERROR_INVALID_VALUE (file untouched), %TW_CONFIG_ERROR_SYNTAX if
 *   the file is not a text file Trainwatch can edit, or %TW_CONFIG_ERROR_IO
 */
gboolean
tw_config_set_value (TwConfig    *self,
                     const char  *group,
                     const char  *key,
                     const char  *value,
                     GError     **error)
{
  g_autofree char *normalized = NULL;
  const TwConfigSection *kind;
  const TwConfigKey *keys;
  guint n_keys;
  int index;

  g_return_val_if_fail (TW_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (group != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!tw_config_schema_has_group (group) || !tw_key_doc_is_group_name (group))
    {
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_UNKNOWN_KEY,
                   _("Unknown group [%s] in the config file"), group);
      return FALSE;
    }

  kind = tw_config_schema_parse_section (group, NULL);
  if (kind != NULL)
    {
      keys = tw_config_schema_get_section_keys (&n_keys);
      index = tw_config_schema_find_section_key (kind->kind, key);
    }
  else
    {
      keys = tw_config_schema_get_keys (&n_keys);
      index = tw_config_schema_find_key (group, key);
    }
  if (index < 0)
    {
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_UNKNOWN_KEY,
                   _("Unknown key “%s” in group [%s] of the config file"), key, group);
      return FALSE;
    }

  normalized = tw_config_key_dup_normalized (&keys[index], value);
  if (normalized == NULL)
    {
      g_autofree char *allowed = tw_config_key_dup_allowed (&keys[index]);
      g_autofree char *quoted = g_utf8_validate (value, -1, NULL)
                                ? quote_value (value)
                                : g_utf8_make_valid (value, -1);

      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_INVALID_VALUE,
                   /* Translators: “%s” are a value, a key, a group and a description
                    * such as “true or false” */
                   _("Invalid value “%s” for key “%s” in group [%s]: expected %s"),
                   quoted, key, group, allowed);
      return FALSE;
    }

  return edit_file (self, group, key, normalized, error);
}

/**
 * tw_config_remove_section:
 * @self: a #TwConfig
 * @group: a `[KIND:NAME]` group, such as `watch:resnet`
 *
 * Removes the group from the file as it is on disk now: its header, its lines and
 * the comments inside it; the rest of the file stays as it is. Removing a group
 * the file does not have succeeds and writes nothing. Emits #TwConfig::changed if
 * the values or problems changed.
 *
 * Returns: %TRUE on success; %FALSE with %TW_CONFIG_ERROR_UNKNOWN_KEY if @group is
 *   not a section of the schema, %TW_CONFIG_ERROR_SYNTAX if the file is not a text
 *   file Trainwatch can edit, or %TW_CONFIG_ERROR_IO
 */
gboolean
tw_config_remove_section (TwConfig    *self,
                          const char  *group,
                          GError     **error)
{
  g_return_val_if_fail (TW_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (group != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (tw_config_schema_parse_section (group, NULL) == NULL || !tw_key_doc_is_group_name (group))
    {
      g_set_error (error, TW_CONFIG_ERROR, TW_CONFIG_ERROR_UNKNOWN_KEY,
                   _("Unknown group [%s] in the config file"), group);
      return FALSE;
    }

  return edit_file (self, group, NULL, NULL, error);
}
