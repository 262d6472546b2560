/* tw-desktop-channel.c — native desktop notifications through libnotify, off the main loop
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-desktop-channel.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <libnotify/notify.h>

/*
 * How it works.
 *
 * libnotify talks to the notification server with synchronous D-Bus calls,
 * and a server stopped with SIGSTOP makes each of them wait for the 25 s
 * D-Bus timeout. So every libnotify call (notify_init, the server
 * information and capabilities, show, the action and closed callbacks,
 * notify_uninit) happens in one worker thread. It owns a GMainContext,
 * pushed as its thread-default context before libnotify creates its proxy,
 * so the proxy's signals (ActionInvoked, NotificationClosed) and our watch
 * on the server's bus name dispatch there, and it runs a GMainLoop on it.
 * deliver() copies what it needs from the event into a Request, queues it
 * under a lock and wakes the worker; it never waits.
 *
 * While the server hangs, requests pile up: only the newest per job is kept
 * (that job's notification is updated in place anyway, so older states would
 * be overwritten at once), and the queue is bounded, dropping the oldest
 * request below error level first, so a hung server cannot grow memory.
 *
 * The state the thread and the channel share lives in a refcounted Worker,
 * so that at dispose a thread stuck in a call to a hung server can be left
 * behind without touching a finalized channel.
 *
 * libnotify keeps global state (its proxy, its list of live notifications),
 * so at most one worker at a time may use it: a worker holds libnotify_lock
 * for its whole life, and a second channel's worker waits in its own thread.
 */

/* libnotify 0.8 declares no autoptr cleanup for its notification type. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NotifyNotification, g_object_unref)

#define NOTIFICATIONS_BUS_NAME  "org.freedesktop.Notifications"
#define MAX_QUEUED              64    /* requests waiting for the worker */
#define MAX_JOBLESS_KEPT        32    /* notifications without a job kept for their actions */
#define MAX_TITLE_BYTES         256
#define MAX_BODY_BYTES          4096
#define DEFAULT_SNOOZE_MINUTES  60
#define BUS_CALL_TIMEOUT_MSEC   5000  /* calls to the bus daemon itself, which does not hang */
#define STOP_TIMEOUT_USEC       (3 * G_USEC_PER_SEC)

/* What the worker needs from one event, copied on the caller's thread. */
typedef struct
{
  TwEventKind  kind;
  TwLevel      level;
  char        *job;        /* nullable */
  char        *title;
  char        *body;       /* nullable */
  char        *log_path;   /* nullable */
  double       progress;   /* 0..1, or < 0 when unknown */
} Request;

typedef struct
{
  gatomicrefcount  ref_count;

  /* Set before the thread starts, then read-only. */
  char            *app_name;
  char            *icon_name;
  GMainContext    *owner_context;   /* where "action-invoked" is emitted */
  GWeakRef         channel;
  GMainContext    *context;         /* the worker thread's */
  GMainLoop       *loop;

  /* Shared between the threads: protected by lock. */
  GMutex           lock;
  GCond            cond;
  GQueue           queue;           /* of Request *, oldest first */
  gboolean         wake_pending;
  guint            in_flight;
  gboolean         stopping;
  gboolean         finished;
  gboolean         checked;         /* the server was asked at least once */
  gboolean         available;
  char            *server;          /* "name version", nullable */
  GStrv            caps;            /* nullable */
  char            *last_error;      /* nullable */
  guint64          sent;
  guint64          failed;
  guint64          dropped;
  guint64          coalesced;
  gboolean         sound;
  guint            snooze_minutes;

  /* Used by the worker thread only. */
  GDBusConnection *connection;
  guint            watch_id;
  char            *owner;           /* unique name of the server, nullable */
  gboolean         server_known;    /* the capabilities below are current */
  gboolean         has_actions;
  gboolean         has_markup;
  GHashTable      *notifications;   /* job name → NotifyNotification */
  GQueue           jobless;         /* NotifyNotification * without a job, kept for actions */
} Worker;

