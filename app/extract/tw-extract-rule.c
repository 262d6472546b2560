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

#if defined(__GNUC__) && G_BYTE_ORDER == G_LITTLE_ENDIAN
#define HAVE_BLOCKS 1
typedef guint8 Block __attribute__ ((vector_size (16)));
#endif

/* memmem() for the short needles of rules, 16 positions at a time: a block in which
 * the needle's first and last bytes are somewhere in place is compared position by
 * position. Several times faster than glibc's memmem() over text where neither byte is
 * rare. */
static const char *
find_needle (const char *p,
             gsize       len,
             const char *needle,
             gsize       needle_len)
{
  const char *last;

  if (needle_len == 0 || needle_len > len)
    return needle_len == 0 ? p : NULL;
  last = p + len - needle_len;

#ifdef HAVE_BLOCKS
  {
    Block first = (Block) { 0 } + (guint8) needle[0];
    Block final = (Block) { 0 } + (guint8) needle[needle_len - 1];

    for (; p + 15 <= last; p += 16)
      {
        Block a, b;
        guint64 lo, hi;

        memcpy (&a, p, sizeof a);
        memcpy (&b, p + needle_len - 1, sizeof b);
        a = (Block) ((a == first) & (b == final));
        memcpy (&lo, &a, sizeof lo);
        memcpy (&hi, (const char *) &a + sizeof lo, sizeof hi);
        if (G_LIKELY ((lo | hi) == 0))
          continue;
        for (const char *at = p; at < p + 16; at++)
          if (*at == needle[0] && memcmp (at + 1, needle + 1, needle_len - 1) == 0)
            return at;
      }
  }
#endif
  for (; p <= last; p++)
    if (*p == needle[0] && memcmp (p + 1, needle + 1, needle_len - 1) == 0)
      return p;

  return NULL;
}

/* Needles: literals one of which every line a rule set matches must contain, so that a
 * whole read buffer can be searched for them (memmem) before any regular expression
 * runs. A needle is at least NEEDLE_MIN ASCII characters without control bytes: the
 * extractor looks for them in raw bytes, where cleaning keeps every ASCII byte of a
 * line without control bytes and replaces only invalid UTF-8. */
#define NEEDLE_MIN 2

typedef struct
{
  GString  *run;        /* the literal characters read since the last non-literal */
  GString  *best;       /* the longest run of the current branch */
  gboolean  last_literal;
} NeedleScan;

static void
end_run (NeedleScan *scan)
{
  if (scan->run->len > scan->best->len)
    g_string_assign (scan->best, scan->run->str);
  g_string_truncate (scan->run, 0);
  scan->last_literal = FALSE;
}

/* Skips a bracketed class at p ('['); returns its closing ']' or NULL. */
static const char *
skip_class (const char *p)
{
  p++;
  if (*p == '^')
    p++;
  if (*p == ']')
    p++;
  for (; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '[' && p[1] == ':')
        {
          const char *close = strstr (p + 2, ":]");

          if (close == NULL)
            return NULL;
          p = close + 1;
        }
      else if (*p == ']')
        return p;
    }

  return NULL;
}

/* Skips a group at p ('('); returns its closing ')' or NULL. */
static const char *
skip_group (const char *p)
{
  int depth = 0;

  for (; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '[')
        {
          p = skip_class (p);
          if (p == NULL)
            return NULL;
        }
      else if (*p == '(')
        depth++;
      else if (*p == ')' && --depth == 0)
        return p;
    }

  return NULL;
}

/* Skips a counted repetition at p ('{'): returns its '}' and whether it may repeat
 * zero times, or NULL when the brace is a literal one. */
static const char *
skip_count (const char *p,
            gboolean   *may_be_zero)
{
  const char *q = p + 1;
  guint64 min = 0;

  if (!g_ascii_isdigit (*q))
    return NULL;
  for (; g_ascii_isdigit (*q); q++)
    min = MIN (min * 10 + (guint64) (*q - '0'), 1000);
  if (*q == ',')
    for (q++; g_ascii_isdigit (*q); q++)
      ;
  if (*q != '}')
    return NULL;
  *may_be_zero = min == 0;

  return q;
}

/* Whether the text after "(?" sets options for the rest of the pattern: "i)", "-x)". */
static gboolean
sets_options (const char *p)
{
  if (*p == 'P')
    return FALSE;
  while (g_ascii_isalpha (*p) || *p == '-' || *p == '^')
    p++;

  return *p == ')';
}

/* Adds to @needles one literal for each top-level alternative of @pattern that every
 * match of it contains; FALSE when some alternative has none, or the pattern uses
 * syntax this does not follow (options such as (?i), \Q…\E, numeric escapes), so
 * that every line must be tried. */
