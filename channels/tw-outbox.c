/* tw-outbox.c — the messages of one forwarding channel, on disk until the service took them
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each report is a file of its own in the outbox folder, named by a sequence
 * number (`0000000000000042.json`), written to a temporary name, synced and
 * renamed, and the folder synced: only then may it be sent. A message gathers
 * every report waiting (up to TW_OUTBOX_MAX_BATCH, oldest first), and its files
 * are removed only once the service accepted it. So a daemon killed at any
 * moment loses nothing: at start every file left is sent again. A daemon
 * killed after the service accepted a message and before its files were
 * removed sends that message twice; nothing else is ever sent twice.
 *
 * Files are written, removed and moved in GLib's worker threads, so that a
 * burst of events (each needing an fsync) never holds up the main loop; the
 * main loop only keeps the queue.
 *
 * Sending: one message at a time; the next no earlier than the rate limit
 * after the last accepted one, so events that come meanwhile are gathered.
 * A failure that may pass (no network, a timeout, 5xx, 429) is retried after
 * a delay that doubles from the first backoff up to the maximum, of which a
 * random part is waited (“equal jitter”: half the delay plus a random part
 * of the other half), or after what the service asked for (Retry-After).
 * Reports older than the retry limit when a try fails are given up: moved to
 * `failed/` in the folder and signalled, for the history. A message refused
 * for good (REJECTED) is given up at once. A refusal of the settings (a
 * webhook that is gone, a password refused) disables the outbox: reports are
 * kept and wait until tw_outbox_enable().
 */
#include "config.h"

#include "tw-outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_SUFFIX ".json"
#define FAILED_DIR "failed"
#define FORMAT_VERSION 1

typedef struct
{
  guint64   seq;
  gint64    queued;       /* real time, µs */
  TwReport *report;
  gboolean  committed;    /* on disk (or it could not be written: sent from memory) */
  gboolean  in_flight;
} Entry;

struct _TwOutbox
{
  GObject           parent_instance;

  char             *dir;
  TwOutboxSendFunc  send_func;
  gpointer          send_data;

  GQueue            queue;          /* of Entry, oldest first */
  guint64           next_seq;
  guint             n_failed;       /* files in failed/ */
  guint             n_pending_io;

  guint             max_batch;
  guint             min_interval_msec;
  guint             first_backoff_msec;
  guint             max_backoff_msec;
  gint64            retry_limit_usec;
  gboolean          paused;

  TwOutboxState     state;
  guint64           serial;         /* of the message in flight */
  guint             batch_len;      /* its reports: the first ones of the queue */
  guint             attempts;       /* failed tries of the oldest report in a row */
  gint64            next_try;       /* monotonic µs; 0: now */
  gint64            last_accepted;  /* monotonic µs */
  GSource          *timer;
  char             *last_answer;
  char             *disabled_reason;
  char             *write_error;
  guint64           n_sent;         /* reports accepted */
  guint64           n_messages;     /* messages accepted */
};

G_DEFINE_FINAL_TYPE (TwOutbox, tw_outbox, G_TYPE_OBJECT)

enum
{
  FAILED,
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule (TwOutbox *self);

static void
entry_free (Entry *entry)
{
  tw_report_free (entry->report);
  g_free (entry);
}

const char *
tw_outbox_state_to_string (TwOutboxState state)
{
  switch (state)
    {
    case TW_OUTBOX_IDLE:
      return "idle";
    case TW_OUTBOX_SENDING:
      return "sending";
    case TW_OUTBOX_WAITING:
      return "waiting";
    case TW_OUTBOX_DISABLED:
      return "disabled";
    default:
      g_return_val_if_reached ("idle");
    }
}

static char *
entry_path (const char *dir,
            guint64     seq)
{
  char name[32];

  g_snprintf (name, sizeof name, "%016" G_GINT64_MODIFIER "x" FILE_SUFFIX, seq);
  return g_build_filename (dir, name, NULL);
}

static gboolean
sync_dir (const char  *dir,
          GError     **error)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  int saved_errno;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to sync the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);

  return TRUE;
}

