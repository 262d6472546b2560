/* tw-application.c — the daemon: owns the sources, jobs, router and channels
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One instance per session, on its own bus name. Every `trainwatch` command
 * after the first is parsed again here (tw-command.c) from the forwarded
 * command line, and answered through GApplicationCommandLine, so the client
 * prints what the daemon says and exits with the daemon's status.
 */
#include "config.h"

#include "tw-application.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "tw-command.h"
#include "tw-config.h"
#include "tw-control.h"
#include "tw-forwarder.h"
#include "tw-http.h"
#include "tw-demo.h"
#include "tw-desktop-channel.h"
#include "tw-dnd.h"
#include "tw-dnd-time.h"
#include "tw-extract-rule.h"
#include "tw-glob.h"
#include "tw-history.h"
#include "tw-inotify.h"
#include "tw-job.h"
#include "tw-launcher.h"
#include "tw-overview.h"
#include "tw-preferences-command.h"
#include "tw-router.h"
#include "tw-stall-watch.h"
#include "tw-secret-command.h"
#include "tw-secrets.h"
#include "tw-tray-menu.h"
#include "tw-tray-spawn.h"
#include "tw-watches.h"

/* Events kept in memory for `status`; the journal keeps them all. */
#define RECENT_EVENTS 50
/* Events `status` shows. */
#define STATUS_EVENTS 20
/* How long after a change the counts of held notifications are saved (and on quit). */
#define HELD_SAVE_DELAY_S 2

struct _TwApplication
{
  GApplication      parent_instance;

  gint64            started;        /* wall clock, µs */
  guint64           last_event_id;

  TwConfig         *config;
  TwHistory        *history;
  char             *history_error;  /* the last failure to write the journal */
  TwRouter         *router;
  TwDesktopChannel *desktop;
  TwDnd            *dnd;            /* whether notifications are held */
  char             *held_path;      /* where the router's held counts are kept */
  guint             held_save_id;
  GHashTable       *jobs;           /* name → TwJob */
  TwWatches        *watches;        /* the config's [watch:NAME] groups */
  TwRuleSet        *rules;          /* the config's [rule:NAME] groups */
  GPtrArray        *demos;          /* of TwDemo, writing their logs */
  TwInotify        *inotify;        /* one instance for every followed file */
  GQueue            recent;         /* of TwEvent, oldest first */
  TwOverview       *overview;       /* the state the tray and the dock show */
  TwControl        *control;        /* the D-Bus API of the preferences window */
  TwHttp           *http;           /* every HTTPS and SMTP request */
  TwForwarder      *forwarders[TW_N_FORWARD_SERVICES];  /* email, Slack, Discord */
  TwEvent          *report_event;   /* the event whose run JSON is cached */
  JsonNode         *report_run;     /* nullable: that run, as status shows it */
  TwLauncher       *launcher;       /* nullable: the dock's entry */
  TwTrayMenu       *tray_menu;      /* exported while registered */
  TwTraySpawn      *tray_spawn;     /* starts trainwatch-tray when a panel shows it */

  guint             sigterm_id;
  guint             sigint_id;
  gboolean          held;
  GCancellable     *cancellable;    /* cancelled at shutdown: questions to the Secret Service */
};

/* A `status` or `secret status` waiting for the Secret Service's answer. */
typedef struct
{
  TwApplication           *self;
  GApplicationCommandLine *cmdline;
  TwCommandKind            kind;
  gboolean                 json;
} PendingStatus;

G_DEFINE_FINAL_TYPE (TwApplication, tw_application, G_TYPE_APPLICATION)

static TwLevel config_level (TwApplication *self,
                             const char    *group,
                             const char    *key);
static void    job_read_cb  (TwJob         *job,
                             TwApplication *self);

static char *
format_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static char *
format_iso_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format_iso8601 (dt) : NULL;
}

static char *
dup_state_path (const char *name)
{
  return g_build_filename (g_get_user_state_dir (), "trainwatch", name, NULL);
}

static TwJob *
ensure_job (TwApplication *self,
            const char    *name,
            const char    *log_path)
{
  TwJob *job = g_hash_table_lookup (self->jobs, name);

  if (job == NULL)
    {
      job = tw_job_new (name, log_path);
      g_hash_table_insert (self->jobs, g_strdup (name), job);
    }

  return job;
}

/* A run or the recent events changed: the tray menu follows (throttled).
 * While our tray program is not running nothing shows the menu, so it is
 * left as it is and rebuilt when the tray starts. */
static void
queue_refresh (TwApplication *self)
{
  if (self->tray_menu != NULL && (self->tray_spawn == NULL || !tw_tray_spawn_is_idle (self->tray_spawn)))
    tw_tray_menu_queue_update (self->tray_menu);
  if (self->control != NULL)
    tw_control_queue_changed (self->control);
}

static void
job_changed_cb (TwJob         *job,
                TwApplication *self)
{
  queue_refresh (self);
}

static void
tray_starting_cb (TwApplication *self)
{
  if (self->tray_menu != NULL)
    tw_tray_menu_update (self->tray_menu);
}

static void
job_event_cb (TwJob         *job,
              TwEvent       *event,
              TwApplication *self)
{
  tw_application_post_event (self, event);
}

static gint64
stall_timeout_usec (TwApplication *self)
{
  return (gint64) tw_config_get_int (self->config, "runs", "stall-minutes") * 60 * G_USEC_PER_SEC;
}

/* Applies the [runs] settings that shape a run's events to @job. */
static void
configure_run (TwApplication *self,
               TwJob         *job)
{
  g_auto(GStrv) parts = g_strsplit (tw_config_get_string (self->config, "runs", "milestones"), ",", -1);
  g_autoptr(GArray) percents = g_array_new (FALSE, FALSE, sizeof (guint));
  TwRunState *run = tw_job_get_run_state (job);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 percent;

      g_strstrip (parts[i]);
      if (*parts[i] == '\0')
        continue;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 100, &percent, NULL))
        {
          g_debug ("milestone “%s” is not a whole number from 1 to 100", parts[i]);
          continue;
        }
      if (percents->len == 0 || percent > g_array_index (percents, guint, percents->len - 1))
        g_array_append_val (percents, (guint) { percent });
    }
  tw_run_state_set_milestones (run, (const guint *) (gpointer) percents->data, percents->len);
  tw_run_state_set_divergence_factor (run, tw_config_get_int (self->config, "runs", "loss-divergence-factor"));
}

/* Adds @job (taken) to the daemon's runs and starts following its log. */
static void
start_job (TwApplication *self,
           TwJob         *job,
           gint64         start_offset)
{
  g_hash_table_replace (self->jobs, g_strdup (tw_job_get_name (job)), job);
  g_signal_connect_object (job, "event", G_CALLBACK (job_event_cb), self, 0);
  g_signal_connect_object (job, "read", G_CALLBACK (job_read_cb), self, 0);
  g_signal_connect_object (job, "changed", G_CALLBACK (job_changed_cb), self, 0);
  tw_job_set_stall_timeout (job, stall_timeout_usec (self));
  tw_job_set_rules (job, self->rules);
  configure_run (self, job);
  tw_overview_track_job (self->overview, job);
  tw_job_follow (job, self->inotify, start_offset);
}

