/* tw-secrets.c — the SMTP password and webhook URLs, in the Secret Service or the environment
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each secret is one item in the Secret Service (libsecret), found by our own
 * schema and its "kind" attribute, or the value of an environment variable.
 * The variable wins when both are there: it is the explicit choice made for
 * this one process (a systemd unit's Environment=, a headless server, CI),
 * while the keyring holds the user's standing choice; and a set variable
 * keeps the daemon from asking a Secret Service that may be locked, missing
 * or hung.
 *
 * The daemon only calls the asynchronous functions, each with a time limit,
 * so a missing or hung Secret Service never stalls its main loop. The
 * command line (`trainwatch secret set`) stores and clears synchronously: it
 * is a short-lived process of its own, and storing may wait on the user to
 * unlock the keyring.
 *
 * A value never reaches a log, an error message or a status: messages name
 * the environment variable or the host of a refused URL, never the value.
 * What a valid value is lives in tw-secret-value.c.
 */
#include "config.h"

#include "tw-secrets.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

G_DEFINE_QUARK (tw-secrets-error-quark, tw_secrets_error)

typedef struct
{
  const char *name;         /* the schema's "kind" attribute, and the key in `status --json` */
  const char *command;      /* `trainwatch secret set COMMAND` */
  const char *env_var;
  const char *description;  /* translatable */
  const char *label;        /* translatable: the item's label, as the keyring's own tools show it */
} KindInfo;

static const KindInfo kinds[TW_N_SECRET_KINDS] = {
  [TW_SECRET_SMTP_PASSWORD] = { "smtp-password", "email", "TRAINWATCH_SMTP_PASSWORD",
                                N_("Email (SMTP) password"), N_("Trainwatch email (SMTP) password") },
  [TW_SECRET_SLACK_WEBHOOK] = { "slack-webhook", "slack", "TRAINWATCH_SLACK_WEBHOOK",
                                N_("Slack webhook URL"), N_("Trainwatch Slack webhook URL") },
  [TW_SECRET_DISCORD_WEBHOOK] = { "discord-webhook", "discord", "TRAINWATCH_DISCORD_WEBHOOK",
                                  N_("Discord webhook URL"), N_("Trainwatch Discord webhook URL") },
};

typedef enum
{
  CALL_SEARCH,
  CALL_LOOKUP,
} CallKind;

/* One asynchronous call to the Secret Service, with its time limit. */
typedef struct
{
  TwSecretKind  kind;
  CallKind      call;
  guint         timeout_ms;
  GCancellable *cancellable;   /* ours: cancelled by the caller's or at the time limit */
  GCancellable *caller;        /* nullable */
  gulong        caller_id;
  GSource      *timeout;
  gboolean      returned;      /* the time limit answered before the Secret Service */
} KeyringCall;

typedef struct
{
  GPtrArray *states;           /* of TwSecretState */
  guint      pending;
} Query;

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".Secret", SECRET_SCHEMA_NONE,
    {
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
secret_state_free (TwSecretState *state)
{
  g_free (state->error);
  g_free (state);
}

/* The Secret Service is not there at all: no bus, nothing that owns or can start
 * org.freedesktop.secrets. */
static gboolean
is_no_service_error (const GError *error)
{
  if (error->domain != G_DBUS_ERROR)
    return FALSE;

  switch (error->code)
    {
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_NO_SERVER:
    case G_DBUS_ERROR_DISCONNECTED:
    case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
    case G_DBUS_ERROR_SPAWN_FORK_FAILED:
    case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
    case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
    case G_DBUS_ERROR_SPAWN_FAILED:
    case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
    case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
    case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
    case G_DBUS_ERROR_SPAWN_FILE_INVALID:
    case G_DBUS_ERROR_SPAWN_NO_MEMORY:
      return TRUE;
    default:
      return FALSE;
    }
}

static GError *
new_no_service_error (TwSecretKind  kind,
                      const char   *cause)
{
  return g_error_new (TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE,
                      _("No Secret Service (keyring) is available on the session bus (%s); "
                        "set the environment variable %s instead."),
                      cause, kinds[kind].env_var);
}

static GError *
new_timed_out_error (TwSecretKind kind,
                     guint        timeout_ms)
{
  guint seconds = MAX (1, (timeout_ms + 999) / 1000);

  return g_error_new (TW_SECRETS_ERROR, TW_SECRETS_ERROR_TIMED_OUT,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The Secret Service (keyring) did not answer within %u second; "
                                   "set the environment variable %s to do without it.",
                                   "The Secret Service (keyring) did not answer within %u seconds; "
                                   "set the environment variable %s to do without it.",
                                   seconds),
                      seconds, kinds[kind].env_var);
}