static gboolean
collect_needles (const char *pattern,
                 GPtrArray  *needles)
{
  g_autoptr(GString) run = g_string_new (NULL);
  g_autoptr(GString) best = g_string_new (NULL);
  NeedleScan scan = { run, best, FALSE };

  for (const char *p = pattern;; p++)
    {
      char c = *p;

      switch (c)
        {
        case '\0':
        case '|':
          end_run (&scan);
          if (best->len < NEEDLE_MIN)
            return FALSE;
          g_ptr_array_add (needles, g_strdup (best->str));
          g_string_truncate (best, 0);
          if (c == '\0')
            return TRUE;
          break;

        case '\\':
          c = *++p;
          if (c == '\0' || strchr ("QEKxocpPNgkuUlL0123456789", c) != NULL)
            return FALSE;
          if (g_ascii_isalnum (c))
            {
              /* a class (\d, \w, \s), an assertion (\b) or a control character (\t) */
              end_run (&scan);
              break;
            }
          g_string_append_c (run, c);
          scan.last_literal = TRUE;
          break;

        case '(':
          /* "(?i)" changes the options of what follows; "(?i:…)" only its own group,
           * which is skipped like any group. "(*…)" verbs change how it matches. */
          if (p[1] == '*' || (p[1] == '?' && sets_options (p + 2)))
            return FALSE;
          end_run (&scan);
          p = skip_group (p);
          if (p == NULL)
            return FALSE;
          break;

        case '[':
          end_run (&scan);
          p = skip_class (p);
          if (p == NULL)
            return FALSE;
          break;

        case '?':
        case '*':
        case '+':
        case '{':
          {
            gboolean may_be_zero = c != '+';

            if (c == '{')
              {
                const char *close = skip_count (p, &may_be_zero);

                if (close == NULL)
                  {
                    /* a literal brace */
                    g_string_append_c (run, c);
                    scan.last_literal = TRUE;
                    break;
                  }
                p = close;
              }
            /* the repeated atom: the last literal character, or something else */
            if (scan.last_literal && may_be_zero)
              g_string_truncate (run, run->len - 1);
            end_run (&scan);
            /* lazy and possessive forms */
            if (p[1] == '?' || p[1] == '+')
              p++;
          }
          break;

        case ')':
          return FALSE;

        default:
          if ((guchar) c >= 0x80 || g_ascii_iscntrl (c) || c == '.' || c == '^' || c == '$')
            end_run (&scan);
          else
            {
              g_string_append_c (run, c);
              scan.last_literal = TRUE;
            }
          break;
        }
    }
}

typedef struct
{
  GRegex  *regex;
  TwLevel  level;
  char    *template;   /* NULL: the message is the line */
} Rule;

struct _TwRuleSet
{
  GArray    *rules;       /* of Rule */
  GPtrArray *needles;     /* of char *: one of them is in every line a rule matches */
  gboolean   every_line;  /* some rule has no needle: every line must be tried */
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
  self->needles = g_ptr_array_new_with_free_func (g_free);

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
  g_ptr_array_unref (self->needles);
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

  if (!self->every_line)
    {
      g_autoptr(GPtrArray) needles = g_ptr_array_new_with_free_func (g_free);

      if (collect_needles (regex, needles))
        {
          for (guint i = 0; i < needles->len; i++)
            if (!g_ptr_array_find_with_equal_func (self->needles, needles->pdata[i],
                                                   g_str_equal, NULL))
              g_ptr_array_add (self->needles, g_strdup (needles->pdata[i]));
        }
      else
        {
          self->every_line = TRUE;
          g_ptr_array_set_size (self->needles, 0);
        }
    }

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
 * tw_rule_set_get_n_needles:
 * @self: a rule set
 *
 * Tells how many needles the rules have: literals (ASCII, at least two bytes, no
 * control bytes) one of which is in every line that some rule matches. A reader may
 * then search a whole buffer for them and try the rules only on the lines that hold
 * one, with the same result as trying every line.
 *
 * Returns: the number of needles; 0 when there are no rules, or when some rule's
 *   pattern has no needle (it can match without a fixed text, like `\d+%`, or uses
 *   syntax the search does not follow, like `(?i)`) and every line must be tried
 */
guint
tw_rule_set_get_n_needles (TwRuleSet *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->needles->len;
}

/**
 * tw_rule_set_get_needle:
 * @self: a rule set
 * @i: an index below tw_rule_set_get_n_needles()
 *
 * Returns: the needle, NUL-terminated
 */
const char *
tw_rule_set_get_needle (TwRuleSet *self,
                        guint      i)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->needles->len, NULL);

  return self->needles->pdata[i];
}

/**
 * tw_rule_set_find_needle:
 * @self: a rule set
 * @i: an index below tw_rule_set_get_n_needles()
 * @p: text, not NUL-terminated (raw bytes will do)
 * @len: its length in bytes
 *
 * Finds the first occurrence of needle @i in @p, as memmem() would, only faster.
 *
 * Returns: (nullable): where it starts in @p, or %NULL
 */
const char *
tw_rule_set_find_needle (TwRuleSet  *self,
                         guint       i,
                         const char *p,
                         gsize       len)
{
  const char *needle;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->needles->len, NULL);

  needle = self->needles->pdata[i];
  return find_needle (p, len, needle, strlen (needle));
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

  /* without a needle, no rule can match: the regular expressions are spared */
  if (self->needles->len > 0)
    {
      guint k;

      for (k = 0; k < self->needles->len; k++)
        if (tw_rule_set_find_needle (self, k, line, len) != NULL)
          break;
      if (k == self->needles->len)
        return;
    }

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
