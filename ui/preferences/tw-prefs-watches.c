/* tw-prefs-watches.c — the Watches page: the config's [watch:NAME] groups and their state
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list is rebuilt when the watches in the config change (here, by the
 * daemon's `trainwatch watch`, or in a text editor); the daemon's status only
 * updates each row's state line, so a rename being typed is not lost.
 */
#include "config.h"

#include "tw-prefs-pages.h"

#include <glib/gi18n.h>

#include "tw-prefs-field.h"
#include "tw-glob.h"

typedef struct
{
  TwConfig      *config;
  TwPrefsDaemon *daemon;
  GtkWidget     *list;         /* the rows */
  GtkWidget     *empty_label;
  GtkWidget     *path_entry;
  GtkWidget     *name_entry;
  GtkWidget     *add_error;
  GHashTable    *state_labels; /* watch name → GtkLabel, owned by the rows */
  char          *shown;        /* the names and paths the list shows, to see when to rebuild */
} WatchesPage;

static void
watches_page_free (gpointer data)
{
  WatchesPage *page = data;

  g_clear_object (&page->config);
  g_clear_object (&page->daemon);
  g_clear_pointer (&page->state_labels, g_hash_table_unref);
  g_free (page->shown);
  g_free (page);
}

static WatchesPage *
get_page (GtkWidget *widget)
{
  return g_object_get_data (G_OBJECT (widget), "tw-prefs-watches");
}

static char *
dup_expanded (const char *path)
{
  if (g_str_equal (path, "~") || g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);
  return g_strdup (path);
}

static char *
dup_path (WatchesPage *page,
          const char  *name)
{
  g_autofree char *group = g_strconcat ("watch:", name, NULL);

  return tw_config_dup_value (page->config, group, "path");
}

/* What the daemon says about the watch of @path (a file or a pattern). */
static char *
dup_state_text (WatchesPage *page,
                const char  *path)
{
  JsonObject *status = tw_prefs_daemon_get_status (page->daemon);
  g_autofree char *expanded = dup_expanded (path);
  g_autoptr(GPatternSpec) pattern = NULL;
  JsonArray *jobs;
  guint n_matches = 0;

  if (!tw_prefs_daemon_is_running (page->daemon))
    return g_strdup (_("Trainwatch is not running."));
  if (status == NULL)
    return g_strdup (tw_prefs_daemon_get_status_error (page->daemon) != NULL
                     ? tw_prefs_daemon_get_status_error (page->daemon)
                     : _("Asking Trainwatch…"));
  if (!json_object_has_member (status, "jobs") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (status, "jobs")))
    return g_strdup (_("Trainwatch did not say."));

  jobs = json_object_get_array_member (status, "jobs");
  if (tw_glob_is_pattern (expanded))
    pattern = g_pattern_spec_new (expanded);

  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);
      const char *log = job != NULL ? json_object_get_string_member_with_default (job, "log", NULL) : NULL;
      JsonObject *source;
      const char *state;
      const char *error;

      if (log == NULL)
        continue;
      if (pattern != NULL)
        {
          if (g_pattern_spec_match_string (pattern, log))
            n_matches++;
          continue;
        }
      if (!g_str_equal (log, expanded))
        continue;

      source = json_object_get_member (job, "source") != NULL && JSON_NODE_HOLDS_OBJECT (json_object_get_member (job, "source"))
               ? json_object_get_object_member (job, "source") : NULL;
      state = source != NULL ? json_object_get_string_member_with_default (source, "state", "") : "";
      error = source != NULL ? json_object_get_string_member_with_default (source, "error", NULL) : NULL;
      if (g_str_equal (state, "following"))
        return g_strdup (_("Watching."));
      if (g_str_equal (state, "waiting"))
        return g_strdup (_("Waiting for the file to appear."));
      if (g_str_equal (state, "error"))
        /* Translators: %s is the reason, such as “Permission denied” */
        return g_strdup_printf (_("Error: %s"), error != NULL ? error : _("unknown"));
      return g_strdup (_("Stopped."));
    }

  if (pattern != NULL)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "A pattern; %u run found so far.",
                                         "A pattern; %u runs found so far.", n_matches), n_matches);
  return g_strdup (_("Not followed yet."));
}

