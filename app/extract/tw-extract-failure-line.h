/* tw-extract-failure-line.h — what one line says about a failure, with no memory of the
 * lines before it: the stateless half of tw-extract-failure.c (private to it)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "tw-observation.h"

G_BEGIN_DECLS

/* The longest message an observation carries, in bytes. */
#define TW_FAILURE_MESSAGE_MAX 2048

static inline gboolean
tw_failure_has_prefix (const char *p,
                       gsize       len,
                       const char *literal,
                       gsize       literal_len)
{
  return len >= literal_len && memcmp (p, literal, literal_len) == 0;
}

static inline gboolean
tw_failure_has_suffix (const char *p,
                       gsize       len,
                       const char *literal)
{
  gsize literal_len = strlen (literal);

  return len >= literal_len && memcmp (p + len - literal_len, literal, literal_len) == 0;
}

/* For string literals; TW_FIND needs _GNU_SOURCE (memmem) in the including file. */
#define TW_HAS_PREFIX(p, len, literal) \
  tw_failure_has_prefix ((p), (len), (literal), sizeof (literal) - 1)
#define TW_FIND(p, len, literal) \
  ((const char *) memmem ((p), (len), (literal), sizeof (literal) - 1))

const char   *tw_failure_line_find_candidate     (const char  *p,
                                                  gsize        len);
gboolean      tw_failure_line_may_matter         (const char  *line,
                                                  gsize        len);
gboolean      tw_failure_line_is_blank           (const char  *p,
                                                  gsize        len);
void          tw_failure_line_strip_rank_prefix  (const char **line,
                                                  gsize       *len);
char         *tw_failure_line_dup_text           (const char  *p,
                                                  gsize        len,
                                                  gboolean     collapse);
gboolean      tw_failure_line_parse_exception    (const char  *line,
                                                  gsize        len,
                                                  gsize       *name_len,
                                                  const char **message,
                                                  gsize       *message_len);
GRegex       *tw_failure_line_new_nan_regex      (void);
TwFailureKind tw_failure_line_classify           (GRegex      *nan_regex,
                                                  const char  *p,
                                                  gsize        len);
TwFailureKind tw_failure_line_classify_exception (GRegex      *nan_regex,
                                                  const char  *name,
                                                  gsize        name_len,
                                                  const char  *message,
                                                  gsize        message_len);
gboolean      tw_failure_line_find_killed        (const char  *line,
                                                  gsize        len,
                                                  const char **start);

G_END_DECLS
