/* test-secrets.c — which secrets are accepted, reading them, and the environment fallback
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Without any session bus: the keyring itself is tested in test-secrets-keyring.c.
 */
/* posix_openpt() and ptsname() */
#define _GNU_SOURCE
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tw-secret-command.h"
#include "tw-secrets.h"

typedef struct
{
  TwSecretKind  kind;
  const char   *value;
  const char   *normalized;  /* NULL: refused */
  const char   *message;     /* for a refused value: part of the error */
} ValueCase;

static const ValueCase value_cases[] = {
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0ABC/B0DEF/xyzXYZ123",
    "https://hooks.slack.com/services/T0ABC/B0DEF/xyzXYZ123" },
  { TW_SECRET_SLACK_WEBHOOK, "  https://HOOKS.slack.com/services/T0ABC/B0DEF/xyz \t",
    "https://HOOKS.slack.com/services/T0ABC/B0DEF/xyz" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com:443/services/T0/B0/xyz",
    "https://hooks.slack.com:443/services/T0/B0/xyz" },
  { TW_SECRET_SLACK_WEBHOOK, "http://hooks.slack.com/services/T0/B0/xyz", NULL, "https://" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com.evil.example/services/T0/B0/xyz", NULL,
    "not on “hooks.slack.com.evil.example”" },
  { TW_SECRET_SLACK_WEBHOOK, "https://discord.com/api/webhooks/1/xyz", NULL, "hooks.slack.com" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com:8443/services/T0/B0/xyz", NULL, "443" },
  { TW_SECRET_SLACK_WEBHOOK, "https://me:pw@hooks.slack.com/services/T0/B0/xyz", NULL, "user name" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0/B0/xyz#frag", NULL, "fragment" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0/B0", NULL, "/services/" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0/B0/xyz/more", NULL, "/services/" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0//xyz", NULL, "/services/" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0/B0/xyz?x=1", NULL, "/services/" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/workflows/T0/A0/1/xyz", NULL, "/services/" },
  { TW_SECRET_SLACK_WEBHOOK, "hooks.slack.com/services/T0/B0/xyz", NULL, "not a URL" },
  { TW_SECRET_SLACK_WEBHOOK, "https://hooks.slack.com/services/T0/B0/x yz", NULL, "not a URL" },
  { TW_SECRET_SLACK_WEBHOOK, "   ", NULL, "empty" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/webhooks/123456789012345678/AbC-d_E",
    "https://discord.com/api/webhooks/123456789012345678/AbC-d_E" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discordapp.com/api/webhooks/1/tok",
    "https://discordapp.com/api/webhooks/1/tok" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://ptb.discord.com/api/v10/webhooks/1/tok",
    "https://ptb.discord.com/api/v10/webhooks/1/tok" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/webhooks/1/tok?thread_id=2",
    "https://discord.com/api/webhooks/1/tok?thread_id=2" },
  { TW_SECRET_DISCORD_WEBHOOK, "http://discord.com/api/webhooks/1/tok", NULL, "https://" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.gg/api/webhooks/1/tok", NULL, "not on “discord.gg”" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://evildiscord.com/api/webhooks/1/tok", NULL, "discord.com" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://hooks.slack.com/services/T0/B0/xyz", NULL, "discord.com" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/webhooks/abc/tok", NULL, "/api/webhooks/" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/webhooks/1", NULL, "/api/webhooks/" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/webhooks/1/tok/github", NULL, "/api/webhooks/" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/api/vx/webhooks/1/tok", NULL, "/api/webhooks/" },
  { TW_SECRET_DISCORD_WEBHOOK, "https://discord.com/webhooks/1/tok", NULL, "/api/webhooks/" },
  { TW_SECRET_SMTP_PASSWORD, "s3cr3t", "s3cr3t" },
  /* a password is kept as typed, blanks included */
  { TW_SECRET_SMTP_PASSWORD, " pass wörd ", " pass wörd " },
  { TW_SECRET_SMTP_PASSWORD, "", NULL, "empty" },
  { TW_SECRET_SMTP_PASSWORD, "tab\there", NULL, "control characters" },
  { TW_SECRET_SMTP_PASSWORD, "bad\xff", NULL, "UTF-8" },
};

static void
test_value (gconstpointer data)
{
  const ValueCase *c = data;
  g_autoptr(GError) error = NULL;
  char *normalized = tw_secrets_normalize (c->kind, c->value, &error);

  if (c->normalized != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (normalized, ==, c->normalized);
      g_assert_true (tw_secrets_validate (c->kind, c->value, NULL));
      tw_secrets_free_value (normalized);
      return;
    }

  g_assert_null (normalized);
  g_assert_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, c->message));
  /* the secret part of a URL (its last segment) is never repeated */
  g_assert_null (strstr (error->message, "xyz"));
  g_assert_null (strstr (error->message, "tok"));
  g_assert_false (tw_secrets_validate (c->kind, c->value, NULL));
}

