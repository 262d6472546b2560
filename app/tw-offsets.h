/* tw-offsets.h — where the daemon stopped reading each followed file, kept across restarts
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TwOffsets TwOffsets;

TwOffsets *tw_offsets_new    (const char  *path);
void       tw_offsets_free   (TwOffsets   *self);
gboolean   tw_offsets_load   (TwOffsets   *self,
                              GError     **error);
gboolean   tw_offsets_save   (TwOffsets   *self,
                              GError     **error);
gboolean   tw_offsets_lookup (TwOffsets   *self,
                              const char  *file,
                              guint64     *out_dev,
                              guint64     *out_inode,
                              guint64     *out_offset);
void       tw_offsets_set    (TwOffsets   *self,
                              const char  *file,
                              guint64      dev,
                              guint64      inode,
                              guint64      offset);
void       tw_offsets_remove (TwOffsets   *self,
                              const char  *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwOffsets, tw_offsets_free)

G_END_DECLS
