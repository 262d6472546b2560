/* tw-job.c — one training run being watched
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A job follows its log (TwSourceFile), passes the bytes through the pure
 * extractors and its TwRunState, and emits each event the run's changes
 * make; the application numbers, records and routes them.
 */
#include "config.h"

#include "tw-job.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw-deadline.h"
#include "tw-extract-failure.h"
#include "tw-extract-rule.h"
#include "tw-extractor.h"
#include "tw-run-folder.h"
#include "tw-source-file.h"
#include "tw-status-source.h"

/* Output that pauses this long is taken as complete: a traceback at the
 * end of the output is reported without waiting for another line. */
#define QUIET_MS 25
#define DRAIN_CHUNK (1024 * 1024)
/* A follower further behind than this skims (see tw_extractor_set_skim()) up to the
 * last this many bytes, which it reads in full: a few milliseconds of parsing. */
#define SKIM_TAIL (2 * 1024 * 1024)
/* With the automatic stall timeout: three times the longest pause, within these bounds. */
#define STALL_AUTO_FACTOR 3
#define STALL_AUTO_MIN_USEC (G_GINT64_CONSTANT (10) * 60 * G_USEC_PER_SEC)
#define STALL_AUTO_MAX_USEC (G_GINT64_CONSTANT (120) * 60 * G_USEC_PER_SEC)

struct _TwJob
{
  GObject  parent_instance;

  char    *name;
  char    *log_path;
  TwEvent *last_event;
  guint    n_events;
  gint64   snoozed_until;   /* µs since the epoch; 0 when not snoozed */
  gint64   started;         /* µs since the epoch: its run-started event, or when first seen */

  TwRunState        *run;
  TwSourceFile      *source;
  TwExtractor       *extractor;
  TwFailureDetector *detector;     /* owned by the extractor's line func */
  TwRuleSet         *rules;        /* the user's rules, not owned; nullable */
  gboolean           has_resume;
  guint64            resume_dev;
  guint64            resume_inode;
  GArray            *observations; /* scratch, of TwObservation */
  GPtrArray         *events;       /* scratch, of TwEvent */
  GSource           *quiet;
  GSource           *stall;
  gint64             stall_timeout;  /* µs; 0 = from the run's own pauses */
  gint64             last_output;    /* monotonic µs; 0 before any */
  gint64             longest_pause;  /* µs */
  guint64            skimmed;        /* bytes of output skimmed, not parsed */
  TwRunStatus        shown_status;   /* as the last "changed" saw them */
  double             shown_progress;
  double             shown_eta;

  TwStatusSource    *status;         /* when the watched path is a status file */
  TwRunFolder       *folder;         /* the log's folder: the frameworks' status files */
};

G_DEFINE_FINAL_TYPE (TwJob, tw_job, G_TYPE_OBJECT)

