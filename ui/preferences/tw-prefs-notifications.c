/* tw-prefs-notifications.c — the Notifications page: desktop, the table of event kinds ×
 * channels, runs, and the user's rules with a live preview
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-prefs-pages.h"

#include <glib/gi18n.h>

#include "tw-event.h"
#include "tw-extract-rule.h"
#include "tw-observation.h"
#include "tw-prefs-field.h"

/* The channels of the table, each with its `events` key in the group of its name. */
static const struct
{
  const char *group;
  const char *label;
} channels[] = {
  { "desktop", N_("Desktop") },
  { "email", N_("Email") },
  { "slack", N_("Slack") },
  { "discord", N_("Discord") },
};

/* The kinds a user chooses where to send, in the order of a run's life. */
static const struct
{
  TwEventKind  kind;
  const char  *label;
} kinds[] = {
  { TW_EVENT_RUN_STARTED, N_("Run started") },
  { TW_EVENT_PROGRESS, N_("Progress milestone") },
  { TW_EVENT_EPOCH_COMPLETED, N_("Epoch completed") },
  { TW_EVENT_CHECKPOINT_SAVED, N_("Checkpoint saved") },
  { TW_EVENT_EVALUATION_COMPLETED, N_("Evaluation completed") },
  { TW_EVENT_NEW_BEST, N_("New best metric") },
  { TW_EVENT_RUN_COMPLETED, N_("Run completed") },
  { TW_EVENT_RUN_FAILED, N_("Run failed") },
  { TW_EVENT_OUT_OF_MEMORY, N_("Out of memory") },
  { TW_EVENT_NAN_DETECTED, N_("NaN or Inf detected") },
  { TW_EVENT_LOSS_DIVERGING, N_("Loss diverging") },
  { TW_EVENT_STALLED, N_("Stalled") },
  { TW_EVENT_RESUMED, N_("Output again after a stall") },
  { TW_EVENT_RUN_STOPPED, N_("Stopped by a signal") },
  { TW_EVENT_RULE_MATCHED, N_("One of your rules matched") },
  { TW_EVENT_MESSAGE, N_("Message from “trainwatch send”") },
};

static const char * const level_labels[] = {
  N_("Info"), N_("Success"), N_("Warning"), N_("Error"), N_("Critical"), NULL
};

typedef struct
{
  TwConfig  *config;
  GtkWidget *table_error;
  GtkWidget *rules_list;
  GtkWidget *rules_empty;
  GtkWidget *rule_name;
  GtkWidget *rule_pattern;
  GtkWidget *rule_error;
  GtkWidget *preview_line;
  GtkWidget *preview_result;
  char      *shown_rules;
  const char *levels[G_N_ELEMENTS (level_labels)];
} NotificationsPage;

static void
notifications_page_free (gpointer data)
{
  NotificationsPage *page = data;

  g_clear_object (&page->config);
  g_free (page->shown_rules);
  g_free (page);
}

static NotificationsPage *
get_page (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "tw-prefs-notifications");
}

/* The table */

static char *
dup_kinds_text (guint32 bits)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint kind = 0; kind < TW_N_EVENT_KINDS; kind++)
    if (bits & (1u << kind))
      {
        if (text->len > 0)
          g_string_append (text, ", ");
        g_string_append (text, tw_event_kind_to_string (kind));
      }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
cell_active_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  NotificationsPage *page = user_data;
  const char *group = g_object_get_data (object, "tw-group");
  TwEventKind kind = GPOINTER_TO_UINT (g_object_get_data (object, "tw-kind"));
  guint32 bits;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (g_object_get_data (object, "tw-updating") != NULL)
    return;

  bits = tw_config_get_event_kinds (page->config, group, "events");
  if (gtk_switch_get_active (GTK_SWITCH (object)))
    bits |= 1u << kind;
  else
    bits &= ~(1u << kind);
  text = dup_kinds_text (bits);
  if (!tw_config_set_value (page->config, group, "events", text, &error))
    tw_prefs_show_error (GTK_WIDGET (object), page->table_error, error->message);
  else
    tw_prefs_show_error (GTK_WIDGET (object), page->table_error, NULL);
}

