/* tw-control.h — the daemon's D-Bus API for the preferences window: status and channel tests
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TW_CONTROL_INTERFACE "io.github.trainwatch.Trainwatch.Control"

/* Changed is sent at most this often, and at the end of a busy stretch. */
#define TW_CONTROL_CHANGED_INTERVAL_MS 500

#define TW_TYPE_CONTROL (tw_control_get_type ())
G_DECLARE_FINAL_TYPE (TwControl, tw_control, TW, CONTROL, GObject)

TwControl *tw_control_new          (void);
gboolean   tw_control_export       (TwControl        *self,
                                    GDBusConnection  *connection,
                                    const char       *object_path,
                                    GError          **error);
void       tw_control_unexport     (TwControl        *self);
void       tw_control_queue_changed (TwControl       *self);

G_END_DECLS
