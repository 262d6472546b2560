/* tw-extract-failure.c — finds failures (tracebacks, CUDA out of memory, CUDA and NCCL
 * errors, NaN, "Killed") in the clean lines of a run's output
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* memmem, memrchr */
#define _GNU_SOURCE 1

#include "config.h"

#include "tw-extract-failure.h"

#include <string.h>

#include "tw-extract-failure-line.h"

/* The text kept of the last traceback. */
#define CONTEXT_MAX (16 * 1024)
/* A torchrun summary block is a few dozen lines; stop waiting for its end after this. */
#define TORCHRUN_MAX_LINES 1000
/* Python folds repeated frames, so a real traceback is shorter; a header without an
 * exception line this far on was not one. */
#define TRACEBACK_MAX_LINES 5000
/* What a traceback's header line held before the header: "(RayTrainWorker pid=1234) ". */
#define PREFIX_MAX 64
/* Failures remembered so that one reported again (by another rank, say) is not new. */
#define RECENT_MAX 8

#define TRACEBACK_HEADER "Traceback (most recent call last):"

typedef enum
{
  STATE_IDLE,          /* between failures: only lines that pass the prefilter are looked at */
  STATE_TRACEBACK,     /* after a traceback header, waiting for its exception line */
  STATE_EXCEPTION,     /* after the exception line: a chained traceback may follow */
  STATE_CHAINED,       /* after "During handling…"/"The above exception…": a traceback follows */
  STATE_TORCHRUN,      /* inside torchrun's ChildFailedError summary block */
} State;

struct _TwFailureDetector
{
  State          state;
  GRegex        *nan_regex;
  GString       *context;

  /* The exception line of the traceback being collected. */
  gboolean       have_pending;
  TwFailureKind  pending_kind;
  char          *pending_exception;
  char          *pending_message;
  guint64        pending_offset;
  gboolean       in_group;             /* the pending exception is an exception group's */
  guint64        traceback_offset;
  guint          traceback_lines;
  char           prefix[PREFIX_MAX];   /* repeated on each line of the traceback */
  gsize          prefix_len;

  /* torchrun's summary block. */
  guint          torchrun_lines;
  gboolean       in_root_cause;
  gboolean       in_root_traceback;
  gboolean       root_seen_exception;  /* later lines are its message */
  char          *torchrun_title;
  TwFailureKind  root_kind;
  char          *root_exception;
  char          *root_message;
  guint64        root_offset;

  /* The failures reported last, so that one failure is one observation. */
  gboolean       reported_fatal;       /* a failure other than NaN was reported */
  char          *recent[RECENT_MAX];
  guint          next_recent;
};

/* A message for an observation, or %NULL when there is none. */
static char *
dup_message (const char *p,
             gsize       len)
{
  return len > 0 ? tw_failure_line_dup_text (p, len, FALSE) : NULL;
}

static TwFailureKind
classify_exception (TwFailureDetector *self,
                    const char        *name,
                    gsize              name_len,
                    const char        *message,
                    gsize              message_len)
{
  return tw_failure_line_classify_exception (self->nan_regex, name, name_len, message,
                                             message_len);
}

static void
append_context (TwFailureDetector *self,
                const char        *line,
                gsize              len)
{
  GString *context = self->context;

  if (len >= CONTEXT_MAX)
    {
      len = CONTEXT_MAX - 1;
      while (len > 0 && ((guchar) line[len] & 0xC0) == 0x80)
        len--;
    }

  /* Drop whole lines from the front to stay bounded; the end is what matters. */
  if (context->len + len + 1 > CONTEXT_MAX)
    {
      const char *cut = context->str + (context->len + len + 1 - CONTEXT_MAX);
      const char *nl = memchr (cut, '\n', context->str + context->len - cut);
      gsize drop = nl != NULL ? (gsize) (nl + 1 - context->str) : context->len;

      g_string_erase (context, 0, drop);
    }

  g_string_append_len (context, line, len);
  g_string_append_c (context, '\n');
}

static void
set_context (TwFailureDetector *self,
             const char        *line,
             gsize              len)
{
  g_string_truncate (self->context, 0);
  append_context (self, line, len);
}

