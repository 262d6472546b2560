/* test-forward.c — the daemon forwarding to a real TLS webhook receiver on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real trainwatch daemon on a private bus sends to tw-test-webhook (a Slack-
 * and Discord-like HTTPS server with a certificate from a test CA), with the
 * webhook URLs given in the environment as on a server without a keyring.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "tw-test-daemon.h"
#include "tw-test-smtpd.h"
#include "tw-test-tls.h"
#include "tw-test-webhook.h"

typedef struct
{
  TwTestFixture  base;
  TwTestWebhook *hook;
  char          *ca_dir;
} Fixture;

static void
write_config (Fixture    *fx,
              const char *text)
{
  g_autofree char *dir = g_path_get_dirname (fx->base.config_path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->base.config_path, text, -1, NULL));
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *slack = NULL;
  g_autofree char *discord = NULL;

  if (!tw_test_webhook_is_supported ())
    {
      g_test_skip ("No TLS webhook receiver here (libsoup 3 and openssl are needed)");
      return;
    }

  tw_test_fixture_setup (&fx->base, NULL, "tw-app tw-channels");
  fx->ca_dir = g_build_filename (g_get_user_cache_dir (), "ca", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fx->ca_dir, 0700), ==, 0);
  fx->hook = tw_test_webhook_new (fx->ca_dir);
  slack = g_strdup_printf ("%s/services/T0001/B0001/testtoken", tw_test_webhook_get_base_url (fx->hook));
  discord = g_strdup_printf ("%s/api/webhooks/1234/testtoken", tw_test_webhook_get_base_url (fx->hook));
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_SLACK_WEBHOOK", slack, TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_DISCORD_WEBHOOK", discord, TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST",
                                   tw_test_webhook_get_host_port (fx->hook), TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_CA_FILE", tw_test_webhook_get_ca_file (fx->hook), TRUE);
  fx->base.env = g_environ_unsetenv (fx->base.env, "TRAINWATCH_SMTP_PASSWORD");
  /* the desktop has no notification server here: forwarding does not need one */
  write_config (fx, "[slack]\nmin-interval-seconds = 0\n[discord]\nenabled = false\n");
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->hook == NULL)
    return;
  tw_test_fixture_teardown (&fx->base);
  g_clear_pointer (&fx->hook, tw_test_webhook_free);
  g_free (fx->ca_dir);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The titles “event NNN” in one message's @text, each once, sorted: a message
 * shows its events in its own order (the most important first), so the order of
 * delivery is the order of the messages. */
static void
collect_titles (const char *text,
                GPtrArray  *titles)
{
  guint first = titles->len;

  g_autoptr(GRegex) regex = g_regex_new ("event \\d{3}", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_regex_match (regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      char *title = g_match_info_fetch (match, 0);

      if (g_hash_table_add (seen, g_strdup (title)))
        g_ptr_array_add (titles, title);
      else
        g_free (title);
      g_match_info_next (match, NULL);
    }
  g_qsort_with_data (titles->pdata + first, titles->len - first, sizeof (gpointer),
                     compare_strings, NULL);
}

/* The events the receiver accepted (answered 200), in the order it got them. */
static GPtrArray *
dup_accepted_titles (Fixture *fx,
                     guint   *n_messages)
{
  GPtrArray *titles = g_ptr_array_new_with_free_func (g_free);

  *n_messages = 0;
  for (guint i = 0; i < tw_test_webhook_get_n_requests (fx->hook); i++)
    {
      GBytes *body;
      g_autofree char *text = NULL;

      if (tw_test_webhook_get_status (fx->hook, i) != 200)
        continue;
      body = tw_test_webhook_get_body (fx->hook, i);
      text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      collect_titles (text, titles);
      (*n_messages)++;
    }

  return titles;
}

static gint64
outbox_queued (Fixture    *fx,
               const char *channel)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);
  JsonObject *channels = json_object_get_object_member (json_node_get_object (status), "channels");
  JsonObject *slack = json_object_get_object_member (channels, channel);

  return json_object_get_int_member (json_object_get_object_member (slack, "outbox"), "queued");
}

