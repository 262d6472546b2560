/* tw-prefs-field.h — rows that show one config key and write it back when the user changes it
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "tw-config.h"
#include "tw-config-schema.h"

G_BEGIN_DECLS

/* Extra checks beyond the schema's: returns a translated reason, or NULL when @text is fine. */
typedef char *(*TwPrefsCheckFunc) (const char *text);

const TwConfigKey *tw_prefs_lookup_key          (const char       *group,
                                                 const char       *key);
char              *tw_prefs_dup_field_name      (const char       *group,
                                                 const char       *key);

GtkWidget         *tw_prefs_group_new           (const char       *title,
                                                 const char       *description);
void               tw_prefs_group_add           (GtkWidget        *group,
                                                 GtkWidget        *row);
GtkWidget         *tw_prefs_page_new            (GtkWidget       **out_box);

GtkWidget         *tw_prefs_row_new             (const char       *title,
                                                 const char       *subtitle,
                                                 GtkWidget        *control,
                                                 GtkWidget       **out_title);

GtkWidget         *tw_prefs_switch_row_new      (TwConfig         *config,
                                                 const char       *group,
                                                 const char       *key,
                                                 const char       *title,
                                                 const char       *subtitle);
GtkWidget         *tw_prefs_entry_row_new       (TwConfig         *config,
                                                 const char       *group,
                                                 const char       *key,
                                                 const char       *title,
                                                 const char       *subtitle,
                                                 const char       *empty_value,
                                                 TwPrefsCheckFunc  check);
GtkWidget         *tw_prefs_choice_row_new      (TwConfig         *config,
                                                 const char       *group,
                                                 const char       *key,
                                                 const char       *title,
                                                 const char       *subtitle,
                                                 const char * const *labels);

void               tw_prefs_show_error          (GtkWidget        *control,
                                                 GtkWidget        *error_label,
                                                 const char       *message);

char              *tw_prefs_check_milestones    (const char       *text);

G_END_DECLS
