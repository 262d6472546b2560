/* tw-secret-value.c — which passwords and webhook URLs Trainwatch accepts
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A webhook URL is checked when it is stored and again when it is used (it
 * may come from the environment): https only, on the service's own webhook
 * host, with a webhook's path, so that a typo or a pasted lookalike never
 * receives the run's news. Errors describe what is wrong without repeating
 * the value; a refused URL's host is named, its path (the secret part) never.
 */
#include "config.h"

#include "tw-secrets.h"

#include <glib/gi18n.h>
#include <string.h>

/* For tests only: a host (or host:port) accepted for both kinds of webhook URL beside
 * the services' own hosts, so that tests can send to a TLS receiver on loopback. It
 * relaxes only the host check: https, the path's shape and the rest still apply. */
#define TEST_ALLOW_WEBHOOK_HOST_ENV "TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST"

static gboolean
is_allowed_test_host (const char *host,
                      int         port)
{
  const char *allowed = g_getenv (TEST_ALLOW_WEBHOOK_HOST_ENV);
  g_autofree char *with_port = NULL;

  if (allowed == NULL || *allowed == '\0')
    return FALSE;
  if (g_ascii_strcasecmp (allowed, host) == 0)
    return TRUE;

  with_port = g_strdup_printf ("%s:%d", host, port);
  return port > 0 && g_ascii_strcasecmp (allowed, with_port) == 0;
}

/* Whether @path, after @prefix, holds exactly @n non-empty segments of the
 * characters webhook ids and tokens are made of. */
static gboolean
path_has_segments (const char *path,
                   const char *prefix,
                   guint       n)
{
  g_auto(GStrv) segments = NULL;

  if (!g_str_has_prefix (path, prefix))
    return FALSE;

  segments = g_strsplit (path + strlen (prefix), "/", -1);
  if (g_strv_length (segments) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (segments[i][0] == '\0')
        return FALSE;
      for (const char *c = segments[i]; *c != '\0'; c++)
        if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
          return FALSE;
    }

  return TRUE;
}

static gboolean
is_discord_webhook_path (const char *path)
{
  const char *rest;
  g_auto(GStrv) segments = NULL;

  if (!g_str_has_prefix (path, "/api/"))
    return FALSE;
  rest = path + strlen ("/api/");
  /* an API version is allowed: /api/v10/webhooks/… */
  if (rest[0] == 'v' && g_ascii_isdigit (rest[1]))
    {
      rest++;
      while (g_ascii_isdigit (*rest))
        rest++;
      if (*rest != '/')
        return FALSE;
      rest++;
    }
  if (!path_has_segments (rest - 1, "/webhooks/", 2))
    return FALSE;

  /* the webhook's id is a number (a snowflake) */
  segments = g_strsplit (rest + strlen ("webhooks/"), "/", 2);
  for (const char *c = segments[0]; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;

  return TRUE;
}

static gboolean
is_discord_host (const char *host)
{
  static const char * const hosts[] = {
    "discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    if (g_ascii_strcasecmp (host, hosts[i]) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
validate_webhook (TwSecretKind   kind,
                  const char    *value,
                  GError       **error)
{
  g_autoptr(GUri) uri = NULL;
  gboolean slack = kind == TW_SECRET_SLACK_WEBHOOK;
  const char *host;
  int port;

  /* GUri lets blanks through in a path; no webhook URL has any */
  for (const char *c = value; *c != '\0'; c++)
    if (g_ascii_isspace (*c) || g_ascii_iscntrl (*c))
      {
        g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                     _("This is not a URL: it holds a blank or a control character."));
        return FALSE;
      }

  uri = g_uri_parse (value, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   slack ? _("This is not a URL; a Slack webhook URL looks like "
                             "https://hooks.slack.com/services/T…/B…/….")
                         : _("This is not a URL; a Discord webhook URL looks like "
                             "https://discord.com/api/webhooks/ID/TOKEN."));
      return FALSE;
    }
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The webhook URL must start with https:// (it is only ever sent over TLS)."));
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The webhook URL must not hold a user name or password."));
      return FALSE;
    }
  if (g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The webhook URL must not end in a “#” fragment."));
      return FALSE;
    }

  host = g_uri_get_host (uri);
  port = g_uri_get_port (uri);
  if (!is_allowed_test_host (host, port))
    {
      if (slack ? g_ascii_strcasecmp (host, "hooks.slack.com") != 0 : !is_discord_host (host))
        {
          g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                       slack ? _("A Slack webhook URL is on hooks.slack.com, not on “%s”.")
                             : _("A Discord webhook URL is on discord.com, not on “%s”."),
                       host);
          return FALSE;
        }
      if (port != -1 && port != 443)
        {
          g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                       _("The webhook URL must use the standard HTTPS port (443), not %d."), port);
          return FALSE;
        }
    }

  if (slack && (!path_has_segments (g_uri_get_path (uri), "/services/", 3) || g_uri_get_query (uri) != NULL))
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("This is not a Slack incoming webhook URL: its path must look like "
                     "/services/T…/B…/…, with nothing after it."));
      return FALSE;
    }
  if (!slack && !is_discord_webhook_path (g_uri_get_path (uri)))
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("This is not a Discord webhook URL: its path must look like "
                     "/api/webhooks/ID/TOKEN."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_password (const char  *value,
                   GError     **error)
{
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The password must be UTF-8 text."));
      return FALSE;
    }
  for (const char *c = value; *c != '\0'; c++)
    if (g_ascii_iscntrl (*c))
      {
        g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                     _("The password must not hold control characters (such as a tab or a line break)."));
        return FALSE;
      }

  return TRUE;
}