/* What makes two reports one failure: kind, exception and message with its numbers
 * folded ("GPU 1 … 9.62 GiB is free" from one rank is "GPU 0 … 9.60 GiB" from the
 * next). NaN and NCCL errors are one failure however they are worded: a run says both
 * in many lines ("step 7: loss is nan", the watchdog's timeout, then its abort). */
static char *
failure_key (TwFailureKind  kind,
             const char    *exception,
             const char    *message)
{
  GString *key = g_string_new (tw_failure_kind_to_string (kind));

  if (kind == TW_FAILURE_NAN || kind == TW_FAILURE_NCCL_ERROR)
    return g_string_free (key, FALSE);

  g_string_append_c (key, '\n');
  if (exception != NULL)
    g_string_append (key, exception);
  g_string_append_c (key, '\n');
  for (const char *p = message; p != NULL && *p != '\0' && key->len < 512; p++)
    {
      if (!g_ascii_isdigit (*p))
        g_string_append_c (key, *p);
      else if (key->str[key->len - 1] != '#')
        g_string_append_c (key, '#');
    }

  return g_string_free (key, FALSE);
}

/* Takes @exception and @message. */
static void
report (TwFailureDetector *self,
        TwFailureKind      kind,
        char              *exception,
        char              *message,
        guint64            offset,
        GArray            *out)
{
  TwObservation observation;
  char *key = failure_key (kind, exception, message);

  for (guint i = 0; i < RECENT_MAX; i++)
    {
      if (g_strcmp0 (self->recent[i], key) == 0)
        {
          g_free (key);
          g_free (exception);
          g_free (message);
          return;
        }
    }

  if (kind != TW_FAILURE_NAN)
    self->reported_fatal = TRUE;
  g_free (self->recent[self->next_recent]);
  self->recent[self->next_recent] = key;
  self->next_recent = (self->next_recent + 1) % RECENT_MAX;

  tw_observation_init (&observation, TW_OBSERVATION_FAILURE, offset);
  observation.failure = kind;
  observation.exception = exception;
  observation.message = message;
  g_array_append_val (out, observation);
}

static void
clear_pending (TwFailureDetector *self)
{
  self->have_pending = FALSE;
  self->in_group = FALSE;
  self->pending_kind = TW_FAILURE_NONE;
  g_clear_pointer (&self->pending_exception, g_free);
  g_clear_pointer (&self->pending_message, g_free);
}

static void
clear_torchrun (TwFailureDetector *self)
{
  self->torchrun_lines = 0;
  self->in_root_cause = FALSE;
  self->in_root_traceback = FALSE;
  self->root_seen_exception = FALSE;
  self->root_kind = TW_FAILURE_NONE;
  g_clear_pointer (&self->torchrun_title, g_free);
  g_clear_pointer (&self->root_exception, g_free);
  g_clear_pointer (&self->root_message, g_free);
}

static void
set_pending (TwFailureDetector *self,
             const char        *line,
             gsize              name_len,
             const char        *message,
             gsize              message_len,
             guint64            offset)
{
  clear_pending (self);
  self->have_pending = TRUE;
  self->pending_kind = classify_exception (self, line, name_len, message, message_len);
  self->pending_exception = g_strndup (line, name_len);
  self->pending_message = dup_message (message, message_len);
  self->pending_offset = offset;
}

/* Reports what the traceback being collected is known to have been. */
static void
flush_pending (TwFailureDetector *self,
               GArray            *out)
{
  if (self->have_pending)
    {
      report (self, self->pending_kind, g_steal_pointer (&self->pending_exception),
              g_steal_pointer (&self->pending_message), self->pending_offset, out);
    }
  else if (self->state == STATE_TRACEBACK)
    {
      /* Cut before its exception line: the last line of the traceback is all we know. */
      const char *text = self->context->str;
      gsize len = self->context->len;
      const char *last;

      while (len > 0 && g_ascii_isspace (text[len - 1]))
        len--;
      last = len > 0 ? memrchr (text, '\n', len) : NULL;
      last = last != NULL ? last + 1 : text;
      report (self, TW_FAILURE_EXCEPTION, NULL, dup_message (last, text + len - last),
              self->traceback_offset, out);
    }

  clear_pending (self);
  self->state = STATE_IDLE;
}

