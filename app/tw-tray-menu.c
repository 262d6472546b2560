/* tw-tray-menu.c — the tray's menu: a GMenuModel of the runs, recent events and commands
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The daemon exports this model on the bus; trainwatch-tray shows it with
 * gtk_menu_new_from_model() and the daemon's actions. Rebuilds are throttled
 * (TW_TRAY_MENU_MIN_INTERVAL_MS) and touch only the items whose text or
 * target changed, so a log that writes thousands of lines a second costs the
 * tray a few small updates a second, and an open menu keeps its other items.
 */
#include "config.h"

#include "tw-tray-menu.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tw-job.h"

/* Shown runs; past this, one "N more runs" row. */
#define MAX_RUNS 10
#define MAX_EVENTS 5
/* Characters of a run's name, and of a whole event row, before an ellipsis. */
#define MAX_NAME_CHARS 40
#define MAX_EVENT_CHARS 64

struct _TwTrayMenu
{
  GObject          parent_instance;

  GHashTable      *jobs;        /* borrowed: name → TwJob */
  GQueue          *recent;      /* borrowed: of TwEvent, oldest first */

  GMenu           *root;
  GMenu           *runs;
  GMenu           *events;
  GPtrArray       *run_keys;    /* of char *: what each item of runs is */
  GPtrArray       *event_keys;

  guint            update_id;
  gint64           last_update; /* monotonic µs; 0 before the first */
  guint            n_builds;

  GDBusConnection *connection;
  guint            export_id;
};

G_DEFINE_FINAL_TYPE (TwTrayMenu, tw_tray_menu, G_TYPE_OBJECT)

/* One row: its text, and what choosing it does (a disabled action when nothing). */
typedef struct
{
  char *label;
  char *action;
  char *target;   /* nullable */
} Row;

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->label);
  g_free (row->action);
  g_free (row->target);
  g_free (row);
}

static Row *
row_new (const char *label,
         const char *action,
         const char *target)
{
  Row *row = g_new0 (Row, 1);
  GString *escaped = g_string_new (label);

  /* Menu labels take "_" as a mnemonic mark: a run called my_run stays my_run. */
  g_string_replace (escaped, "_", "__", 0);
  row->label = g_string_free (escaped, FALSE);
  row->action = g_strdup (action);
  row->target = g_strdup (target);

  return row;
}

static char *
row_dup_key (const Row *row)
{
  return g_strdup_printf ("%s\x1f%s\x1f%s", row->label, row->action, row->target != NULL ? row->target : "");
}

static GMenuItem *
row_new_item (const Row *row)
{
  GMenuItem *item = g_menu_item_new (row->label, NULL);

  g_menu_item_set_action_and_target_value (item, row->action,
                                           row->target != NULL ? g_variant_new_string (row->target) : NULL);
  return item;
}

/* Cuts @text to @max characters, the cut marked with "…": in the middle
 * (run names differ at both ends) or at the end. */
static char *
dup_ellipsized (const char *text,
                guint       max,
                gboolean    middle)
{
  glong len = g_utf8_strlen (text, -1);
  GString *out;

  if (len <= max)
    return g_strdup (text);

  out = g_string_new (NULL);
  if (middle)
    {
      guint head = (max - 1) * 3 / 5;
      guint tail = max - 1 - head;

      g_string_append_len (out, text, g_utf8_offset_to_pointer (text, head) - text);
      g_string_append (out, "…");
      g_string_append (out, g_utf8_offset_to_pointer (text, len - tail));
    }
  else
    {
      g_string_append_len (out, text, g_utf8_offset_to_pointer (text, max - 1) - text);
      g_string_append (out, "…");
    }

  return g_string_free (out, FALSE);
}

/* "12 min", "1 h 5 min", "2 d 3 h": minutes are enough for a menu. */
static char *
dup_duration (double seconds)
{
  gint64 minutes = (gint64) ((seconds + 30) / 60);

  if (seconds < 60)
    /* Translators: an estimated time left of less than a minute */
    return g_strdup (_("< 1 min"));
  if (minutes < 60)
    /* Translators: an estimated time left in minutes */
    return g_strdup_printf (_("%d min"), (int) minutes);
  if (minutes < 24 * 60)
    {
      if (minutes % 60 == 0)
        /* Translators: an estimated time left in whole hours */
        return g_strdup_printf (_("%d h"), (int) (minutes / 60));
      /* Translators: an estimated time left in hours and minutes */
      return g_strdup_printf (_("%d h %d min"), (int) (minutes / 60), (int) (minutes % 60));
    }
  /* Translators: an estimated time left in days and hours */
  return g_strdup_printf (_("%d d %d h"), (int) (minutes / (24 * 60)), (int) (minutes / 60 % 24));
}

