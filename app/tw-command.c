/* tw-command.c — the command line, parsed the same way by the client and the daemon
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client parses its arguments to answer --help and usage errors at
 * once; the daemon parses the forwarded copy with the same code, so both
 * always agree on what a command means.
 */
#include "config.h"

#include "tw-command.h"

#include <glib/gi18n.h>

#include "tw-dnd-time.h"

G_DEFINE_QUARK (tw-command-error-quark, tw_command_error)

typedef struct
{
  const char *name;
  const char *parameters;
  const char *summary;
  const char *description;   /* nullable: more, after the options in the command's help */
} CommandInfo;

static const CommandInfo commands[] = {
  { "send", N_("TITLE [BODY]"), N_("Show a notification through Trainwatch and record it") },
  { "status", "", N_("Show the daemon’s state, its runs and recent events") },
  { "watch", N_("PATH|GLOB"), N_("Follow a training log or status file (kept across restarts)") },
  { "unwatch", N_("NAME|PATH"), N_("Stop following a log") },
  { "run", N_("-- COMMAND [ARGUMENT…]"), N_("Run a training command, show its output, and watch it") },
  { "inspect", N_("FILE…"), N_("Read a log or status file offline and print what Trainwatch would say") },
  { "pause", N_("[DURATION]"),
    N_("Hold notifications until “resume”, or for a while (30m, 2h, 14:30, tomorrow)"),
    N_("DURATION is a number of minutes, hours or days (30m, 2h, 1h30m, 1d; at most 7 days), "
       "a time of day (14:30), or “tomorrow” (08:00 the next morning). Without it, "
       "notifications are held until “trainwatch resume”. Critical ones (a failed run, out of "
       "memory, NaN) still show unless the config says otherwise; the others are summed up in "
       "one notification when the pause ends. The pause survives a restart of the daemon.") },
  { "resume", "", N_("End a pause; one notification sums up what was held") },
  { "secret", N_("set KIND | clear KIND | status"),
    N_("Keep the email password and the Slack and Discord webhook URLs in the keyring"),
    N_("“secret set KIND” reads the value from standard input (typed without echo on a terminal, "
       "or the first line of a pipe) and stores it in the keyring (the Secret Service); "
       "“secret clear KIND” removes it; “secret status” says which are set and where from, never "
       "their values. KIND is email (the SMTP password), slack or discord (the webhook URL, which "
       "must be https on hooks.slack.com or discord.com).\n\n"
       "Without a Secret Service (a server with no desktop), give them to the daemon in the "
       "environment variables TRAINWATCH_SMTP_PASSWORD, TRAINWATCH_SLACK_WEBHOOK and "
       "TRAINWATCH_DISCORD_WEBHOOK. A variable that is set wins over the keyring. The daemon reads "
       "them from the environment it was started in.") },
  { "test-channel", N_("email|slack|discord"),
    N_("Send a test message to a channel now and print the server’s answer"),
    N_("The message goes at once, whatever the channel’s list of events, rate limit or "
       "outbox hold. The exit status is 0 when the service accepted it. A channel that was "
       "stopped because the service refused its settings sends again once a test succeeds.") },
  { "preferences", "", N_("Open the preferences window") },
  { "quit", "", N_("Stop the daemon") },
  { "help", N_("[COMMAND]"), N_("Show help for a command") },
};

static const CommandInfo *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];

  return NULL;
}