/* An action the server reported, on its way to the owner context. */
typedef struct
{
  Worker     *worker;
  char       *job;                  /* nullable */
  const char *action;               /* "open-log" or "snooze" */
} ActionCall;

struct _TwDesktopChannel
{
  GObject  parent_instance;

  Worker  *worker;
  GThread *thread;                  /* NULL until started, and after dispose */
};

static void tw_desktop_channel_channel_iface_init (TwChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TwDesktopChannel, tw_desktop_channel, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TW_TYPE_CHANNEL,
                                                      tw_desktop_channel_channel_iface_init))

enum
{
  ACTION_INVOKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GMutex libnotify_lock;

static void
request_free (Request *request)
{
  g_free (request->job);
  g_free (request->title);
  g_free (request->body);
  g_free (request->log_path);
  g_free (request);
}

static Request *
request_new (TwEvent *event)
{
  Request *request = g_new0 (Request, 1);

  request->kind = tw_event_get_kind (event);
  request->level = tw_event_get_level (event);
  request->job = g_strdup (tw_event_get_job (event));
  request->title = g_strdup (tw_event_get_title (event));
  request->body = g_strdup (tw_event_get_body (event));
  request->log_path = g_strdup (tw_event_get_log_path (event));
  request->progress = tw_event_get_progress (event);

  return request;
}

static Worker *
worker_new (void)
{
  Worker *self = g_new0 (Worker, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->app_name = g_strdup (PACKAGE_NAME);
  self->icon_name = g_strdup (APP_ID);
  self->owner_context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&self->channel, NULL);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->snooze_minutes = DEFAULT_SNOOZE_MINUTES;
  g_queue_init (&self->jobless);

  return self;
}

static Worker *
worker_ref (Worker *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
worker_unref (Worker *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  /* The thread has cleaned up what only it may touch before dropping its
   * reference, so only plain memory is left. */
  g_assert (self->connection == NULL);
  g_assert (self->notifications == NULL);

  g_free (self->app_name);
  g_free (self->icon_name);
  g_main_context_unref (self->owner_context);
  g_weak_ref_clear (&self->channel);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_queue_clear_full (&self->queue, (GDestroyNotify) request_free);
  g_free (self->server);
  g_strfreev (self->caps);
  g_free (self->last_error);
  g_free (self);
}

/* Cuts @text to at most @max_bytes on a character boundary, ending it with
 * "…" when something was cut, after repairing invalid UTF-8 (D-Bus rejects
 * it, and log text is untrusted). */
static char *
cap_text (const char *text,
          gsize       max_bytes)
{
  static const char ellipsis[] = "…";
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  gsize keep;

  if (strlen (valid) <= max_bytes)
    return g_steal_pointer (&valid);

  g_assert (max_bytes >= sizeof ellipsis);
  keep = max_bytes - (sizeof ellipsis - 1);
  while (keep > 0 && (valid[keep] & 0xC0) == 0x80)
    keep--;
  valid[keep] = '\0';

  return g_strconcat (valid, ellipsis, NULL);
}

static gint32
get_percent (double progress)
{
  return (gint32) CLAMP (lround (progress * 100.0), 0, 100);
}

static gboolean
is_critical (TwLevel level)
{
  return level >= TW_LEVEL_ERROR;
}

/* Categories from the notification specification where one fits: a finished
 * run is a completed transfer, a run that died (exception, out of memory,
 * NaN) a failed one. Everything else gets a vendor category named after the
 * event kind, "x-trainwatch.<kind>", so that servers with per-category rules
 * can still tell them apart. */
static char *
dup_category (TwEventKind kind)
{
  switch (kind)
    {
    case TW_EVENT_RUN_COMPLETED:
      return g_strdup ("transfer.complete");

    case TW_EVENT_RUN_FAILED:
    case TW_EVENT_OUT_OF_MEMORY:
    case TW_EVENT_NAN_DETECTED:
      return g_strdup ("transfer.error");

    default:
      return g_strconcat ("x-trainwatch.", tw_event_kind_to_string (kind), NULL);
    }
}

/* Names from the freedesktop sound naming specification. */
static const char *
get_sound_name (TwLevel level)
{
  switch (level)
    {
    case TW_LEVEL_SUCCESS:
      return "complete";

    case TW_LEVEL_WARNING:
      return "dialog-warning";

    case TW_LEVEL_ERROR:
    case TW_LEVEL_CRITICAL:
      return "dialog-error";

    case TW_LEVEL_INFO:
    default:
      return "message-new-instant";
    }
}

static char *
dup_snooze_label (guint minutes)
{
  if (minutes >= 60 && minutes % 60 == 0)
    {
      guint hours = minutes / 60;

      /* Translators: a button on a notification that silences the run's
       * notifications for this many hours */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Snooze %u hour", "Snooze %u hours",
                                           hours),
                              hours);
    }

