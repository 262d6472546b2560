/* tw-inotify.c — the daemon's one inotify descriptor, shared by every watched path
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-inotify.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* One kernel watch descriptor.  The kernel keys watches by inode, so two paths
 * naming the same file share one; subscribers keep it alive (a reference each). */
typedef struct
{
  int     wd;           /* -1 once the kernel dropped it (IN_IGNORED) */
  GList  *subs;         /* Sub*, not owned */
  guint   busy;         /* dispatches running over it: keeps it allocated */
} Watch;

typedef struct
{
  guint          id;
  Watch         *watch;
  guint32        mask;
  TwInotifyFunc  func;
  gpointer       user_data;
} Sub;

struct _TwInotify
{
  GObject     parent_instance;
  int         fd;
  guint       fd_source_id;
  GHashTable *watches;  /* wd → Watch* (owned) */
  GHashTable *subs;     /* id → Sub* (owned) */
  guint       next_id;
};

G_DEFINE_FINAL_TYPE (TwInotify, tw_inotify, G_TYPE_OBJECT)

/* Events that say nothing about the watched object itself. */
#define ALWAYS_DELIVERED (IN_IGNORED | IN_Q_OVERFLOW | IN_UNMOUNT)

static void
watch_release (TwInotify *self,
               Watch     *watch)
{
  if (watch->subs != NULL)
    return;

  if (watch->wd >= 0)
    {
      g_hash_table_remove (self->watches, GINT_TO_POINTER (watch->wd));
      /* EINVAL here means the kernel already dropped it; nothing to do. */
      inotify_rm_watch (self->fd, watch->wd);
      watch->wd = -1;
    }
  if (watch->busy == 0)
    g_free (watch);
}

static void
dispatch (TwInotify  *self,
          Watch      *watch,
          guint32     mask,
          const char *name)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  /* Subscribers may add or remove subscriptions from their callback: collect the
   * ids first and look each up again before calling it. */
  if (watch != NULL)
    {
      for (GList *l = watch->subs; l != NULL; l = l->next)
        g_array_append_val (ids, ((Sub *) l->data)->id);
      watch->busy++;
    }
  else
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->subs);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          guint id = GPOINTER_TO_UINT (key);
          g_array_append_val (ids, id);
        }
    }

  for (guint i = 0; i < ids->len; i++)
    {
      Sub *sub = g_hash_table_lookup (self->subs,
                                      GUINT_TO_POINTER (g_array_index (ids, guint, i)));

      if (sub == NULL || (watch != NULL && sub->watch != watch))
        continue;
      if ((mask & (sub->mask | ALWAYS_DELIVERED)) == 0)
        continue;
      sub->func (self, mask, name, sub->user_data);
    }

  if (watch != NULL)
    {
      watch->busy--;
      watch_release (self, watch);
    }
}

static void
handle_event (TwInotify                  *self,
              const struct inotify_event *event)
{
  const char *name = event->len > 0 ? event->name : NULL;
  Watch *watch = NULL;

  if (event->mask & IN_Q_OVERFLOW)
    {
      g_debug ("inotify queue overflowed; telling every subscriber to re-check");
      dispatch (self, NULL, IN_Q_OVERFLOW, NULL);
      return;
    }

  watch = g_hash_table_lookup (self->watches, GINT_TO_POINTER (event->wd));
  if (watch == NULL)
    return;

  if (event->mask & IN_IGNORED)
    {
      /* The wd is gone for good (and may be reused by the kernel): unlink it now,
       * the subscriptions stay until their owners remove them. */
      g_hash_table_steal (self->watches, GINT_TO_POINTER (event->wd));
      watch->wd = -1;
      if (watch->subs == NULL)
        {
          watch_release (self, watch);
          return;
        }
    }

  dispatch (self, watch, event->mask, name);
}

static gboolean
inotify_fd_ready_cb (int          fd,
                     GIOCondition condition,
                     gpointer     user_data)
{
  TwInotify *self = TW_INOTIFY (user_data);
  char buf[16 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));

  g_object_ref (self);
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          if (errno != EAGAIN)
            g_warning ("Failed to read inotify events: %s", g_strerror (errno));
          break;
        }
      if (n == 0)
        break;

      for (char *p = buf; p < buf + n;)
        {
          const struct inotify_event *event = (const struct inotify_event *) p;

          handle_event (self, event);
          p += sizeof (struct inotify_event) + event->len;
        }
      if (self->fd < 0)
        break;
    }
  g_object_unref (self);

  return G_SOURCE_CONTINUE;
}

static void
tw_inotify_dispose (GObject *object)
{
  TwInotify *self = TW_INOTIFY (object);

  g_clear_handle_id (&self->fd_source_id, g_source_remove);

  G_OBJECT_CLASS (tw_inotify_parent_class)->dispose (object);
}