/* Turns what libsecret or GDBus said into one of our errors, which names the
 * fallback. @error is taken. */
static GError *
map_error (TwSecretKind  kind,
           GError       *error)
{
  g_autoptr(GError) owned = error;
  g_autofree char *cause = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || error->domain == TW_SECRETS_ERROR)
    return g_steal_pointer (&owned);

  /* The remote error's name adds nothing a user can act on. */
  if (g_dbus_error_is_remote_error (error))
    g_dbus_error_strip_remote_error (error);
  cause = g_strdup (error->message);

  if (is_no_service_error (error))
    return new_no_service_error (kind, cause);
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (TW_SECRETS_ERROR, TW_SECRETS_ERROR_TIMED_OUT,
                        _("The Secret Service (keyring) did not answer (%s); "
                          "set the environment variable %s to do without it."),
                        cause, kinds[kind].env_var);
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    /* gnome-keyring without a login keyring (no password to create it with) */
    return g_error_new (TW_SECRETS_ERROR, TW_SECRETS_ERROR_FAILED,
                        _("The Secret Service (keyring) has no default keyring to keep it in (%s); "
                          "create one (a “login” keyring) or set the environment variable %s instead."),
                        cause, kinds[kind].env_var);

  return g_error_new (TW_SECRETS_ERROR, TW_SECRETS_ERROR_FAILED,
                      _("The Secret Service (keyring) failed: %s. "
                        "Set the environment variable %s to do without it."),
                      cause, kinds[kind].env_var);
}

/* The session bus, or a no-service error. libsecret would report a missing bus as
 * a bare G_IO_ERROR_FAILED, which says nothing about why. */
static gboolean
check_bus_sync (TwSecretKind   kind,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) local_error = NULL;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &local_error);
  if (bus != NULL)
    return TRUE;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_propagate_error (error, new_no_service_error (kind, local_error->message));
  return FALSE;
}

/* Checks an environment variable's value; the error names the variable. */
static char *
normalize_env_value (TwSecretKind   kind,
                     const char    *value,
                     GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  char *normalized = tw_secrets_normalize (kind, value, &local_error);

  if (normalized == NULL)
    g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                 _("The environment variable %s is not usable: %s"), kinds[kind].env_var,
                 local_error->message);
  return normalized;
}

static void
keyring_call_stop_timer (KeyringCall *call)
{
  if (call->timeout != NULL)
    g_source_destroy (call->timeout);
  g_clear_pointer (&call->timeout, g_source_unref);
}

static void
keyring_call_free (KeyringCall *call)
{
  if (call->caller != NULL)
    g_cancellable_disconnect (call->caller, call->caller_id);
  g_clear_object (&call->caller);
  keyring_call_stop_timer (call);
  g_clear_object (&call->cancellable);
  g_free (call);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     gpointer      user_data)
{
  /* Our cancellable outlives this handler: the call holds it until it is freed,
   * and it is disconnected first. */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
keyring_call_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  KeyringCall *call = g_task_get_task_data (task);

  /* Answer now rather than when a hung Secret Service lets the call go. */
  call->returned = TRUE;
  g_clear_pointer (&call->timeout, g_source_unref);
  g_cancellable_cancel (call->cancellable);
  g_task_return_error (task, new_timed_out_error (call->kind, call->timeout_ms));

  return G_SOURCE_REMOVE;
}

static void
search_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (call->returned)
    {
      g_list_free_full (items, g_object_unref);
      return;
    }
  keyring_call_stop_timer (call);

  if (error != NULL)
    g_task_return_error (task, map_error (call->kind, g_steal_pointer (&error)));
  else
    g_task_return_int (task, items != NULL ? TW_SECRET_KEYRING_STORED : TW_SECRET_KEYRING_NOT_STORED);
  g_list_free_full (items, g_object_unref);
}