  /* Translators: a button on a notification that silences the run's
   * notifications for this many minutes */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Snooze %u minute", "Snooze %u minutes",
                                       minutes),
                          minutes);
}

/* Everything below until the interface implementation runs in the worker
 * thread, except where a comment says otherwise. */

static void
set_unavailable (Worker     *self,
                 const char *message)
{
  gboolean changed;

  self->server_known = FALSE;

  g_mutex_lock (&self->lock);
  changed = !self->checked || self->available || g_strcmp0 (self->last_error, message) != 0;
  self->checked = TRUE;
  self->available = FALSE;
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->caps, g_strfreev);
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_mutex_unlock (&self->lock);

  /* Once per change of state, never once per event. */
  if (changed)
    g_message ("Desktop notifications are unavailable: %s", message);
  else
    g_debug ("Desktop notifications are still unavailable: %s", message);
}

static void
set_available (Worker     *self,
               const char *server,
               GStrv       caps)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = !self->checked || !self->available || g_strcmp0 (self->server, server) != 0;
  self->checked = TRUE;
  self->available = TRUE;
  g_free (self->server);
  self->server = g_strdup (server);
  g_strfreev (self->caps);
  self->caps = g_strdupv (caps);
  g_mutex_unlock (&self->lock);

  if (changed)
    g_message ("Desktop notifications go to %s", server);
}

static void
forget_notifications (Worker *self)
{
  /* Ids of notifications mean nothing to another server; dropping our
   * references also keeps notify_uninit() from closing them (see
   * worker_thread()). */
  g_hash_table_remove_all (self->notifications);
  g_queue_clear_full (&self->jobless, g_object_unref);
}

static gboolean
bus_name_has_owner (Worker *self)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  if (self->connection == NULL)
    return FALSE;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner",
                                       g_variant_new ("(s)", NOTIFICATIONS_BUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       BUS_CALL_TIMEOUT_MSEC, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);

  return has_owner;
}

static gboolean
bus_name_is_activatable (Worker *self)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  if (self->connection == NULL)
    return FALSE;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                                       BUS_CALL_TIMEOUT_MSEC, NULL, NULL);
  if (reply == NULL)
    return FALSE;

  g_variant_get (reply, "(^a&s)", &names);
  return g_strv_contains (names, NOTIFICATIONS_BUS_NAME);
}

static gboolean
query_server (Worker *self);

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  Worker *self = user_data;
  gboolean first = self->owner == NULL;

  if (g_strcmp0 (self->owner, owner) == 0)
    return;

  g_debug ("%s is now owned by %s", name, owner);
  g_free (self->owner);
  self->owner = g_strdup (owner);

  /* The first owner we see is usually the server query_server() already
   * asked; a new one may have other capabilities. */
  if (!first)
    forget_notifications (self);
  if (!first || !self->server_known)
    query_server (self);
}

static void
name_vanished_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Worker *self = user_data;

  if (self->owner != NULL)
    {
      g_debug ("%s lost its owner %s", name, self->owner);
      forget_notifications (self);
      g_clear_pointer (&self->owner, g_free);
    }

  self->server_known = FALSE;

  /* A server the bus starts on demand is not missing: the next show starts it. */
  if (bus_name_is_activatable (self))
    g_debug ("%s can be started on demand", name);
  else
    set_unavailable (self, _("No notification server on the session bus"));
}