/* Writes @contents to @path through a temporary file, synced, then renamed. */
static gboolean
write_durably (const char  *dir,
               const char  *path,
               const char  *contents,
               gsize        len,
               GError     **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  gsize done = 0;
  int saved_errno = 0;
  int fd;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      goto fail;
    }
  while (done < len)
    {
      gssize n = write (fd, contents + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          break;
        }
      done += n;
    }
  if (saved_errno == 0 && fsync (fd) != 0)
    saved_errno = errno;
  if (close (fd) != 0 && saved_errno == 0)
    saved_errno = errno;
  if (saved_errno == 0 && g_rename (tmp, path) != 0)
    saved_errno = errno;
  if (saved_errno != 0)
    {
      g_unlink (tmp);
      goto fail;
    }

  return sync_dir (dir, error);

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Failed to write the outbox file “%s”: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

/* Disk work, done in a worker thread. */
typedef enum
{
  IO_WRITE,
  IO_REMOVE,
  IO_FAIL,
} IoKind;

typedef struct
{
  IoKind   kind;
  char    *dir;
  GArray  *seqs;       /* of guint64 */
  char    *contents;   /* IO_WRITE */
  gsize    len;
} IoJob;

static void
io_job_free (IoJob *job)
{
  g_free (job->dir);
  g_array_unref (job->seqs);
  g_free (job->contents);
  g_free (job);
}

static void
io_thread (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  IoJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *failed_dir = NULL;
  gboolean ok = TRUE;

  if (job->kind == IO_FAIL)
    {
      failed_dir = g_build_filename (job->dir, FAILED_DIR, NULL);
      if (g_mkdir_with_parents (failed_dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                   _("Failed to create the folder “%s”: %s"), failed_dir,
                                   g_strerror (saved_errno));
          return;
        }
    }

  for (guint i = 0; i < job->seqs->len && ok; i++)
    {
      guint64 seq = g_array_index (job->seqs, guint64, i);
      g_autofree char *path = entry_path (job->dir, seq);

      switch (job->kind)
        {
        case IO_WRITE:
          ok = write_durably (job->dir, path, job->contents, job->len, &error);
          break;
        case IO_REMOVE:
          if (g_unlink (path) != 0 && errno != ENOENT)
            {
              int saved_errno = errno;

              g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           _("Failed to remove the outbox file “%s”: %s"), path, g_strerror (saved_errno));
              ok = FALSE;
            }
          break;
        case IO_FAIL:
          {
            g_autofree char *base = g_path_get_basename (path);
            g_autofree char *to = g_build_filename (failed_dir, base, NULL);

            if (g_rename (path, to) != 0 && errno != ENOENT)
              {
                int saved_errno = errno;

                g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                             _("Failed to move the outbox file “%s”: %s"), path, g_strerror (saved_errno));
                ok = FALSE;
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  /* a removal that a crash undoes only sends a message again: no sync needed */
  if (ok && job->kind == IO_FAIL)
    ok = sync_dir (job->dir, &error);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
set_write_error (TwOutbox   *self,
                 const char *message)
{
  if (g_strcmp0 (self->write_error, message) != 0)
    {
      if (message != NULL)
        g_message ("%s", message);
      g_free (self->write_error);
      self->write_error = g_strdup (message);
    }
}

static Entry *
find_entry (TwOutbox *self,
            guint64   seq)
{
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      Entry *entry = l->data;

      if (entry->seq == seq)
        return entry;
    }

  return NULL;
}

static void
io_done_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TwOutbox *self = TW_OUTBOX (source);
  IoJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->n_pending_io--;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    set_write_error (self, error->message);
  else if (job->kind == IO_WRITE)
    set_write_error (self, NULL);

  if (job->kind == IO_WRITE)
    {
      Entry *entry = find_entry (self, g_array_index (job->seqs, guint64, 0));

      /* a file that could not be written is still sent, from memory */
      if (entry != NULL)
        entry->committed = TRUE;
      schedule (self);
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
start_io (TwOutbox *self,
          IoKind    kind,
          GArray   *seqs,
          char     *contents,
          gsize     len)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, io_done_cb, NULL);
  IoJob *job = g_new0 (IoJob, 1);

  job->kind = kind;
  job->dir = g_strdup (self->dir);
  job->seqs = seqs;
  job->contents = contents;
  job->len = len;
  g_task_set_task_data (task, job, (GDestroyNotify) io_job_free);
  g_task_set_source_tag (task, start_io);
  g_task_set_name (task, "[trainwatch] outbox io");
  self->n_pending_io++;
  g_task_run_in_thread (task, io_thread);
}

static GArray *
batch_seqs (TwOutbox *self,
            guint     n)
{
  GArray *seqs = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n);
  GList *l = self->queue.head;

  for (guint i = 0; i < n && l != NULL; i++, l = l->next)
    g_array_append_val (seqs, ((Entry *) l->data)->seq);

  return seqs;
}

