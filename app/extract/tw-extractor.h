/* tw-extractor.h — the extractor front end: frames a run's raw output into clean lines
 * and runs the parsers on them (bytes in, observations out)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-extract-rule.h"
#include "tw-observation.h"

G_BEGIN_DECLS

/* Longest line kept, in bytes; the rest of a longer line is discarded. */
#define TW_EXTRACTOR_LINE_CAP (64 * 1024)

typedef struct _TwExtractor TwExtractor;

/**
 * TwLineFunc:
 * @line: one clean line: valid UTF-8 without ANSI escapes, NUL bytes or line ends;
 *   not NUL-terminated and only valid during the call
 * @len: its length in bytes
 * @offset: byte offset of the line's start in the raw stream
 * @out: array of #TwObservation to append to
 * @user_data: the data given to tw_extractor_add_line_func()
 *
 * Sees every non-empty line of the stream, `\r`-separated segments included.
 */
typedef void (*TwLineFunc) (const char *line,
                            gsize       len,
                            guint64     offset,
                            GArray     *out,
                            gpointer    user_data);

TwExtractor *tw_extractor_new             (void);
void         tw_extractor_free            (TwExtractor    *self);
void         tw_extractor_feed            (TwExtractor    *self,
                                           const guint8   *data,
                                           gsize           len,
                                           GArray         *out);
/* Call when the stream has gone quiet or a follower has caught up with the end of the
 * file: reports a held bar update, and processes an unterminated last line that is a
 * redraw (a whole tqdm bar, or a line written after a bare '\r' over another) once, so
 * that the newest redraw is seen when it arrives; it is not seen again when a line end
 * follows unless it grew meanwhile. An ordinary partial line stays held. */
void         tw_extractor_flush           (TwExtractor    *self,
                                           GArray         *out);
void         tw_extractor_finish          (TwExtractor    *self,
                                           GArray         *out);
guint64      tw_extractor_get_offset      (TwExtractor    *self);
guint64      tw_extractor_get_resume_offset (TwExtractor  *self);
gsize        tw_extractor_get_buffer_size (TwExtractor    *self);
void         tw_extractor_add_line_func   (TwExtractor    *self,
                                           TwLineFunc      func,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy);
void         tw_extractor_set_rules       (TwExtractor    *self,
                                           TwRuleSet      *rules);
void         tw_extractor_set_skim        (TwExtractor    *self,
                                           gboolean        skim,
                                           GArray         *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwExtractor, tw_extractor_free)

G_END_DECLS
