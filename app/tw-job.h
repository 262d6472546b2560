/* tw-job.h — one training run being watched
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "tw-event.h"
#include "tw-extract-rule.h"
#include "tw-inotify.h"
#include "tw-run-state.h"

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
void        tw_job_follow             (TwJob       *self,
                                       TwInotify   *inotify,
                                       gint64       start_offset);
void        tw_job_stop_following     (TwJob       *self);
gboolean    tw_job_is_following       (TwJob       *self);
void        tw_job_finish_process     (TwJob       *self,
                                       int          exit_status,
                                       int          signal_number);
TwRunState *tw_job_get_run_state      (TwJob       *self);
void        tw_job_set_stall_timeout  (TwJob       *self,
                                       gint64       usec);
void        tw_job_set_rules          (TwJob       *self,
                                       TwRuleSet   *rules);
void        tw_job_set_resume_file    (TwJob       *self,
                                       guint64      dev,
                                       guint64      inode);
gboolean    tw_job_get_resume_point   (TwJob       *self,
                                       guint64     *out_dev,
                                       guint64     *out_inode,
                                       guint64     *out_offset);

G_END_DECLS
