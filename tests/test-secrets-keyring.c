/* test-secrets-keyring.c — `trainwatch secret` and the daemon against a real Secret Service
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case runs in a process of its own (tests/meson.build), with its own private bus:
 * libsecret keeps a connection to the bus it first used. gnome-keyring-daemon runs on it with an
 * unlocked login keyring (a password on its standard input: an empty one
 * creates no keyring), or nothing answers for org.freedesktop.secrets at all
 * (the bus has no service files). Every secret used here carries a token
 * that must never show up in what the commands print, in the daemon's log,
 * in the history or anywhere else under the config and state folders.
 */
/* posix_openpt() and ptsname() */
#define _GNU_SOURCE
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "tw-secrets.h"
#include "tw-test-util.h"

/* A command that takes longer than this is hung, not slow. */
#define COMMAND_DEADLINE_MS 30000
#define SECRETS_NAME        "org.freedesktop.secrets"

#define SLACK_TOKEN    "slackTOKENq7Zr"
#define SLACK_URL      "https://hooks.slack.com/services/T0TEST/B0TEST/" SLACK_TOKEN
#define DISCORD_TOKEN  "discordTOKENx9Yw"
#define DISCORD_URL    "https://discord.com/api/webhooks/424242/" DISCORD_TOKEN
#define PASSWORD_TOKEN "pwTOKENk3"
#define PASSWORD       "pa ss wörd " PASSWORD_TOKEN
#define ENV_TOKEN      "envTOKENw1"
#define ENV_SLACK_URL  "https://hooks.slack.com/services/T0ENV/B0ENV/" ENV_TOKEN
#define REFUSED_TOKEN  "refusedTOKENz8"

static const char * const tokens[] = { SLACK_TOKEN, DISCORD_TOKEN, PASSWORD_TOKEN, ENV_TOKEN, REFUSED_TOKEN };

typedef struct
{
  TwTestBus       *bus;
  GDBusConnection *connection;
  GSubprocess     *keyring;
  GPid             keyring_pid;
  char           **env;
  char            *state_dir;
  gboolean         skipped;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

typedef struct
{
  gboolean  done;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
} Communicate;

static void
assert_no_secret (const char *text,
                  const char *where)
{
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    if (strstr (text, tokens[i]) != NULL)
      g_error ("A secret (%s) shows in %s", tokens[i], where);
}

/* Every file under @dir, recursively. */
static void
assert_tree_has_no_secret (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_tree_has_no_secret (path);
      else if (g_file_get_contents (path, &contents, &len, NULL))
        {
          /* binary or not, no token may be in it */
          for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
            if (g_strstr_len (contents, len, tokens[i]) != NULL)
              g_error ("A secret (%s) is in %s", tokens[i], path);
        }
    }
}

static void
communicate_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), res, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

static gboolean
communicate_done (gpointer data)
{
  return ((Communicate *) data)->done;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  return g_strndup (data != NULL ? data : "", len);
}

/* Runs trainwatch with @env (the fixture's when NULL), @input on its standard input. */
static void
run_with (Fixture     *fx,
          Result      *result,
          char       **env,
          const char  *input,
          const char  *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) stdin_bytes = g_bytes_new (input, input != NULL ? strlen (input) : 0);
  g_autoptr(GError) error = NULL;
  Communicate c = { 0 };
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("TW_TEST_TRAINWATCH"));
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env != NULL ? env : fx->env);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_async (process, stdin_bytes, NULL, communicate_cb, &c);
  if (!tw_test_wait_until (communicate_done, &c, COMMAND_DEADLINE_MS))
    {
      g_subprocess_force_exit (process);
      g_error ("trainwatch %s did not answer within %d s", first_arg ? first_arg : "",
               COMMAND_DEADLINE_MS / 1000);
    }
  g_assert_no_error (c.error);

  result->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  result->out = bytes_to_string (c.out);
  result->err = bytes_to_string (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);
  g_test_message ("trainwatch %s %s -> %d\nstdout: %s\nstderr: %s", first_arg ? first_arg : "",
                  argv->len > 3 ? (const char *) argv->pdata[2] : "", result->status, result->out,
                  result->err);
  assert_no_secret (result->out, "a command's standard output");
  assert_no_secret (result->err, "a command's standard error");
}

