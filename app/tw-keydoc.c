/* tw-keydoc.c — a key file kept line by line, so edits keep the user's comments and layout
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-keydoc.h"

#include <string.h>

/* The document is the list of its lines, each with its exact bytes and terminator;
 * everything else (kinds, groups, keys, problems) is derived from them by analyse(),
 * which runs after every change, so there is one source of truth and serialising is
 * just concatenating the lines again. */
typedef struct
{
  TwKeyDocLine         info;
  const char          *text;         /* the line without its terminator; not NUL-terminated */
  gsize                len;
  const char          *eol;          /* "", "\n" or "\r\n" (static strings) */
  char                *owned_text;   /* set when the line was edited: text points here */
  char                *name;         /* GROUP: the group's name; KEY: the key */
  char                *value;        /* KEY */
  gsize                value_start;  /* KEY: where the value lies in text */
  gsize                value_end;
  TwKeyDocProblemKind  invalid_reason;
} Line;

struct _TwKeyDoc
{
  char   *data;      /* a copy of the parsed text; unedited lines point into it */
  GArray *lines;     /* of Line */
  GArray *problems;  /* of TwKeyDocProblem */
};

static const char utf8_bom[] = "\xEF\xBB\xBF";

static void
clear_analysis (Line *line)
{
  g_clear_pointer (&line->name, g_free);
  g_clear_pointer (&line->value, g_free);
  memset (&line->info, 0, sizeof line->info);
  line->value_start = 0;
  line->value_end = 0;
}

static void
line_clear (gpointer data)
{
  Line *line = data;

  clear_analysis (line);
  g_clear_pointer (&line->owned_text, g_free);
}

static void
set_line_text (Line       *line,
               const char *text,
               gsize       len)
{
  char *copy = g_strndup (text, len);

  /* text may point into owned_text, so copy before freeing */
  g_free (line->owned_text);
  line->owned_text = copy;
  line->text = copy;
  line->len = len;
}

