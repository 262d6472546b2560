/* test-source-file.c — the log file follower: start, resume, rotation, truncation, polling
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw-inotify.h"
#include "tw-source-file.h"

#define WAIT_MS 10000

typedef struct
{
  GByteArray *data;           /* everything delivered, in order */
  gsize       reset_at[8];    /* data->len at each reset */
  TwSourceFileResetReason reasons[8];
  guint       n_resets;
  guint       n_state_changes;
  gsize       max_chunk;
  guint       n_chunks;
  guint       bad_offsets;
  gboolean    count_only;     /* big transfers: check a pattern instead of keeping them */
  guint64     n_bytes;
  guint64     pattern_errors;
} Collector;

/* Test cases that run both with inotify and with polling. */
typedef struct
{
  const char *name;
  void      (*func) (gboolean poll);
  gboolean    poll;
  gboolean    not_as_root;
} Case;

static guint8
pattern_byte (guint64 i)
{
  return (guint8) ((i * 7 + i / 251) % 256);
}

static void
source_data_cb (TwSourceFile  *source,
                gconstpointer  data,
                gsize          len,
                guint64        offset,
                gpointer       user_data)
{
  Collector *c = user_data;

  if (offset + len != tw_source_file_get_offset (source))
    c->bad_offsets++;
  c->max_chunk = MAX (c->max_chunk, len);
  c->n_chunks++;
  if (c->count_only)
    {
      const guint8 *bytes = data;

      for (gsize i = 0; i < len; i++)
        if (bytes[i] != pattern_byte (c->n_bytes + i))
          c->pattern_errors++;
    }
  else
    {
      g_byte_array_append (c->data, data, len);
    }
  c->n_bytes += len;
}

static void
source_reset_cb (TwSourceFile            *source,
                 TwSourceFileResetReason  reason,
                 gpointer                 user_data)
{
  Collector *c = user_data;

  g_assert_cmpuint (c->n_resets, <, G_N_ELEMENTS (c->reset_at));
  c->reset_at[c->n_resets] = c->data->len;
  c->reasons[c->n_resets] = reason;
  c->n_resets++;
}

static void
source_state_changed_cb (TwSourceFile *source,
                         gpointer      user_data)
{
  Collector *c = user_data;

  c->n_state_changes++;
}

static Collector *
collector_new (void)
{
  Collector *c = g_new0 (Collector, 1);

  c->data = g_byte_array_new ();
  return c;
}

static void
collector_free (Collector *c)
{
  g_byte_array_unref (c->data);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Collector, collector_free)

static void
collector_connect (Collector    *c,
                   TwSourceFile *source)
{
  g_signal_connect (source, "data", G_CALLBACK (source_data_cb), c);
  g_signal_connect (source, "reset", G_CALLBACK (source_reset_cb), c);
  g_signal_connect (source, "state-changed", G_CALLBACK (source_state_changed_cb), c);
}

static char *
make_dir (void)
{
  char *dir = g_build_filename (g_get_user_state_dir (), "follow-XXXXXX", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  g_assert_nonnull (g_mkdtemp (dir));
  return dir;
}

static void
write_all (int         fd,
           const void *data,
           gsize       len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      p += n;
      len -= n;
    }
}

static void
append (const char *path,
        const char *text)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  write_all (fd, text, strlen (text));
  close (fd);
}

