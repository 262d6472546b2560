/* test-preferences.c — the preferences window, driven in-process under Xvfb, against the real daemon
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case builds the real window (the same library trainwatch-preferences
 * runs) on an X server and a bus of its own, finds controls by the names the
 * window gives them (GROUP/KEY for config fields), and changes them the way
 * GTK does on input. What they did is checked where it lands: the config
 * file, the daemon's status and its notifications (dbusmock), the keyring,
 * and an HTTPS receiver on loopback. Screenshots of every page are written to
 * $TW_TEST_ARTIFACT_DIR (meson-logs/preferences in the build folder).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <signal.h>
#include <string.h>

#include "tw-config.h"
#include "tw-event.h"
#include "tw-prefs-daemon.h"
#include "tw-prefs-pages.h"
#include "tw-prefs-style.h"
#include "tw-prefs-window.h"
#include "tw-test-daemon.h"
#include "tw-test-smtpd.h"
#include "tw-test-tls.h"
#include "tw-test-webhook.h"

#define WAIT_MS 30000
#define SECRETS_NAME "org.freedesktop.secrets"

typedef struct
{
  TwTestFixture  base;
  TwTestXvfb    *xvfb;
  GSubprocess   *keyring;
  TwTestWebhook *webhook;
  TwTestSmtpd   *smtpd;
  TwConfig      *config;
  TwPrefsDaemon *daemon;
  TwPrefsWindow *window;
  gboolean       skipped;
} Fixture;

static gboolean
have_display (Fixture *fx)
{
  if (!tw_test_xvfb_is_supported ())
    {
      fx->skipped = TRUE;
      g_test_skip ("Xvfb is not installed (package xvfb)");
      return FALSE;
    }
  return TRUE;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  const char *capabilities = data;
  g_autoptr(GError) error = NULL;

  if (!have_display (fx))
    return;

  tw_test_fixture_setup (&fx->base, capabilities, "tw-app");
  fx->xvfb = tw_test_xvfb_start ();
  g_setenv ("DISPLAY", tw_test_xvfb_get_display (fx->xvfb), TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "DISPLAY", tw_test_xvfb_get_display (fx->xvfb), TRUE);
  /* No accessibility bus on this private bus: GTK's test backend, which the
   * accessibility case reads. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_init ();

  fx->config = tw_config_new (fx->base.config_path);
  tw_config_load (fx->config, &error);
  g_assert_no_error (error);
  fx->daemon = tw_prefs_daemon_new (fx->base.connection);
}

static void
open_window (Fixture *fx)
{
  fx->window = g_object_ref_sink (tw_prefs_window_new (NULL, fx->config, fx->daemon));
  gtk_window_present (GTK_WINDOW (fx->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fx->window));
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  if (fx->skipped)
    return;

  if (fx->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (fx->window));
      g_clear_object (&fx->window);
    }
  g_clear_object (&fx->daemon);
  g_clear_object (&fx->config);
  if (tw_test_daemon_is_running ())
    tw_test_daemon_quit (fx->base.env);
  g_clear_pointer (&fx->webhook, tw_test_webhook_free);
  g_clear_pointer (&fx->smtpd, tw_test_smtpd_stop);
  if (fx->keyring != NULL)
    {
      g_subprocess_send_signal (fx->keyring, SIGTERM);
      g_subprocess_wait (fx->keyring, NULL, NULL);
      g_clear_object (&fx->keyring);
    }
  tw_test_fixture_teardown (&fx->base);
  g_clear_pointer (&fx->xvfb, tw_test_xvfb_stop);
}

static GtkWidget *
find_widget (GtkWidget  *root,
             const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
get_widget (Fixture    *fx,
            const char *name)
{
  GtkWidget *widget = find_widget (GTK_WIDGET (fx->window), name);

  if (widget == NULL)
    g_error ("The window has no widget named %s", name);
  return widget;
}

typedef gboolean (*Condition) (Fixture *fx, gconstpointer data);

static gboolean
iterate_until (Fixture       *fx,
               Condition      cond,
               gconstpointer  data,
               guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (fx, data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      tw_test_iterate_for (20);
    }
  return TRUE;
}

static char *
dup_file (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Types @text and presses Enter, which writes a valid value without waiting for
 * the pause in typing. */
