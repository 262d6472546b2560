/* main.c — trainwatch-preferences, the GTK 4 preferences window, started on demand
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "tw-prefs-application.h"

/* When set and not empty: where the translations are, instead of LOCALEDIR. */
#define LOCALEDIR_ENV "TRAINWATCH_LOCALEDIR"

int
main (int    argc,
      char **argv)
{
  g_autoptr(TwPrefsApplication) application = NULL;
  const char *localedir = g_getenv (LOCALEDIR_ENV);

  /* The tests read the translations the build made, from the build folder. */
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Trainwatch Preferences"));

  application = tw_prefs_application_new ();

  return g_application_run (G_APPLICATION (application), argc, argv);
}
