/* bench-preferences.c — how long the preferences window takes to its first frame, and its memory
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-preferences [--runs N]       (needs DISPLAY and a session bus:
 *        tests/desktop-session.sh runs it in a private one)
 *
 * Each run starts this program again as a child (--child) that is the
 * preferences program itself: the same application object and window as
 * trainwatch-preferences, from the same library, with a probe on the
 * window's frame clock. The time counts from just before the parent spawns
 * the child (exec, dynamic linking, GTK's start, the config, every page
 * built) to the end of the first frame painted (GdkFrameClock::after-paint),
 * on CLOCK_MONOTONIC, which both processes share. RSS is the child's VmRSS
 * at that frame and again after it has been idle for a second. The parent
 * prints the median, minimum and maximum of each; it never passes or fails
 * on them.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw-prefs-application.h"

#define T0_ENV "TW_BENCH_T0"
#define SETTLE_MS 1000

static gint64 child_t0;
static double child_first_frame_ms = -1;
static long child_rss_first_kib;

static long
read_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmRSS:");
  return line != NULL ? strtol (line + strlen ("\nVmRSS:"), NULL, 10) : -1;
}

static gboolean
settled_cb (gpointer user_data)
{
  g_print ("first_frame_ms=%.1f rss_first_kib=%ld rss_settled_kib=%ld\n", child_first_frame_ms,
           child_rss_first_kib, read_rss_kib ());
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  if (child_first_frame_ms >= 0)
    return;

  child_first_frame_ms = (g_get_monotonic_time () - child_t0) / 1000.0;
  child_rss_first_kib = read_rss_kib ();
  g_timeout_add (SETTLE_MS, settled_cb, user_data);
}

static void
window_realize_cb (GtkWidget *window,
                   gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), user_data);
}

static void
window_added_cb (GtkApplication *application,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  g_signal_connect (window, "realize", G_CALLBACK (window_realize_cb), application);
}

/* trainwatch-preferences' main(), with the probe. */
static int
run_child (void)
{
  g_autoptr(TwPrefsApplication) application = NULL;
  const char *t0 = g_getenv (T0_ENV);
  char *argv[] = { (char *) "trainwatch-preferences", NULL };

  child_t0 = t0 != NULL ? g_ascii_strtoll (t0, NULL, 10) : g_get_monotonic_time ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Trainwatch Preferences"));

  application = tw_prefs_application_new ();
  g_signal_connect (application, "window-added", G_CALLBACK (window_added_cb), NULL);
  return g_application_run (G_APPLICATION (application), 1, argv);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
print_stats (const char *name,
             GArray     *values)
{
  double median;

  g_array_sort (values, compare_doubles);
  median = values->len % 2 == 1
           ? g_array_index (values, double, values->len / 2)
           : (g_array_index (values, double, values->len / 2 - 1) + g_array_index (values, double, values->len / 2)) / 2;
  g_print ("%-18s median %8.1f   min %8.1f   max %8.1f   (%u runs)\n", name, median,
           g_array_index (values, double, 0), g_array_index (values, double, values->len - 1), values->len);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GArray) frame = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) rss_first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) rss_settled = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *self = NULL;
  int runs = 7;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "How many times to start the window (7)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  if (argc == 2 && g_str_equal (argv[1], "--child"))
    return run_child ();

  context = g_option_context_new ("— the preferences window's start to first frame, and its RSS");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || runs < 1)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "--runs must be at least 1");
      return 2;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("No display: run it on a desktop, or in tests/desktop-session.sh.\n");
      return 2;
    }

  /* The renderer decides much of both figures: GL on a software rasterizer (Xvfb)
   * costs far more than on a GPU, and than cairo. */
  g_print ("renderer: %s\n", g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "GTK's default");
  self = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  for (int i = 0; i < runs; i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr(GSubprocess) child = NULL;
      g_autofree char *out = NULL;
      g_autofree char *t0 = NULL;
      double ms;
      long first;
      long settled;

      /* Its debugging variables would slow GTK down. */
      g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
      g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
      g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");
      g_subprocess_launcher_unsetenv (launcher, "MALLOC_PERTURB_");
      t0 = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_monotonic_time ());
      g_subprocess_launcher_setenv (launcher, T0_ENV, t0, TRUE);
      child = g_subprocess_launcher_spawn (launcher, &error, self, "--child", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      if (sscanf (out, "first_frame_ms=%lf rss_first_kib=%ld rss_settled_kib=%ld", &ms, &first, &settled) != 3)
        {
          g_printerr ("Run %d gave no figures: %s\n", i + 1, out);
          return 1;
        }
      g_print ("run %d: first frame %.1f ms, RSS %ld KiB at it, %ld KiB a second later\n", i + 1, ms, first,
               settled);
      g_array_append_val (frame, ms);
      {
        double first_mib = first / 1024.0;
        double settled_mib = settled / 1024.0;

        g_array_append_val (rss_first, first_mib);
        g_array_append_val (rss_settled, settled_mib);
      }
    }

  print_stats ("first frame (ms)", frame);
  print_stats ("RSS at it (MiB)", rss_first);
  print_stats ("RSS idle (MiB)", rss_settled);
  return 0;
}
