/* tw-prefs-email.c — the Email page: the mail server, who gets the messages, and Send test
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-prefs-pages.h"

#include <glib/gi18n.h>

#include "tw-prefs-field.h"
#include "tw-prefs-secret.h"

/**
 * tw_prefs_email_page_new:
 * @config: the config
 * @daemon: the daemon, which sends the test
 *
 * Returns: (transfer floating): the Email page
 */
GtkWidget *
tw_prefs_email_page_new (TwConfig      *config,
                         TwPrefsDaemon *daemon)
{
  /* In the order of the schema's choices: starttls, tls, none. */
  static const char * const security[] = {
    N_("STARTTLS (usually port 587)"), N_("TLS (usually port 465)"), N_("None (not encrypted)"), NULL
  };
  const char *security_labels[G_N_ELEMENTS (security)] = { NULL };
  GtkWidget *box;
  GtkWidget *scrolled = tw_prefs_page_new (&box);
  GtkWidget *group;
  GtkWidget *password;

  for (guint i = 0; security[i] != NULL; i++)
    security_labels[i] = _(security[i]);

  group = tw_prefs_group_new (_("Email"), _("Trainwatch sends its messages through your mail server."));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, "email", "enabled", _("Send email"),
                                                      _("Once a server and a recipient are set.")));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "to", _("To"),
                                                     _("One or more addresses, separated by commas."), NULL, NULL));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "from", _("From"),
                                                     _("Empty: the user name if it is an address, else the first "
                                                       "recipient."),
                                                     NULL, NULL));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "min-interval-seconds",
                                                     _("At most one message every (seconds)"),
                                                     _("Events that come meanwhile are gathered into the next "
                                                       "message."),
                                                     NULL, NULL));
  gtk_box_append (GTK_BOX (box), group);

  group = tw_prefs_group_new (_("Mail server"), NULL);
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "server", _("Server"),
                                                     _("Such as smtp.example.org."), NULL, NULL));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "port", _("Port"),
                                                     _("Empty: the usual one for the security chosen."), "0", NULL));
  tw_prefs_group_add (group, tw_prefs_choice_row_new (config, "email", "security", _("Security"), NULL,
                                                      security_labels));
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, "email", "user", _("User name"),
                                                     _("Empty: no login."), NULL, NULL));
  password = tw_prefs_secret_row_new (TW_SECRET_SMTP_PASSWORD, _("Password"),
                                      _("Kept in the keyring, never in the config file. Press Enter to store it."));
  tw_prefs_group_add (group, password);
  tw_prefs_group_add (group, tw_prefs_test_row_new (daemon, "email", password));
  gtk_box_append (GTK_BOX (box), group);

  return scrolled;
}
