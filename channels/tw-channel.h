/* tw-channel.h — the interface every destination of events implements
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"

G_BEGIN_DECLS

#define TW_TYPE_CHANNEL (tw_channel_get_type ())
G_DECLARE_INTERFACE (TwChannel, tw_channel, TW, CHANNEL, GObject)

struct _TwChannelInterface
{
  GTypeInterface parent_iface;

  const char *(*get_id)       (TwChannel   *self);
  gboolean    (*is_available) (TwChannel   *self);
  void        (*deliver)      (TwChannel   *self,
                               TwEvent     *event);
  void        (*add_status)   (TwChannel   *self,
                               JsonBuilder *builder);
};

const char *tw_channel_get_id       (TwChannel   *self);
gboolean    tw_channel_is_available (TwChannel   *self);
void        tw_channel_deliver      (TwChannel   *self,
                                     TwEvent     *event);
void        tw_channel_add_status   (TwChannel   *self,
                                     JsonBuilder *builder);

G_END_DECLS