static TwJob *
add_followed_job (TwApplication *self,
                  const char    *name,
                  const char    *path,
                  gint64         start_offset)
{
  TwJob *job = tw_job_new (name, path);

  start_job (self, job, start_offset);
  return job;
}

static void
job_read_cb (TwJob         *job,
             TwApplication *self)
{
  if (self->watches != NULL)
    tw_watches_note_read (self->watches);
}

static void
watches_start_job (TwJob    *job,
                   gint64    start_offset,
                   gpointer  user_data)
{
  start_job (user_data, job, start_offset);
}

static void
watches_jobs_changed (gpointer user_data)
{
  queue_refresh (user_data);
}

static const TwWatchesHooks watches_hooks = { watches_start_job, watches_jobs_changed };

/* From `trainwatch run`: a new run of that name, its log read from the start; else a
 * watch kept in the config. */
static int
handle_watch (TwApplication           *self,
              TwCommand               *command,
              GApplicationCommandLine *cmdline)
{
  if (command->log != NULL)
    {
      TwJob *existing = g_hash_table_lookup (self->jobs, command->job);

      if (existing != NULL)
        tw_job_stop_following (existing);
      add_followed_job (self, command->job, command->log, 0);
      return 0;
    }

  return tw_watches_handle_watch (self->watches, command, cmdline);
}

/* Makes the rules every job matches what the config's [rule:NAME] groups say. */
static void
sync_rules (TwApplication *self)
{
  g_auto(GStrv) names = tw_config_dup_section_names (self->config, "rule");
  TwRuleSet *rules = tw_rule_set_new ();
  TwRuleSet *old = self->rules;
  GHashTableIter iter;
  gpointer job;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *group = g_strconcat ("rule:", names[i], NULL);
      g_autoptr(GError) error = NULL;
      const char *message = tw_config_get_string (self->config, group, "message");
      TwLevel level = config_level (self, group, "level");

      if (!tw_rule_set_add (rules, tw_config_get_string (self->config, group, "pattern"), level,
                            *message != '\0' ? message : NULL, &error))
        g_message (_("%s: rule [%s] is not used: %s"), tw_config_get_path (self->config), group,
                   error->message);
    }

  self->rules = rules;
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    tw_job_set_rules (job, rules);
  g_clear_pointer (&old, tw_rule_set_free);
}

static int
handle_run_finished (TwApplication           *self,
                     TwCommand               *command,
                     GApplicationCommandLine *cmdline)
{
  TwJob *job = g_hash_table_lookup (self->jobs, command->job);

  if (job == NULL)
    {
      g_application_command_line_printerr (cmdline, _("No run named “%s”.\n"), command->job);
      return 1;
    }

  tw_job_finish_process (job, command->exit_status, command->signal);
  return 0;
}

static void
remember_event (TwApplication *self,
                TwEvent       *event)
{
  g_queue_push_tail (&self->recent, g_object_ref (event));
  while (self->recent.length > RECENT_EVENTS)
    g_object_unref (g_queue_pop_head (&self->recent));
}

static TwLevel
config_level (TwApplication *self,
              const char    *group,
              const char    *key)
{
  TwLevel level = TW_LEVEL_INFO;

  /* The config validated the value against the same names. */
  tw_level_from_string (tw_config_get_string (self->config, group, key), &level);
  return level;
}

static gboolean
critical_passes (TwApplication *self)
{
  return tw_config_get_boolean (self->config, "notifications", "show-critical");
}

static void
apply_dnd_config (TwApplication *self)
{
  GPtrArray *channels = tw_router_get_channels (self->router);
  TwConfig *config = self->config;
  gboolean hold_forwarding = tw_config_get_boolean (config, "notifications", "hold-forwarding");

  tw_dnd_set_follow_desktop (self->dnd,
                             tw_config_get_boolean (config, "notifications", "follow-desktop"));
  tw_dnd_set_quiet_hours (self->dnd, tw_config_get_string (config, "notifications", "quiet-hours"));
  tw_router_set_critical_passes_dnd (self->router, critical_passes (self));
  /* the desktop always follows Do Not Disturb; forwarding only when asked */
  for (guint i = 0; i < channels->len; i++)
    {
      const char *id = tw_channel_get_id (g_ptr_array_index (channels, i));

      if (!g_str_equal (id, "desktop"))
        tw_router_set_hold_during_dnd (self->router, id, hold_forwarding);
    }
}

/* The report of @event for the forwarders: its run's state as `status` shows it,
 * computed once for the channels that all get the same event. */
static TwReport *
make_report (TwEvent  *event,
             gpointer  user_data)
{
  TwApplication *self = user_data;
  TwReport *report = tw_report_new (event, NULL);

  if (self->report_event != event)
    {
      const char *name = tw_event_get_job (event);
      TwJob *job = name != NULL ? g_hash_table_lookup (self->jobs, name) : NULL;

      g_set_object (&self->report_event, event);
      g_clear_pointer (&self->report_run, json_node_unref);
      if (job != NULL)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          tw_job_add_json (job, builder);
          self->report_run = json_builder_get_root (builder);
        }
    }
  if (self->report_run != NULL && JSON_NODE_HOLDS_OBJECT (self->report_run))
    tw_report_set_run_from_json (report, json_node_get_object (self->report_run));

  return report;
}

/* Reports given up by an outbox: in the history and on the desktop, never
 * forwarded (the channel that failed would be asked again). */
static void
outbox_failed_cb (TwOutbox    *outbox,
                  GPtrArray   *reports,
                  const char  *answer,
                  TwForwarder *forwarder)
{
  TwApplication *self = g_object_get_data (G_OBJECT (forwarder), "tw-application");
  const char *id = tw_channel_get_id (TW_CHANNEL (forwarder));
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;

  /* Translators: %u is a number of events, %s a channel: email, slack or discord */
  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event could not be sent to %s",
                                        "%u events could not be sent to %s",
                                        reports->len), reports->len, id);
  body = g_strdup_printf (_("The last answer: %s. They are kept in %s."), answer,
                          tw_outbox_get_dir (outbox));
  event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_ERROR, NULL, title, body);
  tw_event_set_id (event, ++self->last_event_id);
  g_message ("%s: %s", title, body);
  if (!tw_history_append (self->history, event, &error))
    g_message ("%s", error->message);
  remember_event (self, event);
  tw_channel_deliver (TW_CHANNEL (self->desktop), event);
  queue_refresh (self);
}

/* Tells the user, once, that a service refused a channel's settings: its events
 * wait until the settings change or a test succeeds. */
