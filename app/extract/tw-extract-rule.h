/* tw-extract-rule.h — the user's own rules: a regular expression on a line of a run's
 * output, a level, and a message made from the match (like swatchdog)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-event.h"
#include "tw-observation.h"

G_BEGIN_DECLS

#define TW_RULE_ERROR (tw_rule_error_quark ())

typedef enum
{
  TW_RULE_ERROR_INVALID_PATTERN,
  TW_RULE_ERROR_INVALID_TEMPLATE,
} TwRuleError;

typedef struct _TwRuleSet TwRuleSet;

GQuark      tw_rule_error_quark       (void);

TwRuleSet  *tw_rule_set_new           (void);
void        tw_rule_set_free          (TwRuleSet   *self);
gboolean    tw_rule_set_add           (TwRuleSet   *self,
                                       const char  *regex,
                                       TwLevel      level,
                                       const char  *message_template,
                                       GError     **error);
guint       tw_rule_set_get_n_rules   (TwRuleSet   *self);
guint       tw_rule_set_get_n_needles (TwRuleSet   *self);
const char *tw_rule_set_get_needle    (TwRuleSet   *self,
                                       guint        i);
const char *tw_rule_set_find_needle   (TwRuleSet   *self,
                                       guint        i,
                                       const char  *p,
                                       gsize        len);
void        tw_rule_set_line          (TwRuleSet   *self,
                                       const char  *line,
                                       gsize        len,
                                       guint64      offset,
                                       GArray      *out);
void        tw_rule_set_line_func     (const char  *line,
                                       gsize        len,
                                       guint64      offset,
                                       GArray      *out,
                                       gpointer     user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwRuleSet, tw_rule_set_free)

G_END_DECLS