#define run(fx, result, input, ...) run_with ((fx), (result), NULL, (input), __VA_ARGS__, NULL)

static gboolean
daemon_owned (Fixture *fx)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (fx->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", DAEMON_BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);

  return owned;
}

static gboolean
daemon_gone_cb (gpointer data)
{
  return !daemon_owned (data);
}

static JsonNode *
run_json (Fixture    *fx,
          const char *first_arg,
          const char *second_arg)
{
  g_auto(Result) result = { 0 };
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (second_arg != NULL)
    run (fx, &result, NULL, first_arg, second_arg, "--json");
  else
    run (fx, &result, NULL, first_arg, "--json");
  g_assert_cmpint (result.status, ==, 0);
  root = json_from_string (result.out, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return root;
}

/* One secret's state, from `secret status --json` or the "secrets" of `status --json`. */
static JsonObject *
get_secret (JsonNode   *root,
            const char *name)
{
  JsonObject *object = json_node_get_object (root);

  if (json_object_has_member (object, "secrets"))
    object = json_object_get_object_member (object, "secrets");
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_object_member (object, name);
}

static void
assert_secret (JsonNode   *root,
               const char *name,
               gboolean    set,
               const char *source,
               const char *keyring)
{
  JsonObject *secret = get_secret (root, name);

  g_assert_cmpint (json_object_get_boolean_member (secret, "set"), ==, set);
  g_assert_cmpstr (json_object_get_string_member (secret, "source"), ==, source);
  g_assert_cmpstr (json_object_get_string_member (secret, "keyring"), ==, keyring);
}

static void
die_with_parent (gpointer data)
{
  pid_t parent = GPOINTER_TO_INT (data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (1);
}

static void
start_keyring (Fixture *fx)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  GOutputStream *input;

  if (program == NULL)
    {
      fx->skipped = TRUE;
      g_test_skip ("gnome-keyring-daemon is not installed (package gnome-keyring)");
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_environ (launcher, fx->env);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GINT_TO_POINTER (getpid ()), NULL);
  /* in the foreground, so it stays this test's child; unlocked with a password,
   * or it has no login keyring to store in */
  fx->keyring = g_subprocess_launcher_spawn (launcher, &error, program, "--foreground", "--unlock",
                                             "--components=secrets", NULL);
  g_assert_no_error (error);
  fx->keyring_pid = (GPid) atoi (g_subprocess_get_identifier (fx->keyring));
  input = g_subprocess_get_stdin_pipe (fx->keyring);
  g_output_stream_write_all (input, "test-keyring", strlen ("test-keyring"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (tw_test_wait_for_bus_name (SECRETS_NAME, TRUE, 20000));
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gboolean with_keyring = GPOINTER_TO_INT (data);

  fx->bus = tw_test_bus_new ();
  tw_test_bus_up (fx->bus);
  fx->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  /* The isolated folders exist only in this process: hand them on. */
  fx->env = g_get_environ ();
  fx->env = g_environ_setenv (fx->env, "HOME", g_get_home_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  fx->env = g_environ_setenv (fx->env, "G_MESSAGES_DEBUG", "tw-app tw-channels", TRUE);
  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    fx->env = g_environ_unsetenv (fx->env, tw_secret_kind_get_env_var (i));
  for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
    g_unsetenv (tw_secret_kind_get_env_var (i));
  fx->state_dir = g_build_filename (g_get_user_state_dir (), "trainwatch", NULL);

  if (with_keyring)
    start_keyring (fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *log_path = g_build_filename (fx->state_dir, "daemon.log", NULL);
  g_autofree char *log = NULL;

  if (fx->keyring != NULL)
    kill (fx->keyring_pid, SIGCONT);
  if (daemon_owned (fx))
    {
      g_auto(Result) result = { 0 };

      run (fx, &result, NULL, "quit");
      g_assert_true (tw_test_wait_until (daemon_gone_cb, fx, 20000));
    }

  if (g_file_get_contents (log_path, &log, NULL, NULL))
    {
      g_test_message ("daemon.log:\n%s", log);
      g_assert_null (strstr (log, "Sanitizer"));
      g_assert_null (strstr (log, "runtime error:"));
      g_assert_null (strstr (log, "CRITICAL"));
      g_assert_null (strstr (log, "WARNING"));
    }
  /* the config, the history, the daemon's log, saved offsets: all of them */
  assert_tree_has_no_secret (g_get_user_config_dir ());
  assert_tree_has_no_secret (g_get_user_state_dir ());
  assert_tree_has_no_secret (g_get_user_cache_dir ());

  if (fx->keyring != NULL)
    {
      g_subprocess_force_exit (fx->keyring);
      g_subprocess_wait (fx->keyring, NULL, NULL);
    }
  g_clear_object (&fx->keyring);
  /* libsecret keeps the connection to this bus: let go of it before the bus goes */
  secret_service_disconnect ();
  g_clear_object (&fx->connection);
  g_clear_pointer (&fx->bus, tw_test_bus_free);
  g_clear_pointer (&fx->env, g_strfreev);
  g_clear_pointer (&fx->state_dir, g_free);
}

typedef struct
{
  gboolean        done;
  char           *value;
  TwSecretSource  source;
  GError         *error;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->value = tw_secrets_lookup_finish (result, &lookup->source, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_done (gpointer data)
{
  return ((Lookup *) data)->done;
}

/* What the daemon's channels would get, asked from this process. */
static void
lookup (TwSecretKind  kind,
        guint         timeout_ms,
        Lookup       *lookup)
{
  tw_secrets_free_value (lookup->value);
  g_clear_error (&lookup->error);
  memset (lookup, 0, sizeof *lookup);
  tw_secrets_lookup_async (kind, timeout_ms, NULL, lookup_cb, lookup);
  g_assert_true (tw_test_wait_until (lookup_done, lookup, COMMAND_DEADLINE_MS));
}

static void
lookup_clear (Lookup *lookup)
{
  tw_secrets_free_value (lookup->value);
  g_clear_error (&lookup->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Lookup, lookup_clear)

/* What secret-tool (another client of the Secret Service, package libsecret-tools)
 * prints, or %NULL when it failed. It stays in this process: it may hold a value. */
static char *
secret_tool (Fixture    *fx,
             const char *verb,
             const char *attribute,
             const char *value)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_environ (launcher, fx->env);
  process = g_subprocess_launcher_spawn (launcher, &error, "secret-tool", verb, attribute, value, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);

  return g_subprocess_get_exit_status (process) == 0 ? g_steal_pointer (&out) : NULL;
}

/* What `secret-tool lookup kind KIND` reads: @expected, or nothing. */
static void
assert_keyring_holds (Fixture    *fx,
                      const char *kind,
                      const char *expected)
{
  g_autofree char *value = secret_tool (fx, "lookup", "kind", kind);

  if (expected == NULL)
    g_assert_null (value);
  else
    g_assert_true (value != NULL && g_str_equal (value, expected));
}

static void
test_round_trip (Fixture       *fx,
                 gconstpointer  data)
{
  g_auto(Lookup) found = { 0 };

  if (fx->skipped)
    return;

  {
    g_autoptr(JsonNode) status = run_json (fx, "secret", "status");

    assert_secret (status, "smtp-password", FALSE, NULL, "not-stored");
    assert_secret (status, "slack-webhook", FALSE, NULL, "not-stored");
    assert_secret (status, "discord-webhook", FALSE, NULL, "not-stored");
  }

  /* a line end, none, and CR LF */
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, SLACK_URL "\n", "secret", "set", "slack");
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Slack webhook URL: stored in the keyring"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, DISCORD_URL, "secret", "set", "discord");
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, PASSWORD "\r\n", "secret", "set", "email");
    g_assert_cmpint (result.status, ==, 0);
  }

  /* as the daemon's channels get it (one lookup per process: after a second one,
   * libsecret 0.20 holds on to the bus's connection), and as another client of the
   * keyring reads them */
  lookup (TW_SECRET_SMTP_PASSWORD, 10000, &found);
  g_assert_no_error (found.error);
  g_assert_true (g_str_equal (found.value, PASSWORD));
  g_assert_cmpuint (found.source, ==, TW_SECRET_SOURCE_KEYRING);
  assert_keyring_holds (fx, "slack-webhook", SLACK_URL);
  assert_keyring_holds (fx, "discord-webhook", DISCORD_URL);

  /* the item is ours: our schema, and a label the keyring's tools show */
  {
    g_autofree char *items = secret_tool (fx, "search", "kind", "slack-webhook");

    g_assert_nonnull (strstr (items, "label = Trainwatch Slack webhook URL\n"));
    g_assert_nonnull (strstr (items, "schema = io.github.trainwatch.Trainwatch.Secret\n"));
  }

  /* the daemon sees them, and says so without a value */
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, NULL);
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "send", "--level", "error", "Run failed", "the history gets this");
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);

    g_assert_true (json_object_get_boolean_member (json_node_get_object (status), "running"));
    assert_secret (status, "smtp-password", TRUE, "keyring", "stored");
    assert_secret (status, "slack-webhook", TRUE, "keyring", "stored");
    assert_secret (status, "discord-webhook", TRUE, "keyring", "stored");
    g_assert_true (json_object_get_null_member (get_secret (status, "slack-webhook"), "error"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "status");
    g_assert_nonnull (strstr (result.out, "Slack webhook URL: in the keyring"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "status");
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Trainwatch (process"));
    g_assert_nonnull (strstr (result.out, "Email (SMTP) password: in the keyring"));
  }

  /* cleared, then nothing left to clear */
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "clear", "slack");
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "removed from the keyring"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "clear", "slack");
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "there was none in the keyring"));
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);

    assert_secret (status, "slack-webhook", FALSE, NULL, "not-stored");
    assert_secret (status, "discord-webhook", TRUE, "keyring", "stored");
  }
  assert_keyring_holds (fx, "slack-webhook", NULL);
}