static void
set_state (TwOutbox      *self,
           TwOutboxState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
timer_cb (gpointer user_data)
{
  TwOutbox *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  schedule (self);

  return G_SOURCE_REMOVE;
}

static void
stop_timer (TwOutbox *self)
{
  if (self->timer != NULL)
    g_source_destroy (self->timer);
  g_clear_pointer (&self->timer, g_source_unref);
}

/* Sends the reports waiting when allowed, or sets a timer for when it will be. */
static void
schedule (TwOutbox *self)
{
  g_autoptr(GPtrArray) reports = NULL;
  gint64 now;
  gint64 due;
  guint n = 0;

  if (self->state == TW_OUTBOX_SENDING || self->state == TW_OUTBOX_DISABLED)
    return;
  if (self->paused || self->queue.length == 0 || !((Entry *) self->queue.head->data)->committed)
    {
      stop_timer (self);
      set_state (self, self->queue.length == 0 || self->paused ? TW_OUTBOX_IDLE : TW_OUTBOX_WAITING);
      return;
    }

  now = g_get_monotonic_time ();
  due = self->next_try;
  if (self->last_accepted > 0)
    due = MAX (due, self->last_accepted + (gint64) self->min_interval_msec * 1000);
  if (now < due)
    {
      if (self->timer == NULL)
        {
          self->timer = g_timeout_source_new ((guint) ((due - now + 999) / 1000));
          g_source_set_callback (self->timer, timer_cb, self, NULL);
          g_source_set_static_name (self->timer, "[trainwatch] outbox");
          g_source_attach (self->timer, NULL);
        }
      set_state (self, TW_OUTBOX_WAITING);
      return;
    }
  stop_timer (self);

  reports = g_ptr_array_new ();
  for (GList *l = self->queue.head; l != NULL && n < self->max_batch; l = l->next, n++)
    {
      Entry *entry = l->data;

      if (!entry->committed)
        break;
      entry->in_flight = TRUE;
      g_ptr_array_add (reports, entry->report);
    }

  self->batch_len = reports->len;
  self->serial++;
  set_state (self, TW_OUTBOX_SENDING);
  self->send_func (self, reports, self->serial, self->send_data);
}

/* Takes the first @n reports off the queue: sent, or given up. */
static void
drop_batch (TwOutbox *self,
            guint     n,
            IoKind    kind)
{
  GArray *seqs = batch_seqs (self, n);

  for (guint i = 0; i < n; i++)
    entry_free (g_queue_pop_head (&self->queue));
  start_io (self, kind, seqs, NULL, 0);
}

static void
give_up (TwOutbox   *self,
         guint       n,
         const char *answer)
{
  g_autoptr(GPtrArray) reports = g_ptr_array_new ();
  GList *l = self->queue.head;

  for (guint i = 0; i < n && l != NULL; i++, l = l->next)
    g_ptr_array_add (reports, ((Entry *) l->data)->report);
  g_signal_emit (self, signals[FAILED], 0, reports, answer);
  self->n_failed += n;
  drop_batch (self, n, IO_FAIL);
  self->attempts = 0;
}

/**
 * tw_outbox_complete:
 * @self: a #TwOutbox
 * @serial: the serial the send function was given
 * @result: what the service answered
 *
 * Ends a send: what follows depends on the verdict (see the top of this file).
 */
void
tw_outbox_complete (TwOutbox           *self,
                    guint64             serial,
                    const TwSendResult *result)
{
  guint n;
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (TW_IS_OUTBOX (self));
  g_return_if_fail (result != NULL);

  if (self->state != TW_OUTBOX_SENDING || serial != self->serial)
    return;

  n = MIN (self->batch_len, self->queue.length);
  self->batch_len = 0;
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    ((Entry *) l->data)->in_flight = FALSE;
  g_free (self->last_answer);
  self->last_answer = g_strdup (result->answer != NULL ? result->answer : "");
  self->state = TW_OUTBOX_WAITING;

  switch (result->verdict)
    {
    case TW_VERDICT_ACCEPTED:
      self->n_sent += n;
      self->n_messages++;
      self->attempts = 0;
      self->next_try = 0;
      self->last_accepted = now;
      drop_batch (self, n, IO_REMOVE);
      break;

    case TW_VERDICT_REJECTED:
      give_up (self, n, self->last_answer);
      self->next_try = 0;
      break;

    case TW_VERDICT_DISABLE:
      g_free (self->disabled_reason);
      self->disabled_reason = g_strdup (self->last_answer);
      self->state = TW_OUTBOX_DISABLED;
      break;

    case TW_VERDICT_RETRY:
    default:
      {
        Entry *oldest = self->queue.head != NULL ? self->queue.head->data : NULL;
        gint64 delay;

        if (oldest != NULL && g_get_real_time () - oldest->queued >= self->retry_limit_usec)
          {
            give_up (self, n, self->last_answer);
            self->next_try = 0;
            break;
          }

        self->attempts++;
        delay = (gint64) self->first_backoff_msec * 1000 << MIN (self->attempts - 1, 20);
        delay = MIN (delay, (gint64) self->max_backoff_msec * 1000);
        delay = delay / 2 + g_random_int_range (0, (gint32) MAX (delay / 2, 1));
        if (result->retry_after_usec >= 0)
          delay = result->retry_after_usec + g_random_int_range (0, 100000);
        self->next_try = now + delay;
      }
      break;
    }

  g_signal_emit (self, signals[CHANGED], 0);
  schedule (self);
}

/**
 * tw_outbox_push:
 * @self: a #TwOutbox
 * @report: (transfer full): a report to send
 *
 * Queues @report; it is sent once it is on disk.
 */
void
tw_outbox_push (TwOutbox *self,
                TwReport *report)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  Entry *entry;
  GArray *seqs;
  char *contents;
  gsize len;

  g_return_if_fail (TW_IS_OUTBOX (self));
  g_return_if_fail (report != NULL);

  entry = g_new0 (Entry, 1);
  entry->seq = self->next_seq++;
  entry->queued = g_get_real_time ();
  entry->report = report;
  g_queue_push_tail (&self->queue, entry);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "queued");
  json_builder_add_int_value (builder, entry->queued);
  json_builder_set_member_name (builder, "report");
  json_builder_add_value (builder, tw_report_to_json (report));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  contents = json_to_string (root, FALSE);
  len = strlen (contents);

  seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_array_append_val (seqs, entry->seq);
  start_io (self, IO_WRITE, seqs, contents, len);
  g_signal_emit (self, signals[CHANGED], 0);
}