static void
finish_torchrun (TwFailureDetector *self,
                 GArray            *out)
{
  if (self->root_kind != TW_FAILURE_NONE)
    {
      report (self, self->root_kind, g_steal_pointer (&self->root_exception),
              g_steal_pointer (&self->root_message), self->root_offset, out);
    }
  else if (!self->reported_fatal)
    {
      /* The summary says which rank failed, not why ("To enable traceback see: …"), and
       * no rank's own traceback said it either (its output went to a file). */
      report (self, TW_FAILURE_EXCEPTION, g_steal_pointer (&self->pending_exception),
              g_steal_pointer (&self->torchrun_title), self->pending_offset, out);
    }

  clear_pending (self);
  clear_torchrun (self);
  self->state = STATE_IDLE;
}

static void
torchrun_line (TwFailureDetector *self,
               const char        *line,
               gsize              len,
               guint64            offset,
               GArray            *out)
{
  const char *value;
  gsize indent = 0;
  gsize name_len;
  const char *message;
  gsize message_len;

  append_context (self, line, len);

  if (++self->torchrun_lines > TORCHRUN_MAX_LINES)
    {
      finish_torchrun (self, out);
      return;
    }

  if (TW_HAS_PREFIX (line, len, "Root Cause (first observed failure):"))
    {
      self->in_root_cause = TRUE;
      return;
    }

  if (!self->in_root_cause)
    {
      /* The title, "train.py FAILED", comes after the first border. */
      if (self->torchrun_title == NULL && len > 0 && line[0] != '=' && line[0] != '-'
          && !tw_failure_line_is_blank (line, len))
        self->torchrun_title = dup_message (line, len);
      return;
    }

  if (len > 0 && line[0] == '=')
    {
      finish_torchrun (self, out);
      return;
    }

  while (indent < len && line[indent] == ' ')
    indent++;

  if (self->in_root_traceback)
    {
      /* The root cause's traceback is the rank's, indented by two: its exception line
       * is the one indented by exactly two (the last one when chained; the lines after
       * it up to a chained traceback are the rest of its message). */
      if (indent != 2)
        return;
      if (TW_HAS_PREFIX (line + 2, len - 2, TRACEBACK_HEADER)
          || TW_HAS_PREFIX (line + 2, len - 2, "During handling of the above exception")
          || TW_HAS_PREFIX (line + 2, len - 2, "The above exception was the direct cause"))
        {
          self->root_seen_exception = FALSE;
          return;
        }
      if (!self->root_seen_exception
          && tw_failure_line_parse_exception (line + 2, len - 2, &name_len, &message,
                                              &message_len))
        {
          self->root_seen_exception = TRUE;
          g_free (self->root_exception);
          g_free (self->root_message);
          self->root_kind = classify_exception (self, line + 2, name_len, message, message_len);
          self->root_exception = g_strndup (line + 2, name_len);
          self->root_message = dup_message (message, message_len);
          self->root_offset = offset;
        }
      return;
    }

  if (!TW_HAS_PREFIX (line + indent, len - indent, "traceback :"))
    return;

  value = line + indent + strlen ("traceback :");
  len -= value - line;
  while (len > 0 && *value == ' ')
    {
      value++;
      len--;
    }

  if (TW_HAS_PREFIX (value, len, TRACEBACK_HEADER))
    self->in_root_traceback = TRUE;
  else if (TW_HAS_PREFIX (value, len, "To enable traceback"))
    return;
  else
    {
      /* "Signal 9 (SIGKILL) received by PID 1235", or an error message */
      g_free (self->root_message);
      self->root_message = dup_message (value, len);
      self->root_offset = offset;
      if (TW_HAS_PREFIX (value, len, "Signal 9 "))
        self->root_kind = TW_FAILURE_KILLED;
      else
        {
          self->root_kind = tw_failure_line_classify (self->nan_regex, value, len);
          if (self->root_kind == TW_FAILURE_NONE)
            self->root_kind = TW_FAILURE_EXCEPTION;
        }
    }
}