static void
test_value_too_long (void)
{
  g_autofree char *value = g_strnfill (TW_SECRETS_MAX_VALUE_BYTES + 1, 'a');
  g_autoptr(GError) error = NULL;

  g_assert_null (tw_secrets_normalize (TW_SECRET_SMTP_PASSWORD, value, &error));
  g_assert_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE);
  value[TW_SECRETS_MAX_VALUE_BYTES] = '\0';
  g_assert_true (tw_secrets_validate (TW_SECRET_SMTP_PASSWORD, value, NULL));
}

/* The test-only host lets a loopback receiver in, and relaxes nothing else. */
static void
test_value_test_host (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (tw_secrets_validate (TW_SECRET_SLACK_WEBHOOK, "https://127.0.0.1:8443/services/T/B/x", NULL));

  g_setenv ("TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST", "127.0.0.1:8443", TRUE);
  g_assert_true (tw_secrets_validate (TW_SECRET_SLACK_WEBHOOK, "https://127.0.0.1:8443/services/T/B/x", NULL));
  g_assert_true (tw_secrets_validate (TW_SECRET_DISCORD_WEBHOOK, "https://127.0.0.1:8443/api/webhooks/1/t", NULL));
  g_assert_false (tw_secrets_validate (TW_SECRET_SLACK_WEBHOOK, "https://127.0.0.1:9999/services/T/B/x", NULL));
  g_assert_false (tw_secrets_validate (TW_SECRET_SLACK_WEBHOOK, "http://127.0.0.1:8443/services/T/B/x", NULL));
  g_assert_false (tw_secrets_validate (TW_SECRET_SLACK_WEBHOOK, "https://127.0.0.1:8443/hook", &error));
  g_assert_error (error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE);

  g_setenv ("TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST", "localhost", TRUE);
  g_assert_true (tw_secrets_validate (TW_SECRET_DISCORD_WEBHOOK, "https://localhost:1234/api/webhooks/1/t", NULL));
  g_unsetenv ("TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST");
  g_assert_false (tw_secrets_validate (TW_SECRET_DISCORD_WEBHOOK, "https://localhost:1234/api/webhooks/1/t", NULL));
}

static void
test_kinds (void)
{
  static const char * const names[] = { "smtp-password", "slack-webhook", "discord-webhook" };
  static const char * const commands[] = { "email", "slack", "discord" };
  static const char * const env_vars[] = {
    "TRAINWATCH_SMTP_PASSWORD", "TRAINWATCH_SLACK_WEBHOOK", "TRAINWATCH_DISCORD_WEBHOOK",
  };
  TwSecretKind kind;

  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    {
      g_assert_cmpstr (tw_secret_kind_to_string (i), ==, names[i]);
      g_assert_cmpstr (tw_secret_kind_get_command (i), ==, commands[i]);
      g_assert_cmpstr (tw_secret_kind_get_env_var (i), ==, env_vars[i]);
      g_assert_true (tw_secret_kind_from_string (names[i], &kind));
      g_assert_cmpuint (kind, ==, i);
      g_assert_true (tw_secret_kind_from_command (commands[i], &kind));
      g_assert_cmpuint (kind, ==, i);
    }
  g_assert_false (tw_secret_kind_from_string ("slack", &kind));
  g_assert_false (tw_secret_kind_from_command ("smtp-password", &kind));
  g_assert_cmpstr (tw_secret_source_to_string (TW_SECRET_SOURCE_KEYRING), ==, "keyring");
  g_assert_cmpstr (tw_secret_source_to_string (TW_SECRET_SOURCE_ENVIRONMENT), ==, "environment");
  g_assert_null (tw_secret_source_to_string (TW_SECRET_SOURCE_NONE));
}

/* A pipe holding @input, closed for writing; returns its read end. */
static int
pipe_with (const char *input,
           gsize       len)
{
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], input, len), ==, (gssize) len);
  close (fds[1]);
  return fds[0];
}

static void
test_read_pipe (void)
{
  static const struct
  {
    const char *input;
    const char *line;
  } cases[] = {
    { "https://hooks.slack.com/services/T/B/x\nsecond line\n", "https://hooks.slack.com/services/T/B/x" },
    { "crlf\r\n", "crlf" },
    { "no line end", "no line end" },
    { " blanks kept \n", " blanks kept " },
    { "\n", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      int fd = pipe_with (cases[i].input, strlen (cases[i].input));
      char *line = tw_secret_command_read_value (fd, "prompt: ", &error);

      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, cases[i].line);
      tw_secrets_free_value (line);

      /* only the first line is read: what follows stays for whoever reads next */
      if (i == 0)
        {
          char rest[32] = { 0 };

          g_assert_cmpint (read (fd, rest, sizeof rest - 1), ==, strlen ("second line\n"));
          g_assert_cmpstr (rest, ==, "second line\n");
        }
      close (fd);
    }
}