static gint
compare_seq (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const Entry *x = a;
  const Entry *y = b;

  return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

/* One file of the folder, at start: a report, or %NULL (and a message) if it is not one. */
static Entry *
load_entry (const char *path,
            guint64     seq)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonNode *report_node;
  TwReport *report;
  Entry *entry;

  if (!json_parser_load_from_mapped_file (parser, path, &error))
    {
      g_message (_("Skipping the outbox file “%s”: %s"), path, error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      (object = json_node_get_object (json_parser_get_root (parser))) == NULL ||
      (report_node = json_object_get_member (object, "report")) == NULL)
    {
      g_message (_("Skipping the outbox file “%s”: it holds no report"), path);
      return NULL;
    }
  report = tw_report_new_from_json (report_node, &error);
  if (report == NULL)
    {
      g_message (_("Skipping the outbox file “%s”: %s"), path, error->message);
      return NULL;
    }

  entry = g_new0 (Entry, 1);
  entry->seq = seq;
  entry->queued = json_object_get_int_member_with_default (object, "queued", g_get_real_time ());
  entry->report = report;
  entry->committed = TRUE;

  return entry;
}

/**
 * tw_outbox_load:
 * @self: a #TwOutbox
 * @error: return location for a #GError
 *
 * Creates the folder if needed and queues the reports a former daemon left
 * there, in their order; leftover temporary files (a write cut short) are
 * removed. Files that cannot be read are left in place and named in the log.
 *
 * Returns: %FALSE if the folder cannot be created or read
 */
gboolean
tw_outbox_load (TwOutbox  *self,
                GError   **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autofree char *failed_dir = NULL;
  const char *name;

  g_return_val_if_fail (TW_IS_OUTBOX (self), FALSE);

  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), self->dir, g_strerror (saved_errno));
      return FALSE;
    }
  dir = g_dir_open (self->dir, 0, error);
  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->dir, name, NULL);
      guint64 seq;
      char *end = NULL;
      Entry *entry;

      if (g_str_has_suffix (name, FILE_SUFFIX ".tmp"))
        {
          g_unlink (path);
          continue;
        }
      if (!g_str_has_suffix (name, FILE_SUFFIX) || strlen (name) != 16 + strlen (FILE_SUFFIX))
        continue;
      seq = g_ascii_strtoull (name, &end, 16);
      if (end != name + 16)
        continue;
      self->next_seq = MAX (self->next_seq, seq + 1);
      if (find_entry (self, seq) != NULL || (entry = load_entry (path, seq)) == NULL)
        continue;
      g_queue_insert_sorted (&self->queue, entry, compare_seq, NULL);
    }

  failed_dir = g_build_filename (self->dir, FAILED_DIR, NULL);
  {
    g_autoptr(GDir) failed = g_dir_open (failed_dir, 0, NULL);

    self->n_failed = 0;
    while (failed != NULL && (name = g_dir_read_name (failed)) != NULL)
      if (g_str_has_suffix (name, FILE_SUFFIX))
        self->n_failed++;
  }

  g_signal_emit (self, signals[CHANGED], 0);
  schedule (self);
  return TRUE;
}