/* A line outside any traceback: only failures that speak for themselves count here (CUDA
 * out of memory, CUDA and NCCL errors, NaN, "Killed"), not every "SomeError:" a
 * program logs and survives. */
static void
standalone_line (TwFailureDetector *self,
                 const char        *line,
                 gsize              len,
                 guint64            offset,
                 GArray            *out)
{
  const char *start;
  gsize name_len;
  const char *message;
  gsize message_len;
  TwFailureKind kind;
  gboolean named;

  if (tw_failure_line_find_killed (line, len, &start))
    {
      set_context (self, line, len);
      report (self, TW_FAILURE_KILLED, NULL,
              tw_failure_line_dup_text (start, line + len - start, TRUE), offset, out);
      return;
    }

  named = tw_failure_line_parse_exception (line, len, &name_len, &message, &message_len)
          && (tw_failure_has_suffix (line, name_len, "Error")
              || tw_failure_has_suffix (line, name_len, "Exception"));
  if (named)
    kind = classify_exception (self, line, name_len, message, message_len);
  else
    kind = tw_failure_line_classify (self->nan_regex, line, len);

  if (kind == TW_FAILURE_NONE || kind == TW_FAILURE_EXCEPTION)
    return;

  set_context (self, line, len);
  if (named)
    report (self, kind, g_strndup (line, name_len), dup_message (message, message_len),
            offset, out);
  else
    report (self, kind, NULL, dup_message (line, len), offset, out);
}

/* An exception group's own exception line: "  | ExceptionGroup: … (2 sub-exceptions)",
 * the first one in its margin. */
static void
group_line (TwFailureDetector *self,
            const char        *line,
            gsize              len,
            guint64            offset)
{
  gsize indent = 0;
  gsize name_len;
  const char *message;
  gsize message_len;

  if (self->in_group)
    return;
  while (indent < len && line[indent] == ' ')
    indent++;
  if (!TW_HAS_PREFIX (line + indent, len - indent, "| ")
      || !tw_failure_line_parse_exception (line + indent + 2, len - indent - 2, &name_len,
                                           &message, &message_len))
    return;

  set_pending (self, line + indent + 2, name_len, message, message_len, offset);
  self->in_group = TRUE;
}

static gboolean
is_group_margin (const char *p,
                 gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (p[i] != ' ' && p[i] != '|' && p[i] != '+')
      return FALSE;

  return TRUE;
}

static void
start_traceback (TwFailureDetector *self,
                 const char        *line,
                 const char        *header,
                 gsize              len,
                 guint64            offset)
{
  gsize before = header - line;

  /* The traceback of one exception inside an exception group ("    | Traceback …")
   * is part of the group's. */
  if (self->state == STATE_TRACEBACK && self->in_group && is_group_margin (line, before))
    {
      append_context (self, line, len);
      return;
    }

  /* A chained traceback replaces its cause; otherwise nothing is pending here. */
  if (self->state != STATE_CHAINED)
    {
      clear_pending (self);
      set_context (self, header, line + len - header);
    }
  else
    append_context (self, header, line + len - header);

  /* A prefix every line of the traceback repeats ("(RayTrainWorker pid=1234) "); when it
   * was a progress bar's last update, the next lines simply do not start with it. */
  self->prefix_len = before <= PREFIX_MAX && !is_group_margin (line, before) ? before : 0;
  memcpy (self->prefix, line, self->prefix_len);
  self->traceback_offset = offset;
  self->traceback_lines = 0;
  self->state = STATE_TRACEBACK;
}

/* Back between failures, looking at @line as any other. */
static void
abandon_traceback (TwFailureDetector *self,
                   const char        *line,
                   gsize              len,
                   guint64            offset,
                   GArray            *out)
{
  clear_pending (self);
  self->state = STATE_IDLE;
  if (tw_failure_line_may_matter (line, len))
    standalone_line (self, line, len, offset, out);
}