static gboolean
ensure_connection (Worker *self)
{
  g_autoptr(GError) error = NULL;

  if (self->connection != NULL)
    return TRUE;

  self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (self->connection == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("No session bus: %s"), error->message);

      set_unavailable (self, message);
      return FALSE;
    }

  self->watch_id = g_bus_watch_name_on_connection (self->connection, NOTIFICATIONS_BUS_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   name_appeared_cb, name_vanished_cb,
                                                   self, NULL);
  return TRUE;
}

/* Asks the server who it is and what it can do. notify_get_server_info()
 * comes first: it creates libnotify's cached proxy or fails quietly, while
 * notify_get_server_caps() warns when there is no proxy. */
static gboolean
query_server (Worker *self)
{
  g_autofree char *name = NULL;
  g_autofree char *vendor = NULL;
  g_autofree char *version = NULL;
  g_autofree char *spec_version = NULL;
  g_autofree char *server = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) caps = NULL;
  GList *caps_list;

  if (!ensure_connection (self))
    return FALSE;

  if (!notify_get_server_info (&name, &vendor, &version, &spec_version))
    {
      set_unavailable (self, bus_name_has_owner (self)
                             ? _("The notification server does not answer")
                             : _("No notification server on the session bus"));
      return FALSE;
    }

  caps_list = notify_get_server_caps ();
  builder = g_strv_builder_new ();
  for (GList *l = caps_list; l != NULL; l = l->next)
    g_strv_builder_add (builder, l->data);
  g_list_free_full (caps_list, g_free);
  caps = g_strv_builder_end (builder);

  self->has_actions = g_strv_contains ((const char * const *) caps, "actions");
  self->has_markup = g_strv_contains ((const char * const *) caps, "body-markup");
  self->server_known = TRUE;

  server = g_strdup_printf ("%s %s", name, version);
  g_debug ("Notification server %s (%s, specification %s)", server, vendor, spec_version);
  set_available (self, server, caps);

  return TRUE;
}

static gboolean
emit_action_cb (gpointer user_data)
{
  ActionCall *call = user_data;
  g_autoptr(TwDesktopChannel) channel = g_weak_ref_get (&call->worker->channel);

  /* Runs on the owner context; the channel may be gone by now. */
  if (channel != NULL)
    g_signal_emit (channel, signals[ACTION_INVOKED], 0, call->job, call->action);

  return G_SOURCE_REMOVE;
}

static void
action_call_free (ActionCall *call)
{
  worker_unref (call->worker);
  g_free (call->job);
  g_free (call);
}

static void
notification_action_cb (NotifyNotification *notification,
                        char               *action,
                        gpointer            user_data)
{
  Worker *self = user_data;
  ActionCall *call = g_new0 (ActionCall, 1);

  call->worker = worker_ref (self);
  call->job = g_strdup (g_object_get_data (G_OBJECT (notification), "tw-job"));
  /* Clicking the notification itself ("default") opens the log too. */
  call->action = g_str_equal (action, "snooze") ? "snooze" : "open-log";

  g_debug ("Action '%s' invoked for job '%s'", action, call->job != NULL ? call->job : "");
  g_main_context_invoke_full (self->owner_context, G_PRIORITY_DEFAULT, emit_action_cb, call,
                              (GDestroyNotify) action_call_free);
}

static void
notification_closed_cb (NotifyNotification *notification,
                        gpointer            user_data)
{
  Worker *self = user_data;
  const char *job = g_object_get_data (G_OBJECT (notification), "tw-job");

  /* A closed notification has no actions left to fire, and libnotify shows
   * it anew (not in place) next time, so there is nothing worth keeping.
   * libnotify holds a reference while it emits "closed". */
  if (job != NULL)
    {
      if (g_hash_table_lookup (self->notifications, job) == notification)
        g_hash_table_remove (self->notifications, job);
    }
  else if (g_queue_remove (&self->jobless, notification))
    {
      g_object_unref (notification);
    }
}