static void
note_disabled (TwApplication *self,
               TwForwarder   *forwarder,
               const char    *id)
{
  TwOutbox *outbox = tw_forwarder_get_outbox (forwarder);
  /* a channel without its secret is not set up, not broken: nothing to tell */
  gboolean disabled = tw_outbox_get_state (outbox) == TW_OUTBOX_DISABLED &&
                      !tw_forwarder_is_secret_missing (forwarder);
  gboolean was_disabled = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (outbox), "tw-was-disabled"));
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set_data (G_OBJECT (outbox), "tw-was-disabled", GINT_TO_POINTER (disabled));
  if (!disabled || was_disabled)
    return;

  /* Translators: %s is a channel: email, slack or discord */
  title = g_strdup_printf (_("Forwarding to %s stopped"), id);
  /* Translators: the first %s is the service's answer, the second and third a channel */
  body = g_strdup_printf (_("%s. Its events wait in the outbox. Fix the settings or the secret, then run "
                            "“trainwatch test-channel %s”; “trainwatch secret set %s” sets the secret."),
                          tw_outbox_get_disabled_reason (outbox), id, id);
  event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_ERROR, NULL, title, body);
  tw_event_set_id (event, ++self->last_event_id);
  g_message ("%s: %s", title, body);
  if (!tw_history_append (self->history, event, &error))
    g_message ("%s", error->message);
  remember_event (self, event);
  tw_channel_deliver (TW_CHANNEL (self->desktop), event);
  queue_refresh (self);
}

static void
outbox_changed_cb (TwOutbox      *outbox,
                   TwApplication *self)
{
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    if (self->forwarders[i] != NULL && tw_forwarder_get_outbox (self->forwarders[i]) == outbox)
      note_disabled (self, self->forwarders[i], tw_forward_service_to_id (i));
  if (self->control != NULL)
    tw_control_queue_changed (self->control);
}

static void
create_forwarders (TwApplication *self)
{
  self->http = tw_http_new ();
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    {
      g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "trainwatch", "outbox",
                                               tw_forward_service_to_id (i), NULL);
      TwForwarder *forwarder = tw_forwarder_new (i, self->http, dir);
      TwOutbox *outbox = tw_forwarder_get_outbox (forwarder);

      self->forwarders[i] = forwarder;
      g_object_set_data (G_OBJECT (forwarder), "tw-application", self);
      tw_forwarder_set_report_func (forwarder, make_report, self);
      g_signal_connect (outbox, "failed", G_CALLBACK (outbox_failed_cb), forwarder);
      g_signal_connect (outbox, "changed", G_CALLBACK (outbox_changed_cb), self);
      tw_router_add_channel (self->router, TW_CHANNEL (forwarder));
    }
}

/* Once the settings are in: what a former daemon left in the outboxes goes now. */
static void
load_forwarders (TwApplication *self)
{
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!tw_forwarder_load (self->forwarders[i], &error))
        g_message ("%s", error->message);
    }
}

/* Ends the sends under way (their reports stay in the outbox) and lets the
 * outboxes finish writing. */
static void
stop_forwarders (TwApplication *self)
{
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    {
      TwForwarder *forwarder = self->forwarders[i];

      if (forwarder == NULL)
        continue;
      g_object_set_data (G_OBJECT (forwarder), "tw-application", NULL);
      g_signal_handlers_disconnect_by_data (tw_forwarder_get_outbox (forwarder), self);
      tw_forwarder_stop (forwarder);
      while (tw_forwarder_is_busy (forwarder))
        g_main_context_iteration (NULL, TRUE);
    }
}

static void
apply_forward_config (TwApplication *self)
{
  TwConfig *config = self->config;
  gint64 retry_usec = (gint64) tw_config_get_int (config, "network", "retry-hours") * G_TIME_SPAN_HOUR;

  tw_http_set_ca_file (self->http, tw_config_get_string (config, "network", "ca-file"));
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    {
      TwForwarder *forwarder = self->forwarders[i];
      TwOutbox *outbox = tw_forwarder_get_outbox (forwarder);
      const char *id = tw_forward_service_to_id (i);
      gboolean enabled = tw_config_get_boolean (config, id, "enabled");

      tw_router_set_channel_enabled (self->router, id, enabled);
      tw_router_set_kinds (self->router, id, tw_config_get_event_kinds (config, id, "events"));
      tw_forwarder_set_enabled (forwarder, enabled);
      tw_outbox_set_min_interval (outbox, (guint) tw_config_get_int (config, id, "min-interval-seconds") * 1000);
      tw_outbox_set_retry_limit (outbox, retry_usec);
      if (i == TW_FORWARD_EMAIL)
        tw_forwarder_set_mail (forwarder, tw_config_get_string (config, id, "server"),
                               (guint) tw_config_get_int (config, id, "port"),
                               (TwMailSecurity) tw_config_get_int (config, id, "security"),
                               tw_config_get_string (config, id, "user"),
                               tw_config_get_string (config, id, "from"),
                               tw_config_get_string (config, id, "to"));
      if (i == TW_FORWARD_DISCORD)
        tw_forwarder_set_edit_in_place (forwarder, tw_config_get_boolean (config, id, "edit-in-place"));
      tw_forwarder_settings_changed (forwarder);
    }
}

static void
apply_config (TwApplication *self)
{
  int snooze_minutes = tw_config_get_int (self->config, "general", "snooze-minutes");
  GHashTableIter iter;
  gpointer job;

  tw_router_set_channel_enabled (self->router, "desktop",
                                 tw_config_get_boolean (self->config, "desktop", "enabled"));
  tw_router_set_min_level (self->router, "desktop", config_level (self, "desktop", "min-level"));
  tw_router_set_kinds (self->router, "desktop", tw_config_get_event_kinds (self->config, "desktop", "events"));
  tw_desktop_channel_set_sound (self->desktop, tw_config_get_boolean (self->config, "desktop", "sound"));
  tw_desktop_channel_set_snooze_minutes (self->desktop, snooze_minutes);
  if (self->launcher != NULL)
    tw_launcher_set_enabled (self->launcher, tw_config_get_boolean (self->config, "desktop", "dock-progress"));
  apply_forward_config (self);
  apply_dnd_config (self);
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    {
      tw_job_set_stall_timeout (job, stall_timeout_usec (self));
      configure_run (self, job);
    }
  tw_history_set_limits (self->history,
                         (goffset) tw_config_get_int (self->config, "history", "max-size-kib") * 1024,
                         tw_config_get_int (self->config, "history", "keep-files"));
  sync_rules (self);
  tw_watches_sync (self->watches);
}

static void
load_history (TwApplication *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = tw_history_load_recent (self->history, RECENT_EVENTS, &error);
  if (events == NULL)
    {
      g_message ("%s", error->message);
      return;
    }

  for (guint i = 0; i < events->len; i++)
    {
      TwEvent *event = g_ptr_array_index (events, i);

      remember_event (self, event);
      self->last_event_id = MAX (self->last_event_id, tw_event_get_id (event));
    }
}