/**
 * tw_outbox_discard:
 * @self: a #TwOutbox
 *
 * Drops the reports that are on disk and not on their way, without sending or
 * signalling them: for a channel that turned out not to be set up, whose
 * reports would never be sent.
 *
 * Returns: how many were dropped
 */
guint
tw_outbox_discard (TwOutbox *self)
{
  guint n = 0;

  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  if (self->state == TW_OUTBOX_SENDING)
    return 0;
  for (GList *l = self->queue.head; l != NULL && ((Entry *) l->data)->committed; l = l->next)
    n++;
  if (n > 0)
    drop_batch (self, n, IO_REMOVE);
  g_signal_emit (self, signals[CHANGED], 0);

  return n;
}

/**
 * tw_outbox_enable:
 * @self: a #TwOutbox
 *
 * Sends again after the outbox was disabled, because the settings changed;
 * also tries a waiting retry at once.
 */
void
tw_outbox_enable (TwOutbox *self)
{
  g_return_if_fail (TW_IS_OUTBOX (self));

  g_clear_pointer (&self->disabled_reason, g_free);
  if (self->state == TW_OUTBOX_DISABLED)
    self->state = TW_OUTBOX_WAITING;
  self->attempts = 0;
  self->next_try = 0;
  stop_timer (self);
  g_signal_emit (self, signals[CHANGED], 0);
  schedule (self);
}

void
tw_outbox_set_paused (TwOutbox *self,
                      gboolean  paused)
{
  g_return_if_fail (TW_IS_OUTBOX (self));

  self->paused = paused;
  schedule (self);
}

void
tw_outbox_set_min_interval (TwOutbox *self,
                            guint     msec)
{
  g_return_if_fail (TW_IS_OUTBOX (self));

  self->min_interval_msec = msec;
  stop_timer (self);
  schedule (self);
}

/**
 * tw_outbox_set_max_batch:
 * @self: a #TwOutbox
 * @max_reports: the most reports one message gathers, 1 to TW_OUTBOX_MAX_BATCH
 *
 * Sets how many reports a message may gather: as many as the service shows
 * in one message, each at least as a line.
 */
void
tw_outbox_set_max_batch (TwOutbox *self,
                         guint     max_reports)
{
  g_return_if_fail (TW_IS_OUTBOX (self));
  g_return_if_fail (max_reports >= 1 && max_reports <= TW_OUTBOX_MAX_BATCH);

  self->max_batch = max_reports;
}

void
tw_outbox_set_backoff (TwOutbox *self,
                       guint     first_msec,
                       guint     max_msec)
{
  g_return_if_fail (TW_IS_OUTBOX (self));
  g_return_if_fail (first_msec > 0 && max_msec >= first_msec);

  self->first_backoff_msec = first_msec;
  self->max_backoff_msec = max_msec;
}

void
tw_outbox_set_retry_limit (TwOutbox *self,
                           gint64    usec)
{
  g_return_if_fail (TW_IS_OUTBOX (self));

  self->retry_limit_usec = MAX (usec, 0);
}

const char *
tw_outbox_get_dir (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), NULL);

  return self->dir;
}

TwOutboxState
tw_outbox_get_state (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), TW_OUTBOX_IDLE);

  return self->state;
}

guint
tw_outbox_get_n_queued (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  return self->queue.length;
}

guint
tw_outbox_get_n_failed (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  return self->n_failed;
}

/**
 * tw_outbox_get_n_pending_io:
 * @self: a #TwOutbox
 *
 * Returns: how many writes, removals and moves are still being done; a
 *   daemon that stops iterates its main loop until none is left
 */