static void
replace_contents (const char *path,
                  const char *text)
{
  int fd = open (path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  write_all (fd, text, strlen (text));
  close (fd);
}

static gboolean
deadline_passed_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates until @len bytes arrived (or the deadline, and then fails). */
static void
wait_for_len (Collector *c,
              gsize      len)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (WAIT_MS, deadline_passed_cb, &expired);

  while (c->n_bytes < len && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_cmpuint (c->n_bytes, ==, len);
}

static void
wait_for_state (TwSourceFile      *source,
                TwSourceFileState  state)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (WAIT_MS, deadline_passed_cb, &expired);

  while (tw_source_file_get_state (source) != state && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_cmpint (tw_source_file_get_state (source), ==, state);
}

static void
wait_for_resets (Collector *c,
                 guint      n)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (WAIT_MS, deadline_passed_cb, &expired);

  while (c->n_resets < n && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_cmpuint (c->n_resets, ==, n);
}

/* Lets whatever is already due run, without waiting for anything. */
static void
settle (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
assert_data (Collector  *c,
             const char *expected)
{
  g_autofree char *got = g_strndup ((const char *) c->data->data, c->data->len);

  g_assert_cmpstr (got, ==, expected);
  g_assert_cmpuint (c->data->len, ==, strlen (expected));
  g_assert_cmpuint (c->bad_offsets, ==, 0);
}

static TwSourceFile *
make_source (TwInotify  *inotify,
             const char *path,
             gint64      start_offset,
             gboolean    poll)
{
  return g_object_new (TW_TYPE_SOURCE_FILE,
                       "inotify", inotify,
                       "path", path,
                       "start-offset", start_offset,
                       "force-poll", poll,
                       "poll-interval", 20,
                       NULL);
}

static void
test_start_at_end (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "old line\n");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);
  g_assert_cmpint (tw_source_file_get_polling (source), ==, poll);
  settle ();
  g_assert_cmpuint (c->data->len, ==, 0);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 9);

  append (path, "new line\n");
  wait_for_len (c, 9);
  assert_data (c, "new line\n");
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 18);
  g_assert_cmpuint (c->n_resets, ==, 0);

  tw_source_file_stop (source);
  g_assert_finalize_object (g_steal_pointer (&source));
}

static void
test_resume (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  guint64 dev, inode;
  struct stat st;

  append (path, "aaaa\nbbbb\n");
  g_assert_cmpint (g_stat (path, &st), ==, 0);

  source = make_source (inotify, path, 5, poll);
  tw_source_file_set_resume_file (source, st.st_dev, st.st_ino);
  collector_connect (c, source);
  tw_source_file_start (source);
  wait_for_len (c, 5);
  assert_data (c, "bbbb\n");
  dev = tw_source_file_get_dev (source);
  inode = tw_source_file_get_inode (source);
  g_assert_cmpuint (dev, ==, st.st_dev);
  g_assert_cmpuint (inode, ==, st.st_ino);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 10);

  /* Stopped and started again: continues where it stopped, no repeat, no loss. */
  tw_source_file_stop (source);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 10);
  append (path, "cccc\n");
  tw_source_file_start (source);
  wait_for_len (c, 10);
  assert_data (c, "bbbb\ncccc\n");
  g_assert_cmpuint (c->n_resets, ==, 0);
}

static void
test_resume_changed (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autofree char *other = g_build_filename (dir, "other.log", NULL);
  struct stat st;

  /* An offset beyond the end: the file was replaced by a shorter one. */
  {
    g_autoptr(TwSourceFile) source = make_source (inotify, path, 100, poll);
    g_autoptr(Collector) c = collector_new ();

    append (path, "short\n");
    collector_connect (c, source);
    tw_source_file_start (source);
    wait_for_len (c, 6);
    assert_data (c, "short\n");
  }

  /* Same size or longer, but another inode: read from 0. */
  {
    g_autoptr(TwSourceFile) source = make_source (inotify, path, 3, poll);
    g_autoptr(Collector) c = collector_new ();

    g_assert_cmpint (g_stat (path, &st), ==, 0);
    append (other, "replaced\n");
    g_assert_cmpint (g_rename (other, path), ==, 0);
    tw_source_file_set_resume_file (source, st.st_dev, st.st_ino);
    collector_connect (c, source);
    tw_source_file_start (source);
    wait_for_len (c, 9);
    assert_data (c, "replaced\n");
    g_assert_cmpuint (c->n_resets, ==, 0);
  }
}

static void
test_partial_writes (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);

  append (path, "epoch 1/3 lo");
  wait_for_len (c, 12);
  assert_data (c, "epoch 1/3 lo");
  append (path, "ss=0.5\nepoch 2");
  wait_for_len (c, 26);
  assert_data (c, "epoch 1/3 loss=0.5\nepoch 2");
}

