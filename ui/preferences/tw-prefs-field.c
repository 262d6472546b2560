/* tw-prefs-field.c — rows that show one config key and write it back when the user changes it
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every control here is bound to one key of the config file through TwConfig: a
 * change the schema accepts is written at once (the daemon reloads the file), a
 * value it refuses is shown at the field, with the reason, and never written.
 * Typed text is checked at each keystroke and written once the typing pauses
 * (WRITE_DELAY_MS), on Enter or when the focus leaves, so that what is on the
 * way to a value ("" before "50,75", "6" before "60") is not written. A
 * change of the file from elsewhere (the daemon, a text editor) updates the
 * control, unless the user is in the middle of typing something not yet valid.
 */
#include "config.h"

#include "tw-prefs-field.h"

#include <glib/gi18n.h>

#define WRITE_DELAY_MS 400

typedef struct
{
  TwConfig          *config;
  GtkWidget         *control;      /* not a reference: the binding lives in its data */
  guint              write_id;     /* a typed value waits to be written */
  char              *group;
  char              *key;
  char              *empty_value;  /* nullable: what an empty entry stands for */
  const TwConfigKey *schema;
  TwPrefsCheckFunc   check;
  GtkWidget         *error_label;  /* nullable; a sibling in the same row */
  gboolean           updating;     /* the program, not the user, is changing the control */
} Binding;

static void
binding_free (gpointer data)
{
  Binding *binding = data;

  /* Written on unrealize, when the window closes; here the entry is half gone. */
  g_clear_handle_id (&binding->write_id, g_source_remove);
  g_clear_object (&binding->config);
  g_free (binding->group);
  g_free (binding->key);
  g_free (binding->empty_value);
  g_free (binding);
}

static Binding *
bind (GtkWidget  *control,
      TwConfig   *config,
      const char *group,
      const char *key)
{
  Binding *binding = g_new0 (Binding, 1);
  g_autofree char *name = tw_prefs_dup_field_name (group, key);

  binding->config = g_object_ref (config);
  binding->control = control;
  binding->group = g_strdup (group);
  binding->key = g_strdup (key);
  binding->schema = tw_prefs_lookup_key (group, key);
  g_assert (binding->schema != NULL);
  g_object_set_data_full (G_OBJECT (control), "tw-prefs-binding", binding, binding_free);
  /* Tests find controls by their key. */
  gtk_widget_set_name (control, name);

  return binding;
}

static gboolean
has_group (TwConfig   *config,
           const char *group)
{
  const char *name = NULL;
  const TwConfigSection *kind = tw_config_schema_parse_section (group, &name);
  g_auto(GStrv) names = NULL;

  if (kind == NULL)
    return TRUE;

  names = tw_config_dup_section_names (config, kind->kind);
  return g_strv_contains ((const char * const *) names, name);
}

/* The stored value, or NULL when its [kind:NAME] group is gone. */
static char *
dup_stored (Binding *binding)
{
  if (!has_group (binding->config, binding->group))
    return NULL;

  return tw_config_dup_value (binding->config, binding->group, binding->key);
}

/**
 * tw_prefs_lookup_key:
 * @group: a group such as `email`, or a section such as `rule:oom`
 * @key: a key of it
 *
 * Returns: (nullable): the schema's row for the key, or %NULL when there is none
 */
const TwConfigKey *
tw_prefs_lookup_key (const char *group,
                     const char *key)
{
  const TwConfigSection *kind = tw_config_schema_parse_section (group, NULL);
  const TwConfigKey *keys;
  guint n_keys;
  int index;

  if (kind != NULL)
    {
      keys = tw_config_schema_get_section_keys (&n_keys);
      index = tw_config_schema_find_section_key (kind->kind, key);
    }
  else
    {
      keys = tw_config_schema_get_keys (&n_keys);
      index = tw_config_schema_find_key (group, key);
    }

  return index >= 0 ? &keys[index] : NULL;
}

/**
 * tw_prefs_dup_field_name:
 * @group: a config group
 * @key: a key in it
 *
 * Returns: (transfer full): the widget name of the control bound to the key,
 *   `GROUP/KEY`, which tests look for
 */
