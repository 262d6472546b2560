/* test-translation.c — with LANGUAGE=de, trainwatch, its tray and desktop entry speak German
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The programs read the translations the build made (po/de/LC_MESSAGES/trainwatch.mo
 * in the build folder) through TRAINWATCH_LOCALEDIR, so nothing needs installing.
 * The locale is C.UTF-8, which every Debian system has: glibc ignores LANGUAGE only
 * in the "C" (or "POSIX") locale, not in C.UTF-8, so LANGUAGE=de alone picks German.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tw-test-daemon.h"

/* The folder with de/LC_MESSAGES/trainwatch.mo that the build made. */
static char *
dup_build_localedir (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (dir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing: po/ was not built", mo);

  return g_steal_pointer (&dir);
}

/* The test's environment with the build's translations, in German unless @language
 * is NULL, and with @localedir (NULL: the build's) as where the translations are. */
static char **
dup_environ (const char *language,
             const char *localedir)
{
  g_autofree char *build_localedir = dup_build_localedir ();
  char **env = tw_test_dup_environ ();

  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  env = g_environ_unsetenv (env, "LANG");
  env = g_environ_unsetenv (env, "LC_MESSAGES");
  if (language != NULL)
    env = g_environ_setenv (env, "LANGUAGE", language, TRUE);
  else
    env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "TRAINWATCH_LOCALEDIR",
                          localedir != NULL ? localedir : build_localedir, TRUE);

  return env;
}

static void
assert_contains (const char *text,
                 const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("“%s” not found in:\n%s", needle, text);
}

static void
assert_lacks (const char *text,
              const char *needle)
{
  if (strstr (text, needle) != NULL)
    g_error ("“%s” found in:\n%s", needle, text);
}

static void
test_help (void)
{
  g_auto(GStrv) german = dup_environ ("de", NULL);
  g_auto(GStrv) english = dup_environ (NULL, NULL);
  g_autofree char *german_out = NULL;
  g_autofree char *english_out = NULL;

  german_out = tw_test_run_trainwatch_ok (german, "--help", NULL);
  assert_contains (german_out, "Aufruf:\n  trainwatch [BEFEHL] [OPTION…]");
  assert_contains (german_out, "Befehle:");
  assert_contains (german_out, "Den Daemon beenden");
  assert_contains (german_out, "Führen Sie „trainwatch help BEFEHL“ aus");
  assert_lacks (german_out, "Commands:");

  /* Without LANGUAGE, C.UTF-8 means English: the German above came from LANGUAGE. */
  english_out = tw_test_run_trainwatch_ok (english, "--help", NULL);
  assert_contains (english_out, "Usage:\n  trainwatch [COMMAND] [OPTION…]");
  assert_contains (english_out, "Commands:");
  assert_lacks (english_out, "Befehle:");
}

/* The German comes from TRAINWATCH_LOCALEDIR, not from a translation installed on
 * this machine: pointed at a folder without one, LANGUAGE=de gives English. */
static void
test_localedir (void)
{
  g_autofree char *empty = g_dir_make_tmp ("trainwatch-locale-XXXXXX", NULL);
  g_auto(GStrv) env = NULL;
  g_autofree char *out = NULL;

  g_assert_nonnull (empty);
  env = dup_environ ("de", empty);
  out = tw_test_run_trainwatch_ok (env, "--help", NULL);
  assert_contains (out, "Commands:");
  assert_lacks (out, "Befehle:");
  g_assert_cmpint (g_rmdir (empty), ==, 0);
}

/* A command's help goes through GOption, which must look up its option texts and
 * argument names in Trainwatch's domain. */
static void
test_command_help (void)
{
  g_auto(GStrv) env = dup_environ ("de", NULL);
  g_autofree char *out = NULL;

  out = tw_test_run_trainwatch_ok (env, "help", "send", NULL);
  assert_contains (out, "send TITEL [TEXT]");
  assert_contains (out, "Eine Benachrichtigung über Trainwatch anzeigen und aufzeichnen");
  assert_contains (out, "--level=STUFE");
  assert_contains (out, "Wie wichtig sie ist: info, success, warning, error oder critical");
  g_clear_pointer (&out, g_free);

  out = tw_test_run_trainwatch_ok (env, "help", "pause", NULL);
  assert_contains (out, "DAUER ist eine Anzahl Minuten, Stunden oder Tage");
}

static void
test_usage_error (void)
{
  g_auto(GStrv) env = dup_environ ("de", NULL);
  g_auto(TwTestResult) result = { 0 };

  tw_test_run_trainwatch (env, &result, "frobnicate", NULL);
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "Unbekannter Befehl „frobnicate“.\n"
                               "Führen Sie „trainwatch --help“ aus, um die Befehle zu sehen.");
}

/* The tray program sets up gettext on its own; without a display it says so, in German. */
static void
test_tray (void)
{
  g_auto(GStrv) env = dup_environ ("de", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) tray = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  env = g_environ_unsetenv (env, "GDK_BACKEND");
  launcher = tw_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                   env);
  tray = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TW_TEST_TRAINWATCH_TRAY"),
                                      NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (tray, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (tray));
  g_assert_cmpint (g_subprocess_get_exit_status (tray), ==, 1);
  assert_contains (err, "Das Leistensymbol kann nicht starten: keine Anzeige.\n");
}

/* The desktop entry the build merged from po/ has the German texts. */
static void
test_desktop_file (void)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *comment = NULL;
  g_autofree char *generic_name = NULL;
  g_autofree char *english = NULL;

  g_key_file_load_from_file (key_file, g_getenv ("TW_TEST_DESKTOP_FILE"),
                             G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  comment = g_key_file_get_locale_string (key_file, G_KEY_FILE_DESKTOP_GROUP,
                                          G_KEY_FILE_DESKTOP_KEY_COMMENT, "de", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (comment, ==,
                   "Erfahren Sie, wenn Ihre Trainingsläufe enden, fehlschlagen oder stocken");
  generic_name = g_key_file_get_locale_string (key_file, G_KEY_FILE_DESKTOP_GROUP,
                                               G_KEY_FILE_DESKTOP_KEY_GENERIC_NAME, "de", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (generic_name, ==, "Überwachung von Trainingsläufen");
  english = g_key_file_get_locale_string (key_file, G_KEY_FILE_DESKTOP_GROUP,
                                          G_KEY_FILE_DESKTOP_KEY_GENERIC_NAME, "C", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (english, ==, "Training Run Monitor");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/translation/help", test_help);
  g_test_add_func ("/translation/localedir", test_localedir);
  g_test_add_func ("/translation/command-help", test_command_help);
  g_test_add_func ("/translation/usage-error", test_usage_error);
  g_test_add_func ("/translation/tray", test_tray);
  g_test_add_func ("/translation/desktop-file", test_desktop_file);

  return g_test_run ();
}
