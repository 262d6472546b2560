/* tw-channel.c — the interface every destination of events implements
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-channel.h"

G_DEFINE_INTERFACE (TwChannel, tw_channel, G_TYPE_OBJECT)

static void
tw_channel_default_init (TwChannelInterface *iface)
{
}

/**
 * tw_channel_get_id:
 * @self: a #TwChannel
 *
 * Returns: the channel's stable identifier ("desktop", "email", …), as used
 *   in the config file and in `trainwatch status`.
 */
const char *
tw_channel_get_id (TwChannel *self)
{
  g_return_val_if_fail (TW_IS_CHANNEL (self), NULL);

  return TW_CHANNEL_GET_IFACE (self)->get_id (self);
}

/**
 * tw_channel_is_available:
 * @self: a #TwChannel
 *
 * Whether the channel can currently deliver (a notification server on the
 * bus, a configured webhook, …). Delivering to an unavailable channel is
 * allowed; the channel records why it could not.
 *
 * Returns: %TRUE if the channel expects delivery to work
 */
gboolean
tw_channel_is_available (TwChannel *self)
{
  TwChannelInterface *iface;

  g_return_val_if_fail (TW_IS_CHANNEL (self), FALSE);

  iface = TW_CHANNEL_GET_IFACE (self);
  return iface->is_available != NULL ? iface->is_available (self) : TRUE;
}

/**
 * tw_channel_deliver:
 * @self: a #TwChannel
 * @event: the event the router decided this channel hears about
 *
 * Hands @event to the channel. This never blocks: channels queue the work
 * and do it where a hung server cannot stall the caller.
 */
void
tw_channel_deliver (TwChannel *self,
                    TwEvent   *event)
{
  g_return_if_fail (TW_IS_CHANNEL (self));
  g_return_if_fail (TW_IS_EVENT (event));

  TW_CHANNEL_GET_IFACE (self)->deliver (self, event);
}

/**
 * tw_channel_add_status:
 * @self: a #TwChannel
 * @builder: a #JsonBuilder positioned inside the channel's object
 *
 * Adds the channel's members (availability, counters, last error) to the
 * object being built for `trainwatch status --json`.
 */
void
tw_channel_add_status (TwChannel   *self,
                       JsonBuilder *builder)
{
  TwChannelInterface *iface;

  g_return_if_fail (TW_IS_CHANNEL (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  iface = TW_CHANNEL_GET_IFACE (self);
  if (iface->add_status != NULL)
    iface->add_status (self, builder);
}
