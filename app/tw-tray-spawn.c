/* tw-tray-spawn.c — starts trainwatch-tray while a StatusNotifierWatcher is on the bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tray icon is a program of its own (GTK 3, see DESIGN.md). The daemon
 * starts it once a panel that shows StatusNotifierItems owns
 * org.kde.StatusNotifierWatcher, and never on a desktop without one (or a
 * server without a desktop). When it dies it is started again after a delay
 * that doubles with each exit soon after a start; after MAX_FAST_EXITS of
 * those in a row the daemon gives up until a panel appears anew. A panel
 * that restarts needs nothing from here: the running tray registers again
 * by itself. On quit the tray is sent SIGTERM (it also leaves by itself when
 * the daemon's bus name goes away). The config's [general] tray-icon turns it
 * off and on again at once (the preferences window's "Show the tray icon").
 */
#include "config.h"

#include "tw-tray-spawn.h"

#include <glib/gi18n.h>
#include <signal.h>

#include "tw-config.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
/* An exit this soon after the start counts as a crash. */
#define FAST_EXIT_S 30
#define MAX_FAST_EXITS 5
#define FIRST_DELAY_MS 500
#define MAX_DELAY_MS 30000

struct _TwTraySpawn
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *program;       /* NULL: no tray */
  TwConfig        *config;        /* nullable */
  gboolean         enabled;       /* [general] tray-icon */
  gboolean         terminating;   /* sent SIGTERM because it was turned off */
  guint            watch_id;
  gboolean         watcher_known;
  gboolean         watcher_present;

  GSubprocess     *process;
  GCancellable    *cancellable;
  gint64           started;       /* monotonic µs */
  guint            n_starts;
  guint            fast_exits;    /* in a row */
  guint            restart_id;
  gboolean         given_up;
  gboolean         stopped;
  char            *last_exit;     /* how it last ended, for status */
};

G_DEFINE_FINAL_TYPE (TwTraySpawn, tw_tray_spawn, G_TYPE_OBJECT)