enum
{
  EVENT,
  READ,
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Tells the overview (tray, dock) when what it shows of the run moved; an ETA
 * counts in whole seconds, which is all a bar prints. */
static void
notify_changed (TwJob *self)
{
  TwRunStatus status = tw_run_state_get_status (self->run);
  double progress = tw_run_state_get_progress (self->run);
  double eta = floor (tw_run_state_get_eta (self->run));

  if (status == self->shown_status && progress == self->shown_progress && eta == self->shown_eta)
    return;

  self->shown_status = status;
  self->shown_progress = progress;
  self->shown_eta = eta;
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
emit_events (TwJob *self)
{
  for (guint i = 0; i < self->observations->len; i++)
    tw_run_state_apply (self->run, &g_array_index (self->observations, TwObservation, i), self->events);
  g_array_set_size (self->observations, 0);

  for (guint i = 0; i < self->events->len; i++)
    g_signal_emit (self, signals[EVENT], 0, g_ptr_array_index (self->events, i));
  g_ptr_array_set_size (self->events, 0);

  notify_changed (self);
}

static void
reset_extractor (TwJob *self)
{
  g_clear_pointer (&self->extractor, tw_extractor_free);
  self->extractor = tw_extractor_new ();
  self->detector = tw_failure_detector_new ();
  tw_extractor_add_line_func (self->extractor, tw_failure_detector_line_func, self->detector,
                              (GDestroyNotify) tw_failure_detector_free);
  tw_extractor_set_rules (self->extractor, self->rules);
}

static gboolean
quiet_cb (gpointer user_data)
{
  TwJob *self = user_data;

  tw_failure_detector_finish (self->detector, self->observations);
  emit_events (self);

  return G_SOURCE_CONTINUE;
}

static gint64
effective_stall_timeout (TwJob *self)
{
  if (self->stall_timeout > 0)
    return self->stall_timeout;

  return CLAMP (self->longest_pause * STALL_AUTO_FACTOR, STALL_AUTO_MIN_USEC, STALL_AUTO_MAX_USEC);
}

/* One timer per job, armed only while the run is running: idle costs nothing. */
static void
arm_stall (TwJob *self)
{
  if (self->stall == NULL)
    return;

  if (tw_run_state_get_status (self->run) == TW_RUN_RUNNING && self->last_output > 0)
    tw_deadline_set (self->stall, self->last_output + effective_stall_timeout (self));
  else
    tw_deadline_set (self->stall, -1);
}

static gboolean
stall_cb (gpointer user_data)
{
  TwJob *self = user_data;

  tw_run_state_set_stalled (self->run, TRUE,
                            (double) (g_get_monotonic_time () - self->last_output) / G_USEC_PER_SEC,
                            self->events);
  emit_events (self);

  return G_SOURCE_CONTINUE;
}

static void
note_output (TwJob *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->last_output > 0)
    {
      if (tw_run_state_get_status (self->run) == TW_RUN_STALLED)
        {
          tw_run_state_set_stalled (self->run, FALSE, (double) (now - self->last_output) / G_USEC_PER_SEC,
                                    self->events);
          emit_events (self);
        }
      self->longest_pause = MAX (self->longest_pause, now - self->last_output);
    }
  self->last_output = now;
}

static void
source_data_cb (TwSourceFile  *source,
                gconstpointer  data,
                gulong         len,
                guint64        offset,
                TwJob         *self)
{
  gboolean skim;

  note_output (self);
  /* Far behind the writer (100 MB written at once, or a restart after a long pause):
   * skim to the newest SKIM_TAIL bytes, watching only for failures and rules. */
  skim = tw_source_file_get_size (source) > offset + len + SKIM_TAIL;
  if (skim)
    self->skimmed += len;
  tw_extractor_set_skim (self->extractor, skim, self->observations);
  tw_extractor_feed (self->extractor, data, len, self->observations);
  emit_events (self);
  /* A traceback may still be coming: end it after a quiet moment. */
  tw_deadline_set (self->quiet, tw_failure_detector_is_idle (self->detector)
                                ? -1 : g_get_monotonic_time () + QUIET_MS * 1000);
  arm_stall (self);
}

static void
source_caught_up_cb (TwSourceFile *source,
                     TwJob        *self)
{
  /* All that was written is read: a bar's newest redraw is news now, not when
   * its next redraw ends it. */
  tw_extractor_flush (self->extractor, self->observations);
  emit_events (self);
  g_signal_emit (self, signals[READ], 0);
}

static void
source_reset_cb (TwSourceFile            *source,
                 TwSourceFileResetReason  reason,
                 TwJob                   *self)
{
  /* The old file was drained: finish its last line, then start afresh. */
  tw_extractor_finish (self->extractor, self->observations);
  tw_failure_detector_finish (self->detector, self->observations);
  emit_events (self);
  reset_extractor (self);
}

/* A status file's news are the run's output, as a log's lines are. */
static void
apply_status_observations (TwJob  *self,
                           GArray *observations)
{
  note_output (self);
  for (guint i = 0; i < observations->len; i++)
    tw_run_state_apply (self->run, &g_array_index (observations, TwObservation, i), self->events);
  emit_events (self);
  arm_stall (self);
}

static void
status_observations_cb (TwStatusSource *status,
                        GArray         *observations,
                        TwJob          *self)
{
  apply_status_observations (self, observations);
}

static void
folder_observations_cb (TwRunFolder    *folder,
                        TwStatusSource *status,
                        GArray         *observations,
                        TwJob          *self)
{
  apply_status_observations (self, observations);
}

/* The watched path is a status file (named as `trainwatch inspect` tells them). */
static void
follow_status_file (TwJob     *self,
                    TwInotify *inotify)
{
  self->status = tw_status_source_new (inotify, self->log_path);
  g_signal_connect (self->status, "observations", G_CALLBACK (status_observations_cb), self);
  tw_status_source_start (self->status);
}

/* Beside a log: trainer_state.json and metrics.csv in the run's folder. */
static void
follow_run_folder (TwJob     *self,
                   TwInotify *inotify)
{
  g_autofree char *dir = NULL;

  if (inotify == NULL)
    return;
  dir = g_path_get_dirname (self->log_path);
  self->folder = tw_run_folder_new (inotify, dir);
  g_signal_connect (self->folder, "observations", G_CALLBACK (folder_observations_cb), self);
  tw_run_folder_start (self->folder);
}

static void
stop_status_files (TwJob *self)
{
  if (self->status != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->status, self);
      tw_status_source_stop (self->status);
      g_clear_object (&self->status);
    }
  if (self->folder != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->folder, self);
      tw_run_folder_stop (self->folder);
      g_clear_object (&self->folder);
    }
}