static gint64
daemon_pid (Fixture *fx)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);

  return json_object_get_int_member (json_node_get_object (status), "pid");
}

static void
send_events (Fixture *fx,
             guint    first,
             guint    n)
{
  for (guint i = first; i < first + n; i++)
    {
      g_autofree char *title = g_strdup_printf ("event %03u", i);

      g_free (tw_test_run_trainwatch_ok (fx->base.env, "send", "--level", "warning", "--job", "resnet50",
                                         title, NULL));
    }
}

/* Waits until the receiver accepted @n events (or fails the test after a long time). */
static GPtrArray *
wait_accepted (Fixture *fx,
               guint    n,
               guint   *n_messages)
{
  gint64 deadline = g_get_monotonic_time () + 240 * G_USEC_PER_SEC;

  while (TRUE)
    {
      g_autoptr(GPtrArray) titles = dup_accepted_titles (fx, n_messages);

      if (titles->len >= n)
        return g_steal_pointer (&titles);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      tw_test_iterate_for (100);
    }
}

static void
assert_in_order (GPtrArray *titles,
                 guint      n)
{
  g_assert_cmpuint (titles->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *expected = g_strdup_printf ("event %03u", i);

      g_assert_cmpstr (g_ptr_array_index (titles, i), ==, expected);
    }
}

/* 100 events queued while the receiver is down, the daemon killed with SIGKILL and
 * started again: all 100 arrive, in order, once each. */
static void
test_kill_restart (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) titles = NULL;
  guint n_messages = 0;
  gint64 pid;

  if (fx->hook == NULL)
    return;

  tw_test_webhook_set_down (fx->hook, TRUE);
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  send_events (fx, 0, 100);
  while (outbox_queued (fx, "slack") < 100)
    tw_test_iterate_for (100);

  pid = daemon_pid (fx);
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  while (tw_test_daemon_is_running ())
    tw_test_iterate_for (50);

  tw_test_webhook_set_down (fx->hook, FALSE);
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  titles = wait_accepted (fx, 100, &n_messages);
  g_test_message ("100 events arrived in %u messages", n_messages);
  assert_in_order (titles, 100);
  /* coalesced: a Slack message gathers up to 20 */
  g_assert_cmpuint (n_messages, >=, 5);
  g_assert_cmpuint (n_messages, <, 100);
  while (outbox_queued (fx, "slack") > 0)
    tw_test_iterate_for (100);
}

/* A receiver down for a minute delays delivery; nothing is lost. */
static void
test_receiver_down (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) titles = NULL;
  guint n_messages = 0;

  if (fx->hook == NULL)
    return;

  /* retries every 1 to 5 s instead of growing to 15 min, for the test's length */
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_TEST_BACKOFF_MS", "1000,5000", TRUE);
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  send_events (fx, 0, 2);
  g_ptr_array_unref (wait_accepted (fx, 2, &n_messages));

  tw_test_webhook_set_down (fx->hook, TRUE);
  send_events (fx, 2, 8);
  tw_test_iterate_for (60 * 1000);
  {
    g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);
    JsonObject *channels = json_object_get_object_member (json_node_get_object (status), "channels");
    JsonObject *outbox = json_object_get_object_member (json_object_get_object_member (channels, "slack"),
                                                        "outbox");

    g_assert_cmpint (json_object_get_int_member (outbox, "queued"), ==, 8);
    g_assert_cmpstr (json_object_get_string_member (outbox, "state"), ==, "waiting");
    g_assert_nonnull (json_object_get_string_member (outbox, "last_answer"));
  }
  tw_test_webhook_set_down (fx->hook, FALSE);
  titles = wait_accepted (fx, 10, &n_messages);
  assert_in_order (titles, 10);
}

