/* tw-batch.h — what the chat channels share to turn a batch of reports into one message
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-report.h"
#include "tw-send-result.h"

G_BEGIN_DECLS

/* Replaces one character on its way into a message; NULL keeps it as it is. */
typedef const char *(*TwBatchEscapeFunc) (gunichar c);

#define TW_BATCH_ELLIPSIS "\xe2\x80\xa6"   /* … */

/* How many reports a summary lists as a line each, and how long such a line may be. */
#define TW_BATCH_MAX_LISTED        20
#define TW_BATCH_MAX_LISTED_UNITS  90

/* The most an answer quotes of the server's words, in characters. */
#define TW_BATCH_MAX_ANSWER_WORDS 200

/* The longest wait a service may ask for that is believed, in seconds: a day. */
#define TW_BATCH_MAX_RETRY_AFTER  (24 * 3600)

GPtrArray  *tw_batch_dup_by_importance (GPtrArray         *reports);
char       *tw_batch_dup_summary       (GPtrArray         *sorted,
                                        guint              n_shown);
char       *tw_batch_dup_headline      (TwReport          *report);
char       *tw_batch_dup_first_line    (GPtrArray         *sorted,
                                        glong              max_units,
                                        TwBatchEscapeFunc  escape);
char       *tw_batch_dup_metrics_text  (TwReport          *report,
                                        guint              max_shown);
guint32     tw_batch_get_level_color   (TwLevel            level);
glong       tw_batch_count_units       (const char        *text);
char       *tw_batch_truncate          (const char        *text,
                                        glong              max_units,
                                        TwBatchEscapeFunc  escape,
                                        gboolean           keep_end);
char       *tw_batch_dup_answer        (guint              status,
                                        const char        *words);
void        tw_batch_judge_error       (const GError      *error,
                                        TwSendResult      *result);

G_END_DECLS
