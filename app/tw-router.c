/* tw-router.c — decides which channels hear about an event
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every event passes through here on its way to the channels. The rules: a
 * channel the user switched off hears nothing; a channel hears only events
 * at or above its minimum level; a run snoozed from its desktop notification
 * stays quiet on the desktop except for errors and worse.
 *
 * Do Not Disturb (tw-dnd.c decides when it is on) holds the events of the
 * channels that follow it — the desktop always, forwarding channels when
 * the user asks — except critical ones (errors and worse: a failed run, out
 * of memory, NaN) unless the config holds those too. Held events are not
 * lost: they are in the history like every event, and counted per channel
 * (tw-held.c); when Do Not Disturb ends, tw_router_release_held() gives each
 * channel one summary instead of a replay. The counts are saved across
 * restarts by the daemon (tw_router_save_held()).
 */
#include "config.h"

#include "tw-router.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tw-held.h"

/* Counts older than this at start-up are stale: their summary is dropped. */
#define MAX_HELD_AGE_USEC (24 * G_TIME_SPAN_HOUR)

typedef struct
{
  TwChannel *channel;
  gboolean   enabled;
  TwLevel    min_level;
  guint32    kinds;       /* a bit (1 << kind) for each kind it hears */
  gboolean   hold_during_dnd;
  TwHeld    *held;        /* nullable: nothing counted */
} Route;

struct _TwRouter
{
  GObject  parent_instance;

  GArray    *routes;     /* of Route */
  GPtrArray *channels;   /* the same channels, for callers */
  gboolean   dnd_active;
  gboolean   critical_passes;
};

G_DEFINE_FINAL_TYPE (TwRouter, tw_router, G_TYPE_OBJECT)

enum
{
  HELD_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
  /* a test is asked for by name: no list keeps it out */
  if (tw_event_get_kind (event) != TW_EVENT_TEST &&
      (route->kinds & (1u << tw_event_get_kind (event))) == 0)
    return "not among its kinds of event";
  if (level < route->min_level)
    return "below the minimum level";
  if (job != NULL && level < TW_LEVEL_ERROR &&
      g_str_equal (tw_channel_get_id (route->channel), "desktop") &&
      tw_job_is_snoozed (job, now_unix_usec))
    return "run snoozed";

  return NULL;
}

static gboolean
is_critical (TwEvent *event)
{
  return tw_event_get_level (event) >= TW_LEVEL_ERROR;
}

static void
route_clear (gpointer data)
{
  Route *route = data;

  g_clear_pointer (&route->held, tw_held_free);
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

  /**
   * TwRouter::held-changed:
   *
   * Emitted when the counts of held events change: an event was held (or
   * let through) during Do Not Disturb, or the counts were summed up.
   */
  signals[HELD_CHANGED] = g_signal_new ("held-changed", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_router_init (TwRouter *self)
{
  self->routes = g_array_new (FALSE, TRUE, sizeof (Route));
  g_array_set_clear_func (self->routes, route_clear);
  self->channels = g_ptr_array_new_with_free_func (g_object_unref);
  self->critical_passes = TRUE;
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
 * Adds @channel, switched on, hearing every level. The desktop channel
 * follows Do Not Disturb; others do not until tw_router_set_hold_during_dnd().
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
  route.kinds = (1u << TW_N_EVENT_KINDS) - 1;
  route.hold_during_dnd = g_str_equal (tw_channel_get_id (channel), "desktop");
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
  gboolean counted = FALSE;

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

      if (self->dnd_active && route->hold_during_dnd)
        {
          gboolean hold = !(self->critical_passes && is_critical (event));

          if (route->held == NULL)
            route->held = tw_held_new ();
          tw_held_add (route->held, event, hold);
          counted = TRUE;
          if (hold)
            {
              g_debug ("Event %" G_GUINT64_FORMAT " held from %s: Do Not Disturb",
                       tw_event_get_id (event), id);
              continue;
            }
        }

      tw_channel_deliver (route->channel, event);
      g_ptr_array_add (delivered, (gpointer) id);
    }

  if (counted)
    g_signal_emit (self, signals[HELD_CHANGED], 0);

  return g_steal_pointer (&delivered);
}

/**
 * tw_router_set_kinds:
 * @self: a #TwRouter
 * @id: a channel id
 * @kinds: a bit (1 << #TwEventKind) for each kind of event the channel hears
 *
 * Sets which kinds of event a channel hears (all, at first). Test events
 * reach every channel that is switched on, whatever @kinds says.
 */
void
tw_router_set_kinds (TwRouter   *self,
                     const char *id,
                     guint32     kinds)
{
  Route *route;

  g_return_if_fail (TW_IS_ROUTER (self));

  route = find_route (self, id);
  g_return_if_fail (route != NULL);
  route->kinds = kinds;
}

/**
 * tw_router_set_hold_during_dnd:
 * @self: a #TwRouter
 * @id: a channel id
 * @hold: whether Do Not Disturb holds the channel's events
 *
 * Sets whether a channel follows Do Not Disturb (the desktop does; email,
 * Slack and Discord only when the config's `hold-forwarding` says so).
 * Events already held for a channel that stops following stay counted
 * until tw_router_release_held().
 */
void
tw_router_set_hold_during_dnd (TwRouter   *self,
                               const char *id,
                               gboolean    hold)
{
  Route *route;

  g_return_if_fail (TW_IS_ROUTER (self));

  route = find_route (self, id);
  g_return_if_fail (route != NULL);
  route->hold_during_dnd = !!hold;
}

/**
 * tw_router_set_critical_passes_dnd:
 * @self: a #TwRouter
 * @passes: whether errors and worse still reach channels during Do Not Disturb
 *
 * The config's `show-critical` (on by default).
 */
void
tw_router_set_critical_passes_dnd (TwRouter *self,
                                   gboolean  passes)
{
  g_return_if_fail (TW_IS_ROUTER (self));

  self->critical_passes = !!passes;
}

/**
 * tw_router_set_dnd_active:
 * @self: a #TwRouter
 * @active: whether Do Not Disturb is on
 *
 * Starts or stops holding events. Stopping does not sum up by itself: call
 * tw_router_release_held() once Do Not Disturb is known to be over.
 */
void
tw_router_set_dnd_active (TwRouter *self,
                          gboolean  active)
{
  g_return_if_fail (TW_IS_ROUTER (self));

  self->dnd_active = !!active;
}

/**
 * tw_router_get_dnd_active:
 * @self: a #TwRouter
 *
 * Returns: whether events are being held
 */
gboolean
tw_router_get_dnd_active (TwRouter *self)
{
  g_return_val_if_fail (TW_IS_ROUTER (self), FALSE);

  return self->dnd_active;
}

/**
 * tw_router_release_held:
 * @self: a #TwRouter
 *
 * Ends a stretch of Do Not Disturb: each channel for which events were
 * held gets one summary of what happened (tw_held_dup_summary()), and the
 * counts start again from zero. Channels for which nothing was held get
 * nothing, even if critical events went through meanwhile.
 *
 * Returns: how many summaries were delivered
 */
guint
tw_router_release_held (TwRouter *self)
{
  gboolean changed = FALSE;
  guint n = 0;

  g_return_val_if_fail (TW_IS_ROUTER (self), 0);

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);
      g_autoptr(TwEvent) summary = NULL;

      if (route->held == NULL)
        continue;

      summary = tw_held_dup_summary (route->held);
      g_clear_pointer (&route->held, tw_held_free);
      changed = TRUE;
      if (summary == NULL)
        continue;

      g_debug ("Summing up held events for %s", tw_channel_get_id (route->channel));
      tw_channel_deliver (route->channel, summary);
      n++;
    }

  if (changed)
    g_signal_emit (self, signals[HELD_CHANGED], 0);

  return n;
}