static void
add_status_json (TwApplication *self,
                 JsonBuilder   *builder,
                 GPtrArray     *secrets)
{
  GPtrArray *problems = tw_config_get_problems (self->config);
  GPtrArray *channels = tw_router_get_channels (self->router);
  g_autofree char *started = format_iso_time (self->started);
  g_autoptr(GList) jobs = NULL;
  guint skip;
  guint i;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "running");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_set_member_name (builder, "started");
  json_builder_add_string_value (builder, started);
  json_builder_set_member_name (builder, "uptime_seconds");
  json_builder_add_int_value (builder, (g_get_real_time () - self->started) / G_USEC_PER_SEC);

  json_builder_set_member_name (builder, "config");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, tw_config_get_path (self->config));
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (i = 0; problems != NULL && i < problems->len; i++)
    {
      TwConfigProblem *problem = g_ptr_array_index (problems, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, problem->file);
      json_builder_set_member_name (builder, "line");
      json_builder_add_int_value (builder, problem->line);
      json_builder_set_member_name (builder, "group");
      json_builder_add_string_value (builder, problem->group);
      json_builder_set_member_name (builder, "key");
      json_builder_add_string_value (builder, problem->key);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, problem->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "history");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, tw_history_get_path (self->history));
  json_builder_set_member_name (builder, "last_error");
  json_builder_add_string_value (builder, self->history_error);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "channels");
  json_builder_begin_object (builder);
  for (i = 0; i < channels->len; i++)
    {
      TwChannel *channel = g_ptr_array_index (channels, i);

      json_builder_set_member_name (builder, tw_channel_get_id (channel));
      json_builder_begin_object (builder);
      tw_channel_add_status (channel, builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "overview");
  json_builder_begin_object (builder);
  tw_overview_add_json (self->overview, builder);
  json_builder_set_member_name (builder, "dock");
  if (self->launcher != NULL)
    tw_launcher_add_json (self->launcher, builder);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "tray");
  json_builder_begin_object (builder);
  if (self->tray_spawn != NULL)
    tw_tray_spawn_add_json (self->tray_spawn, builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "secrets");
  tw_secret_states_add_json (secrets, builder);

  json_builder_set_member_name (builder, "dnd");
  json_builder_begin_object (builder);
  tw_dnd_add_json (self->dnd, builder, tw_router_get_n_held (self->router), critical_passes (self));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "jobs");
  json_builder_begin_array (builder);
  jobs = g_hash_table_get_values (self->jobs);
  for (GList *l = jobs; l != NULL; l = l->next)
    tw_job_add_json (l->data, builder);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  skip = self->recent.length > STATUS_EVENTS ? self->recent.length - STATUS_EVENTS : 0;
  i = 0;
  for (GList *l = self->recent.head; l != NULL; l = l->next, i++)
    if (i >= skip)
      json_builder_add_value (builder, tw_event_to_json_node (l->data));
  json_builder_end_array (builder);

  json_builder_end_object (builder);
}

static char *
status_text (TwApplication *self,
             GPtrArray     *secrets)
{
  GString *text = g_string_new (NULL);
  GPtrArray *problems = tw_config_get_problems (self->config);
  GPtrArray *channels = tw_router_get_channels (self->router);
  g_autofree char *started = format_time (self->started);
  g_autoptr(GList) jobs = g_hash_table_get_values (self->jobs);
  guint skip;
  guint i;

  g_string_append_printf (text, _("Trainwatch %s is running (process %d, since %s)."),
                          PACKAGE_VERSION, (int) getpid (), started);
  g_string_append_c (text, '\n');

  g_string_append_printf (text, _("Config: %s"), tw_config_get_path (self->config));
  g_string_append_c (text, '\n');
  for (i = 0; problems != NULL && i < problems->len; i++)
    {
      TwConfigProblem *problem = g_ptr_array_index (problems, i);

      g_string_append_printf (text, "  %s\n", problem->message);
    }
  if (self->history_error != NULL)
    {
      g_string_append_printf (text, _("History: %s"), self->history_error);
      g_string_append_c (text, '\n');
    }

  for (i = 0; i < channels->len; i++)
    {
      TwChannel *channel = g_ptr_array_index (channels, i);
      const char *id = tw_channel_get_id (channel);

      if (tw_channel_is_available (channel))
        g_string_append_printf (text, _("Channel %s: available"), id);
      else
        g_string_append_printf (text, _("Channel %s: not available"), id);
      g_string_append_c (text, '\n');
    }

  g_string_append_printf (text, "%s\n", _("Secrets:"));
  tw_secret_states_append_text (secrets, text, "  ");

  {
    g_autofree char *dnd = tw_dnd_dup_status_text (self->dnd, tw_router_get_n_held (self->router),
                                                   critical_passes (self));

    g_string_append (text, dnd);
  }

  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u run", "%u runs",
                                             g_hash_table_size (self->jobs)),
                          g_hash_table_size (self->jobs));
  g_string_append_c (text, '\n');
  for (GList *l = jobs; l != NULL; l = l->next)
    {
      TwJob *job = l->data;
      TwEvent *last = tw_job_get_last_event (job);

      g_string_append_printf (text, "  %s", tw_job_get_name (job));
      if (last != NULL)
        g_string_append_printf (text, " — %s", tw_event_get_title (last));
      if (tw_job_is_snoozed (job, g_get_real_time ()))
        {
          g_autofree char *until = format_time (tw_job_get_snoozed_until (job));

          g_string_append_printf (text, " (");
          g_string_append_printf (text, _("snoozed until %s"), until);
          g_string_append_c (text, ')');
        }
      g_string_append_c (text, '\n');
    }

  if (self->recent.length > 0)
    {
      g_string_append_printf (text, "%s\n", _("Recent events:"));
      skip = self->recent.length > STATUS_EVENTS ? self->recent.length - STATUS_EVENTS : 0;
      i = 0;
      for (GList *l = self->recent.head; l != NULL; l = l->next, i++)
        {
          TwEvent *event = l->data;
          g_autofree char *when = NULL;

          if (i < skip)
            continue;
          when = format_time (tw_event_get_time (event));
          g_string_append_printf (text, "  %s  %-8s %s%s%s\n", when,
                                  tw_level_to_string (tw_event_get_level (event)),
                                  tw_event_get_job (event) != NULL ? tw_event_get_job (event) : "",
                                  tw_event_get_job (event) != NULL ? ": " : "",
                                  tw_event_get_title (event));
        }
    }

  return g_string_free (text, FALSE);
}

static void
print_json (GApplicationCommandLine *cmdline,
            JsonBuilder             *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *json = json_to_string (root, TRUE);

  g_application_command_line_print (cmdline, "%s\n", json);
}

/* `secret status` from a shell whose environment differs from the daemon's: the
 * daemon keeps what it started with. Only whether they differ is said, never a value. */
static void
print_secret_env_notes (GApplicationCommandLine *cmdline)
{
  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    {
      const char *env_var = tw_secret_kind_get_env_var (i);
      const char *theirs = g_application_command_line_getenv (cmdline, env_var);

      if (theirs != NULL && g_strcmp0 (theirs, g_getenv (env_var)) != 0)
        g_application_command_line_printerr (cmdline,
                                             _("Note: %s is set in this shell, but the daemon "
                                               "(process %d) was started without this value; it uses "
                                               "it after a restart (“trainwatch quit”, then "
                                               "“trainwatch”) from here.\n"),
                                             env_var, (int) getpid ());
    }
}

static void
pending_status_free (PendingStatus *pending)
{
  g_object_unref (pending->cmdline);
  g_object_unref (pending->self);
  g_free (pending);
}