static char *
main_help (void)
{
  GString *help = g_string_new (NULL);

  g_string_append_printf (help, "%s\n  trainwatch [%s] [%s…]\n\n", _("Usage:"), _("COMMAND"), _("OPTION"));
  g_string_append_printf (help, "%s\n\n",
                          _("Watches machine-learning training runs and tells you when they finish, fail or stall."));
  g_string_append_printf (help, "%s\n", _("Commands:"));
  g_string_append_printf (help, "  %-10s %s\n", "", _("Start the daemon in the background (it returns at once)"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (help, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  g_string_append_printf (help, "\n%s\n", _("Options:"));
  g_string_append_printf (help, "  %-14s %s\n", "-h, --help", _("Show this help"));
  g_string_append_printf (help, "  %-14s %s\n", "--version", _("Show the version"));
  g_string_append_printf (help, "  %-14s %s\n", "--demo[=fail]",
                          _("Start the daemon and a simulated training run that shows every kind of "
                            "notification; with =fail it ends in a CUDA out-of-memory error"));
  g_string_append_printf (help, "  %-14s %s\n", "--daemon",
                          _("Run the daemon in the foreground (for systemd and D-Bus activation)"));
  g_string_append_printf (help, "\n%s\n", _("Run “trainwatch help COMMAND” for the options of a command."));

  return g_string_free (help, FALSE);
}

static GOptionContext *
command_context (const CommandInfo *info,
                 GOptionEntry      *entries)
{
  g_autofree char *parameter_string = NULL;
  GOptionContext *context;

  parameter_string = info->parameters[0] != '\0'
                     ? g_strdup_printf ("%s %s", info->name, _(info->parameters))
                     : g_strdup (info->name);
  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(info->summary));
  if (info->description != NULL)
    g_option_context_set_description (context, _(info->description));
  g_option_context_set_help_enabled (context, FALSE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  return context;
}

static char *
command_help (const CommandInfo *info,
              GOptionEntry      *entries)
{
  g_autoptr(GOptionContext) context = command_context (info, entries);

  return g_option_context_get_help (context, TRUE, NULL);
}

static gboolean
usage_error (GError     **error,
             const char  *message)
{
  g_set_error (error, TW_COMMAND_ERROR, TW_COMMAND_ERROR_USAGE, "%s\n%s", message,
               _("Run “trainwatch --help” to see the commands."));
  return FALSE;
}

static gboolean
has_help_flag (int                 argc,
               const char * const *argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      if (g_str_equal (argv[i], "-h") || g_str_equal (argv[i], "--help"))
        return TRUE;
    }

  return FALSE;
}

static gboolean
parse_send (TwCommand          *command,
            int                 argc,
            const char * const *argv,
            GError            **error)
{
  g_autofree char *level = NULL;
  g_autofree char *job = NULL;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  GOptionEntry entries[] = {
    { "level", 'l', 0, G_OPTION_ARG_STRING, &level,
      N_("How much it matters: info, success, warning, error or critical (default: info)"), N_("LEVEL") },
    { "job", 'j', 0, G_OPTION_ARG_STRING, &job,
      N_("The run it belongs to; its notification is updated in place"), N_("NAME") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command ("send");

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }

  context = command_context (info, entries);
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  {
    /* g_option_context_parse_strv consumes what it parses from the array. */
    if (!g_option_context_parse_strv (context, &args, &local_error))
      return usage_error (error, local_error->message);
  }

  if (rest == NULL || rest[0] == NULL)
    return usage_error (error, _("“send” needs a title."));
  if (g_strv_length (rest) > 2)
    return usage_error (error, _("“send” takes a title and at most one body; quote text with spaces."));
  if (level != NULL && !tw_level_from_string (level, &command->level))
    {
      g_autofree char *message = g_strdup_printf (_("Unknown level “%s”: use info, success, warning, error or critical."),
                                                  level);

      return usage_error (error, message);
    }
  if (rest[0][0] == '\0')
    return usage_error (error, _("The title must not be empty."));
  if (!g_utf8_validate (rest[0], -1, NULL) || (rest[1] != NULL && !g_utf8_validate (rest[1], -1, NULL)))
    return usage_error (error, _("The title and body must be UTF-8 text."));
  if (job != NULL && job[0] == '\0')
    return usage_error (error, _("The job name must not be empty."));

  command->kind = TW_COMMAND_SEND;
  command->title = g_strdup (rest[0]);
  command->body = g_strdup (rest[1]);
  command->job = g_steal_pointer (&job);
  return TRUE;
}

static gboolean
parse_simple (TwCommand          *command,
              TwCommandKind       kind,
              const char         *name,
              gboolean            with_json,
              int                 argc,
              const char * const *argv,
              GError            **error)
{
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of text"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command (name);
  /* Commands without --json take only the remaining-arguments catcher. */
  GOptionEntry *used_entries = with_json ? entries : entries + 1;

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, used_entries);
      return TRUE;
    }

  context = command_context (info, used_entries);
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &local_error))
    return usage_error (error, local_error->message);
  if (rest != NULL && rest[0] != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("“%s” takes no arguments."), name);

      return usage_error (error, message);
    }

  command->kind = kind;
  command->json = json;
  return TRUE;
}