static void
test_refused (Fixture       *fx,
              gconstpointer  data)
{
  static const struct
  {
    const char *kind;
    const char *input;
    const char *message;
  } cases[] = {
    { "slack", "http://hooks.slack.com/services/T0/B0/" REFUSED_TOKEN "\n", "https://" },
    { "slack", "https://hooks.slack.com.evil.example/services/T0/B0/" REFUSED_TOKEN "\n",
      "on hooks.slack.com, not on “hooks.slack.com.evil.example”" },
    { "discord", "https://hooks.slack.com/services/T0/B0/" REFUSED_TOKEN "\n", "discord.com" },
    { "discord", "https://discord.com/channels/1/" REFUSED_TOKEN "\n", "/api/webhooks/ID/TOKEN" },
    { "email", "\n", "empty" },
    { "slack", "", "Standard input is empty" },
  };
  g_auto(Lookup) found = { 0 };

  if (fx->skipped)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Result) result = { 0 };

      run (fx, &result, cases[i].input, "secret", "set", cases[i].kind);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_nonnull (strstr (result.err, "Nothing was stored"));
      g_assert_nonnull (strstr (result.err, cases[i].message));
      g_assert_cmpstr (result.out, ==, "");
    }

  {
    g_autoptr(JsonNode) status = run_json (fx, "secret", "status");

    assert_secret (status, "smtp-password", FALSE, NULL, "not-stored");
    assert_secret (status, "slack-webhook", FALSE, NULL, "not-stored");
    assert_secret (status, "discord-webhook", FALSE, NULL, "not-stored");
  }

  lookup (TW_SECRET_SLACK_WEBHOOK, 10000, &found);
  g_assert_null (found.value);
  g_assert_error (found.error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_NOT_SET);
  g_assert_nonnull (strstr (found.error->message, "trainwatch secret set slack"));
}