static char *
dup_run_label (TwJob *job)
{
  TwRunState *run = tw_job_get_run_state (job);
  double progress = tw_run_state_get_progress (run);
  double eta = tw_run_state_get_eta (run);
  g_autofree char *name = dup_ellipsized (tw_job_get_name (job), MAX_NAME_CHARS, TRUE);
  g_autofree char *percent = NULL;
  g_autofree char *left = NULL;

  if (progress >= 0)
    /* Translators: how much of a run is done, e.g. "47 %" */
    percent = g_strdup_printf (_("%d %%"), (int) CLAMP (floor (progress * 100), 0, 100));

  if (tw_run_state_get_status (run) == TW_RUN_STALLED)
    {
      if (percent != NULL)
        /* Translators: a run in the tray menu that went silent: its name and how much was done */
        return g_strdup_printf (_("%s — stalled at %s"), name, percent);
      /* Translators: a run in the tray menu that went silent */
      return g_strdup_printf (_("%s — stalled"), name);
    }

  if (percent != NULL && eta >= 0)
    {
      left = dup_duration (eta);
      /* Translators: a run in the tray menu: its name, how much is done and the
       * estimated time left, e.g. "resnet50 — 47 % · ETA 12 min" */
      return g_strdup_printf (_("%s — %s · ETA %s"), name, percent, left);
    }
  if (percent != NULL)
    /* Translators: a run in the tray menu: its name and how much is done */
    return g_strdup_printf (_("%s — %s"), name, percent);

  /* Translators: a run in the tray menu whose progress is not known */
  return g_strdup_printf (_("%s — running"), name);
}

static gboolean
job_is_active (TwJob *job)
{
  TwRunStatus status = tw_run_state_get_status (tw_job_get_run_state (job));

  return status == TW_RUN_RUNNING || status == TW_RUN_STALLED;
}

static int
compare_jobs (gconstpointer a,
              gconstpointer b)
{
  return g_utf8_collate (tw_job_get_name (*(TwJob **) a), tw_job_get_name (*(TwJob **) b));
}

/* The action that opens @job's log, or the disabled one when it has none. */
static const char *
open_action (TwJob *job)
{
  return job != NULL && tw_job_get_log_path (job) != NULL ? "app.open-run" : "app.none";
}

static GPtrArray *
build_run_rows (TwTrayMenu *self)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (job_is_active (value))
      g_ptr_array_add (jobs, value);
  g_ptr_array_sort (jobs, compare_jobs);

  for (guint i = 0; i < jobs->len && i < MAX_RUNS; i++)
    {
      TwJob *job = g_ptr_array_index (jobs, i);
      g_autofree char *label = dup_run_label (job);
      const char *action = open_action (job);

      g_ptr_array_add (rows, row_new (label, action, g_str_equal (action, "app.none") ? NULL
                                                                                      : tw_job_get_name (job)));
    }

  if (jobs->len > MAX_RUNS)
    {
      guint more = jobs->len - MAX_RUNS;
      g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u more run", "%u more runs", more),
                                                more);

      g_ptr_array_add (rows, row_new (label, "app.none", NULL));
    }
  else if (jobs->len == 0)
    {
      g_ptr_array_add (rows, row_new (_("No runs in progress"), "app.none", NULL));
    }

  return rows;
}

/* Worth a line in the menu: outcomes and warnings, and what the user sent or
 * asked for; progress milestones, epochs and checkpoints are the runs' rows. */
static gboolean
event_is_notable (TwEvent *event)
{
  TwEventKind kind = tw_event_get_kind (event);

  return tw_event_get_level (event) >= TW_LEVEL_SUCCESS || kind == TW_EVENT_MESSAGE ||
         kind == TW_EVENT_RULE_MATCHED;
}

/* @now is local time, and its zone is the one to show @event in: looking the
 * local zone up reads /etc/localtime, so a rebuild does it once. */
