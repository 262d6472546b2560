/* tw-extract-failure.h — finds failures (tracebacks, CUDA out of memory, CUDA and NCCL
 * errors, NaN, "Killed") in the clean lines of a run's output
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-observation.h"

G_BEGIN_DECLS

typedef struct _TwFailureDetector TwFailureDetector;

TwFailureDetector *tw_failure_detector_new         (void);
void               tw_failure_detector_free        (TwFailureDetector *self);
void               tw_failure_detector_line        (TwFailureDetector *self,
                                                    const char        *line,
                                                    gsize              len,
                                                    guint64            offset,
                                                    GArray            *out);
gboolean           tw_failure_detector_is_idle     (TwFailureDetector *self);
void               tw_failure_detector_finish      (TwFailureDetector *self,
                                                    GArray            *out);
const char        *tw_failure_detector_get_context (TwFailureDetector *self);
void               tw_failure_detector_line_func   (const char        *line,
                                                    gsize              len,
                                                    guint64            offset,
                                                    GArray            *out,
                                                    gpointer           user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwFailureDetector, tw_failure_detector_free)

G_END_DECLS