static void
test_appears_later (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *sub = g_build_filename (dir, "run-1", "logs", NULL);
  g_autofree char *path = g_build_filename (sub, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  /* -1 means the end of a file that exists at start; a later one is read whole. */
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_WAITING);
  settle ();

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  settle ();
  append (path, "started\n");
  wait_for_len (c, 8);
  assert_data (c, "started\n");
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);
  g_assert_cmpuint (c->n_resets, ==, 0);
}

static void
test_truncate (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "");
  source = make_source (inotify, path, 0, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  append (path, "0123456789");
  wait_for_len (c, 10);

  replace_contents (path, "xy");
  wait_for_len (c, 12);
  assert_data (c, "0123456789xy");
  g_assert_cmpuint (c->n_resets, ==, 1);
  g_assert_cmpint (c->reasons[0], ==, TW_SOURCE_FILE_RESET_TRUNCATED);
  g_assert_cmpuint (c->reset_at[0], ==, 10);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 2);
}

static void
test_copytruncate (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autofree char *copy = g_build_filename (dir, "train.log.1", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  int writer;

  /* The training process keeps its O_APPEND descriptor through the rotation. */
  writer = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (writer, >=, 0);
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  write_all (writer, "step 1\nstep 2\n", 14);
  wait_for_len (c, 14);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents (copy, contents, -1, NULL));
  g_assert_cmpint (truncate (path, 0), ==, 0);
  /* A truncated file that grew back past the old offset looks like an append (as
   * with tail -F): let the follower see the truncation first. */
  wait_for_resets (c, 1);
  write_all (writer, "step 3\n", 7);
  wait_for_len (c, 21);
  close (writer);

  assert_data (c, "step 1\nstep 2\nstep 3\n");
  g_assert_cmpint (c->reasons[0], ==, TW_SOURCE_FILE_RESET_TRUNCATED);
  g_assert_cmpuint (c->reset_at[0], ==, 14);
}

static void
test_rotate (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autofree char *rotated = g_build_filename (dir, "train.log.1", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  int writer;
  guint64 old_inode;

  writer = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (writer, >=, 0);
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  old_inode = tw_source_file_get_inode (source);
  write_all (writer, "one\n", 4);
  wait_for_len (c, 4);

  /* Renamed away: what the writer still writes there is followed. */
  g_assert_cmpint (g_rename (path, rotated), ==, 0);
  write_all (writer, "two\n", 4);
  wait_for_len (c, 8);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);

  /* The last words of the old file and the new file arrive together: the old one
   * is drained first, then a reset, then the new file from 0. */
  write_all (writer, "three\n", 6);
  close (writer);
  append (path, "four\n");
  wait_for_len (c, 19);
  assert_data (c, "one\ntwo\nthree\nfour\n");
  g_assert_cmpuint (c->n_resets, ==, 1);
  g_assert_cmpint (c->reasons[0], ==, TW_SOURCE_FILE_RESET_REPLACED);
  g_assert_cmpuint (c->reset_at[0], ==, 14);
  g_assert_cmpuint (tw_source_file_get_inode (source), !=, old_inode);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 5);

  append (path, "five\n");
  wait_for_len (c, 24);
  assert_data (c, "one\ntwo\nthree\nfour\nfive\n");
}

static void
test_delete_recreate (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  append (path, "first run\n");
  wait_for_len (c, 10);

  g_assert_cmpint (g_unlink (path), ==, 0);
  wait_for_state (source, TW_SOURCE_FILE_STATE_WAITING);
  g_assert_cmpuint (tw_source_file_get_inode (source), ==, 0);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, 0);
  settle ();

  append (path, "second run\n");
  wait_for_len (c, 21);
  assert_data (c, "first run\nsecond run\n");
  g_assert_cmpuint (c->n_resets, ==, 1);
  g_assert_cmpint (c->reasons[0], ==, TW_SOURCE_FILE_RESET_REPLACED);
  g_assert_cmpuint (c->reset_at[0], ==, 10);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);
}