static void
type_text (GtkWidget  *entry,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  if (GTK_IS_ENTRY (entry))
    g_signal_emit_by_name (entry, "activate");
  tw_test_iterate_for (50);
}

static void
save_page (Fixture    *fx,
           const char *page,
           const char *dir)
{
  GtkWidget *widget = GTK_WIDGET (fx->window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *name = g_strdup_printf ("preferences-%s.png", page);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int width;
  int height;

  gtk_stack_set_visible_child_name (tw_prefs_window_get_stack (fx->window), page);
  gtk_widget_queue_draw (widget);
  gtk_test_widget_wait_for_draw (widget);
  tw_test_iterate_for (100);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot of the %s page: %s", page, path);
}

/* Every page, drawn, fits 1280×800, and is saved as a picture. */
static void
test_pages (Fixture       *fx,
            gconstpointer  data)
{
  static const char * const pages[] = { "general", "watches", "notifications", "email", "slack", "discord" };
  const char *artifacts = g_getenv ("TW_TEST_ARTIFACT_DIR");
  g_autofree char *dir = NULL;
  int width;
  int height;

  if (fx->skipped)
    return;

  /* a watch and a rule, so that their pages show one */
  g_assert_true (tw_config_set_value (fx->config, "watch:resnet50", "path", "~/runs/resnet50/train.log", NULL));
  g_assert_true (tw_config_set_value (fx->config, "rule:oom", "pattern", "CUDA out of memory", NULL));
  open_window (fx);

  gtk_window_get_default_size (GTK_WINDOW (fx->window), &width, &height);
  g_assert_cmpint (width, <=, 1000);
  g_assert_cmpint (height, <=, 700);

  dir = artifacts != NULL ? g_strdup (artifacts) : g_build_filename (g_get_user_cache_dir (), "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strdup_printf ("preferences-%s.png", pages[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GdkTexture) back = NULL;
      g_autoptr(GError) error = NULL;

      save_page (fx, pages[i], dir);
      back = gdk_texture_new_from_filename (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (back), ==, gtk_widget_get_width (GTK_WIDGET (fx->window)));
      g_assert_cmpint (gdk_texture_get_width (back), <=, 1280);
      g_assert_cmpint (gdk_texture_get_height (back), <=, 800);
    }
}

static gboolean
has_error (GtkWidget *widget)
{
  return gtk_widget_has_css_class (widget, "error");
}

static gboolean
file_has (Fixture       *fx,
          gconstpointer  data)
{
  g_autofree char *contents = dup_file (fx->base.config_path);

  return strstr (contents, data) != NULL;
}

/* A value the schema refuses is shown at its field and never written; a good one is
 * written at once. */
static void
test_validation (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(TwConfig) reread = NULL;
  GtkWidget *port;
  GtkWidget *to;
  GtkWidget *milestones;
  GtkWidget *webhook;

  if (fx->skipped)
    return;

  g_assert_true (tw_config_set_value (fx->config, "email", "server", "smtp.example.org", NULL));
  open_window (fx);
  before = dup_file (fx->base.config_path);
  g_assert_nonnull (strstr (before, "server = smtp.example.org"));

  port = get_widget (fx, "email/port");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (port)), ==, "");   /* 0: the usual port */
  for (guint i = 0; i < 3; i++)
    {
      const char *bad[] = { "99999", "25x", "-1" };

      type_text (port, bad[i]);
      g_assert_true (has_error (port));
      after = dup_file (fx->base.config_path);
      g_assert_cmpstr (after, ==, before);
      g_clear_pointer (&after, g_free);
    }

  to = get_widget (fx, "email/to");
  type_text (to, "me@example.org, not an address");
  g_assert_true (has_error (to));
  milestones = get_widget (fx, "runs/milestones");
  type_text (milestones, "50,25");
  g_assert_true (has_error (milestones));
  type_text (milestones, "10,200");
  g_assert_true (has_error (milestones));
  after = dup_file (fx->base.config_path);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);

  /* the webhook is checked as it is typed, and nothing reaches the config */
  webhook = get_widget (fx, "secret/slack-webhook");
  type_text (webhook, "http://hooks.slack.com/services/T0/B0/x");
  g_assert_true (has_error (webhook));
  type_text (webhook, "");
  g_assert_false (has_error (webhook));

  /* good values go to the file at once */
  type_text (port, "2525");
  g_assert_false (has_error (port));
  type_text (to, "me@example.org, you@example.org");
  g_assert_false (has_error (to));
  type_text (milestones, "10, 90");
  g_assert_false (has_error (milestones));
  reread = tw_config_new (fx->base.config_path);
  g_assert_true (tw_config_load (reread, NULL));
  g_assert_cmpint (tw_config_get_int (reread, "email", "port"), ==, 2525);
  g_assert_cmpstr (tw_config_get_string (reread, "email", "to"), ==, "me@example.org, you@example.org");
  g_assert_cmpstr (tw_config_get_string (reread, "runs", "milestones"), ==, "10, 90");
  after = dup_file (fx->base.config_path);
  g_assert_null (strstr (after, "slack.com"));

  /* typed without Enter: written once the typing pauses */
  gtk_editable_set_text (GTK_EDITABLE (get_widget (fx, "email/user")), "ada");
  g_assert_true (iterate_until (fx, file_has, "\nuser = ada\n", WAIT_MS));

  /* an edit elsewhere shows in the window */
  g_assert_true (tw_config_set_value (reread, "email", "port", "465", NULL));
  g_assert_true (tw_config_load (fx->config, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (port)), ==, "465");
}