static void
test_read_pipe_refused (void)
{
  g_autofree char *long_line = g_strnfill (TW_SECRETS_MAX_VALUE_BYTES + 10, 'a');
  g_autoptr(GError) empty_error = NULL;
  g_autoptr(GError) long_error = NULL;
  int empty = pipe_with ("", 0);
  int too_long;

  g_assert_null (tw_secret_command_read_value (empty, "prompt: ", &empty_error));
  g_assert_error (empty_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (empty_error->message, "empty"));
  close (empty);

  /* more than a pipe's buffer can hold at once is not needed: the limit comes first */
  too_long = pipe_with (long_line, TW_SECRETS_MAX_VALUE_BYTES + 10);
  g_assert_null (tw_secret_command_read_value (too_long, "prompt: ", &long_error));
  g_assert_error (long_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (long_error->message, "longer than"));
  close (too_long);
}

typedef struct
{
  int     fd;
  char   *line;
  GError *error;
} Reader;

static gpointer
read_in_thread (gpointer data)
{
  Reader *reader = data;

  reader->line = tw_secret_command_read_value (reader->fd, "", &reader->error);
  return NULL;
}

static gboolean
echo_is_on (int fd)
{
  struct termios attributes;

  g_assert_cmpint (tcgetattr (fd, &attributes), ==, 0);
  return (attributes.c_lflag & ECHO) != 0;
}

/* Everything the terminal has shown so far. */
static char *
drain (int master)
{
  GString *shown = g_string_new (NULL);
  char buffer[256];
  ssize_t n;

  while ((n = read (master, buffer, sizeof buffer)) > 0)
    g_string_append_len (shown, buffer, n);
  return g_string_free (shown, FALSE);
}

/* On a terminal, what is typed is not echoed, and the terminal's settings come back. */
static void
test_read_terminal (void)
{
  static const char typed[] = "hunter2-typed\n";
  g_autofree char *shown_before = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GThread) thread = NULL;
  Reader reader = { -1 };
  gint64 deadline;
  char echoed[64] = { 0 };
  int master;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt (master) != 0 || unlockpt (master) != 0)
    {
      if (master >= 0)
        close (master);
      g_test_skip ("No pseudo-terminal here");
      return;
    }
  reader.fd = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (reader.fd, >=, 0);
  g_assert_true (isatty (reader.fd));
  g_assert_true (echo_is_on (reader.fd));
  g_assert_cmpint (fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK), ==, 0);

  /* the terminal echoes by default: this test would see it */
  g_assert_cmpint (write (master, "visible\n", 8), ==, 8);
  g_assert_cmpint (read (reader.fd, echoed, sizeof echoed - 1), ==, 8);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (shown_before == NULL || strstr (shown_before, "visible") == NULL)
    {
      g_autofree char *more = drain (master);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      shown_before = g_strconcat (shown_before != NULL ? shown_before : "", more, NULL);
      g_usleep (1000);
    }

  thread = g_thread_new ("reader", read_in_thread, &reader);
  /* type only once echo is off: turning it off flushes what was typed ahead */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (echo_is_on (reader.fd))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
  g_assert_cmpint (write (master, typed, strlen (typed)), ==, strlen (typed));
  g_thread_join (g_steal_pointer (&thread));

  g_assert_no_error (reader.error);
  g_assert_cmpstr (reader.line, ==, "hunter2-typed");
  shown = drain (master);
  g_assert_null (strstr (shown, "hunter2"));
  /* the Enter key still showed as a line end */
  g_assert_nonnull (strchr (shown, '\n'));
  g_assert_true (echo_is_on (reader.fd));

  tw_secrets_free_value (reader.line);
  close (reader.fd);
  close (master);
}

typedef struct
{
  gboolean        done;
  char           *value;
  TwSecretSource  source;
  GError         *error;
  GPtrArray      *states;
} Wait;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->value = tw_secrets_lookup_finish (result, &wait->source, &wait->error);
  wait->done = TRUE;
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *wait = user_data;

  wait->states = tw_secrets_query_finish (result);
  wait->done = TRUE;
}

static void
wait_clear (Wait *wait)
{
  tw_secrets_free_value (wait->value);
  g_clear_error (&wait->error);
  g_clear_pointer (&wait->states, g_ptr_array_unref);
  memset (wait, 0, sizeof *wait);
}