static void
test_directory_recreated (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *path = g_build_filename (run, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  /* The run folder is wiped and made again by the next run (rm -rf run; mkdir run). */
  g_assert_cmpint (g_mkdir (run, 0700), ==, 0);
  append (path, "");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  append (path, "first\n");
  wait_for_len (c, 6);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (run), ==, 0);
  wait_for_state (source, TW_SOURCE_FILE_STATE_WAITING);
  settle ();
  g_assert_cmpint (g_mkdir (run, 0700), ==, 0);
  settle ();
  append (path, "second\n");
  wait_for_len (c, 13);
  assert_data (c, "first\nsecond\n");
  g_assert_cmpuint (c->n_resets, ==, 1);
  g_assert_cmpuint (c->reset_at[0], ==, 6);
  if (!poll)
    g_assert_cmpuint (tw_inotify_get_n_watches (inotify), ==, 2);
}

static void
test_binary (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  guint8 bytes[1024];
  int fd;

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) (i % 256);
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  write_all (fd, bytes, 300);
  write_all (fd, bytes + 300, sizeof bytes - 300);
  close (fd);

  wait_for_len (c, sizeof bytes);
  g_assert_cmpmem (c->data->data, c->data->len, bytes, sizeof bytes);
}

typedef struct
{
  char    *path;
  GString *written;
} Writer;

static gpointer
writer_thread (gpointer user_data)
{
  Writer *w = user_data;
  int fd = open (w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  /* 10,000 lines in about a second, in bursts of ten. */
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *line = g_strdup_printf ("step %u/10000 loss=%.4f\n", i, 1.0 / (i + 1));

      write_all (fd, line, strlen (line));
      g_string_append (w->written, line);
      if (i % 10 == 9)
        g_usleep (1000);
    }
  close (fd);

  return NULL;
}

static void
test_writer_thread (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  Writer w = { path, g_string_new (NULL) };
  GThread *thread = NULL;

  append (path, "");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);

  thread = g_thread_new ("writer", writer_thread, &w);
  g_thread_join (thread);
  wait_for_len (c, w.written->len);
  g_assert_cmpmem (c->data->data, c->data->len, w.written->str, w.written->len);
  g_assert_cmpuint (c->n_resets, ==, 0);
  g_string_free (w.written, TRUE);
}

static void
test_writer_thread_live (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  Writer w = { path, g_string_new (NULL) };
  GThread *thread = NULL;
  gboolean expired = FALSE;
  guint id;

  append (path, "");
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);

  /* Read while the writer writes: every line exactly once, in order. */
  thread = g_thread_new ("writer", writer_thread, &w);
  id = g_timeout_add (WAIT_MS, deadline_passed_cb, &expired);
  while (c->n_bytes < 10000 * 20 && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (!expired)
    g_source_remove (id);
  wait_for_len (c, w.written->len);
  g_assert_cmpmem (c->data->data, c->data->len, w.written->str, w.written->len);
  g_assert_cmpuint (c->n_chunks, >, 1);
  g_string_free (w.written, TRUE);
}

static void
test_big_append (gboolean poll)
{
  const gsize total = 100 * 1024 * 1024;
  const gsize piece = 1024 * 1024;
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autofree guint8 *buf = g_malloc (piece);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();
  gboolean expired = FALSE;
  guint64 max_per_iteration = 0;
  guint id;
  int fd;

  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  c->count_only = TRUE;
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);

  /* Written before the main loop runs again: the follower finds all 100 MB at once. */
  for (gsize done = 0; done < total; done += piece)
    {
      for (gsize i = 0; i < piece; i++)
        buf[i] = pattern_byte (done + i);
      write_all (fd, buf, piece);
    }
  close (fd);

  id = g_timeout_add (60 * 1000, deadline_passed_cb, &expired);
  while (c->n_bytes < total && !expired)
    {
      guint64 before = c->n_bytes;

      g_main_context_iteration (NULL, TRUE);
      max_per_iteration = MAX (max_per_iteration, c->n_bytes - before);
    }
  if (!expired)
    g_source_remove (id);

  g_assert_cmpuint (c->n_bytes, ==, total);
  g_assert_cmpuint (c->pattern_errors, ==, 0);
  g_assert_cmpuint (c->bad_offsets, ==, 0);
  g_assert_cmpuint (c->max_chunk, <=, TW_SOURCE_FILE_READ_SIZE);
  g_assert_cmpuint (max_per_iteration, <=, TW_SOURCE_FILE_BUDGET);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, total);
}