static gboolean
parse_test_channel (TwCommand          *command,
                    int                 argc,
                    const char * const *argv,
                    GError            **error)
{
  static const char * const channels[] = { "email", "slack", "discord", NULL };
  GOptionEntry entries[] = { { NULL } };
  const CommandInfo *info = find_command ("test-channel");

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }
  /* argv[0] is the command's name */
  if (argc != 2 || !g_strv_contains (channels, argv[1]))
    return usage_error (error, _("“test-channel” needs one of email, slack or discord."));

  command->kind = TW_COMMAND_TEST_CHANNEL;
  command->channel = g_strdup (argv[1]);
  return TRUE;
}

static gboolean
parse_inspect (TwCommand          *command,
               int                 argc,
               const char * const *argv,
               GError            **error)
{
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per line: each event, then the run"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command ("inspect");

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }

  context = command_context (info, entries);
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &local_error))
    return usage_error (error, local_error->message);
  if (rest == NULL || rest[0] == NULL)
    return usage_error (error, _("“inspect” needs a file."));

  command->kind = TW_COMMAND_INSPECT;
  command->json = json;
  command->files = g_steal_pointer (&rest);
  return TRUE;
}

static gboolean
copy_and_parse (GOptionContext      *context,
                int                  argc,
                const char * const  *argv,
                GError             **error)
{
  g_auto(GStrv) args = g_new0 (char *, argc + 1);
  g_autoptr(GError) local_error = NULL;

  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &local_error))
    return usage_error (error, local_error->message);

  return TRUE;
}

static gboolean
parse_watch (TwCommand          *command,
             TwCommandKind       kind,
             int                 argc,
             const char * const *argv,
             GError            **error)
{
  g_autofree char *name = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  gboolean is_watch = kind == TW_COMMAND_WATCH;
  GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, N_("The run’s name (default: from the path)"), N_("NAME") },
    { "wrapped-log", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &log, NULL, NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command (is_watch ? "watch" : "unwatch");
  GOptionEntry *used_entries = is_watch ? entries : entries + 2;

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, used_entries);
      return TRUE;
    }

  context = command_context (info, used_entries);
  if (!copy_and_parse (context, argc, argv, error))
    return FALSE;

  if (log != NULL)
    {
      if (name == NULL || (rest != NULL && rest[0] != NULL))
        return usage_error (error, _("“--wrapped-log” is for “trainwatch run”."));
      command->kind = kind;
      command->job = g_steal_pointer (&name);
      command->log = g_steal_pointer (&log);
      return TRUE;
    }
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL)
    {
      g_autofree char *message = g_strdup_printf (is_watch ? _("“watch” takes one path or glob pattern.")
                                                           : _("“unwatch” takes one name or path."));

      return usage_error (error, message);
    }
  if (name != NULL && (name[0] == '\0' || !g_utf8_validate (name, -1, NULL)))
    return usage_error (error, _("The name must be non-empty UTF-8 text."));

  command->kind = kind;
  command->job = g_steal_pointer (&name);
  command->files = g_steal_pointer (&rest);
  return TRUE;
}

