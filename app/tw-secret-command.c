/* tw-secret-command.c — `trainwatch secret set|clear|status`, run by the command line itself
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `secret set` and `secret clear` talk to the Secret Service from the
 * command's own process, never through the daemon: the secret is read from
 * this process's standard input and goes straight into the keyring, so it
 * never travels in a forwarded command line nor sits in the daemon's memory
 * before a channel needs it. The daemon looks secrets up itself when it
 * sends. `secret status` is answered by the daemon when one runs (it shows
 * what that daemon uses, its own environment included) and here otherwise.
 */
#include "config.h"

#include "tw-secret-command.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The longest line read: one byte more than any value tw_secrets_normalize() accepts. */
#define MAX_LINE_BYTES (TW_SECRETS_MAX_VALUE_BYTES + 1)

static volatile sig_atomic_t interrupting_signal;

static const int interrupting_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

typedef struct
{
  GPtrArray *states;
  gboolean   done;
} QueryWait;

static void
record_signal (int signal_number)
{
  interrupting_signal = signal_number;
}

static const char *
keyring_state_to_string (TwSecretKeyringState state)
{
  switch (state)
    {
    case TW_SECRET_KEYRING_STORED:
      return "stored";
    case TW_SECRET_KEYRING_NOT_STORED:
      return "not-stored";
    case TW_SECRET_KEYRING_UNKNOWN:
    default:
      return NULL;
    }
}

static void
note_environment (TwSecretKind kind)
{
  if (g_getenv (tw_secret_kind_get_env_var (kind)) != NULL)
    g_printerr (_("Note: the environment variable %s is set here. Where it is set, it wins over "
                  "the keyring.\n"),
                tw_secret_kind_get_env_var (kind));
}

static int
run_set (TwCommand *command)
{
  TwSecretKind kind = command->secret;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  char *value = NULL;
  char *normalized = NULL;
  gboolean stored;

  prompt = g_strdup_printf (_("%s (not shown): "), tw_secret_kind_get_description (kind));
  value = tw_secret_command_read_value (STDIN_FILENO, prompt, &error);
  if (value == NULL)
    {
      g_printerr (_("Nothing was stored: %s\n"), error->message);
      return 2;
    }

  normalized = tw_secrets_normalize (kind, value, &error);
  tw_secrets_free_value (value);
  if (normalized == NULL)
    {
      g_printerr (_("Nothing was stored: %s\n"), error->message);
      return 2;
    }

  stored = tw_secrets_store_sync (kind, normalized, NULL, &error);
  tw_secrets_free_value (normalized);
  if (!stored)
    {
      g_printerr (_("Nothing was stored: %s\n"), error->message);
      return 1;
    }

  g_print (_("%s: stored in the keyring (Secret Service).\n"), tw_secret_kind_get_description (kind));
  note_environment (kind);
  return 0;
}

static int
run_clear (TwCommand *command)
{
  TwSecretKind kind = command->secret;
  g_autoptr(GError) error = NULL;
  gboolean removed = FALSE;

  if (!tw_secrets_clear_sync (kind, &removed, NULL, &error))
    {
      g_printerr (_("Nothing was removed: %s\n"), error->message);
      return 1;
    }

  if (removed)
    g_print (_("%s: removed from the keyring.\n"), tw_secret_kind_get_description (kind));
  else
    g_print (_("%s: there was none in the keyring.\n"), tw_secret_kind_get_description (kind));
  note_environment (kind);
  return 0;
}

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  QueryWait *wait = user_data;

  wait->states = tw_secrets_query_finish (result);
  wait->done = TRUE;
}

