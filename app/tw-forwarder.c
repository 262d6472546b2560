/* tw-forwarder.c — the email, Slack and Discord channels: reports through an outbox
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A forwarder is the channel the router hands events to for one service. It
 * turns each event into a report (with its run's state, by the daemon's report
 * function) and puts it in its outbox (tw-outbox.c), which decides when a
 * message of one or more reports goes. Sending a message reads the secret (the
 * webhook URL or the SMTP password) from the keyring or the environment each
 * time, so a secret set while the daemon runs is used at once, builds the
 * request (tw-mail.c, tw-slack.c, tw-discord.c), sends it through the one
 * TwHttp of the daemon, and lets the service's judge say what became of it.
 *
 * Discord: with edit-in-place, a batch whose events all belong to one run and
 * are only news of its progress (see is_quiet_kind()) edits that run's last
 * message instead of posting a new one. Events that need the user, and the
 * end of a run, always post anew, because Discord notifies of new messages
 * only; the new message becomes the one later progress edits. The message of
 * each run is remembered for as long as the daemon runs.
 */
#include "config.h"

#include "tw-forwarder.h"

#include <glib/gi18n.h>

#include "tw-discord.h"
#include "tw-secrets.h"
#include "tw-slack.h"

/* How many reports one message gathers: as many as each service shows as a line each. */
static const guint service_max_batch[TW_N_FORWARD_SERVICES] = {
  [TW_FORWARD_EMAIL] = 50,
  [TW_FORWARD_SLACK] = 20,
  [TW_FORWARD_DISCORD] = 10,
};

/* For tests only: "FIRST,MAX" milliseconds of the retry delays instead of the outbox's
 * defaults (seconds growing to 15 minutes), so that a test of a server down for a minute
 * does not wait minutes after it returns. */
#define TEST_BACKOFF_ENV "TRAINWATCH_TEST_BACKOFF_MS"

/* How long reading a secret may take before the try counts as failed. */
#define SECRET_TIMEOUT_MS 10000

/* How long a channel found without its secret drops events before it looks again. */
#define SECRET_RECHECK_USEC (60 * G_USEC_PER_SEC)

struct _TwForwarder
{
  GObject                parent_instance;

  TwForwardService       service;
  TwHttp                *http;
  TwOutbox              *outbox;
  GCancellable          *cancellable;
  TwForwarderReportFunc  report_func;
  gpointer               report_data;

  gboolean               enabled;
  char                  *server;
  guint                  port;
  TwMailSecurity         security;
  char                  *user;
  char                  *from;
  GStrv                  to;
  gboolean               edit_in_place;

  gboolean               secret_missing;  /* the last send found no secret */
  gint64                 missing_since;   /* monotonic µs */
  GHashTable            *run_messages;    /* run name → Discord message id */
  guint64                n_dropped;       /* events not queued: not set up */
  guint                  n_sending;       /* sends and tests under way */
};

static void tw_forwarder_channel_init (TwChannelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TwForwarder, tw_forwarder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TW_TYPE_CHANNEL, tw_forwarder_channel_init))

static const char * const service_ids[TW_N_FORWARD_SERVICES] = {
  [TW_FORWARD_EMAIL] = "email",
  [TW_FORWARD_SLACK] = "slack",
  [TW_FORWARD_DISCORD] = "discord",
};

static const TwSecretKind service_secrets[TW_N_FORWARD_SERVICES] = {
  [TW_FORWARD_EMAIL] = TW_SECRET_SMTP_PASSWORD,
  [TW_FORWARD_SLACK] = TW_SECRET_SLACK_WEBHOOK,
  [TW_FORWARD_DISCORD] = TW_SECRET_DISCORD_WEBHOOK,
};

const char *
tw_forward_service_to_id (TwForwardService service)
{
  g_return_val_if_fail (service < TW_N_FORWARD_SERVICES, NULL);

  return service_ids[service];
}