static void
apply_request (Worker             *self,
               NotifyNotification *notification,
               const Request      *request,
               gboolean            sound,
               guint               snooze_minutes)
{
  g_autofree char *category = dup_category (request->kind);

  notify_notification_set_app_name (notification, self->app_name);
  notify_notification_set_timeout (notification, NOTIFY_EXPIRES_DEFAULT);
  notify_notification_set_urgency (notification, is_critical (request->level)
                                                 ? NOTIFY_URGENCY_CRITICAL
                                                 : NOTIFY_URGENCY_NORMAL);
  notify_notification_set_category (notification, category);
  notify_notification_set_hint_string (notification, "desktop-entry", APP_ID);

  /* Hints are set or removed (NULL) one by one rather than cleared, since
   * libnotify keeps the icon in a hint of its own. */
  notify_notification_set_hint (notification, "sound-name",
                                sound ? g_variant_new_string (get_sound_name (request->level))
                                      : NULL);
  notify_notification_set_hint (notification, "suppress-sound",
                                sound ? NULL : g_variant_new_boolean (TRUE));
  notify_notification_set_hint (notification, "value",
                                request->progress >= 0.0
                                ? g_variant_new_int32 (get_percent (request->progress))
                                : NULL);

  notify_notification_clear_actions (notification);
  if (!self->has_actions)
    return;

  if (request->log_path != NULL)
    {
      notify_notification_add_action (notification, "default", _("Open log"),
                                      notification_action_cb, self, NULL);
      notify_notification_add_action (notification, "open-log", _("Open log"),
                                      notification_action_cb, self, NULL);
    }
  if (request->job != NULL && snooze_minutes > 0)
    {
      g_autofree char *label = dup_snooze_label (snooze_minutes);

      notify_notification_add_action (notification, "snooze", label,
                                      notification_action_cb, self, NULL);
    }
}

static gboolean
send_request (Worker        *self,
              const Request *request,
              gboolean       sound,
              guint          snooze_minutes)
{
  g_autoptr(NotifyNotification) notification = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  gboolean is_new = FALSE;

  if (!self->server_known && !query_server (self))
    return FALSE;

  /* libnotify refuses an empty summary. */
  summary = cap_text (request->title != NULL && request->title[0] != '\0'
                      ? request->title : self->app_name, MAX_TITLE_BYTES);
  if (request->body != NULL)
    {
      body = cap_text (request->body, MAX_BODY_BYTES);
      if (self->has_markup)
        {
          char *escaped = g_markup_escape_text (body, -1);

          g_free (body);
          body = escaped;
        }
    }

  if (request->job != NULL)
    notification = g_hash_table_lookup (self->notifications, request->job);

  if (notification != NULL)
    {
      g_object_ref (notification);
      notify_notification_update (notification, summary, body, self->icon_name);
    }
  else
    {
      notification = notify_notification_new (summary, body, self->icon_name);
      g_object_set_data_full (G_OBJECT (notification), "tw-job", g_strdup (request->job), g_free);
      g_signal_connect (notification, "closed", G_CALLBACK (notification_closed_cb), self);
      is_new = TRUE;
    }

  apply_request (self, notification, request, sound, snooze_minutes);

  if (!notify_notification_show (notification, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Failed to show a notification: %s"),
                                                  error->message);

      set_unavailable (self, message);
      return FALSE;
    }

  /* Keep the notification alive: the same object (so the same replaces_id)
   * updates a job's notification in place, and libnotify calls the action
   * callbacks only while it exists. */
  if (is_new && request->job != NULL)
    {
      g_hash_table_replace (self->notifications, g_strdup (request->job),
                            g_steal_pointer (&notification));
    }
  else if (is_new && self->has_actions && request->log_path != NULL)
    {
      g_queue_push_tail (&self->jobless, g_steal_pointer (&notification));
      if (self->jobless.length > MAX_JOBLESS_KEPT)
        g_object_unref (g_queue_pop_head (&self->jobless));
    }

  return TRUE;
}