static void
add_status_files_json (TwJob       *self,
                       JsonBuilder *builder)
{
  g_autoptr(GPtrArray) sources = self->folder != NULL ? tw_run_folder_get_sources (self->folder)
                                                      : g_ptr_array_new ();

  if (self->status != NULL)
    g_ptr_array_insert (sources, 0, self->status);
  json_builder_set_member_name (builder, "status_files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sources->len; i++)
    {
      TwStatusSource *status = g_ptr_array_index (sources, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, tw_status_source_get_path (status));
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, tw_status_source_state_to_string (tw_status_source_get_state (status)));
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, tw_status_source_get_error_message (status));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_time_member (JsonBuilder *builder,
                 const char  *name,
                 gint64       unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_usec / G_USEC_PER_SEC);

  json_builder_set_member_name (builder, name);
  if (dt != NULL)
    {
      g_autofree char *str = g_date_time_format_iso8601 (dt);

      json_builder_add_string_value (builder, str);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
}

static void
tw_job_dispose (GObject *object)
{
  TwJob *self = TW_JOB (object);

  tw_job_stop_following (self);
  g_clear_object (&self->last_event);
  if (self->quiet != NULL)
    {
      g_source_destroy (self->quiet);
      g_clear_pointer (&self->quiet, g_source_unref);
    }
  if (self->stall != NULL)
    {
      g_source_destroy (self->stall);
      g_clear_pointer (&self->stall, g_source_unref);
    }

  G_OBJECT_CLASS (tw_job_parent_class)->dispose (object);
}

static void
tw_job_finalize (GObject *object)
{
  TwJob *self = TW_JOB (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->log_path, g_free);
  g_clear_pointer (&self->run, tw_run_state_free);
  g_clear_pointer (&self->extractor, tw_extractor_free);
  g_clear_pointer (&self->observations, g_array_unref);
  g_clear_pointer (&self->events, g_ptr_array_unref);

  G_OBJECT_CLASS (tw_job_parent_class)->finalize (object);
}

static void
tw_job_class_init (TwJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_job_dispose;
  object_class->finalize = tw_job_finalize;

  /**
   * TwJob::event:
   * @job: the job
   * @event: a new event of the run
   *
   * Emitted for each event the run's output makes.
   */
  signals[EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, TW_TYPE_EVENT);

  /**
   * TwJob::read:
   * @job: the job
   *
   * Emitted when the job has read its log up to the end: its resume point
   * (tw_job_get_resume_point()) moved.
   */
  signals[READ] = g_signal_new ("read", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                G_TYPE_NONE, 0);

  /**
   * TwJob::changed:
   * @job: the job
   *
   * Emitted when the run's state, progress or estimated time left changed
   * (once for all the output read at a time).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
tw_job_init (TwJob *self)
{
  self->observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_array_set_clear_func (self->observations, (GDestroyNotify) tw_observation_clear);
  self->events = g_ptr_array_new_with_free_func (g_object_unref);
  self->shown_status = TW_RUN_WAITING;
  self->shown_progress = -1.0;
  self->shown_eta = -1.0;
}

/**
 * tw_job_new:
 * @name: the run's name, unique within the daemon
 * @log_path: (nullable): the log the run writes, if known
 *
 * Returns: (transfer full): a new #TwJob
 */
TwJob *
tw_job_new (const char *name,
            const char *log_path)
{
  TwJob *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (TW_TYPE_JOB, NULL);
  self->name = g_strdup (name);
  self->log_path = g_strdup (log_path);
  self->run = tw_run_state_new (name);
  self->started = g_get_real_time ();

  return self;
}

/**
 * tw_job_get_name:
 * @self: a #TwJob
 *
 * Returns: the run's name
 */
const char *
tw_job_get_name (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->name;
}

/**
 * tw_job_get_log_path:
 * @self: a #TwJob
 *
 * Returns: (nullable): the run's log file
 */
const char *
tw_job_get_log_path (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->log_path;
}

/**
 * tw_job_get_last_event:
 * @self: a #TwJob
 *
 * Returns: (transfer none) (nullable): the newest event of the run
 */
TwEvent *
tw_job_get_last_event (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->last_event;
}

/**
 * tw_job_record_event:
 * @self: a #TwJob
 * @event: an event of this run
 *
 * Remembers @event as the run's newest.
 */
void
tw_job_record_event (TwJob   *self,
                     TwEvent *event)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (TW_IS_EVENT (event));

  g_set_object (&self->last_event, event);
  self->n_events++;
  if (tw_event_get_kind (event) == TW_EVENT_RUN_STARTED && tw_event_get_time (event) > 0)
    self->started = tw_event_get_time (event);
}

/**
 * tw_job_get_snoozed_until:
 * @self: a #TwJob
 *
 * Returns: until when the run's non-critical notifications are silenced, in
 *   µs since the epoch, or 0
 */
gint64
tw_job_get_snoozed_until (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), 0);

  return self->snoozed_until;
}