static void
cell_config_changed_cb (TwConfig *config,
                        gpointer  user_data)
{
  GObject *cell = user_data;
  const char *group = g_object_get_data (cell, "tw-group");
  TwEventKind kind = GPOINTER_TO_UINT (g_object_get_data (cell, "tw-kind"));
  guint32 bits = tw_config_get_event_kinds (config, group, "events");

  g_object_set_data (cell, "tw-updating", GINT_TO_POINTER (1));
  gtk_switch_set_active (GTK_SWITCH (cell), (bits & (1u << kind)) != 0);
  g_object_set_data (cell, "tw-updating", NULL);
}

static GtkWidget *
table_new (NotificationsPage *page)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_widget_set_margin_start (grid, 12);
  gtk_widget_set_margin_end (grid, 12);
  gtk_widget_set_margin_top (grid, 8);
  gtk_widget_set_margin_bottom (grid, 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (grid), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Which events go to which channel"), -1);

  for (guint c = 0; c < G_N_ELEMENTS (channels); c++)
    {
      GtkWidget *header = gtk_label_new (_(channels[c].label));

      gtk_widget_add_css_class (header, "heading");
      gtk_grid_attach (GTK_GRID (grid), header, 1 + c, 0, 1, 1);
    }

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      GtkWidget *label = gtk_label_new (_(kinds[k].label));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_grid_attach (GTK_GRID (grid), label, 0, 1 + k, 1, 1);
      for (guint c = 0; c < G_N_ELEMENTS (channels); c++)
        {
          GtkWidget *cell = gtk_switch_new ();
          g_autofree char *name = g_strdup_printf ("events/%s/%s", channels[c].group,
                                                   tw_event_kind_to_string (kinds[k].kind));
          /* Translators: the accessible name of a switch in the table, such as “Run failed: Email” */
          g_autofree char *accessible = g_strdup_printf (_("%s: %s"), _(kinds[k].label), _(channels[c].label));

          gtk_widget_set_name (cell, name);
          gtk_widget_set_halign (cell, GTK_ALIGN_CENTER);
          gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
          g_object_set_data (G_OBJECT (cell), "tw-group", (gpointer) channels[c].group);
          g_object_set_data (G_OBJECT (cell), "tw-kind", GUINT_TO_POINTER (kinds[k].kind));
          cell_config_changed_cb (page->config, cell);
          g_signal_connect (cell, "notify::active", G_CALLBACK (cell_active_cb), page);
          g_signal_connect_object (page->config, "changed", G_CALLBACK (cell_config_changed_cb), cell, 0);
          gtk_grid_attach (GTK_GRID (grid), cell, 1 + c, 1 + k, 1, 1);
        }
    }

  page->table_error = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (page->table_error), TRUE);
  gtk_label_set_xalign (GTK_LABEL (page->table_error), 0);
  gtk_widget_add_css_class (page->table_error, "error");
  gtk_widget_set_visible (page->table_error, FALSE);
  gtk_grid_attach (GTK_GRID (grid), page->table_error, 0, 1 + G_N_ELEMENTS (kinds), 1 + G_N_ELEMENTS (channels), 1);

  return grid;
}

/* Rules */

