/* tw-extract-rule.c — the user's own rules: a regular expression on a line of a run's
 * output, a level, and a message made from the match (like swatchdog)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-extract-rule.h"

#include <glib/gi18n.h>
#include <string.h>

/* A user's pattern with catastrophic backtracking ("(a+)+b") gives up on a line after
 * this many backtracking steps instead of stalling the daemon; ordinary patterns need a
 * few hundred on a log line. */
#define MATCH_LIMIT "(*LIMIT_MATCH=200000)"
#define MESSAGE_MAX 2048

typedef struct
{
  GRegex  *regex;
  TwLevel  level;
  char    *template;   /* NULL: the message is the line */
} Rule;

struct _TwRuleSet
{
  GArray *rules;   /* of Rule */
};

G_DEFINE_QUARK (tw-rule-error-quark, tw_rule_error)

static void
rule_clear (gpointer data)
{
  Rule *rule = data;

  g_clear_pointer (&rule->regex, g_regex_unref);
  g_clear_pointer (&rule->template, g_free);
}

/* The highest group "\N" in @template refers to; "\\" is a backslash. */
static int
template_max_reference (const char *template)
{
  int max = -1;

  for (const char *p = template; *p != '\0'; p++)
    {
      if (*p != '\\')
        continue;
      if (g_ascii_isdigit (p[1]))
        max = MAX (max, p[1] - '0');
      if (p[1] != '\0')
        p++;
    }

  return max;
}

static void
append_capped (GString    *message,
               const char *text,
               gsize       len)
{
  if (message->len >= MESSAGE_MAX)
    return;
  g_string_append_len (message, text, MIN (len, MESSAGE_MAX - message->len));
}

/* The template with "\0"…"\9" replaced by the match and its groups, as plain text. */
static char *
expand_template (const char *template,
                 GMatchInfo *match_info,
                 const char *line)
{
  GString *message = g_string_sized_new (strlen (template) + 32);

  for (const char *p = template; *p != '\0'; p++)
    {
      int start;
      int end;

      if (*p == '\\' && g_ascii_isdigit (p[1]))
        {
          if (g_match_info_fetch_pos (match_info, p[1] - '0', &start, &end) && start >= 0)
            append_capped (message, line + start, end - start);
          p++;
        }
      else if (*p == '\\' && p[1] == '\\')
        {
          append_capped (message, p, 1);
          p++;
        }
      else
        append_capped (message, p, 1);
    }

  /* A cut inside a character would make the message invalid UTF-8. */
  if (message->len >= MESSAGE_MAX)
    {
      const char *valid_end;

      g_utf8_validate_len (message->str, message->len, &valid_end);
      g_string_truncate (message, valid_end - message->str);
    }

  return g_string_free (message, FALSE);
}

static char *
dup_line (const char *line,
          gsize       len)
{
  const char *valid_end;

  while (len > 0 && g_ascii_isspace (line[len - 1]))
    len--;
  while (len > 0 && g_ascii_isspace (line[0]))
    {
      line++;
      len--;
    }
  len = MIN (len, MESSAGE_MAX);
  g_utf8_validate_len (line, len, &valid_end);

  return g_strndup (line, valid_end - line);
}

/**
 * tw_rule_set_new:
 *
 * Creates an empty set of rules.
 *
 * Returns: (transfer full): a new rule set; free it with tw_rule_set_free()
 */
TwRuleSet *
tw_rule_set_new (void)
{
  TwRuleSet *self = g_new0 (TwRuleSet, 1);

  self->rules = g_array_new (FALSE, TRUE, sizeof (Rule));
  g_array_set_clear_func (self->rules, rule_clear);

  return self;
}

/**
 * tw_rule_set_free:
 * @self: (nullable): a rule set
 *
 * Frees @self and its rules.
 */
void
tw_rule_set_free (TwRuleSet *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->rules);
  g_free (self);
}

/**
 * tw_rule_set_add:
 * @self: a rule set
 * @regex: a Perl-compatible regular expression matched against each line
 * @level: the level of what a match reports
 * @message_template: (nullable): the message, where `\0` is the whole match, `\1` … `\9`
 *   the groups (inserted as plain text; an unmatched group is empty) and `\\` a
 *   backslash; %NULL for the line itself
 * @error: return location for a #GError
 *
 * Adds a rule after the ones already in @self. Each line is matched against the rules
 * in the order they were added, and the first one that matches gives the line's
 * observation. A pattern that backtracks too much on some line does not match that line.
 *
 * Returns: %TRUE when added; %FALSE with %TW_RULE_ERROR_INVALID_PATTERN when @regex is
 *   not valid UTF-8 or does not compile, or %TW_RULE_ERROR_INVALID_TEMPLATE when the
 *   template is not valid UTF-8 or refers to a group the pattern does not have
 */