char *
tw_prefs_dup_field_name (const char *group,
                         const char *key)
{
  return g_strconcat (group, "/", key, NULL);
}

/**
 * tw_prefs_show_error:
 * @control: the control the message is about
 * @error_label: the label under it
 * @message: (nullable): a translated sentence, or %NULL to clear the error
 *
 * Marks @control as invalid (the "error" style class and the accessible
 * invalid state) and shows @message under it, or clears both.
 */
void
tw_prefs_show_error (GtkWidget  *control,
                     GtkWidget  *error_label,
                     const char *message)
{
  if (message != NULL)
    {
      gtk_widget_add_css_class (control, "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
  else
    {
      gtk_widget_remove_css_class (control, "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_STATE_INVALID);
    }

  if (error_label != NULL)
    {
      gtk_label_set_text (GTK_LABEL (error_label), message != NULL ? message : "");
      gtk_widget_set_visible (error_label, message != NULL);
    }
}

/**
 * tw_prefs_group_new:
 * @title: the heading
 * @description: (nullable): a sentence under it
 *
 * Returns: (transfer floating): a box of rows under a heading
 */
GtkWidget *
tw_prefs_group_new (const char *title,
                    const char *description)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (box), heading);
  if (description != NULL)
    {
      GtkWidget *label = gtk_label_new (description);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }
  gtk_frame_set_child (GTK_FRAME (frame), list);
  gtk_box_append (GTK_BOX (box), frame);
  g_object_set_data (G_OBJECT (box), "tw-prefs-list", list);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_RELATION_LABELLED_BY, heading,
                                  NULL, -1);

  return box;
}

/**
 * tw_prefs_group_add:
 * @group: a group from tw_prefs_group_new()
 * @row: a row to append
 *
 * Appends @row, with a separator from the row before.
 */
void
tw_prefs_group_add (GtkWidget *group,
                    GtkWidget *row)
{
  GtkWidget *list = g_object_get_data (G_OBJECT (group), "tw-prefs-list");

  g_return_if_fail (GTK_IS_BOX (list));

  if (gtk_widget_get_first_child (list) != NULL)
    gtk_box_append (GTK_BOX (list), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
  gtk_box_append (GTK_BOX (list), row);
}

/**
 * tw_prefs_page_new:
 * @out_box: (out): where to append the page's groups
 *
 * Returns: (transfer floating): a scrolled page, so that the window fits small screens
 */
GtkWidget *
tw_prefs_page_new (GtkWidget **out_box)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_set_hexpand (scrolled, TRUE);
  *out_box = box;

  return scrolled;
}

/**
 * tw_prefs_row_new:
 * @title: what the control sets
 * @subtitle: (nullable): a sentence that explains it
 * @control: (transfer floating): the control
 * @out_title: (out) (optional): the title label
 *
 * A row with @title (and @subtitle) on the left and @control on the right; the
 * control is named by the title and described by the subtitle.
 *
 * Returns: (transfer floating): the row
 */
GtkWidget *
tw_prefs_row_new (const char  *title,
                  const char  *subtitle,
                  GtkWidget   *control,
                  GtkWidget  **out_title)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title_label = gtk_label_new (title);

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 8);
  gtk_widget_set_margin_bottom (row, 8);
  gtk_label_set_xalign (GTK_LABEL (title_label), 0);
  gtk_label_set_wrap (GTK_LABEL (title_label), TRUE);
  gtk_box_append (GTK_BOX (labels), title_label);
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_LABELLED_BY, title_label,
                                  NULL, -1);
  if (subtitle != NULL)
    {
      GtkWidget *sub = gtk_label_new (subtitle);

      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (sub), 60);
      gtk_widget_add_css_class (sub, "dim-label");
      gtk_widget_add_css_class (sub, "caption");
      gtk_box_append (GTK_BOX (labels), sub);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, sub,
                                      NULL, -1);
    }
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (line), labels);
  gtk_box_append (GTK_BOX (line), control);
  gtk_box_append (GTK_BOX (row), line);
  if (out_title != NULL)
    *out_title = title_label;

  return row;
}

