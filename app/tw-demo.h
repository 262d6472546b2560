/* tw-demo.h — a simulated training run, so a new user sees every kind of notification
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TW_TYPE_DEMO (tw_demo_get_type ())
G_DECLARE_FINAL_TYPE (TwDemo, tw_demo, TW, DEMO, GObject)

TwDemo     *tw_demo_new          (gboolean   fail,
                                  double     speed,
                                  GError   **error);
const char *tw_demo_get_log_path (TwDemo    *self);
void        tw_demo_start        (TwDemo    *self);

G_END_DECLS
