/* notify-floor.c — the least a log watcher can do per notification, as a floor for the harness
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: notify-floor PATTERN LOG
 *
 * Follows LOG from its end through one inotify descriptor and, for each
 * complete line that contains one of the literal strings of PATTERN (split at
 * "|", as the harness's "Traceback|Error"), shows the line as a desktop
 * notification with libnotify, synchronously, from the only thread. No
 * history, no tray, no dock, no state: what is left is the cost of reading the
 * line and of one Notify call over D-Bus, which any watcher pays.
 *
 * bench/harness.py runs it beside trainwatch on the same writes, so that the
 * CPU per notification and the latency have a floor measured on the same
 * machine in the same run. It is a measuring tool, not a product: a hung
 * notification server blocks it, and a line longer than 64 KiB is cut.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libnotify/notify.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define LINE_MAX_BYTES  65536
#define READ_BYTES      65536

static gboolean
line_matches (const char        *line,
              const char * const *needles)
{
  for (guint i = 0; needles[i] != NULL; i++)
    if (needles[i][0] != '\0' && strstr (line, needles[i]) != NULL)
      return TRUE;

  return FALSE;
}

static void
notify_line (const char *line)
{
  g_autoptr(GError) error = NULL;
  NotifyNotification *notification = notify_notification_new ("Training", line, NULL);

  if (!notify_notification_show (notification, &error))
    g_printerr ("notify-floor: %s\n", error->message);
  g_object_unref (notification);
}

int
main (int    argc,
      char **argv)
{
  g_auto(GStrv) needles = NULL;
  g_autofree char *line = NULL;
  g_autofree char *buffer = NULL;
  gsize used = 0;
  int log_fd;
  int inotify_fd;

  if (argc != 3)
    {
      g_printerr ("usage: notify-floor PATTERN LOG\n");
      return 2;
    }

  needles = g_strsplit (argv[1], "|", -1);
  log_fd = open (argv[2], O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || lseek (log_fd, 0, SEEK_END) < 0)
    {
      g_printerr ("notify-floor: %s: %s\n", argv[2], g_strerror (errno));
      return 1;
    }
  inotify_fd = inotify_init1 (IN_CLOEXEC);
  if (inotify_fd < 0 || inotify_add_watch (inotify_fd, argv[2], IN_MODIFY) < 0)
    {
      g_printerr ("notify-floor: inotify: %s\n", g_strerror (errno));
      return 1;
    }
  if (!notify_init ("notify-floor"))
    {
      g_printerr ("notify-floor: libnotify did not start\n");
      return 1;
    }

  line = g_malloc (LINE_MAX_BYTES);
  buffer = g_malloc (READ_BYTES);
  for (;;)
    {
      char events[4096];
      gssize n;

      n = read (inotify_fd, events, sizeof events);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;

      while ((n = read (log_fd, buffer, READ_BYTES)) > 0)
        {
          for (gssize i = 0; i < n; i++)
            {
              if (buffer[i] != '\n')
                {
                  if (used < LINE_MAX_BYTES - 1)
                    line[used++] = buffer[i];
                  continue;
                }
              line[used] = '\0';
              if (line_matches (line, (const char * const *) needles))
                notify_line (line);
              used = 0;
            }
        }
    }

  notify_uninit ();
  return 0;
}