/* The answer goes to the client when the command line is released. */
static void
status_secrets_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PendingStatus *pending = user_data;
  TwApplication *self = pending->self;
  GApplicationCommandLine *cmdline = pending->cmdline;
  g_autoptr(GPtrArray) secrets = tw_secrets_query_finish (result);

  if (secrets == NULL || self->router == NULL)
    {
      g_application_command_line_printerr (cmdline, "%s\n", _("Trainwatch is stopping."));
      g_application_command_line_set_exit_status (cmdline, 1);
    }
  else if (pending->kind == TW_COMMAND_SECRET_STATUS)
    {
      if (pending->json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          tw_secret_states_add_json (secrets, builder);
          print_json (cmdline, builder);
        }
      else
        {
          g_autoptr(GString) text = g_string_new (NULL);

          g_string_append_printf (text, _("Trainwatch (process %d) uses:"), (int) getpid ());
          g_string_append_c (text, '\n');
          tw_secret_states_append_text (secrets, text, "  ");
          g_application_command_line_print (cmdline, "%s", text->str);
        }
      print_secret_env_notes (cmdline);
    }
  else if (pending->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      add_status_json (self, builder, secrets);
      print_json (cmdline, builder);
    }
  else
    {
      g_autofree char *text = status_text (self, secrets);

      g_application_command_line_print (cmdline, "%s", text);
    }

  pending_status_free (pending);
}

/* `trainwatch test-channel` and the D-Bus TestChannel: one forwarder's test, answered
 * on the command line or the invocation. */
typedef struct
{
  TwApplication           *self;
  GApplicationCommandLine *cmdline;     /* nullable */
  GDBusMethodInvocation   *invocation;  /* nullable */
  char                    *id;
} PendingTest;

static void
pending_test_free (PendingTest *pending)
{
  g_object_unref (pending->self);
  g_clear_object (&pending->cmdline);
  g_clear_object (&pending->invocation);
  g_free (pending->id);
  g_free (pending);
}

static void
answer_test (PendingTest *pending,
             const char  *verdict,
             const char  *answer,
             gboolean     ok)
{
  if (pending->invocation != NULL)
    {
      g_dbus_method_invocation_return_value (pending->invocation, g_variant_new ("(ss)", verdict, answer));
    }
  else if (ok)
    {
      /* Translators: %s is a channel (email, slack, discord), then the server's answer */
      g_application_command_line_print (pending->cmdline, _("Sent to %s. The server said: %s\n"),
                                        pending->id, answer);
    }
  else
    {
      /* Translators: %s is a channel (email, slack, discord), then why */
      g_application_command_line_printerr (pending->cmdline, _("Not sent to %s: %s\n"), pending->id, answer);
      g_application_command_line_set_exit_status (pending->cmdline, 1);
    }
  pending_test_free (pending);
}

static void
test_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PendingTest *pending = user_data;
  TwSendResult sent = TW_SEND_RESULT_INIT;
  g_autoptr(GError) error = NULL;

  if (!tw_forwarder_send_test_finish (TW_FORWARDER (source), result, &sent, &error))
    {
      answer_test (pending, "unavailable", _("Trainwatch is stopping."), FALSE);
      return;
    }
  queue_refresh (pending->self);
  answer_test (pending, tw_verdict_to_string (sent.verdict), sent.answer != NULL ? sent.answer : "",
               sent.verdict == TW_VERDICT_ACCEPTED);
  tw_send_result_clear (&sent);
}

static void
start_test (TwApplication           *self,
            const char              *id,
            GApplicationCommandLine *cmdline,
            GDBusMethodInvocation   *invocation)
{
  PendingTest *pending = g_new0 (PendingTest, 1);
  TwForwardService service;

  pending->self = g_object_ref (self);
  pending->cmdline = cmdline != NULL ? g_object_ref (cmdline) : NULL;
  pending->invocation = invocation != NULL ? g_object_ref (invocation) : NULL;
  pending->id = g_strdup (id);

  if (!tw_forward_service_from_id (id, &service) || self->forwarders[service] == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("There is no channel “%s”: email, slack or discord."), id);

      answer_test (pending, "unavailable", text, FALSE);
      return;
    }
  if (!tw_config_get_boolean (self->config, id, "enabled"))
    {
      g_autofree char *text = g_strdup_printf (_("The channel is switched off ([%s] enabled = false)."), id);

      answer_test (pending, "unavailable", text, FALSE);
      return;
    }

  tw_forwarder_send_test_async (self->forwarders[service], self->cancellable, test_sent_cb, pending);
}

static gboolean
control_test_channel_cb (TwControl             *control,
                         const char            *id,
                         GDBusMethodInvocation *invocation,
                         TwApplication         *self)
{
  start_test (self, id, NULL, invocation);
  return TRUE;
}

static void
control_status_secrets_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GPtrArray) secrets = tw_secrets_query_finish (result);
  TwApplication *self = g_object_get_data (G_OBJECT (invocation), "tw-application");
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  if (secrets == NULL || self == NULL || self->router == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                                     _("Trainwatch is stopping."));
      return;
    }

  builder = json_builder_new ();
  add_status_json (self, builder, secrets);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", json));
}

static gboolean
control_get_status_cb (TwControl             *control,
                       GDBusMethodInvocation *invocation,
                       TwApplication         *self)
{
  g_object_set_data_full (G_OBJECT (invocation), "tw-application", g_object_ref (self), g_object_unref);
  tw_secrets_query_async (TW_SECRETS_STATUS_TIMEOUT_MS, self->cancellable, control_status_secrets_cb,
                          g_object_ref (invocation));
  return TRUE;
}

/* Answers once the Secret Service has said which secrets it holds, or after
 * TW_SECRETS_STATUS_TIMEOUT_MS: the main loop goes on meanwhile. */
static int
handle_status (TwApplication           *self,
               TwCommand               *command,
               GApplicationCommandLine *cmdline)
{
  PendingStatus *pending = g_new0 (PendingStatus, 1);

  pending->self = g_object_ref (self);
  pending->cmdline = g_object_ref (cmdline);
  pending->kind = command->kind;
  pending->json = command->json;
  tw_secrets_query_async (TW_SECRETS_STATUS_TIMEOUT_MS, self->cancellable, status_secrets_cb, pending);

  return 0;
}

static int
start_demo (TwApplication           *self,
            TwCommand               *command,
            GApplicationCommandLine *cmdline)
{
  const char *speed_str = g_application_command_line_getenv (cmdline, "TRAINWATCH_DEMO_SPEED");
  double speed = speed_str != NULL ? g_ascii_strtod (speed_str, NULL) : 1.0;
  g_autoptr(GError) error = NULL;
  g_autoptr(TwDemo) demo = NULL;
  g_autofree char *name = NULL;

  demo = tw_demo_new (command->demo == TW_DEMO_FAIL, isfinite (speed) ? speed : 1.0, &error);
  if (demo == NULL)
    {
      g_application_command_line_printerr (cmdline, "%s\n", error->message);
      return 1;
    }

  name = tw_watches_dup_unique_name (self->watches, "demo-resnet18");
  add_followed_job (self, name, tw_demo_get_log_path (demo), 0);
  tw_demo_start (demo);
  g_ptr_array_add (self->demos, g_object_ref (demo));
  g_application_command_line_print (cmdline, _("A simulated training run “%s” has started; its log is %s\n"), name,
                                    tw_demo_get_log_path (demo));
  return 0;
}

