/* tw-prefs-secret.c — a password entry for one secret in the keyring, and a "Send test" row
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Secrets never reach the config file: what is typed is checked as it is typed
 * (a webhook URL must be one of its service), and stored in the Secret Service
 * on Enter or before a test is sent. libsecret's calls wait for the keyring
 * (which may prompt), so they run in a GTask thread, never on the main loop.
 */
#include "config.h"

#include "tw-prefs-secret.h"

#include <glib/gi18n.h>

#include "tw-prefs-field.h"

#define QUERY_TIMEOUT_MS 10000

typedef struct
{
  TwSecretKind  kind;
  GtkWidget    *entry;
  GtkWidget    *state_label;
  GtkWidget    *error_label;
  GtkWidget    *forget_button;
  GCancellable *cancellable;
} SecretRow;

typedef struct
{
  TwSecretKind  kind;
  char         *value;   /* nullable: clear */
} StoreData;

static void
secret_row_free (gpointer data)
{
  SecretRow *secret = data;

  g_cancellable_cancel (secret->cancellable);
  g_clear_object (&secret->cancellable);
  g_free (secret);
}

static void
store_data_free (gpointer data)
{
  StoreData *store = data;

  tw_secrets_free_value (store->value);
  g_free (store);
}

static SecretRow *
get_secret (GtkWidget *row)
{
  return g_object_get_data (G_OBJECT (row), "tw-prefs-secret");
}

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GPtrArray) states = tw_secrets_query_finish (result);
  SecretRow *secret = get_secret (row);
  g_autofree char *text = NULL;

  if (states == NULL || secret == NULL || g_cancellable_is_cancelled (secret->cancellable))
    return;

  for (guint i = 0; i < states->len; i++)
    {
      TwSecretState *state = g_ptr_array_index (states, i);

      if (state->kind != secret->kind)
        continue;
      if (state->source == TW_SECRET_SOURCE_ENVIRONMENT)
        /* Translators: %s is an environment variable's name */
        text = g_strdup_printf (_("Set by the environment variable %s, which wins over the keyring."),
                                tw_secret_kind_get_env_var (secret->kind));
      else if (state->keyring == TW_SECRET_KEYRING_STORED)
        text = g_strdup (_("Stored in the keyring."));
      else if (state->keyring == TW_SECRET_KEYRING_NOT_STORED)
        text = g_strdup (_("Not set."));
      else
        /* Translators: %s says why the keyring could not be asked */
        text = g_strdup_printf (_("Unknown: %s"), state->error != NULL ? state->error : _("the keyring did not answer"));
      gtk_widget_set_sensitive (secret->forget_button, state->keyring == TW_SECRET_KEYRING_STORED);
    }
  gtk_label_set_text (GTK_LABEL (secret->state_label), text != NULL ? text : "");
}

static void
refresh_state (GtkWidget *row)
{
  SecretRow *secret = get_secret (row);

  tw_secrets_query_async (QUERY_TIMEOUT_MS, secret->cancellable, query_cb, g_object_ref (row));
}

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StoreData *store = task_data;
  GError *error = NULL;
  gboolean ok;

  if (store->value != NULL)
    ok = tw_secrets_store_sync (store->kind, store->value, cancellable, &error);
  else
    ok = tw_secrets_clear_sync (store->kind, NULL, cancellable, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
entry_changed_cb (GtkEditable *editable,
                  gpointer     user_data)
{
  GtkWidget *row = user_data;
  SecretRow *secret = get_secret (row);
  const char *text = gtk_editable_get_text (editable);
  g_autoptr(GError) error = NULL;

  if (*text == '\0' || tw_secrets_validate (secret->kind, text, &error))
    {
      tw_prefs_show_error (secret->entry, secret->error_label, NULL);
    }
  else
    {
      /* Translators: %s says what is wrong with the typed secret */
      g_autofree char *message = g_strdup_printf (_("Not saved: %s"), error->message);

      tw_prefs_show_error (secret->entry, secret->error_label, message);
    }
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GtkWidget *row = GTK_WIDGET (source);
  g_autoptr(GError) error = NULL;

  if (!tw_prefs_secret_row_store_finish (row, result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* The outcome is shown at the field by the store itself. */
}

static void
entry_activate_cb (GtkWidget *entry,
                   gpointer   user_data)
{
  GtkWidget *row = user_data;
  SecretRow *secret = get_secret (row);

  tw_prefs_secret_row_store_async (row, secret->cancellable, stored_cb, NULL);
}

static void
forgotten_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GError) error = NULL;
  SecretRow *secret = get_secret (row);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tw_prefs_show_error (secret->entry, secret->error_label, error->message);
      return;
    }
  refresh_state (row);
}