/* `trainwatch test-channel` prints what the server said, and says no with its words. */
static void
test_test_channel (Fixture       *fx,
                   gconstpointer  data)
{
  g_auto(TwTestResult) ok = { 0 };
  g_auto(TwTestResult) refused = { 0 };
  g_auto(TwTestResult) off = { 0 };
  g_autoptr(JsonNode) json = NULL;

  if (fx->hook == NULL)
    return;

  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  tw_test_run_trainwatch (fx->base.env, &ok, "test-channel", "slack", NULL);
  g_assert_cmpint (ok.status, ==, 0);
  g_assert_nonnull (strstr (ok.out, "Sent to slack"));
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fx->hook), ==, 1);
  json = tw_test_webhook_dup_json (fx->hook, 0);
  g_assert_nonnull (json);
  g_assert_nonnull (strstr (g_bytes_get_data (tw_test_webhook_get_body (fx->hook, 0), NULL), "Test message"));

  tw_test_webhook_push_answer (fx->hook, 404, "text/plain", "no_service", NULL, 0);
  tw_test_run_trainwatch (fx->base.env, &refused, "test-channel", "slack", NULL);
  g_assert_cmpint (refused.status, ==, 1);
  g_assert_nonnull (strstr (refused.err, "no_service"));
  /* the webhook URL is a secret: never printed */
  g_assert_null (strstr (refused.err, "testtoken"));
  g_assert_null (strstr (refused.out, "testtoken"));

  tw_test_run_trainwatch (fx->base.env, &off, "test-channel", "discord", NULL);
  g_assert_cmpint (off.status, ==, 1);
  g_assert_nonnull (strstr (off.err, "switched off"));
}

/* A run's progress edits its Discord message; what needs the user is a new one. */
static void
test_discord_edit (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *log = NULL;
  g_autofree char *config = NULL;
  guint n;

  if (fx->hook == NULL)
    return;

  log = g_build_filename (g_get_user_cache_dir (), "train.log", NULL);
  g_assert_true (g_file_set_contents (log, "starting\n", -1, NULL));
  config = g_strdup_printf ("[slack]\nenabled = false\n"
                            "[discord]\nmin-interval-seconds = 0\n"
                            "events = run-started, progress, message\n"
                            "[watch:bert]\npath = %s\n", log);
  write_config (fx, config);
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));

  /* the first bar seen is where the run stands (a log joined late makes no milestone
   * for it); each step then waits for the one before: a batch of news is one edit */
  tw_test_append (log, "Epoch 1:  10%|#         | 10/100 [00:01<00:09, 10.00it/s]\n");
  tw_test_iterate_for (1000);
  tw_test_append (log, "Epoch 1:  30%|###       | 30/100 [00:03<00:07, 10.00it/s]\n");
  g_assert_true (tw_test_webhook_wait_requests (fx->hook, 1, 60000));
  tw_test_append (log, "Epoch 1:  60%|######    | 60/100 [00:06<00:04, 10.00it/s]\n");
  g_assert_true (tw_test_webhook_wait_requests (fx->hook, 2, 60000));
  g_free (tw_test_run_trainwatch_ok (fx->base.env, "send", "--job", "bert", "--level", "error",
                                     "Loss went up", NULL));
  g_assert_true (tw_test_webhook_wait_requests (fx->hook, 3, 60000));
  tw_test_append (log, "Epoch 1:  80%|########  | 80/100 [00:08<00:02, 10.00it/s]\n");
  g_assert_true (tw_test_webhook_wait_requests (fx->hook, 4, 60000));

  n = tw_test_webhook_get_n_requests (fx->hook);
  for (guint i = 0; i < n; i++)
    g_test_message ("%s %s -> %u", tw_test_webhook_get_method (fx->hook, i),
                    tw_test_webhook_get_path (fx->hook, i), tw_test_webhook_get_status (fx->hook, i));
  /* the first post makes the run's message; the next milestone edits it */
  g_assert_cmpstr (tw_test_webhook_get_method (fx->hook, 0), ==, "POST");
  g_assert_true (g_str_has_suffix (tw_test_webhook_get_path (fx->hook, 0), "?wait=true"));
  g_assert_cmpstr (tw_test_webhook_get_method (fx->hook, 1), ==, "PATCH");
  g_assert_nonnull (strstr (tw_test_webhook_get_path (fx->hook, 1), "/messages/"));
  /* an error is a new message, which later progress edits (the receiver answers 404
   * to an edit of a message it did not make, so 200 means the id was the new one's) */
  g_assert_cmpstr (tw_test_webhook_get_method (fx->hook, 2), ==, "POST");
  g_assert_cmpstr (tw_test_webhook_get_method (fx->hook, 3), ==, "PATCH");
  g_assert_cmpstr (tw_test_webhook_get_path (fx->hook, 1), !=, tw_test_webhook_get_path (fx->hook, 3));
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (tw_test_webhook_get_status (fx->hook, i), ==, 200);
}