/* Start at login writes the XDG autostart entry, and removes it. */
static void
test_autostart (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *path = tw_prefs_dup_autostart_path ();
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  GtkWidget *sw;

  if (fx->skipped)
    return;

  open_window (fx);
  sw = get_widget (fx, "autostart");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (sw)));
  gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
  g_assert_true (g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  exec = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, &error);
  g_assert_cmpstr (exec, ==, "trainwatch");
  g_assert_true (g_str_has_suffix (path, "/autostart/" APP_ID ".desktop"));
  gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static gboolean
notified_with (Fixture       *fx,
               gconstpointer  data)
{
  const char *text = data;
  g_autoptr(GPtrArray) calls = tw_test_notifyd_get_notify_calls (fx->base.notifyd);

  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *call = g_ptr_array_index (calls, i);

      if (strstr (tw_test_notify_call_get_summary (call), text) != NULL ||
          strstr (tw_test_notify_call_get_body (call), text) != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
config_has_problems (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);
  JsonObject *config = json_object_get_object_member (json_node_get_object (status), "config");

  return json_array_get_length (json_object_get_array_member (config, "problems")) > 0;
}

static gboolean
label_is (Fixture       *fx,
          gconstpointer  data)
{
  const char * const *wanted = data;
  GtkWidget *label = find_widget (GTK_WIDGET (fx->window), wanted[0]);

  return label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), wanted[1]) == 0;
}

static gboolean
widget_sensitive (Fixture       *fx,
                  gconstpointer  data)
{
  return gtk_widget_get_sensitive (get_widget (fx, data));
}

static gboolean
paused_is (Fixture       *fx,
           gconstpointer  data)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);
  JsonObject *dnd = json_object_get_object_member (json_node_get_object (status), "dnd");

  return json_object_get_boolean_member (dnd, "paused") == GPOINTER_TO_INT (data);
}

/* A switch of the table turns a kind of event off on the desktop, and the daemon
 * follows: a rule's match is no longer shown. The Watches page shows the daemon's
 * state, and Pause pauses it. */