/* A variable that is set wins over the keyring, for the daemon that has it. */
static void
test_environment_wins (Fixture       *fx,
                       gconstpointer  data)
{
  g_auto(GStrv) env = NULL;
  g_auto(GStrv) other_env = NULL;
  g_auto(Lookup) found = { 0 };

  if (fx->skipped)
    return;

  env = g_environ_setenv (g_strdupv (fx->env), "TRAINWATCH_SLACK_WEBHOOK", ENV_SLACK_URL, TRUE);
  other_env = g_environ_setenv (g_strdupv (fx->env), "TRAINWATCH_SLACK_WEBHOOK", SLACK_URL, TRUE);
  {
    g_auto(Result) result = { 0 };

    run_with (fx, &result, env, SLACK_URL "\n", "secret", "set", "slack", NULL);
    g_assert_cmpint (result.status, ==, 0);
    /* stored, with a word that the variable here takes precedence */
    g_assert_nonnull (strstr (result.err, "TRAINWATCH_SLACK_WEBHOOK is set here"));
  }
  {
    g_auto(Result) result = { 0 };

    /* the daemon starts with the variable */
    run_with (fx, &result, env, NULL, "send", "Started", NULL);
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);

    assert_secret (status, "slack-webhook", TRUE, "environment", "stored");
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "status");
    g_assert_nonnull (strstr (result.out, "Slack webhook URL: from the environment variable "
                                          "TRAINWATCH_SLACK_WEBHOOK (the one in the keyring is not used"));
    g_assert_null (strstr (result.err, "Note:"));
  }
  {
    g_auto(Result) result = { 0 };

    /* from a shell where the variable holds something else than in the daemon */
    run_with (fx, &result, other_env, NULL, "secret", "status", NULL);
    g_assert_nonnull (strstr (result.err, "Note: TRAINWATCH_SLACK_WEBHOOK is set in this shell"));
  }

  g_setenv ("TRAINWATCH_SLACK_WEBHOOK", ENV_SLACK_URL, TRUE);
  lookup (TW_SECRET_SLACK_WEBHOOK, 10000, &found);
  g_assert_true (g_str_equal (found.value, ENV_SLACK_URL));
  g_assert_cmpuint (found.source, ==, TW_SECRET_SOURCE_ENVIRONMENT);
  g_unsetenv ("TRAINWATCH_SLACK_WEBHOOK");
  lookup (TW_SECRET_SLACK_WEBHOOK, 10000, &found);
  g_assert_true (g_str_equal (found.value, SLACK_URL));
  g_assert_cmpuint (found.source, ==, TW_SECRET_SOURCE_KEYRING);
}