static gboolean
is_name (const char *name,
         gsize       len)
{
  gsize i;

  if (len == 0 || g_ascii_isspace (name[0]) || g_ascii_isspace (name[len - 1]))
    return FALSE;
  if (!g_utf8_validate (name, len, NULL))
    return FALSE;

  for (i = 0; i < len; i++)
    {
      if (name[i] == '[' || name[i] == ']' || g_ascii_iscntrl (name[i]))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_key_name_len (const char *name,
                 gsize       len)
{
  return is_name (name, len)
         && name[0] != '#' && name[0] != ';'
         && memchr (name, '=', len) == NULL;
}

static void
mark_invalid (Line                *line,
              TwKeyDocProblemKind  reason)
{
  line->info.kind = TW_KEY_DOC_LINE_INVALID;
  line->invalid_reason = reason;
}

/* Works out what one line is, from its bytes alone. */
static void
analyse_line (Line     *line,
              gboolean  first)
{
  const char *p = line->text;
  const char *end = line->text + line->len;
  const char *eq;
  const char *key_end;
  const char *value_start;
  const char *value_end;

  if (memchr (p, '\0', line->len) != NULL || !g_utf8_validate (p, line->len, NULL))
    {
      mark_invalid (line, TW_KEY_DOC_PROBLEM_NOT_TEXT);
      return;
    }

  /* editors on other systems like to start files with a byte order mark */
  if (first && line->len >= 3 && memcmp (p, utf8_bom, 3) == 0)
    p += 3;

  while (p < end && g_ascii_isspace (*p))
    p++;

  if (p == end)
    {
      line->info.kind = TW_KEY_DOC_LINE_BLANK;
      return;
    }

  if (*p == '#' || *p == ';')
    {
      line->info.kind = TW_KEY_DOC_LINE_COMMENT;
      return;
    }

  if (*p == '[')
    {
      const char *q = end;
      const char *name_start = p + 1;
      const char *name_end;

      while (q > p && g_ascii_isspace (q[-1]))
        q--;
      if (q - p < 2 || q[-1] != ']')
        {
          mark_invalid (line, TW_KEY_DOC_PROBLEM_SYNTAX);
          return;
        }

      name_end = q - 1;
      while (name_start < name_end && g_ascii_isspace (*name_start))
        name_start++;
      while (name_end > name_start && g_ascii_isspace (name_end[-1]))
        name_end--;
      if (!is_name (name_start, name_end - name_start))
        {
          mark_invalid (line, TW_KEY_DOC_PROBLEM_SYNTAX);
          return;
        }

      line->info.kind = TW_KEY_DOC_LINE_GROUP;
      line->name = g_strndup (name_start, name_end - name_start);
      return;
    }

  eq = memchr (p, '=', end - p);
  if (eq == NULL)
    {
      mark_invalid (line, TW_KEY_DOC_PROBLEM_SYNTAX);
      return;
    }

  key_end = eq;
  while (key_end > p && g_ascii_isspace (key_end[-1]))
    key_end--;
  if (!is_key_name_len (p, key_end - p))
    {
      mark_invalid (line, TW_KEY_DOC_PROBLEM_SYNTAX);
      return;
    }

  value_start = eq + 1;
  while (value_start < end && g_ascii_isspace (*value_start))
    value_start++;
  value_end = end;
  while (value_end > value_start && g_ascii_isspace (value_end[-1]))
    value_end--;

  line->info.kind = TW_KEY_DOC_LINE_KEY;
  line->name = g_strndup (p, key_end - p);
  line->value = g_strndup (value_start, value_end - value_start);
  line->value_start = value_start - line->text;
  line->value_end = value_end - line->text;
}

static void
add_problem (TwKeyDoc            *self,
             TwKeyDocProblemKind  kind,
             const Line          *line,
             guint                first_line)
{
  TwKeyDocProblem problem = {
    .kind = kind,
    .line = line->info.line,
    .group = line->info.group,
    .key = line->info.key,
    .first_line = first_line,
  };

  g_array_append_val (self->problems, problem);
}

/* Recomputes every line's meaning and the problems from the lines' bytes. */
static void
analyse (TwKeyDoc *self)
{
  g_autoptr(GHashTable) seen = NULL;
  const char *group = NULL;
  guint i;

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_array_set_size (self->problems, 0);

  for (i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);

      clear_analysis (line);
      analyse_line (line, i == 0);
      line->info.line = i + 1;

      switch (line->info.kind)
        {
        case TW_KEY_DOC_LINE_GROUP:
          group = line->name;
          line->info.group = group;
          break;

        case TW_KEY_DOC_LINE_KEY:
          line->info.group = group;
          line->info.key = line->name;
          line->info.value = line->value;
          if (group == NULL)
            {
              add_problem (self, TW_KEY_DOC_PROBLEM_KEY_OUTSIDE_GROUP, line, 0);
            }
          else
            {
              /* neither a group nor a key can hold a newline */
              char *id = g_strconcat (group, "\n", line->name, NULL);
              gpointer first = g_hash_table_lookup (seen, id);

              if (first != NULL)
                {
                  add_problem (self, TW_KEY_DOC_PROBLEM_DUPLICATE_KEY, line,
                               GPOINTER_TO_UINT (first));
                  g_free (id);
                }
              else
                {
                  g_hash_table_insert (seen, id, GUINT_TO_POINTER (line->info.line));
                }
            }
          break;

        case TW_KEY_DOC_LINE_INVALID:
          line->info.group = group;
          add_problem (self, line->invalid_reason, line, 0);
          break;

        case TW_KEY_DOC_LINE_BLANK:
        case TW_KEY_DOC_LINE_COMMENT:
        default:
          line->info.group = group;
          break;
        }
    }
}

static const char *
preferred_eol (TwKeyDoc *self)
{
  guint i;

  for (i = 0; i < self->lines->len; i++)
    {
      const Line *line = &g_array_index (self->lines, Line, i);

      if (*line->eol != '\0')
        return line->eol;
    }

  return "\n";
}

/* Inserts a line before @index (== n_lines to append). A file that did not end with
 * a newline still does not. The caller runs analyse() afterwards. */
static void
insert_line (TwKeyDoc   *self,
             guint       index,
             const char *text)
{
  const char *eol = preferred_eol (self);
  Line line = { 0, };

  g_assert (index <= self->lines->len);

  if (index > 0)
    {
      Line *before = &g_array_index (self->lines, Line, index - 1);

      if (*before->eol == '\0')
        {
          before->eol = eol;
          eol = "";
        }
    }

  line.eol = eol;
  set_line_text (&line, text, strlen (text));
  g_array_insert_val (self->lines, index, line);
}

/* Replaces the value of an analysed key line, keeping what surrounds it. */
static void
replace_value (Line       *line,
               const char *value)
{
  g_autoptr(GString) text = NULL;

  g_assert (line->info.kind == TW_KEY_DOC_LINE_KEY);

  text = g_string_new_len (line->text, line->value_start);
  /* "key =" had no value yet: follow the spacing around the "=" */
  if (line->value_start == line->value_end
      && line->value_start >= 2
      && line->text[line->value_start - 1] == '='
      && g_ascii_isspace (line->text[line->value_start - 2])
      && *value != '\0')
    g_string_append_c (text, ' ');
  g_string_append (text, value);
  g_string_append_len (text, line->text + line->value_end, line->len - line->value_end);

  set_line_text (line, text->str, text->len);
}

static gboolean
is_commented_key (const Line *line,
                  const char *key)
{
  gsize key_len = strlen (key);
  gsize i = 0;

  if (line->info.kind != TW_KEY_DOC_LINE_COMMENT || line->len == 0 || line->text[0] != '#')
    return FALSE;

  i = 1;
  if (i < line->len && line->text[i] == ' ')
    i++;
  if (line->len - i < key_len || memcmp (line->text + i, key, key_len) != 0)
    return FALSE;

  i += key_len;
  while (i < line->len && (line->text[i] == ' ' || line->text[i] == '\t'))
    i++;

  return i < line->len && line->text[i] == '=';
}

static int
find_key_line (TwKeyDoc   *self,
               const char *group,
               const char *key)
{
  int i;

  /* the last definition is the one that counts */
  for (i = (int) self->lines->len - 1; i >= 0; i--)
    {
      const Line *line = &g_array_index (self->lines, Line, i);

      if (line->info.kind == TW_KEY_DOC_LINE_KEY
          && line->info.group != NULL
          && strcmp (line->info.group, group) == 0
          && strcmp (line->info.key, key) == 0)
        return i;
    }

  return -1;
}

/* The index at which a new key of the section starting at @header goes: after its
 * last line that is not blank, but before a comment block that sits right on top of
 * the next group's header, since that most likely documents the next group. */
static guint
section_insert_index (TwKeyDoc *self,
                      guint     header)
{
  guint next = header + 1;
  guint index;

  while (next < self->lines->len
         && g_array_index (self->lines, Line, next).info.kind != TW_KEY_DOC_LINE_GROUP)
    next++;

  index = next;
  if (next < self->lines->len)
    {
      while (index > header + 1
             && g_array_index (self->lines, Line, index - 1).info.kind == TW_KEY_DOC_LINE_COMMENT)
        index--;
    }
  while (index > header + 1
         && g_array_index (self->lines, Line, index - 1).info.kind == TW_KEY_DOC_LINE_BLANK)
    index--;

  return index;
}

/**
 * tw_key_doc_new_from_data:
 * @data: (array length=length): the text of a key file; need not be NUL-terminated,
 *   valid UTF-8 or even text: lines that are not text are kept as they are and
 *   reported as problems
 * @length: the length of @data in bytes
 *
 * Parses a key file into its lines. Parsing never fails: lines that are none of a
 * blank line, a comment (`#` or `;`), a `[group]` header or a `key = value` pair
 * are kept and recorded as problems, as are keys before the first group and keys
 * set twice in the same group (the last value counts).
 *
 * Returns: (transfer full): a new document; free it with tw_key_doc_free()
 */
TwKeyDoc *
tw_key_doc_new_from_data (const char *data,
                          gsize       length)
{
  TwKeyDoc *self;
  const char *p;
  const char *end;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  self = g_new0 (TwKeyDoc, 1);
  self->data = g_malloc (length + 1);
  if (length > 0)
    memcpy (self->data, data, length);
  self->data[length] = '\0';

  self->lines = g_array_new (FALSE, TRUE, sizeof (Line));
  g_array_set_clear_func (self->lines, line_clear);
  self->problems = g_array_new (FALSE, TRUE, sizeof (TwKeyDocProblem));

  p = self->data;
  end = self->data + length;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      Line line = { 0, };

      line.text = p;
      if (nl == NULL)
        {
          line.len = end - p;
          line.eol = "";
          p = end;
        }
      else if (nl > p && nl[-1] == '\r')
        {
          line.len = nl - 1 - p;
          line.eol = "\r\n";
          p = nl + 1;
        }
      else
        {
          line.len = nl - p;
          line.eol = "\n";
          p = nl + 1;
        }

      g_array_append_val (self->lines, line);
    }

  analyse (self);

  return self;
}