static gboolean
is_paused (WatchesPage *page,
           const char  *name)
{
  g_autofree char *group = g_strconcat ("watch:", name, NULL);

  return tw_config_get_boolean (page->config, group, "paused");
}

static void
update_states (WatchesPage *page)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, page->state_labels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *path = dup_path (page, key);
      g_autofree char *text = NULL;

      if (path != NULL && is_paused (page, key))
        text = g_strdup (_("Paused: the file is not followed."));
      else if (path != NULL)
        text = dup_state_text (page, path);

      gtk_label_set_text (GTK_LABEL (value), text != NULL ? text : "");
    }
}

static void
show_add_error (WatchesPage *page,
                GtkWidget   *control,
                const char  *message)
{
  tw_prefs_show_error (control, page->add_error, message);
}

static void
remove_clicked_cb (GtkButton *button,
                   gpointer   user_data)
{
  WatchesPage *page = user_data;
  const char *name = g_object_get_data (G_OBJECT (button), "tw-watch-name");
  g_autofree char *group = g_strconcat ("watch:", name, NULL);
  g_autoptr(GError) error = NULL;

  /* The list is rebuilt by the config's "changed" signal. */
  if (!tw_config_remove_section (page->config, group, &error))
    show_add_error (page, GTK_WIDGET (button), error->message);
}

static gboolean
follow_state_set_cb (GtkSwitch *toggle,
                     gboolean   follow,
                     gpointer   user_data)
{
  WatchesPage *page = user_data;
  const char *name = g_object_get_data (G_OBJECT (toggle), "tw-watch-name");
  g_autofree char *group = g_strconcat ("watch:", name, NULL);
  g_autoptr(GError) error = NULL;

  if (!tw_config_set_value (page->config, group, "paused", follow ? "false" : "true", &error))
    {
      show_add_error (page, GTK_WIDGET (toggle), error->message);
      return TRUE;  /* the switch stays as it was */
    }

  return FALSE;
}

static void
rename_activate_cb (GtkEntry *entry,
                    gpointer  user_data)
{
  WatchesPage *page = user_data;
  const char *old_name = g_object_get_data (G_OBJECT (entry), "tw-watch-name");
  const char *new_name = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *old_group = g_strconcat ("watch:", old_name, NULL);
  g_autofree char *new_group = g_strconcat ("watch:", new_name, NULL);
  g_autofree char *path = dup_path (page, old_name);
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "watch");
  g_autoptr(GError) error = NULL;
  /* Held: a change of the config rebuilds the list, and this row with it. */
  g_autoptr(GtkWidget) error_label = g_object_ref (g_object_get_data (G_OBJECT (entry), "tw-error-label"));
  g_autoptr(GtkWidget) held_entry = g_object_ref (GTK_WIDGET (entry));

  if (g_str_equal (old_name, new_name) || path == NULL)
    return;
  if (g_strv_contains ((const char * const *) names, new_name))
    {
      /* Translators: %s is the name of a watched run */
      g_autofree char *message = g_strdup_printf (_("Not renamed: there is a watch named “%s” already."),
                                                  new_name);

      tw_prefs_show_error (GTK_WIDGET (entry), error_label, message);
      return;
    }
  /* The new group first: a failure loses nothing. */
  if (!tw_config_set_value (page->config, new_group, "path", path, &error) ||
      (is_paused (page, old_name) && !tw_config_set_value (page->config, new_group, "paused", "true", &error)) ||
      !tw_config_remove_section (page->config, old_group, &error))
    tw_prefs_show_error (held_entry, error_label, error->message);
}