static gboolean
count_tick_cb (gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

/* A stopped Secret Service: the daemon still answers, and says the keyring did not. */
static void
test_hung_service (Fixture       *fx,
                   gconstpointer  data)
{
  g_auto(Lookup) found = { 0 };
  guint ticks = 0;
  guint tick_id;

  if (fx->skipped)
    return;

  {
    g_auto(Result) result = { 0 };

    run (fx, &result, SLACK_URL "\n", "secret", "set", "slack");
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, NULL);
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);

    assert_secret (status, "slack-webhook", TRUE, "keyring", "stored");
  }

  g_assert_cmpint (kill (fx->keyring_pid, SIGSTOP), ==, 0);
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "send", "While the keyring hangs");
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);
    JsonObject *slack = get_secret (status, "slack-webhook");
    JsonArray *events = json_object_get_array_member (json_node_get_object (status), "events");
    JsonObject *last = json_array_get_object_element (events, json_array_get_length (events) - 1);

    /* answered by the daemon's own time limit, which only a running main loop keeps */
    assert_secret (status, "slack-webhook", FALSE, NULL, NULL);
    g_assert_nonnull (strstr (json_object_get_string_member (slack, "error"),
                              "did not answer within 3 seconds"));
    g_assert_nonnull (strstr (json_object_get_string_member (slack, "error"), "TRAINWATCH_SLACK_WEBHOOK"));
    /* and the command sent meanwhile was handled */
    g_assert_cmpstr (json_object_get_string_member (last, "title"), ==, "While the keyring hangs");
  }

  /* in this process too: the lookup gives up on time, and the main loop ran meanwhile */
  tick_id = g_timeout_add (10, count_tick_cb, &ticks);
  lookup (TW_SECRET_SLACK_WEBHOOK, 500, &found);
  g_source_remove (tick_id);
  g_assert_null (found.value);
  g_assert_error (found.error, TW_SECRETS_ERROR, TW_SECRETS_ERROR_TIMED_OUT);
  g_assert_cmpuint (ticks, >, 0);

  g_assert_cmpint (kill (fx->keyring_pid, SIGCONT), ==, 0);
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);

    assert_secret (status, "slack-webhook", TRUE, "keyring", "stored");
  }
}