/**
 * tw_key_doc_free:
 * @self: (transfer full) (nullable): a document
 *
 * Frees @self and everything it returned.
 */
void
tw_key_doc_free (TwKeyDoc *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->problems, g_array_unref);
  g_clear_pointer (&self->lines, g_array_unref);
  g_clear_pointer (&self->data, g_free);
  g_free (self);
}

/**
 * tw_key_doc_to_data:
 * @self: a document
 * @length: (out) (optional): where to store the length of the text
 *
 * Serialises the document. As long as it was not changed, the result is
 * byte for byte the text it was parsed from.
 *
 * Returns: (transfer full): the text, NUL-terminated
 */
char *
tw_key_doc_to_data (TwKeyDoc *self,
                    gsize    *length)
{
  GString *text;
  guint i;

  g_return_val_if_fail (self != NULL, NULL);

  text = g_string_new (NULL);
  for (i = 0; i < self->lines->len; i++)
    {
      const Line *line = &g_array_index (self->lines, Line, i);

      g_string_append_len (text, line->text, line->len);
      g_string_append (text, line->eol);
    }

  if (length != NULL)
    *length = text->len;

  return g_string_free (text, FALSE);
}

/**
 * tw_key_doc_get_n_lines:
 * @self: a document
 *
 * Returns: the number of lines, a last line without a terminator included
 */
