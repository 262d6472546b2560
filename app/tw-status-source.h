/* tw-status-source.h — follows one status file, re-read whole on each change, and emits what is new
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-inotify.h"
#include "tw-status-file.h"

G_BEGIN_DECLS

/**
 * TW_STATUS_SOURCE_MAX_SIZE:
 *
 * The largest status file read; a bigger one puts the source in its error state.
 */
#define TW_STATUS_SOURCE_MAX_SIZE (16 * 1024 * 1024)

/**
 * TwStatusSourceState:
 * @TW_STATUS_SOURCE_STATE_STOPPED: not started, or stopped
 * @TW_STATUS_SOURCE_STATE_WAITING: the file (or its folder) does not exist (yet)
 * @TW_STATUS_SOURCE_STATE_FOLLOWING: the file exists and is read on each change
 * @TW_STATUS_SOURCE_STATE_ERROR: the file cannot be read or is not a status
 *   file; see tw_status_source_get_error_message(); read again on the next change
 */
typedef enum
{
  TW_STATUS_SOURCE_STATE_STOPPED,
  TW_STATUS_SOURCE_STATE_WAITING,
  TW_STATUS_SOURCE_STATE_FOLLOWING,
  TW_STATUS_SOURCE_STATE_ERROR,
} TwStatusSourceState;

#define TW_TYPE_STATUS_SOURCE (tw_status_source_get_type ())
G_DECLARE_FINAL_TYPE (TwStatusSource, tw_status_source, TW, STATUS_SOURCE, GObject)

gboolean             tw_status_source_is_status_name   (const char     *path);
const char          *tw_status_source_state_to_string  (TwStatusSourceState state);
TwStatusSource      *tw_status_source_new              (TwInotify      *inotify,
                                                        const char     *path);
void                 tw_status_source_start            (TwStatusSource *self);
void                 tw_status_source_stop             (TwStatusSource *self);
void                 tw_status_source_set_path         (TwStatusSource *self,
                                                        const char     *path,
                                                        gboolean        keep_history);
const char          *tw_status_source_get_path         (TwStatusSource *self);
TwStatusFormat       tw_status_source_get_format       (TwStatusSource *self);
TwStatusSourceState  tw_status_source_get_state        (TwStatusSource *self);
const char          *tw_status_source_get_error_message (TwStatusSource *self);

G_END_DECLS
