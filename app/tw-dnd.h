/* tw-dnd.h — whether desktop notifications are held now, and why
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* tw_dnd_pause()'s end for a pause that lasts until tw_dnd_resume(). */
#define TW_DND_UNTIL_RESUME G_MAXINT64

#define TW_TYPE_DND (tw_dnd_get_type ())
G_DECLARE_FINAL_TYPE (TwDnd, tw_dnd, TW, DND, GObject)

TwDnd    *tw_dnd_new                (const char       *state_path);
void      tw_dnd_start              (TwDnd            *self,
                                     GDBusConnection  *connection);
gboolean  tw_dnd_is_active          (TwDnd            *self);
gboolean  tw_dnd_is_settled         (TwDnd            *self);
GStrv     tw_dnd_dup_reasons        (TwDnd            *self);

void      tw_dnd_set_follow_desktop (TwDnd            *self,
                                     gboolean          follow);
void      tw_dnd_set_quiet_hours    (TwDnd            *self,
                                     const char       *text);

gboolean  tw_dnd_pause              (TwDnd            *self,
                                     gint64            until_unix_usec,
                                     GError          **error);
gboolean  tw_dnd_pause_from_text    (TwDnd            *self,
                                     const char       *text,
                                     GError          **error);
gboolean  tw_dnd_resume             (TwDnd            *self,
                                     GError          **error);
gboolean  tw_dnd_is_paused          (TwDnd            *self);
gint64    tw_dnd_get_paused_until   (TwDnd            *self);

void      tw_dnd_add_actions        (TwDnd            *self,
                                     GActionMap       *map);
void      tw_dnd_add_json           (TwDnd            *self,
                                     JsonBuilder      *builder,
                                     guint             n_held,
                                     gboolean          critical_passes);
char     *tw_dnd_dup_status_text    (TwDnd            *self,
                                     guint             n_held,
                                     gboolean          critical_passes);
char     *tw_dnd_format_time        (gint64            unix_usec);

G_END_DECLS
