/* tw-prefs-webhook.c — the Slack and Discord pages: the webhook, how often, and Send test
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-prefs-pages.h"

#include <glib/gi18n.h>

#include "tw-prefs-field.h"
#include "tw-prefs-secret.h"

/**
 * tw_prefs_webhook_page_new:
 * @config: the config
 * @daemon: the daemon, which sends the test
 * @channel: `slack` or `discord`
 *
 * Returns: (transfer floating): the page of that channel
 */
GtkWidget *
tw_prefs_webhook_page_new (TwConfig      *config,
                           TwPrefsDaemon *daemon,
                           const char    *channel)
{
  gboolean slack = g_str_equal (channel, "slack");
  GtkWidget *box;
  GtkWidget *scrolled = tw_prefs_page_new (&box);
  GtkWidget *group;
  GtkWidget *webhook;

  g_return_val_if_fail (slack || g_str_equal (channel, "discord"), NULL);

  group = tw_prefs_group_new (slack ? _("Slack") : _("Discord"),
                              slack ? _("Messages go to the channel of an incoming webhook (a Slack app’s "
                                        "“Incoming Webhooks”). Which events: see Notifications.")
                                    : _("Messages go to the channel of a webhook (the channel’s settings, "
                                        "Integrations, Webhooks). Which events: see Notifications."));
  tw_prefs_group_add (group, tw_prefs_switch_row_new (config, channel, "enabled",
                                                      slack ? _("Send to Slack") : _("Send to Discord"),
                                                      _("Once the webhook address is set.")));
  webhook = tw_prefs_secret_row_new (slack ? TW_SECRET_SLACK_WEBHOOK : TW_SECRET_DISCORD_WEBHOOK,
                                     _("Webhook address"),
                                     slack ? _("https://hooks.slack.com/services/…, kept in the keyring. Press "
                                               "Enter to store it.")
                                           : _("https://discord.com/api/webhooks/…, kept in the keyring. Press "
                                               "Enter to store it."));
  tw_prefs_group_add (group, webhook);
  tw_prefs_group_add (group, tw_prefs_entry_row_new (config, channel, "min-interval-seconds",
                                                     _("At most one message every (seconds)"),
                                                     _("Events that come meanwhile are gathered into the next "
                                                       "message."),
                                                     NULL, NULL));
  if (!slack)
    tw_prefs_group_add (group, tw_prefs_switch_row_new (config, channel, "edit-in-place",
                                                        _("Edit a run’s message as it progresses"),
                                                        _("Failures, stalls and the end of a run still come as a "
                                                          "new message.")));
  tw_prefs_group_add (group, tw_prefs_test_row_new (daemon, channel, webhook));
  gtk_box_append (GTK_BOX (box), group);

  return scrolled;
}