static void
lookup (TwSecretKind  kind,
        Wait         *wait)
{
  wait_clear (wait);
  tw_secrets_lookup_async (kind, 5000, NULL, lookup_cb, wait);
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
no_session_bus (void)
{
  /* isolated XDG_RUNTIME_DIR: no "bus" socket there either */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("DBUS_STARTER_ADDRESS");
  g_unsetenv ("DBUS_STARTER_BUS_TYPE");
  g_unsetenv ("DISPLAY");
}

/* A variable that is set is used as it is, without asking any Secret Service. */
static void
test_lookup_environment (void)
{
  Wait wait = { 0 };

  no_session_bus ();
  g_setenv ("TRAINWATCH_DISCORD_WEBHOOK", " https://discord.com/api/webhooks/42/envTOKEN\n", TRUE);
  lookup (TW_SECRET_DISCORD_WEBHOOK, &wait);
  g_assert_no_error (wait.error);
  g_assert_cmpstr (wait.value, ==, "https://discord.com/api/webhooks/42/envTOKEN");
  g_assert_cmpuint (wait.source, ==, TW_SECRET_SOURCE_ENVIRONMENT);

  g_setenv ("TRAINWATCH_DISCORD_WEBHOOK", "http://discord.com/api/webhooks/42/envTOKEN", TRUE);
  lookup (TW_SECRET_DISCORD_WEBHOOK, &wait);
  g_assert_null (wait.value);
  g_assert_error (wait.error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (wait.error->message, "TRAINWATCH_DISCORD_WEBHOOK"));
  g_assert_nonnull (strstr (wait.error->message, "https://"));
  g_assert_null (strstr (wait.error->message, "envTOKEN"));

  g_unsetenv ("TRAINWATCH_DISCORD_WEBHOOK");
  wait_clear (&wait);
}

/* No session bus at all: every way in says so and names the variable to set. */
static void
test_no_session_bus (void)
{
  g_autoptr(GError) store_error = NULL;
  g_autoptr(GError) clear_error = NULL;
  Wait wait = { 0 };
  TwSecretState *state;

  no_session_bus ();
  g_unsetenv ("TRAINWATCH_SMTP_PASSWORD");
  g_unsetenv ("TRAINWATCH_SLACK_WEBHOOK");
  g_setenv ("TRAINWATCH_DISCORD_WEBHOOK", "https://discord.com/api/webhooks/42/envTOKEN", TRUE);

  lookup (TW_SECRET_SLACK_WEBHOOK, &wait);
  g_assert_error (wait.error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE);
  g_assert_nonnull (strstr (wait.error->message, "No Secret Service"));
  g_assert_nonnull (strstr (wait.error->message, "TRAINWATCH_SLACK_WEBHOOK"));

  g_assert_false (tw_secrets_store_sync (TW_SECRET_SMTP_PASSWORD, "s3cr3t", NULL, &store_error));
  g_assert_error (store_error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE);
  g_assert_nonnull (strstr (store_error->message, "TRAINWATCH_SMTP_PASSWORD"));
  g_assert_false (tw_secrets_clear_sync (TW_SECRET_SLACK_WEBHOOK, NULL, NULL, &clear_error));
  g_assert_error (clear_error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NO_SERVICE);

  wait_clear (&wait);
  tw_secrets_query_async (5000, NULL, query_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (wait.states->len, ==, TW_N_SECRET_KINDS);
  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    {
      state = g_ptr_array_index (wait.states, i);
      g_assert_cmpuint (state->kind, ==, i);
      g_assert_cmpuint (state->keyring, ==, TW_SECRET_KEYRING_UNKNOWN);
      if (i == TW_SECRET_DISCORD_WEBHOOK)
        {
          /* the variable is there: the missing keyring does not matter */
          g_assert_cmpuint (state->source, ==, TW_SECRET_SOURCE_ENVIRONMENT);
          g_assert_null (state->error);
          continue;
        }
      g_assert_cmpuint (state->source, ==, TW_SECRET_SOURCE_NONE);
      g_assert_nonnull (strstr (state->error, "No Secret Service"));
      g_assert_nonnull (strstr (state->error, tw_secret_kind_get_env_var (i)));
    }

  g_unsetenv ("TRAINWATCH_DISCORD_WEBHOOK");
  wait_clear (&wait);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (value_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/secrets/value/%u", i);

      g_test_add_data_func (path, &value_cases[i], test_value);
    }
  g_test_add_func ("/secrets/value/too-long", test_value_too_long);
  g_test_add_func ("/secrets/value/test-host", test_value_test_host);
  g_test_add_func ("/secrets/kinds", test_kinds);
  g_test_add_func ("/secrets/read/pipe", test_read_pipe);
  g_test_add_func ("/secrets/read/pipe-refused", test_read_pipe_refused);
  g_test_add_func ("/secrets/read/terminal", test_read_terminal);
  g_test_add_func ("/secrets/lookup/environment", test_lookup_environment);
  g_test_add_func ("/secrets/no-session-bus", test_no_session_bus);

  return g_test_run ();
}