static void
update_preview (NotificationsPage *page)
{
  const char *line = gtk_editable_get_text (GTK_EDITABLE (page->preview_line));
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "rule");
  g_autoptr(TwRuleSet) rules = tw_rule_set_new ();
  g_autoptr(GArray) found = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_autoptr(GString) text = g_string_new (NULL);

  if (*line == '\0')
    {
      gtk_label_set_text (GTK_LABEL (page->preview_result), _("Paste a line of a log above to see which rules match it."));
      return;
    }

  g_array_set_clear_func (found, (GDestroyNotify) tw_observation_clear);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("rule:", names[i], NULL);
      g_autofree char *pattern = tw_config_dup_value (page->config, group, "pattern");
      g_autofree char *level_text = tw_config_dup_value (page->config, group, "level");
      g_autofree char *message = tw_config_dup_value (page->config, group, "message");
      g_autoptr(TwRuleSet) one = tw_rule_set_new ();
      g_autoptr(GArray) matches = g_array_new (FALSE, TRUE, sizeof (TwObservation));
      g_autoptr(GError) error = NULL;
      TwLevel level = TW_LEVEL_WARNING;

      g_array_set_clear_func (matches, (GDestroyNotify) tw_observation_clear);
      tw_level_from_string (level_text, &level);
      /* Each rule alone, with the daemon's own matcher, to say which matched. */
      if (pattern == NULL || *pattern == '\0' ||
          !tw_rule_set_add (one, pattern, level, message != NULL && *message != '\0' ? message : NULL, &error))
        {
          if (error != NULL)
            /* Translators: %s is a rule's name, the second %s what is wrong with it */
            g_string_append_printf (text, _("“%s” cannot be used: %s\n"), names[i], error->message);
          continue;
        }
      tw_rule_set_line (one, line, strlen (line), 0, matches);
      for (guint m = 0; m < matches->len; m++)
        {
          TwObservation *observation = &g_array_index (matches, TwObservation, m);

          if (observation->kind != TW_OBSERVATION_RULE)
            continue;
          /* Translators: a rule's preview: the rule's name, the level, and the event's text */
          g_string_append_printf (text, _("“%s” matches: %s — %s\n"), names[i],
                                  _(level_labels[observation->level]), observation->message);
        }
    }

  if (text->len == 0)
    g_string_append (text, _("No rule matches this line."));
  else
    g_string_truncate (text, text->len - 1);
  gtk_label_set_text (GTK_LABEL (page->preview_result), text->str);
}

static void
preview_changed_cb (GtkEditable *editable,
                    gpointer     user_data)
{
  update_preview (user_data);
}

static void
remove_rule_clicked_cb (GtkButton *button,
                        gpointer   user_data)
{
  NotificationsPage *page = user_data;
  const char *group = g_object_get_data (G_OBJECT (button), "tw-group");
  g_autofree char *copy = g_strdup (group);
  g_autoptr(GError) error = NULL;

  if (!tw_config_remove_section (page->config, copy, &error))
    tw_prefs_show_error (page->rule_pattern, page->rule_error, error->message);
}

static GtkWidget *
rule_box_new (NotificationsPage *page,
              const char        *name)
{
  g_autofree char *group = g_strconcat ("rule:", name, NULL);
  /* Translators: %s is the name of one of the user's rules */
  g_autofree char *title = g_strdup_printf (_("Rule “%s”"), name);
  g_autofree char *remove_name = g_strdup_printf (_("Remove the rule “%s”"), name);
  GtkWidget *box = tw_prefs_group_new (title, NULL);
  GtkWidget *remove = gtk_button_new_with_mnemonic (_("_Remove"));
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  tw_prefs_group_add (box, tw_prefs_entry_row_new (page->config, group, "pattern", _("Pattern"),
                                                   _("A regular expression a line must contain."), NULL, NULL));
  tw_prefs_group_add (box, tw_prefs_choice_row_new (page->config, group, "level", _("Level"), NULL, page->levels));
  tw_prefs_group_add (box, tw_prefs_entry_row_new (page->config, group, "message", _("Message"),
                                                   _("\\0 is the match and \\1 to \\9 its groups. Empty: the line."),
                                                   NULL, NULL));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_name, -1);
  g_object_set_data_full (G_OBJECT (remove), "tw-group", g_strdup (group), g_free);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_rule_clicked_cb), page);
  gtk_widget_set_halign (line, GTK_ALIGN_END);
  gtk_widget_set_margin_end (line, 12);
  gtk_widget_set_margin_top (line, 8);
  gtk_widget_set_margin_bottom (line, 8);
  gtk_box_append (GTK_BOX (line), remove);
  tw_prefs_group_add (box, line);

  return box;
}

