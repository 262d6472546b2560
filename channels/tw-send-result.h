/* tw-send-result.h — what became of one message handed to email, Slack or Discord
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TW_VERDICT_ACCEPTED,   /* the service took the message: it leaves the outbox */
  TW_VERDICT_RETRY,      /* try again later: no network, a timeout, a 5xx, a 429, SMTP 4xx */
  TW_VERDICT_REJECTED,   /* this message will never be taken (malformed, too large): marked
                          * failed, the next one is tried */
  TW_VERDICT_DISABLE,    /* the channel's settings are wrong (a webhook that is gone, a
                          * password refused): nothing more is sent until they change */
} TwVerdict;

typedef struct
{
  TwVerdict  verdict;
  gint64     retry_after_usec;  /* RETRY: how long the service asked to wait; -1: not said */
  char      *answer;            /* the server's answer as a person reads it, such as
                                 * "HTTP 404: Unknown Webhook" or "535 5.7.8 Authentication
                                 * failed"; one line, never a secret; never NULL once judged */
  char      *message_id;        /* Discord: the id of the message made or edited; else NULL */
} TwSendResult;

#define TW_SEND_RESULT_INIT { TW_VERDICT_RETRY, -1, NULL, NULL }

const char *tw_verdict_to_string     (TwVerdict     verdict);
void        tw_send_result_clear     (TwSendResult *self);

G_END_DECLS
