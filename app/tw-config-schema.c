/* tw-config-schema.c — every group and key of the config file, with types, defaults and docs
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-config-schema.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tw-dnd-time.h"
#include "tw-event.h"

/* To add a setting, add a row to keys[] (and its group to groups[] if it is new),
 * read it with tw_config_get_*(), and describe it in docs/config.md; the tests check
 * that every default is valid and that the documentation names every key. Groups and
 * keys appear in the default file in the order of these tables. */

/* The same strings as tw_level_to_string(), in the same order. */
static const char * const level_choices[] = {
  "info", "success", "warning", "error", "critical", NULL,
};

static const char * const security_choices[] = {
  "starttls", "tls", "none", NULL,
};

/* What email, Slack and Discord hear about by default: what needs the user, and the
 * end of a run. Milestones and the rest stay on the desktop. */
#define FORWARD_EVENTS "run-completed, run-failed, out-of-memory, nan-detected, " \
                       "loss-diverging, stalled, run-stopped, rule-matched, message"

static const TwConfigGroup groups[] = {
  {
    .name = "general",
    .doc = N_("How the daemon behaves as a whole."),
  },
  {
    .name = "runs",
    .doc = N_("How Trainwatch judges the training runs it follows."),
  },
  {
    .name = "desktop",
    .doc = N_("Notifications and the dock icon on this computer’s desktop."),
  },
  {
    .name = "notifications",
    .doc = N_("When notifications are held back: the desktop’s Do Not Disturb, quiet "
              "hours, and “trainwatch pause”. Held notifications are not lost: they are "
              "in the history, and when the pause ends one notification sums them up."),
  },
  {
    .name = "history",
    .doc = N_("The journal of events that the jobs window shows: history.jsonl in "
              "$XDG_STATE_HOME/trainwatch."),
  },
  {
    .name = "email",
    .doc = N_("Forwarding to email. The password is kept in the keyring (“trainwatch "
              "secret set email”), or in the environment variable TRAINWATCH_SMTP_PASSWORD; "
              "never in this file."),
  },
  {
    .name = "slack",
    .doc = N_("Forwarding to a Slack channel through an incoming webhook. The webhook’s "
              "address is kept in the keyring (“trainwatch secret set slack”), or in the "
              "environment variable TRAINWATCH_SLACK_WEBHOOK; never in this file."),
  },
  {
    .name = "discord",
    .doc = N_("Forwarding to a Discord channel through a webhook. The webhook’s address "
              "is kept in the keyring (“trainwatch secret set discord”), or in the "
              "environment variable TRAINWATCH_DISCORD_WEBHOOK; never in this file."),
  },
  {
    .name = "network",
    .doc = N_("How Trainwatch connects to mail servers and webhooks. Connections always "
              "use TLS with a verified certificate. A proxy is used when the environment "
              "names one (https_proxy, all_proxy, no_proxy)."),
  },
};

