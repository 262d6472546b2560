/* tw-job.h — one training run being watched
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"

G_BEGIN_DECLS

#define TW_TYPE_JOB (tw_job_get_type ())
G_DECLARE_FINAL_TYPE (TwJob, tw_job, TW, JOB, GObject)

TwJob      *tw_job_new                (const char  *name,
                                       const char  *log_path);
const char *tw_job_get_name           (TwJob       *self);
const char *tw_job_get_log_path       (TwJob       *self);
TwEvent    *tw_job_get_last_event     (TwJob       *self);
void        tw_job_record_event       (TwJob       *self,
                                       TwEvent     *event);
gint64      tw_job_get_snoozed_until  (TwJob       *self);
void        tw_job_snooze             (TwJob       *self,
                                       gint64       until_unix_usec);
gboolean    tw_job_is_snoozed         (TwJob       *self,
                                       gint64       now_unix_usec);
void        tw_job_add_json           (TwJob       *self,
                                       JsonBuilder *builder);

G_END_DECLS