/* No daemon runs: what one started from here would use. */
static int
run_status (TwCommand *command)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GPtrArray) states = NULL;
  QueryWait wait = { 0 };

  g_main_context_push_thread_default (context);
  tw_secrets_query_async (TW_SECRETS_STATUS_TIMEOUT_MS, NULL, query_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  states = wait.states;

  if (command->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;

      tw_secret_states_add_json (states, builder);
      root = json_builder_get_root (builder);
      json = json_to_string (root, TRUE);
      g_print ("%s\n", json);
    }
  else
    {
      g_autoptr(GString) text = g_string_new (NULL);

      g_string_append_printf (text, "%s\n",
                              _("Trainwatch is not running; a daemon started from here would use:"));
      tw_secret_states_append_text (states, text, "  ");
      g_print ("%s", text->str);
    }

  return 0;
}

/**
 * tw_secret_command_read_value:
 * @fd: where to read from (standard input)
 * @prompt: what to ask when @fd is a terminal
 * @error: return location for a #GError
 *
 * Reads one line. From a terminal, it asks with @prompt on standard error
 * and does not echo what is typed (the terminal's settings come back
 * afterwards, also when Ctrl+C interrupts the reading: the signal is then
 * raised again). From a pipe or file, it reads the first line and nothing
 * past it. The line end is removed; nothing else is.
 *
 * Returns: (transfer full) (nullable): the line, to be freed with
 *   tw_secrets_free_value(), or %NULL when there was none or it is too long
 */
char *
tw_secret_command_read_value (int          fd,
                              const char  *prompt,
                              GError     **error)
{
  struct sigaction previous[G_N_ELEMENTS (interrupting_signals)];
  struct termios saved;
  gboolean terminal = isatty (fd) && tcgetattr (fd, &saved) == 0;
  char *line = g_malloc0 (MAX_LINE_BYTES + 1);
  gsize len = 0;
  gboolean line_end = FALSE;
  int read_errno = 0;

  g_return_val_if_fail (fd >= 0, NULL);

  if (terminal)
    {
      struct sigaction action = { 0 };
      struct termios quiet = saved;

      /* No SA_RESTART: the read returns, and the terminal is put back first. */
      interrupting_signal = 0;
      action.sa_handler = record_signal;
      sigemptyset (&action.sa_mask);
      for (guint i = 0; i < G_N_ELEMENTS (interrupting_signals); i++)
        sigaction (interrupting_signals[i], &action, &previous[i]);

      g_printerr ("%s", prompt);
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      /* the Enter key still moves to the next line */
      quiet.c_lflag |= ECHONL;
      tcsetattr (fd, TCSAFLUSH, &quiet);
    }

  while (len < MAX_LINE_BYTES)
    {
      char c;
      ssize_t n = read (fd, &c, 1);

      if (n < 0 && errno == EINTR)
        {
          if (terminal && interrupting_signal != 0)
            break;
          continue;
        }
      if (n < 0)
        {
          read_errno = errno;
          break;
        }
      if (n == 0)
        break;
      if (c == '\n')
        {
          line_end = TRUE;
          break;
        }
      line[len++] = c;
    }

  if (terminal)
    {
      tcsetattr (fd, TCSAFLUSH, &saved);
      for (guint i = 0; i < G_N_ELEMENTS (interrupting_signals); i++)
        sigaction (interrupting_signals[i], &previous[i], NULL);
      if (interrupting_signal != 0)
        {
          explicit_bzero (line, MAX_LINE_BYTES);
          g_free (line);
          g_printerr ("\n");
          raise (interrupting_signal);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Interrupted."));
          return NULL;
        }
    }

  if (read_errno != 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (read_errno),
                 _("Failed to read standard input: %s"), g_strerror (read_errno));
  else if (len >= MAX_LINE_BYTES)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("The line is longer than %d bytes; that is no password or webhook URL."),
                 TW_SECRETS_MAX_VALUE_BYTES);
  else if (len == 0 && !line_end)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         _("Standard input is empty; give the value on it, as in: "
                           "secret-command | trainwatch secret set slack"));
  if (read_errno != 0 || len >= MAX_LINE_BYTES || (len == 0 && !line_end))
    {
      explicit_bzero (line, MAX_LINE_BYTES);
      g_free (line);
      return NULL;
    }

  if (len > 0 && line[len - 1] == '\r')
    line[--len] = '\0';
  return line;
}