static const TwConfigKey keys[] = {
  {
    .group = "general",
    .key = "snooze-minutes",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "60",
    .min = 1,
    .max = 1440,
    .doc = N_("How many minutes the “Snooze” action of a notification silences the "
              "non-critical notifications of that run. Critical ones still come through."),
  },
  {
    .group = "general",
    .key = "tray-icon",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether the daemon shows its icon in the panel (trainwatch-tray), where the "
              "panel shows such icons. Turned off, the icon goes away at once."),
  },
  {
    .group = "runs",
    .key = "stall-minutes",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "0",
    .min = 0,
    .max = 10080,
    .doc = N_("After how many minutes without output a running run counts as stalled. "
              "0 decides from the run itself: three times the longest pause it has made, "
              "but at least 10 minutes and at most 2 hours."),
  },
  {
    .group = "runs",
    .key = "milestones",
    .type = TW_CONFIG_TYPE_STRING,
    .default_value = "25,50,75,100",
    .doc = N_("At which percentages of a run’s progress to make a milestone event, as "
              "whole numbers from 1 to 100 separated by commas. Empty: no milestones."),
  },
  {
    .group = "runs",
    .key = "loss-divergence-factor",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "3",
    .min = 2,
    .max = 1000,
    .doc = N_("How many times its best value a training loss may grow to before the run "
              "is reported as diverging."),
  },
  {
    .group = "desktop",
    .key = "enabled",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether to show desktop notifications. Forwarding to other channels does "
              "not depend on it."),
  },
  {
    .group = "desktop",
    .key = "sound",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether to ask the notification server to play a sound with a "
              "notification. The server chooses the sound and may ignore the request."),
  },
  {
    .group = "desktop",
    .key = "min-level",
    .type = TW_CONFIG_TYPE_ENUM,
    .default_value = "info",
    .choices = level_choices,
    .doc = N_("The lowest level of event shown on the desktop, from info through "
              "success, warning and error to critical. Events below it are not shown "
              "there but still reach the history."),
  },
  {
    .group = "desktop",
    .key = "dock-progress",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether Trainwatch’s icon on the dock or taskbar shows the mean progress "
              "of the running runs, how many are running, and asks for attention while "
              "a failure is unseen. Only docks that support it show this (Plank, Dash to "
              "Dock, KDE Plasma), and only when Trainwatch is pinned there."),
  },
  {
    .group = "desktop",
    .key = "events",
    .type = TW_CONFIG_TYPE_EVENT_KINDS,
    .default_value = "run-started, progress, epoch-completed, checkpoint-saved, "
                     "evaluation-completed, new-best, run-completed, run-failed, "
                     "out-of-memory, nan-detected, loss-diverging, stalled, resumed, "
                     "run-stopped, rule-matched, message",
    .doc = N_("Which kinds of event are shown on the desktop, separated by commas."),
  },
  {
    .group = "notifications",
    .key = "follow-desktop",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether the desktop’s Do Not Disturb holds Trainwatch’s notifications too: "
              "GNOME, KDE Plasma, Xfce, MATE, Cinnamon, or dunst paused."),
  },
  {
    .group = "notifications",
    .key = "quiet-hours",
    .type = TW_CONFIG_TYPE_TIME_RANGES,
    .default_value = "",
    .doc = N_("Times of day when notifications are held, in local time, such as "
              "22:00-07:30 (which crosses midnight); several ranges are separated by "
              "commas. Empty: none."),
  },
  {
    .group = "notifications",
    .key = "show-critical",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether critical events (a failed run, out of memory, NaN) still show while "
              "notifications are held. If false, they are held too and appear in the summary."),
  },
  {
    .group = "notifications",
    .key = "hold-forwarding",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "false",
    .doc = N_("Whether forwarding to email, Slack and Discord is held as well while desktop "
              "notifications are held. By default it is not: forwarding is for when you are "
              "away from this computer."),
  },
  {
    .group = "history",
    .key = "max-size-kib",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "4096",
    .min = 64,
    .max = 1048576,
    .doc = N_("The size, in KiB, at which history.jsonl is rotated: the file is set "
              "aside and a new one is started."),
  },
  {
    .group = "history",
    .key = "keep-files",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "2",
    .min = 0,
    .max = 20,
    .doc = N_("How many rotated history files are kept besides the current one; older "
              "ones are deleted. With 0, rotating discards the older events."),
  },
  {
    .group = "email",
    .key = "enabled",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether to forward by email once a server and a recipient are set."),
  },
  {
    .group = "email",
    .key = "server",
    .type = TW_CONFIG_TYPE_HOST,
    .default_value = "",
    .doc = N_("The mail server that sends for you (SMTP), such as smtp.example.org. "
              "Empty: no email."),
  },
  {
    .group = "email",
    .key = "port",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "0",
    .min = 0,
    .max = 65535,
    .doc = N_("The mail server’s port. 0: the usual one for the security chosen (587 "
              "for starttls, 465 for tls, 25 for none)."),
  },
  {
    .group = "email",
    .key = "security",
    .type = TW_CONFIG_TYPE_ENUM,
    .default_value = "starttls",
    .choices = security_choices,
    .doc = N_("How the connection to the mail server is protected: starttls (the "
              "connection switches to TLS before anything is sent; refused if the server "
              "cannot), tls (TLS from the start), or none (nothing is encrypted; only for "
              "a server on this computer or network)."),
  },
  {
    .group = "email",
    .key = "user",
    .type = TW_CONFIG_TYPE_STRING,
    .default_value = "",
    .doc = N_("The user name to log in to the mail server with. Empty: no login."),
  },
  {
    .group = "email",
    .key = "from",
    .type = TW_CONFIG_TYPE_MAIL_ADDRESS,
    .default_value = "",
    .doc = N_("The sender’s address. Empty: the user name if it is an address, else the "
              "first recipient."),
  },
  {
    .group = "email",
    .key = "to",
    .type = TW_CONFIG_TYPE_MAIL_ADDRESSES,
    .default_value = "",
    .doc = N_("Who gets the messages: one or more addresses, separated by commas."),
  },
  {
    .group = "email",
    .key = "events",
    .type = TW_CONFIG_TYPE_EVENT_KINDS,
    .default_value = FORWARD_EVENTS,
    .doc = N_("Which kinds of event are sent by email, separated by commas."),
  },
  {
    .group = "email",
    .key = "min-interval-seconds",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "60",
    .min = 0,
    .max = 86400,
    .doc = N_("The least time between two messages. Events that come meanwhile are "
              "gathered into the next message."),
  },
  {
    .group = "slack",
    .key = "enabled",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether to forward to Slack once its webhook is set."),
  },
  {
    .group = "slack",
    .key = "events",
    .type = TW_CONFIG_TYPE_EVENT_KINDS,
    .default_value = FORWARD_EVENTS,
    .doc = N_("Which kinds of event are sent to Slack, separated by commas."),
  },
  {
    .group = "slack",
    .key = "min-interval-seconds",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "1",
    .min = 0,
    .max = 86400,
    .doc = N_("The least time between two messages (Slack takes one a second). Events "
              "that come meanwhile are gathered into the next message."),
  },
  {
    .group = "discord",
    .key = "enabled",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether to forward to Discord once its webhook is set."),
  },
  {
    .group = "discord",
    .key = "events",
    .type = TW_CONFIG_TYPE_EVENT_KINDS,
    .default_value = FORWARD_EVENTS,
    .doc = N_("Which kinds of event are sent to Discord, separated by commas."),
  },
  {
    .group = "discord",
    .key = "edit-in-place",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "true",
    .doc = N_("Whether a run has one message that is edited as it progresses. Events "
              "that need you (a failure, a stall) and the end of the run still come as "
              "a new message, so that Discord tells you of them."),
  },
  {
    .group = "discord",
    .key = "min-interval-seconds",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "2",
    .min = 0,
    .max = 86400,
    .doc = N_("The least time between two messages. Events that come meanwhile are "
              "gathered into the next message."),
  },
  {
    .group = "network",
    .key = "ca-file",
    .type = TW_CONFIG_TYPE_STRING,
    .default_value = "",
    .doc = N_("A file of certificate authorities (PEM) to check servers’ certificates "
              "against instead of the system’s, for a mail server with a certificate of "
              "its own or a proxy that inspects TLS. A leading ~ is your home folder. "
              "Empty: the system’s authorities. The environment variable "
              "TRAINWATCH_CA_FILE, when set, wins over it."),
  },
  {
    .group = "network",
    .key = "retry-hours",
    .type = TW_CONFIG_TYPE_INT,
    .default_value = "24",
    .min = 1,
    .max = 720,
    .doc = N_("For how many hours a message that could not be sent (no network, a "
              "server down) is tried again, less and less often, before it is given up "
              "and marked failed in the history."),
  },
};

