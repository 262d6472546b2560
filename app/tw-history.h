/* tw-history.h — the journal of every event, one JSON line each, rotated by size
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-event.h"

G_BEGIN_DECLS

#define TW_TYPE_HISTORY (tw_history_get_type ())
G_DECLARE_FINAL_TYPE (TwHistory, tw_history, TW, HISTORY, GObject)

TwHistory  *tw_history_new          (const char  *path);
const char *tw_history_get_path     (TwHistory   *self);
void        tw_history_set_limits   (TwHistory   *self,
                                     goffset      max_size,
                                     guint        keep_files);
gboolean    tw_history_append       (TwHistory   *self,
                                     TwEvent     *event,
                                     GError     **error);
GPtrArray  *tw_history_load_recent  (TwHistory   *self,
                                     guint        max_events,
                                     GError     **error);

G_END_DECLS