enum
{
  STARTING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start (TwTraySpawn *self);

static gboolean
restart_cb (gpointer user_data)
{
  TwTraySpawn *self = user_data;

  self->restart_id = 0;
  if (self->watcher_present)
    start (self);

  return G_SOURCE_REMOVE;
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;
  TwTraySpawn *self;
  gint64 ran;
  guint delay;

  if (!g_subprocess_wait_finish (process, result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* stopped, maybe disposed: do not touch user_data */

  self = user_data;
  g_clear_object (&self->process);
  if (self->terminating)
    {
      /* Turned off, and maybe on again meanwhile: not a crash. */
      self->terminating = FALSE;
      g_debug ("The tray icon was turned off");
      if (self->enabled && self->watcher_present && !self->stopped)
        start (self);
      return;
    }
  g_free (self->last_exit);
  if (g_subprocess_get_if_signaled (process))
    self->last_exit = g_strdup_printf (_("ended by signal %d"), g_subprocess_get_term_sig (process));
  else
    self->last_exit = g_strdup_printf (_("exited with status %d"), g_subprocess_get_exit_status (process));
  g_message ("The tray icon (process %s) %s", g_subprocess_get_identifier (process) != NULL ? g_subprocess_get_identifier (process) : "?", self->last_exit);

  if (self->stopped)
    return;

  ran = g_get_monotonic_time () - self->started;
  if (ran < FAST_EXIT_S * G_USEC_PER_SEC)
    self->fast_exits++;
  else
    self->fast_exits = 0;

  if (self->fast_exits >= MAX_FAST_EXITS)
    {
      self->given_up = TRUE;
      g_message (_("The tray icon stopped %u times in a row soon after it started; it is not started again "
                   "until the panel restarts."), self->fast_exits);
      return;
    }

  delay = self->fast_exits == 0 ? FIRST_DELAY_MS : MIN ((guint) FIRST_DELAY_MS << (self->fast_exits - 1), MAX_DELAY_MS);
  g_debug ("Starting the tray icon again in %u ms", delay);
  self->restart_id = g_timeout_add (delay, restart_cb, self);
}

static void
start (TwTraySpawn *self)
{
  g_autoptr(GError) error = NULL;

  if (self->process != NULL || self->restart_id != 0 || self->given_up || self->stopped || self->program == NULL ||
      !self->enabled)
    return;

  /* The tray shows the menu as it is when it asks for it. */
  g_signal_emit (self, signals[STARTING], 0);

  /* Its messages go where the daemon's go (daemon.log). */
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, self->program, NULL);
  if (self->process == NULL)
    {
      self->given_up = TRUE;
      g_free (self->last_exit);
      self->last_exit = g_strdup (error->message);
      g_message (_("Failed to start the tray icon %s: %s"), self->program, error->message);
      return;
    }

  self->started = g_get_monotonic_time ();
  self->n_starts++;
  g_debug ("Started the tray icon %s (process %s)", self->program, g_subprocess_get_identifier (self->process));
  g_subprocess_wait_async (self->process, self->cancellable, wait_cb, self);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *owner,
                     gpointer         user_data)
{
  TwTraySpawn *self = user_data;

  self->watcher_known = TRUE;
  self->watcher_present = TRUE;
  /* A new panel is a new chance for a tray that kept crashing. */
  if (self->given_up && self->process == NULL)
    {
      self->given_up = FALSE;
      self->fast_exits = 0;
    }
  start (self);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  TwTraySpawn *self = user_data;

  /* A running tray stays: it registers again when a panel comes back. */
  self->watcher_known = TRUE;
  self->watcher_present = FALSE;
}

static void
config_changed_cb (TwConfig *config,
                   gpointer  user_data)
{
  TwTraySpawn *self = user_data;
  gboolean enabled = tw_config_get_boolean (config, "general", "tray-icon");

  if (enabled == self->enabled)
    return;

  self->enabled = enabled;
  if (!enabled)
    {
      g_clear_handle_id (&self->restart_id, g_source_remove);
      if (self->process != NULL && !self->terminating)
        {
          self->terminating = TRUE;
          g_subprocess_send_signal (self->process, SIGTERM);
        }
    }
  else if (self->watcher_present && !self->terminating)
    {
      /* Turning it on again is a fresh start, also after it kept crashing. */
      self->given_up = FALSE;
      self->fast_exits = 0;
      start (self);
    }
}

static void
tw_tray_spawn_dispose (GObject *object)
{
  TwTraySpawn *self = TW_TRAY_SPAWN (object);

  tw_tray_spawn_stop (self);
  if (self->config != NULL)
    g_signal_handlers_disconnect_by_data (self->config, self);
  g_clear_object (&self->config);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (tw_tray_spawn_parent_class)->dispose (object);
}

static void
tw_tray_spawn_finalize (GObject *object)
{
  TwTraySpawn *self = TW_TRAY_SPAWN (object);

  g_clear_pointer (&self->program, g_free);
  g_clear_pointer (&self->last_exit, g_free);

  G_OBJECT_CLASS (tw_tray_spawn_parent_class)->finalize (object);
}

static void
tw_tray_spawn_class_init (TwTraySpawnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_tray_spawn_dispose;
  object_class->finalize = tw_tray_spawn_finalize;

  /**
   * TwTraySpawn::starting:
   *
   * Emitted just before the tray program is started (again).
   */
  signals[STARTING] = g_signal_new ("starting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                    NULL, G_TYPE_NONE, 0);
}

static void
tw_tray_spawn_init (TwTraySpawn *self)
{
  self->cancellable = g_cancellable_new ();
  self->enabled = TRUE;
}

/**
 * tw_tray_spawn_dup_default_program:
 *
 * The tray program the daemon starts: `$TRAINWATCH_TRAY` when set (empty
 * for none, as tests and headless setups may want), else the installed
 * `trainwatch-tray` in the libexec folder.
 *
 * Returns: (transfer full) (nullable): a path, or %NULL for no tray
 */
char *
tw_tray_spawn_dup_default_program (void)
{
  const char *env = g_getenv (TW_ENV_TRAY);

  if (env != NULL)
    return *env != '\0' ? g_strdup (env) : NULL;

  return g_build_filename (LIBEXECDIR, "trainwatch-tray", NULL);
}

/**
 * tw_tray_spawn_new:
 * @connection: the session bus
 * @program: (nullable): the tray program, %NULL for none
 * @config: (nullable): the daemon's config, whose [general] tray-icon turns
 *   the tray off and on; %NULL: always on
 *
 * Watches for a StatusNotifierWatcher on @connection and starts @program
 * while there is one (and the config wants it), until tw_tray_spawn_stop().
 *
 * Returns: (transfer full): a new #TwTraySpawn
 */
TwTraySpawn *
tw_tray_spawn_new (GDBusConnection *connection,
                   const char      *program,
                   TwConfig        *config)
{
  TwTraySpawn *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (config == NULL || TW_IS_CONFIG (config), NULL);

  self = g_object_new (TW_TYPE_TRAY_SPAWN, NULL);
  self->connection = g_object_ref (connection);
  self->program = g_strdup (program);
  if (config != NULL)
    {
      self->config = g_object_ref (config);
      self->enabled = tw_config_get_boolean (config, "general", "tray-icon");
      g_signal_connect (config, "changed", G_CALLBACK (config_changed_cb), self);
    }
  if (program != NULL)
    self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     watcher_appeared_cb, watcher_vanished_cb, self, NULL);

  return self;
}

/**
 * tw_tray_spawn_is_idle:
 * @self: a #TwTraySpawn
 *
 * Returns: %TRUE when there is a tray program but it is not running, so
 *   that nothing shows the tray menu now; %FALSE while it runs, and when
 *   there is no tray program (something else may show the menu then)
 */
gboolean
tw_tray_spawn_is_idle (TwTraySpawn *self)
{
  g_return_val_if_fail (TW_IS_TRAY_SPAWN (self), FALSE);

  return self->program != NULL && self->process == NULL;
}

/**
 * tw_tray_spawn_stop:
 * @self: a #TwTraySpawn
 *
 * Stops watching, and ends the tray program (SIGTERM) without waiting for it.
 */
void
tw_tray_spawn_stop (TwTraySpawn *self)
{
  g_return_if_fail (TW_IS_TRAY_SPAWN (self));

  self->stopped = TRUE;
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->restart_id, g_source_remove);
  if (self->process != NULL)
    {
      g_subprocess_send_signal (self->process, SIGTERM);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->process);
    }
}