/* Groups that may appear any number of times, as [KIND:NAME]. */
static const TwConfigSection sections[] = {
  {
    .kind = "watch",
    .required_key = "path",
    .example = "resnet ~/runs/resnet/train.log",
    .doc = N_("A run to follow, one group per file or pattern: [watch:NAME], where NAME "
              "names the run in notifications. “trainwatch watch” and “trainwatch "
              "unwatch” add and remove these groups."),
  },
  {
    .kind = "rule",
    .required_key = "pattern",
    .example = "checkpoint-lost Failed to save checkpoint (.*)",
    .doc = N_("A rule of your own, one group per rule: [rule:NAME]. Every line that any "
              "followed run prints is matched against its pattern, and a match is "
              "reported as an event at the rule’s level."),
  },
};

static const TwConfigKey section_keys[] = {
  {
    .group = "watch",
    .key = "path",
    .type = TW_CONFIG_TYPE_STRING,
    .default_value = "",
    .doc = N_("The file to follow: a training log, or a status file (a .json file "
              "or Lightning’s metrics.csv). It may be a pattern with *, ? and [...], "
              "such as ~/runs/*/train.log: then every matching file, present or future, "
              "is a run of its own. A leading ~ is your home folder."),
  },
  {
    .group = "watch",
    .key = "paused",
    .type = TW_CONFIG_TYPE_BOOLEAN,
    .default_value = "false",
    .doc = N_("Whether the watch is paused: its file is not followed, and its runs "
              "stop, until this is false again. The watch is kept."),
  },
  {
    .group = "rule",
    .key = "pattern",
    .type = TW_CONFIG_TYPE_REGEX,
    .default_value = "",
    .doc = N_("A regular expression (Perl syntax) that a line of output must contain. "
              "Colour codes are removed from lines before they are matched."),
  },
  {
    .group = "rule",
    .key = "level",
    .type = TW_CONFIG_TYPE_ENUM,
    .default_value = "warning",
    .choices = level_choices,
    .doc = N_("The level of the event a match makes, which decides how and where it "
              "is shown."),
  },
  {
    .group = "rule",
    .key = "message",
    .type = TW_CONFIG_TYPE_STRING,
    .default_value = "",
    .doc = N_("The text of the event. \\0 stands for the whole match and \\1 to "
              "\\9 for the pattern’s groups; \\\\ is a backslash. Empty: the "
              "line itself."),
  },
};

