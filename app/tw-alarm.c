/* tw-alarm.c — a main-loop source that fires at a wall-clock time
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * g_timeout_add() counts on the monotonic clock, which stands still while
 * the computer sleeps: a pause until 08:00 set at night, followed by a
 * suspend, would end hours late. A timerfd on CLOCK_REALTIME with an
 * absolute expiry fires at the wall-clock time itself, right after a resume
 * from suspend if that time has passed; with TFD_TIMER_CANCEL_ON_SET it also
 * wakes when the clock is set, so the callback can work out the time again.
 * Where timerfd is missing, a plain timeout stands in.
 */
#include "config.h"

#include "tw-alarm.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/timerfd.h>
#include <unistd.h>

typedef struct
{
  GSource  source;
  int      fd;
  gpointer tag;
} AlarmSource;

static gboolean
alarm_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  AlarmSource *self = (AlarmSource *) source;
  guint64 expirations;
  ssize_t n;

  /* ECANCELED: the clock was set; the callback looks at the time again. */
  do
    n = read (self->fd, &expirations, sizeof expirations);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;

  if (callback != NULL)
    callback (user_data);

  return G_SOURCE_REMOVE;
}

static void
alarm_finalize (GSource *source)
{
  AlarmSource *self = (AlarmSource *) source;

  if (self->fd >= 0)
    close (self->fd);
}

static GSourceFuncs alarm_funcs = {
  .dispatch = alarm_dispatch,
  .finalize = alarm_finalize,
};

static gboolean
call_once_cb (gpointer user_data)
{
  GSourceOnceFunc func = (GSourceOnceFunc) ((gpointer *) user_data)[0];

  func (((gpointer *) user_data)[1]);
  return G_SOURCE_REMOVE;
}

static GSource *
alarm_source_new (gint64 unix_usec)
{
  struct itimerspec spec = { 0 };
  AlarmSource *self;
  int fd;

  fd = timerfd_create (CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0)
    return NULL;

  /* A time in the past fires at once; 0 would disarm the timer. */
  unix_usec = MAX (unix_usec, 1);
  spec.it_value.tv_sec = unix_usec / G_USEC_PER_SEC;
  spec.it_value.tv_nsec = (unix_usec % G_USEC_PER_SEC) * 1000;
  if (timerfd_settime (fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL) < 0)
    {
      close (fd);
      return NULL;
    }

  self = (AlarmSource *) g_source_new (&alarm_funcs, sizeof (AlarmSource));
  self->fd = fd;
  self->tag = g_source_add_unix_fd ((GSource *) self, fd, G_IO_IN);
  g_source_set_static_name ((GSource *) self, "[trainwatch] alarm");

  return (GSource *) self;
}

/**
 * tw_alarm_add_once:
 * @unix_usec: when to fire, in µs since the epoch (wall clock)
 * @func: called once, on the thread-default main context
 * @data: passed to @func
 *
 * Calls @func at @unix_usec by the wall clock, even when the computer slept
 * in between. It may also call @func early, when someone sets the clock:
 * @func should look at the time and add a new alarm if it is not time yet.
 *
 * Returns: the source's id, for g_source_remove()
 */
guint
tw_alarm_add_once (gint64          unix_usec,
                   GSourceOnceFunc func,
                   gpointer        data)
{
  g_autoptr(GSource) source = NULL;
  gpointer *closure;

  g_return_val_if_fail (func != NULL, 0);

  source = alarm_source_new (unix_usec);
  if (source == NULL)
    {
      gint64 delay_ms = (unix_usec - g_get_real_time ()) / 1000;

      source = g_timeout_source_new ((guint) CLAMP (delay_ms, 0, G_MAXUINT));
    }

  closure = g_new (gpointer, 2);
  closure[0] = (gpointer) func;
  closure[1] = data;
  g_source_set_callback (source, call_once_cb, closure, g_free);

  return g_source_attach (source, g_main_context_get_thread_default ());
}