/* The daemon mails through a real SMTP server with STARTTLS and a login, the password
 * from the environment. */
static void
test_email (Fixture       *fx,
            gconstpointer  data)
{
  g_autoptr(TwTestCa) ca = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GBytes) mail = NULL;
  g_autofree char *text = NULL;
  g_auto(TwTestResult) test = { 0 };
  TwTestSmtpd *smtpd;

  if (fx->hook == NULL)
    return;
  if (!tw_test_smtpd_is_supported ())
    {
      g_test_skip ("No SMTP server here (python3-aiosmtpd)");
      return;
    }

  ca = tw_test_ca_new (fx->ca_dir, "mail");
  tw_test_ca_issue (ca, "smtp", "DNS:localhost,IP:127.0.0.1", &cert, &key);
  smtpd = tw_test_smtpd_start ("starttls", "ada", "s3cret-pw", cert, key);
  uri = g_uri_parse (tw_test_smtpd_get_url (smtpd), G_URI_FLAGS_NONE, NULL);
  g_assert_nonnull (uri);
  config = g_strdup_printf ("[slack]\nenabled = false\n[discord]\nenabled = false\n"
                            "[email]\nserver = 127.0.0.1\nport = %d\nsecurity = starttls\n"
                            "user = ada\nfrom = trainwatch@example.org\n"
                            "to = ada@example.org, ops@example.org\nmin-interval-seconds = 0\n",
                            g_uri_get_port (uri));
  write_config (fx, config);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_SMTP_PASSWORD", "s3cret-pw", TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_CA_FILE", tw_test_ca_get_cert (ca), TRUE);

  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  g_free (tw_test_run_trainwatch_ok (fx->base.env, "send", "--job", "resnet50", "--level", "error",
                                     "Run failed", "RuntimeError: CUDA error", NULL));
  while (tw_test_smtpd_get_n_mails (smtpd) < 1)
    tw_test_iterate_for (100);
  mail = tw_test_smtpd_dup_mail (smtpd, 0, NULL, NULL, NULL);
  text = g_strndup (g_bytes_get_data (mail, NULL), g_bytes_get_size (mail));
  g_assert_nonnull (strstr (text, "Subject: [Trainwatch] resnet50: Run failed"));
  g_assert_nonnull (strstr (text, "To: ada@example.org, ops@example.org"));
  g_assert_nonnull (strstr (text, "multipart/alternative"));
  g_assert_null (strstr (text, "s3cret-pw"));

  tw_test_run_trainwatch (fx->base.env, &test, "test-channel", "email", NULL);
  g_assert_cmpint (test.status, ==, 0);
  g_assert_nonnull (strstr (test.out, "250"));
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 2);
  tw_test_daemon_quit (fx->base.env);
  tw_test_smtpd_stop (smtpd);
}

/* A webhook the service says is gone stops the channel and tells the user; its events
 * wait, and go once a test succeeds. */