static void
test_table (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *dir = NULL;
  g_autofree char *log = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(TwConfig) reread = NULL;
  const char *watching[] = { "watch-state/train", "Watching." };
  GtkWidget *cell;

  if (fx->skipped)
    return;

  dir = g_build_filename (g_get_user_data_dir (), "runs", NULL);
  log = g_build_filename (dir, "train.log", NULL);
  write_file (log, "epoch 1/10\n");
  g_assert_true (tw_config_set_value (fx->config, "watch:train", "path", log, NULL));
  g_assert_true (tw_config_set_value (fx->config, "rule:boom", "pattern", "BOOM-[0-9]+", NULL));
  g_assert_true (tw_config_set_value (fx->config, "rule:boom", "level", "warning", NULL));
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  open_window (fx);

  /* the daemon's state, through GetStatus and Changed */
  g_assert_true (iterate_until (fx, label_is, watching, WAIT_MS));

  /* the rule is shown on the desktop while the switch is on */
  cell = get_widget (fx, "events/desktop/rule-matched");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (cell)));
  tw_test_append (log, "BOOM-1\n");
  g_assert_true (iterate_until (fx, notified_with, "BOOM-1", WAIT_MS));

  gtk_switch_set_active (GTK_SWITCH (cell), FALSE);
  reread = tw_config_new (fx->base.config_path);
  g_assert_true (tw_config_load (reread, NULL));
  g_assert_cmpuint (tw_config_get_event_kinds (reread, "desktop", "events") & (1u << TW_EVENT_RULE_MATCHED), ==, 0);
  g_assert_cmpuint (tw_config_get_event_kinds (reread, "email", "events") & (1u << TW_EVENT_RULE_MATCHED), !=, 0);

  /* A group the daemon does not know, after the window's change: once the daemon
   * reports it, it has read the change too. */
  contents = dup_file (fx->base.config_path);
  {
    g_autofree char *marked = g_strconcat (contents, "\n[reload-marker]\n", NULL);

    write_file (fx->base.config_path, marked);
  }
  g_assert_true (iterate_until (fx, config_has_problems, NULL, WAIT_MS));

  /* a match, then a failure in the same log: once the failure is shown, the
   * match before it was judged, and not shown */
  tw_test_append (log, "BOOM-2\nTraceback (most recent call last):\n  File \"train.py\", line 1, in <module>\n"
                       "RuntimeError: stop here\n");
  g_assert_true (iterate_until (fx, notified_with, "stop here", WAIT_MS));
  g_assert_false (notified_with (fx, "BOOM-2"));

  /* Pause pauses the daemon, and off resumes it */
  g_assert_true (iterate_until (fx, widget_sensitive, "pause", WAIT_MS));
  gtk_switch_set_active (GTK_SWITCH (get_widget (fx, "pause")), TRUE);
  g_assert_true (iterate_until (fx, paused_is, GINT_TO_POINTER (TRUE), WAIT_MS));
  gtk_switch_set_active (GTK_SWITCH (get_widget (fx, "pause")), FALSE);
  g_assert_true (iterate_until (fx, paused_is, GINT_TO_POINTER (FALSE), WAIT_MS));
}

static gboolean
result_shown (Fixture       *fx,
              gconstpointer  data)
{
  return gtk_widget_get_visible (get_widget (fx, data));
}

static gboolean
entry_empty (Fixture       *fx,
             gconstpointer  data)
{
  return *gtk_editable_get_text (GTK_EDITABLE (get_widget (fx, data))) == '\0';
}

static void
start_keyring (Fixture *fx)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *input;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_environ (launcher, fx->base.env);
  /* unlocked with a password, or it has no login keyring to store in (TESTING.md) */
  fx->keyring = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground", "--unlock",
                                             "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (fx->keyring);
  g_output_stream_write_all (input, "test-keyring", strlen ("test-keyring"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tw_test_wait_for_bus_name (SECRETS_NAME, TRUE, 20000));
}

/* A Slack webhook typed in the window is stored in the keyring, and Send test
 * makes the daemon send to it: the receiver gets the message. */