/* A bus where nothing provides org.freedesktop.secrets, and no bus at all. */
static void
test_no_service (Fixture       *fx,
                 gconstpointer  data)
{
  g_auto(GStrv) env = g_environ_setenv (g_strdupv (fx->env), "TRAINWATCH_SLACK_WEBHOOK", SLACK_URL, TRUE);
  g_auto(GStrv) no_bus_env = g_environ_unsetenv (g_strdupv (env), "DBUS_SESSION_BUS_ADDRESS");

  {
    g_auto(Result) result = { 0 };

    run (fx, &result, DISCORD_URL "\n", "secret", "set", "discord");
    g_assert_cmpint (result.status, ==, 1);
    g_assert_nonnull (strstr (result.err, "Nothing was stored: No Secret Service (keyring) is available"));
    g_assert_nonnull (strstr (result.err, "set the environment variable TRAINWATCH_DISCORD_WEBHOOK instead"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "clear", "email");
    g_assert_cmpint (result.status, ==, 1);
    g_assert_nonnull (strstr (result.err, "TRAINWATCH_SMTP_PASSWORD"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "status");
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "No Secret Service"));
    for (guint i = 0; i < TW_N_SECRET_KINDS; i++)
      g_assert_nonnull (strstr (result.out, tw_secret_kind_get_env_var (i)));
  }

  /* the daemon, given the Slack webhook in its environment */
  {
    g_auto(Result) result = { 0 };

    run_with (fx, &result, env, NULL, "send", "Started", NULL);
    g_assert_cmpint (result.status, ==, 0);
  }
  {
    g_autoptr(JsonNode) status = run_json (fx, "status", NULL);
    JsonObject *email = get_secret (status, "smtp-password");

    assert_secret (status, "slack-webhook", TRUE, "environment", NULL);
    g_assert_true (json_object_get_null_member (get_secret (status, "slack-webhook"), "error"));
    assert_secret (status, "smtp-password", FALSE, NULL, NULL);
    g_assert_nonnull (strstr (json_object_get_string_member (email, "error"), "No Secret Service"));
    g_assert_nonnull (strstr (json_object_get_string_member (email, "error"), "TRAINWATCH_SMTP_PASSWORD"));
  }
  {
    g_auto(Result) result = { 0 };

    run (fx, &result, NULL, "secret", "status");
    g_assert_nonnull (strstr (result.out, "Slack webhook URL: from the environment variable "
                                          "TRAINWATCH_SLACK_WEBHOOK"));
  }

  /* no session bus at all: the same advice, and the variable still counts */
  {
    g_auto(Result) result = { 0 };

    run_with (fx, &result, no_bus_env, DISCORD_URL "\n", "secret", "set", "discord", NULL);
    g_assert_cmpint (result.status, ==, 1);
    g_assert_nonnull (strstr (result.err, "No Secret Service (keyring) is available"));
    g_assert_nonnull (strstr (result.err, "TRAINWATCH_DISCORD_WEBHOOK"));
  }
  {
    g_auto(Result) result = { 0 };

    run_with (fx, &result, no_bus_env, NULL, "secret", "status", NULL);
    g_assert_cmpint (result.status, ==, 0);
    g_assert_nonnull (strstr (result.out, "Slack webhook URL: from the environment variable "
                                          "TRAINWATCH_SLACK_WEBHOOK"));
    g_assert_nonnull (strstr (result.out, "TRAINWATCH_DISCORD_WEBHOOK"));
  }
}

