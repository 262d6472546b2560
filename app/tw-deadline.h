/* tw-deadline.h — a main-loop timer that can be moved without waking its loop
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GSource *tw_deadline_new  (GSourceFunc  func,
                           gpointer     data);
void     tw_deadline_set  (GSource     *source,
                           gint64       monotonic_usec);

G_END_DECLS