static char *
dup_event_time (TwEvent   *event,
                GDateTime *now)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (tw_event_get_time (event) / G_USEC_PER_SEC);
  g_autoptr(GDateTime) when = NULL;

  if (utc == NULL)
    return g_strdup ("");
  when = g_date_time_to_timezone (utc, g_date_time_get_timezone (now));
  if (when == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (when) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now))
    return g_date_time_format (when, "%H:%M");
  return g_date_time_format (when, "%x");
}

static GPtrArray *
build_event_rows (TwTrayMenu *self)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  for (GList *l = self->recent->tail; l != NULL && rows->len < MAX_EVENTS; l = l->prev)
    {
      TwEvent *event = l->data;
      const char *job_name = tw_event_get_job (event);
      TwJob *job = job_name != NULL ? g_hash_table_lookup (self->jobs, job_name) : NULL;
      g_autofree char *when = NULL;
      g_autofree char *text = NULL;
      g_autofree char *label = NULL;
      const char *action;

      if (!event_is_notable (event))
        continue;

      when = dup_event_time (event, now);
      if (job_name != NULL)
        /* Translators: a recent event in the tray menu: run, what happened, when */
        text = g_strdup_printf (_("%s: %s · %s"), job_name, tw_event_get_title (event), when);
      else
        /* Translators: a recent event in the tray menu: what happened, when */
        text = g_strdup_printf (_("%s · %s"), tw_event_get_title (event), when);
      label = dup_ellipsized (text, MAX_EVENT_CHARS, FALSE);
      action = open_action (job);
      g_ptr_array_add (rows, row_new (label, action, g_str_equal (action, "app.none") ? NULL : job_name));
    }

  return rows;
}

/* Makes @section show @rows, replacing only the items that differ. */
static void
sync_section (GMenu     *section,
              GPtrArray *keys,
              GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *row = g_ptr_array_index (rows, i);
      g_autofree char *key = row_dup_key (row);
      g_autoptr(GMenuItem) item = NULL;

      if (i < keys->len && g_str_equal (g_ptr_array_index (keys, i), key))
        continue;

      item = row_new_item (row);
      if (i < keys->len)
        {
          g_menu_remove (section, i);
          g_free (g_ptr_array_index (keys, i));
          g_ptr_array_index (keys, i) = g_steal_pointer (&key);
        }
      else
        {
          g_ptr_array_add (keys, g_steal_pointer (&key));
        }
      g_menu_insert_item (section, i, item);
    }

  while (keys->len > rows->len)
    {
      g_menu_remove (section, keys->len - 1);
      g_ptr_array_remove_index (keys, keys->len - 1);
    }
}

static gboolean
update_cb (gpointer user_data)
{
  TwTrayMenu *self = user_data;

  self->update_id = 0;
  tw_tray_menu_update (self);

  return G_SOURCE_REMOVE;
}

static GMenu *
build_commands (void)
{
  g_autoptr(GMenu) pause = g_menu_new ();
  g_autoptr(GMenu) pause_for = g_menu_new ();
  g_autoptr(GMenu) resume = g_menu_new ();
  g_autoptr(GMenuItem) item = NULL;
  GMenu *commands = g_menu_new ();

  /* app.pause and app.resume are Do Not Disturb's (tw-dnd.c). */
  item = g_menu_item_new (_("For 1 hour"), NULL);
  g_menu_item_set_action_and_target_value (item, "app.pause", g_variant_new_string ("1h"));
  g_menu_append_item (pause_for, item);
  g_clear_object (&item);
  item = g_menu_item_new (_("Until tomorrow"), NULL);
  g_menu_item_set_action_and_target_value (item, "app.pause", g_variant_new_string ("tomorrow"));
  g_menu_append_item (pause_for, item);
  g_menu_append (resume, _("Resume notifications"), "app.resume");
  g_menu_append_section (pause, NULL, G_MENU_MODEL (pause_for));
  g_menu_append_section (pause, NULL, G_MENU_MODEL (resume));

  g_menu_append_submenu (commands, _("Pause notifications"), G_MENU_MODEL (pause));
  g_menu_append (commands, _("Preferences…"), "app.preferences");

  return commands;
}

static void
open_launch_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_message (_("Failed to open the log of “%s”: %s"), name, error->message);
}

