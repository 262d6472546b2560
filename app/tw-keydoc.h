/* tw-keydoc.h — a key file kept line by line, so edits keep the user's comments and layout
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TW_KEY_DOC_LINE_BLANK,
  TW_KEY_DOC_LINE_COMMENT,
  TW_KEY_DOC_LINE_GROUP,
  TW_KEY_DOC_LINE_KEY,
  TW_KEY_DOC_LINE_INVALID,
} TwKeyDocLineKind;

/* What one line of the document is. The strings belong to the document and stay
 * valid until it is changed or freed. */
typedef struct
{
  TwKeyDocLineKind  kind;
  guint             line;   /* 1-based */
  const char       *group;  /* GROUP: its name; other kinds: the enclosing group, or NULL */
  const char       *key;    /* KEY only */
  const char       *value;  /* KEY only, without surrounding whitespace */
} TwKeyDocLine;

typedef enum
{
  TW_KEY_DOC_PROBLEM_SYNTAX,             /* none of blank, comment, [group], key = value */
  TW_KEY_DOC_PROBLEM_NOT_TEXT,           /* invalid UTF-8 or a NUL byte */
  TW_KEY_DOC_PROBLEM_KEY_OUTSIDE_GROUP,  /* a key line before the first [group] */
  TW_KEY_DOC_PROBLEM_DUPLICATE_KEY,      /* a key set again in the same group */
} TwKeyDocProblemKind;

typedef struct
{
  TwKeyDocProblemKind  kind;
  guint                line;        /* 1-based */
  const char          *group;       /* nullable */
  const char          *key;         /* nullable */
  guint                first_line;  /* DUPLICATE_KEY: where the key was first set; else 0 */
} TwKeyDocProblem;

typedef struct _TwKeyDoc TwKeyDoc;

TwKeyDoc              *tw_key_doc_new_from_data  (const char  *data,
                                                  gsize        length);
void                   tw_key_doc_free           (TwKeyDoc    *self);
char                  *tw_key_doc_to_data        (TwKeyDoc    *self,
                                                  gsize       *length);

guint                  tw_key_doc_get_n_lines    (TwKeyDoc    *self);
const TwKeyDocLine    *tw_key_doc_get_line       (TwKeyDoc    *self,
                                                  guint        index);
guint                  tw_key_doc_get_n_problems (TwKeyDoc    *self);
const TwKeyDocProblem *tw_key_doc_get_problem    (TwKeyDoc    *self,
                                                  guint        index);

gboolean               tw_key_doc_has_group      (TwKeyDoc    *self,
                                                  const char  *group);
const char            *tw_key_doc_get_value      (TwKeyDoc    *self,
                                                  const char  *group,
                                                  const char  *key,
                                                  guint       *out_line);
void                   tw_key_doc_set_value      (TwKeyDoc    *self,
                                                  const char  *group,
                                                  const char  *key,
                                                  const char  *value);

void                   tw_key_doc_remove_group   (TwKeyDoc    *self,
                                                  const char  *group);

gboolean               tw_key_doc_is_group_name  (const char  *name);
gboolean               tw_key_doc_is_key_name    (const char  *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwKeyDoc, tw_key_doc_free)

G_END_DECLS
