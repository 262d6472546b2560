/* tw-router.c — decides which channels hear about an event
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every event passes through here on its way to the channels. For now the
 * rules are: a channel the user switched off hears nothing; a channel hears
 * only events at or above its minimum level; a run snoozed from its desktop
 * notification stays quiet on the desktop except for errors and worse.
 */
#include "config.h"

#include "tw-router.h"

typedef struct
{
  TwChannel *channel;
  gboolean   enabled;
  TwLevel    min_level;
} Route;

struct _TwRouter
{
  GObject  parent_instance;

  GArray    *routes;     /* of Route */
  GPtrArray *channels;   /* the same channels, for callers */
};

G_DEFINE_FINAL_TYPE (TwRouter, tw_router, G_TYPE_OBJECT)

static Route *
find_route (TwRouter   *self,
            const char *id)
{
  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);

      if (g_str_equal (tw_channel_get_id (route->channel), id))
        return route;
    }

  return NULL;
}

static const char *
skip_reason (Route   *route,
             TwEvent *event,
             TwJob   *job,
             gint64   now_unix_usec)
{
  TwLevel level = tw_event_get_level (event);

  if (!route->enabled)
    return "switched off";
  if (level < route->min_level)
    return "below the minimum level";
  if (job != NULL && level < TW_LEVEL_ERROR &&
      g_str_equal (tw_channel_get_id (route->channel), "desktop") &&
      tw_job_is_snoozed (job, now_unix_usec))
    return "run snoozed";

  return NULL;
}

static void
tw_router_dispose (GObject *object)
{
  TwRouter *self = TW_ROUTER (object);

  g_clear_pointer (&self->channels, g_ptr_array_unref);
  g_clear_pointer (&self->routes, g_array_unref);

  G_OBJECT_CLASS (tw_router_parent_class)->dispose (object);
}

static void
tw_router_class_init (TwRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_router_dispose;
}

static void
tw_router_init (TwRouter *self)
{
  self->routes = g_array_new (FALSE, TRUE, sizeof (Route));
  self->channels = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * tw_router_new:
 *
 * Returns: (transfer full): a router with no channels
 */
TwRouter *
tw_router_new (void)
{
  return g_object_new (TW_TYPE_ROUTER, NULL);
}

/**
 * tw_router_add_channel:
 * @self: a #TwRouter
 * @channel: a channel with an id not yet added
 *
 * Adds @channel, switched on, hearing every level.
 */
void
tw_router_add_channel (TwRouter  *self,
                       TwChannel *channel)
{
  Route route = { 0 };

  g_return_if_fail (TW_IS_ROUTER (self));
  g_return_if_fail (TW_IS_CHANNEL (channel));
  g_return_if_fail (find_route (self, tw_channel_get_id (channel)) == NULL);

  route.channel = channel;
  route.enabled = TRUE;
  route.min_level = TW_LEVEL_INFO;
  g_array_append_val (self->routes, route);
  g_ptr_array_add (self->channels, g_object_ref (channel));
}

/**
 * tw_router_get_channel:
 * @self: a #TwRouter
 * @id: a channel id
 *
 * Returns: (transfer none) (nullable): the channel with that id
 */
TwChannel *
tw_router_get_channel (TwRouter   *self,
                       const char *id)
{
  Route *route;

  g_return_val_if_fail (TW_IS_ROUTER (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  route = find_route (self, id);
  return route != NULL ? route->channel : NULL;
}

/**
 * tw_router_get_channels:
 * @self: a #TwRouter
 *
 * Returns: (transfer none) (element-type TwChannel): the channels, in the
 *   order they were added
 */
GPtrArray *
tw_router_get_channels (TwRouter *self)
{
  g_return_val_if_fail (TW_IS_ROUTER (self), NULL);

  return self->channels;
}

/**
 * tw_router_set_channel_enabled:
 * @self: a #TwRouter
 * @id: a channel id
 * @enabled: whether the channel hears events
 *
 * Switches a channel on or off (the config's `enabled` key).
 */
void
tw_router_set_channel_enabled (TwRouter   *self,
                               const char *id,
                               gboolean    enabled)
{
  Route *route;

  g_return_if_fail (TW_IS_ROUTER (self));

  route = find_route (self, id);
  g_return_if_fail (route != NULL);
  route->enabled = !!enabled;
}

/**
 * tw_router_set_min_level:
 * @self: a #TwRouter
 * @id: a channel id
 * @level: the lowest level the channel hears
 *
 * Sets a channel's threshold (the config's `min-level` key).
 */
void
tw_router_set_min_level (TwRouter   *self,
                         const char *id,
                         TwLevel     level)
{
  Route *route;

  g_return_if_fail (TW_IS_ROUTER (self));
  g_return_if_fail (level < TW_N_LEVELS);

  route = find_route (self, id);
  g_return_if_fail (route != NULL);
  route->min_level = level;
}

/**
 * tw_router_route:
 * @self: a #TwRouter
 * @event: the event
 * @job: (nullable): the run it belongs to
 * @now_unix_usec: the current wall-clock time
 *
 * Hands @event to every channel whose rules let it through.
 *
 * Returns: (transfer container) (element-type utf8): the ids of the channels
 *   that were given the event (borrowed strings)
 */
GPtrArray *
tw_router_route (TwRouter *self,
                 TwEvent  *event,
                 TwJob    *job,
                 gint64    now_unix_usec)
{
  g_autoptr(GPtrArray) delivered = g_ptr_array_new ();

  g_return_val_if_fail (TW_IS_ROUTER (self), NULL);
  g_return_val_if_fail (TW_IS_EVENT (event), NULL);
  g_return_val_if_fail (job == NULL || TW_IS_JOB (job), NULL);

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);
      const char *id = tw_channel_get_id (route->channel);
      const char *reason = skip_reason (route, event, job, now_unix_usec);

      if (reason != NULL)
        {
          g_debug ("Event %" G_GUINT64_FORMAT " not sent to %s: %s",
                   tw_event_get_id (event), id, reason);
          continue;
        }

      tw_channel_deliver (route->channel, event);
      g_ptr_array_add (delivered, (gpointer) id);
    }

  return g_steal_pointer (&delivered);
}