static void
test_slack (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *ca_dir = NULL;
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *url = NULL;
  const char *result_text;
  GtkWidget *result;

  if (fx->skipped)
    return;
  if (program == NULL || !tw_test_webhook_is_supported ())
    {
      g_test_skip (program == NULL ? "gnome-keyring-daemon is not installed (package gnome-keyring)"
                                   : "the tests were built without libsoup 3, which the receiver needs");
      return;
    }

  start_keyring (fx);
  ca_dir = g_build_filename (g_get_user_cache_dir (), "webhook-ca", NULL);
  g_assert_cmpint (g_mkdir_with_parents (ca_dir, 0700), ==, 0);
  fx->webhook = tw_test_webhook_new (ca_dir);
  tw_test_webhook_push_answer (fx->webhook, 200, "text/plain", "ok", NULL, 0);
  url = g_strconcat (tw_test_webhook_get_base_url (fx->webhook), "/services/T0000/B0000/abcdef", NULL);
  /* the window checks the address, the daemon sends to it */
  g_setenv ("TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST", tw_test_webhook_get_host_port (fx->webhook), TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST",
                                   tw_test_webhook_get_host_port (fx->webhook), TRUE);
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_CA_FILE", tw_test_webhook_get_ca_file (fx->webhook),
                                   TRUE);
  fx->base.env = g_environ_unsetenv (fx->base.env, "TRAINWATCH_SLACK_WEBHOOK");
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  open_window (fx);
  /* a button acts only once it is on screen */
  gtk_stack_set_visible_child_name (tw_prefs_window_get_stack (fx->window), "slack");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fx->window));

  type_text (get_widget (fx, "secret/slack-webhook"), url);
  g_assert_false (has_error (get_widget (fx, "secret/slack-webhook")));
  gtk_widget_activate (get_widget (fx, "test/slack"));
  g_assert_true (iterate_until (fx, result_shown, "test-result/slack", 70000));
  /* stored in the keyring on the way, and not in the config */
  g_assert_true (iterate_until (fx, entry_empty, "secret/slack-webhook", WAIT_MS));
  {
    g_autofree char *contents = dup_file (fx->base.config_path);

    g_assert_null (strstr (contents, "/services/"));
  }

  result = get_widget (fx, "test-result/slack");
  result_text = gtk_label_get_text (GTK_LABEL (result));
  g_test_message ("Send test said: %s", result_text);
  g_assert_true (tw_test_webhook_wait_requests (fx->webhook, 1, WAIT_MS));
  g_assert_cmpstr (tw_test_webhook_get_path (fx->webhook, 0), ==, "/services/T0000/B0000/abcdef");
  g_assert_true (g_str_has_prefix (result_text, "Sent"));
  g_assert_true (gtk_widget_has_css_class (result, "success"));
}

static gboolean
result_changed (Fixture       *fx,
                gconstpointer  data)
{
  GtkWidget *result = get_widget (fx, "test-result/email");

  return gtk_widget_get_visible (result) && gtk_widget_get_sensitive (get_widget (fx, "test/email")) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (result)), data) != 0;
}

static gboolean
email_available (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (fx->base.env);
  JsonObject *channels = json_object_get_object_member (json_node_get_object (status), "channels");
  JsonObject *email = json_object_get_object_member (channels, "email");

  return email != NULL && json_object_get_boolean_member_with_default (email, "available", FALSE);
}

/* The Email page set up for a mail server on loopback (STARTTLS and a login); Send test
 * shows the server's complaint about a wrong login, then sends with the right one. */
