/* tw-dnd.c — whether desktop notifications are held now, and why
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notifications are held while any of these says so:
 *
 * - Trainwatch's own pause (`trainwatch pause`, the tray's "Pause
 *   notifications"), kept in a small state file so that it survives a
 *   restart of the daemon;
 * - the config's quiet hours;
 * - the desktop's Do Not Disturb (tw-dnd-desktop.c), unless the config says
 *   not to follow it.
 *
 * Pauses and quiet hours end by wall-clock alarms (tw-alarm.c), which also
 * fire on time after a suspend.
 */
#include "config.h"

#include "tw-dnd.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tw-alarm.h"
#include "tw-dnd-desktop.h"
#include "tw-dnd-time.h"

typedef enum
{
  REASON_PAUSED,
  REASON_QUIET_HOURS,
  REASON_DESKTOP,   /* followed by one per TwDndDesktopSource */
} Reason;

#define N_REASONS (REASON_DESKTOP + TW_DND_DESKTOP_N_SOURCES)

struct _TwDnd
{
  GObject          parent_instance;

  char            *state_path;
  TwDndDesktop    *desktop;
  gboolean         follow_desktop;
  gboolean         settled;

  gint64           paused_until;         /* 0: not paused */
  gint64           paused_since;
  guint            pause_alarm_id;

  TwQuietHours    *quiet_hours;          /* nullable */
  gboolean         in_quiet_hours;
  gint64           quiet_change;         /* next start or end, µs; 0: none */
  guint            quiet_alarm_id;

  guint            last_mask;            /* the reasons at the last "changed" */
  GSimpleAction   *resume_action;        /* nullable */
};

