/* tw-outbox.h — the messages of one forwarding channel, on disk until the service took them
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tw-report.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

/* The most reports one message may gather (tw_outbox_set_max_batch()). */
#define TW_OUTBOX_MAX_BATCH 100

#define TW_OUTBOX_DEFAULT_BACKOFF_MSEC      2000
#define TW_OUTBOX_DEFAULT_MAX_BACKOFF_MSEC  (15 * 60 * 1000)

typedef enum
{
  TW_OUTBOX_IDLE,       /* nothing to send */
  TW_OUTBOX_SENDING,    /* a message is on its way */
  TW_OUTBOX_WAITING,    /* the rate limit, or a retry after a failure */
  TW_OUTBOX_DISABLED,   /* the service refused the settings: nothing is sent until they change */
} TwOutboxState;

#define TW_TYPE_OUTBOX (tw_outbox_get_type ())
G_DECLARE_FINAL_TYPE (TwOutbox, tw_outbox, TW, OUTBOX, GObject)

/* Sends one message made of @reports (element TwReport, oldest first) and calls
 * tw_outbox_complete() with @serial when the service answered, now or later. */
typedef void (*TwOutboxSendFunc) (TwOutbox   *outbox,
                                  GPtrArray  *reports,
                                  guint64     serial,
                                  gpointer    user_data);

const char    *tw_outbox_state_to_string (TwOutboxState     state);

TwOutbox      *tw_outbox_new             (const char       *dir,
                                          TwOutboxSendFunc  send_func,
                                          gpointer          user_data);
gboolean       tw_outbox_load            (TwOutbox         *self,
                                          GError          **error);
const char    *tw_outbox_get_dir         (TwOutbox         *self);
void           tw_outbox_set_min_interval (TwOutbox        *self,
                                          guint             msec);
void           tw_outbox_set_max_batch   (TwOutbox         *self,
                                          guint             max_reports);
void           tw_outbox_set_backoff     (TwOutbox         *self,
                                          guint             first_msec,
                                          guint             max_msec);
void           tw_outbox_set_retry_limit (TwOutbox         *self,
                                          gint64            usec);
void           tw_outbox_set_paused      (TwOutbox         *self,
                                          gboolean          paused);

void           tw_outbox_push            (TwOutbox         *self,
                                          TwReport         *report);
void           tw_outbox_complete        (TwOutbox         *self,
                                          guint64           serial,
                                          const TwSendResult *result);
void           tw_outbox_enable          (TwOutbox         *self);
guint          tw_outbox_discard         (TwOutbox         *self);

TwOutboxState  tw_outbox_get_state       (TwOutbox         *self);
guint          tw_outbox_get_n_queued    (TwOutbox         *self);
guint          tw_outbox_get_n_failed    (TwOutbox         *self);
guint          tw_outbox_get_n_pending_io (TwOutbox        *self);
guint64        tw_outbox_get_n_sent      (TwOutbox         *self);
guint64        tw_outbox_get_n_messages  (TwOutbox         *self);
const char    *tw_outbox_get_last_answer (TwOutbox         *self);
const char    *tw_outbox_get_disabled_reason (TwOutbox     *self);
void           tw_outbox_add_json        (TwOutbox         *self,
                                          JsonBuilder      *builder);

G_END_DECLS
