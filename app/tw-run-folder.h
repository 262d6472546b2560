/* tw-run-folder.h — finds and follows the status files frameworks write into a run's folder
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-inotify.h"
#include "tw-status-source.h"

G_BEGIN_DECLS

#define TW_TYPE_RUN_FOLDER (tw_run_folder_get_type ())
G_DECLARE_FINAL_TYPE (TwRunFolder, tw_run_folder, TW, RUN_FOLDER, GObject)

TwRunFolder *tw_run_folder_new         (TwInotify   *inotify,
                                        const char  *dir);
void         tw_run_folder_start       (TwRunFolder *self);
void         tw_run_folder_stop        (TwRunFolder *self);
GPtrArray   *tw_run_folder_get_sources (TwRunFolder *self);

G_END_DECLS