/**
 * tw_router_get_n_held:
 * @self: a #TwRouter
 *
 * Returns: how many events are held, over all channels, waiting for their
 *   summary
 */
guint
tw_router_get_n_held (TwRouter *self)
{
  guint n = 0;

  g_return_val_if_fail (TW_IS_ROUTER (self), 0);

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);

      if (route->held != NULL)
        n += tw_held_get_n_held (route->held);
    }

  return n;
}

/**
 * tw_router_save_held:
 * @self: a #TwRouter
 * @path: the file to write, as JSON (replaced atomically); removed when
 *   nothing is held
 * @error: return location for a #GError
 *
 * Keeps the counts of held events, so that a daemon restarted during Do Not
 * Disturb can still sum them up afterwards.
 *
 * Returns: whether the file was written
 */
gboolean
tw_router_save_held (TwRouter    *self,
                     const char  *path,
                     GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *json = NULL;
  gboolean any = FALSE;

  g_return_val_if_fail (TW_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  json_builder_begin_object (builder);
  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);

      if (route->held == NULL || tw_held_get_n_held (route->held) == 0)
        continue;
      json_builder_set_member_name (builder, tw_channel_get_id (route->channel));
      json_builder_add_value (builder, tw_held_to_json (route->held));
      any = TRUE;
    }
  json_builder_end_object (builder);

  if (!any)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to remove “%s”: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  root = json_builder_get_root (builder);
  json = json_to_string (root, TRUE);

  return g_file_set_contents_full (path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/**
 * tw_router_load_held:
 * @self: a #TwRouter, with its channels added
 * @path: a file written by tw_router_save_held()
 * @now_unix_usec: the current time
 * @error: return location for a #GError
 *
 * Reads counts of held events kept by an earlier daemon, adding them to
 * those of the channels that still follow Do Not Disturb. Counts that began
 * more than a day before @now_unix_usec are dropped as stale. A missing file
 * is no error.
 *
 * Returns: %FALSE if the file exists but cannot be read or is not valid
 */
gboolean
tw_router_load_held (TwRouter    *self,
                     const char  *path,
                     gint64       now_unix_usec,
                     GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  JsonNode *root;

  g_return_val_if_fail (TW_IS_ROUTER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!json_parser_load_from_file (parser, path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Failed to read “%s”: %s"), path,
                   local_error->message);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Failed to read “%s”: %s"), path,
                   _("Not a count of held notifications"));
      return FALSE;
    }

  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      Route *route = find_route (self, l->data);
      g_autoptr(TwHeld) held = NULL;

      if (route == NULL || !route->hold_during_dnd || route->held != NULL)
        continue;

      held = tw_held_new_from_json (json_object_get_member (object, l->data), &local_error);
      if (held == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Failed to read “%s”: %s"),
                       path, local_error->message);
          return FALSE;
        }
      if (tw_held_get_since (held) < now_unix_usec - MAX_HELD_AGE_USEC)
        {
          g_debug ("Dropping stale held events for %s", (const char *) l->data);
          continue;
        }
      route->held = g_steal_pointer (&held);
    }

  return TRUE;
}
