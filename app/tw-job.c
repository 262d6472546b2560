/* tw-job.c — one training run being watched
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-job.h"

struct _TwJob
{
  GObject  parent_instance;

  char    *name;
  char    *log_path;
  TwEvent *last_event;
  guint    n_events;
  gint64   snoozed_until;   /* µs since the epoch; 0 when not snoozed */
};

G_DEFINE_FINAL_TYPE (TwJob, tw_job, G_TYPE_OBJECT)

static void
add_time_member (JsonBuilder *builder,
                 const char  *name,
                 gint64       unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_usec / G_USEC_PER_SEC);

  json_builder_set_member_name (builder, name);
  if (dt != NULL)
    {
      g_autofree char *str = g_date_time_format_iso8601 (dt);

      json_builder_add_string_value (builder, str);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
}

static void
tw_job_dispose (GObject *object)
{
  TwJob *self = TW_JOB (object);

  g_clear_object (&self->last_event);

  G_OBJECT_CLASS (tw_job_parent_class)->dispose (object);
}

static void
tw_job_finalize (GObject *object)
{
  TwJob *self = TW_JOB (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->log_path, g_free);

  G_OBJECT_CLASS (tw_job_parent_class)->finalize (object);
}

static void
tw_job_class_init (TwJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_job_dispose;
  object_class->finalize = tw_job_finalize;
}

static void
tw_job_init (TwJob *self)
{
}

/**
 * tw_job_new:
 * @name: the run's name, unique within the daemon
 * @log_path: (nullable): the log the run writes, if known
 *
 * Returns: (transfer full): a new #TwJob
 */
TwJob *
tw_job_new (const char *name,
            const char *log_path)
{
  TwJob *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (TW_TYPE_JOB, NULL);
  self->name = g_strdup (name);
  self->log_path = g_strdup (log_path);

  return self;
}

/**
 * tw_job_get_name:
 * @self: a #TwJob
 *
 * Returns: the run's name
 */
const char *
tw_job_get_name (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->name;
}

/**
 * tw_job_get_log_path:
 * @self: a #TwJob
 *
 * Returns: (nullable): the run's log file
 */
const char *
tw_job_get_log_path (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->log_path;
}

/**
 * tw_job_get_last_event:
 * @self: a #TwJob
 *
 * Returns: (transfer none) (nullable): the newest event of the run
 */
TwEvent *
tw_job_get_last_event (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->last_event;
}

/**
 * tw_job_record_event:
 * @self: a #TwJob
 * @event: an event of this run
 *
 * Remembers @event as the run's newest.
 */
void
tw_job_record_event (TwJob   *self,
                     TwEvent *event)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (TW_IS_EVENT (event));

  g_set_object (&self->last_event, event);
  self->n_events++;
}

/**
 * tw_job_get_snoozed_until:
 * @self: a #TwJob
 *
 * Returns: until when the run's non-critical notifications are silenced, in
 *   µs since the epoch, or 0
 */
gint64
tw_job_get_snoozed_until (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), 0);

  return self->snoozed_until;
}

/**
 * tw_job_snooze:
 * @self: a #TwJob
 * @until_unix_usec: the end of the snooze, or 0 to end it now
 *
 * Silences the run's non-critical notifications until the given time.
 */
void
tw_job_snooze (TwJob  *self,
               gint64  until_unix_usec)
{
  g_return_if_fail (TW_IS_JOB (self));

  self->snoozed_until = MAX (until_unix_usec, 0);
}

/**
 * tw_job_is_snoozed:
 * @self: a #TwJob
 * @now_unix_usec: the current wall-clock time
 *
 * Returns: %TRUE while a snooze is in effect
 */
gboolean
tw_job_is_snoozed (TwJob  *self,
                   gint64  now_unix_usec)
{
  g_return_val_if_fail (TW_IS_JOB (self), FALSE);

  return self->snoozed_until > now_unix_usec;
}

/**
 * tw_job_add_json:
 * @self: a #TwJob
 * @builder: a #JsonBuilder where a value may be added
 *
 * Adds the run as one object: `name`, `log`, `events`, `snoozed_until`,
 * `last_event`.
 */
void
tw_job_add_json (TwJob       *self,
                 JsonBuilder *builder)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "log");
  if (self->log_path != NULL)
    json_builder_add_string_value (builder, self->log_path);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "events");
  json_builder_add_int_value (builder, self->n_events);
  if (self->snoozed_until > 0)
    add_time_member (builder, "snoozed_until", self->snoozed_until);
  else
    {
      json_builder_set_member_name (builder, "snoozed_until");
      json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "last_event");
  if (self->last_event != NULL)
    json_builder_add_value (builder, tw_event_to_json_node (self->last_event));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}