/* The first item's secret, loaded by the search, as text; NULL when there is none. */
static SecretValue *
dup_first_secret (GList *items)
{
  if (items == NULL || !SECRET_IS_ITEM (items->data))
    return NULL;

  return secret_item_get_secret (items->data);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items;
  SecretValue *value;
  const char *text;
  char *normalized;

  items = secret_password_search_finish (result, &error);
  if (call->returned)
    {
      g_list_free_full (items, g_object_unref);
      return;
    }
  keyring_call_stop_timer (call);

  if (error != NULL)
    {
      g_task_return_error (task, map_error (call->kind, g_steal_pointer (&error)));
      return;
    }
  value = dup_first_secret (items);
  g_list_free_full (items, g_object_unref);
  if (value == NULL)
    {
      g_task_return_new_error (task, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NOT_SET,
                               _("Not set: run “trainwatch secret set %s”, or set the environment "
                                 "variable %s."),
                               kinds[call->kind].command, kinds[call->kind].env_var);
      return;
    }

  text = secret_value_get_text (value);
  normalized = text != NULL ? tw_secrets_normalize (call->kind, text, &error) : NULL;
  secret_value_unref (value);
  if (normalized == NULL)
    g_task_return_new_error (task, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                             _("The value in the keyring is not usable: %s Run “trainwatch secret set "
                               "%s” again."),
                             error != NULL ? error->message : _("It is not text."),
                             kinds[call->kind].command);
  else
    g_task_return_pointer (task, normalized, (GDestroyNotify) tw_secrets_free_value);
}

static void
bus_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = g_task_get_task_data (task);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  const char *name = kinds[call->kind].name;

  bus = g_bus_get_finish (result, &error);
  if (call->returned)
    return;
  if (bus == NULL)
    {
      keyring_call_stop_timer (call);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, new_no_service_error (call->kind, error->message));
      return;
    }

  /* libsecret gets the same shared connection. A search neither unlocks the
   * keyring nor reads the secret: it only says whether an item is there. */
  if (call->call == CALL_SEARCH)
    secret_password_search (get_schema (), SECRET_SEARCH_ALL, call->cancellable, search_cb,
                            g_steal_pointer (&task), "kind", name, NULL);
  else
    /* secret_password_lookup() in libsecret 0.20.5 leaks the reply it reads the
     * secret from (about 1 KB per call, under LeakSanitizer); a search that loads
     * the secrets does not. It unlocks the keyring when it must, as a lookup would. */
    secret_password_search (get_schema (), SECRET_SEARCH_LOAD_SECRETS | SECRET_SEARCH_UNLOCK,
                            call->cancellable, lookup_cb, g_steal_pointer (&task), "kind", name, NULL);
}

static GTask *
keyring_call_start (TwSecretKind         kind,
                    CallKind             kind_of_call,
                    guint                timeout_ms,
                    GCancellable        *cancellable,
                    gpointer             source_tag,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  KeyringCall *call = g_new0 (KeyringCall, 1);

  g_task_set_source_tag (task, source_tag);
  call->kind = kind;
  call->call = kind_of_call;
  call->timeout_ms = timeout_ms;
  call->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, call, (GDestroyNotify) keyring_call_free);

  if (cancellable != NULL)
    {
      call->caller = g_object_ref (cancellable);
      call->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                               call->cancellable, NULL);
    }
  if (timeout_ms > 0)
    {
      call->timeout = g_timeout_source_new (timeout_ms);
      g_source_set_callback (call->timeout, keyring_call_timeout_cb, task, NULL);
      g_source_attach (call->timeout, g_task_get_context (task));
    }

  g_bus_get (G_BUS_TYPE_SESSION, call->cancellable, bus_cb, g_object_ref (task));
  return task;
}

static void
query_search_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Query *query = g_task_get_task_data (task);
  KeyringCall *call = g_task_get_task_data (G_TASK (result));
  TwSecretState *state = g_ptr_array_index (query->states, call->kind);
  g_autoptr(GError) error = NULL;
  gssize found;

  found = g_task_propagate_int (G_TASK (result), &error);
  if (error != NULL)
    {
      state->keyring = TW_SECRET_KEYRING_UNKNOWN;
      /* the variable is used whatever the keyring says */
      if (state->source != TW_SECRET_SOURCE_ENVIRONMENT)
        state->error = g_strdup (error->message);
    }
  else
    {
      state->keyring = (TwSecretKeyringState) found;
      if (state->source == TW_SECRET_SOURCE_NONE && found == TW_SECRET_KEYRING_STORED)
        state->source = TW_SECRET_SOURCE_KEYRING;
    }

  if (--query->pending == 0)
    g_task_return_pointer (task, g_ptr_array_ref (query->states), (GDestroyNotify) g_ptr_array_unref);
}

