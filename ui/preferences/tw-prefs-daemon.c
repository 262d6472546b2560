/* tw-prefs-daemon.c — the preferences window's view of the running daemon, over D-Bus
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows the daemon's bus name. While it is there, the daemon's status (the
 * JSON of `trainwatch status --json`, from the Control interface's GetStatus)
 * is fetched again on each Changed signal, and its exported actions give the
 * pause: `resume` is enabled exactly while notifications are paused. Every call
 * is asynchronous, so a daemon that hangs never freezes the window.
 */
#include "config.h"

#include "tw-prefs-daemon.h"

#include <glib/gi18n.h>

/* Sending a test waits for the server, which may take its time (libcurl's own
 * timeouts are 30 s); the daemon answers within that. */
#define TEST_TIMEOUT_MS 60000
#define STATUS_TIMEOUT_MS 10000

struct _TwPrefsDaemon
{
  GObject          parent_instance;

  GDBusConnection *connection;
  guint            watch_id;
  guint            changed_id;
  gboolean         running;
  GDBusActionGroup *actions;
  GCancellable    *cancellable;    /* status calls; renewed when the daemon goes */
  gboolean         fetching;
  gboolean         fetch_again;
  JsonObject      *status;         /* nullable */
  char            *status_error;   /* nullable */
};

G_DEFINE_FINAL_TYPE (TwPrefsDaemon, tw_prefs_daemon, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void fetch_status (TwPrefsDaemon *self);

static void
set_status (TwPrefsDaemon *self,
            JsonObject    *status,
            const char    *error)
{
  g_clear_pointer (&self->status, json_object_unref);
  if (status != NULL)
    self->status = json_object_ref (status);
  g_free (self->status_error);
  self->status_error = g_strdup (error);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
get_status_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TwPrefsDaemon) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *json;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->fetching = FALSE;
  if (reply == NULL)
    {
      g_autofree char *remote = NULL;

      if (g_dbus_error_is_remote_error (error))
        {
          remote = g_dbus_error_get_remote_error (error);
          g_dbus_error_strip_remote_error (error);
        }
      if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownMethod") == 0 ||
          g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownInterface") == 0 ||
          g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownObject") == 0)
        set_status (self, NULL, _("The running daemon does not report its state to this window; it is "
                                  "older than the window. Restart it with “trainwatch quit” and “trainwatch”."));
      else
        set_status (self, NULL, error->message);
    }
  else
    {
      g_variant_get (reply, "(&s)", &json);
      if (!json_parser_load_from_data (parser, json, -1, &error) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        set_status (self, NULL, error != NULL ? error->message : _("The daemon’s status is not a JSON object."));
      else
        set_status (self, json_node_get_object (json_parser_get_root (parser)), NULL);
    }

  if (self->fetch_again && self->running)
    {
      self->fetch_again = FALSE;
      fetch_status (self);
    }
}

static void
fetch_status (TwPrefsDaemon *self)
{
  if (self->fetching)
    {
      self->fetch_again = TRUE;
      return;
    }

  self->fetching = TRUE;
  g_dbus_connection_call (self->connection, DAEMON_BUS_NAME, DAEMON_OBJECT_PATH, TW_PREFS_DAEMON_INTERFACE,
                          "GetStatus", NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          STATUS_TIMEOUT_MS, self->cancellable, get_status_cb, g_object_ref (self));
}

static void
status_changed_cb (GDBusConnection *connection,
                   const char      *sender,
                   const char      *path,
                   const char      *interface,
                   const char      *signal,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  fetch_status (user_data);
}

static void
actions_changed_cb (GActionGroup *group,
                    const char   *name,
                    gpointer      user_data)
{
  if (g_str_equal (name, "resume"))
    g_signal_emit (user_data, signals[CHANGED], 0);
}

static void
action_enabled_changed_cb (GActionGroup *group,
                           const char   *name,
                           gboolean      enabled,
                           gpointer      user_data)
{
  actions_changed_cb (group, name, user_data);
}

static void
clear_daemon (TwPrefsDaemon *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->fetching = FALSE;
  self->fetch_again = FALSE;
  if (self->actions != NULL)
    g_signal_handlers_disconnect_by_data (self->actions, self);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->status, json_object_unref);
  g_clear_pointer (&self->status_error, g_free);
}