/**
 * tw_secrets_normalize:
 * @kind: a kind of secret
 * @value: a value as the user gave it (the line end already removed)
 * @error: return location for a #GError
 *
 * Checks a value before it is stored or used: not empty, not absurdly long;
 * a password is UTF-8 without control characters and is kept as typed,
 * spaces included; a webhook URL loses the blanks around it, must be https
 * and must be on the service's webhook host with a webhook's path
 * (hooks.slack.com/services/…; discord.com or discordapp.com /api/webhooks/…).
 * Error messages never repeat the value.
 *
 * Returns: (transfer full) (nullable): the value to store, to be freed with
 *   tw_secrets_free_value(), or %NULL with a %TW_SECRETS_ERROR_INVALID_VALUE error
 */
char *
tw_secrets_normalize (TwSecretKind   kind,
                      const char    *value,
                      GError       **error)
{
  g_autofree char *copy = NULL;

  g_return_val_if_fail (kind < TW_N_SECRET_KINDS, NULL);
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (strlen (value) > TW_SECRETS_MAX_VALUE_BYTES)
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The value is longer than %d bytes; that is no password or webhook URL."),
                   TW_SECRETS_MAX_VALUE_BYTES);
      return NULL;
    }

  copy = g_strdup (value);
  if (kind != TW_SECRET_SMTP_PASSWORD)
    g_strstrip (copy);
  if (*copy == '\0')
    {
      g_set_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE,
                   _("The value is empty."));
      tw_secrets_free_value (g_steal_pointer (&copy));
      return NULL;
    }

  if (kind == TW_SECRET_SMTP_PASSWORD ? !validate_password (copy, error) : !validate_webhook (kind, copy, error))
    {
      tw_secrets_free_value (g_steal_pointer (&copy));
      return NULL;
    }

  return g_steal_pointer (&copy);
}

/**
 * tw_secrets_validate:
 * @kind: a kind of secret
 * @value: a value
 * @error: return location for a #GError
 *
 * Returns: whether tw_secrets_normalize() accepts @value
 */
gboolean
tw_secrets_validate (TwSecretKind   kind,
                     const char    *value,
                     GError       **error)
{
  char *normalized = tw_secrets_normalize (kind, value, error);

  tw_secrets_free_value (normalized);
  return normalized != NULL;
}

/**
 * tw_secrets_free_value:
 * @value: (nullable) (transfer full): a secret's value
 *
 * Overwrites the value with zeros and frees it.
 */
void
tw_secrets_free_value (char *value)
{
  if (value == NULL)
    return;

  explicit_bzero (value, strlen (value));
  g_free (value);
}