/**
 * tw_job_snooze:
 * @self: a #TwJob
 * @until_unix_usec: the end of the snooze, or 0 to end it now
 *
 * Silences the run's non-critical notifications until the given time.
 */
void
tw_job_snooze (TwJob  *self,
               gint64  until_unix_usec)
{
  g_return_if_fail (TW_IS_JOB (self));

  self->snoozed_until = MAX (until_unix_usec, 0);
}

/**
 * tw_job_is_snoozed:
 * @self: a #TwJob
 * @now_unix_usec: the current wall-clock time
 *
 * Returns: %TRUE while a snooze is in effect
 */
gboolean
tw_job_is_snoozed (TwJob  *self,
                   gint64  now_unix_usec)
{
  g_return_val_if_fail (TW_IS_JOB (self), FALSE);

  return self->snoozed_until > now_unix_usec;
}

/* How much of the end of a log `status` shows, as lines. */
#define LAST_LINES 10
#define LAST_LINES_BYTES (8 * 1024)

/* One line as a person sees it: its newest '\r' redraw, without escape sequences
 * and control characters, as valid UTF-8. */
static char *
dup_visible_line (const char *line,
                  gsize       len)
{
  const char *start = line;
  GString *out = g_string_new (NULL);
  g_autofree char *valid = NULL;

  for (gsize i = 0; i < len; i++)
    if (line[i] == '\r' && i + 1 < len)
      start = line + i + 1;
  for (const char *p = start; p < line + len; p++)
    {
      if (*p == '\033')
        {
          /* CSI: ESC [ parameters final-letter; other escapes: ESC and one byte */
          if (p + 1 < line + len && p[1] == '[')
            {
              p += 2;
              while (p < line + len && !g_ascii_isalpha (*p) && *p != '~')
                p++;
            }
          else
            p++;
          continue;
        }
      if ((guchar) *p < 0x20 && *p != '\t')
        continue;
      g_string_append_c (out, *p);
    }
  valid = g_utf8_make_valid (out->str, out->len);
  g_string_free (out, TRUE);

  return g_steal_pointer (&valid);
}

