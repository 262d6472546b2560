/* tw-secrets.h — the SMTP password and webhook URLs, in the Secret Service or the environment
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TW_SECRETS_ERROR (tw_secrets_error_quark ())

typedef enum
{
  TW_SECRETS_ERROR_NO_SERVICE,     /* no session bus, or no Secret Service on it */
  TW_SECRETS_ERROR_NOT_SET,        /* neither stored nor in the environment */
  TW_SECRETS_ERROR_INVALID_VALUE,  /* refused: not a webhook URL of that service, empty, … */
  TW_SECRETS_ERROR_TIMED_OUT,      /* the Secret Service did not answer in time */
  TW_SECRETS_ERROR_FAILED,         /* the Secret Service answered with an error */
} TwSecretsError;

typedef enum
{
  TW_SECRET_SMTP_PASSWORD,
  TW_SECRET_SLACK_WEBHOOK,
  TW_SECRET_DISCORD_WEBHOOK,
} TwSecretKind;

#define TW_N_SECRET_KINDS 3

/* The longest value accepted: anything longer is a file piped by mistake. */
#define TW_SECRETS_MAX_VALUE_BYTES 8192

typedef enum
{
  TW_SECRET_SOURCE_NONE,
  TW_SECRET_SOURCE_KEYRING,
  TW_SECRET_SOURCE_ENVIRONMENT,
} TwSecretSource;

/* What a search of the keyring found, without reading the secret. */
typedef enum
{
  TW_SECRET_KEYRING_UNKNOWN,       /* not asked (yet), or it failed: see the error */
  TW_SECRET_KEYRING_STORED,
  TW_SECRET_KEYRING_NOT_STORED,
} TwSecretKeyringState;

/* One secret's state, as `status` and `secret status` show it. */
typedef struct
{
  TwSecretKind          kind;
  TwSecretSource        source;     /* what a channel would use */
  TwSecretKeyringState  keyring;
  char                 *error;      /* nullable: why it is unknown or unusable */
} TwSecretState;

GQuark          tw_secrets_error_quark          (void);

const char     *tw_secret_kind_to_string        (TwSecretKind     kind);
gboolean        tw_secret_kind_from_string      (const char      *name,
                                                 TwSecretKind    *kind);
gboolean        tw_secret_kind_from_command     (const char      *name,
                                                 TwSecretKind    *kind);
const char     *tw_secret_kind_get_command      (TwSecretKind     kind);
const char     *tw_secret_kind_get_env_var      (TwSecretKind     kind);
const char     *tw_secret_kind_get_description  (TwSecretKind     kind);
const char     *tw_secret_source_to_string      (TwSecretSource   source);

char           *tw_secrets_normalize            (TwSecretKind     kind,
                                                 const char      *value,
                                                 GError         **error);
gboolean        tw_secrets_validate             (TwSecretKind     kind,
                                                 const char      *value,
                                                 GError         **error);
void            tw_secrets_free_value           (char            *value);

gboolean        tw_secrets_store_sync           (TwSecretKind     kind,
                                                 const char      *value,
                                                 GCancellable    *cancellable,
                                                 GError         **error);
gboolean        tw_secrets_clear_sync           (TwSecretKind     kind,
                                                 gboolean        *removed,
                                                 GCancellable    *cancellable,
                                                 GError         **error);

void            tw_secrets_lookup_async         (TwSecretKind         kind,
                                                 guint                timeout_ms,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char           *tw_secrets_lookup_finish        (GAsyncResult        *result,
                                                 TwSecretSource      *source,
                                                 GError             **error);

void            tw_secrets_query_async          (guint                timeout_ms,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray      *tw_secrets_query_finish         (GAsyncResult        *result);

G_END_DECLS