guint
tw_outbox_get_n_pending_io (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  return self->n_pending_io;
}

guint64
tw_outbox_get_n_sent (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  return self->n_sent;
}

guint64
tw_outbox_get_n_messages (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), 0);

  return self->n_messages;
}

/**
 * tw_outbox_get_disabled_reason:
 * @self: a #TwOutbox
 *
 * Returns: (nullable): what the service said when it refused the settings, while
 *   the outbox is disabled
 */
const char *
tw_outbox_get_disabled_reason (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), NULL);

  return self->disabled_reason;
}

const char *
tw_outbox_get_last_answer (TwOutbox *self)
{
  g_return_val_if_fail (TW_IS_OUTBOX (self), NULL);

  return self->last_answer;
}

/**
 * tw_outbox_add_json:
 * @self: a #TwOutbox
 * @builder: a #JsonBuilder inside an object
 *
 * Adds the members `outbox` (`state`, `queued`, `failed`, `sent`, `messages`,
 * `retry_in_seconds` (null unless a retry waits), `last_answer`,
 * `disabled_reason`, `write_error`).
 */
void
tw_outbox_add_json (TwOutbox    *self,
                    JsonBuilder *builder)
{
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (TW_IS_OUTBOX (self));

  json_builder_set_member_name (builder, "outbox");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, tw_outbox_state_to_string (self->state));
  json_builder_set_member_name (builder, "queued");
  json_builder_add_int_value (builder, self->queue.length);
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, self->n_failed);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_int_value (builder, self->n_sent);
  json_builder_set_member_name (builder, "messages");
  json_builder_add_int_value (builder, self->n_messages);
  json_builder_set_member_name (builder, "retry_in_seconds");
  if (self->attempts > 0 && self->next_try > now)
    json_builder_add_int_value (builder, (self->next_try - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last_answer");
  if (self->last_answer != NULL)
    json_builder_add_string_value (builder, self->last_answer);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "disabled_reason");
  if (self->disabled_reason != NULL)
    json_builder_add_string_value (builder, self->disabled_reason);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "write_error");
  if (self->write_error != NULL)
    json_builder_add_string_value (builder, self->write_error);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static void
tw_outbox_dispose (GObject *object)
{
  TwOutbox *self = TW_OUTBOX (object);

  stop_timer (self);

  G_OBJECT_CLASS (tw_outbox_parent_class)->dispose (object);
}

static void
tw_outbox_finalize (GObject *object)
{
  TwOutbox *self = TW_OUTBOX (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) entry_free);
  g_free (self->dir);
  g_free (self->last_answer);
  g_free (self->disabled_reason);
  g_free (self->write_error);

  G_OBJECT_CLASS (tw_outbox_parent_class)->finalize (object);
}

static void
tw_outbox_class_init (TwOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_outbox_dispose;
  object_class->finalize = tw_outbox_finalize;

  /**
   * TwOutbox::failed:
   * @self: the #TwOutbox
   * @reports: (element-type TwReport): the reports given up, oldest first
   * @answer: the last answer of the service
   *
   * Reports were given up: tried until the retry limit, or refused for good.
   */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_PTR_ARRAY, G_TYPE_STRING);

  /**
   * TwOutbox::changed:
   * @self: the #TwOutbox
   *
   * The state, the counts or the last answer changed.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tw_outbox_init (TwOutbox *self)
{
  g_queue_init (&self->queue);
  self->next_seq = 1;
  self->max_batch = TW_OUTBOX_MAX_BATCH;
  self->first_backoff_msec = TW_OUTBOX_DEFAULT_BACKOFF_MSEC;
  self->max_backoff_msec = TW_OUTBOX_DEFAULT_MAX_BACKOFF_MSEC;
  self->retry_limit_usec = 24 * G_TIME_SPAN_HOUR;
}

/**
 * tw_outbox_new:
 * @dir: the outbox folder of one channel
 * @send_func: sends a message
 * @user_data: for @send_func
 *
 * Returns: (transfer full): an outbox; call tw_outbox_load() before pushing
 */
TwOutbox *
tw_outbox_new (const char       *dir,
               TwOutboxSendFunc  send_func,
               gpointer          user_data)
{
  TwOutbox *self;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (send_func != NULL, NULL);

  self = g_object_new (TW_TYPE_OUTBOX, NULL);
  self->dir = g_strdup (dir);
  self->send_func = send_func;
  self->send_data = user_data;

  return self;
}