static gboolean
parse_run (TwCommand          *command,
           int                 argc,
           const char * const *argv,
           GError            **error)
{
  g_autofree char *name = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, N_("The run’s name (default: from the command)"), N_("NAME") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command ("run");
  int dashdash = -1;

  /* Everything after "--" belongs to the command, --help included. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        dashdash = i;
        break;
      }

  if (has_help_flag (dashdash >= 0 ? dashdash : argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }
  if (dashdash < 0 || dashdash + 1 >= argc)
    return usage_error (error, _("“run” needs a command after “--”, as in: trainwatch run -- python train.py"));

  context = command_context (info, entries);
  if (!copy_and_parse (context, dashdash, argv, error))
    return FALSE;
  if (rest != NULL && rest[0] != NULL)
    return usage_error (error, _("Put the command after “--”, as in: trainwatch run -- python train.py"));
  if (name != NULL && (name[0] == '\0' || !g_utf8_validate (name, -1, NULL)))
    return usage_error (error, _("The name must be non-empty UTF-8 text."));

  command->kind = TW_COMMAND_RUN;
  command->job = g_steal_pointer (&name);
  command->argv = g_new0 (char *, argc - dashdash);
  for (int i = dashdash + 1; i < argc; i++)
    command->argv[i - dashdash - 1] = g_strdup (argv[i]);
  return TRUE;
}

static gboolean
parse_run_finished (TwCommand          *command,
                    int                 argc,
                    const char * const *argv,
                    GError            **error)
{
  g_autofree char *name = NULL;
  int exit_status = -1;
  int signal_number = 0;
  g_autoptr(GOptionContext) context = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, NULL, NULL },
    { "exit-status", 0, 0, G_OPTION_ARG_INT, &exit_status, NULL, NULL },
    { "signal", 0, 0, G_OPTION_ARG_INT, &signal_number, NULL, NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!copy_and_parse (context, argc, argv, error))
    return FALSE;
  if (name == NULL || (exit_status < 0) == (signal_number <= 0) || exit_status > 255 || signal_number > 64)
    return usage_error (error, _("“run-finished” is sent by “trainwatch run”."));

  command->kind = TW_COMMAND_RUN_FINISHED;
  command->job = g_steal_pointer (&name);
  command->exit_status = exit_status;
  command->signal = signal_number;
  return TRUE;
}

static gboolean
parse_secret (TwCommand          *command,
              int                 argc,
              const char * const *argv,
              GError            **error)
{
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("With “status”: print JSON instead of text"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command ("secret");
  guint n_args;

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }

  context = command_context (info, entries);
  if (!copy_and_parse (context, argc, argv, error))
    return FALSE;
  n_args = rest != NULL ? g_strv_length (rest) : 0;
  if (n_args == 0)
    return usage_error (error, _("“secret” needs “set KIND”, “clear KIND” or “status”."));

  if (g_str_equal (rest[0], "status"))
    {
      if (n_args > 1)
        return usage_error (error, _("“secret status” takes no arguments."));
      command->kind = TW_COMMAND_SECRET_STATUS;
      command->json = json;
      return TRUE;
    }
  /* What was typed is not repeated: it may be the secret itself, given by mistake. */
  if (!g_str_equal (rest[0], "set") && !g_str_equal (rest[0], "clear"))
    return usage_error (error, _("“secret” takes set, clear or status."));
  if (json)
    return usage_error (error, _("“--json” is for “secret status”."));
  if (n_args != 2)
    {
      /* the value itself is never an argument: it would stay in the shell's history */
      g_autofree char *message = g_strdup_printf (_("“secret %s” takes one kind: email, slack or discord "
                                                    "(the value is read from standard input)."),
                                                  rest[0]);

      return usage_error (error, message);
    }
  if (!tw_secret_kind_from_command (rest[1], &command->secret))
    return usage_error (error, _("The kind of secret is email, slack or discord (the value is read from "
                                 "standard input)."));

  command->kind = g_str_equal (rest[0], "set") ? TW_COMMAND_SECRET_SET : TW_COMMAND_SECRET_CLEAR;
  return TRUE;
}

static gboolean
parse_pause (TwCommand          *command,
             int                 argc,
             const char * const *argv,
             GError            **error)
{
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) until = NULL;
  g_autoptr(GError) local_error = NULL;
  GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };
  const CommandInfo *info = find_command ("pause");

  if (has_help_flag (argc, argv))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = command_help (info, entries);
      return TRUE;
    }

  context = command_context (info, entries);
  if (!copy_and_parse (context, argc, argv, error))
    return FALSE;
  if (rest != NULL && rest[0] != NULL && rest[1] != NULL)
    return usage_error (error,
                        _("“pause” takes at most one duration, such as 30m, 2h or tomorrow."));

  if (rest != NULL && rest[0] != NULL)
    {
      /* checked here so that a mistake is reported before anything is paused */
      now = g_date_time_new_now_local ();
      until = tw_pause_parse_until (rest[0], now, &local_error);
      if (until == NULL)
        return usage_error (error, local_error->message);
      command->duration = g_strdup (rest[0]);
    }

  command->kind = TW_COMMAND_PAUSE;
  return TRUE;
}

/**
 * tw_command_parse:
 * @argc: the number of arguments
 * @argv: (array length=argc): the arguments, the program name first
 * @error: return location for a #GError
 *
 * Parses a `trainwatch` command line.
 *
 * Returns: (transfer full) (nullable): the command, or %NULL with a
 *   %TW_COMMAND_ERROR_USAGE error whose message is meant for the user
 */