static GtkWidget *
add_error_label (GtkWidget *row,
                 GtkWidget *control)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_set_visible (label, FALSE);
  gtk_box_append (GTK_BOX (row), label);
  /* A screen reader reads the reason with the field. */
  /* One widget, not a list: no NULL after it. */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_ERROR_MESSAGE, label, -1);

  return label;
}

/* Switches */

static void
switch_active_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  Binding *binding = user_data;
  gboolean active = gtk_switch_get_active (GTK_SWITCH (object));
  g_autoptr(GError) error = NULL;

  if (binding->updating)
    return;

  if (!tw_config_set_value (binding->config, binding->group, binding->key, active ? "true" : "false", &error))
    tw_prefs_show_error (GTK_WIDGET (object), binding->error_label, error->message);
  else
    tw_prefs_show_error (GTK_WIDGET (object), binding->error_label, NULL);
}

static void
switch_config_changed_cb (TwConfig *config,
                          gpointer  user_data)
{
  GtkWidget *control = user_data;
  Binding *binding = g_object_get_data (G_OBJECT (control), "tw-prefs-binding");
  g_autofree char *stored = dup_stored (binding);

  if (stored == NULL)
    return;

  binding->updating = TRUE;
  gtk_switch_set_active (GTK_SWITCH (control), g_str_equal (stored, "true"));
  binding->updating = FALSE;
}

/**
 * tw_prefs_switch_row_new:
 * @config: the config
 * @group: a group of it
 * @key: a boolean key in @group
 * @title: what the switch turns on
 * @subtitle: (nullable): a sentence that explains it
 *
 * Returns: (transfer floating): a row with a switch bound to the key
 */
GtkWidget *
tw_prefs_switch_row_new (TwConfig   *config,
                         const char *group,
                         const char *key,
                         const char *title,
                         const char *subtitle)
{
  GtkWidget *control = gtk_switch_new ();
  Binding *binding = bind (control, config, group, key);
  GtkWidget *row = tw_prefs_row_new (title, subtitle, control, NULL);

  g_assert (binding->schema->type == TW_CONFIG_TYPE_BOOLEAN);
  binding->error_label = add_error_label (row, control);
  switch_config_changed_cb (config, control);
  g_signal_connect (control, "notify::active", G_CALLBACK (switch_active_cb), binding);
  g_signal_connect_object (config, "changed", G_CALLBACK (switch_config_changed_cb), control, 0);

  return row;
}

/* Entries */

/* The value @text stands for, normalized, or NULL with @out_reason set. */
static char *
dup_entry_value (Binding     *binding,
                 const char  *text,
                 char       **out_reason)
{
  const char *candidate = (*text == '\0' && binding->empty_value != NULL) ? binding->empty_value : text;
  g_autofree char *normalized = tw_config_key_dup_normalized (binding->schema, candidate);
  g_autofree char *reason = NULL;

  if (normalized == NULL)
    {
      g_autofree char *allowed = tw_config_key_dup_allowed (binding->schema);

      /* Translators: %s describes the values allowed, such as “a whole number from 0 to 65535” */
      *out_reason = g_strdup_printf (_("Not saved: this must be %s."), allowed);
      return NULL;
    }
  if (binding->check != NULL && (reason = binding->check (normalized)) != NULL)
    {
      /* Translators: %s says what is wrong with the value */
      *out_reason = g_strdup_printf (_("Not saved: %s"), reason);
      return NULL;
    }

  return g_steal_pointer (&normalized);
}

/* Writes the entry's value if it is valid; the error label says why not. */
static void
write_entry (Binding *binding)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *value = NULL;
  g_autofree char *stored = NULL;

  value = dup_entry_value (binding, gtk_editable_get_text (GTK_EDITABLE (binding->control)), &reason);
  if (value == NULL)
    return;

  stored = dup_stored (binding);
  if (stored == NULL || g_str_equal (stored, value))
    return;
  if (!tw_config_set_value (binding->config, binding->group, binding->key, value, &error))
    tw_prefs_show_error (binding->control, binding->error_label, error->message);
}

static gboolean
write_timeout_cb (gpointer user_data)
{
  Binding *binding = user_data;

  binding->write_id = 0;
  write_entry (binding);
  return G_SOURCE_REMOVE;
}

