/* tw-stall-watch.c — measures how long the main loop is busy between two polls
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For benchmarks and debugging: with TRAINWATCH_DEBUG_STALLS=MS in its
 * environment, the daemon wraps the default main context's poll function and
 * times each stretch from one poll's return to the next poll: the work of one
 * main-loop iteration, during which nothing else is answered. A stretch longer
 * than MS is logged ("Main loop busy for 23.4 ms"), and the longest is logged
 * when the daemon stops. The time includes any time the system gave the
 * thread's CPU to another process.
 */
#include "config.h"

#include "tw-stall-watch.h"

static GPollFunc  default_poll;
static gint64     returned_at;       /* monotonic µs; 0 before the first poll */
static gint64     threshold_usec;
static gint64     max_busy_usec;
static guint64    n_iterations;

static gint
timed_poll (GPollFD *fds,
            guint    n_fds,
            gint     timeout)
{
  gint64 now = g_get_monotonic_time ();
  gint result;

  if (returned_at > 0)
    {
      gint64 busy = now - returned_at;

      n_iterations++;
      if (busy > max_busy_usec)
        max_busy_usec = busy;
      if (busy > threshold_usec)
        g_message ("Main loop busy for %.1f ms", busy / 1000.0);
    }

  result = default_poll (fds, n_fds, timeout);
  returned_at = g_get_monotonic_time ();

  return result;
}

/**
 * tw_stall_watch_start_from_env:
 *
 * Starts timing the default main context's iterations if TW_STALL_WATCH_ENV is
 * set to a number of milliseconds (0 logs every iteration).
 */
void
tw_stall_watch_start_from_env (void)
{
  const char *value = g_getenv (TW_STALL_WATCH_ENV);
  guint64 ms;

  if (value == NULL || default_poll != NULL ||
      !g_ascii_string_to_unsigned (value, 10, 0, 60000, &ms, NULL))
    return;

  threshold_usec = (gint64) ms * 1000;
  default_poll = g_main_context_get_poll_func (NULL);
  g_main_context_set_poll_func (NULL, timed_poll);
  g_message ("Timing the main loop: iterations over %u ms are logged", (guint) ms);
}

/**
 * tw_stall_watch_stop:
 *
 * Logs the longest iteration and puts the default poll function back.
 */
void
tw_stall_watch_stop (void)
{
  if (default_poll == NULL)
    return;

  g_message ("Main loop: longest iteration %.1f ms of %" G_GUINT64_FORMAT,
             max_busy_usec / 1000.0, n_iterations);
  g_main_context_set_poll_func (NULL, default_poll);
  default_poll = NULL;
}

/**
 * tw_stall_watch_get_max_ms:
 *
 * Returns: the longest iteration so far, in milliseconds
 */
double
tw_stall_watch_get_max_ms (void)
{
  return max_busy_usec / 1000.0;
}