static void
detector_line (TwFailureDetector *self,
               const char        *line,
               gsize              len,
               guint64            offset,
               GArray            *out)
{
  const char *header;
  const char *start;
  gsize name_len;
  const char *message;
  gsize message_len;

  if (self->state == STATE_TORCHRUN)
    {
      torchrun_line (self, line, len, offset, out);
      return;
    }

  /* A header may follow a progress bar's last update on the same line. */
  header = TW_FIND (line, len, TRACEBACK_HEADER);
  if (header != NULL)
    {
      if (self->state == STATE_EXCEPTION)
        flush_pending (self, out);
      start_traceback (self, line, header, len, offset);
      return;
    }

  if (self->prefix_len > 0 && self->state != STATE_IDLE
      && tw_failure_has_prefix (line, len, self->prefix, self->prefix_len))
    {
      line += self->prefix_len;
      len -= self->prefix_len;
    }

  switch (self->state)
    {
    case STATE_IDLE:
      standalone_line (self, line, len, offset, out);
      return;

    case STATE_TRACEBACK:
      if (++self->traceback_lines > TRACEBACK_MAX_LINES)
        {
          abandon_traceback (self, line, len, offset, out);
          return;
        }
      append_context (self, line, len);
      if (len == 0 || g_ascii_isspace (line[0]))
        {
          group_line (self, line, len, offset);
          return;
        }
      if (self->in_group)
        {
          /* The group's text is over; its exception line is what is known. */
          flush_pending (self, out);
          if (tw_failure_line_may_matter (line, len))
            standalone_line (self, line, len, offset, out);
          return;
        }
      if (tw_failure_line_find_killed (line, len, &start))
        {
          /* Killed while printing it: that is the news. */
          abandon_traceback (self, line, len, offset, out);
          return;
        }
      if (tw_failure_line_parse_exception (line, len, &name_len, &message, &message_len))
        {
          set_pending (self, line, name_len, message, message_len, offset);
          self->state = STATE_EXCEPTION;
        }
      else if (tw_failure_line_may_matter (line, len))
        {
          /* Another process's output interleaved with the traceback. */
          standalone_line (self, line, len, offset, out);
        }
      return;

    case STATE_EXCEPTION:
      if (tw_failure_line_is_blank (line, len))
        return;
      if (TW_HAS_PREFIX (line, len, "During handling of the above exception")
          || TW_HAS_PREFIX (line, len, "The above exception was the direct cause"))
        {
          append_context (self, line, len);
          self->state = STATE_CHAINED;
          return;
        }
      if (TW_HAS_PREFIX (line, len, "  File \""))
        {
          /* The "exception line" was another process's output and the frames go on. */
          append_context (self, line, len);
          clear_pending (self);
          self->state = STATE_TRACEBACK;
          return;
        }
      if (line[0] == '=' && self->pending_exception != NULL
          && g_str_has_suffix (self->pending_exception, "ChildFailedError"))
        {
          clear_torchrun (self);
          self->state = STATE_TORCHRUN;
          torchrun_line (self, line, len, offset, out);
          return;
        }
      /* The first line after the exception line that does not chain another traceback
       * ends it: a multi-line message's second line, or the next output. */
      flush_pending (self, out);
      if (tw_failure_line_may_matter (line, len))
        standalone_line (self, line, len, offset, out);
      return;

    case STATE_CHAINED:
      if (tw_failure_line_is_blank (line, len))
        return;
      flush_pending (self, out);
      if (tw_failure_line_may_matter (line, len))
        standalone_line (self, line, len, offset, out);
      return;

    case STATE_TORCHRUN:
    default:
      g_assert_not_reached ();
    }
}

/**
 * tw_failure_detector_new:
 *
 * Creates a detector for one stream of lines. It keeps the state of a traceback being
 * collected between lines, and remembers the last failure it reported so that one
 * failure gives one observation.
 *
 * Returns: (transfer full): a new detector; free it with tw_failure_detector_free()
 */
TwFailureDetector *
tw_failure_detector_new (void)
{
  TwFailureDetector *self = g_new0 (TwFailureDetector, 1);

  self->nan_regex = tw_failure_line_new_nan_regex ();
  self->context = g_string_sized_new (256);
  self->state = STATE_IDLE;

  return self;
}