static void
forget_clicked_cb (GtkButton *button,
                   gpointer   user_data)
{
  GtkWidget *row = user_data;
  SecretRow *secret = get_secret (row);
  g_autoptr(GTask) task = g_task_new (NULL, secret->cancellable, forgotten_cb, g_object_ref (row));
  StoreData *store = g_new0 (StoreData, 1);

  store->kind = secret->kind;
  g_task_set_task_data (task, store, store_data_free);
  g_task_run_in_thread (task, store_thread);
}

/**
 * tw_prefs_secret_row_new:
 * @kind: which secret
 * @title: what it is
 * @subtitle: (nullable): a sentence that explains it
 *
 * Returns: (transfer floating): a row with a password entry (stored on Enter),
 *   where the secret is kept now, and a button that removes it from the keyring
 */
GtkWidget *
tw_prefs_secret_row_new (TwSecretKind  kind,
                         const char   *title,
                         const char   *subtitle)
{
  SecretRow *secret = g_new0 (SecretRow, 1);
  GtkWidget *controls = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *row;
  GtkWidget *title_label;
  g_autofree char *entry_name = g_strconcat ("secret/", tw_secret_kind_to_string (kind), NULL);

  secret->kind = kind;
  secret->cancellable = g_cancellable_new ();
  secret->entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (secret->entry), TRUE);
  gtk_editable_set_width_chars (GTK_EDITABLE (secret->entry), 28);
  gtk_widget_set_name (secret->entry, entry_name);
  secret->forget_button = gtk_button_new_with_mnemonic (_("_Remove"));
  gtk_widget_set_sensitive (secret->forget_button, FALSE);
  gtk_box_append (GTK_BOX (controls), secret->entry);
  gtk_box_append (GTK_BOX (controls), secret->forget_button);

  row = tw_prefs_row_new (title, subtitle, controls, &title_label);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (secret->entry), GTK_ACCESSIBLE_RELATION_LABELLED_BY, title_label,
                                  NULL, -1);
  /* Translators: the accessible name of the button that removes a password or webhook address */
  gtk_accessible_update_property (GTK_ACCESSIBLE (secret->forget_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove from the keyring"), -1);
  secret->state_label = gtk_label_new (_("Asking the keyring…"));
  gtk_label_set_xalign (GTK_LABEL (secret->state_label), 0);
  gtk_label_set_wrap (GTK_LABEL (secret->state_label), TRUE);
  gtk_widget_add_css_class (secret->state_label, "dim-label");
  gtk_box_append (GTK_BOX (row), secret->state_label);
  secret->error_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (secret->error_label), 0);
  gtk_label_set_wrap (GTK_LABEL (secret->error_label), TRUE);
  gtk_widget_add_css_class (secret->error_label, "error");
  gtk_widget_set_visible (secret->error_label, FALSE);
  gtk_box_append (GTK_BOX (row), secret->error_label);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (secret->entry), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  secret->state_label, NULL, GTK_ACCESSIBLE_RELATION_ERROR_MESSAGE,
                                  secret->error_label, -1);

  g_object_set_data_full (G_OBJECT (row), "tw-prefs-secret", secret, secret_row_free);
  g_signal_connect (secret->entry, "changed", G_CALLBACK (entry_changed_cb), row);
  g_signal_connect (secret->entry, "activate", G_CALLBACK (entry_activate_cb), row);
  g_signal_connect (secret->forget_button, "clicked", G_CALLBACK (forget_clicked_cb), row);
  refresh_state (row);

  return row;
}