static void
open_run_cb (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  TwTrayMenu *self = user_data;
  const char *name = g_variant_get_string (parameter, NULL);
  TwJob *job = g_hash_table_lookup (self->jobs, name);
  g_autofree char *uri = NULL;

  if (job == NULL || tw_job_get_log_path (job) == NULL)
    {
      g_message (_("No run named “%s” has a log to open."), name);
      return;
    }

  uri = g_filename_to_uri (tw_job_get_log_path (job), NULL, NULL);
  if (uri == NULL)
    return;
  g_debug ("Opening %s for the tray menu", uri);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, open_launch_cb, g_strdup (name));
}

static void
tw_tray_menu_dispose (GObject *object)
{
  TwTrayMenu *self = TW_TRAY_MENU (object);

  tw_tray_menu_unexport (self);
  g_clear_handle_id (&self->update_id, g_source_remove);

  G_OBJECT_CLASS (tw_tray_menu_parent_class)->dispose (object);
}

static void
tw_tray_menu_finalize (GObject *object)
{
  TwTrayMenu *self = TW_TRAY_MENU (object);

  g_clear_object (&self->root);
  g_clear_object (&self->runs);
  g_clear_object (&self->events);
  g_clear_pointer (&self->run_keys, g_ptr_array_unref);
  g_clear_pointer (&self->event_keys, g_ptr_array_unref);

  G_OBJECT_CLASS (tw_tray_menu_parent_class)->finalize (object);
}

static void
tw_tray_menu_class_init (TwTrayMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_tray_menu_dispose;
  object_class->finalize = tw_tray_menu_finalize;
}

static void
tw_tray_menu_init (TwTrayMenu *self)
{
  g_autoptr(GMenu) commands = build_commands ();
  g_autoptr(GMenu) quit = g_menu_new ();

  self->root = g_menu_new ();
  self->runs = g_menu_new ();
  self->events = g_menu_new ();
  self->run_keys = g_ptr_array_new_with_free_func (g_free);
  self->event_keys = g_ptr_array_new_with_free_func (g_free);

  g_menu_append (quit, _("Quit"), "app.quit");
  g_menu_append_section (self->root, NULL, G_MENU_MODEL (self->runs));
  g_menu_append_section (self->root, NULL, G_MENU_MODEL (self->events));
  g_menu_append_section (self->root, NULL, G_MENU_MODEL (commands));
  g_menu_append_section (self->root, NULL, G_MENU_MODEL (quit));
}

/**
 * tw_tray_menu_new:
 * @jobs: the daemon's runs (name → #TwJob), borrowed: it must outlive the menu
 * @recent: the daemon's recent #TwEvent, oldest first, borrowed likewise
 *
 * Creates the tray's menu and builds it once from @jobs and @recent.
 *
 * Returns: (transfer full): a new #TwTrayMenu
 */
TwTrayMenu *
tw_tray_menu_new (GHashTable *jobs,
                  GQueue     *recent)
{
  TwTrayMenu *self;

  g_return_val_if_fail (jobs != NULL, NULL);
  g_return_val_if_fail (recent != NULL, NULL);

  self = g_object_new (TW_TYPE_TRAY_MENU, NULL);
  self->jobs = jobs;
  self->recent = recent;
  tw_tray_menu_update (self);

  return self;
}

/**
 * tw_tray_menu_get_model:
 * @self: a #TwTrayMenu
 *
 * Returns: (transfer none): the menu: sections of runs, recent events,
 *   Pause notifications and Preferences…, and Quit
 */
GMenuModel *
tw_tray_menu_get_model (TwTrayMenu *self)
{
  g_return_val_if_fail (TW_IS_TRAY_MENU (self), NULL);

  return G_MENU_MODEL (self->root);
}

/**
 * tw_tray_menu_queue_update:
 * @self: a #TwTrayMenu
 *
 * Says that a run or the recent events changed. The menu is rebuilt from the
 * main loop, at most once every %TW_TRAY_MENU_MIN_INTERVAL_MS however often
 * this is called.
 */
void
tw_tray_menu_queue_update (TwTrayMenu *self)
{
  gint64 due;
  gint64 now;

  g_return_if_fail (TW_IS_TRAY_MENU (self));

  if (self->update_id != 0)
    return;

  now = g_get_monotonic_time ();
  due = self->last_update + TW_TRAY_MENU_MIN_INTERVAL_MS * 1000;
  if (self->last_update == 0 || due <= now)
    self->update_id = g_idle_add (update_cb, self);
  else
    self->update_id = g_timeout_add ((guint) ((due - now + 999) / 1000), update_cb, self);
}