static void
query_free (Query *query)
{
  g_ptr_array_unref (query->states);
  g_free (query);
}

/**
 * tw_secret_kind_to_string:
 * @kind: a kind of secret
 *
 * Returns: its name in the keyring's "kind" attribute and in `status --json`
 *   ("smtp-password", "slack-webhook", "discord-webhook")
 */
const char *
tw_secret_kind_to_string (TwSecretKind kind)
{
  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, NULL);

  return kinds[kind].name;
}

/**
 * tw_secret_kind_from_string:
 * @name: a name from tw_secret_kind_to_string()
 * @kind: (out): where to store the kind
 *
 * Returns: whether @name is a kind of secret
 */
gboolean
tw_secret_kind_from_string (const char   *name,
                            TwSecretKind *kind)
{
  g_return_val_if_fail (name != NULL && kind != NULL, FALSE);

  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    if (g_str_equal (name, kinds[i].name))
      {
        *kind = i;
        return TRUE;
      }

  return FALSE;
}

/**
 * tw_secret_kind_from_command:
 * @name: what the user typed after `trainwatch secret set`: email, slack or discord
 * @kind: (out): where to store the kind
 *
 * Returns: whether @name names a kind of secret
 */
gboolean
tw_secret_kind_from_command (const char   *name,
                             TwSecretKind *kind)
{
  g_return_val_if_fail (name != NULL && kind != NULL, FALSE);

  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    if (g_str_equal (name, kinds[i].command))
      {
        *kind = i;
        return TRUE;
      }

  return FALSE;
}

/**
 * tw_secret_kind_get_command:
 * @kind: a kind of secret
 *
 * Returns: its name on the command line ("email", "slack", "discord")
 */
const char *
tw_secret_kind_get_command (TwSecretKind kind)
{
  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, NULL);

  return kinds[kind].command;
}

/**
 * tw_secret_kind_get_env_var:
 * @kind: a kind of secret
 *
 * Returns: the environment variable that holds it without a Secret Service
 */
const char *
tw_secret_kind_get_env_var (TwSecretKind kind)
{
  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, NULL);

  return kinds[kind].env_var;
}

/**
 * tw_secret_kind_get_description:
 * @kind: a kind of secret
 *
 * Returns: what it is, translated, for messages ("Slack webhook URL")
 */
const char *
tw_secret_kind_get_description (TwSecretKind kind)
{
  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, NULL);

  return _(kinds[kind].description);
}

/**
 * tw_secret_source_to_string:
 * @source: where a secret comes from
 *
 * Returns: (nullable): "keyring", "environment", or %NULL when it is not set
 */
const char *
tw_secret_source_to_string (TwSecretSource source)
{
  switch (source)
    {
    case TW_SECRET_SOURCE_KEYRING:
      return "keyring";
    case TW_SECRET_SOURCE_ENVIRONMENT:
      return "environment";
    case TW_SECRET_SOURCE_NONE:
    default:
      return NULL;
    }
}

/**
 * tw_secrets_store_sync:
 * @kind: a kind of secret
 * @value: its value, checked with tw_secrets_normalize() first
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stores the secret in the default keyring of the Secret Service, replacing
 * the one stored before. This waits for the Secret Service (and for the user
 * when the keyring must be unlocked first): for the command line only.
 *
 * Returns: %TRUE when it is stored; otherwise a %TW_SECRETS_ERROR that names
 *   the environment variable to use instead
 */
gboolean
tw_secrets_store_sync (TwSecretKind   kind,
                       const char    *value,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!tw_secrets_validate (kind, value, error) || !check_bus_sync (kind, cancellable, error))
    return FALSE;

  if (!secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, _(kinds[kind].label), value,
                                   cancellable, &local_error, "kind", kinds[kind].name, NULL))
    {
      g_propagate_error (error, map_error (kind, g_steal_pointer (&local_error)));
      return FALSE;
    }

  return TRUE;
}

/**
 * tw_secrets_clear_sync:
 * @kind: a kind of secret
 * @removed: (out) (optional): whether there was one to remove
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes the secret from the Secret Service. For the command line only, as
 * tw_secrets_store_sync().
 *
 * Returns: %TRUE unless the Secret Service could not be asked
 */