G_DEFINE_FINAL_TYPE (TwDnd, tw_dnd, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
get_mask (TwDnd *self)
{
  guint mask = 0;

  if (self->paused_until != 0)
    mask |= 1u << REASON_PAUSED;
  if (self->in_quiet_hours)
    mask |= 1u << REASON_QUIET_HOURS;
  if (self->follow_desktop)
    for (guint i = 0; i < TW_DND_DESKTOP_N_SOURCES; i++)
      if (tw_dnd_desktop_is_on (self->desktop, i))
        mask |= 1u << (REASON_DESKTOP + i);

  return mask;
}

static void
update (TwDnd    *self,
        gboolean  force)
{
  guint mask = get_mask (self);

  if (self->resume_action != NULL)
    g_simple_action_set_enabled (self->resume_action, self->paused_until != 0);

  if (!force && mask == self->last_mask)
    return;

  if ((mask != 0) != (self->last_mask != 0))
    g_debug ("Do Not Disturb is now %s", mask != 0 ? "on" : "off");
  self->last_mask = mask;
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
desktop_changed_cb (TwDndDesktop *desktop,
                    TwDnd        *self)
{
  gboolean newly_settled = tw_dnd_desktop_is_settled (desktop) && !self->settled;

  /* the first time it is settled, whatever the state: say so */
  self->settled = tw_dnd_desktop_is_settled (desktop);
  update (self, newly_settled);
}

static gboolean
save_pause (TwDnd   *self,
            GError **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *json = NULL;

  if (self->state_path == NULL)
    return TRUE;

  if (self->paused_until == 0)
    {
      if (g_unlink (self->state_path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to remove “%s”: %s"), self->state_path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "since");
  json_builder_add_int_value (builder, self->paused_since);
  json_builder_set_member_name (builder, "until");
  if (self->paused_until == TW_DND_UNTIL_RESUME)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, self->paused_until);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, TRUE);

  dir = g_path_get_dirname (self->state_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  return g_file_set_contents_full (self->state_path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

static void arm_pause_alarm (TwDnd *self);

static void
end_pause (TwDnd *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->pause_alarm_id, g_source_remove);
  self->paused_until = 0;
  self->paused_since = 0;
  if (!save_pause (self, &error))
    g_message ("%s", error->message);
}

static void
pause_alarm_cb (gpointer user_data)
{
  TwDnd *self = user_data;

  self->pause_alarm_id = 0;
  if (g_get_real_time () < self->paused_until)
    {
      /* the clock was set back: not yet */
      arm_pause_alarm (self);
      return;
    }

  g_debug ("The pause has ended");
  end_pause (self);
  update (self, TRUE);
}

static void
arm_pause_alarm (TwDnd *self)
{
  g_clear_handle_id (&self->pause_alarm_id, g_source_remove);
  if (self->paused_until != 0 && self->paused_until != TW_DND_UNTIL_RESUME)
    self->pause_alarm_id = tw_alarm_add_once (self->paused_until, pause_alarm_cb, self);
}

static gboolean
get_int_member (JsonObject *object,
                const char *member,
                gint64     *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *out = json_node_get_int (node);
  return TRUE;
}

static void
load_pause (TwDnd *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonNode *root;
  JsonNode *until;
  gint64 since = 0;
  gint64 value = 0;

  if (self->state_path == NULL || !g_file_test (self->state_path, G_FILE_TEST_EXISTS))
    return;

  if (!json_parser_load_from_file (parser, self->state_path, &error))
    {
      g_message (_("Ignoring the pause kept in “%s”: %s"), self->state_path, error->message);
      return;
    }

  root = json_parser_get_root (parser);
  object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  until = object != NULL ? json_object_get_member (object, "until") : NULL;
  if (object == NULL || until == NULL || !get_int_member (object, "since", &since) ||
      (!JSON_NODE_HOLDS_NULL (until) && (!get_int_member (object, "until", &value) || value <= 0)))
    {
      g_message (_("Ignoring the pause kept in “%s”: it is not one"), self->state_path);
      return;
    }

  if (!JSON_NODE_HOLDS_NULL (until) && value <= g_get_real_time ())
    {
      /* it ended while the daemon was not running */
      end_pause (self);
      return;
    }

  self->paused_since = since;
  self->paused_until = JSON_NODE_HOLDS_NULL (until) ? TW_DND_UNTIL_RESUME : value;
  g_debug ("Notifications stay paused, as before the restart");
}

static void arm_quiet_alarm (TwDnd *self);

static void
quiet_alarm_cb (gpointer user_data)
{
  TwDnd *self = user_data;

  self->quiet_alarm_id = 0;
  arm_quiet_alarm (self);
  update (self, FALSE);
}

/* Works out whether it is quiet hours now and sets an alarm for the next change. */
static void
arm_quiet_alarm (TwDnd *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) next = NULL;

  g_clear_handle_id (&self->quiet_alarm_id, g_source_remove);
  self->in_quiet_hours = FALSE;
  self->quiet_change = 0;
  if (self->quiet_hours == NULL || tw_quiet_hours_is_empty (self->quiet_hours))
    return;

  now = g_date_time_new_now_local ();
  self->in_quiet_hours = tw_quiet_hours_contains (self->quiet_hours, now);
  next = tw_quiet_hours_next_change (self->quiet_hours, now);
  if (next != NULL)
    {
      self->quiet_change = g_date_time_to_unix (next) * G_USEC_PER_SEC;
      self->quiet_alarm_id = tw_alarm_add_once (self->quiet_change, quiet_alarm_cb, self);
    }
}

static void
pause_activate_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   TwDnd         *self)
{
  g_autoptr(GError) error = NULL;

  if (!tw_dnd_pause_from_text (self, g_variant_get_string (parameter, NULL), &error))
    g_message ("app.pause: %s", error->message);
}

static void
resume_activate_cb (GSimpleAction *action,
                    GVariant      *parameter,
                    TwDnd         *self)
{
  g_autoptr(GError) error = NULL;

  if (!tw_dnd_resume (self, &error) && error != NULL)
    g_message ("app.resume: %s", error->message);
}

static const char *
describe_desktop (TwDndDesktopSource source)
{
  switch (source)
    {
    case TW_DND_DESKTOP_GNOME:
      return _("Do Not Disturb in GNOME");
    case TW_DND_DESKTOP_KDE:
      return _("Do Not Disturb in KDE Plasma");
    case TW_DND_DESKTOP_XFCE:
      return _("Do Not Disturb in Xfce");
    case TW_DND_DESKTOP_DUNST:
      return _("dunst is paused");
    case TW_DND_DESKTOP_MATE:
      return _("Do Not Disturb in MATE");
    case TW_DND_DESKTOP_CINNAMON:
      return _("notifications are off in Cinnamon");
    default:
      g_assert_not_reached ();
    }
}

static void
tw_dnd_dispose (GObject *object)
{
  TwDnd *self = TW_DND (object);

  g_clear_handle_id (&self->pause_alarm_id, g_source_remove);
  g_clear_handle_id (&self->quiet_alarm_id, g_source_remove);
  if (self->desktop != NULL)
    g_signal_handlers_disconnect_by_data (self->desktop, self);
  g_clear_object (&self->desktop);
  g_clear_object (&self->resume_action);

  G_OBJECT_CLASS (tw_dnd_parent_class)->dispose (object);
}

static void
tw_dnd_finalize (GObject *object)
{
  TwDnd *self = TW_DND (object);

  g_clear_pointer (&self->state_path, g_free);
  g_clear_pointer (&self->quiet_hours, tw_quiet_hours_free);

  G_OBJECT_CLASS (tw_dnd_parent_class)->finalize (object);
}

static void
tw_dnd_class_init (TwDndClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_dnd_dispose;
  object_class->finalize = tw_dnd_finalize;

  /**
   * TwDnd::changed:
   *
   * Emitted when notifications start or stop being held, when the reasons
   * change, when the pause changes, and once when the state is settled.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_dnd_init (TwDnd *self)
{
  self->follow_desktop = TRUE;
}

/**
 * tw_dnd_new:
 * @state_path: (nullable): the file that keeps Trainwatch's own pause
 *   across restarts, or %NULL to keep it in memory only
 *
 * Creates the Do Not Disturb state and reads the pause kept in
 * @state_path. It follows nothing of the desktop until tw_dnd_start().
 *
 * Returns: (transfer full): the state
 */
TwDnd *
tw_dnd_new (const char *state_path)
{
  TwDnd *self = g_object_new (TW_TYPE_DND, NULL);

  self->state_path = g_strdup (state_path);
  self->desktop = tw_dnd_desktop_new ();
  g_signal_connect (self->desktop, "changed", G_CALLBACK (desktop_changed_cb), self);
  load_pause (self);
  arm_pause_alarm (self);
  self->last_mask = get_mask (self);

  return self;
}

/**
 * tw_dnd_start:
 * @self: a #TwDnd
 * @connection: (nullable): the session bus, or %NULL to follow no D-Bus server
 *
 * Starts following the desktop's Do Not Disturb: the GSettings keys of the
 * desktops whose schemas are installed at once, the notification server and
 * xfconf as they answer. "changed" is emitted once everything answered (or
 * a few seconds passed), and on every change after that.
 */
void
tw_dnd_start (TwDnd           *self,
              GDBusConnection *connection)
{
  g_return_if_fail (TW_IS_DND (self));

  tw_dnd_desktop_start (self->desktop, connection);
  update (self, FALSE);
}

/**
 * tw_dnd_is_active:
 * @self: a #TwDnd
 *
 * Returns: whether desktop notifications are held now
 */
gboolean
tw_dnd_is_active (TwDnd *self)
{
  g_return_val_if_fail (TW_IS_DND (self), FALSE);

  return get_mask (self) != 0;
}

/**
 * tw_dnd_is_settled:
 * @self: a #TwDnd
 *
 * Returns: whether the desktop's servers have answered (or were given up
 *   on), so that tw_dnd_is_active() tells the whole story
 */
gboolean
tw_dnd_is_settled (TwDnd *self)
{
  g_return_val_if_fail (TW_IS_DND (self), FALSE);

  return self->settled;
}

/**
 * tw_dnd_dup_reasons:
 * @self: a #TwDnd
 *
 * Returns: (transfer full): why notifications are held, as stable names:
 *   `paused`, `quiet-hours`, `gnome`, `kde`, `xfce`, `dunst`, `mate`,
 *   `cinnamon`; empty when they are not
 */
GStrv
tw_dnd_dup_reasons (TwDnd *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint mask;

  g_return_val_if_fail (TW_IS_DND (self), NULL);

  mask = get_mask (self);
  for (guint i = 0; i < N_REASONS; i++)
    if (mask & (1u << i))
      g_strv_builder_add (builder, i == REASON_PAUSED ? "paused"
                                   : i == REASON_QUIET_HOURS ? "quiet-hours"
                                   : tw_dnd_desktop_source_to_string (i - REASON_DESKTOP));

  return g_strv_builder_end (builder);
}

/**
 * tw_dnd_set_follow_desktop:
 * @self: a #TwDnd
 * @follow: whether the desktop's Do Not Disturb holds notifications
 *
 * The config's `follow-desktop`. The desktop is still watched either way,
 * so that switching it back on takes effect at once.
 */
void
tw_dnd_set_follow_desktop (TwDnd    *self,
                           gboolean  follow)
{
  g_return_if_fail (TW_IS_DND (self));

  if (self->follow_desktop == !!follow)
    return;

  self->follow_desktop = !!follow;
  update (self, FALSE);
}

/**
 * tw_dnd_set_quiet_hours:
 * @self: a #TwDnd
 * @text: (nullable): the config's `quiet-hours`, such as `22:00-07:30`;
 *   empty or %NULL for none
 *
 * Sets the times of day when notifications are held. Text that is not valid
 * (the config has reported it already) means no quiet hours.
 */
void
tw_dnd_set_quiet_hours (TwDnd      *self,
                        const char *text)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TW_IS_DND (self));

  g_clear_pointer (&self->quiet_hours, tw_quiet_hours_free);
  self->quiet_hours = tw_quiet_hours_parse (text, &error);
  if (self->quiet_hours == NULL)
    g_debug ("No quiet hours: %s", error->message);

  arm_quiet_alarm (self);
  update (self, FALSE);
}

/**
 * tw_dnd_pause:
 * @self: a #TwDnd
 * @until_unix_usec: when the pause ends (wall clock, µs since the epoch), or
 *   %TW_DND_UNTIL_RESUME
 * @error: return location for a #GError
 *
 * Pauses notifications (Trainwatch's own pause) until @until_unix_usec,
 * replacing a pause that was on, and keeps the pause in the state file.
 * The pause holds even when the file cannot be written; the error then says
 * that it will not survive a restart.
 *
 * Returns: %FALSE if the state file could not be written
 */
gboolean
tw_dnd_pause (TwDnd   *self,
              gint64   until_unix_usec,
              GError **error)
{
  g_return_val_if_fail (TW_IS_DND (self), FALSE);
  g_return_val_if_fail (until_unix_usec > 0, FALSE);

  if (self->paused_until == 0)
    self->paused_since = g_get_real_time ();
  self->paused_until = until_unix_usec;
  arm_pause_alarm (self);
  update (self, TRUE);

  return save_pause (self, error);
}

/**
 * tw_dnd_pause_from_text:
 * @self: a #TwDnd
 * @text: (nullable): how long, as tw_pause_parse_until() reads it; %NULL or
 *   empty for a pause until tw_dnd_resume()
 * @error: return location for a #GError
 *
 * Pauses notifications for as long as @text says, counted from now.
 *
 * Returns: %FALSE if @text is not valid (%TW_DND_TIME_ERROR_INVALID) or the
 *   state file could not be written (the pause holds then)
 */
gboolean
tw_dnd_pause_from_text (TwDnd       *self,
                        const char  *text,
                        GError     **error)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) until = NULL;

  g_return_val_if_fail (TW_IS_DND (self), FALSE);

  if (text == NULL || *text == '\0')
    return tw_dnd_pause (self, TW_DND_UNTIL_RESUME, error);

  now = g_date_time_new_now_local ();
  until = tw_pause_parse_until (text, now, error);
  if (until == NULL)
    return FALSE;

  return tw_dnd_pause (self, g_date_time_to_unix (until) * G_USEC_PER_SEC, error);
}

