/* tw-held.h — what happened while notifications were held, and its one summary
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"

G_BEGIN_DECLS

#define TW_HELD_ERROR (tw_held_error_quark ())

typedef enum
{
  TW_HELD_ERROR_INVALID,
} TwHeldError;

typedef struct _TwHeld TwHeld;

GQuark    tw_held_error_quark    (void);
TwHeld   *tw_held_new            (void);
void      tw_held_free           (TwHeld      *self);
void      tw_held_add            (TwHeld      *self,
                                  TwEvent     *event,
                                  gboolean     held);
guint     tw_held_get_n_held     (const TwHeld *self);
gint64    tw_held_get_since      (const TwHeld *self);
TwEvent  *tw_held_dup_summary    (const TwHeld *self);
JsonNode *tw_held_to_json        (const TwHeld *self);
TwHeld   *tw_held_new_from_json  (JsonNode    *node,
                                  GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwHeld, tw_held_free)

G_END_DECLS
