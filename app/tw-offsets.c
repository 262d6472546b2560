/* tw-offsets.c — where the daemon stopped reading each followed file, kept across restarts
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small JSON file in the state folder:
 *   {"version":1,"files":{"/abs/path":{"dev":N,"inode":N,"offset":N},…}}
 * The device and inode tell whether the file at the path is still the one that was
 * read; the offset is the start of the first line not yet read whole.
 */
#include "config.h"

#include "tw-offsets.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* A file with more entries than this was not written by us. */
#define MAX_FILES 100000
#define MAX_SIZE (16 * 1024 * 1024)

typedef struct
{
  guint64 dev;
  guint64 inode;
  guint64 offset;
} Entry;

struct _TwOffsets
{
  char       *path;
  GHashTable *files;  /* path → Entry* */
};

/**
 * tw_offsets_new:
 * @path: the file that keeps the offsets
 *
 * Returns: (transfer full): an empty set of offsets; see tw_offsets_load()
 */
TwOffsets *
tw_offsets_new (const char *path)
{
  TwOffsets *self = g_new0 (TwOffsets, 1);

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  return self;
}

/**
 * tw_offsets_free:
 * @self: (transfer full) (nullable): the offsets
 */
void
tw_offsets_free (TwOffsets *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->files);
  g_free (self->path);
  g_free (self);
}

static gboolean
get_count (JsonObject *object,
           const char *member,
           guint64    *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

/**
 * tw_offsets_load:
 * @self: the offsets
 * @error: return location for a #GError
 *
 * Reads the file. A missing file is no offsets; a file that cannot be read or is
 * not ours is an error, and then no offsets are known (files are followed from
 * their end, as on a first start). Entries that make no sense are skipped.
 *
 * Returns: %TRUE on success
 */
gboolean
tw_offsets_load (TwOffsets  *self,
                 GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonNode *files;
  GList *members;
  gsize length;

  g_return_val_if_fail (self != NULL, FALSE);

  g_hash_table_remove_all (self->files);
  if (!g_file_get_contents (self->path, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (length > MAX_SIZE || !json_parser_load_from_data (parser, data, length, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not a file of read positions; followed files start at their end"),
                   self->path);
      return FALSE;
    }

  root = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_member (root, "files");
  if (files == NULL || !JSON_NODE_HOLDS_OBJECT (files))
    return TRUE;

  members = json_object_get_members (json_node_get_object (files));
  for (GList *l = members; l != NULL && g_hash_table_size (self->files) < MAX_FILES; l = l->next)
    {
      JsonNode *node = json_object_get_member (json_node_get_object (files), l->data);
      Entry entry;

      if (!JSON_NODE_HOLDS_OBJECT (node) || !g_path_is_absolute (l->data)
          || !get_count (json_node_get_object (node), "dev", &entry.dev)
          || !get_count (json_node_get_object (node), "inode", &entry.inode)
          || !get_count (json_node_get_object (node), "offset", &entry.offset))
        continue;
      g_hash_table_insert (self->files, g_strdup (l->data), g_memdup2 (&entry, sizeof entry));
    }
  g_list_free (members);

  return TRUE;
}

/**
 * tw_offsets_save:
 * @self: the offsets
 * @error: return location for a #GError
 *
 * Writes the file atomically (a crash leaves the old one), creating its folder.
 *
 * Returns: %TRUE on success
 */
gboolean
tw_offsets_save (TwOffsets  *self,
                 GError    **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;
  g_autoptr(GList) keys = NULL;
  gsize length;

  g_return_val_if_fail (self != NULL, FALSE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_object (builder);
  keys = g_list_sort (g_hash_table_get_keys (self->files), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const Entry *entry = g_hash_table_lookup (self->files, l->data);

      json_builder_set_member_name (builder, l->data);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dev");
      json_builder_add_int_value (builder, (gint64) entry->dev);
      json_builder_set_member_name (builder, "inode");
      json_builder_add_int_value (builder, (gint64) entry->inode);
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, (gint64) entry->offset);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), _("Cannot create folder “%s”: %s"), dir,
                   g_strerror (errsv));
      return FALSE;
    }

  return g_file_set_contents_full (self->path, text, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/**
 * tw_offsets_lookup:
 * @self: the offsets
 * @file: an absolute path
 * @out_dev: (out): the device of the file that was read
 * @out_inode: (out): its inode
 * @out_offset: (out): where to continue
 *
 * Returns: whether an offset is known for @file
 */
gboolean
tw_offsets_lookup (TwOffsets  *self,
                   const char *file,
                   guint64    *out_dev,
                   guint64    *out_inode,
                   guint64    *out_offset)
{
  const Entry *entry;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (file != NULL, FALSE);

  entry = g_hash_table_lookup (self->files, file);
  if (entry == NULL)
    return FALSE;

  *out_dev = entry->dev;
  *out_inode = entry->inode;
  *out_offset = entry->offset;
  return TRUE;
}

/**
 * tw_offsets_set:
 * @self: the offsets
 * @file: an absolute path
 * @dev: the device of the file being read
 * @inode: its inode
 * @offset: where reading would continue
 */
void
tw_offsets_set (TwOffsets  *self,
                const char *file,
                guint64     dev,
                guint64     inode,
                guint64     offset)
{
  Entry entry = { dev, inode, offset };

  g_return_if_fail (self != NULL);
  g_return_if_fail (file != NULL);

  g_hash_table_insert (self->files, g_strdup (file), g_memdup2 (&entry, sizeof entry));
}

/**
 * tw_offsets_remove:
 * @self: the offsets
 * @file: an absolute path
 *
 * Forgets @file, which is no longer followed.
 */
void
tw_offsets_remove (TwOffsets  *self,
                   const char *file)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (file != NULL);

  g_hash_table_remove (self->files, file);
}
