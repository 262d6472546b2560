/* tw-fuzz.h — what the fuzz targets share: the libFuzzer entry point and strict logging
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each fuzz-*.c defines LLVMFuzzerTestOneInput(). Built with -Dfuzzing=true it is
 * linked with libFuzzer; in every build it is also linked with fuzz-replay.c, which
 * replays the committed inputs of tests/fuzz/regressions as a unit test.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A critical or a warning is a bug the fuzzer must report: make it abort. */
static inline void
tw_fuzz_init (void)
{
  static gboolean done = FALSE;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}