#define COMMENT_WIDTH 78

/* Appends @text as "# "-prefixed lines of at most COMMENT_WIDTH characters. */
static void
append_comment (GString    *out,
                const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  glong column = 0;
  guint i;

  for (i = 0; words[i] != NULL; i++)
    {
      glong width = g_utf8_strlen (words[i], -1);

      if (width == 0)
        continue;

      if (column > 0 && column + 1 + width > COMMENT_WIDTH)
        {
          g_string_append_c (out, '\n');
          column = 0;
        }

      if (column == 0)
        {
          g_string_append (out, "# ");
          column = 2;
        }
      else
        {
          g_string_append_c (out, ' ');
          column++;
        }

      g_string_append (out, words[i]);
      column += width;
    }

  if (column > 0)
    g_string_append_c (out, '\n');
}

static gboolean
is_one_line_text (const char *text)
{
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (p = text; *p != '\0'; p++)
    {
      if (g_ascii_iscntrl (*p) && *p != '\t')
        return FALSE;
    }

  return TRUE;
}

/**
 * tw_config_parse_event_kinds:
 * @text: event kind names (tw_event_kind_to_string()) separated by commas, or nothing
 * @ok: (out) (optional): whether @text was valid
 *
 * Returns: a bit (1 << kind) for each kind named; 0 for an empty or invalid @text
 */
guint32
tw_config_parse_event_kinds (const char *text,
                             gboolean   *ok)
{
  g_auto(GStrv) names = NULL;
  guint32 kinds = 0;

  G_STATIC_ASSERT (TW_N_EVENT_KINDS <= 32);

  if (ok != NULL)
    *ok = FALSE;
  g_return_val_if_fail (text != NULL, 0);

  names = g_strsplit (text, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      TwEventKind kind;

      g_strstrip (names[i]);
      if (*names[i] == '\0' && names[1] == NULL)
        break;  /* an empty list */
      if (!tw_event_kind_from_string (names[i], &kind))
        return 0;
      kinds |= 1u << kind;
    }

  if (ok != NULL)
    *ok = TRUE;
  return kinds;
}

static char *
dup_event_kinds (guint32 kinds)
{
  GString *out = g_string_new (NULL);

  for (guint kind = 0; kind < TW_N_EVENT_KINDS; kind++)
    {
      if ((kinds & (1u << kind)) == 0)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, tw_event_kind_to_string (kind));
    }

  return g_string_free (out, FALSE);
}

/**
 * tw_config_is_host_name:
 * @text: a host as a person wrote it
 *
 * Returns: whether @text is a DNS name (letters, digits, hyphens and dots, labels of
 *   at most 63 bytes), an IPv4 address, or an IPv6 address (with or without brackets)
 */
gboolean
tw_config_is_host_name (const char *text)
{
  gsize len;
  gsize label = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  len = strlen (text);
  if (len >= 2 && text[0] == '[' && text[len - 1] == ']')
    {
      g_autofree char *inner = g_strndup (text + 1, len - 2);

      return g_hostname_is_ip_address (inner) && strchr (inner, ':') != NULL;
    }
  if (g_hostname_is_ip_address (text))
    return TRUE;
  if (len == 0 || len > 253 || text[0] == '.' || text[0] == '-')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (label == 0 || p[-1] == '-')
            return FALSE;
          label = 0;
        }
      else if (g_ascii_isalnum (*p) || *p == '-' || *p == '_')
        {
          if (++label > 63)
            return FALSE;
        }
      else
        {
          return FALSE;
        }
    }

  return text[len - 1] != '-';
}

