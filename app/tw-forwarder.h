/* tw-forwarder.h — the email, Slack and Discord channels: reports through an outbox
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-channel.h"
#include "tw-http.h"
#include "tw-mail.h"
#include "tw-outbox.h"
#include "tw-report.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

typedef enum
{
  TW_FORWARD_EMAIL,
  TW_FORWARD_SLACK,
  TW_FORWARD_DISCORD,
} TwForwardService;

#define TW_N_FORWARD_SERVICES 3

/* Makes the report of an event: the daemon adds its run's state. */
typedef TwReport *(*TwForwarderReportFunc) (TwEvent  *event,
                                            gpointer  user_data);

#define TW_TYPE_FORWARDER (tw_forwarder_get_type ())
G_DECLARE_FINAL_TYPE (TwForwarder, tw_forwarder, TW, FORWARDER, GObject)

const char    *tw_forward_service_to_id     (TwForwardService       service);
gboolean       tw_forward_service_from_id   (const char            *id,
                                             TwForwardService      *service);

TwForwarder   *tw_forwarder_new             (TwForwardService       service,
                                             TwHttp                *http,
                                             const char            *outbox_dir);
gboolean       tw_forwarder_load            (TwForwarder           *self,
                                             GError               **error);
TwOutbox      *tw_forwarder_get_outbox      (TwForwarder           *self);
void           tw_forwarder_set_report_func (TwForwarder           *self,
                                             TwForwarderReportFunc  func,
                                             gpointer               user_data);
void           tw_forwarder_set_enabled     (TwForwarder           *self,
                                             gboolean               enabled);
void           tw_forwarder_set_mail        (TwForwarder           *self,
                                             const char            *server,
                                             guint                  port,
                                             TwMailSecurity         security,
                                             const char            *user,
                                             const char            *from,
                                             const char            *to);
void           tw_forwarder_set_edit_in_place (TwForwarder         *self,
                                             gboolean               edit_in_place);
void           tw_forwarder_settings_changed (TwForwarder          *self);
void           tw_forwarder_stop            (TwForwarder           *self);
gboolean       tw_forwarder_is_secret_missing (TwForwarder         *self);
gboolean       tw_forwarder_is_busy         (TwForwarder           *self);

void           tw_forwarder_send_test_async (TwForwarder           *self,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data);
gboolean       tw_forwarder_send_test_finish (TwForwarder          *self,
                                             GAsyncResult          *result,
                                             TwSendResult          *out_result,
                                             GError               **error);

G_END_DECLS
