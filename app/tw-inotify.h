/* tw-inotify.h — the daemon's one inotify descriptor, shared by every watched path
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TW_TYPE_INOTIFY (tw_inotify_get_type ())
G_DECLARE_FINAL_TYPE (TwInotify, tw_inotify, TW, INOTIFY, GObject)

/**
 * TwInotifyFunc:
 * @inotify: the #TwInotify
 * @mask: the event's mask (`IN_MODIFY`, `IN_CREATE`, `IN_IGNORED`, `IN_Q_OVERFLOW`, …)
 * @name: (nullable): the name of the entry inside a watched directory, or %NULL
 * @user_data: the data given to tw_inotify_add_watch()
 *
 * Receives the events of one subscription. `IN_Q_OVERFLOW` (events were lost) is
 * delivered to every subscriber; `IN_IGNORED` means the kernel dropped the watch
 * and no further event will come for this subscription.
 */
typedef void (*TwInotifyFunc) (TwInotify  *inotify,
                               guint32     mask,
                               const char *name,
                               gpointer    user_data);

TwInotify *tw_inotify_new           (GError       **error);
guint      tw_inotify_add_watch     (TwInotify     *self,
                                     const char    *path,
                                     guint32        mask,
                                     TwInotifyFunc  func,
                                     gpointer       user_data,
                                     GError       **error);
void       tw_inotify_remove_watch  (TwInotify     *self,
                                     guint          id);
guint      tw_inotify_get_n_watches (TwInotify     *self);

G_END_DECLS