static gboolean
echo_is_off (gpointer data)
{
  struct termios attributes;

  return tcgetattr (GPOINTER_TO_INT (data), &attributes) == 0 && !(attributes.c_lflag & ECHO);
}

/* Typed on a terminal: asked for, not echoed, stored. */
static void
test_terminal (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  g_autofree char *err = NULL;
  g_auto(Lookup) found = { 0 };
  Communicate c = { 0 };
  char buffer[256];
  ssize_t n;
  int master;
  int slave;

  if (fx->skipped)
    return;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt (master) != 0 || unlockpt (master) != 0)
    {
      if (master >= 0)
        close (master);
      g_test_skip ("No pseudo-terminal here");
      return;
    }
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  g_assert_cmpint (fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK), ==, 0);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, fx->env);
  g_subprocess_launcher_take_stdin_fd (launcher, dup (slave));
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TW_TEST_TRAINWATCH"), "secret", "set",
                                         "slack", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_async (process, NULL, NULL, communicate_cb, &c);

  /* typed once echo is off: turning it off flushes what was typed ahead */
  g_assert_true (tw_test_wait_until (echo_is_off, GINT_TO_POINTER (slave), COMMAND_DEADLINE_MS));
  g_assert_cmpint (write (master, SLACK_URL "\n", strlen (SLACK_URL "\n")), ==, strlen (SLACK_URL "\n"));
  g_assert_true (tw_test_wait_until (communicate_done, &c, COMMAND_DEADLINE_MS));
  g_assert_no_error (c.error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  while ((n = read (master, buffer, sizeof buffer)) > 0)
    g_string_append_len (shown, buffer, n);
  err = bytes_to_string (c.err);
  g_test_message ("terminal: %s\nstderr: %s", shown->str, err);
  assert_no_secret (shown->str, "the terminal");
  g_assert_null (strstr (shown->str, "hooks.slack.com"));
  g_assert_nonnull (strstr (err, "Slack webhook URL (not shown): "));
  g_assert_false (echo_is_off (GINT_TO_POINTER (slave)));
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);
  close (slave);
  close (master);

  lookup (TW_SECRET_SLACK_WEBHOOK, 10000, &found);
  g_assert_true (g_str_equal (found.value, SLACK_URL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/secrets-keyring/round-trip", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_round_trip,
              fixture_teardown);
  g_test_add ("/secrets-keyring/refused", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_refused,
              fixture_teardown);
  g_test_add ("/secrets-keyring/environment-wins", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_environment_wins, fixture_teardown);
  g_test_add ("/secrets-keyring/hung-service", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_hung_service, fixture_teardown);
  g_test_add ("/secrets-keyring/terminal", Fixture, GINT_TO_POINTER (TRUE), fixture_setup, test_terminal,
              fixture_teardown);
  g_test_add ("/secrets-keyring/no-service", Fixture, GINT_TO_POINTER (FALSE), fixture_setup, test_no_service,
              fixture_teardown);

  return g_test_run ();
}
