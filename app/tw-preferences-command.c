/* tw-preferences-command.c — starts trainwatch-preferences, the GTK 4 window
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window is a process of its own (DESIGN.md: the daemon never links GTK).
 * `trainwatch preferences` starts it from the client, and the tray's
 * "Preferences…" from the daemon; a window that already runs is presented
 * instead (it is a unique GtkApplication), so starting it twice is harmless.
 */
#include "config.h"

#include "tw-preferences-command.h"

#include <glib/gi18n.h>

#define PROGRAM "trainwatch-preferences"

/**
 * tw_preferences_dup_program:
 *
 * Finds the window program: `$TRAINWATCH_PREFERENCES` when set; else, when
 * this program runs from a build folder (app/trainwatch), the one built
 * beside it in ui/preferences; else the installed one in the libexec folder.
 *
 * Returns: (transfer full): a path
 */
char *
tw_preferences_dup_program (void)
{
  const char *env = g_getenv (TW_ENV_PREFERENCES);
  g_autofree char *self = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *dir_name = g_path_get_basename (dir);
      g_autofree char *built = g_build_filename (dir, "..", "ui", "preferences", PROGRAM, NULL);

      if (g_str_equal (dir_name, "app") && g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
        return g_canonicalize_filename (built, NULL);
    }

  return g_build_filename (LIBEXECDIR, PROGRAM, NULL);
}

/**
 * tw_preferences_spawn:
 * @error: return location for a #GError
 *
 * Starts the preferences window (or presents the one that runs), without
 * waiting for it: it runs on after the caller exits.
 *
 * Returns: (transfer full) (nullable): the process, or %NULL with @error set
 */
GSubprocess *
tw_preferences_spawn (GError **error)
{
  g_autofree char *program = tw_preferences_dup_program ();
  GSubprocess *process;
  g_autoptr(GError) local_error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &local_error, program, NULL);
  if (process == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   /* Translators: %s is a program's path, the second %s the reason */
                   _("Cannot open the preferences window (%s): %s"), program, local_error->message);
      return NULL;
    }

  return process;
}

/**
 * tw_preferences_command_run:
 * @command: a %TW_COMMAND_PREFERENCES command
 *
 * Runs `trainwatch preferences`: starts the window and returns.
 *
 * Returns: the exit status: 0, or 1 when the window could not be started
 */
int
tw_preferences_command_run (TwCommand *command)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (command != NULL && command->kind == TW_COMMAND_PREFERENCES, 1);

  process = tw_preferences_spawn (&error);
  if (process == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}
