/* tw-control.c — the daemon's D-Bus API for the preferences window: status and channel tests
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The io.github.trainwatch.Trainwatch.Control interface, at the daemon's object path:
 *
 *   GetStatus () → (s json)               the JSON of `trainwatch status --json`
 *   TestChannel (s channel) → (s verdict, s answer)
 *                                         sends a test message through email, slack or
 *                                         discord now; verdict is accepted, retry,
 *                                         rejected, disable or unavailable, answer the
 *                                         server's words (or why nothing was sent)
 *   signal Changed ()                     the status changed; at most every
 *                                         TW_CONTROL_CHANGED_INTERVAL_MS
 *
 * The object only speaks D-Bus: the daemon answers the methods through the
 * "get-status" and "test-channel" signals, which hand it the invocation to
 * return (at once or later; the main loop goes on meanwhile).
 */
#include "config.h"

#include "tw-control.h"

struct _TwControl
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *object_path;
  guint            registration_id;

  GSource         *timer;
  gboolean         pending;
  gint64           last_sent;   /* monotonic µs */
};

G_DEFINE_FINAL_TYPE (TwControl, tw_control, G_TYPE_OBJECT)

enum
{
  GET_STATUS,
  TEST_CHANNEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char introspection_xml[] =
  "<node>"
  "  <interface name='" TW_CONTROL_INTERFACE "'>"
  "    <method name='GetStatus'>"
  "      <arg name='json' type='s' direction='out'/>"
  "    </method>"
  "    <method name='TestChannel'>"
  "      <arg name='channel' type='s' direction='in'/>"
  "      <arg name='verdict' type='s' direction='out'/>"
  "      <arg name='answer' type='s' direction='out'/>"
  "    </method>"
  "    <signal name='Changed'/>"
  "  </interface>"
  "</node>";

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  TwControl *self = user_data;
  gboolean handled = FALSE;

  if (g_str_equal (method_name, "GetStatus"))
    {
      g_signal_emit (self, signals[GET_STATUS], 0, invocation, &handled);
    }
  else if (g_str_equal (method_name, "TestChannel"))
    {
      const char *channel = NULL;

      g_variant_get (parameters, "(&s)", &channel);
      g_signal_emit (self, signals[TEST_CHANNEL], 0, channel, invocation, &handled);
    }

  if (!handled)
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                           "Trainwatch cannot answer %s now", method_name);
}

static const GDBusInterfaceVTable interface_vtable = {
  .method_call = method_call_cb,
};

static void
send_changed (TwControl *self)
{
  self->pending = FALSE;
  self->last_sent = g_get_monotonic_time ();
  if (self->connection != NULL)
    g_dbus_connection_emit_signal (self->connection, NULL, self->object_path, TW_CONTROL_INTERFACE,
                                   "Changed", NULL, NULL);
}

static gboolean
timer_cb (gpointer user_data)
{
  TwControl *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  if (self->pending)
    send_changed (self);

  return G_SOURCE_REMOVE;
}

/**
 * tw_control_queue_changed:
 * @self: a #TwControl
 *
 * Says that the status changed: Changed is sent at once if the last one is
 * older than TW_CONTROL_CHANGED_INTERVAL_MS, else when that interval ends.
 */
void
tw_control_queue_changed (TwControl *self)
{
  gint64 now;
  gint64 due;

  g_return_if_fail (TW_IS_CONTROL (self));

  if (self->registration_id == 0)
    return;
  self->pending = TRUE;
  if (self->timer != NULL)
    return;

  now = g_get_monotonic_time ();
  due = self->last_sent + TW_CONTROL_CHANGED_INTERVAL_MS * 1000;
  if (self->last_sent == 0 || now >= due)
    {
      send_changed (self);
      due = now + TW_CONTROL_CHANGED_INTERVAL_MS * 1000;
    }
  /* the interval still runs: what changes in it is sent at its end */
  self->timer = g_timeout_source_new ((guint) ((due - now + 999) / 1000));
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_set_static_name (self->timer, "[trainwatch] control changed");
  g_source_attach (self->timer, NULL);
}

/**
 * tw_control_export:
 * @self: a #TwControl
 * @connection: a D-Bus connection
 * @object_path: where to export
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
tw_control_export (TwControl        *self,
                   GDBusConnection  *connection,
                   const char       *object_path,
                   GError          **error)
{
  g_autoptr(GDBusNodeInfo) info = NULL;

  g_return_val_if_fail (TW_IS_CONTROL (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (g_variant_is_object_path (object_path), FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return FALSE;

  self->registration_id = g_dbus_connection_register_object (connection, object_path, info->interfaces[0],
                                                             &interface_vtable, self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;

  self->connection = g_object_ref (connection);
  self->object_path = g_strdup (object_path);
  return TRUE;
}

/**
 * tw_control_unexport:
 * @self: a #TwControl
 *
 * Takes the interface off the bus, if it is on it.
 */
void
tw_control_unexport (TwControl *self)
{
  g_return_if_fail (TW_IS_CONTROL (self));

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->object_path, g_free);
  if (self->timer != NULL)
    g_source_destroy (self->timer);
  g_clear_pointer (&self->timer, g_source_unref);
  self->pending = FALSE;
}

static void
tw_control_dispose (GObject *object)
{
  tw_control_unexport (TW_CONTROL (object));

  G_OBJECT_CLASS (tw_control_parent_class)->dispose (object);
}

static void
tw_control_class_init (TwControlClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_control_dispose;

  /**
   * TwControl::get-status:
   * @self: the #TwControl
   * @invocation: the call, to answer with `(s)`
   *
   * Returns: %TRUE if the handler answers (now or later)
   */
  signals[GET_STATUS] = g_signal_new ("get-status", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, g_signal_accumulator_true_handled, NULL, NULL,
                                      G_TYPE_BOOLEAN, 1, G_TYPE_DBUS_METHOD_INVOCATION);

  /**
   * TwControl::test-channel:
   * @self: the #TwControl
   * @channel: the channel's id, as the caller gave it
   * @invocation: the call, to answer with `(ss)`
   *
   * Returns: %TRUE if the handler answers (now or later)
   */
  signals[TEST_CHANNEL] = g_signal_new ("test-channel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, g_signal_accumulator_true_handled, NULL, NULL,
                                        G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_DBUS_METHOD_INVOCATION);
}

static void
tw_control_init (TwControl *self)
{
}

TwControl *
tw_control_new (void)
{
  return g_object_new (TW_TYPE_CONTROL, NULL);
}
