/* main.c — the trainwatch program: the command line and, with --daemon, the daemon
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "tw-application.h"
#include "tw-client.h"
#include "tw-command.h"
#include "tw-inspect.h"
#include "tw-preferences-command.h"
#include "tw-run-command.h"
#include "tw-secret-command.h"

/* When set and not empty: where the translations are, instead of LOCALEDIR. */
#define LOCALEDIR_ENV "TRAINWATCH_LOCALEDIR"

int
main (int    argc,
      char **argv)
{
  g_autoptr(TwCommand) command = NULL;
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv (LOCALEDIR_ENV);

  /* The tests read the translations the build made, from the build folder. */
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("trainwatch");
  g_set_application_name (PACKAGE_NAME);

  command = tw_command_parse (argc, (const char * const *) argv, &error);
  if (command == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  switch (command->kind)
    {
    case TW_COMMAND_HELP:
      g_print ("%s", command->help);
      return 0;

    case TW_COMMAND_VERSION:
      g_print ("trainwatch %s\n", PACKAGE_VERSION);
      return 0;

    case TW_COMMAND_INSPECT:
      return tw_inspect_run (command);

    case TW_COMMAND_RUN:
      return tw_run_command_run (command, argc, argv);

    /* The secret goes from standard input to the keyring, not through the daemon. */
    case TW_COMMAND_SECRET_SET:
    case TW_COMMAND_SECRET_CLEAR:
      return tw_secret_command_run (command);

    /* The window is a program of its own; the daemon need not run for it. */
    case TW_COMMAND_PREFERENCES:
      return tw_preferences_command_run (command);

    case TW_COMMAND_DAEMON:
      {
        g_autoptr(TwApplication) app = tw_application_new ();
        char *daemon_argv[] = { argv[0], NULL };

        if (!g_application_register (G_APPLICATION (app), NULL, &error))
          {
            g_printerr (_("Cannot start the daemon: %s\n"), error->message);
            return 1;
          }
        return g_application_run (G_APPLICATION (app), 1, daemon_argv);
      }

    case TW_COMMAND_START:
    case TW_COMMAND_SEND:
    case TW_COMMAND_STATUS:
    case TW_COMMAND_QUIT:
    default:
      return tw_client_run (command, argc, argv);
    }
}