static void
daemon_appeared_cb (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  TwPrefsDaemon *self = user_data;
  g_auto(GStrv) names = NULL;

  clear_daemon (self);
  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  self->actions = g_dbus_action_group_get (connection, DAEMON_BUS_NAME, DAEMON_OBJECT_PATH);
  g_signal_connect (self->actions, "action-added", G_CALLBACK (actions_changed_cb), self);
  g_signal_connect (self->actions, "action-removed", G_CALLBACK (actions_changed_cb), self);
  g_signal_connect (self->actions, "action-enabled-changed", G_CALLBACK (action_enabled_changed_cb), self);
  /* Asking starts the group's own asynchronous description of the actions. */
  names = g_action_group_list_actions (G_ACTION_GROUP (self->actions));
  fetch_status (self);
}

static void
daemon_vanished_cb (GDBusConnection *connection,
                    const char      *name,
                    gpointer         user_data)
{
  TwPrefsDaemon *self = user_data;

  clear_daemon (self);
  self->running = FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
tw_prefs_daemon_dispose (GObject *object)
{
  TwPrefsDaemon *self = TW_PREFS_DAEMON (object);

  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->changed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->changed_id);
  self->changed_id = 0;
  clear_daemon (self);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (tw_prefs_daemon_parent_class)->dispose (object);
}

static void
tw_prefs_daemon_class_init (TwPrefsDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_prefs_daemon_dispose;

  /**
   * TwPrefsDaemon::changed:
   *
   * The daemon came or went, its status changed, or its pause did.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
tw_prefs_daemon_init (TwPrefsDaemon *self)
{
}

/**
 * tw_prefs_daemon_new:
 * @connection: the session bus
 *
 * Starts following the daemon on @connection. It is never started from here:
 * the window works on the config file alone when no daemon runs.
 *
 * Returns: (transfer full): a new #TwPrefsDaemon
 */
TwPrefsDaemon *
tw_prefs_daemon_new (GDBusConnection *connection)
{
  TwPrefsDaemon *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  self = g_object_new (TW_TYPE_PREFS_DAEMON, NULL);
  self->connection = g_object_ref (connection);
  self->changed_id = g_dbus_connection_signal_subscribe (connection, DAEMON_BUS_NAME, TW_PREFS_DAEMON_INTERFACE,
                                                         "Changed", DAEMON_OBJECT_PATH, NULL,
                                                         G_DBUS_SIGNAL_FLAGS_NONE, status_changed_cb, self, NULL);
  self->watch_id = g_bus_watch_name_on_connection (connection, DAEMON_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   daemon_appeared_cb, daemon_vanished_cb, self, NULL);

  return self;
}

/**
 * tw_prefs_daemon_is_running:
 * @self: a #TwPrefsDaemon
 *
 * Returns: whether the daemon owns its bus name
 */
gboolean
tw_prefs_daemon_is_running (TwPrefsDaemon *self)
{
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (self), FALSE);

  return self->running;
}

/**
 * tw_prefs_daemon_get_status:
 * @self: a #TwPrefsDaemon
 *
 * Returns: (transfer none) (nullable): the daemon's last status, as
 *   `trainwatch status --json` prints it, or %NULL while none is known
 */
JsonObject *
tw_prefs_daemon_get_status (TwPrefsDaemon *self)
{
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (self), NULL);

  return self->status;
}

/**
 * tw_prefs_daemon_get_status_error:
 * @self: a #TwPrefsDaemon
 *
 * Returns: (nullable): why the last status could not be read, translated
 */
const char *
tw_prefs_daemon_get_status_error (TwPrefsDaemon *self)
{
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (self), NULL);

  return self->status_error;
}

