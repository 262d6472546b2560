/* tw-dnd-time.h — the times of Do Not Disturb: quiet hours and how long a pause lasts
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TW_DND_TIME_ERROR (tw_dnd_time_error_quark ())

typedef enum
{
  TW_DND_TIME_ERROR_INVALID,
} TwDndTimeError;

/* The longest pause with a duration; longer ones are pauses until `resume`. */
#define TW_PAUSE_MAX_DAYS 7

typedef struct _TwQuietHours TwQuietHours;

GQuark        tw_dnd_time_error_quark     (void);

TwQuietHours *tw_quiet_hours_parse        (const char          *text,
                                           GError             **error);
void          tw_quiet_hours_free         (TwQuietHours        *self);
gboolean      tw_quiet_hours_is_empty     (const TwQuietHours  *self);
char         *tw_quiet_hours_to_string    (const TwQuietHours  *self);
gboolean      tw_quiet_hours_contains     (const TwQuietHours  *self,
                                           GDateTime           *now);
GDateTime    *tw_quiet_hours_next_change  (const TwQuietHours  *self,
                                           GDateTime           *now);

GDateTime    *tw_pause_parse_until        (const char          *text,
                                           GDateTime           *now,
                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwQuietHours, tw_quiet_hours_free)

G_END_DECLS
