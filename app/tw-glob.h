/* tw-glob.h — a path pattern with wildcards whose matching files, present and future,
 * are reported as they appear
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-inotify.h"

G_BEGIN_DECLS

/* The most folders one pattern may have to look into; beyond, it is refused. */
#define TW_GLOB_MAX_DIRS 4096

#define TW_TYPE_GLOB (tw_glob_get_type ())
G_DECLARE_FINAL_TYPE (TwGlob, tw_glob, TW, GLOB, GObject)

gboolean    tw_glob_is_pattern    (const char  *path);
TwGlob     *tw_glob_new           (TwInotify   *inotify,
                                   const char  *pattern);
void        tw_glob_start         (TwGlob      *self);
const char *tw_glob_get_pattern   (TwGlob      *self);
const char *tw_glob_get_error     (TwGlob      *self);
guint       tw_glob_get_n_matches (TwGlob      *self);

G_END_DECLS