static void
store_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  GtkWidget *row = g_task_get_source_object (outer);
  SecretRow *secret = get_secret (row);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tw_prefs_show_error (secret->entry, secret->error_label, error->message);
      g_task_return_error (outer, error);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (secret->entry), "");
  tw_prefs_show_error (secret->entry, secret->error_label, NULL);
  refresh_state (row);
  g_task_return_boolean (outer, TRUE);
}

/**
 * tw_prefs_secret_row_store_async:
 * @row: a row from tw_prefs_secret_row_new()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is stored
 * @user_data: for @callback
 *
 * Stores what is typed in @row's entry in the keyring, and empties the entry.
 * Nothing typed is nothing to store, and succeeds.
 */
void
tw_prefs_secret_row_store_async (GtkWidget           *row,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  SecretRow *secret;
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  StoreData *store;
  const char *text;

  g_return_if_fail (GTK_IS_WIDGET (row));
  secret = get_secret (row);
  g_return_if_fail (secret != NULL);

  outer = g_task_new (row, cancellable, callback, user_data);
  g_task_set_source_tag (outer, tw_prefs_secret_row_store_async);
  text = gtk_editable_get_text (GTK_EDITABLE (secret->entry));
  if (*text == '\0')
    {
      g_task_return_boolean (outer, TRUE);
      return;
    }
  if (!tw_secrets_validate (secret->kind, text, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Not saved: %s"), error->message);

      tw_prefs_show_error (secret->entry, secret->error_label, message);
      g_task_return_new_error (outer, TW_SECRETS_ERROR, TW_SECRETS_ERROR_INVALID_VALUE, "%s", message);
      return;
    }

  store = g_new0 (StoreData, 1);
  store->kind = secret->kind;
  store->value = g_strdup (text);
  task = g_task_new (NULL, secret->cancellable, store_done_cb, g_steal_pointer (&outer));
  g_task_set_task_data (task, store, store_data_free);
  g_task_run_in_thread (task, store_thread);
}

/**
 * tw_prefs_secret_row_store_finish:
 * @row: the row
 * @result: the result
 * @error: why it was not stored (also shown at the field)
 *
 * Returns: whether it was stored, or there was nothing to store
 */
gboolean
tw_prefs_secret_row_store_finish (GtkWidget     *row,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, row), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Send test */

typedef struct
{
  TwPrefsDaemon *daemon;
  char          *channel;
  GtkWidget     *secret_row;   /* nullable; in the same page, so it outlives the button */
  GtkWidget     *button;
  GtkWidget     *spinner;
  GtkWidget     *result_label;
  GCancellable  *cancellable;
} TestRow;

static void
test_row_free (gpointer data)
{
  TestRow *test = data;

  g_cancellable_cancel (test->cancellable);
  g_clear_object (&test->cancellable);
  g_clear_object (&test->daemon);
  g_free (test->channel);
  g_free (test);
}

static void
show_outcome (GtkWidget  *row,
              const char *text,
              gboolean    good)
{
  TestRow *test = g_object_get_data (G_OBJECT (row), "tw-prefs-test");

  gtk_spinner_stop (GTK_SPINNER (test->spinner));
  gtk_widget_set_visible (test->spinner, FALSE);
  gtk_widget_set_sensitive (test->button, TRUE);
  gtk_label_set_text (GTK_LABEL (test->result_label), text);
  gtk_widget_set_visible (test->result_label, TRUE);
  if (good)
    {
      gtk_widget_remove_css_class (test->result_label, "error");
      gtk_widget_add_css_class (test->result_label, "success");
    }
  else
    {
      gtk_widget_remove_css_class (test->result_label, "success");
      gtk_widget_add_css_class (test->result_label, "error");
    }
}

static void
tested_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *verdict = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *text = NULL;

  if (!tw_prefs_daemon_test_channel_finish (TW_PREFS_DAEMON (source), result, &verdict, &answer, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_outcome (row, error->message, FALSE);
      return;
    }

  /* Translators: %s is the server's answer, in its own words */
  if (g_str_equal (verdict, "accepted"))
    text = g_strdup_printf (_("Sent. The server answered: %s"), answer);
  else if (g_str_equal (verdict, "retry"))
    /* Translators: %s is the server's answer, in its own words */
    text = g_strdup_printf (_("Not sent: the server asked to try again later: %s"), answer);
  else if (g_str_equal (verdict, "unavailable"))
    /* Translators: %s says what is missing, such as the webhook address */
    text = g_strdup_printf (_("Not sent: %s"), answer);
  else
    /* Translators: %s is the server's answer, in its own words */
    text = g_strdup_printf (_("Refused by the server: %s"), answer);
  show_outcome (row, text, g_str_equal (verdict, "accepted"));
}

static void
test_stored_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GError) error = NULL;
  TestRow *test = g_object_get_data (G_OBJECT (row), "tw-prefs-test");

  if (!tw_prefs_secret_row_store_finish (GTK_WIDGET (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_outcome (row, error->message, FALSE);
      return;
    }

  tw_prefs_daemon_test_channel_async (test->daemon, test->channel, test->cancellable, tested_cb,
                                      g_steal_pointer (&row));
}

static void
test_clicked_cb (GtkButton *button,
                 gpointer   user_data)
{
  GtkWidget *row = user_data;
  TestRow *test = g_object_get_data (G_OBJECT (row), "tw-prefs-test");

  gtk_widget_set_sensitive (test->button, FALSE);
  gtk_widget_set_visible (test->spinner, TRUE);
  gtk_spinner_start (GTK_SPINNER (test->spinner));
  gtk_widget_set_visible (test->result_label, FALSE);

  /* What was typed and not stored yet is what the user means to test. */
  if (test->secret_row != NULL)
    tw_prefs_secret_row_store_async (test->secret_row, test->cancellable, test_stored_cb, g_object_ref (row));
  else
    tw_prefs_daemon_test_channel_async (test->daemon, test->channel, test->cancellable, tested_cb,
                                        g_object_ref (row));
}

/**
 * tw_prefs_test_row_new:
 * @daemon: the daemon, which sends the test
 * @channel: `email`, `slack` or `discord`
 * @secret_row: (nullable): the channel's secret, stored first if it was typed
 *
 * Returns: (transfer floating): a row with a "Send test" button, a spinner
 *   while the daemon sends, and the outcome in the server's words
 */
GtkWidget *
tw_prefs_test_row_new (TwPrefsDaemon *daemon,
                       const char    *channel,
                       GtkWidget     *secret_row)
{
  TestRow *test = g_new0 (TestRow, 1);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  g_autofree char *name = g_strconcat ("test/", channel, NULL);
  g_autofree char *result_name = g_strconcat ("test-result/", channel, NULL);

  test->daemon = g_object_ref (daemon);
  test->channel = g_strdup (channel);
  test->secret_row = secret_row;
  test->cancellable = g_cancellable_new ();
  test->button = gtk_button_new_with_mnemonic (_("Send _test"));
  gtk_widget_set_name (test->button, name);
  test->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (test->spinner, FALSE);
  /* Translators: the accessible name of the spinner while a test message is sent */
  gtk_accessible_update_property (GTK_ACCESSIBLE (test->spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sending the test message"), -1);
  test->result_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (test->result_label), 0);
  gtk_label_set_wrap (GTK_LABEL (test->result_label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (test->result_label), TRUE);
  gtk_widget_set_visible (test->result_label, FALSE);
  gtk_widget_set_name (test->result_label, result_name);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (test->button), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                  test->result_label, NULL, -1);

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 8);
  gtk_widget_set_margin_bottom (row, 8);
  gtk_box_append (GTK_BOX (line), test->button);
  gtk_box_append (GTK_BOX (line), test->spinner);
  gtk_box_append (GTK_BOX (row), line);
  gtk_box_append (GTK_BOX (row), test->result_label);
  g_object_set_data_full (G_OBJECT (row), "tw-prefs-test", test, test_row_free);
  g_signal_connect (test->button, "clicked", G_CALLBACK (test_clicked_cb), row);

  return row;
}