static void
test_unreadable (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "secret\n");
  g_assert_cmpint (g_chmod (path, 0), ==, 0);
  source = make_source (inotify, path, 0, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_ERROR);
  g_assert_nonnull (strstr (tw_source_file_get_error_message (source), path));

  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  wait_for_len (c, 7);
  assert_data (c, "secret\n");
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);
  g_assert_null (tw_source_file_get_error_message (source));
}

static void
test_not_a_file (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(Collector) c = collector_new ();

  /* A directory where the log should be: an error, retried when the path changes. */
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  source = make_source (inotify, path, -1, poll);
  collector_connect (c, source);
  tw_source_file_start (source);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_ERROR);
  g_assert_nonnull (strstr (tw_source_file_get_error_message (source), path));
  g_assert_cmpuint (c->n_state_changes, ==, 1);

  g_assert_cmpint (g_rmdir (path), ==, 0);
  wait_for_state (source, TW_SOURCE_FILE_STATE_WAITING);
  g_assert_null (tw_source_file_get_error_message (source));
  append (path, "ok\n");
  wait_for_len (c, 3);
  assert_data (c, "ok\n");
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_FOLLOWING);
}

static guint
count_inotify_fds (void)
{
  g_autoptr(GDir) fds = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (fds);
  while ((name = g_dir_read_name (fds)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (g_strcmp0 (target, "anon_inode:inotify") == 0)
        n++;
    }

  return n;
}

/* No timeout source and nothing ready: an idle follower costs no wake-ups. */
static void
assert_idle (void)
{
  GMainContext *context = g_main_context_default ();
  GPollFD fds[64];
  gint priority = 0;
  gint timeout = 0;
  gint n_fds;

  settle ();
  g_assert_false (g_main_context_pending (context));
  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n_fds = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_assert_cmpint (n_fds, <=, (gint) G_N_ELEMENTS (fds));
  g_assert_cmpint (timeout, ==, -1);
  if (g_main_context_check (context, G_MAXINT, fds, n_fds))
    g_main_context_dispatch (context);
  g_main_context_release (context);
}

static void
test_many_sources (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(Collector) c = collector_new ();

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("run-%03u.log", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      TwSourceFile *source = NULL;

      /* Half exist, half are waited for. */
      if (i % 2 == 0)
        append (path, "");
      source = tw_source_file_new (inotify, path, -1);
      collector_connect (c, source);
      tw_source_file_start (source);
      g_ptr_array_add (sources, source);
    }

  g_assert_cmpuint (count_inotify_fds (), ==, 1);
  /* The directory watch is shared: one for it plus one per open file. */
  g_assert_cmpuint (tw_inotify_get_n_watches (inotify), ==, 1 + 50);

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *path = g_strdup (tw_source_file_get_path (sources->pdata[i]));

      append (path, "x\n");
    }
  wait_for_len (c, 200);
  g_assert_cmpuint (tw_inotify_get_n_watches (inotify), ==, 1 + 100);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (tw_source_file_get_state (sources->pdata[i]), ==,
                     TW_SOURCE_FILE_STATE_FOLLOWING);

  assert_idle ();

  g_ptr_array_set_size (sources, 0);
  g_assert_cmpuint (tw_inotify_get_n_watches (inotify), ==, 0);
  g_assert_cmpuint (count_inotify_fds (), ==, 1);
  g_assert_finalize_object (g_steal_pointer (&inotify));
  g_assert_cmpuint (count_inotify_fds (), ==, 0);
}