static void
flush_entry (Binding *binding)
{
  if (binding->write_id == 0)
    return;
  g_clear_handle_id (&binding->write_id, g_source_remove);
  write_entry (binding);
}

static void
entry_changed_cb (GtkEditable *editable,
                  gpointer     user_data)
{
  Binding *binding = user_data;
  g_autofree char *reason = NULL;
  g_autofree char *value = NULL;

  if (binding->updating)
    return;

  g_clear_handle_id (&binding->write_id, g_source_remove);
  value = dup_entry_value (binding, gtk_editable_get_text (editable), &reason);
  tw_prefs_show_error (GTK_WIDGET (editable), binding->error_label, reason);
  if (value != NULL)
    binding->write_id = g_timeout_add (WRITE_DELAY_MS, write_timeout_cb, binding);
}

static void
entry_activate_cb (GtkEntry *entry,
                   gpointer  user_data)
{
  flush_entry (user_data);
}

static void
focus_leave_cb (GtkEventControllerFocus *controller,
                gpointer                 user_data)
{
  flush_entry (user_data);
}

/* What was typed last is not lost when the window closes. */
static void
entry_unrealize_cb (GtkWidget *widget,
                    gpointer   user_data)
{
  flush_entry (user_data);
}

static void
entry_config_changed_cb (TwConfig *config,
                         gpointer  user_data)
{
  GtkWidget *control = user_data;
  Binding *binding = g_object_get_data (G_OBJECT (control), "tw-prefs-binding");
  g_autofree char *stored = dup_stored (binding);
  g_autofree char *reason = NULL;
  g_autofree char *shown = NULL;
  const char *text;

  if (stored == NULL || binding->write_id != 0)
    return;

  /* What the user is typing stays while it is not valid yet, or means the same. */
  shown = dup_entry_value (binding, gtk_editable_get_text (GTK_EDITABLE (control)), &reason);
  if (shown == NULL || g_str_equal (shown, stored))
    return;

  text = (binding->empty_value != NULL && g_str_equal (stored, binding->empty_value)) ? "" : stored;
  binding->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (control), text);
  binding->updating = FALSE;
}

/**
 * tw_prefs_entry_row_new:
 * @config: the config
 * @group: a group of it
 * @key: a key in @group
 * @title: what the entry sets
 * @subtitle: (nullable): a sentence that explains it
 * @empty_value: (nullable): the value an empty entry stands for (and that is
 *   shown as an empty entry), such as `0` for the mail server's usual port
 * @check: (nullable): checks beyond the schema's
 *
 * Returns: (transfer floating): a row with an entry bound to the key; a value
 *   the schema (or @check) refuses is shown under it and not written
 */
GtkWidget *
tw_prefs_entry_row_new (TwConfig         *config,
                        const char       *group,
                        const char       *key,
                        const char       *title,
                        const char       *subtitle,
                        const char       *empty_value,
                        TwPrefsCheckFunc  check)
{
  GtkWidget *control = gtk_entry_new ();
  Binding *binding = bind (control, config, group, key);
  GtkWidget *row;
  GtkEventController *focus;
  g_autofree char *stored = dup_stored (binding);

  binding->empty_value = g_strdup (empty_value);
  binding->check = check;
  if (binding->schema->type == TW_CONFIG_TYPE_INT)
    {
      gtk_entry_set_input_purpose (GTK_ENTRY (control), GTK_INPUT_PURPOSE_DIGITS);
      gtk_editable_set_width_chars (GTK_EDITABLE (control), 8);
    }
  else
    {
      gtk_editable_set_width_chars (GTK_EDITABLE (control), 28);
    }
  if (binding->schema->type == TW_CONFIG_TYPE_MAIL_ADDRESS || binding->schema->type == TW_CONFIG_TYPE_MAIL_ADDRESSES)
    gtk_entry_set_input_purpose (GTK_ENTRY (control), GTK_INPUT_PURPOSE_EMAIL);
  if (stored != NULL)
    gtk_editable_set_text (GTK_EDITABLE (control),
                           (empty_value != NULL && g_str_equal (stored, empty_value)) ? "" : stored);

  row = tw_prefs_row_new (title, subtitle, control, NULL);
  binding->error_label = add_error_label (row, control);
  g_signal_connect (control, "changed", G_CALLBACK (entry_changed_cb), binding);
  g_signal_connect (control, "activate", G_CALLBACK (entry_activate_cb), binding);
  focus = gtk_event_controller_focus_new ();
  g_signal_connect (focus, "leave", G_CALLBACK (focus_leave_cb), binding);
  gtk_widget_add_controller (control, focus);
  g_signal_connect (control, "unrealize", G_CALLBACK (entry_unrealize_cb), binding);
  g_signal_connect_object (config, "changed", G_CALLBACK (entry_config_changed_cb), control, 0);

  return row;
}