static int
handle_start (TwApplication           *self,
              TwCommand               *command,
              GApplicationCommandLine *cmdline)
{
  GPtrArray *problems = tw_config_get_problems (self->config);

  if (g_application_command_line_getenv (cmdline, TW_ENV_CLIENT_STARTED_DAEMON) != NULL)
    g_application_command_line_print (cmdline, _("Trainwatch started (process %d).\n"), (int) getpid ());
  else
    g_application_command_line_print (cmdline, _("Trainwatch is already running (process %d).\n"),
                                      (int) getpid ());

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      TwConfigProblem *problem = g_ptr_array_index (problems, i);

      g_application_command_line_printerr (cmdline, "%s\n", problem->message);
    }

  if (command->demo != TW_DEMO_NONE)
    return start_demo (self, command, cmdline);

  return 0;
}

static int
handle_pause (TwApplication           *self,
              TwCommand               *command,
              GApplicationCommandLine *cmdline)
{
  g_autoptr(GError) error = NULL;
  gint64 until;

  if (!tw_dnd_pause_from_text (self->dnd, command->duration, &error) &&
      g_error_matches (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID))
    {
      g_application_command_line_printerr (cmdline, "%s\n", error->message);
      return 2;
    }

  until = tw_dnd_get_paused_until (self->dnd);
  if (until == TW_DND_UNTIL_RESUME)
    g_application_command_line_print (cmdline, "%s\n",
                                      _("Notifications are paused until you run "
                                        "“trainwatch resume”."));
  else
    {
      g_autofree char *when = tw_dnd_format_time (until);

      g_application_command_line_print (cmdline, _("Notifications are paused until %s.\n"), when);
    }
  if (critical_passes (self))
    g_application_command_line_print (cmdline, "%s\n",
                                      _("Critical ones (a failed run, out of memory, NaN) still "
                                        "show; the others are summed up when the pause ends."));
  else
    g_application_command_line_print (cmdline, "%s\n",
                                      _("All of them are held, critical ones too, and summed up "
                                        "when the pause ends."));
  if (error != NULL)
    g_application_command_line_printerr (cmdline, _("The pause will not survive a restart: %s\n"),
                                         error->message);
  return 0;
}

static int
handle_resume (TwApplication           *self,
               TwCommand               *command,
               GApplicationCommandLine *cmdline)
{
  g_autoptr(GError) error = NULL;
  guint n_held = tw_router_get_n_held (self->router);

  if (tw_dnd_resume (self->dnd, &error) || error != NULL)
    {
      g_application_command_line_print (cmdline, "%s\n", _("Notifications resumed."));
      if (error != NULL)
        g_application_command_line_printerr (cmdline, "%s\n", error->message);
    }
  else
    g_application_command_line_print (cmdline, "%s\n", _("Notifications were not paused."));

  if (tw_dnd_is_active (self->dnd))
    {
      g_autofree char *text = NULL;

      text = tw_dnd_dup_status_text (self->dnd, tw_router_get_n_held (self->router),
                                     critical_passes (self));

      g_application_command_line_print (cmdline, "%s", text);
    }
  else if (n_held > 0)
    g_application_command_line_print (cmdline,
                                      g_dngettext (GETTEXT_PACKAGE,
                                                   "%u notification was held meanwhile; one "
                                                   "notification now sums up what happened.\n",
                                                   "%u notifications were held meanwhile; one "
                                                   "notification now sums up what happened.\n",
                                                   n_held),
                                      n_held);
  return 0;
}

static gboolean
quit_idle_cb (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

static int
handle_command (TwApplication           *self,
                TwCommand               *command,
                GApplicationCommandLine *cmdline)
{
  switch (command->kind)
    {
    case TW_COMMAND_START:
      return handle_start (self, command, cmdline);

    case TW_COMMAND_SEND:
      {
        g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, command->level, command->job,
                                                 command->title, command->body);

        tw_application_post_event (self, event);
        return 0;
      }

    case TW_COMMAND_STATUS:
    case TW_COMMAND_SECRET_STATUS:
      return handle_status (self, command, cmdline);

    case TW_COMMAND_QUIT:
      g_application_command_line_print (cmdline, _("Trainwatch stopped.\n"));
      /* Answer first; the exit status travels when the command line is released. */
      g_idle_add_full (G_PRIORITY_LOW, quit_idle_cb, g_object_ref (self), g_object_unref);
      return 0;

    case TW_COMMAND_HELP:
      g_application_command_line_print (cmdline, "%s", command->help);
      return 0;

    case TW_COMMAND_VERSION:
      g_application_command_line_print (cmdline, "trainwatch %s\n", PACKAGE_VERSION);
      return 0;

    case TW_COMMAND_WATCH:
      return handle_watch (self, command, cmdline);

    case TW_COMMAND_UNWATCH:
      return tw_watches_handle_unwatch (self->watches, command, cmdline);

    case TW_COMMAND_RUN_FINISHED:
      return handle_run_finished (self, command, cmdline);

    case TW_COMMAND_PAUSE:
      return handle_pause (self, command, cmdline);

    case TW_COMMAND_RESUME:
      return handle_resume (self, command, cmdline);

    case TW_COMMAND_TEST_CHANNEL:
      /* the answer goes when the command line is released; one known at once
       * (a channel switched off) has set the status already */
      start_test (self, command->channel, cmdline, NULL);
      return g_application_command_line_get_exit_status (cmdline);

    case TW_COMMAND_SECRET_SET:
    case TW_COMMAND_SECRET_CLEAR:
      /* The client talks to the keyring itself; one forwarded here is a version mismatch. */
      g_application_command_line_printerr (cmdline, _("Run “trainwatch secret” with this version’s client.\n"));
      return 2;

    case TW_COMMAND_RUN:
    case TW_COMMAND_INSPECT:
      /* The client reads files itself; a forwarded inspect is a version mismatch. */
      g_application_command_line_printerr (cmdline, _("Run “trainwatch inspect” with this version’s client.\n"));
      return 2;

    case TW_COMMAND_DAEMON:
    default:
      g_application_command_line_printerr (cmdline, _("Trainwatch is already running (process %d).\n"),
                                           (int) getpid ());
      return 1;
    }
}

static void
desktop_action_invoked_cb (TwDesktopChannel *channel,
                           const char       *job_name,
                           const char       *action,
                           TwApplication    *self)
{
  TwJob *job = job_name != NULL ? g_hash_table_lookup (self->jobs, job_name) : NULL;

  /* Acting on a run's notification is seeing what it says. */
  if (job_name != NULL)
    tw_overview_mark_seen (self->overview, job_name);

  if (g_str_equal (action, "snooze") && job != NULL)
    {
      gint64 minutes = tw_config_get_int (self->config, "general", "snooze-minutes");

      tw_job_snooze (job, g_get_real_time () + minutes * 60 * G_USEC_PER_SEC);
      g_debug ("Snoozed '%s' for %" G_GINT64_FORMAT " minutes", job_name, minutes);
    }
  else if (g_str_equal (action, "open-log") && job != NULL && tw_job_get_log_path (job) != NULL)
    {
      g_autofree char *uri = g_filename_to_uri (tw_job_get_log_path (job), NULL, NULL);

      if (uri != NULL)
        g_app_info_launch_default_for_uri_async (uri, NULL, NULL, NULL, NULL);
    }
}