gboolean
tw_forward_service_from_id (const char       *id,
                            TwForwardService *service)
{
  for (guint i = 0; i < TW_N_FORWARD_SERVICES; i++)
    {
      if (g_strcmp0 (id, service_ids[i]) == 0)
        {
          *service = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Whether the email settings name a server and someone to write to. */
static gboolean
mail_is_set_up (TwForwarder *self)
{
  return self->server != NULL && *self->server != '\0' && self->to != NULL && self->to[0] != NULL;
}

static gboolean
has_login (TwForwarder *self)
{
  return self->user != NULL && *self->user != '\0';
}

/* News of a run's progress, which Discord may show by editing a message. */
static gboolean
is_quiet_kind (TwEventKind kind)
{
  switch (kind)
    {
    case TW_EVENT_RUN_STARTED:
    case TW_EVENT_PROGRESS:
    case TW_EVENT_EPOCH_COMPLETED:
    case TW_EVENT_CHECKPOINT_SAVED:
    case TW_EVENT_EVALUATION_COMPLETED:
    case TW_EVENT_NEW_BEST:
    case TW_EVENT_RESUMED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The run all @reports are about, or %NULL if they are about several or none. */
static const char *
single_run (GPtrArray *reports)
{
  const char *job = NULL;

  for (guint i = 0; i < reports->len; i++)
    {
      TwReport *report = g_ptr_array_index (reports, i);
      const char *this_job = tw_event_get_job (report->event);

      if (this_job == NULL || (job != NULL && !g_str_equal (job, this_job)))
        return NULL;
      job = this_job;
    }

  return job;
}

static gboolean
all_quiet (GPtrArray *reports)
{
  for (guint i = 0; i < reports->len; i++)
    if (!is_quiet_kind (tw_event_get_kind (((TwReport *) g_ptr_array_index (reports, i))->event)))
      return FALSE;

  return TRUE;
}

/* One message on its way: from the outbox (serial) or a test (task). */
typedef struct
{
  TwForwarder *self;
  GPtrArray   *reports;
  guint64      serial;
  GTask       *task;
  char        *edit_id;
  char        *job;        /* the one run of the batch, if one */
} Send;

static void
send_free (Send *send)
{
  send->self->n_sending--;
  g_object_unref (send->self);
  g_ptr_array_unref (send->reports);
  g_clear_object (&send->task);
  g_free (send->edit_id);
  g_free (send->job);
  g_free (send);
}

static void
finish_send (Send         *send,
             TwSendResult *result)
{
  TwForwarder *self = send->self;

  g_debug ("%s: %s (%s)", service_ids[self->service], tw_verdict_to_string (result->verdict),
           result->answer != NULL ? result->answer : "");

  if (send->task != NULL)
    {
      TwSendResult *copy = g_new0 (TwSendResult, 1);

      *copy = *result;
      copy->answer = g_strdup (result->answer);
      copy->message_id = g_strdup (result->message_id);
      g_task_return_pointer (send->task, copy, NULL);
      /* settings that work again: what waits goes now */
      if (result->verdict == TW_VERDICT_ACCEPTED && tw_outbox_get_state (self->outbox) == TW_OUTBOX_DISABLED)
        tw_outbox_enable (self->outbox);
    }
  else
    {
      tw_outbox_complete (self->outbox, send->serial, result);
    }

  send_free (send);
}

static void
finish_with (Send       *send,
             TwVerdict   verdict,
             const char *answer)
{
  TwSendResult result = TW_SEND_RESULT_INIT;

  result.verdict = verdict;
  result.answer = g_strdup (answer);
  finish_send (send, &result);
  tw_send_result_clear (&result);
}

static void
http_done_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Send *send = user_data;
  TwForwarder *self = send->self;
  g_autoptr(TwHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  TwSendResult result = TW_SEND_RESULT_INIT;

  response = tw_http_send_finish (TW_HTTP (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* the daemon stops: the reports stay on disk for the next */
      if (send->task != NULL)
        g_task_return_error (send->task, g_steal_pointer (&error));
      send_free (send);
      return;
    }

  switch (self->service)
    {
    case TW_FORWARD_EMAIL:
      tw_mail_judge_response (response, error, &result);
      break;
    case TW_FORWARD_SLACK:
      tw_slack_judge (response, error, &result);
      break;
    case TW_FORWARD_DISCORD:
      tw_discord_judge (response, error, send->edit_id != NULL, &result);
      if (send->job != NULL && send->task == NULL)
        {
          if (result.verdict == TW_VERDICT_ACCEPTED && result.message_id != NULL)
            g_hash_table_insert (self->run_messages, g_strdup (send->job), g_strdup (result.message_id));
          else if (send->edit_id != NULL && result.verdict == TW_VERDICT_RETRY && result.message_id == NULL &&
                   response != NULL && tw_http_response_get_status (response) == 404)
            g_hash_table_remove (self->run_messages, send->job);  /* deleted: post anew */
        }
      break;
    default:
      g_assert_not_reached ();
    }

  finish_send (send, &result);
  tw_send_result_clear (&result);
}

static char *
dup_secret_missing_text (TwForwarder *self)
{
  switch (self->service)
    {
    case TW_FORWARD_EMAIL:
      return g_strdup_printf (_("No email password is set: run “trainwatch secret set email”, or set %s."),
                              tw_secret_kind_get_env_var (TW_SECRET_SMTP_PASSWORD));
    case TW_FORWARD_SLACK:
      return g_strdup_printf (_("No Slack webhook is set: run “trainwatch secret set slack”, or set %s."),
                              tw_secret_kind_get_env_var (TW_SECRET_SLACK_WEBHOOK));
    case TW_FORWARD_DISCORD:
      return g_strdup_printf (_("No Discord webhook is set: run “trainwatch secret set discord”, or set %s."),
                              tw_secret_kind_get_env_var (TW_SECRET_DISCORD_WEBHOOK));
    default:
      g_assert_not_reached ();
    }
}

/* Builds and sends the request once the secret is known (@secret may be %NULL
 * for email without a login). */
static void
send_with_secret (Send       *send,
                  const char *secret)
{
  TwForwarder *self = send->self;
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(GError) error = NULL;

  switch (self->service)
    {
    case TW_FORWARD_EMAIL:
      {
        TwMailSettings settings = {
          .server = self->server,
          .port = self->port,
          .security = self->security,
          .user = self->user,
          .from = self->from,
          .to = (const char * const *) self->to,
        };

        request = tw_mail_build_request (&settings, secret, send->reports, g_get_real_time (), &error);
      }
      break;
    case TW_FORWARD_SLACK:
      request = tw_slack_build_request (secret, send->reports);
      break;
    case TW_FORWARD_DISCORD:
      send->job = g_strdup (single_run (send->reports));
      if (self->edit_in_place && send->task == NULL && send->job != NULL && all_quiet (send->reports))
        send->edit_id = g_strdup (g_hash_table_lookup (self->run_messages, send->job));
      request = tw_discord_build_request (secret, send->edit_id, send->reports);
      break;
    default:
      g_assert_not_reached ();
    }

  if (request == NULL)
    {
      finish_with (send, TW_VERDICT_DISABLE,
                   error != NULL ? error->message : _("The message could not be made."));
      return;
    }

  tw_http_send_async (self->http, request, self->cancellable, http_done_cb, send);
}

static void
secret_done_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  Send *send = user_data;
  TwForwarder *self = send->self;
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = tw_secrets_lookup_finish (res, NULL, &error);
  if (secret != NULL)
    {
      self->secret_missing = FALSE;
      send_with_secret (send, secret);
      tw_secrets_free_value (secret);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (send->task != NULL)
        g_task_return_error (send->task, g_steal_pointer (&error));
      send_free (send);
    }
  else if (g_error_matches (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NOT_SET) ||
           g_error_matches (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE))
    {
      /* Not set up (or no keyring to hold it, and no variable): the channel is unused,
       * not broken. Its events are dropped, without a word to the user, and the
       * secret is looked for again after a while. */
      g_autofree char *text = dup_secret_missing_text (self);
      gboolean test = send->task != NULL;

      if (g_error_matches (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE))
        {
          g_free (text);
          text = g_strdup (error->message);
        }
      self->secret_missing = TRUE;
      self->missing_since = g_get_monotonic_time ();
      finish_with (send, TW_VERDICT_DISABLE, text);
      if (!test)
        self->n_dropped += tw_outbox_discard (self->outbox);
    }
  else if (g_error_matches (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE))
    {
      finish_with (send, TW_VERDICT_DISABLE, error->message);
    }
  else
    {
      /* no Secret Service yet (a session still starting), or it timed out */
      finish_with (send, TW_VERDICT_RETRY, error->message);
    }
}

static void
start_send (TwForwarder *self,
            GPtrArray   *reports,
            guint64      serial,
            GTask       *task)
{
  Send *send = g_new0 (Send, 1);

  send->self = g_object_ref (self);
  self->n_sending++;
  send->reports = g_ptr_array_ref (reports);
  send->serial = serial;
  send->task = task != NULL ? g_object_ref (task) : NULL;

  if (self->service == TW_FORWARD_EMAIL && !mail_is_set_up (self))
    {
      finish_with (send, TW_VERDICT_DISABLE,
                   _("Email is not set up: the config needs a server and a recipient ([email] server, to)."));
      return;
    }
  if (self->service == TW_FORWARD_EMAIL && !has_login (self))
    {
      send_with_secret (send, NULL);
      return;
    }

  tw_secrets_lookup_async (service_secrets[self->service], SECRET_TIMEOUT_MS, self->cancellable,
                           secret_done_cb, send);
}

static void
outbox_send_cb (TwOutbox  *outbox,
                GPtrArray *reports,
                guint64    serial,
                gpointer   user_data)
{
  start_send (TW_FORWARDER (user_data), reports, serial, NULL);
}

/**
 * tw_forwarder_send_test_async:
 * @self: a #TwForwarder
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the outcome
 * @user_data: for @callback
 *
 * Sends a test message now, past the outbox, its rate limit and the routing:
 * for `trainwatch test-channel` and the preferences window's Send test. A
 * test that is accepted while the outbox is disabled enables it again.
 */
void
tw_forwarder_send_test_async (TwForwarder         *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) tw_report_free);
  g_autoptr(TwEvent) event = NULL;
  g_autofree char *body = NULL;

  g_return_if_fail (TW_IS_FORWARDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tw_forwarder_send_test_async);

  body = g_strdup_printf (_("Trainwatch on %s can reach this channel. Events of your runs will come "
                            "here as the settings say."), g_get_host_name ());
  event = tw_event_new (TW_EVENT_TEST, TW_LEVEL_SUCCESS, NULL, _("Test message from Trainwatch"), body);
  tw_event_set_time (event, g_get_real_time ());
  g_ptr_array_add (reports, tw_report_new (event, NULL));
  start_send (self, reports, 0, task);
}

/**
 * tw_forwarder_send_test_finish:
 * @self: a #TwForwarder
 * @result: the #GAsyncResult
 * @out_result: (out caller-allocates): where to store what the service said;
 *   free with tw_send_result_clear()
 * @error: return location for a #GError (only when the daemon stops)
 *
 * Returns: %TRUE if @out_result was set
 */
gboolean
tw_forwarder_send_test_finish (TwForwarder   *self,
                               GAsyncResult  *result,
                               TwSendResult  *out_result,
                               GError       **error)
{
  g_autofree TwSendResult *copy = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  copy = g_task_propagate_pointer (G_TASK (result), error);
  if (copy == NULL)
    return FALSE;

  *out_result = *copy;
  return TRUE;
}

static const char *
tw_forwarder_get_id (TwChannel *channel)
{
  return service_ids[TW_FORWARDER (channel)->service];
}

static gboolean
tw_forwarder_is_available (TwChannel *channel)
{
  TwForwarder *self = TW_FORWARDER (channel);

  if (!self->enabled)
    return FALSE;
  if (self->service == TW_FORWARD_EMAIL)
    return mail_is_set_up (self);

  return !self->secret_missing;
}

static void
tw_forwarder_deliver (TwChannel *channel,
                      TwEvent   *event)
{
  TwForwarder *self = TW_FORWARDER (channel);
  TwReport *report;

  /* Without settings, nothing would ever send them: they are not kept. A secret
   * found missing is looked for again by the next event. */
  if (!self->enabled || (self->service == TW_FORWARD_EMAIL && !mail_is_set_up (self)))
    {
      self->n_dropped++;
      return;
    }
  if (self->secret_missing)
    {
      if (g_get_monotonic_time () - self->missing_since < SECRET_RECHECK_USEC)
        {
          self->n_dropped++;
          return;
        }
      self->secret_missing = FALSE;
      tw_outbox_enable (self->outbox);
    }

  report = self->report_func != NULL ? self->report_func (event, self->report_data) : tw_report_new (event, NULL);
  tw_outbox_push (self->outbox, report);
}

static void
tw_forwarder_add_status (TwChannel   *channel,
                         JsonBuilder *builder)
{
  TwForwarder *self = TW_FORWARDER (channel);

  json_builder_set_member_name (builder, "available");
  json_builder_add_boolean_value (builder, tw_forwarder_is_available (channel));
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, self->enabled);
  json_builder_set_member_name (builder, "secret_missing");
  json_builder_add_boolean_value (builder, self->secret_missing);
  json_builder_set_member_name (builder, "not_kept");
  json_builder_add_int_value (builder, self->n_dropped);
  tw_outbox_add_json (self->outbox, builder);
}

static void
tw_forwarder_channel_init (TwChannelInterface *iface)
{
  iface->get_id = tw_forwarder_get_id;
  iface->is_available = tw_forwarder_is_available;
  iface->deliver = tw_forwarder_deliver;
  iface->add_status = tw_forwarder_add_status;
}

static void
tw_forwarder_dispose (GObject *object)
{
  TwForwarder *self = TW_FORWARDER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->outbox);
  g_clear_object (&self->http);

  G_OBJECT_CLASS (tw_forwarder_parent_class)->dispose (object);
}

static void
tw_forwarder_finalize (GObject *object)
{
  TwForwarder *self = TW_FORWARDER (object);

  g_clear_object (&self->cancellable);
  g_free (self->server);
  g_free (self->user);
  g_free (self->from);
  g_strfreev (self->to);
  g_hash_table_unref (self->run_messages);

  G_OBJECT_CLASS (tw_forwarder_parent_class)->finalize (object);
}

static void
tw_forwarder_class_init (TwForwarderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_forwarder_dispose;
  object_class->finalize = tw_forwarder_finalize;
}

static void
tw_forwarder_init (TwForwarder *self)
{
  self->cancellable = g_cancellable_new ();
  self->enabled = TRUE;
  self->edit_in_place = TRUE;
  self->run_messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * tw_forwarder_new:
 * @service: which service
 * @http: the daemon's #TwHttp
 * @outbox_dir: the folder of the service's outbox
 *
 * Returns: (transfer full): a forwarder; call tw_forwarder_load() to send
 *   what a former daemon left in the outbox
 */
TwForwarder *
tw_forwarder_new (TwForwardService  service,
                  TwHttp           *http,
                  const char       *outbox_dir)
{
  TwForwarder *self;

  g_return_val_if_fail (service < TW_N_FORWARD_SERVICES, NULL);
  g_return_val_if_fail (TW_IS_HTTP (http), NULL);
  g_return_val_if_fail (outbox_dir != NULL, NULL);

  self = g_object_new (TW_TYPE_FORWARDER, NULL);
  self->service = service;
  self->http = g_object_ref (http);
  self->outbox = tw_outbox_new (outbox_dir, outbox_send_cb, self);
  tw_outbox_set_max_batch (self->outbox, service_max_batch[service]);
  if (g_getenv (TEST_BACKOFF_ENV) != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (g_getenv (TEST_BACKOFF_ENV), ",", 2);
      guint64 first = 0;
      guint64 max = 0;

      if (g_strv_length (parts) == 2 &&
          g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXINT, &first, NULL) &&
          g_ascii_string_to_unsigned (parts[1], 10, first, G_MAXINT, &max, NULL))
        tw_outbox_set_backoff (self->outbox, (guint) first, (guint) max);
    }

  return self;
}

gboolean
tw_forwarder_load (TwForwarder  *self,
                   GError      **error)
{
  g_return_val_if_fail (TW_IS_FORWARDER (self), FALSE);

  return tw_outbox_load (self->outbox, error);
}

TwOutbox *
tw_forwarder_get_outbox (TwForwarder *self)
{
  g_return_val_if_fail (TW_IS_FORWARDER (self), NULL);

  return self->outbox;
}

void
tw_forwarder_set_report_func (TwForwarder           *self,
                              TwForwarderReportFunc  func,
                              gpointer               user_data)
{
  g_return_if_fail (TW_IS_FORWARDER (self));

  self->report_func = func;
  self->report_data = user_data;
}

void
tw_forwarder_set_enabled (TwForwarder *self,
                          gboolean     enabled)
{
  g_return_if_fail (TW_IS_FORWARDER (self));

  self->enabled = enabled;
}

/**
 * tw_forwarder_set_mail:
 * @self: a #TwForwarder of %TW_FORWARD_EMAIL
 * @server: the SMTP server, or ""
 * @port: its port, 0 for the usual one
 * @security: how the connection is protected
 * @user: the login, or "" for none
 * @from: the sender, or "" to derive it
 * @to: the recipients, separated by commas
 */
void
tw_forwarder_set_mail (TwForwarder    *self,
                       const char     *server,
                       guint           port,
                       TwMailSecurity  security,
                       const char     *user,
                       const char     *from,
                       const char     *to)
{
  g_auto(GStrv) parts = NULL;
  GPtrArray *list = g_ptr_array_new ();

  g_return_if_fail (TW_IS_FORWARDER (self));

  g_free (self->server);
  self->server = g_strdup (server);
  self->port = port;
  self->security = security;
  g_free (self->user);
  self->user = g_strdup (user);
  g_free (self->from);
  self->from = g_strdup (from);

  parts = g_strsplit (to != NULL ? to : "", ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_ptr_array_add (list, g_strdup (parts[i]));
    }
  g_ptr_array_add (list, NULL);
  g_strfreev (self->to);
  self->to = (GStrv) g_ptr_array_free (list, FALSE);
}

void
tw_forwarder_set_edit_in_place (TwForwarder *self,
                                gboolean     edit_in_place)
{
  g_return_if_fail (TW_IS_FORWARDER (self));

  self->edit_in_place = edit_in_place;
}

/**
 * tw_forwarder_is_secret_missing:
 * @self: a #TwForwarder
 *
 * Returns: whether the last send found no secret: the channel is not set up
 */
gboolean
tw_forwarder_is_secret_missing (TwForwarder *self)
{
  g_return_val_if_fail (TW_IS_FORWARDER (self), FALSE);

  return self->secret_missing;
}

/**
 * tw_forwarder_stop:
 * @self: a #TwForwarder
 *
 * Cancels the sends under way, for a daemon that stops: their reports stay in
 * the outbox for the next. Iterate the main loop until tw_forwarder_is_busy()
 * says they ended. No send starts after this.
 */
void
tw_forwarder_stop (TwForwarder *self)
{
  g_return_if_fail (TW_IS_FORWARDER (self));

  tw_outbox_set_paused (self->outbox, TRUE);
  g_cancellable_cancel (self->cancellable);
}

/**
 * tw_forwarder_is_busy:
 * @self: a #TwForwarder
 *
 * Returns: whether a send, or a write of the outbox, is still under way
 */
gboolean
tw_forwarder_is_busy (TwForwarder *self)
{
  g_return_val_if_fail (TW_IS_FORWARDER (self), FALSE);

  return self->n_sending > 0 || tw_outbox_get_n_pending_io (self->outbox) > 0;
}

/**
 * tw_forwarder_settings_changed:
 * @self: a #TwForwarder
 *
 * Says that the config changed: an outbox disabled by settings the service
 * refused tries again, and a secret found missing is looked for again.
 */
void
tw_forwarder_settings_changed (TwForwarder *self)
{
  g_return_if_fail (TW_IS_FORWARDER (self));

  self->secret_missing = FALSE;
  tw_outbox_enable (self->outbox);
}
