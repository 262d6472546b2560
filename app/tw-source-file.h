/* tw-source-file.h — follows one log file with `tail -F` semantics and emits its bytes
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-inotify.h"

G_BEGIN_DECLS

/**
 * TW_SOURCE_FILE_READ_SIZE:
 *
 * The most bytes one #TwSourceFile::data emission carries.
 */
#define TW_SOURCE_FILE_READ_SIZE (64 * 1024)

/**
 * TW_SOURCE_FILE_BUDGET:
 *
 * The most bytes a #TwSourceFile reads in one main-loop iteration before it yields
 * to other sources and continues from an idle.
 */
#define TW_SOURCE_FILE_BUDGET (1024 * 1024)

/**
 * TwSourceFileState:
 * @TW_SOURCE_FILE_STATE_STOPPED: not started, or stopped
 * @TW_SOURCE_FILE_STATE_WAITING: the path does not exist (yet); waiting for it
 * @TW_SOURCE_FILE_STATE_FOLLOWING: a file is open and followed
 * @TW_SOURCE_FILE_STATE_ERROR: the file exists but cannot be read; see
 *   tw_source_file_get_error_message(); retried on the next change
 */
typedef enum
{
  TW_SOURCE_FILE_STATE_STOPPED,
  TW_SOURCE_FILE_STATE_WAITING,
  TW_SOURCE_FILE_STATE_FOLLOWING,
  TW_SOURCE_FILE_STATE_ERROR,
} TwSourceFileState;

/**
 * TwSourceFileResetReason:
 * @TW_SOURCE_FILE_RESET_TRUNCATED: the file shrank below what was read (copytruncate)
 * @TW_SOURCE_FILE_RESET_REPLACED: another file now lives at the path (rotation by
 *   rename, or deletion and re-creation); the old one was drained first
 */
typedef enum
{
  TW_SOURCE_FILE_RESET_TRUNCATED,
  TW_SOURCE_FILE_RESET_REPLACED,
} TwSourceFileResetReason;

GType tw_source_file_state_get_type        (void) G_GNUC_CONST;
GType tw_source_file_reset_reason_get_type (void) G_GNUC_CONST;
#define TW_TYPE_SOURCE_FILE_STATE (tw_source_file_state_get_type ())
#define TW_TYPE_SOURCE_FILE_RESET_REASON (tw_source_file_reset_reason_get_type ())

#define TW_TYPE_SOURCE_FILE (tw_source_file_get_type ())
G_DECLARE_FINAL_TYPE (TwSourceFile, tw_source_file, TW, SOURCE_FILE, GObject)

TwSourceFile      *tw_source_file_new               (TwInotify    *inotify,
                                                     const char   *path,
                                                     gint64        start_offset);
void               tw_source_file_set_resume_file   (TwSourceFile *self,
                                                     guint64       dev,
                                                     guint64       inode);
void               tw_source_file_start             (TwSourceFile *self);
void               tw_source_file_stop              (TwSourceFile *self);
const char        *tw_source_file_get_path          (TwSourceFile *self);
TwSourceFileState  tw_source_file_get_state         (TwSourceFile *self);
const char        *tw_source_file_get_error_message (TwSourceFile *self);
guint64            tw_source_file_get_offset        (TwSourceFile *self);
guint64            tw_source_file_get_size          (TwSourceFile *self);
guint64            tw_source_file_get_dev           (TwSourceFile *self);
guint64            tw_source_file_get_inode         (TwSourceFile *self);
gboolean           tw_source_file_get_polling       (TwSourceFile *self);

G_END_DECLS