static void
save_held (TwApplication *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->held_save_id, g_source_remove);
  if (self->router != NULL && self->held_path != NULL &&
      !tw_router_save_held (self->router, self->held_path, &error))
    g_message ("%s", error->message);
}

static gboolean
save_held_cb (gpointer user_data)
{
  TwApplication *self = user_data;

  self->held_save_id = 0;
  save_held (self);

  return G_SOURCE_REMOVE;
}

static void
router_held_changed_cb (TwRouter      *router,
                        TwApplication *self)
{
  if (self->held_save_id == 0)
    self->held_save_id = g_timeout_add_seconds (HELD_SAVE_DELAY_S, save_held_cb, self);
}

static void
dnd_changed_cb (TwDnd         *dnd,
                TwApplication *self)
{
  gboolean active = tw_dnd_is_active (dnd);

  tw_router_set_dnd_active (self->router, active);
  /* Sum up only once the desktop's servers have answered: at start-up,
   * counts kept from before a restart wait to see whether DND is still on. */
  if (!active && tw_dnd_is_settled (dnd))
    tw_router_release_held (self->router);
}

static void
config_changed_cb (TwConfig      *config,
                   TwApplication *self)
{
  apply_config (self);
}

/* The overview on the daemon's object, beside its actions, and on the dock. */
static void
export_overview (TwApplication *self)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));
  g_autoptr(GError) error = NULL;

  if (connection == NULL)
    return;

  if (!tw_overview_export (self->overview, connection,
                           g_application_get_dbus_object_path (G_APPLICATION (self)), &error))
    {
      g_message ("Failed to export the overview: %s", error->message);
      g_clear_error (&error);
    }

  self->launcher = tw_launcher_new (self->overview, connection, APP_ID ".desktop", &error);
  if (self->launcher == NULL)
    g_message ("%s", error->message);
}

static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_idle_add_full (G_PRIORITY_LOW, quit_idle_cb, g_object_ref (user_data), g_object_unref);
}

/* The tray's "Preferences…": the window is a program of its own. Should it not
 * start, say where the settings are instead, on the desktop only (this is no
 * news to forward), and in the log. */
static void
preferences_action_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TwApplication *self = user_data;
  g_autoptr(GSubprocess) window = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TwEvent) event = NULL;

  /* Not waited for: GSubprocess reaps it when it exits. */
  window = tw_preferences_spawn (&error);
  if (window != NULL)
    return;

  body = g_strdup_printf (_("%s. Trainwatch is set up in the file %s; edit it with a text editor, and "
                            "changes apply as soon as it is saved."),
                          error->message, tw_config_get_path (self->config));
  event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, _("Preferences"), body);
  g_message ("%s", body);
  tw_channel_deliver (TW_CHANNEL (self->desktop), event);
}