guint
tw_key_doc_get_n_lines (TwKeyDoc *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->lines->len;
}

/**
 * tw_key_doc_get_line:
 * @self: a document
 * @index: 0-based, below tw_key_doc_get_n_lines()
 *
 * Returns: (transfer none): what line @index + 1 is, valid until @self is changed
 */
const TwKeyDocLine *
tw_key_doc_get_line (TwKeyDoc *self,
                     guint     index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->lines->len, NULL);

  return &g_array_index (self->lines, Line, index).info;
}

/**
 * tw_key_doc_get_n_problems:
 * @self: a document
 *
 * Returns: the number of syntax problems, see tw_key_doc_get_problem()
 */
guint
tw_key_doc_get_n_problems (TwKeyDoc *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->problems->len;
}

/**
 * tw_key_doc_get_problem:
 * @self: a document
 * @index: 0-based, below tw_key_doc_get_n_problems()
 *
 * Problems come in the order of their lines.
 *
 * Returns: (transfer none): the problem, valid until @self is changed
 */
const TwKeyDocProblem *
tw_key_doc_get_problem (TwKeyDoc *self,
                        guint     index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->problems->len, NULL);

  return &g_array_index (self->problems, TwKeyDocProblem, index);
}

/**
 * tw_key_doc_has_group:
 * @self: a document
 * @group: a group name
 *
 * Returns: whether a `[@group]` header is in the document
 */