static void
test_idle (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autofree char *waiting = g_build_filename (dir, "later.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autoptr(TwSourceFile) waiter = NULL;
  g_autoptr(Collector) c = collector_new ();

  append (path, "");
  source = tw_source_file_new (inotify, path, -1);
  waiter = tw_source_file_new (inotify, waiting, -1);
  collector_connect (c, source);
  tw_source_file_start (source);
  tw_source_file_start (waiter);
  append (path, "line\n");
  wait_for_len (c, 5);

  assert_idle ();
}

static void
test_stop_in_handler_cb (TwSourceFile  *source,
                         gconstpointer  data,
                         gsize          len,
                         guint64        offset,
                         gpointer       user_data)
{
  guint *calls = user_data;

  (*calls)++;
  tw_source_file_stop (source);
}

static void
test_stop_in_handler (gboolean poll)
{
  g_autoptr(TwInotify) inotify = tw_inotify_new (NULL);
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "train.log", NULL);
  g_autoptr(TwSourceFile) source = NULL;
  g_autofree char *big = g_strnfill (3 * TW_SOURCE_FILE_READ_SIZE, 'a');
  guint calls = 0;

  append (path, big);
  source = make_source (inotify, path, 0, poll);
  g_signal_connect (source, "data", G_CALLBACK (test_stop_in_handler_cb), &calls);
  tw_source_file_start (source);
  settle ();
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpint (tw_source_file_get_state (source), ==, TW_SOURCE_FILE_STATE_STOPPED);
  g_assert_cmpuint (tw_source_file_get_offset (source), ==, TW_SOURCE_FILE_READ_SIZE);
  assert_idle ();
}

static const Case cases[] = {
  { "start-at-end", test_start_at_end, FALSE },
  { "resume", test_resume, FALSE },
  { "resume-changed", test_resume_changed, FALSE },
  { "partial-writes", test_partial_writes, FALSE },
  { "appears-later", test_appears_later, FALSE },
  { "truncate", test_truncate, FALSE },
  { "copytruncate", test_copytruncate, FALSE },
  { "rotate", test_rotate, FALSE },
  { "delete-recreate", test_delete_recreate, FALSE },
  { "directory-recreated", test_directory_recreated, FALSE },
  { "binary", test_binary, FALSE },
  { "writer-thread", test_writer_thread, FALSE },
  { "writer-thread-live", test_writer_thread_live, FALSE },
  { "big-append", test_big_append, FALSE },
  { "unreadable", test_unreadable, FALSE, TRUE },
  { "not-a-file", test_not_a_file, FALSE },
  { "many-sources", test_many_sources, FALSE },
  { "idle", test_idle, FALSE },
  { "stop-in-handler", test_stop_in_handler, FALSE },
  { "start-at-end", test_start_at_end, TRUE },
  { "resume", test_resume, TRUE },
  { "resume-changed", test_resume_changed, TRUE },
  { "partial-writes", test_partial_writes, TRUE },
  { "appears-later", test_appears_later, TRUE },
  { "truncate", test_truncate, TRUE },
  { "copytruncate", test_copytruncate, TRUE },
  { "rotate", test_rotate, TRUE },
  { "delete-recreate", test_delete_recreate, TRUE },
  { "directory-recreated", test_directory_recreated, TRUE },
  { "binary", test_binary, TRUE },
  { "writer-thread-live", test_writer_thread_live, TRUE },
  { "big-append", test_big_append, TRUE },
  { "unreadable", test_unreadable, TRUE, TRUE },
  { "not-a-file", test_not_a_file, TRUE },
};

/* Each case waits on the main loop, so it runs in a subprocess with a time limit. */
static void
run_case (gconstpointer data)
{
  const Case *tc = data;

  if (tc->not_as_root && geteuid () == 0)
    {
      g_test_skip ("root can read a file with mode 000");
      return;
    }
  if (g_test_subprocess ())
    {
      tc->func (tc->poll);
      return;
    }

  g_test_trap_subprocess (NULL, 50 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/source-file/%s/%s",
                                                    cases[i].poll ? "poll" : "inotify",
                                                    cases[i].name);

      g_test_add_data_func (test_path, &cases[i], run_case);
    }

  return g_test_run ();
}