static void
test_email (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *ca_dir = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *port = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *marked = NULL;
  g_autoptr(TwTestCa) ca = NULL;
  g_autoptr(GUri) uri = NULL;
  GtkWidget *result;

  if (fx->skipped)
    return;
  if (program == NULL || !tw_test_smtpd_is_supported () || !tw_test_ca_is_supported ())
    {
      g_test_skip ("needs gnome-keyring, python3-aiosmtpd and openssl");
      return;
    }

  start_keyring (fx);
  ca_dir = g_build_filename (g_get_user_cache_dir (), "mail-ca", NULL);
  g_assert_cmpint (g_mkdir_with_parents (ca_dir, 0700), ==, 0);
  ca = tw_test_ca_new (ca_dir, "test");
  tw_test_ca_issue (ca, "server", "DNS:localhost,IP:127.0.0.1", &cert, &key);
  fx->smtpd = tw_test_smtpd_start ("starttls", "ada", "s3cret", cert, key);
  uri = g_uri_parse (tw_test_smtpd_get_url (fx->smtpd), G_URI_FLAGS_NONE, NULL);
  g_assert_nonnull (uri);
  port = g_strdup_printf ("%d", g_uri_get_port (uri));
  fx->base.env = g_environ_setenv (fx->base.env, "TRAINWATCH_CA_FILE", tw_test_ca_get_cert (ca), TRUE);
  fx->base.env = g_environ_unsetenv (fx->base.env, "TRAINWATCH_SMTP_PASSWORD");
  g_free (tw_test_run_trainwatch_ok (fx->base.env, NULL));
  open_window (fx);
  gtk_stack_set_visible_child_name (tw_prefs_window_get_stack (fx->window), "email");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fx->window));

  /* the recipient last: with it the daemon has all it needs, and says so */
  type_text (get_widget (fx, "email/port"), port);
  type_text (get_widget (fx, "email/user"), "eve");
  type_text (get_widget (fx, "email/from"), "trainwatch@example.test");
  type_text (get_widget (fx, "email/server"), "127.0.0.1");
  type_text (get_widget (fx, "email/to"), "dev@example.test");
  g_assert_true (iterate_until (fx, email_available, NULL, WAIT_MS));
  result = get_widget (fx, "test-result/email");

  /* the password goes to the keyring when Send test is pressed; the user is wrong */
  type_text (get_widget (fx, "secret/smtp-password"), "s3cret");
  gtk_widget_activate (get_widget (fx, "test/email"));
  g_assert_true (iterate_until (fx, result_changed, "", 70000));
  refused = g_strdup (gtk_label_get_text (GTK_LABEL (result)));
  g_test_message ("With a wrong user name: %s", refused);
  g_assert_true (gtk_widget_has_css_class (result, "error"));
  g_assert_nonnull (strstr (refused, "535"));
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (fx->smtpd), ==, 0);

  /* the right user; a group the daemon does not know after it tells when the
   * daemon has read the change */
  type_text (get_widget (fx, "email/user"), "ada");
  contents = dup_file (fx->base.config_path);
  marked = g_strconcat (contents, "\n[reload-marker]\n", NULL);
  write_file (fx->base.config_path, marked);
  g_assert_true (iterate_until (fx, config_has_problems, NULL, WAIT_MS));
  gtk_widget_activate (get_widget (fx, "test/email"));
  g_assert_true (iterate_until (fx, result_changed, refused, 70000));
  g_test_message ("With the right one: %s", gtk_label_get_text (GTK_LABEL (result)));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (result)), "Sent"));
  g_assert_true (gtk_widget_has_css_class (result, "success"));
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (fx->smtpd), ==, 1);
}

static gboolean
has_accessible_name (GtkWidget *widget)
{
  return gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL) ||
         gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY) ||
         (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL);
}

/* Every control of every page (the composite widgets' insides and the sidebar's rows,
 * which GTK names itself, left out). */