static GtkWidget *
watch_row_new (WatchesPage *page,
               const char  *name,
               const char  *path)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name_entry = gtk_entry_new ();
  GtkWidget *path_label = gtk_label_new (path);
  GtkWidget *state_label = gtk_label_new (NULL);
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  GtkWidget *follow = gtk_switch_new ();
  GtkWidget *error_label = gtk_label_new (NULL);
  g_autofree char *follow_name = NULL;
  g_autofree char *follow_widget_name = g_strconcat ("watch-follow/", name, NULL);
  g_autofree char *remove_name = NULL;
  g_autofree char *rename_name = NULL;
  g_autofree char *widget_name = g_strconcat ("watch/", name, NULL);
  g_autofree char *state_name = g_strconcat ("watch-state/", name, NULL);

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 8);
  gtk_widget_set_margin_bottom (row, 8);
  gtk_widget_set_name (row, widget_name);

  gtk_editable_set_text (GTK_EDITABLE (name_entry), name);
  gtk_widget_set_tooltip_text (name_entry, _("The run’s name in notifications; press Enter to rename it"));
  /* Translators: %s is the name of a watched run */
  rename_name = g_strdup_printf (_("Name of the watch “%s”"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (name_entry), GTK_ACCESSIBLE_PROPERTY_LABEL, rename_name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, path, -1);
  g_object_set_data_full (G_OBJECT (name_entry), "tw-watch-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (name_entry), "tw-error-label", error_label);
  g_signal_connect (name_entry, "activate", G_CALLBACK (rename_activate_cb), page);

  gtk_label_set_xalign (GTK_LABEL (path_label), 0);
  gtk_label_set_selectable (GTK_LABEL (path_label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (path_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_name (state_label, state_name);
  gtk_label_set_xalign (GTK_LABEL (state_label), 0);
  gtk_label_set_wrap (GTK_LABEL (state_label), TRUE);
  gtk_widget_add_css_class (state_label, "dim-label");
  gtk_box_append (GTK_BOX (labels), name_entry);
  gtk_box_append (GTK_BOX (labels), path_label);
  gtk_box_append (GTK_BOX (labels), state_label);
  gtk_widget_set_hexpand (labels, TRUE);

  /* Translators: %s is the name of a watched run */
  remove_name = g_strdup_printf (_("Stop watching “%s”"), name);
  gtk_widget_set_tooltip_text (remove, remove_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_name, -1);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (remove), "tw-watch-name", g_strdup (name), g_free);
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked_cb), page);

  /* Translators: %s is the name of a watched run; the switch pauses the watch */
  follow_name = g_strdup_printf (_("Follow “%s”"), name);
  gtk_widget_set_name (follow, follow_widget_name);
  gtk_widget_set_tooltip_text (follow, _("Off: the watch is paused and kept"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (follow), GTK_ACCESSIBLE_PROPERTY_LABEL, follow_name, -1);
  gtk_widget_set_valign (follow, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (follow), !is_paused (page, name));
  g_object_set_data_full (G_OBJECT (follow), "tw-watch-name", g_strdup (name), g_free);
  g_signal_connect (follow, "state-set", G_CALLBACK (follow_state_set_cb), page);

  gtk_label_set_xalign (GTK_LABEL (error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (error_label), TRUE);
  gtk_widget_add_css_class (error_label, "error");
  gtk_widget_set_visible (error_label, FALSE);

  gtk_box_append (GTK_BOX (line), labels);
  gtk_box_append (GTK_BOX (line), follow);
  gtk_box_append (GTK_BOX (line), remove);
  gtk_box_append (GTK_BOX (row), line);
  gtk_box_append (GTK_BOX (row), error_label);
  g_hash_table_insert (page->state_labels, g_strdup (name), state_label);

  return row;
}

static void
rebuild (WatchesPage *page)
{
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "watch");
  g_autoptr(GString) shown = g_string_new (NULL);
  GtkWidget *child;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = dup_path (page, names[i]);

      g_string_append_printf (shown, "%s\n%s\n", names[i], path != NULL ? path : "");
    }
  if (page->shown != NULL && g_str_equal (page->shown, shown->str))
    return;
  g_free (page->shown);
  page->shown = g_strdup (shown->str);

  g_hash_table_remove_all (page->state_labels);
  while ((child = gtk_widget_get_first_child (page->list)) != NULL)
    gtk_box_remove (GTK_BOX (page->list), child);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = dup_path (page, names[i]);

      if (i > 0)
        gtk_box_append (GTK_BOX (page->list), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
      gtk_box_append (GTK_BOX (page->list), watch_row_new (page, names[i], path != NULL ? path : ""));
    }
  gtk_widget_set_visible (page->empty_label, names[0] == NULL);
  update_states (page);
}

static void
config_changed_cb (TwConfig *config,
                   gpointer  user_data)
{
  rebuild (get_page (user_data));
}

static void
daemon_changed_cb (TwPrefsDaemon *daemon,
                   gpointer       user_data)
{
  update_states (get_page (user_data));
}

/* A name for a new watch: the file's name without its extension, or for a
 * pattern the folder above its first wildcard; unique among the watches. */
static char *
dup_new_name (WatchesPage *page,
              const char  *path)
{
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "watch");
  g_autofree char *base = NULL;
  char *dot;

  if (tw_glob_is_pattern (path))
    {
      g_autofree char *prefix = g_strndup (path, strpbrk (path, "*?[") - path);
      g_autofree char *dir = g_path_get_dirname (prefix);

      base = g_path_get_basename (dir);
    }
  else
    {
      base = g_path_get_basename (path);
      dot = strrchr (base, '.');
      if (dot != NULL && dot != base)
        *dot = '\0';
    }
  g_strdelimit (base, "]\r\n", '_');
  g_strstrip (base);
  if (*base == '\0' || g_str_equal (base, "/") || g_str_equal (base, "."))
    {
      g_free (base);
      base = g_strdup ("run");
    }

  if (!g_strv_contains ((const char * const *) names, base))
    return g_steal_pointer (&base);
  for (guint n = 2;; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s-%u", base, n);

      if (!g_strv_contains ((const char * const *) names, candidate))
        return g_steal_pointer (&candidate);
    }
}

