/* test-command.c — parsing the trainwatch command line
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "tw-command.h"

typedef struct
{
  const char    *args;      /* space-separated; '_' stands for a space inside one argument */
  gboolean       ok;
  TwCommandKind  kind;
  TwLevel        level;
  const char    *job;
  const char    *title;
  const char    *body;
  gboolean       json;
} Case;

static const Case cases[] = {
  { "", TRUE, TW_COMMAND_START, TW_LEVEL_INFO },
  { "--daemon", TRUE, TW_COMMAND_DAEMON, TW_LEVEL_INFO },
  { "--version", TRUE, TW_COMMAND_VERSION, TW_LEVEL_INFO },
  { "--help", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "help", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "help send", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "send --help", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "status", TRUE, TW_COMMAND_STATUS, TW_LEVEL_INFO },
  { "status --json", TRUE, TW_COMMAND_STATUS, TW_LEVEL_INFO, NULL, NULL, NULL, TRUE },
  { "quit", TRUE, TW_COMMAND_QUIT, TW_LEVEL_INFO },
  { "send Done", TRUE, TW_COMMAND_SEND, TW_LEVEL_INFO, NULL, "Done", NULL },
  { "send --level error Run_failed CUDA_<b>out</b>_of_memory_&_more", TRUE, TW_COMMAND_SEND,
    TW_LEVEL_ERROR, NULL, "Run failed", "CUDA <b>out</b> of memory & more" },
  { "send --level=critical --job resnet50 T B", TRUE, TW_COMMAND_SEND, TW_LEVEL_CRITICAL, "resnet50", "T", "B" },
  { "send -l success -j r T", TRUE, TW_COMMAND_SEND, TW_LEVEL_SUCCESS, "r", "T", NULL },
  { "send -- --not-an-option", TRUE, TW_COMMAND_SEND, TW_LEVEL_INFO, NULL, "--not-an-option", NULL },
  { "send", FALSE },
  { "send T B C", FALSE },
  { "send --level loud T", FALSE },
  { "send --job  T", FALSE },
  { "send --bogus T", FALSE },
  { "status extra", FALSE },
  { "status --bogus", FALSE },
  { "quit --json", FALSE },
  { "frobnicate", FALSE },
  { "help frobnicate", FALSE },
  { "--version extra", FALSE },
  { "pause", TRUE, TW_COMMAND_PAUSE, TW_LEVEL_INFO },
  { "pause 30m", TRUE, TW_COMMAND_PAUSE, TW_LEVEL_INFO },
  { "pause tomorrow", TRUE, TW_COMMAND_PAUSE, TW_LEVEL_INFO },
  { "pause 14:30", TRUE, TW_COMMAND_PAUSE, TW_LEVEL_INFO },
  { "pause --help", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "help pause", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "pause 30m 2h", FALSE },
  { "pause soon", FALSE },
  { "pause 8d", FALSE },
  { "pause --json", FALSE },
  { "resume", TRUE, TW_COMMAND_RESUME, TW_LEVEL_INFO },
  { "resume now", FALSE },
  { "preferences", TRUE, TW_COMMAND_PREFERENCES, TW_LEVEL_INFO },
  { "help preferences", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "preferences --json", FALSE },
  { "preferences now", FALSE },
  { "watch runs/a.log", TRUE, TW_COMMAND_WATCH, TW_LEVEL_INFO },
  { "watch --name bert runs/a.log", TRUE, TW_COMMAND_WATCH, TW_LEVEL_INFO, "bert" },
  { "watch", FALSE },
  { "watch a b", FALSE },
  { "unwatch bert", TRUE, TW_COMMAND_UNWATCH, TW_LEVEL_INFO },
  { "unwatch --name x y", FALSE },
  { "run -- sh -c exit_3", TRUE, TW_COMMAND_RUN, TW_LEVEL_INFO },
  { "run --name r1 -- python train.py --help", TRUE, TW_COMMAND_RUN, TW_LEVEL_INFO, "r1" },
  { "run", FALSE },
  { "run --", FALSE },
  { "run python train.py", FALSE },
  { "run-finished --name r1 --exit-status 3", TRUE, TW_COMMAND_RUN_FINISHED, TW_LEVEL_INFO, "r1" },
  { "run-finished --name r1 --signal 9", TRUE, TW_COMMAND_RUN_FINISHED, TW_LEVEL_INFO, "r1" },
  { "run-finished --name r1", FALSE },
  { "run-finished --name r1 --exit-status 0 --signal 9", FALSE },
  { "secret status", TRUE, TW_COMMAND_SECRET_STATUS, TW_LEVEL_INFO },
  { "secret status --json", TRUE, TW_COMMAND_SECRET_STATUS, TW_LEVEL_INFO, NULL, NULL, NULL, TRUE },
  { "secret set slack", TRUE, TW_COMMAND_SECRET_SET, TW_LEVEL_INFO },
  { "secret set discord", TRUE, TW_COMMAND_SECRET_SET, TW_LEVEL_INFO },
  { "secret clear email", TRUE, TW_COMMAND_SECRET_CLEAR, TW_LEVEL_INFO },
  { "secret --help", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "help secret", TRUE, TW_COMMAND_HELP, TW_LEVEL_INFO },
  { "secret", FALSE },
  { "secret set", FALSE },
  { "secret set teams", FALSE },
  { "secret set slack https://hooks.slack.com/services/T0/B0/x", FALSE },
  { "secret set --json slack", FALSE },
  { "secret clear", FALSE },
  { "secret status email", FALSE },
  { "secret show slack", FALSE },
};