/**
 * tw_failure_detector_free:
 * @self: (nullable): a detector
 *
 * Frees @self and what it holds.
 */
void
tw_failure_detector_free (TwFailureDetector *self)
{
  if (self == NULL)
    return;

  clear_pending (self);
  clear_torchrun (self);
  g_clear_pointer (&self->nan_regex, g_regex_unref);
  g_string_free (self->context, TRUE);
  for (guint i = 0; i < RECENT_MAX; i++)
    g_free (self->recent[i]);
  g_free (self);
}

/**
 * tw_failure_detector_line:
 * @self: a detector
 * @line: one clean line (ANSI stripped, valid UTF-8), without its terminator
 * @len: its length in bytes
 * @offset: the byte offset of the line in the stream
 * @out: (element-type TwObservation): where observations are appended
 *
 * Looks at one line. A Python traceback gives one %TW_OBSERVATION_FAILURE when it is
 * known to be over (the first line after its exception line that does not chain another
 * traceback, or tw_failure_detector_finish()), with the offset of its exception line;
 * chained tracebacks give the final exception only, and torchrun's ChildFailedError
 * summary gives its root cause. CUDA out of memory, CUDA and NCCL errors, a textual NaN
 * loss and a shell's "Killed" give one at once. "[rank0]:" prefixes are ignored. A
 * failure of the same kind and exception as the last one reported is not reported
 * again.
 */
void
tw_failure_detector_line (TwFailureDetector *self,
                          const char        *line,
                          gsize              len,
                          guint64            offset,
                          GArray            *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (line != NULL || len == 0);
  g_return_if_fail (out != NULL);

  /* An empty line changes nothing: blank lines inside a traceback are skipped anyway. */
  if (len == 0 || (self->state == STATE_IDLE && !tw_failure_line_may_matter (line, len)))
    return;

  tw_failure_line_strip_rank_prefix (&line, &len);
  detector_line (self, line, len, offset, out);
}

/**
 * tw_failure_detector_is_idle:
 * @self: a detector
 *
 * Tells whether @self is between failures, where it looks only at lines that pass
 * tw_failure_line_may_matter(): a line in which tw_failure_line_find_candidate() finds
 * nothing changes nothing then, and need not be handed to it.
 *
 * Returns: whether @self is idle
 */
gboolean
tw_failure_detector_is_idle (TwFailureDetector *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->state == STATE_IDLE;
}

/**
 * tw_failure_detector_finish:
 * @self: a detector
 * @out: (element-type TwObservation): where observations are appended
 *
 * Ends the stream: reports a traceback still being collected with whatever is known of
 * it (its exception line, or its last line when it was cut before that). Also useful
 * when a followed file has gone quiet, since a run that crashed writes nothing after
 * its exception line; the detector can take more lines afterwards.
 */
void
tw_failure_detector_finish (TwFailureDetector *self,
                            GArray            *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  switch (self->state)
    {
    case STATE_TORCHRUN:
      finish_torchrun (self, out);
      break;
    case STATE_TRACEBACK:
    case STATE_EXCEPTION:
    case STATE_CHAINED:
      flush_pending (self, out);
      break;
    case STATE_IDLE:
    default:
      break;
    }
}

/**
 * tw_failure_detector_get_context:
 * @self: a detector
 *
 * Gives the text of the last traceback seen (or the line of the last other failure),
 * one line per line, at most 16 KiB: its last lines when it was longer.
 *
 * Returns: (transfer none): the text; empty when there was none
 */
const char *
tw_failure_detector_get_context (TwFailureDetector *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->context->str;
}

/**
 * tw_failure_detector_line_func:
 * @line: one clean line, without its terminator
 * @len: its length in bytes
 * @offset: the byte offset of the line in the stream
 * @out: (element-type TwObservation): where observations are appended
 * @user_data: the #TwFailureDetector
 *
 * tw_failure_detector_line() in the shape of a #TwLineFunc.
 */
void
tw_failure_detector_line_func (const char *line,
                               gsize       len,
                               guint64     offset,
                               GArray     *out,
                               gpointer    user_data)
{
  tw_failure_detector_line (user_data, line, len, offset, out);
}