gboolean
tw_key_doc_has_group (TwKeyDoc   *self,
                      const char *group)
{
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (group != NULL, FALSE);

  for (i = 0; i < self->lines->len; i++)
    {
      const Line *line = &g_array_index (self->lines, Line, i);

      if (line->info.kind == TW_KEY_DOC_LINE_GROUP && strcmp (line->name, group) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * tw_key_doc_get_value:
 * @self: a document
 * @group: a group name
 * @key: a key name
 * @out_line: (out) (optional): the 1-based line of the value, 0 when there is none
 *
 * Looks up the value of @key in @group. When the key is set more than once,
 * the last line counts.
 *
 * Returns: (nullable) (transfer none): the value without surrounding whitespace,
 *   valid until @self is changed, or %NULL when the key is not set
 */
const char *
tw_key_doc_get_value (TwKeyDoc   *self,
                      const char *group,
                      const char *key,
                      guint      *out_line)
{
  int index;
  const Line *line;

  if (out_line != NULL)
    *out_line = 0;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  index = find_key_line (self, group, key);
  if (index < 0)
    return NULL;

  line = &g_array_index (self->lines, Line, index);
  if (out_line != NULL)
    *out_line = line->info.line;

  return line->value;
}

/**
 * tw_key_doc_set_value:
 * @self: a document
 * @group: a group name, see tw_key_doc_is_group_name()
 * @key: a key name, see tw_key_doc_is_key_name()
 * @value: the new value: one line of UTF-8 text, without leading or trailing
 *   whitespace (it would not be read back)
 *
 * Sets @key in @group, touching as little as possible: the value of the line that
 * sets the key is replaced in place; failing that, a line of the form `#key = …` or
 * `# key = …` in the group is uncommented; failing that, `key = value` goes at the
 * end of the group (before blank lines and before a comment that sits on the next
 * group's header); failing that, the group is created at the end of the document.
 * New lines use the document's line terminator.
 */
void
tw_key_doc_set_value (TwKeyDoc   *self,
                      const char *group,
                      const char *key,
                      const char *value)
{
  g_autofree char *key_line = NULL;
  g_autofree char *group_line = NULL;
  int index;
  int header = -1;
  guint i;

  g_return_if_fail (self != NULL);
  g_return_if_fail (tw_key_doc_is_group_name (group));
  g_return_if_fail (tw_key_doc_is_key_name (key));
  g_return_if_fail (value != NULL);
  g_return_if_fail (g_utf8_validate (value, -1, NULL));
  g_return_if_fail (strpbrk (value, "\r\n") == NULL);

  index = find_key_line (self, group, key);
  if (index >= 0)
    {
      replace_value (&g_array_index (self->lines, Line, index), value);
      analyse (self);
      return;
    }

  for (i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);

      if (line->info.group == NULL || strcmp (line->info.group, group) != 0)
        continue;

      if (line->info.kind == TW_KEY_DOC_LINE_GROUP)
        header = i;

      if (is_commented_key (line, key))
        {
          const char *p = line->text + 1;

          if (*p == ' ')
            p++;
          set_line_text (line, p, line->len - (p - line->text));
          clear_analysis (line);
          analyse_line (line, FALSE);
          replace_value (line, value);
          analyse (self);
          return;
        }
    }

  key_line = g_strdup_printf ("%s = %s", key, value);

  if (header >= 0)
    {
      insert_line (self, section_insert_index (self, header), key_line);
      analyse (self);
      return;
    }

  if (self->lines->len > 0
      && g_array_index (self->lines, Line, self->lines->len - 1).info.kind
         != TW_KEY_DOC_LINE_BLANK)
    insert_line (self, self->lines->len, "");

  group_line = g_strdup_printf ("[%s]", group);
  insert_line (self, self->lines->len, group_line);
  insert_line (self, self->lines->len, key_line);
  analyse (self);
}

/**
 * tw_key_doc_remove_group:
 * @self: a #TwKeyDoc
 * @group: a group name
 *
 * Removes every `[group]` header of @group with the lines under it, up to the next
 * group's header but not a comment that sits on that header (no blank line in
 * between), and the blank lines a group at the end of the document leaves behind.
 * Every other line stays as it is.
 */
void
tw_key_doc_remove_group (TwKeyDoc   *self,
                         const char *group)
{
  guint i = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (group != NULL);

  while (i < self->lines->len)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      guint end;

      if (line->info.kind != TW_KEY_DOC_LINE_GROUP || strcmp (line->info.group, group) != 0)
        {
          i++;
          continue;
        }

      for (end = i + 1; end < self->lines->len; end++)
        if (g_array_index (self->lines, Line, end).info.kind == TW_KEY_DOC_LINE_GROUP)
          break;

      if (end < self->lines->len)
        {
          while (end > i + 1
                 && g_array_index (self->lines, Line, end - 1).info.kind == TW_KEY_DOC_LINE_COMMENT)
            end--;
        }
      else
        {
          while (i > 0 && g_array_index (self->lines, Line, i - 1).info.kind == TW_KEY_DOC_LINE_BLANK)
            i--;
        }

      g_array_remove_range (self->lines, i, end - i);
      analyse (self);
    }
}

/**
 * tw_key_doc_is_group_name:
 * @name: a string
 *
 * Returns: whether @name can be written as `[@name]` and read back: non-empty
 *   UTF-8 without brackets, control characters or surrounding whitespace
 */
gboolean
tw_key_doc_is_group_name (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return is_name (name, strlen (name));
}

/**
 * tw_key_doc_is_key_name:
 * @name: a string
 *
 * Returns: whether @name can be written as `@name = value` and read back: like a
 *   group name, and without `=` nor a leading `#` or `;`
 */
gboolean
tw_key_doc_is_key_name (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);

  return is_key_name_len (name, strlen (name));
}