static void
add_watch (WatchesPage *page)
{
  const char *typed = gtk_editable_get_text (GTK_EDITABLE (page->path_entry));
  const char *wanted = gtk_editable_get_text (GTK_EDITABLE (page->name_entry));
  g_autofree char *path = g_strstrip (g_strdup (typed));
  g_autofree char *name = NULL;
  g_autofree char *group = NULL;
  g_auto(GStrv) names = tw_config_dup_section_names (page->config, "watch");
  g_autoptr(GError) error = NULL;

  if (*path == '\0')
    {
      show_add_error (page, page->path_entry, _("Type a file or a pattern such as ~/runs/*/train.log, or choose a file."));
      return;
    }
  if (!g_path_is_absolute (path) && !g_str_equal (path, "~") && !g_str_has_prefix (path, "~/"))
    {
      show_add_error (page, page->path_entry, _("Not added: the path must start with / or ~/."));
      return;
    }
  if (*wanted != '\0')
    {
      name = g_strstrip (g_strdup (wanted));
      if (g_strv_contains ((const char * const *) names, name))
        {
          g_autofree char *message = g_strdup_printf (_("Not added: there is a watch named “%s” already."), name);

          show_add_error (page, page->name_entry, message);
          return;
        }
    }
  else
    {
      name = dup_new_name (page, path);
    }

  group = g_strconcat ("watch:", name, NULL);
  if (!tw_config_set_value (page->config, group, "path", path, &error))
    {
      show_add_error (page, page->path_entry, error->message);
      return;
    }
  tw_prefs_show_error (page->name_entry, NULL, NULL);
  show_add_error (page, page->path_entry, NULL);
  gtk_editable_set_text (GTK_EDITABLE (page->path_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (page->name_entry), "");
}

static void
add_clicked_cb (GtkWidget *widget,
                gpointer   user_data)
{
  add_watch (user_data);
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  WatchesPage *page = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gtk_editable_set_text (GTK_EDITABLE (page->path_entry), path);
    }
  g_object_unref (dialog);
}

static void
choose_clicked_cb (GtkButton *button,
                   gpointer   user_data)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (button));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Choose a Training Log or Status File"),
                                         GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Watch"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), user_data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/**
 * tw_prefs_watches_page_new:
 * @config: the config
 * @daemon: the daemon, for each watch's state
 *
 * Returns: (transfer floating): the Watches page
 */