static gboolean
process_cb (gpointer user_data)
{
  Worker *self = user_data;
  Request *request;
  gboolean sound;
  guint snooze_minutes;
  gboolean sent;

  g_mutex_lock (&self->lock);
  request = self->stopping ? NULL : g_queue_pop_head (&self->queue);
  if (request == NULL)
    {
      self->wake_pending = FALSE;
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  self->in_flight++;
  sound = self->sound;
  snooze_minutes = self->snooze_minutes;
  g_mutex_unlock (&self->lock);

  sent = send_request (self, request, sound, snooze_minutes);

  g_mutex_lock (&self->lock);
  self->in_flight--;
  if (sent)
    self->sent++;
  else
    self->failed++;
  g_mutex_unlock (&self->lock);

  request_free (request);

  /* One request per dispatch, so signals are handled in between. */
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  Worker *self = user_data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *self = data;

  g_mutex_lock (&libnotify_lock);
  g_main_context_push_thread_default (self->context);

  self->notifications = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  notify_init (self->app_name);
  query_server (self);

  g_main_loop_run (self->loop);

  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  /* Notifications we drop are ones notify_uninit() will not close: a "run
   * completed" the user has not read yet stays on screen after we exit;
   * its buttons simply do nothing then. */
  forget_notifications (self);
  g_clear_pointer (&self->notifications, g_hash_table_unref);
  notify_uninit ();

  /* Let the unsubscriptions above finish their work in this context. */
  for (guint i = 0; i < 100 && g_main_context_iteration (self->context, FALSE); i++)
    ;

  g_clear_object (&self->connection);
  g_clear_pointer (&self->owner, g_free);
  g_main_context_pop_thread_default (self->context);
  g_mutex_unlock (&libnotify_lock);

  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  worker_unref (self);
  return NULL;
}

/* Caller's thread, with the lock held. */
static void
wake_worker (Worker *self)
{
  GSource *source;

  if (self->wake_pending || self->stopping)
    return;

  self->wake_pending = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, process_cb, self, NULL);
  g_source_set_static_name (source, "[tw] desktop notifications");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Caller's thread, with the lock held. */
static void
drop_oldest (Worker *self)
{
  GList *victim = NULL;
  Request *request;

  for (GList *l = self->queue.head; l != NULL && victim == NULL; l = l->next)
    {
      if (!is_critical (((Request *) l->data)->level))
        victim = l;
    }
  if (victim == NULL)
    victim = self->queue.head;

  request = victim->data;
  g_debug ("Dropping the notification '%s': the notification server is not keeping up",
           request->title);
  g_queue_delete_link (&self->queue, victim);
  request_free (request);
  self->dropped++;
}

static const char *
tw_desktop_channel_get_id (TwChannel *channel)
{
  return "desktop";
}

static gboolean
tw_desktop_channel_is_available (TwChannel *channel)
{
  Worker *worker = TW_DESKTOP_CHANNEL (channel)->worker;
  gboolean available;

  /* Until the server has been asked, assume it is there: delivering to a
   * desktop without one is cheap, and losing the first event is not. */
  g_mutex_lock (&worker->lock);
  available = !worker->checked || worker->available;
  g_mutex_unlock (&worker->lock);

  return available;
}

static void
tw_desktop_channel_deliver (TwChannel *channel,
                            TwEvent   *event)
{
  Worker *worker = TW_DESKTOP_CHANNEL (channel)->worker;
  Request *request = request_new (event);

  g_mutex_lock (&worker->lock);

  if (worker->stopping)
    {
      g_mutex_unlock (&worker->lock);
      request_free (request);
      return;
    }

  /* A job's notification is updated in place, so a newer request for the
   * same job makes a queued one pointless. */
  if (request->job != NULL)
    {
      for (GList *l = worker->queue.head; l != NULL; l = l->next)
        {
          Request *queued = l->data;

          if (g_strcmp0 (queued->job, request->job) == 0)
            {
              g_queue_delete_link (&worker->queue, l);
              request_free (queued);
              worker->coalesced++;
              break;
            }
        }
    }

  if (worker->queue.length >= MAX_QUEUED)
    drop_oldest (worker);

  g_queue_push_tail (&worker->queue, request);
  wake_worker (worker);

  g_mutex_unlock (&worker->lock);
}

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
tw_desktop_channel_add_status (TwChannel   *channel,
                               JsonBuilder *builder)
{
  Worker *worker = TW_DESKTOP_CHANNEL (channel)->worker;
  g_autofree char *server = NULL;
  g_autofree char *last_error = NULL;
  g_auto(GStrv) caps = NULL;
  gboolean available;
  guint64 sent, failed, dropped, coalesced, pending;

  g_mutex_lock (&worker->lock);
  available = !worker->checked || worker->available;
  server = g_strdup (worker->server);
  caps = g_strdupv (worker->caps);
  last_error = g_strdup (worker->last_error);
  sent = worker->sent;
  failed = worker->failed;
  dropped = worker->dropped;
  coalesced = worker->coalesced;
  pending = worker->queue.length + worker->in_flight;
  g_mutex_unlock (&worker->lock);

  json_builder_set_member_name (builder, "available");
  json_builder_add_boolean_value (builder, available);
  add_nullable_string (builder, "server", server);
  json_builder_set_member_name (builder, "capabilities");
  json_builder_begin_array (builder);
  for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
    json_builder_add_string_value (builder, caps[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_int_value (builder, (gint64) sent);
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, (gint64) failed);
  json_builder_set_member_name (builder, "dropped");
  json_builder_add_int_value (builder, (gint64) dropped);
  json_builder_set_member_name (builder, "coalesced");
  json_builder_add_int_value (builder, (gint64) coalesced);
  json_builder_set_member_name (builder, "pending");
  json_builder_add_int_value (builder, (gint64) pending);
  add_nullable_string (builder, "last-error", last_error);
}

static void
tw_desktop_channel_channel_iface_init (TwChannelInterface *iface)
{
  iface->get_id = tw_desktop_channel_get_id;
  iface->is_available = tw_desktop_channel_is_available;
  iface->deliver = tw_desktop_channel_deliver;
  iface->add_status = tw_desktop_channel_add_status;
}

static void
tw_desktop_channel_dispose (GObject *object)
{
  TwDesktopChannel *self = TW_DESKTOP_CHANNEL (object);
  Worker *worker = self->worker;
  gboolean finished;
  gint64 deadline;
  GSource *source;

  if (self->thread != NULL)
    {
      g_mutex_lock (&worker->lock);
      worker->stopping = TRUE;
      g_mutex_unlock (&worker->lock);

      /* A source rather than g_main_loop_quit(): the thread may not have
       * reached g_main_loop_run() yet. */
      source = g_idle_source_new ();
      g_source_set_callback (source, quit_cb, worker, NULL);
      g_source_attach (source, worker->context);
      g_source_unref (source);

      /* A worker stuck in a call to a stopped server would keep us here for
       * 25 s per call. We are shutting down, so past a short wait the thread
       * is left to finish on its own: it holds its own reference to the
       * Worker and never touches the channel. */
      deadline = g_get_monotonic_time () + STOP_TIMEOUT_USEC;
      g_mutex_lock (&worker->lock);
      while (!worker->finished)
        {
          if (!g_cond_wait_until (&worker->cond, &worker->lock, deadline))
            break;
        }
      finished = worker->finished;
      g_mutex_unlock (&worker->lock);

      if (finished)
        {
          g_thread_join (g_steal_pointer (&self->thread));
        }
      else
        {
          g_message ("The notification server does not answer; "
                     "not waiting for the desktop notification thread");
          g_clear_pointer (&self->thread, g_thread_unref);
        }
    }

  G_OBJECT_CLASS (tw_desktop_channel_parent_class)->dispose (object);
}

static void
tw_desktop_channel_finalize (GObject *object)
{
  TwDesktopChannel *self = TW_DESKTOP_CHANNEL (object);

  g_clear_pointer (&self->worker, worker_unref);

  G_OBJECT_CLASS (tw_desktop_channel_parent_class)->finalize (object);
}

static void
tw_desktop_channel_class_init (TwDesktopChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_desktop_channel_dispose;
  object_class->finalize = tw_desktop_channel_finalize;

  /**
   * TwDesktopChannel::action-invoked:
   * @self: the channel
   * @job: (nullable): the job of the notification, if it has one
   * @action: "open-log" (also for a click on the notification itself) or
   *   "snooze"
   *
   * The user pressed a button of one of our notifications. Emitted on the
   * main context that was the thread-default when the channel was created;
   * what to do about it is the caller's business.
   */
  signals[ACTION_INVOKED] =
    g_signal_new ("action-invoked",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING,
                  G_TYPE_STRING);
}

static void
tw_desktop_channel_init (TwDesktopChannel *self)
{
  self->worker = worker_new ();
  g_weak_ref_set (&self->worker->channel, self);
}

/**
 * tw_desktop_channel_new:
 * @app_name: (nullable): the application name the server shows, or %NULL
 *   for the package name
 * @icon_name: (nullable): the icon name of every notification, or %NULL for
 *   the application id
 *
 * Creates the desktop channel and starts its worker thread, which asks the
 * notification server about itself right away. "action-invoked" is emitted
 * on the thread-default main context of the caller.
 *
 * Returns: (transfer full): a new #TwDesktopChannel
 */
TwDesktopChannel *
tw_desktop_channel_new (const char *app_name,
                        const char *icon_name)
{
  TwDesktopChannel *self = g_object_new (TW_TYPE_DESKTOP_CHANNEL, NULL);
  Worker *worker = self->worker;

  if (app_name != NULL && app_name[0] != '\0')
    {
      g_free (worker->app_name);
      worker->app_name = g_strdup (app_name);
    }
  if (icon_name != NULL && icon_name[0] != '\0')
    {
      g_free (worker->icon_name);
      worker->icon_name = g_strdup (icon_name);
    }

  self->thread = g_thread_new ("tw-desktop", worker_thread, worker_ref (worker));

  return self;
}

/**
 * tw_desktop_channel_set_sound:
 * @self: a #TwDesktopChannel
 * @sound: whether notifications ask the server for a sound
 *
 * With sound, each notification names a sound from the freedesktop sound
 * theme for its level; without, it asks the server to stay silent
 * ("suppress-sound"). Applies to notifications sent from now on.
 */
void
tw_desktop_channel_set_sound (TwDesktopChannel *self,
                              gboolean          sound)
{
  g_return_if_fail (TW_IS_DESKTOP_CHANNEL (self));

  g_mutex_lock (&self->worker->lock);
  self->worker->sound = !!sound;
  g_mutex_unlock (&self->worker->lock);
}

/**
 * tw_desktop_channel_set_snooze_minutes:
 * @self: a #TwDesktopChannel
 * @minutes: how long the "Snooze" button silences a job, or 0 for no button
 *
 * Sets the duration the "Snooze" button of a job's notification names (the
 * daemon, which receives "action-invoked", does the snoozing). Whole hours
 * read "Snooze 1 hour", others "Snooze 30 minutes". Applies to
 * notifications sent from now on; the default is 60.
 */
void
tw_desktop_channel_set_snooze_minutes (TwDesktopChannel *self,
                                       guint             minutes)
{
  g_return_if_fail (TW_IS_DESKTOP_CHANNEL (self));

  g_mutex_lock (&self->worker->lock);
  self->worker->snooze_minutes = minutes;
  g_mutex_unlock (&self->worker->lock);
}

/**
 * tw_desktop_channel_get_pending:
 * @self: a #TwDesktopChannel
 *
 * Counts the notifications waiting for the worker plus the one it is
 * sending. Safe to call from any thread.
 *
 * Returns: the number of notifications not yet handed to the server
 */
guint
tw_desktop_channel_get_pending (TwDesktopChannel *self)
{
  guint pending;

  g_return_val_if_fail (TW_IS_DESKTOP_CHANNEL (self), 0);

  g_mutex_lock (&self->worker->lock);
  pending = self->worker->queue.length + self->worker->in_flight;
  g_mutex_unlock (&self->worker->lock);

  return pending;
}
