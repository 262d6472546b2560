/* tw-deadline.c — a main-loop timer that can be moved without waking its loop
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-deadline.h"

/*
 * g_source_set_ready_time() writes to the context's wakeup descriptor each
 * time it changes a source, even from the thread that runs the loop, so the
 * loop polls once more for nothing. The daemon moves its per-job timers on
 * every chunk a log grows by, and those extra rounds were a good part of
 * the main thread's cost per notification.
 *
 * A deadline keeps its time in its own struct instead, and its prepare()
 * turns it into the poll timeout. Moving it from the thread that runs the
 * loop needs no wakeup: that thread is not in poll(), and the next
 * iteration's prepare() sees the new time. Only that thread may move it.
 */

typedef struct
{
  GSource source;
  gint64  deadline;    /* monotonic µs, or -1 when disarmed */
} Deadline;

static gboolean
deadline_prepare (GSource *source,
                  int     *timeout)
{
  Deadline *self = (Deadline *) source;
  gint64 now;

  if (self->deadline < 0)
    {
      *timeout = -1;
      return FALSE;
    }

  now = g_source_get_time (source);
  if (now >= self->deadline)
    {
      *timeout = 0;
      return TRUE;
    }

  /* Round up: a timer woken a little early would only poll again. */
  *timeout = (int) MIN ((self->deadline - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
deadline_check (GSource *source)
{
  Deadline *self = (Deadline *) source;

  return self->deadline >= 0 && g_source_get_time (source) >= self->deadline;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  Deadline *self = (Deadline *) source;

  /* Fired once: the callback arms it again if it wants to. */
  self->deadline = -1;
  if (callback == NULL)
    return G_SOURCE_CONTINUE;

  return callback (user_data);
}

static GSourceFuncs deadline_funcs = {
  deadline_prepare,
  deadline_check,
  deadline_dispatch,
  NULL,
  NULL,
  NULL,
};

/**
 * tw_deadline_new:
 * @func: called when the deadline passes
 * @data: for @func
 *
 * Makes a disarmed timer and attaches it to the default main context, as
 * g_timeout_add() does.
 * @func runs once each time the deadline set with tw_deadline_set() passes;
 * returning %G_SOURCE_REMOVE destroys the source.
 *
 * Returns: (transfer full): the source; g_source_destroy() and
 *   g_source_unref() it when done
 */
GSource *
tw_deadline_new (GSourceFunc func,
                 gpointer    data)
{
  GSource *source = g_source_new (&deadline_funcs, sizeof (Deadline));

  ((Deadline *) source)->deadline = -1;
  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, "[trainwatch] deadline");
  g_source_attach (source, NULL);

  return source;
}

/**
 * tw_deadline_set:
 * @source: a source from tw_deadline_new()
 * @monotonic_usec: when to fire, on the g_get_monotonic_time() clock, or -1
 *   to disarm
 *
 * Moves the deadline. Call it only from the thread that runs the source's
 * main context, or while that context is not being run.
 */
void
tw_deadline_set (GSource *source,
                 gint64   monotonic_usec)
{
  g_return_if_fail (source != NULL);
  g_return_if_fail (source->source_funcs == &deadline_funcs);

  ((Deadline *) source)->deadline = monotonic_usec < 0 ? -1 : monotonic_usec;
}