/**
 * tw_tray_menu_update:
 * @self: a #TwTrayMenu
 *
 * Rebuilds the menu now: a row per running or stalled run (by name, with its
 * progress and ETA, "No runs in progress" when none), the latest notable
 * events, newest first. Rows that did not change are left alone.
 */
void
tw_tray_menu_update (TwTrayMenu *self)
{
  g_autoptr(GPtrArray) run_rows = NULL;
  g_autoptr(GPtrArray) event_rows = NULL;

  g_return_if_fail (TW_IS_TRAY_MENU (self));

  g_clear_handle_id (&self->update_id, g_source_remove);
  self->last_update = g_get_monotonic_time ();
  self->n_builds++;

  run_rows = build_run_rows (self);
  event_rows = build_event_rows (self);
  sync_section (self->runs, self->run_keys, run_rows);
  sync_section (self->events, self->event_keys, event_rows);
}

/**
 * tw_tray_menu_get_last_build_time:
 * @self: a #TwTrayMenu
 *
 * Returns: when the menu was last rebuilt (g_get_monotonic_time()), 0 before the first
 */
gint64
tw_tray_menu_get_last_build_time (TwTrayMenu *self)
{
  g_return_val_if_fail (TW_IS_TRAY_MENU (self), 0);

  return self->last_update;
}

/**
 * tw_tray_menu_get_n_builds:
 * @self: a #TwTrayMenu
 *
 * Returns: how many times the menu was rebuilt (changed or not)
 */
guint
tw_tray_menu_get_n_builds (TwTrayMenu *self)
{
  g_return_val_if_fail (TW_IS_TRAY_MENU (self), 0);

  return self->n_builds;
}

/**
 * tw_tray_menu_add_actions:
 * @self: a #TwTrayMenu
 * @map: where to add them (the daemon)
 *
 * Adds the actions the menu's rows use: `open-run` (a run's name: opens its
 * log with the default application) and `none`, always disabled, for rows
 * that only inform.
 */
void
tw_tray_menu_add_actions (TwTrayMenu *self,
                          GActionMap *map)
{
  g_autoptr(GSimpleAction) open_run = g_simple_action_new ("open-run", G_VARIANT_TYPE_STRING);
  g_autoptr(GSimpleAction) none = g_simple_action_new ("none", NULL);

  g_return_if_fail (TW_IS_TRAY_MENU (self));
  g_return_if_fail (G_IS_ACTION_MAP (map));

  g_signal_connect_object (open_run, "activate", G_CALLBACK (open_run_cb), self, 0);
  g_simple_action_set_enabled (none, FALSE);
  g_action_map_add_action (map, G_ACTION (open_run));
  g_action_map_add_action (map, G_ACTION (none));
}

/**
 * tw_tray_menu_export:
 * @self: a #TwTrayMenu
 * @connection: the daemon's connection
 * @error: return location for a #GError
 *
 * Exports the menu at %TW_TRAY_MENU_OBJECT_PATH (org.gtk.Menus).
 *
 * Returns: %TRUE on success
 */
gboolean
tw_tray_menu_export (TwTrayMenu       *self,
                     GDBusConnection  *connection,
                     GError          **error)
{
  guint id;

  g_return_val_if_fail (TW_IS_TRAY_MENU (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->export_id == 0, FALSE);

  id = g_dbus_connection_export_menu_model (connection, TW_TRAY_MENU_OBJECT_PATH, G_MENU_MODEL (self->root),
                                            error);
  if (id == 0)
    return FALSE;

  self->export_id = id;
  self->connection = g_object_ref (connection);
  return TRUE;
}

/**
 * tw_tray_menu_unexport:
 * @self: a #TwTrayMenu
 *
 * Stops exporting the menu, if it was.
 */
void
tw_tray_menu_unexport (TwTrayMenu *self)
{
  g_return_if_fail (TW_IS_TRAY_MENU (self));

  if (self->export_id != 0)
    g_dbus_connection_unexport_menu_model (self->connection, self->export_id);
  self->export_id = 0;
  g_clear_object (&self->connection);
}