static void
rebuild_rules (NotificationsPage *page)
{
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "rule");
  g_autofree char *shown = g_strjoinv ("\n", names);
  GtkWidget *child;

  if (page->shown_rules != NULL && g_str_equal (page->shown_rules, shown))
    return;
  g_free (page->shown_rules);
  page->shown_rules = g_steal_pointer (&shown);

  while ((child = gtk_widget_get_first_child (page->rules_list)) != NULL)
    gtk_box_remove (GTK_BOX (page->rules_list), child);
  for (guint i = 0; names[i] != NULL; i++)
    gtk_box_append (GTK_BOX (page->rules_list), rule_box_new (page, names[i]));
  gtk_widget_set_visible (page->rules_empty, names[0] == NULL);
}

static void
config_changed_cb (TwConfig *config,
                   gpointer  user_data)
{
  NotificationsPage *page = get_page (user_data);

  rebuild_rules (page);
  update_preview (page);
}

static void
add_rule_cb (GtkWidget *widget,
             gpointer   user_data)
{
  NotificationsPage *page = user_data;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (page->rule_name))));
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (page->rule_pattern));
  g_autofree char *group = g_strconcat ("rule:", name, NULL);
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "rule");
  g_autoptr(GError) error = NULL;

  if (*name == '\0')
    {
      tw_prefs_show_error (page->rule_name, page->rule_error, _("Not added: give the rule a name."));
      return;
    }
  if (g_strv_contains ((const char * const *) names, name))
    {
      g_autofree char *message = g_strdup_printf (_("Not added: there is a rule named “%s” already."), name);

      tw_prefs_show_error (page->rule_name, page->rule_error, message);
      return;
    }
  if (*pattern == '\0')
    {
      tw_prefs_show_error (page->rule_pattern, page->rule_error, _("Not added: type the pattern to look for."));
      return;
    }
  if (!tw_config_set_value (page->config, group, "pattern", pattern, &error))
    {
      tw_prefs_show_error (page->rule_pattern, page->rule_error, error->message);
      return;
    }
  tw_prefs_show_error (page->rule_name, NULL, NULL);
  tw_prefs_show_error (page->rule_pattern, page->rule_error, NULL);
  gtk_editable_set_text (GTK_EDITABLE (page->rule_name), "");
  gtk_editable_set_text (GTK_EDITABLE (page->rule_pattern), "");
}

static GtkWidget *
labelled_entry (const char *accessible_name,
                const char *placeholder,
                const char *widget_name)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_widget_set_name (entry, widget_name);
  gtk_widget_set_hexpand (entry, TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_name, -1);

  return entry;
}

/**
 * tw_prefs_notifications_page_new:
 * @config: the config
 * @daemon: the daemon
 *
 * Returns: (transfer floating): the Notifications page
 */
