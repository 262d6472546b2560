/* tw-test-smtpd.c — a real SMTP server (tests/smtp-server.py, aiosmtpd) on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-test-smtpd.h"

#include <signal.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define PYTHON "/usr/bin/python3"

struct _TwTestSmtpd
{
  GSubprocess *process;
  char        *dir;
  char        *url;
};

/* The index.jsonl lines, each a JSON object. */
static GStrv
read_index (TwTestSmtpd *self)
{
  g_autofree char *path = g_build_filename (self->dir, "index.jsonl", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();
  g_auto(GStrv) split = NULL;

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      return g_strv_builder_end (lines);
    }

  split = g_strsplit (text, "\n", -1);
  for (guint i = 0; split[i] != NULL; i++)
    {
      if (*split[i] != '\0')
        g_strv_builder_add (lines, split[i]);
    }

  return g_strv_builder_end (lines);
}

/**
 * tw_test_smtpd_is_supported:
 *
 * Returns: whether /usr/bin/python3 has aiosmtpd
 */
gboolean
tw_test_smtpd_is_supported (void)
{
  const char *argv[] = { PYTHON, "-c", "import aiosmtpd", NULL };
  int status = -1;

  if (!g_file_test (PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;

  return g_spawn_check_wait_status (status, NULL);
}

/**
 * tw_test_smtpd_start:
 * @mode: `starttls` (STARTTLS and AUTH required), `smtps` (TLS from the start,
 *   AUTH required) or `plain` (neither)
 * @user: the one user name accepted
 * @password: its password
 * @cert: the server's certificate (PEM)
 * @key: its key (PEM)
 *
 * Starts the server in a temporary folder and waits until it listens. A
 * recipient starting with `reject` gets 550, one starting with `busy` 451; a
 * mail to one starting with `slow` makes the file `slow-started` in the
 * server's folder once its data has arrived, and is answered after a minute.
 *
 * Returns: (transfer full): the running server
 */
TwTestSmtpd *
tw_test_smtpd_start (const char *mode,
                     const char *user,
                     const char *password,
                     const char *cert,
                     const char *key)
{
  TwTestSmtpd *self = g_new0 (TwTestSmtpd, 1);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "smtp-server.py", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  guint64 port = 0;

  self->dir = g_dir_make_tmp ("tw-smtpd-XXXXXX", &error);
  g_assert_no_error (error);

  /* Its standard input is a pipe only we hold: if this process dies, the
   * server sees it close and stops. Nothing of it reaches our own output,
   * which g_test_trap_subprocess() reads until every holder closes it. */
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                    | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                    | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                                    PYTHON, script, self->dir, mode, user, password,
                                    cert, key, NULL);
  g_assert_no_error (error);

  /* aiosmtpd may warn (on the merged stderr) before the server is ready. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  while (TRUE)
    {
      g_clear_pointer (&line, g_free);
      line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_assert_no_error (error);
      if (line == NULL)
        g_error ("smtp-server.py %s exited before it was ready", mode);
      if (g_str_has_prefix (line, "READY "))
        break;
      g_test_message ("smtp-server.py: %s", line);
    }
  g_assert_true (g_ascii_string_to_unsigned (line + 6, 10, 1, 65535, &port, NULL));

  self->url = g_strdup_printf ("%s://127.0.0.1:%u",
                               g_str_equal (mode, "smtps") ? "smtps" : "smtp", (guint) port);
  return self;
}

/**
 * tw_test_smtpd_get_url:
 * @self: a server
 *
 * Returns: `smtp://127.0.0.1:PORT`, or `smtps://…` for the smtps mode
 */
const char *
tw_test_smtpd_get_url (TwTestSmtpd *self)
{
  return self->url;
}

/**
 * tw_test_smtpd_get_dir:
 * @self: a server
 *
 * Returns: the folder where the server keeps what it receives
 */
const char *
tw_test_smtpd_get_dir (TwTestSmtpd *self)
{
  return self->dir;
}

/**
 * tw_test_smtpd_get_n_mails:
 * @self: a server
 *
 * Returns: how many mails the server has accepted so far
 */
guint
tw_test_smtpd_get_n_mails (TwTestSmtpd *self)
{
  g_auto(GStrv) lines = read_index (self);

  return g_strv_length (lines);
}

/**
 * tw_test_smtpd_dup_mail:
 * @self: a server
 * @index: which mail, from 0 in the order they arrived
 * @out_from: (out) (optional): the envelope sender
 * @out_recipients: (out) (optional): the envelope recipients the server accepted
 * @out_auth_user: (out) (optional) (nullable): the user that logged in, or %NULL
 *
 * Returns: (transfer full): the mail as the server received it (after DATA, with
 *   dot-stuffing undone)
 */
GBytes *
tw_test_smtpd_dup_mail (TwTestSmtpd  *self,
                        guint         index,
                        char        **out_from,
                        GStrv        *out_recipients,
                        char        **out_auth_user)
{
  g_auto(GStrv) lines = read_index (self);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  JsonObject *entry;
  gsize length = 0;

  g_assert_cmpuint (index, <, g_strv_length (lines));
  json_parser_load_from_data (parser, lines[index], -1, &error);
  g_assert_no_error (error);
  entry = json_node_get_object (json_parser_get_root (parser));

  if (out_from != NULL)
    *out_from = g_strdup (json_object_get_string_member (entry, "mail_from"));
  if (out_recipients != NULL)
    {
      JsonArray *array = json_object_get_array_member (entry, "rcpt_tos");
      g_autoptr(GStrvBuilder) recipients = g_strv_builder_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_strv_builder_add (recipients, json_array_get_string_element (array, i));
      *out_recipients = g_strv_builder_end (recipients);
    }
  if (out_auth_user != NULL)
    *out_auth_user = g_strdup (json_object_get_string_member_with_default (entry, "auth_user",
                                                                           NULL));

  path = g_build_filename (self->dir, json_object_get_string_member (entry, "file"), NULL);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);

  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

/**
 * tw_test_smtpd_stop:
 * @self: (transfer full): a server
 *
 * Stops the server, waits for it and removes its folder.
 */
void
tw_test_smtpd_stop (TwTestSmtpd *self)
{
  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait (self->process, NULL, NULL);
  g_object_unref (self->process);
  remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->url);
  g_free (self);
}