/**
 * tw_config_is_mail_address:
 * @text: a mail address as a person wrote it, without a display name
 *
 * Returns: whether @text is `local@domain`, where the local part is printable
 *   ASCII without spaces, quotes, angle brackets, commas or semicolons, and the
 *   domain passes tw_config_is_host_name() and has a dot (or is an address literal)
 */
gboolean
tw_config_is_mail_address (const char *text)
{
  const char *at;

  g_return_val_if_fail (text != NULL, FALSE);

  at = strrchr (text, '@');
  if (at == NULL || at == text || at - text > 64)
    return FALSE;
  for (const char *p = text; p < at; p++)
    {
      if (*p <= ' ' || *p >= 0x7f || strchr ("\"<>(),;:@[]\\", *p) != NULL)
        return FALSE;
    }
  if (text[0] == '.' || at[-1] == '.' || strstr (text, "..") != NULL)
    return FALSE;
  if (at[1] == '[')
    {
      gsize len = strlen (at + 1);
      g_autofree char *inner = len >= 2 && at[len] == ']' ? g_strndup (at + 2, len - 2) : NULL;

      return inner != NULL && g_hostname_is_ip_address (inner);
    }

  return tw_config_is_host_name (at + 1) && strchr (at + 1, '.') != NULL
         && !g_hostname_is_ip_address (at + 1);
}

static gboolean
is_mail_address_list (const char *text)
{
  g_auto(GStrv) addresses = g_strsplit (text, ",", -1);

  if (*text == '\0')
    return TRUE;
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      if (!tw_config_is_mail_address (g_strstrip (addresses[i])))
        return FALSE;
    }

  return TRUE;
}

static char *
dup_mail_address_list (const char *text)
{
  g_auto(GStrv) addresses = g_strsplit (text, ",", -1);

  if (*text == '\0')
    return g_strdup ("");
  for (guint i = 0; addresses[i] != NULL; i++)
    g_strstrip (addresses[i]);

  return g_strjoinv (", ", addresses);
}

/* The index of @group's @key in @table, or -1. */
static int
find_in (const TwConfigKey *table,
         guint              n,
         const char        *group,
         const char        *key)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (table[i].group, group) == 0 && strcmp (table[i].key, key) == 0)
      return i;

  return -1;
}

static gboolean
is_valid_regex (const char *text)
{
  g_autoptr(GRegex) regex = NULL;

  if (*text == '\0')
    return FALSE;
  regex = g_regex_new (text, G_REGEX_OPTIMIZE, 0, NULL);

  return regex != NULL;
}

/**
 * tw_config_schema_get_groups:
 * @n_groups: (out): where to store the number of groups
 *
 * Returns: (transfer none) (array length=n_groups): every group, in file order
 */
const TwConfigGroup *
tw_config_schema_get_groups (guint *n_groups)
{
  g_return_val_if_fail (n_groups != NULL, NULL);

  *n_groups = G_N_ELEMENTS (groups);
  return groups;
}

/**
 * tw_config_schema_get_keys:
 * @n_keys: (out): where to store the number of keys
 *
 * Returns: (transfer none) (array length=n_keys): every key, in file order; the
 *   index of a key in this array is what tw_config_schema_find_key() returns
 */
const TwConfigKey *
tw_config_schema_get_keys (guint *n_keys)
{
  g_return_val_if_fail (n_keys != NULL, NULL);

  *n_keys = G_N_ELEMENTS (keys);
  return keys;
}

/**
 * tw_config_schema_has_group:
 * @group: a group name
 *
 * Returns: whether @group is a group of the config file
 */
gboolean
tw_config_schema_has_group (const char *group)
{
  guint i;

  g_return_val_if_fail (group != NULL, FALSE);

  for (i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      if (strcmp (groups[i].name, group) == 0)
        return TRUE;
    }

  return tw_config_schema_parse_section (group, NULL) != NULL;
}

/**
 * tw_config_schema_get_sections:
 * @n_sections: (out): where to store the number of section kinds
 *
 * Returns: (transfer none) (array length=n_sections): the kinds of group that may
 *   appear any number of times, as `[KIND:NAME]`
 */
const TwConfigSection *
tw_config_schema_get_sections (guint *n_sections)
{
  g_return_val_if_fail (n_sections != NULL, NULL);

  *n_sections = G_N_ELEMENTS (sections);
  return sections;
}