static void
check_controls (GtkWidget *widget,
                guint     *n_controls)
{
  if (GTK_IS_STACK_SIDEBAR (widget))
    return;
  if (GTK_IS_BUTTON (widget) || GTK_IS_SWITCH (widget) || GTK_IS_ENTRY (widget) ||
      GTK_IS_PASSWORD_ENTRY (widget) || GTK_IS_DROP_DOWN (widget))
    {
      if (!has_accessible_name (widget))
        g_error ("A %s (%s) has no accessible name", G_OBJECT_TYPE_NAME (widget), gtk_widget_get_name (widget));
      /* reachable with Tab: the control itself, or the text inside an entry */
      g_assert_true (gtk_widget_get_can_focus (widget));
      if (GTK_IS_BUTTON (widget) || GTK_IS_SWITCH (widget))
        g_assert_true (gtk_widget_get_focusable (widget));
      (*n_controls)++;
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    check_controls (child, n_controls);
}

/* Every control has an accessible name and takes the keyboard focus. */
static void
test_accessible (Fixture       *fx,
                 gconstpointer  data)
{
  guint n_controls = 0;
  g_autoptr(GtkWidget) unnamed = g_object_ref_sink (gtk_switch_new ());

  if (fx->skipped)
    return;
  /* the check can fail */
  g_assert_false (has_accessible_name (unnamed));

  /* a watch and a rule, so that their rows are there too */
  g_assert_true (tw_config_set_value (fx->config, "watch:resnet50", "path", "~/runs/resnet50/train.log", NULL));
  g_assert_true (tw_config_set_value (fx->config, "rule:oom", "pattern", "CUDA out of memory", NULL));
  open_window (fx);
  check_controls (GTK_WIDGET (fx->window), &n_controls);
  /* the table alone has 64 switches */
  g_assert_cmpuint (n_controls, >, 100);
  g_test_message ("%u controls, each with a name", n_controls);
}

static gboolean
dark_is (Fixture       *fx,
         gconstpointer  data)
{
  gboolean dark = FALSE;

  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  return dark == GPOINTER_TO_INT (data);
}

/* Without a settings portal (none on this bus), GNOME's colour scheme decides, and a
 * change of it applies at once. */
static void
test_dark (Fixture       *fx,
           gconstpointer  data)
{
  g_autoptr(TwPrefsStyle) style = NULL;
  g_autoptr(GSettings) gnome = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (fx->skipped)
    return;
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "org.gnome.desktop.interface", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    {
      g_test_skip ("GNOME's interface schema with color-scheme is not installed (gsettings-desktop-schemas)");
      return;
    }
  gnome = g_settings_new_full (schema, NULL, NULL);
  g_settings_set_string (gnome, "color-scheme", "prefer-dark");

  /* the portal's absence (an error from the bus) sends it to GNOME's setting */
  style = tw_prefs_style_new (fx->base.connection);
  g_assert_true (iterate_until (fx, dark_is, GINT_TO_POINTER (TRUE), WAIT_MS));
  g_assert_true (tw_prefs_style_get_dark (style));

  g_settings_set_string (gnome, "color-scheme", "default");
  g_assert_true (iterate_until (fx, dark_is, GINT_TO_POINTER (FALSE), WAIT_MS));
  g_assert_false (tw_prefs_style_get_dark (style));
}

/* With LANGUAGE=de the window speaks German, from the build's translations. */
static void
test_german (Fixture       *fx,
             gconstpointer  data)
{
  GtkStack *stack;
  GtkWidget *port;
  GtkWidget *error_label;

  if (fx->skipped)
    return;

  g_setenv ("LANGUAGE", "de", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("TW_TEST_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  open_window (fx);

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fx->window)), ==, "Trainwatch-Einstellungen");
  stack = tw_prefs_window_get_stack (fx->window);
  g_assert_cmpstr (gtk_stack_page_get_title (gtk_stack_get_page (stack, gtk_stack_get_child_by_name (stack, "general"))),
                   ==, "Allgemein");
  port = get_widget (fx, "email/port");
  type_text (port, "70000");
  error_label = gtk_widget_get_next_sibling (gtk_widget_get_parent (port));
  g_assert_true (GTK_IS_LABEL (error_label));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==,
                   "Nicht gespeichert: Erwartet wird eine ganze Zahl von 0 bis 65535.");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/preferences/pages", Fixture, NULL, fixture_setup, test_pages, fixture_teardown);
  g_test_add ("/preferences/validation", Fixture, NULL, fixture_setup, test_validation, fixture_teardown);
  g_test_add ("/preferences/autostart", Fixture, NULL, fixture_setup, test_autostart, fixture_teardown);
  g_test_add ("/preferences/table", Fixture, "body body-markup actions", fixture_setup, test_table,
              fixture_teardown);
  g_test_add ("/preferences/dark", Fixture, NULL, fixture_setup, test_dark, fixture_teardown);
  g_test_add ("/preferences/email", Fixture, NULL, fixture_setup, test_email, fixture_teardown);
  g_test_add ("/preferences/accessible", Fixture, NULL, fixture_setup, test_accessible, fixture_teardown);
  g_test_add ("/preferences/german", Fixture, NULL, fixture_setup, test_german, fixture_teardown);
  g_test_add ("/preferences/slack", Fixture, "body body-markup actions", fixture_setup, test_slack,
              fixture_teardown);

  return g_test_run ();
}
