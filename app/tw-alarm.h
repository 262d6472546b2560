/* tw-alarm.h — a main-loop source that fires at a wall-clock time
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint tw_alarm_add_once (gint64          unix_usec,
                         GSourceOnceFunc func,
                         gpointer        data);

G_END_DECLS
