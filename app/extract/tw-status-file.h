/* tw-status-file.h — status files that training code or frameworks rewrite: ours, Hugging Face
 * trainer_state.json and Lightning's metrics.csv, read into observations
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-observation.h"

G_BEGIN_DECLS

#define TW_STATUS_FILE_ERROR (tw_status_file_error_quark ())

typedef enum
{
  TW_STATUS_FILE_ERROR_INCOMPLETE,   /* caught mid-write: read it again on the next change */
  TW_STATUS_FILE_ERROR_INVALID,      /* not a status file of that format */
} TwStatusFileError;

typedef enum
{
  TW_STATUS_FORMAT_TRAINWATCH,
  TW_STATUS_FORMAT_HF_TRAINER_STATE,
  TW_STATUS_FORMAT_LIGHTNING_CSV,
} TwStatusFormat;

/**
 * TwStatusCursor:
 * @step: trainer_state.json: the step of the newest `log_history` entry read, -1 before any
 * @at_step: trainer_state.json: how many entries at @step were read
 * @rows: metrics.csv: how many data rows were read
 *
 * How far a file that keeps its whole history (log_history, CSV rows) was read, so
 * that reading it again after a change yields only what is new.
 */
typedef struct
{
  gint64 step;
  guint  at_step;
  guint  rows;
} TwStatusCursor;

GQuark         tw_status_file_error_quark (void);
void           tw_status_cursor_init      (TwStatusCursor *cursor);
TwStatusFormat tw_status_format_for_name  (const char     *basename);
gboolean       tw_status_file_parse       (TwStatusFormat  format,
                                           const char     *data,
                                           gsize           len,
                                           GArray         *out,
                                           GError        **error);
gboolean       tw_status_file_parse_new   (TwStatusFormat  format,
                                           const char     *data,
                                           gsize           len,
                                           TwStatusCursor *cursor,
                                           GArray         *out,
                                           GError        **error);

G_END_DECLS