/**
 * tw_dnd_resume:
 * @self: a #TwDnd
 * @error: return location for a #GError
 *
 * Ends Trainwatch's own pause. The desktop's Do Not Disturb and quiet hours
 * may still hold notifications.
 *
 * Returns: whether a pause was on; %FALSE with @error set when the state
 *   file could not be updated (the pause is over in memory all the same)
 */
gboolean
tw_dnd_resume (TwDnd   *self,
               GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (TW_IS_DND (self), FALSE);

  if (self->paused_until == 0)
    return FALSE;

  g_clear_handle_id (&self->pause_alarm_id, g_source_remove);
  self->paused_until = 0;
  self->paused_since = 0;
  if (!save_pause (self, &local_error))
    {
      update (self, TRUE);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  update (self, TRUE);

  return TRUE;
}

/**
 * tw_dnd_is_paused:
 * @self: a #TwDnd
 *
 * Returns: whether Trainwatch's own pause is on
 */
gboolean
tw_dnd_is_paused (TwDnd *self)
{
  g_return_val_if_fail (TW_IS_DND (self), FALSE);

  return self->paused_until != 0;
}

/**
 * tw_dnd_get_paused_until:
 * @self: a #TwDnd
 *
 * Returns: when the pause ends (µs since the epoch), %TW_DND_UNTIL_RESUME,
 *   or 0 when it is not on
 */
gint64
tw_dnd_get_paused_until (TwDnd *self)
{
  g_return_val_if_fail (TW_IS_DND (self), 0);

  return self->paused_until;
}

/**
 * tw_dnd_add_actions:
 * @self: a #TwDnd
 * @map: where to add them: the daemon's application, which exports them
 *
 * Adds `pause` (a string parameter: a duration as `trainwatch pause` takes
 * it, or empty for a pause until resumed) and `resume` (enabled while the
 * pause is on), for the tray's "Pause notifications" menu. They do nothing
 * once @self is finalized.
 */
void
tw_dnd_add_actions (TwDnd      *self,
                    GActionMap *map)
{
  g_autoptr(GSimpleAction) pause = NULL;

  g_return_if_fail (TW_IS_DND (self));
  g_return_if_fail (G_IS_ACTION_MAP (map));

  pause = g_simple_action_new ("pause", G_VARIANT_TYPE_STRING);
  g_signal_connect_object (pause, "activate", G_CALLBACK (pause_activate_cb), self, 0);
  g_action_map_add_action (map, G_ACTION (pause));

  g_clear_object (&self->resume_action);
  self->resume_action = g_simple_action_new ("resume", NULL);
  g_signal_connect_object (self->resume_action, "activate", G_CALLBACK (resume_activate_cb), self,
                           0);
  g_simple_action_set_enabled (self->resume_action, self->paused_until != 0);
  g_action_map_add_action (map, G_ACTION (self->resume_action));
}

static void
add_time_or_null (JsonBuilder *builder,
                  gint64       unix_usec)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *text = NULL;

  if (unix_usec > 0 && unix_usec != TW_DND_UNTIL_RESUME)
    dt = g_date_time_new_from_unix_utc (unix_usec / G_USEC_PER_SEC);
  if (dt != NULL)
    text = g_date_time_format_iso8601 (dt);

  if (text != NULL)
    json_builder_add_string_value (builder, text);
  else
    json_builder_add_null_value (builder);
}