/* Choices */

static void
choice_selected_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  Binding *binding = user_data;
  guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (object));
  g_autoptr(GError) error = NULL;

  if (binding->updating || selected == GTK_INVALID_LIST_POSITION)
    return;

  if (!tw_config_set_value (binding->config, binding->group, binding->key, binding->schema->choices[selected],
                            &error))
    tw_prefs_show_error (GTK_WIDGET (object), binding->error_label, error->message);
  else
    tw_prefs_show_error (GTK_WIDGET (object), binding->error_label, NULL);
}

static void
choice_config_changed_cb (TwConfig *config,
                          gpointer  user_data)
{
  GtkWidget *control = user_data;
  Binding *binding = g_object_get_data (G_OBJECT (control), "tw-prefs-binding");
  g_autofree char *stored = dup_stored (binding);

  if (stored == NULL)
    return;

  for (guint i = 0; binding->schema->choices[i] != NULL; i++)
    if (g_str_equal (binding->schema->choices[i], stored))
      {
        binding->updating = TRUE;
        gtk_drop_down_set_selected (GTK_DROP_DOWN (control), i);
        binding->updating = FALSE;
        break;
      }
}

/**
 * tw_prefs_choice_row_new:
 * @config: the config
 * @group: a group of it
 * @key: a key of enum type in @group
 * @title: what the choice sets
 * @subtitle: (nullable): a sentence that explains it
 * @labels: what to show for each of the key's choices, in the schema's order
 *
 * Returns: (transfer floating): a row with a drop-down bound to the key
 */
GtkWidget *
tw_prefs_choice_row_new (TwConfig           *config,
                         const char         *group,
                         const char         *key,
                         const char         *title,
                         const char         *subtitle,
                         const char * const *labels)
{
  GtkWidget *control = gtk_drop_down_new_from_strings (labels);
  Binding *binding = bind (control, config, group, key);
  GtkWidget *row;

  g_assert (binding->schema->type == TW_CONFIG_TYPE_ENUM);
  g_assert (g_strv_length ((char **) labels) == g_strv_length ((char **) binding->schema->choices));
  row = tw_prefs_row_new (title, subtitle, control, NULL);
  binding->error_label = add_error_label (row, control);
  choice_config_changed_cb (config, control);
  g_signal_connect (control, "notify::selected", G_CALLBACK (choice_selected_cb), binding);
  g_signal_connect_object (config, "changed", G_CALLBACK (choice_config_changed_cb), control, 0);

  return row;
}

/**
 * tw_prefs_check_milestones:
 * @text: a value of `[runs] milestones`
 *
 * Returns: (transfer full) (nullable): why @text is not a list of whole
 *   percentages from 1 to 100, or %NULL when it is one (or empty)
 */
char *
tw_prefs_check_milestones (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  guint64 previous = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 number;
      const char *part = g_strstrip (parts[i]);

      if (*part == '\0' && parts[1] == NULL)
        return NULL;   /* empty: no milestones */
      if (!g_ascii_string_to_unsigned (part, 10, 1, 100, &number, NULL))
        /* Translators: %s is what the user typed between two commas */
        return g_strdup_printf (_("“%s” is not a whole number from 1 to 100; separate the numbers with commas."),
                                part);
      if (number <= previous)
        /* Translators: %s is a number the user typed */
        return g_strdup_printf (_("%s is not above the number before it."), part);
      previous = number;
    }

  return NULL;
}