gboolean
tw_rule_set_add (TwRuleSet   *self,
                 const char  *regex,
                 TwLevel      level,
                 const char  *message_template,
                 GError     **error)
{
  g_autoptr(GRegex) plain = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *limited = NULL;
  Rule rule = { NULL, level, NULL };
  int max_reference;
  int n_groups;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (regex != NULL, FALSE);
  g_return_val_if_fail (level < TW_N_LEVELS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* GRegex hands PCRE2 the pattern unchecked, and PCRE2 reads past the end of a
   * broken UTF-8 sequence: check it here. */
  if (!g_utf8_validate (regex, -1, NULL))
    {
      g_set_error_literal (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_PATTERN,
                           _("Invalid rule pattern: it is not valid UTF-8"));
      return FALSE;
    }
  if (message_template != NULL && !g_utf8_validate (message_template, -1, NULL))
    {
      g_set_error_literal (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_TEMPLATE,
                           _("Invalid rule message: it is not valid UTF-8"));
      return FALSE;
    }

  /* Compiled once as written, so that the error speaks of the user's pattern. */
  plain = g_regex_new (regex, 0, 0, &local_error);
  if (plain == NULL)
    {
      g_set_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_PATTERN,
                   _("Invalid rule pattern “%s”: %s"), regex, local_error->message);
      return FALSE;
    }

  n_groups = g_regex_get_capture_count (plain);
  max_reference = message_template != NULL ? template_max_reference (message_template) : -1;
  if (max_reference > n_groups)
    {
      g_set_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_TEMPLATE,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The message of rule “%s” uses \\%d, but the pattern has "
                                "%d group",
                                "The message of rule “%s” uses \\%d, but the pattern has "
                                "%d groups", n_groups),
                   regex, max_reference, n_groups);
      return FALSE;
    }

  limited = g_strconcat (MATCH_LIMIT, regex, NULL);
  rule.regex = g_regex_new (limited, G_REGEX_OPTIMIZE, 0, &local_error);
  if (rule.regex == NULL)
    {
      g_set_error (error, TW_RULE_ERROR, TW_RULE_ERROR_INVALID_PATTERN,
                   _("Invalid rule pattern “%s”: %s"), regex, local_error->message);
      return FALSE;
    }
  rule.template = g_strdup (message_template);
  g_array_append_val (self->rules, rule);

  return TRUE;
}

/**
 * tw_rule_set_get_n_rules:
 * @self: a rule set
 *
 * Returns: how many rules @self holds
 */
guint
tw_rule_set_get_n_rules (TwRuleSet *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->rules->len;
}

/**
 * tw_rule_set_line:
 * @self: a rule set
 * @line: one clean line (valid UTF-8), without its terminator
 * @len: its length in bytes
 * @offset: the byte offset of the line in the stream
 * @out: (element-type TwObservation): where observations are appended
 *
 * Matches @line against the rules and appends one %TW_OBSERVATION_RULE, with the level
 * and expanded message of the first rule that matches, if any does.
 */
void
tw_rule_set_line (TwRuleSet  *self,
                  const char *line,
                  gsize       len,
                  guint64     offset,
                  GArray     *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (line != NULL || len == 0);
  g_return_if_fail (out != NULL);

  if (line == NULL)
    line = "";

  for (guint i = 0; i < self->rules->len; i++)
    {
      const Rule *rule = &g_array_index (self->rules, Rule, i);
      g_autoptr(GMatchInfo) match_info = NULL;
      g_autoptr(GError) error = NULL;
      TwObservation observation;

      if (!g_regex_match_full (rule->regex, line, len, 0, 0, &match_info, &error))
        {
          if (error != NULL)
            g_debug ("Rule “%s” gave up on a line: %s",
                     g_regex_get_pattern (rule->regex) + strlen (MATCH_LIMIT), error->message);
          continue;
        }

      tw_observation_init (&observation, TW_OBSERVATION_RULE, offset);
      observation.level = rule->level;
      observation.message = rule->template != NULL
                            ? expand_template (rule->template, match_info, line)
                            : dup_line (line, len);
      g_array_append_val (out, observation);
      return;
    }
}

/**
 * tw_rule_set_line_func:
 * @line: one clean line, without its terminator
 * @len: its length in bytes
 * @offset: the byte offset of the line in the stream
 * @out: (element-type TwObservation): where observations are appended
 * @user_data: the #TwRuleSet
 *
 * tw_rule_set_line() in the shape of a #TwLineFunc.
 */
void
tw_rule_set_line_func (const char *line,
                       gsize       len,
                       guint64     offset,
                       GArray     *out,
                       gpointer    user_data)
{
  tw_rule_set_line (user_data, line, len, offset, out);
}