/**
 * tw_config_schema_get_section_keys:
 * @n_keys: (out): where to store the number of keys
 *
 * Returns: (transfer none) (array length=n_keys): the keys of every section kind;
 *   a key's group is the kind it belongs to
 */
const TwConfigKey *
tw_config_schema_get_section_keys (guint *n_keys)
{
  g_return_val_if_fail (n_keys != NULL, NULL);

  *n_keys = G_N_ELEMENTS (section_keys);
  return section_keys;
}

/**
 * tw_config_schema_find_section_key:
 * @kind: a section kind, such as `watch`
 * @key: a key name
 *
 * Returns: the index of the key in tw_config_schema_get_section_keys(), or -1
 */
int
tw_config_schema_find_section_key (const char *kind,
                                   const char *key)
{
  g_return_val_if_fail (kind != NULL, -1);
  g_return_val_if_fail (key != NULL, -1);

  return find_in (section_keys, G_N_ELEMENTS (section_keys), kind, key);
}

/**
 * tw_config_schema_parse_section:
 * @group: a group name
 * @out_name: (out) (optional) (transfer none): where to store the section's name,
 *   which points into @group
 *
 * Returns: (nullable): the kind of section @group is (`watch:resnet` is a `watch`
 *   named `resnet`), or %NULL if it is none; a name is never empty
 */
const TwConfigSection *
tw_config_schema_parse_section (const char  *group,
                                const char **out_name)
{
  const char *colon;
  guint i;

  g_return_val_if_fail (group != NULL, NULL);

  colon = strchr (group, ':');
  if (colon == NULL || colon[1] == '\0')
    return NULL;

  for (i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      if (strlen (sections[i].kind) == (gsize) (colon - group)
          && strncmp (sections[i].kind, group, colon - group) == 0)
        {
          if (out_name != NULL)
            *out_name = colon + 1;
          return &sections[i];
        }
    }

  return NULL;
}

/**
 * tw_config_schema_find_key:
 * @group: a group name
 * @key: a key name
 *
 * Returns: the index of the key in tw_config_schema_get_keys(), or -1 if the
 *   schema has no such key
 */
int
tw_config_schema_find_key (const char *group,
                           const char *key)
{
  g_return_val_if_fail (group != NULL, -1);
  g_return_val_if_fail (key != NULL, -1);

  return find_in (keys, G_N_ELEMENTS (keys), group, key);
}

/**
 * tw_config_key_parse:
 * @key: a key of the schema
 * @text: the value as written in the file, without surrounding whitespace
 * @out_value: (out) (optional): where to store the parsed value
 *
 * Checks @text against the type of @key. Booleans are `true` or `false` (in any
 * case; `1` and `0` too, as GKeyFile reads them), integers are decimal and within
 * the key's range, enums are one of the key's choices (in any case), strings are
 * one line of UTF-8 text without control characters.
 *
 * Returns: whether @text is a valid value for @key
 */
gboolean
tw_config_key_parse (const TwConfigKey *key,
                     const char        *text,
                     TwConfigValue     *out_value)
{
  TwConfigValue value = { 0, };
  gint64 number;
  guint i;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  switch (key->type)
    {
    case TW_CONFIG_TYPE_BOOLEAN:
      if (g_ascii_strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0)
        value.boolean = TRUE;
      else if (g_ascii_strcasecmp (text, "false") == 0 || strcmp (text, "0") == 0)
        value.boolean = FALSE;
      else
        return FALSE;
      break;

    case TW_CONFIG_TYPE_INT:
      if (!g_ascii_string_to_signed (text, 10, key->min, key->max, &number, NULL))
        return FALSE;
      value.integer = (int) number;
      break;

    case TW_CONFIG_TYPE_ENUM:
      for (i = 0; key->choices[i] != NULL; i++)
        {
          if (g_ascii_strcasecmp (text, key->choices[i]) == 0)
            break;
        }
      if (key->choices[i] == NULL)
        return FALSE;
      value.integer = i;
      value.string = key->choices[i];
      break;

    case TW_CONFIG_TYPE_STRING:
      if (!is_one_line_text (text))
        return FALSE;
      value.string = text;
      break;

    case TW_CONFIG_TYPE_REGEX:
      if (!is_one_line_text (text) || !is_valid_regex (text))
        return FALSE;
      value.string = text;
      break;

    case TW_CONFIG_TYPE_TIME_RANGES:
      {
        g_autoptr(TwQuietHours) ranges = NULL;

        if (!is_one_line_text (text) || (ranges = tw_quiet_hours_parse (text, NULL)) == NULL)
          return FALSE;
        value.string = text;
      }
      break;

    case TW_CONFIG_TYPE_EVENT_KINDS:
      {
        gboolean ok;

        value.kinds = tw_config_parse_event_kinds (text, &ok);
        if (!ok)
          return FALSE;
        value.string = text;
      }
      break;

    case TW_CONFIG_TYPE_HOST:
      if (*text != '\0' && !tw_config_is_host_name (text))
        return FALSE;
      value.string = text;
      break;

    case TW_CONFIG_TYPE_MAIL_ADDRESS:
      if (*text != '\0' && !tw_config_is_mail_address (text))
        return FALSE;
      value.string = text;
      break;

    case TW_CONFIG_TYPE_MAIL_ADDRESSES:
      if (!is_mail_address_list (text))
        return FALSE;
      value.string = text;
      break;

    default:
      g_assert_not_reached ();
    }

  if (out_value != NULL)
    *out_value = value;

  return TRUE;
}

