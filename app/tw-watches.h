/* tw-watches.h — the config's [watch:NAME] groups, followed as runs: files and patterns,
 * and where each file was read to, so that a restart continues there
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-command.h"
#include "tw-config.h"
#include "tw-inotify.h"
#include "tw-job.h"

G_BEGIN_DECLS

#define TW_TYPE_WATCHES (tw_watches_get_type ())
G_DECLARE_FINAL_TYPE (TwWatches, tw_watches, TW, WATCHES, GObject)

/**
 * TwWatchesHooks:
 * @start_job: adds @job (taken) to the daemon's runs and follows its log from
 *   @start_offset (-1: the end of an existing file)
 * @jobs_changed: runs were removed from the daemon's table
 *
 * What a #TwWatches needs from the daemon.
 */
typedef struct
{
  void (*start_job)    (TwJob    *job,
                        gint64    start_offset,
                        gpointer  user_data);
  void (*jobs_changed) (gpointer  user_data);
} TwWatchesHooks;

TwWatches *tw_watches_new             (TwConfig                *config,
                                       GHashTable              *jobs,
                                       TwInotify               *inotify,
                                       const char              *offsets_path,
                                       const TwWatchesHooks    *hooks,
                                       gpointer                 user_data);
void       tw_watches_sync            (TwWatches               *self);
void       tw_watches_note_read       (TwWatches               *self);
void       tw_watches_save_offsets    (TwWatches               *self);
void       tw_watches_clear           (TwWatches               *self);
char      *tw_watches_dup_unique_name (TwWatches               *self,
                                       const char              *wanted);
int        tw_watches_handle_watch    (TwWatches               *self,
                                       TwCommand               *command,
                                       GApplicationCommandLine *cmdline);
int        tw_watches_handle_unwatch  (TwWatches               *self,
                                       TwCommand               *command,
                                       GApplicationCommandLine *cmdline);

G_END_DECLS