GtkWidget *
tw_prefs_notifications_page_new (TwConfig      *config,
                                 TwPrefsDaemon *daemon)
{
  NotificationsPage *page = g_new0 (NotificationsPage, 1);
  GtkWidget *box;
  GtkWidget *scrolled = tw_prefs_page_new (&box);
  GtkWidget *group;
  GtkWidget *add_box;
  GtkWidget *line;
  GtkWidget *add;

  page->config = g_object_ref (config);
  for (guint i = 0; level_labels[i] != NULL; i++)
    page->levels[i] = _(level_labels[i]);
  g_object_set_data_full (G_OBJECT (scrolled), "tw-prefs-notifications", page, notifications_page_free);

  group = tw_prefs_group_new (_("Desktop notifications"), NULL);
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "desktop", "enabled", _("Show notifications"),
                                                      _("Forwarding to other channels does not depend on it.")));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "desktop", "sound", _("Play a sound"),
                                                      _("The notification server chooses the sound.")));
  tw_prefs_group_add (group, tw_prefs_choice_row_new (config, "desktop", "min-level", _("Lowest level shown"),
                                                      _("Events below it reach only the history."), page->levels));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "desktop", "dock-progress",
                                                      _("Show progress on the dock"),
                                                      _("On docks that support it, when Trainwatch is pinned "
                                                        "there.")));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Which events go where"),
                              _("Email, Slack and Discord are set up on their own pages."));
  tw_prefs_group_add (group, table_new (page));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Runs"), NULL);
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "runs", "stall-minutes",
                                                     _("Stalled after (minutes)"),
                                                     _("How long a run may print nothing. 0 or empty: judged "
                                                       "from the run itself."),
                                                     "0", NULL));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "runs", "milestones", _("Milestones (%)"),
                                                     _("Progress percentages to tell you about, such as "
                                                       "25,50,75,100. Empty: none."),
                                                     NULL, tw_prefs_check_milestones));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Your rules"),
                              _("A rule makes an event of every line of output that its pattern matches."));
  page->rules_empty = gtk_label_new (_("No rules yet."));
  gtk_label_set_xalign (GTK_LABEL (page->rules_empty), 0);
  gtk_widget_add_css_class (page->rules_empty, "dim-label");
  gtk_widget_set_margin_start (page->rules_empty, 12);
  gtk_widget_set_margin_top (page->rules_empty, 8);
  gtk_widget_set_margin_bottom (page->rules_empty, 8);
  tw_prefs_group_add (group, page->rules_empty);
  add_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_start (add_box, 12);
  gtk_widget_set_margin_end (add_box, 12);
  gtk_widget_set_margin_top (add_box, 8);
  gtk_widget_set_margin_bottom (add_box, 8);
  line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  page->rule_name = labelled_entry (_("Name of the new rule"), _("Name"), "rule-add/name");
  gtk_widget_set_hexpand (page->rule_name, FALSE);
  page->rule_pattern = labelled_entry (_("Pattern of the new rule"), _("Pattern, such as CUDA error: (.*)"),
                                       "rule-add/pattern");
  add = gtk_button_new_with_mnemonic (_("Add _rule"));
  gtk_widget_set_name (add, "rule-add/add");
  gtk_box_append (GTK_BOX (line), page->rule_name);
  gtk_box_append (GTK_BOX (line), page->rule_pattern);
  gtk_box_append (GTK_BOX (line), add);
  gtk_box_append (GTK_BOX (add_box), line);
  page->rule_error = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (page->rule_error), 0);
  gtk_label_set_wrap (GTK_LABEL (page->rule_error), TRUE);
  gtk_widget_add_css_class (page->rule_error, "error");
  gtk_widget_set_visible (page->rule_error, FALSE);
  gtk_box_append (GTK_BOX (add_box), page->rule_error);
  page->preview_line = labelled_entry (_("A line of a log to try the rules on"), _("Paste a line of a log"),
                                       "rule-preview/line");
  page->preview_result = gtk_label_new (NULL);
  gtk_widget_set_name (page->preview_result, "rule-preview/result");
  gtk_label_set_xalign (GTK_LABEL (page->preview_result), 0);
  gtk_label_set_wrap (GTK_LABEL (page->preview_result), TRUE);
  gtk_label_set_selectable (GTK_LABEL (page->preview_result), TRUE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (page->preview_line), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  page->preview_result, NULL, -1);
  gtk_box_append (GTK_BOX (add_box), page->preview_line);
  gtk_box_append (GTK_BOX (add_box), page->preview_result);
  tw_prefs_group_add (group, add_box);
  gtk_box_append (GTK_BOX (box), group);
  page->rules_list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  gtk_box_append (GTK_BOX (box), page->rules_list);

  g_signal_connect (add, "clicked", G_CALLBACK (add_rule_cb), page);
  g_signal_connect (page->rule_pattern, "activate", G_CALLBACK (add_rule_cb), page);
  g_signal_connect (page->preview_line, "changed", G_CALLBACK (preview_changed_cb), page);
  g_signal_connect_object (config, "changed", G_CALLBACK (config_changed_cb), scrolled, 0);
  rebuild_rules (page);
  update_preview (page);

  return scrolled;
}