static void
test_disabled (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) titles = NULL;
  g_autoptr(JsonNode) status = NULL;
  JsonObject *outbox;
  guint n_messages = 0;

  if (fx->hook == NULL)
    return;

  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  tw_test_webhook_push_answer (fx->hook, 404, "text/plain", "no_service", NULL, 0);
  send_events (fx, 0, 1);
  g_assert_true (tw_test_webhook_wait_requests (fx->hook, 1, 60000));
  send_events (fx, 1, 2);
  while (outbox_queued (fx, "slack") < 3)
    tw_test_iterate_for (100);

  status = tw_test_daemon_dup_status (fx->base.env);
  outbox = json_object_get_object_member (
    json_object_get_object_member (json_object_get_object_member (json_node_get_object (status), "channels"),
                                   "slack"), "outbox");
  g_assert_cmpstr (json_object_get_string_member (outbox, "state"), ==, "disabled");
  g_assert_cmpstr (json_object_get_string_member (outbox, "disabled_reason"), ==, "HTTP 404: no_service");
  g_assert_nonnull (tw_test_status_find_event (status, "Forwarding to slack stopped"));
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fx->hook), ==, 1);

  g_free (tw_test_run_trainwatch_ok (fx->base.env, "test-channel", "slack", NULL));
  titles = wait_accepted (fx, 3, &n_messages);
  assert_in_order (titles, 3);
}

/* Without a webhook (and no keyring to hold one), Slack and Discord are simply unused:
 * their events are not kept and the user is not told of a failure, event after event. */
static void
test_not_set_up (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  JsonObject *slack;

  if (fx->hook == NULL)
    return;

  fx->base.env = g_environ_unsetenv (fx->base.env, "TRAINWATCH_SLACK_WEBHOOK");
  fx->base.env = g_environ_unsetenv (fx->base.env, "TRAINWATCH_DISCORD_WEBHOOK");
  write_config (fx, "[slack]\nmin-interval-seconds = 0\n");
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  send_events (fx, 0, 3);
  while (TRUE)
    {
      g_autoptr(JsonNode) now = tw_test_daemon_dup_status (fx->base.env);
      JsonObject *channels = json_object_get_object_member (json_node_get_object (now), "channels");

      slack = json_object_get_object_member (channels, "slack");
      if (json_object_get_int_member (slack, "not_kept") + outbox_queued (fx, "slack") == 3 &&
          outbox_queued (fx, "slack") == 0 && outbox_queued (fx, "discord") == 0)
        break;
      tw_test_iterate_for (100);
    }

  status = tw_test_daemon_dup_status (fx->base.env);
  slack = json_object_get_object_member (json_object_get_object_member (json_node_get_object (status), "channels"),
                                         "slack");
  g_assert_true (json_object_get_boolean_member (slack, "secret_missing"));
  g_assert_null (tw_test_status_find_event (status, "Forwarding to slack stopped"));
  g_assert_null (tw_test_status_find_event (status, "Forwarding to discord stopped"));
  g_assert_cmpuint (tw_test_webhook_get_n_requests (fx->hook), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/forward/kill-restart", Fixture, NULL, fixture_setup, test_kill_restart, fixture_teardown);
  g_test_add ("/forward/receiver-down", Fixture, NULL, fixture_setup, test_receiver_down, fixture_teardown);
  g_test_add ("/forward/test-channel", Fixture, NULL, fixture_setup, test_test_channel, fixture_teardown);
  g_test_add ("/forward/disabled", Fixture, NULL, fixture_setup, test_disabled, fixture_teardown);
  g_test_add ("/forward/not-set-up", Fixture, NULL, fixture_setup, test_not_set_up, fixture_teardown);
  g_test_add ("/forward/discord-edit", Fixture, NULL, fixture_setup, test_discord_edit, fixture_teardown);
  g_test_add ("/forward/email", Fixture, NULL, fixture_setup, test_email, fixture_teardown);

  return g_test_run ();
}