/**
 * tw_dnd_add_json:
 * @self: a #TwDnd
 * @builder: a builder inside an object
 * @n_held: how many notifications are held now (the router counts them)
 * @critical_passes: whether critical ones still show
 *
 * Adds the members of `status --json`'s `dnd` object: `active`, `reasons`
 * (as tw_dnd_dup_reasons()), `paused_until` (ISO 8601, or null when not
 * paused or paused until resumed), `held`, and besides those `paused`,
 * `quiet_hours` (the ranges, or null), `quiet_hours_change` (when quiet
 * hours next start or end, or null), `follow_desktop`, `critical_passes` and
 * `settled`.
 */
void
tw_dnd_add_json (TwDnd       *self,
                 JsonBuilder *builder,
                 guint        n_held,
                 gboolean     critical_passes)
{
  g_auto(GStrv) reasons = NULL;

  g_return_if_fail (TW_IS_DND (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  reasons = tw_dnd_dup_reasons (self);

  json_builder_set_member_name (builder, "active");
  json_builder_add_boolean_value (builder, reasons[0] != NULL);
  json_builder_set_member_name (builder, "reasons");
  json_builder_begin_array (builder);
  for (guint i = 0; reasons[i] != NULL; i++)
    json_builder_add_string_value (builder, reasons[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "paused_until");
  add_time_or_null (builder, self->paused_until);
  json_builder_set_member_name (builder, "held");
  json_builder_add_int_value (builder, n_held);

  json_builder_set_member_name (builder, "paused");
  json_builder_add_boolean_value (builder, self->paused_until != 0);
  json_builder_set_member_name (builder, "quiet_hours");
  if (self->quiet_hours != NULL && !tw_quiet_hours_is_empty (self->quiet_hours))
    {
      g_autofree char *text = tw_quiet_hours_to_string (self->quiet_hours);

      json_builder_add_string_value (builder, text);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "quiet_hours_change");
  add_time_or_null (builder, self->quiet_change);
  json_builder_set_member_name (builder, "follow_desktop");
  json_builder_add_boolean_value (builder, self->follow_desktop);
  json_builder_set_member_name (builder, "critical_passes");
  json_builder_add_boolean_value (builder, critical_passes);
  json_builder_set_member_name (builder, "settled");
  json_builder_add_boolean_value (builder, self->settled);
}

/**
 * tw_dnd_format_time:
 * @unix_usec: a time soon, µs since the epoch
 *
 * Returns: (transfer full): the local time as people say it for the next
 *   days: `14:30` today, `Tue 08:00` within a week, the date after that
 */
char *
tw_dnd_format_time (gint64 unix_usec)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_usec / G_USEC_PER_SEC);
  gint64 days;

  if (dt == NULL)
    return g_strdup ("?");

  days = g_date_time_difference (dt, now) / G_TIME_SPAN_DAY;
  if (g_date_time_get_year (dt) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (dt) == g_date_time_get_day_of_year (now))
    return g_date_time_format (dt, "%H:%M");
  if (days >= 0 && days < 6)
    /* Translators: a weekday and time, such as “Tue 08:00”; see g_date_time_format() */
    return g_date_time_format (dt, _("%a %H:%M"));
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

/**
 * tw_dnd_dup_status_text:
 * @self: a #TwDnd
 * @n_held: how many notifications are held now
 * @critical_passes: whether critical ones still show
 *
 * Returns: (transfer full): a line or two for `trainwatch status`, each
 *   ending in a newline
 */
char *
tw_dnd_dup_status_text (TwDnd    *self,
                        guint     n_held,
                        gboolean  critical_passes)
{
  GString *text = g_string_new (NULL);
  g_autoptr(GPtrArray) why = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *quiet = NULL;
  guint mask;

  g_return_val_if_fail (TW_IS_DND (self), NULL);

  mask = get_mask (self);
  if (self->quiet_hours != NULL && !tw_quiet_hours_is_empty (self->quiet_hours))
    quiet = tw_quiet_hours_to_string (self->quiet_hours);

  if (mask == 0)
    {
      g_string_append (text, _("Do Not Disturb: off."));
      if (quiet != NULL)
        {
          g_string_append_c (text, ' ');
          g_string_append_printf (text, _("Quiet hours: %s."), quiet);
        }
      g_string_append_c (text, '\n');
      return g_string_free (text, FALSE);
    }

  if (mask & (1u << REASON_PAUSED))
    {
      if (self->paused_until == TW_DND_UNTIL_RESUME)
        g_ptr_array_add (why, g_strdup (_("paused until you resume")));
      else
        {
          g_autofree char *until = tw_dnd_format_time (self->paused_until);

          g_ptr_array_add (why, g_strdup_printf (_("paused until %s"), until));
        }
    }
  if (mask & (1u << REASON_QUIET_HOURS))
    {
      g_autofree char *until = NULL;

      if (self->quiet_change != 0)
        until = tw_dnd_format_time (self->quiet_change);

      g_ptr_array_add (why, until != NULL ? g_strdup_printf (_("quiet hours until %s"), until)
                                          : g_strdup (_("quiet hours")));
    }
  for (guint i = 0; i < TW_DND_DESKTOP_N_SOURCES; i++)
    if (mask & (1u << (REASON_DESKTOP + i)))
      g_ptr_array_add (why, g_strdup (describe_desktop (i)));
  g_ptr_array_add (why, NULL);

  {
    /* Translators: separates the reasons why notifications are held */
    g_autofree char *reasons = g_strjoinv (_(", "), (char **) why->pdata);

    /* Translators: %s lists why, such as “paused until 14:30, Do Not Disturb in GNOME” */
    g_string_append_printf (text, _("Do Not Disturb: on (%s)."), reasons);
  }
  g_string_append_c (text, '\n');
  g_string_append (text, "  ");
  if (n_held == 0)
    g_string_append (text, _("Nothing held yet."));
  else
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                               "%u notification held; one summary will follow "
                                               "when it ends.",
                                               "%u notifications held; one summary will follow "
                                               "when it ends.",
                                               n_held),
                            n_held);
  g_string_append_c (text, ' ');
  if (critical_passes)
    g_string_append (text, _("Critical ones (failures, out of memory, NaN) still show."));
  else
    g_string_append (text, _("Critical ones are held too."));
  g_string_append_c (text, '\n');

  return g_string_free (text, FALSE);
}