/**
 * tw_secret_command_run:
 * @command: a `secret` command (%TW_COMMAND_SECRET_SET, _CLEAR or _STATUS)
 *
 * Runs it in this process: set and clear always, status when no daemon
 * runs. Values are read from standard input, never from the command line.
 *
 * Returns: the exit status (0 done, 1 the Secret Service failed, 2 a value refused)
 */
int
tw_secret_command_run (TwCommand *command)
{
  g_return_val_if_fail (command != NULL, 1);

  switch (command->kind)
    {
    case TW_COMMAND_SECRET_SET:
      return run_set (command);
    case TW_COMMAND_SECRET_CLEAR:
      return run_clear (command);
    case TW_COMMAND_SECRET_STATUS:
      return run_status (command);
    default:
      g_return_val_if_reached (1);
    }
}

/**
 * tw_secret_states_add_json:
 * @states: (element-type TwSecretState): from tw_secrets_query_finish()
 * @builder: a builder where a value is expected
 *
 * Adds an object with a member per secret ("smtp-password", …): whether it
 * is set, where from ("keyring", "environment" or null), whether the keyring
 * holds one, its environment variable's name and any problem. Never a value.
 */
void
tw_secret_states_add_json (GPtrArray   *states,
                           JsonBuilder *builder)
{
  g_return_if_fail (states != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  for (guint i = 0; i < states->len; i++)
    {
      TwSecretState *state = g_ptr_array_index (states, i);

      json_builder_set_member_name (builder, tw_secret_kind_to_string (state->kind));
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "set");
      json_builder_add_boolean_value (builder, state->source != TW_SECRET_SOURCE_NONE);
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder, tw_secret_source_to_string (state->source));
      json_builder_set_member_name (builder, "keyring");
      json_builder_add_string_value (builder, keyring_state_to_string (state->keyring));
      json_builder_set_member_name (builder, "environment_variable");
      json_builder_add_string_value (builder, tw_secret_kind_get_env_var (state->kind));
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, state->error);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

/**
 * tw_secret_states_append_text:
 * @states: (element-type TwSecretState): from tw_secrets_query_finish()
 * @text: where to append
 * @indent: put before each line
 *
 * Appends one line per secret: whether it is set and where from, and any
 * problem on the line after. Never a value.
 */
void
tw_secret_states_append_text (GPtrArray  *states,
                              GString    *text,
                              const char *indent)
{
  g_return_if_fail (states != NULL);
  g_return_if_fail (text != NULL && indent != NULL);

  for (guint i = 0; i < states->len; i++)
    {
      TwSecretState *state = g_ptr_array_index (states, i);
      const char *description = tw_secret_kind_get_description (state->kind);
      const char *env_var = tw_secret_kind_get_env_var (state->kind);

      g_string_append (text, indent);
      switch (state->source)
        {
        case TW_SECRET_SOURCE_ENVIRONMENT:
          if (state->keyring == TW_SECRET_KEYRING_STORED)
            g_string_append_printf (text, _("%s: from the environment variable %s (the one in the "
                                            "keyring is not used while it is set)"),
                                    description, env_var);
          else
            g_string_append_printf (text, _("%s: from the environment variable %s"), description, env_var);
          break;
        case TW_SECRET_SOURCE_KEYRING:
          g_string_append_printf (text, _("%s: in the keyring"), description);
          break;
        case TW_SECRET_SOURCE_NONE:
        default:
          if (state->keyring == TW_SECRET_KEYRING_NOT_STORED)
            g_string_append_printf (text, _("%s: not set"), description);
          else
            g_string_append_printf (text, _("%s: unknown"), description);
          break;
        }
      g_string_append_c (text, '\n');
      if (state->error != NULL)
        g_string_append_printf (text, "%s  %s\n", indent, state->error);
    }
}