gboolean
tw_secrets_clear_sync (TwSecretKind   kind,
                       gboolean      *removed,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean cleared;

  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, FALSE);

  if (!check_bus_sync (kind, cancellable, error))
    return FALSE;

  cleared = secret_password_clear_sync (get_schema (), cancellable, &local_error,
                                        "kind", kinds[kind].name, NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, map_error (kind, g_steal_pointer (&local_error)));
      return FALSE;
    }

  if (removed != NULL)
    *removed = cleared;
  return TRUE;
}

/**
 * tw_secrets_lookup_async:
 * @kind: a kind of secret
 * @timeout_ms: how long the Secret Service may take, or 0 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: for @callback
 *
 * Finds the secret a channel should use: the environment variable's value
 * when it is set (the Secret Service is then not asked), else the keyring's.
 * Never waits on the Secret Service longer than @timeout_ms.
 */
void
tw_secrets_lookup_async (TwSecretKind         kind,
                         guint                timeout_ms,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *env;

  g_return_if_fail (kind < TW_N_SECRET_KINDS);

  env = g_getenv (kinds[kind].env_var);
  if (env == NULL)
    {
      task = keyring_call_start (kind, CALL_LOOKUP, timeout_ms, cancellable, tw_secrets_lookup_async,
                                 callback, user_data);
      return;
    }

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tw_secrets_lookup_async);
  g_task_set_task_data (task, GINT_TO_POINTER (TW_SECRET_SOURCE_ENVIRONMENT), NULL);
  {
    GError *error = NULL;
    char *value = normalize_env_value (kind, env, &error);

    if (value == NULL)
      g_task_return_error (task, error);
    else
      g_task_return_pointer (task, value, (GDestroyNotify) tw_secrets_free_value);
  }
}

/**
 * tw_secrets_lookup_finish:
 * @result: the result given to the callback
 * @source: (out) (optional): where the value came from
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the value, to be freed with
 *   tw_secrets_free_value(), or %NULL with a %TW_SECRETS_ERROR (%NOT_SET when
 *   there is none; the others name the environment variable to use instead)
 */
char *
tw_secrets_lookup_finish (GAsyncResult  *result,
                          TwSecretSource *source,
                          GError       **error)
{
  GTask *task;
  char *value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tw_secrets_lookup_async, NULL);

  task = G_TASK (result);
  value = g_task_propagate_pointer (task, error);
  if (source != NULL)
    *source = value == NULL ? TW_SECRET_SOURCE_NONE
              : g_task_get_task_data (task) == GINT_TO_POINTER (TW_SECRET_SOURCE_ENVIRONMENT)
              ? TW_SECRET_SOURCE_ENVIRONMENT : TW_SECRET_SOURCE_KEYRING;
  return value;
}

/**
 * tw_secrets_query_async:
 * @timeout_ms: how long the Secret Service may take, or 0 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: for @callback
 *
 * Finds out, for every kind of secret, whether it is set and where from,
 * without reading any value from the keyring (nor unlocking it). The
 * environment is this process's.
 */
void
tw_secrets_query_async (guint                timeout_ms,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Query *query = g_new0 (Query, 1);

  g_task_set_source_tag (task, tw_secrets_query_async);
  query->states = g_ptr_array_new_with_free_func ((GDestroyNotify) secret_state_free);
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);

  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    {
      TwSecretState *state = g_new0 (TwSecretState, 1);
      const char *env = g_getenv (kinds[i].env_var);

      state->kind = i;
      if (env != NULL)
        {
          g_autoptr(GError) error = NULL;
          char *value = normalize_env_value (i, env, &error);

          state->source = TW_SECRET_SOURCE_ENVIRONMENT;
          if (value == NULL)
            state->error = g_strdup (error->message);
          tw_secrets_free_value (value);
        }
      g_ptr_array_add (query->states, state);
    }

  query->pending = TW_N_SECRET_KINDS;
  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    {
      g_object_unref (keyring_call_start (i, CALL_SEARCH, timeout_ms, cancellable,
                                          tw_secrets_query_async, query_search_cb, g_object_ref (task)));
    }
}

/**
 * tw_secrets_query_finish:
 * @result: the result given to the callback
 *
 * Returns: (transfer full) (element-type TwSecretState): one state per kind
 *   of secret, indexed by #TwSecretKind; problems are in their error
 */
GPtrArray *
tw_secrets_query_finish (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tw_secrets_query_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), NULL);
}
