/* tw-extract-private.h — helpers shared by the progress and metric parsers (not for
 * use outside app/extract)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-observation.h"

G_BEGIN_DECLS

static inline gboolean
tw_extract_is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static inline const char *
tw_extract_skip_spaces (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

TwObservation *tw_extract_push               (GArray            *out,
                                              TwObservationKind  kind,
                                              guint64            offset);
gboolean       tw_extract_parse_number       (const char        *p,
                                              double            *value,
                                              const char       **endp);
gint64         tw_extract_parse_int          (const char        *p,
                                              const char       **endp);
gboolean       tw_extract_parse_clock        (const char        *p,
                                              double            *seconds,
                                              const char       **endp);
void           tw_extract_add_metric         (GArray            *out,
                                              guint64            offset,
                                              const char        *name,
                                              gssize             name_len,
                                              double             value,
                                              gboolean           sub);
gboolean       tw_extract_is_skipped_metric  (const char        *name,
                                              gsize              len);
gboolean       tw_extract_parse_epoch_prefix (const char        *p,
                                              gint64            *n,
                                              gint64            *total,
                                              const char       **endp);

G_END_DECLS