TwCommand *
tw_command_parse (int                 argc,
                  const char * const *argv,
                  GError            **error)
{
  g_autoptr(TwCommand) command = g_new0 (TwCommand, 1);
  const char *verb;

  g_return_val_if_fail (argc >= 1 && argv != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  command->level = TW_LEVEL_INFO;
  command->exit_status = -1;

  if (argc == 1)
    {
      command->kind = TW_COMMAND_START;
      return g_steal_pointer (&command);
    }

  verb = argv[1];
  if (g_str_equal (verb, "--help") || g_str_equal (verb, "-h") ||
      (g_str_equal (verb, "help") && argc == 2))
    {
      command->kind = TW_COMMAND_HELP;
      command->help = main_help ();
      return g_steal_pointer (&command);
    }
  if (g_str_equal (verb, "help"))
    {
      const char *sub_argv[] = { argv[0], argv[2], "--help", NULL };

      if (argc > 3)
        {
          usage_error (error, _("“help” takes one command name."));
          return NULL;
        }
      if (g_str_equal (argv[2], "help"))
        {
          command->kind = TW_COMMAND_HELP;
          command->help = main_help ();
          return g_steal_pointer (&command);
        }
      if (find_command (argv[2]) == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("Unknown command “%s”."), argv[2]);

          usage_error (error, message);
          return NULL;
        }
      return tw_command_parse (3, sub_argv, error);
    }
  if (g_str_equal (verb, "--version"))
    {
      if (argc > 2)
        {
          usage_error (error, _("“--version” takes no arguments."));
          return NULL;
        }
      command->kind = TW_COMMAND_VERSION;
      return g_steal_pointer (&command);
    }
  if (g_str_equal (verb, "--daemon"))
    {
      if (argc > 2)
        {
          usage_error (error, _("“--daemon” takes no arguments."));
          return NULL;
        }
      command->kind = TW_COMMAND_DAEMON;
      return g_steal_pointer (&command);
    }

  if (g_str_equal (verb, "--demo") || g_str_equal (verb, "--demo=fail") || g_str_equal (verb, "--demo=ok"))
    {
      if (argc > 2)
        {
          usage_error (error, _("“--demo” takes no arguments."));
          return NULL;
        }
      command->kind = TW_COMMAND_START;
      command->demo = g_str_equal (verb, "--demo=fail") ? TW_DEMO_FAIL : TW_DEMO_OK;
      return g_steal_pointer (&command);
    }

  /* The command's own parser sees its name as the program name. */
  if (g_str_equal (verb, "send"))
    {
      if (!parse_send (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "status"))
    {
      if (!parse_simple (command, TW_COMMAND_STATUS, "status", TRUE, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "watch") || g_str_equal (verb, "unwatch"))
    {
      if (!parse_watch (command, g_str_equal (verb, "watch") ? TW_COMMAND_WATCH : TW_COMMAND_UNWATCH,
                        argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "run"))
    {
      if (!parse_run (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "run-finished"))
    {
      if (!parse_run_finished (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "inspect"))
    {
      if (!parse_inspect (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "pause"))
    {
      if (!parse_pause (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "secret"))
    {
      if (!parse_secret (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "test-channel"))
    {
      if (!parse_test_channel (command, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "resume"))
    {
      if (!parse_simple (command, TW_COMMAND_RESUME, "resume", FALSE, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "preferences"))
    {
      if (!parse_simple (command, TW_COMMAND_PREFERENCES, "preferences", FALSE, argc - 1, argv + 1, error))
        return NULL;
    }
  else if (g_str_equal (verb, "quit"))
    {
      if (!parse_simple (command, TW_COMMAND_QUIT, "quit", FALSE, argc - 1, argv + 1, error))
        return NULL;
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Unknown command “%s”."), verb);

      usage_error (error, message);
      return NULL;
    }

  return g_steal_pointer (&command);
}

/**
 * tw_command_free:
 * @command: (nullable): a #TwCommand
 *
 * Frees a parsed command.
 */
void
tw_command_free (TwCommand *command)
{
  if (command == NULL)
    return;

  g_free (command->job);
  g_free (command->title);
  g_free (command->body);
  g_free (command->help);
  g_strfreev (command->files);
  g_free (command->log);
  g_strfreev (command->argv);
  g_free (command->duration);
  g_free (command->channel);
  g_free (command);
}