static void
tw_inotify_finalize (GObject *object)
{
  TwInotify *self = TW_INOTIFY (object);
  GHashTableIter iter;
  gpointer value;

  /* Subscribers hold a strong reference, so none are left unless one leaked. */
  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_list_free (((Watch *) value)->subs);
      g_free (value);
    }
  g_clear_pointer (&self->watches, g_hash_table_unref);
  g_clear_pointer (&self->subs, g_hash_table_unref);
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;

  G_OBJECT_CLASS (tw_inotify_parent_class)->finalize (object);
}

static void
tw_inotify_class_init (TwInotifyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_inotify_dispose;
  object_class->finalize = tw_inotify_finalize;
}

static void
tw_inotify_init (TwInotify *self)
{
  self->fd = -1;
  self->watches = g_hash_table_new (NULL, NULL);
  self->subs = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->next_id = 1;
}

/**
 * tw_inotify_new:
 * @error: return location for a #GError
 *
 * Opens an inotify descriptor (non-blocking, close-on-exec) and attaches it to the
 * thread-default main context.  The daemon makes one and shares it with every
 * source that follows a file.
 *
 * Returns: (transfer full) (nullable): a new #TwInotify, or %NULL with @error set
 */
TwInotify *
tw_inotify_new (GError **error)
{
  g_autoptr(TwInotify) self = NULL;
  int fd;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Failed to create an inotify instance: %s", g_strerror (saved_errno));
      return NULL;
    }

  self = g_object_new (TW_TYPE_INOTIFY, NULL);
  self->fd = fd;
  self->fd_source_id = g_unix_fd_add (fd, G_IO_IN, inotify_fd_ready_cb, self);

  return g_steal_pointer (&self);
}

/**
 * tw_inotify_add_watch:
 * @self: a #TwInotify
 * @path: the file or directory to watch (symbolic links are followed)
 * @mask: the events wanted (`IN_MODIFY`, `IN_CREATE`, …); `IN_IGNORED` and
 *   `IN_Q_OVERFLOW` are always delivered
 * @func: (scope notified): called for each event
 * @user_data: data for @func
 * @error: return location for a #GError
 *
 * Subscribes @func to the events of @path.  Subscriptions to the same inode share
 * one kernel watch, whose mask is the union of theirs; each subscriber only sees
 * the events in its own @mask.
 *
 * Returns: a subscription id for tw_inotify_remove_watch(), or 0 with @error set
 */
guint
tw_inotify_add_watch (TwInotify      *self,
                      const char     *path,
                      guint32         mask,
                      TwInotifyFunc   func,
                      gpointer        user_data,
                      GError        **error)
{
  Watch *watch = NULL;
  Sub *sub = NULL;
  int wd;

  g_return_val_if_fail (TW_IS_INOTIFY (self), 0);
  g_return_val_if_fail (path != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  wd = inotify_add_watch (self->fd, path, (mask & IN_ALL_EVENTS) | IN_MASK_ADD);
  if (wd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Failed to watch '%s': %s", path, g_strerror (saved_errno));
      return 0;
    }

  watch = g_hash_table_lookup (self->watches, GINT_TO_POINTER (wd));
  if (watch == NULL)
    {
      watch = g_new0 (Watch, 1);
      watch->wd = wd;
      g_hash_table_insert (self->watches, GINT_TO_POINTER (wd), watch);
    }

  sub = g_new0 (Sub, 1);
  sub->id = self->next_id++;
  if (self->next_id == 0)
    self->next_id = 1;
  sub->watch = watch;
  sub->mask = mask;
  sub->func = func;
  sub->user_data = user_data;
  watch->subs = g_list_prepend (watch->subs, sub);
  g_hash_table_insert (self->subs, GUINT_TO_POINTER (sub->id), sub);

  return sub->id;
}

/**
 * tw_inotify_remove_watch:
 * @self: a #TwInotify
 * @id: a subscription id from tw_inotify_add_watch()
 *
 * Ends a subscription; the kernel watch goes when its last subscriber does.
 * Safe to call from inside an event callback, also after `IN_IGNORED`.
 */
void
tw_inotify_remove_watch (TwInotify *self,
                         guint      id)
{
  Sub *sub = NULL;
  Watch *watch = NULL;

  g_return_if_fail (TW_IS_INOTIFY (self));
  g_return_if_fail (id != 0);

  sub = g_hash_table_lookup (self->subs, GUINT_TO_POINTER (id));
  g_return_if_fail (sub != NULL);

  watch = sub->watch;
  watch->subs = g_list_remove (watch->subs, sub);
  g_hash_table_remove (self->subs, GUINT_TO_POINTER (id));
  watch_release (self, watch);
}

/**
 * tw_inotify_get_n_watches:
 * @self: a #TwInotify
 *
 * Counts the kernel watches currently held (for tests and diagnostics).
 *
 * Returns: the number of live kernel watch descriptors
 */
guint
tw_inotify_get_n_watches (TwInotify *self)
{
  g_return_val_if_fail (TW_IS_INOTIFY (self), 0);

  return g_hash_table_size (self->watches);
}