/**
 * tw_config_key_dup_normalized:
 * @key: a key of the schema
 * @text: a value as a person or program wrote it
 *
 * Checks @text (surrounding whitespace allowed) against the type of @key and
 * returns the way it is written to the file: `true`/`false`, a plain decimal
 * number, the choice as the schema spells it, or the string without
 * surrounding whitespace.
 *
 * Returns: (transfer full) (nullable): the normalized value, or %NULL if @text is
 *   not valid for @key
 */
char *
tw_config_key_dup_normalized (const TwConfigKey *key,
                              const char        *text)
{
  g_autofree char *stripped = NULL;
  TwConfigValue value;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  stripped = g_strstrip (g_strdup (text));
  if (!tw_config_key_parse (key, stripped, &value))
    return NULL;

  switch (key->type)
    {
    case TW_CONFIG_TYPE_BOOLEAN:
      return g_strdup (value.boolean ? "true" : "false");
    case TW_CONFIG_TYPE_INT:
      return g_strdup_printf ("%d", value.integer);
    case TW_CONFIG_TYPE_ENUM:
      return g_strdup (value.string);
    case TW_CONFIG_TYPE_STRING:
    case TW_CONFIG_TYPE_REGEX:
    case TW_CONFIG_TYPE_HOST:
    case TW_CONFIG_TYPE_MAIL_ADDRESS:
      return g_steal_pointer (&stripped);
    case TW_CONFIG_TYPE_EVENT_KINDS:
      return dup_event_kinds (value.kinds);
    case TW_CONFIG_TYPE_MAIL_ADDRESSES:
      return dup_mail_address_list (stripped);
    case TW_CONFIG_TYPE_TIME_RANGES:
      {
        g_autoptr(TwQuietHours) ranges = tw_quiet_hours_parse (stripped, NULL);

        return tw_quiet_hours_to_string (ranges);
      }
    default:
      g_assert_not_reached ();
    }
}

/**
 * tw_config_key_dup_allowed:
 * @key: a key of the schema
 *
 * Describes the values @key accepts, for messages such as “expected true or false”.
 *
 * Returns: (transfer full): a translated phrase, such as “true or false”
 */