/* The log's last lines, read from its end when asked (a job keeps none in memory). */
static void
add_last_lines (TwJob       *self,
                JsonBuilder *builder)
{
  g_autofree char *buf = NULL;
  g_auto(GStrv) lines = NULL;
  gssize n = 0;
  guint first;
  guint count;
  int fd;

  json_builder_begin_array (builder);
  fd = self->log_path != NULL ? g_open (self->log_path, O_RDONLY | O_CLOEXEC, 0) : -1;
  if (fd >= 0)
    {
      GStatBuf st;

      buf = g_malloc (LAST_LINES_BYTES + 1);
      if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
        {
          off_t at = st.st_size > LAST_LINES_BYTES ? st.st_size - LAST_LINES_BYTES : 0;

          do
            n = pread (fd, buf, LAST_LINES_BYTES, at);
          while (n < 0 && errno == EINTR);
        }
      close (fd);
    }
  if (n > 0)
    {
      buf[n] = '\0';
      /* NUL bytes would end the string early: show them as nothing */
      for (gssize i = 0; i < n; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      lines = g_strsplit (buf, "\n", -1);
      count = g_strv_length (lines);
      /* the first may be cut, the last is empty after a final newline */
      if (count > 0 && *lines[count - 1] == '\0')
        count--;
      first = count > LAST_LINES ? count - LAST_LINES : 0;
      if (first == 0 && count > 1 && n == LAST_LINES_BYTES)
        first = 1;
      for (guint i = first; i < count; i++)
        {
          g_autofree char *visible = dup_visible_line (lines[i], strlen (lines[i]));

          json_builder_add_string_value (builder, visible);
        }
    }
  json_builder_end_array (builder);
}

/**
 * tw_job_add_json:
 * @self: a #TwJob
 * @builder: a #JsonBuilder where a value may be added
 *
 * Adds the run as one object: `name`, `log`, `events`, `snoozed_until`, `started`
 * (its run-started event, or when Trainwatch first saw it),
 * `last_event`, the run's state, `source` (the followed log) and
 * `status_files` (each followed status file's `path`, `state` and `error`).
 */
void
tw_job_add_json (TwJob       *self,
                 JsonBuilder *builder)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "log");
  if (self->log_path != NULL)
    json_builder_add_string_value (builder, self->log_path);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "events");
  json_builder_add_int_value (builder, self->n_events);
  if (self->snoozed_until > 0)
    add_time_member (builder, "snoozed_until", self->snoozed_until);
  else
    {
      json_builder_set_member_name (builder, "snoozed_until");
      json_builder_add_null_value (builder);
    }
  add_time_member (builder, "started", self->started);
  json_builder_set_member_name (builder, "last_event");
  if (self->last_event != NULL)
    json_builder_add_value (builder, tw_event_to_json_node (self->last_event));
  else
    json_builder_add_null_value (builder);
  tw_run_state_add_json (self->run, builder);
  json_builder_set_member_name (builder, "series");
  tw_run_state_add_series_json (self->run, builder);
  json_builder_set_member_name (builder, "last_lines");
  add_last_lines (self, builder);
  json_builder_set_member_name (builder, "source");
  if (self->source != NULL)
    {
      static const char * const states[] = { "stopped", "waiting", "following", "error" };
      TwSourceFileState state = tw_source_file_get_state (self->source);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, state < G_N_ELEMENTS (states) ? states[state] : "unknown");
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, tw_source_file_get_error_message (self->source));
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, (gint64) tw_source_file_get_offset (self->source));
      json_builder_set_member_name (builder, "polling");
      json_builder_add_boolean_value (builder, tw_source_file_get_polling (self->source));
      json_builder_set_member_name (builder, "skimmed");
      json_builder_add_int_value (builder, (gint64) self->skimmed);
      json_builder_end_object (builder);
    }
  else
    {
      json_builder_add_null_value (builder);
    }
  add_status_files_json (self, builder);
  json_builder_end_object (builder);
}