/**
 * tw_prefs_daemon_is_paused:
 * @self: a #TwPrefsDaemon
 *
 * Returns: whether notifications are paused (`trainwatch pause`), as far as known
 */
gboolean
tw_prefs_daemon_is_paused (TwPrefsDaemon *self)
{
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (self), FALSE);

  if (self->actions == NULL || !g_action_group_has_action (G_ACTION_GROUP (self->actions), "resume"))
    return FALSE;

  return g_action_group_get_action_enabled (G_ACTION_GROUP (self->actions), "resume");
}

/**
 * tw_prefs_daemon_set_paused:
 * @self: a #TwPrefsDaemon
 * @paused: %TRUE to pause notifications until resumed, %FALSE to resume
 *
 * Does what `trainwatch pause` and `trainwatch resume` do, through the daemon's actions.
 *
 * Returns: %FALSE when the daemon does not run (or has not told its actions yet)
 */
gboolean
tw_prefs_daemon_set_paused (TwPrefsDaemon *self,
                            gboolean       paused)
{
  g_return_val_if_fail (TW_IS_PREFS_DAEMON (self), FALSE);

  if (self->actions == NULL || !g_action_group_has_action (G_ACTION_GROUP (self->actions), "pause"))
    return FALSE;

  /* Not checked against the group's idea of "resume" being enabled: that comes a
   * little after the pause itself, and the daemon ignores a resume with no pause. */
  if (paused)
    g_action_group_activate_action (G_ACTION_GROUP (self->actions), "pause", g_variant_new_string (""));
  else
    g_action_group_activate_action (G_ACTION_GROUP (self->actions), "resume", NULL);

  return TRUE;
}

static void
test_channel_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      if (g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownMethod") == 0 ||
          g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownInterface") == 0 ||
          g_strcmp0 (remote, "org.freedesktop.DBus.Error.UnknownObject") == 0)
        g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD, "%s",
                                 _("The running daemon cannot send tests; it is older than this window. "
                                   "Restart it with “trainwatch quit” and “trainwatch”."));
      else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
               g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
        g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, "%s",
                                 _("Trainwatch is not running; start it to send a test."));
      else
        {
          g_dbus_error_strip_remote_error (error);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      return;
    }

  g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

/**
 * tw_prefs_daemon_test_channel_async:
 * @self: a #TwPrefsDaemon
 * @channel: `email`, `slack` or `discord`
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the outcome
 * @user_data: for @callback
 *
 * Asks the daemon to send a test message through @channel now.
 */
void
tw_prefs_daemon_test_channel_async (TwPrefsDaemon       *self,
                                    const char          *channel,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TW_IS_PREFS_DAEMON (self));
  g_return_if_fail (channel != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tw_prefs_daemon_test_channel_async);
  g_dbus_connection_call (self->connection, DAEMON_BUS_NAME, DAEMON_OBJECT_PATH, TW_PREFS_DAEMON_INTERFACE,
                          "TestChannel", g_variant_new ("(s)", channel), G_VARIANT_TYPE ("(ss)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, TEST_TIMEOUT_MS, cancellable, test_channel_cb, task);
}

/**
 * tw_prefs_daemon_test_channel_finish:
 * @self: a #TwPrefsDaemon
 * @result: the result
 * @out_verdict: (out) (transfer full): accepted, retry, rejected, disable or unavailable
 * @out_answer: (out) (transfer full): the server's answer, for a person to read
 * @error: the call's failure (not the server's refusal, which is a verdict)
 *
 * Returns: whether the daemon answered
 */
gboolean
tw_prefs_daemon_test_channel_finish (TwPrefsDaemon  *self,
                                     GAsyncResult   *result,
                                     char          **out_verdict,
                                     char          **out_answer,
                                     GError        **error)
{
  g_autoptr(GVariant) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return FALSE;

  g_variant_get (reply, "(ss)", out_verdict, out_answer);
  return TRUE;
}