char *
tw_config_key_dup_allowed (const TwConfigKey *key)
{
  g_autofree char *choices = NULL;

  g_return_val_if_fail (key != NULL, NULL);

  switch (key->type)
    {
    case TW_CONFIG_TYPE_BOOLEAN:
      /* Translators: the values a setting accepts; “true” and “false” are
       * written as is in the file and must not be translated */
      return g_strdup (_("true or false"));
    case TW_CONFIG_TYPE_INT:
      /* Translators: the values a setting accepts */
      return g_strdup_printf (_("a whole number from %d to %d"), key->min, key->max);
    case TW_CONFIG_TYPE_ENUM:
      choices = g_strjoinv (", ", (char **) key->choices);
      /* Translators: the values a setting accepts; %s is a list of words written
       * as is in the file, such as “info, success, warning” */
      return g_strdup_printf (_("one of %s"), choices);
    case TW_CONFIG_TYPE_STRING:
      /* Translators: the values a setting accepts */
      return g_strdup (_("one line of text"));
    case TW_CONFIG_TYPE_REGEX:
      /* Translators: the values a setting accepts */
      return g_strdup (_("a regular expression"));
    case TW_CONFIG_TYPE_TIME_RANGES:
      /* Translators: the values a setting accepts; keep 22:00-07:30 as is */
      return g_strdup (_("ranges of time such as 22:00-07:30, separated by commas, or nothing"));
    case TW_CONFIG_TYPE_EVENT_KINDS:
      choices = dup_event_kinds ((1u << TW_N_EVENT_KINDS) - 1);
      /* Translators: the values a setting accepts; %s is a list of words written
       * as is in the file, such as “run-started, progress” */
      return g_strdup_printf (_("some of %s, separated by commas, or nothing"), choices);
    case TW_CONFIG_TYPE_HOST:
      /* Translators: the values a setting accepts */
      return g_strdup (_("a host name or IP address, or nothing"));
    case TW_CONFIG_TYPE_MAIL_ADDRESS:
      /* Translators: the values a setting accepts */
      return g_strdup (_("a mail address such as ada@example.org, or nothing"));
    case TW_CONFIG_TYPE_MAIL_ADDRESSES:
      /* Translators: the values a setting accepts */
      return g_strdup (_("mail addresses separated by commas, or nothing"));
    default:
      g_assert_not_reached ();
    }
}

/* A key's description, its allowed values, and the key commented out after @prefix. */
static void
append_key_doc (GString           *out,
                const TwConfigKey *key,
                const char        *prefix,
                const char        *value)
{
  g_autofree char *allowed = tw_config_key_dup_allowed (key);
  /* Translators: %s is a description of the values, such as “true or false” */
  g_autofree char *allowed_line = g_strdup_printf (_("Allowed values: %s."), allowed);

  append_comment (out, _(key->doc));
  append_comment (out, allowed_line);
  g_string_append_printf (out, "%s%s = %s\n", prefix, key->key, value);
}

/**
 * tw_config_schema_dup_default_text:
 *
 * Builds the config file written on first start: a header saying what the file
 * is, then every group with each of its keys commented out at its default value,
 * after its description. It is valid and yields every default, with or without
 * the keys commented out.
 *
 * Returns: (transfer full): the text, in the user's language
 */
char *
tw_config_schema_dup_default_text (void)
{
  GString *out = g_string_new (NULL);
  guint g;
  guint k;

  /* Translators: the header of the config file; keep lines under 78 characters */
  append_comment (out, _("Trainwatch settings."));
  g_string_append (out, "#\n");
  append_comment (out, _("The Trainwatch daemon reads this file when it starts and reloads it "
                         "whenever it changes, so there is no need to restart anything after "
                         "an edit. A value that is not valid is reported with its line number "
                         "and its default is used instead. Trainwatch only writes to this "
                         "file when you change a setting in its preferences, and then it "
                         "keeps your comments and layout."));
  g_string_append (out, "#\n");
  append_comment (out, _("Each setting below is commented out and shows its default value. "
                         "To change one, remove the “#” in front of it and edit the value. "
                         "Passwords and webhook addresses are not kept here but in the "
                         "system keyring."));

  for (g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      g_string_append_printf (out, "\n[%s]\n", groups[g].name);
      append_comment (out, _(groups[g].doc));

      for (k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          if (strcmp (keys[k].group, groups[g].name) != 0)
            continue;

          g_string_append_c (out, '\n');
          append_key_doc (out, &keys[k], "# ", keys[k].default_value);
        }
    }

  for (g = 0; g < G_N_ELEMENTS (sections); g++)
    {
      g_auto(GStrv) example = g_strsplit (sections[g].example, " ", 2);

      g_string_append_c (out, '\n');
      append_comment (out, _(sections[g].doc));
      /* Translators: introduces a commented-out example group in the config file */
      append_comment (out, _("For example (remove the “#   ” in front of each line):"));
      g_string_append_printf (out, "#\n#   [%s:%s]\n", sections[g].kind, example[0]);
      for (k = 0; k < G_N_ELEMENTS (section_keys); k++)
        {
          gboolean required;

          if (strcmp (section_keys[k].group, sections[g].kind) != 0)
            continue;

          required = strcmp (section_keys[k].key, sections[g].required_key) == 0;
          g_string_append (out, "#\n");
          append_key_doc (out, &section_keys[k], "#   ",
                          required ? example[1] : section_keys[k].default_value);
        }
    }

  return g_string_free (out, FALSE);
}