static gboolean
has_output (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size > 0;
}

/**
 * tw_job_follow:
 * @self: a #TwJob with a log path
 * @inotify: (nullable): the daemon's inotify instance; %NULL polls
 * @start_offset: where to start: -1 at the end of an existing file, 0 at
 *   its beginning (a log the daemon was told about as it starts)
 *
 * Follows the run's log, emitting #TwJob::event as its output changes the
 * run. A log that does not exist yet is waited for. A path named like a
 * status file (`*.json`, `*metrics.csv`) is followed as one instead; beside
 * a log, the frameworks' status files in its folder are followed too
 * (trainer_state.json, metrics.csv; not without @inotify).
 */
void
tw_job_follow (TwJob     *self,
               TwInotify *inotify,
               gint64     start_offset)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (self->log_path != NULL);
  g_return_if_fail (self->source == NULL);
  g_return_if_fail (self->status == NULL && self->folder == NULL);

  reset_extractor (self);
  if (self->quiet == NULL)
    self->quiet = tw_deadline_new (quiet_cb, self);
  if (self->stall == NULL)
    self->stall = tw_deadline_new (stall_cb, self);

  if (tw_status_source_is_status_name (self->log_path))
    {
      follow_status_file (self, inotify);
      return;
    }

  self->source = tw_source_file_new (inotify, self->log_path, start_offset);
  g_signal_connect (self->source, "data", G_CALLBACK (source_data_cb), self);
  g_signal_connect (self->source, "reset", G_CALLBACK (source_reset_cb), self);
  g_signal_connect (self->source, "caught-up", G_CALLBACK (source_caught_up_cb), self);
  if (self->has_resume)
    tw_source_file_set_resume_file (self->source, self->resume_dev, self->resume_inode);
  /* Joining a run midway, what it did before is not news. */
  if (start_offset > 0 || (start_offset < 0 && has_output (self->log_path)))
    tw_run_state_set_joined_late (self->run);
  tw_source_file_start (self->source);
  follow_run_folder (self, inotify);
}

/**
 * tw_job_stop_following:
 * @self: a #TwJob
 *
 * Stops reading the run's log; the run keeps its state.
 */
void
tw_job_stop_following (TwJob *self)
{
  g_return_if_fail (TW_IS_JOB (self));

  stop_status_files (self);
  if (self->source == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->source, self);
  tw_source_file_stop (self->source);
  g_clear_object (&self->source);
  if (self->stall != NULL)
    tw_deadline_set (self->stall, -1);
}

/**
 * tw_job_is_following:
 * @self: a #TwJob
 *
 * Returns: %TRUE while the job reads its log
 */
gboolean
tw_job_is_following (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), FALSE);

  return self->source != NULL || self->status != NULL;
}

/**
 * tw_job_finish_process:
 * @self: a #TwJob
 * @exit_status: the wrapped command's exit status, or -1
 * @signal_number: the signal that ended it, or 0
 *
 * Ends a wrapped command's run: reads what is left of its log (the command
 * wrote it all before it exited), then lets the exit status decide the
 * outcome. The job stops following its log.
 */