/**
 * tw_tray_spawn_add_json:
 * @self: a #TwTraySpawn
 * @builder: a #JsonBuilder inside an object
 *
 * Adds the members `program` (null when none), `state` ("disabled", "hidden"
 * by the config's [general] tray-icon, "waiting" for a panel, "running", "restarting", "given-up", "stopped"), `watcher`
 * (whether a StatusNotifierWatcher is on the bus; null before the daemon knows),
 * `pid` (null when not running), `starts` and `last_exit` (how it last ended,
 * or why it could not start; null before).
 */
void
tw_tray_spawn_add_json (TwTraySpawn *self,
                        JsonBuilder *builder)
{
  const char *state;
  const char *pid;

  g_return_if_fail (TW_IS_TRAY_SPAWN (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  if (self->program == NULL)
    state = "disabled";
  else if (!self->enabled && self->process == NULL)
    state = "hidden";
  else if (self->stopped)
    state = "stopped";
  else if (self->process != NULL)
    state = "running";
  else if (self->given_up)
    state = "given-up";
  else if (self->restart_id != 0)
    state = "restarting";
  else
    state = "waiting";

  json_builder_set_member_name (builder, "program");
  json_builder_add_string_value (builder, self->program);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "watcher");
  if (self->watcher_known)
    json_builder_add_boolean_value (builder, self->watcher_present);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "pid");
  pid = self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;
  if (pid != NULL)
    json_builder_add_int_value (builder, g_ascii_strtoll (pid, NULL, 10));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "starts");
  json_builder_add_int_value (builder, self->n_starts);
  json_builder_set_member_name (builder, "last_exit");
  json_builder_add_string_value (builder, self->last_exit);
}