GtkWidget *
tw_prefs_watches_page_new (TwConfig      *config,
                           TwPrefsDaemon *daemon)
{
  WatchesPage *page = g_new0 (WatchesPage, 1);
  GtkWidget *box;
  GtkWidget *scrolled = tw_prefs_page_new (&box);
  GtkWidget *group;
  GtkWidget *frame;
  GtkWidget *add_box;
  GtkWidget *line;
  GtkWidget *choose;
  GtkWidget *add;
  GtkWidget *row;

  page->config = g_object_ref (config);
  page->daemon = g_object_ref (daemon);
  page->state_labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_object_set_data_full (G_OBJECT (scrolled), "tw-prefs-watches", page, watches_page_free);

  group = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  row = gtk_label_new (_("Watched runs"));
  gtk_label_set_xalign (GTK_LABEL (row), 0);
  gtk_widget_add_css_class (row, "heading");
  gtk_box_append (GTK_BOX (group), row);
  page->empty_label = gtk_label_new (_("No runs are watched. Add a training log below, or run "
                                       "“trainwatch watch PATH”."));
  gtk_label_set_xalign (GTK_LABEL (page->empty_label), 0);
  gtk_label_set_wrap (GTK_LABEL (page->empty_label), TRUE);
  gtk_widget_add_css_class (page->empty_label, "dim-label");
  gtk_box_append (GTK_BOX (group), page->empty_label);
  frame = gtk_frame_new (NULL);
  page->list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_frame_set_child (GTK_FRAME (frame), page->list);
  gtk_box_append (GTK_BOX (group), frame);
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Add a run"),
                              _("A training log or status file, or a pattern such as ~/runs/*/train.log "
                                "that makes each matching file a run of its own."));
  add_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_start (add_box, 12);
  gtk_widget_set_margin_end (add_box, 12);
  gtk_widget_set_margin_top (add_box, 8);
  gtk_widget_set_margin_bottom (add_box, 8);
  line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  page->path_entry = gtk_entry_new ();
  gtk_widget_set_name (page->path_entry, "watch-add/path");
  gtk_widget_set_hexpand (page->path_entry, TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (page->path_entry), _("File or pattern"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (page->path_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("File or pattern to watch"), -1);
  choose = gtk_button_new_with_mnemonic (_("_Choose…"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (choose), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Choose a file to watch"), -1);
  gtk_box_append (GTK_BOX (line), page->path_entry);
  gtk_box_append (GTK_BOX (line), choose);
  gtk_box_append (GTK_BOX (add_box), line);
  line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  page->name_entry = gtk_entry_new ();
  gtk_widget_set_name (page->name_entry, "watch-add/name");
  gtk_widget_set_hexpand (page->name_entry, TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (page->name_entry), _("Name (optional)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (page->name_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Name of the new run"), -1);
  add = gtk_button_new_with_mnemonic (_("_Add"));
  gtk_widget_set_name (add, "watch-add/add");
  gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Add the run"), -1);
  gtk_box_append (GTK_BOX (line), page->name_entry);
  gtk_box_append (GTK_BOX (line), add);
  gtk_box_append (GTK_BOX (add_box), line);
  page->add_error = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (page->add_error), 0);
  gtk_label_set_wrap (GTK_LABEL (page->add_error), TRUE);
  gtk_widget_add_css_class (page->add_error, "error");
  gtk_widget_set_visible (page->add_error, FALSE);
  gtk_box_append (GTK_BOX (add_box), page->add_error);
  tw_prefs_group_add (group, add_box);
  gtk_box_append (GTK_BOX (box), group);

  g_signal_connect (choose, "clicked", G_CALLBACK (choose_clicked_cb), page);
  g_signal_connect (add, "clicked", G_CALLBACK (add_clicked_cb), page);
  g_signal_connect (page->path_entry, "activate", G_CALLBACK (add_clicked_cb), page);
  g_signal_connect (page->name_entry, "activate", G_CALLBACK (add_clicked_cb), page);
  g_signal_connect_object (config, "changed", G_CALLBACK (config_changed_cb), scrolled, 0);
  g_signal_connect_object (daemon, "changed", G_CALLBACK (daemon_changed_cb), scrolled, 0);
  rebuild (page);

  return scrolled;
}