void
tw_job_finish_process (TwJob *self,
                       int    exit_status,
                       int    signal_number)
{
  guint64 offset = 0;

  g_return_if_fail (TW_IS_JOB (self));

  if (self->source != NULL)
    offset = tw_source_file_get_offset (self->source);
  tw_job_stop_following (self);
  if (self->extractor == NULL)
    reset_extractor (self);

  if (self->log_path != NULL)
    {
      int fd = g_open (self->log_path, O_RDONLY | O_CLOEXEC, 0);

      if (fd >= 0)
        {
          g_autofree guint8 *buf = g_malloc (DRAIN_CHUNK);
          gssize n;

          tw_extractor_set_skim (self->extractor, FALSE, self->observations);
          while ((n = pread (fd, buf, DRAIN_CHUNK, offset)) > 0 || (n < 0 && errno == EINTR))
            {
              if (n < 0)
                continue;
              tw_extractor_feed (self->extractor, buf, n, self->observations);
              emit_events (self);
              offset += n;
            }
          close (fd);
        }
    }

  tw_extractor_finish (self->extractor, self->observations);
  tw_failure_detector_finish (self->detector, self->observations);
  emit_events (self);
  tw_run_state_finish_process (self->run, exit_status, signal_number, self->events);
  emit_events (self);
}

/**
 * tw_job_set_stall_timeout:
 * @self: a #TwJob
 * @usec: how long a running run may be silent before it counts as
 *   stalled, or 0 to judge from its own pauses (three times the longest,
 *   between 10 minutes and 2 hours)
 *
 * Sets when the job reports its run as stalled.
 */
void
tw_job_set_stall_timeout (TwJob  *self,
                          gint64  usec)
{
  g_return_if_fail (TW_IS_JOB (self));
  g_return_if_fail (usec >= 0);

  self->stall_timeout = usec;
  arm_stall (self);
}

/**
 * tw_job_get_run_state:
 * @self: a #TwJob
 *
 * Returns: (transfer none): what the run is doing
 */
TwRunState *
tw_job_get_run_state (TwJob *self)
{
  g_return_val_if_fail (TW_IS_JOB (self), NULL);

  return self->run;
}

/**
 * tw_job_set_rules:
 * @self: a #TwJob
 * @rules: (nullable): the user's rules, owned by the caller, who keeps them alive
 *   until they are replaced or the job is gone
 *
 * Sets the rules every line of the run's output is matched against, from the next
 * line on.
 */
void
tw_job_set_rules (TwJob     *self,
                  TwRuleSet *rules)
{
  g_return_if_fail (TW_IS_JOB (self));

  self->rules = rules;
  if (self->extractor != NULL)
    tw_extractor_set_rules (self->extractor, rules);
}

/**
 * tw_job_set_resume_file:
 * @self: a #TwJob, not following yet
 * @dev: the device of the file read before
 * @inode: its inode
 *
 * Makes the next tw_job_follow() continue at its @start_offset only if the log
 * is still the file that was read before (not rotated or replaced meanwhile).
 */
void
tw_job_set_resume_file (TwJob   *self,
                        guint64  dev,
                        guint64  inode)
{
  g_return_if_fail (TW_IS_JOB (self));

  self->has_resume = TRUE;
  self->resume_dev = dev;
  self->resume_inode = inode;
}

/**
 * tw_job_get_resume_point:
 * @self: a #TwJob
 * @out_dev: (out): the device of the log being read
 * @out_inode: (out): its inode
 * @out_offset: (out): the start of the first line not yet read whole
 *
 * Returns: %FALSE if the job has no open log to resume
 */
gboolean
tw_job_get_resume_point (TwJob   *self,
                         guint64 *out_dev,
                         guint64 *out_inode,
                         guint64 *out_offset)
{
  guint64 read;
  guint64 unfinished;

  g_return_val_if_fail (TW_IS_JOB (self), FALSE);

  if (self->source == NULL || tw_source_file_get_state (self->source) != TW_SOURCE_FILE_STATE_FOLLOWING)
    return FALSE;

  /* the extractor counts from where the file was first read */
  read = tw_source_file_get_offset (self->source);
  unfinished = tw_extractor_get_offset (self->extractor) - tw_extractor_get_resume_offset (self->extractor);
  *out_dev = tw_source_file_get_dev (self->source);
  *out_inode = tw_source_file_get_inode (self->source);
  *out_offset = read >= unfinished ? read - unfinished : 0;
  return TRUE;
}