static void
add_tray_actions (TwApplication *self)
{
  static const GActionEntry entries[] = {
    { "quit", quit_action_cb, NULL, NULL, NULL },
    { "preferences", preferences_action_cb, NULL, NULL, NULL },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  if (self->tray_menu != NULL)
    tw_tray_menu_add_actions (self->tray_menu, G_ACTION_MAP (self));
}

static gboolean
signal_quit_cb (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
tw_application_startup (GApplication *application)
{
  TwApplication *self = TW_APPLICATION (application);
  g_autofree char *history_path = dup_state_path ("history.jsonl");
  g_autofree char *offsets_path = dup_state_path ("offsets.json");
  g_autofree char *pause_path = dup_state_path ("pause.json");
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (tw_application_parent_class)->startup (application);

  /* The daemon lives until `trainwatch quit` or a signal, not until idle. */
  g_application_hold (application);
  self->held = TRUE;

  self->started = g_get_real_time ();
  self->cancellable = g_cancellable_new ();

  self->inotify = tw_inotify_new (&error);
  if (self->inotify == NULL)
    {
      /* Followed files are polled instead. */
      g_message ("%s", error->message);
      g_clear_error (&error);
    }

  self->config = tw_config_new (NULL);
  if (!tw_config_load (self->config, &error))
    g_message ("%s", error->message);
  g_clear_error (&error);
  g_signal_connect (self->config, "changed", G_CALLBACK (config_changed_cb), self);
  /* One inotify instance for everything the daemon watches, the config included. */
  if (self->inotify != NULL)
    tw_config_watch (self->config, self->inotify);
  else
    g_message ("Changes to the config file take effect when Trainwatch restarts.");

  self->history = tw_history_new (history_path);
  load_history (self);

  self->watches = tw_watches_new (self->config, self->jobs, self->inotify, offsets_path, &watches_hooks, self);

  self->overview = tw_overview_new ();
  tw_overview_add_actions (self->overview, G_ACTION_MAP (self));
  export_overview (self);

  self->router = tw_router_new ();
  self->desktop = tw_desktop_channel_new (PACKAGE_NAME, APP_ID);
  g_signal_connect (self->desktop, "action-invoked", G_CALLBACK (desktop_action_invoked_cb), self);
  tw_router_add_channel (self->router, TW_CHANNEL (self->desktop));
  create_forwarders (self);

  self->held_path = dup_state_path ("held.json");
  if (!tw_router_load_held (self->router, self->held_path, g_get_real_time (), &error))
    {
      g_message ("%s", error->message);
      g_clear_error (&error);
    }
  g_signal_connect (self->router, "held-changed", G_CALLBACK (router_held_changed_cb), self);
  self->dnd = tw_dnd_new (pause_path);
  g_signal_connect (self->dnd, "changed", G_CALLBACK (dnd_changed_cb), self);
  tw_dnd_add_actions (self->dnd, G_ACTION_MAP (self));
  tw_router_set_dnd_active (self->router, tw_dnd_is_active (self->dnd));

  apply_config (self);
  load_forwarders (self);
  tw_dnd_start (self->dnd, g_application_get_dbus_connection (application));

  add_tray_actions (self);
  queue_refresh (self);
  if (g_application_get_dbus_connection (application) != NULL)
    {
      g_autofree char *tray = tw_tray_spawn_dup_default_program ();

      self->tray_spawn = tw_tray_spawn_new (g_application_get_dbus_connection (application), tray, self->config);
      g_signal_connect_swapped (self->tray_spawn, "starting", G_CALLBACK (tray_starting_cb), self);
    }

  tw_stall_watch_start_from_env ();
  self->sigterm_id = g_unix_signal_add (SIGTERM, signal_quit_cb, self);
  self->sigint_id = g_unix_signal_add (SIGINT, signal_quit_cb, self);
}

static void
tw_application_shutdown (GApplication *application)
{
  TwApplication *self = TW_APPLICATION (application);

  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  tw_stall_watch_stop ();
  g_cancellable_cancel (self->cancellable);
  if (self->tray_spawn != NULL)
    tw_tray_spawn_stop (self->tray_spawn);
  g_clear_object (&self->tray_spawn);

  if (self->desktop != NULL)
    g_signal_handlers_disconnect_by_data (self->desktop, self);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  if (self->dnd != NULL)
    g_signal_handlers_disconnect_by_data (self->dnd, self);
  if (self->router != NULL)
    g_signal_handlers_disconnect_by_data (self->router, self);
  save_held (self);
  g_clear_object (&self->dnd);
  stop_forwarders (self);

  if (self->watches != NULL)
    tw_watches_clear (self->watches);
  if (self->jobs != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->jobs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        tw_job_stop_following (value);
    }
  /* The dock's last Update goes out with the connection's flush on exit. */
  if (self->launcher != NULL)
    tw_launcher_clear (self->launcher);
  g_clear_object (&self->launcher);
  g_clear_object (&self->overview);
  if (self->control != NULL)
    g_signal_handlers_disconnect_by_data (self->control, self);
  g_clear_object (&self->control);
  g_clear_object (&self->router);
  g_clear_object (&self->desktop);
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    g_clear_object (&self->forwarders[i]);
  g_clear_object (&self->http);
  g_clear_object (&self->report_event);
  g_clear_pointer (&self->report_run, json_node_unref);
  g_clear_object (&self->inotify);
  g_clear_object (&self->history);
  g_clear_object (&self->config);

  G_APPLICATION_CLASS (tw_application_parent_class)->shutdown (application);
}

static gboolean
tw_application_dbus_register (GApplication     *application,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  TwApplication *self = TW_APPLICATION (application);

  if (!G_APPLICATION_CLASS (tw_application_parent_class)->dbus_register (application, connection, object_path,
                                                                         error))
    return FALSE;

  if (self->tray_menu == NULL)
    self->tray_menu = tw_tray_menu_new (self->jobs, &self->recent);
  if (!tw_tray_menu_export (self->tray_menu, connection, error))
    return FALSE;

  if (self->control == NULL)
    {
      self->control = tw_control_new ();
      g_signal_connect (self->control, "get-status", G_CALLBACK (control_get_status_cb), self);
      g_signal_connect (self->control, "test-channel", G_CALLBACK (control_test_channel_cb), self);
    }
  return tw_control_export (self->control, connection, object_path, error);
}

static void
tw_application_dbus_unregister (GApplication    *application,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  TwApplication *self = TW_APPLICATION (application);

  if (self->tray_menu != NULL)
    tw_tray_menu_unexport (self->tray_menu);
  if (self->control != NULL)
    tw_control_unexport (self->control);

  G_APPLICATION_CLASS (tw_application_parent_class)->dbus_unregister (application, connection, object_path);
}

static int
tw_application_command_line (GApplication            *application,
                             GApplicationCommandLine *cmdline)
{
  TwApplication *self = TW_APPLICATION (application);
  g_autoptr(TwCommand) command = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  int argc;

  argv = g_application_command_line_get_arguments (cmdline, &argc);
  /* The daemon's own invocation (`trainwatch --daemon`) is not a request. */
  if (!g_application_command_line_get_is_remote (cmdline))
    return 0;

  command = tw_command_parse (argc, (const char * const *) argv, &error);
  if (command == NULL)
    {
      g_application_command_line_printerr (cmdline, "%s\n", error->message);
      return 2;
    }

  return handle_command (self, command, cmdline);
}

static void
tw_application_dispose (GObject *object)
{
  TwApplication *self = TW_APPLICATION (object);

  /* The menu reads the runs and events: it goes first. */
  g_clear_object (&self->tray_menu);
  g_queue_clear_full (&self->recent, g_object_unref);
  g_clear_object (&self->dnd);
  g_clear_pointer (&self->demos, g_ptr_array_unref);
  g_clear_object (&self->watches);
  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_pointer (&self->rules, tw_rule_set_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tw_application_parent_class)->dispose (object);
}

static void
tw_application_finalize (GObject *object)
{
  TwApplication *self = TW_APPLICATION (object);

  g_clear_pointer (&self->history_error, g_free);
  g_clear_pointer (&self->held_path, g_free);

  G_OBJECT_CLASS (tw_application_parent_class)->finalize (object);
}

static void
tw_application_class_init (TwApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tw_application_dispose;
  object_class->finalize = tw_application_finalize;

  app_class->startup = tw_application_startup;
  app_class->shutdown = tw_application_shutdown;
  app_class->command_line = tw_application_command_line;
  app_class->dbus_register = tw_application_dbus_register;
  app_class->dbus_unregister = tw_application_dbus_unregister;
}

static void
tw_application_init (TwApplication *self)
{
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->demos = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->recent);
}

/**
 * tw_application_new:
 *
 * Creates the daemon. It registers as a D-Bus service, so a second daemon
 * fails to register instead of running beside the first.
 *
 * Returns: (transfer full): the daemon's application object
 */
TwApplication *
tw_application_new (void)
{
  return g_object_new (TW_TYPE_APPLICATION,
                       "application-id", DAEMON_BUS_NAME,
                       "flags", G_APPLICATION_IS_SERVICE | G_APPLICATION_HANDLES_COMMAND_LINE |
                                G_APPLICATION_SEND_ENVIRONMENT,
                       NULL);
}

/**
 * tw_application_post_event:
 * @self: a #TwApplication
 * @event: a new event
 *
 * Accepts an event: numbers it, attaches it to its run, appends it to the
 * history, and routes it to the channels. A history that cannot be written
 * (a full disk) is reported once in the log and in `status`; the event
 * still reaches the channels.
 */
void
tw_application_post_event (TwApplication *self,
                           TwEvent       *event)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) delivered = NULL;
  TwJob *job = NULL;

  g_return_if_fail (TW_IS_APPLICATION (self));
  g_return_if_fail (TW_IS_EVENT (event));

  tw_event_set_id (event, ++self->last_event_id);

  if (tw_event_get_job (event) != NULL)
    {
      job = ensure_job (self, tw_event_get_job (event), tw_event_get_log_path (event));
      if (tw_event_get_log_path (event) == NULL && tw_job_get_log_path (job) != NULL)
        tw_event_set_log_path (event, tw_job_get_log_path (job));
      tw_job_record_event (job, event);
    }

  /* The channels first: a notification is what the person waits for, and
   * the bookkeeping below does not change where the event goes. */
  delivered = tw_router_route (self->router, event, job, g_get_real_time ());

  if (!tw_history_append (self->history, event, &error))
    {
      if (g_strcmp0 (self->history_error, error->message) != 0)
        g_message ("%s", error->message);
      g_free (self->history_error);
      self->history_error = g_strdup (error->message);
    }
  else
    {
      g_clear_pointer (&self->history_error, g_free);
    }

  remember_event (self, event);
  if (self->overview != NULL)
    tw_overview_post_event (self->overview, event);
  queue_refresh (self);
}
