/* tw-extract-progress.h — pure parsers for progress bars, epochs, steps and metrics in one
 * clean line of a run's output (tqdm, Lightning, Hugging Face Trainer, Keras, plain prints)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-observation.h"

G_BEGIN_DECLS

#define TW_PROGRESS_KEY_MAX 64

/* What the progress parsers remember between lines of one stream. */
typedef struct
{
  gboolean have_main;                    /* a main (training) bar has been seen */
  char     main_key[TW_PROGRESS_KEY_MAX]; /* its description, digits folded to '#' */
  gint64   main_total;                   /* its total (0 when unknown) */
  gint64   max_epochs;                   /* Lightning max_epochs when seen; 0 when unknown */
  gboolean in_rich_summary;              /* inside a Lightning Rich bar's metric lines */
} TwProgressState;

void     tw_progress_state_init   (TwProgressState *state);

gboolean tw_extract_tqdm          (TwProgressState *state,
                                   const char      *line,
                                   guint64          offset,
                                   GArray          *out,
                                   const char     **rest);
gboolean tw_extract_hf_dict       (const char      *line,
                                   guint64          offset,
                                   GArray          *out);
gboolean tw_extract_lightning     (TwProgressState *state,
                                   const char      *line,
                                   guint64          offset,
                                   GArray          *out);
gboolean tw_extract_keras         (const char      *line,
                                   guint64          offset,
                                   GArray          *out);
gboolean tw_extract_generic       (const char      *line,
                                   guint64          offset,
                                   GArray          *out);
gboolean tw_extract_progress_line (TwProgressState *state,
                                   const char      *line,
                                   guint64          offset,
                                   GArray          *out);

G_END_DECLS