static void
test_parse (gconstpointer data)
{
  const Case *c = data;
  g_auto(GStrv) words = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TwCommand) command = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, g_strdup ("trainwatch"));
  words = g_strsplit (c->args, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0' && c->args[0] == '\0')
        continue;
      g_ptr_array_add (argv, g_strdelimit (g_strdup (words[i]), "_", ' '));
    }
  /* An empty word between two spaces means an empty argument. */
  g_ptr_array_add (argv, NULL);

  command = tw_command_parse (argv->len - 1, (const char * const *) argv->pdata, &error);
  if (!c->ok)
    {
      g_assert_null (command);
      g_assert_error (error, TW_COMMAND_ERROR, TW_COMMAND_ERROR_USAGE);
      g_assert_nonnull (strstr (error->message, "trainwatch --help"));
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (command);
  g_assert_cmpuint (command->kind, ==, c->kind);
  g_assert_cmpuint (command->level, ==, c->level);
  g_assert_cmpstr (command->job, ==, c->job);
  g_assert_cmpstr (command->title, ==, c->title);
  g_assert_cmpstr (command->body, ==, c->body);
  g_assert_cmpint (command->json, ==, c->json);
  if (command->kind == TW_COMMAND_HELP)
    g_assert_cmpuint (strlen (command->help), >, 20);
  if (command->kind == TW_COMMAND_RUN)
    {
      /* Everything after "--" is the command's own, its options included. */
      g_assert_nonnull (command->argv);
      g_assert_cmpstr (command->argv[0], !=, "--");
      if (g_str_equal (command->argv[0], "python"))
        g_assert_cmpstr (command->argv[2], ==, "--help");
    }
}

static void
test_help_lists_commands (void)
{
  const char * const argv[] = { "trainwatch", "--help", NULL };
  g_autoptr(TwCommand) command = tw_command_parse (2, argv, NULL);

  g_assert_nonnull (command);
  for (guint i = 0; i < 3; i++)
    {
      const char *name = (const char *[]) { "send", "status", "quit" }[i];

      g_assert_nonnull (strstr (command->help, name));
    }
}

static void
test_help_send_lists_options (void)
{
  const char * const argv[] = { "trainwatch", "help", "send", NULL };
  g_autoptr(TwCommand) command = tw_command_parse (3, argv, NULL);

  g_assert_nonnull (command);
  g_assert_nonnull (strstr (command->help, "--level"));
  g_assert_nonnull (strstr (command->help, "--job"));
}

static void
test_pause_duration (void)
{
  const char * const with[] = { "trainwatch", "pause", "2h30m", NULL };
  const char * const without[] = { "trainwatch", "pause", NULL };
  const char * const main_help[] = { "trainwatch", "--help", NULL };
  const char * const pause_help[] = { "trainwatch", "help", "pause", NULL };
  g_autoptr(TwCommand) command = tw_command_parse (3, with, NULL);
  g_autoptr(TwCommand) forever = tw_command_parse (2, without, NULL);
  g_autoptr(TwCommand) help = tw_command_parse (2, main_help, NULL);
  g_autoptr(TwCommand) help_pause = tw_command_parse (3, pause_help, NULL);
  g_autoptr(GError) error = NULL;
  const char * const bad[] = { "trainwatch", "pause", "8d", NULL };
  g_autoptr(TwCommand) too_long = tw_command_parse (3, bad, &error);

  g_assert_cmpstr (command->duration, ==, "2h30m");
  g_assert_null (forever->duration);
  g_assert_nonnull (strstr (help->help, "pause"));
  g_assert_nonnull (strstr (help->help, "resume"));
  g_assert_nonnull (strstr (help_pause->help, "tomorrow"));
  g_assert_null (too_long);
  g_assert_error (error, TW_COMMAND_ERROR, TW_COMMAND_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, "at most 7 days"));
}

static void
test_secret_kind (void)
{
  const char * const set_discord[] = { "trainwatch", "secret", "set", "discord", NULL };
  const char * const clear_email[] = { "trainwatch", "secret", "clear", "email", NULL };
  g_autoptr(TwCommand) set = tw_command_parse (4, set_discord, NULL);
  g_autoptr(TwCommand) clear = tw_command_parse (4, clear_email, NULL);

  g_assert_cmpuint (set->secret, ==, TW_SECRET_DISCORD_WEBHOOK);
  g_assert_cmpuint (clear->secret, ==, TW_SECRET_SMTP_PASSWORD);
}

/* A value typed where the kind or the action goes is not repeated in the error. */
static void
test_secret_not_echoed (void)
{
  const char *value = "https://hooks.slack.com/services/T0/B0/tokenTOKEN";
  const char * const as_kind[] = { "trainwatch", "secret", "set", value, NULL };
  const char * const as_action[] = { "trainwatch", "secret", value, NULL };
  const char * const after_kind[] = { "trainwatch", "secret", "set", "slack", value, NULL };
  const char * const *lines[] = { as_kind, as_action, after_kind };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TwCommand) command = tw_command_parse (g_strv_length ((char **) lines[i]), lines[i], &error);

      g_assert_null (command);
      g_assert_error (error, TW_COMMAND_ERROR, TW_COMMAND_ERROR_USAGE);
      g_assert_null (strstr (error->message, "tokenTOKEN"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/command/parse/%u", i);

      g_test_add_data_func (path, &cases[i], test_parse);
    }
  g_test_add_func ("/command/help/lists-commands", test_help_lists_commands);
  g_test_add_func ("/command/help/send-lists-options", test_help_send_lists_options);
  g_test_add_func ("/command/pause/duration", test_pause_duration);
  g_test_add_func ("/command/secret/kind", test_secret_kind);
  g_test_add_func ("/command/secret/not-echoed", test_secret_not_echoed);

  return g_test_run ();
}
