/* tw-run-state.c — what a run is doing, built from observations; the events its changes make
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure, like the extractors: observations in, state and events out, no
 * I/O and no clock (stalls are the daemon's business, from its timers).
 * The same code serves the daemon's jobs and `trainwatch inspect`.
 */
#include "config.h"

#include "tw-run-state.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define DEFAULT_DIVERGENCE_FACTOR 3.0
#define MAX_MILESTONES 16
/* Bound on the metrics a run keeps; a log that invents names forever stops here. */
#define MAX_METRICS 64
/* Points kept per metric for plots: when full, every other one is dropped and only
 * every second value after that is kept, so the series spans the whole run. */
#define SERIES_MAX 128

typedef enum
{
  DIRECTION_NONE,
  DIRECTION_LOWER,
  DIRECTION_HIGHER,
} Direction;

typedef struct
{
  char      *name;
  double     last;
  double     best;
  gboolean   has_best;
  gboolean   sub;
  gboolean   nan_reported;
  gboolean   diverging;
  Direction  direction;
  guint64    n_values;              /* values seen */
  guint64    stride;                /* one value in stride is kept */
  guint      n_points;
  guint64    point_x[SERIES_MAX];   /* the value's number, from 0 */
  double     point_y[SERIES_MAX];
} Metric;

struct _TwRunState
{
  char          *job;
  TwRunStatus    status;

  /* the main bar, or the step counter when there is no bar */
  gint64         n;
  gint64         total;
  double         remaining;
  double         elapsed;
  gboolean       have_bar;
  gint64         epoch;
  gint64         epochs;
  gint64         epoch_reported;    /* the last epoch an epoch-completed event was made for */
  double         progress;          /* < 0 until known */
  double         max_progress;

  guint          milestones[MAX_MILESTONES];
  guint          n_milestones;
  guint          next_milestone;
  gboolean       joined_late;       /* the run had begun before we saw it */
  gboolean       baseline_pending;  /* joined late, and no progress seen yet */
  double         divergence_factor;

  GPtrArray     *metrics;           /* of Metric, in order of appearance */

  TwFailureKind  failure;
  char          *exception;
  char          *message;

  int            exit_status;       /* of a wrapped command; -1 while unknown */
  int            signal_number;
};

static const char * const status_names[] = {
  [TW_RUN_WAITING] = "waiting",
  [TW_RUN_RUNNING] = "running",
  [TW_RUN_STALLED] = "stalled",
  [TW_RUN_COMPLETED] = "completed",
  [TW_RUN_FAILED] = "failed",
  [TW_RUN_STOPPED] = "stopped",
};

static void
metric_free (Metric *metric)
{
  g_free (metric->name);
  g_free (metric);
}

static void
add_point (Metric *metric,
           double  value)
{
  guint64 x = metric->n_values++;

  if (metric->stride == 0)
    metric->stride = 1;
  if (x % metric->stride != 0)
    return;
  if (metric->n_points == SERIES_MAX)
    {
      guint kept = 0;

      for (guint i = 0; i < metric->n_points; i += 2, kept++)
        {
          metric->point_x[kept] = metric->point_x[i];
          metric->point_y[kept] = metric->point_y[i];
        }
      metric->n_points = kept;
      metric->stride *= 2;
      if (x % metric->stride != 0)
        return;
    }
  metric->point_x[metric->n_points] = x;
  metric->point_y[metric->n_points] = value;
  metric->n_points++;
}

static Direction
direction_for (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  static const char * const lower_better[] = { "loss", "err", "perplexity", "ppl", "mse", "mae", "wer", "cer" };
  static const char * const higher_better[] = { "acc", "f1", "auc", "bleu", "rouge", "precision", "recall",
                                                "map", "iou", "dice", "score", "top" };

  /* Rates and schedules have no "best". */
  if (strstr (lower, "learning_rate") != NULL || strstr (lower, "lr") == lower ||
      strstr (lower, "grad_norm") != NULL || strstr (lower, "runtime") != NULL ||
      strstr (lower, "per_second") != NULL)
    return DIRECTION_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (lower_better); i++)
    if (strstr (lower, lower_better[i]) != NULL)
      return DIRECTION_LOWER;
  for (guint i = 0; i < G_N_ELEMENTS (higher_better); i++)
    if (strstr (lower, higher_better[i]) != NULL)
      return DIRECTION_HIGHER;

  return DIRECTION_NONE;
}

static Metric *
find_metric (TwRunState *self,
             const char *name)
{
  for (guint i = 0; i < self->metrics->len; i++)
    {
      Metric *metric = g_ptr_array_index (self->metrics, i);

      if (g_str_equal (metric->name, name))
        return metric;
    }

  return NULL;
}

static char *
format_value (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return g_strdup ("NaN");
  if (isinf (value))
    return g_strdup (value > 0 ? "Inf" : "-Inf");

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.4g", value));
}

static char *
format_metrics (TwRunState *self,
                gboolean    sub)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->metrics->len; i++)
    {
      Metric *metric = g_ptr_array_index (self->metrics, i);
      g_autofree char *value = NULL;

      if (metric->sub != sub || metric->direction == DIRECTION_NONE)
        continue;
      value = format_value (metric->last);
      g_string_append_printf (text, "%s%s %s", text->len > 0 ? " · " : "", metric->name, value);
    }

  return g_string_free (text, text->len == 0);
}

static TwEvent *
add_event (TwRunState  *self,
           GPtrArray   *events,
           TwEventKind  kind,
           TwLevel      level,
           const char  *title,
           const char  *body)
{
  TwEvent *event = tw_event_new (kind, level, self->job, title, body);

  if (self->progress >= 0)
    tw_event_set_progress (event, self->progress);
  g_ptr_array_add (events, event);

  return event;
}

static void
start_if_waiting (TwRunState *self,
                  GPtrArray  *events)
{
  if (self->status != TW_RUN_WAITING)
    return;

  self->status = TW_RUN_RUNNING;
  if (!self->joined_late)
    add_event (self, events, TW_EVENT_RUN_STARTED, TW_LEVEL_INFO, _("Run started"), NULL);
}

static gboolean
is_over (TwRunState *self)
{
  return self->status == TW_RUN_COMPLETED || self->status == TW_RUN_FAILED || self->status == TW_RUN_STOPPED;
}

/* ((e − 1) + n/total) / E with epochs known, else the bar's (or step's) fraction. */
static void
update_progress (TwRunState *self,
                 GPtrArray  *events)
{
  double fraction = -1.0;

  if (self->total > 0)
    fraction = CLAMP ((double) self->n / (double) self->total, 0.0, 1.0);

  if (self->epochs > 0 && self->epoch >= 1)
    self->progress = CLAMP (((double) (self->epoch - 1) + MAX (fraction, 0.0)) / (double) self->epochs, 0.0, 1.0);
  else if (fraction >= 0)
    self->progress = fraction;
  else
    return;

  self->max_progress = MAX (self->max_progress, self->progress);

  /* Milestones passed before we joined are not news. */
  if (self->baseline_pending)
    {
      self->baseline_pending = FALSE;
      while (self->next_milestone < self->n_milestones &&
             self->max_progress * 100.0 + 1e-9 >= self->milestones[self->next_milestone])
        self->next_milestone++;
    }

  while (self->next_milestone < self->n_milestones &&
         self->max_progress * 100.0 + 1e-9 >= self->milestones[self->next_milestone])
    {
      guint percent = self->milestones[self->next_milestone++];
      g_autofree char *title = g_strdup_printf (_("%u %% done"), percent);
      g_autofree char *body = NULL;

      if (self->epochs > 0 && self->epoch >= 1)
        body = g_strdup_printf (_("Epoch %d of %d"), (int) self->epoch, (int) self->epochs);
      add_event (self, events, TW_EVENT_PROGRESS, TW_LEVEL_INFO, title, body);
    }
}

static void
apply_metric (TwRunState          *self,
              const TwObservation *o,
              GPtrArray           *events)
{
  Metric *metric = find_metric (self, o->name);
  double value = o->value;

  if (metric == NULL)
    {
      if (self->metrics->len >= MAX_METRICS)
        return;
      metric = g_new0 (Metric, 1);
      metric->name = g_strdup (o->name);
      metric->direction = direction_for (o->name);
      g_ptr_array_add (self->metrics, metric);
    }
  metric->last = value;
  metric->sub = o->sub;
  add_point (metric, value);

  if (!isfinite (value))
    {
      if (!metric->nan_reported && metric->direction != DIRECTION_NONE)
        {
          g_autofree char *title = g_strdup_printf (isnan (value) ? _("%s is NaN") : _("%s is infinite"),
                                                    metric->name);

          metric->nan_reported = TRUE;
          add_event (self, events, TW_EVENT_NAN_DETECTED, TW_LEVEL_CRITICAL, title, NULL);
        }
      return;
    }

  if (metric->direction == DIRECTION_NONE)
    return;

  if (!metric->has_best)
    {
      metric->best = value;
      metric->has_best = TRUE;
      return;
    }

  if ((metric->direction == DIRECTION_LOWER && value < metric->best) ||
      (metric->direction == DIRECTION_HIGHER && value > metric->best))
    {
      metric->best = value;
      metric->diverging = FALSE;
      /* Evaluation results are few and worth hearing; training steps are many. */
      if (o->sub)
        {
          g_autofree char *shown = format_value (value);
          g_autofree char *title = g_strdup_printf (_("New best %s: %s"), metric->name, shown);

          add_event (self, events, TW_EVENT_NEW_BEST, TW_LEVEL_SUCCESS, title, NULL);
        }
      return;
    }

  if (metric->direction == DIRECTION_LOWER && !o->sub && !metric->diverging && metric->best > 0 &&
      value > metric->best * self->divergence_factor)
    {
      g_autofree char *shown = format_value (value);
      g_autofree char *best = format_value (metric->best);
      g_autofree char *title = g_strdup_printf (_("%s is diverging"), metric->name);
      g_autofree char *body = g_strdup_printf (_("%s is %s; its best was %s."), metric->name, shown, best);

      metric->diverging = TRUE;
      add_event (self, events, TW_EVENT_LOSS_DIVERGING, TW_LEVEL_WARNING, title, body);
    }
}

static void
apply_failure (TwRunState          *self,
               const TwObservation *o,
               GPtrArray           *events)
{
  g_autofree char *title = NULL;
  TwEventKind kind;
  TwLevel level;

  /* The first failure is the run's; what follows is usually its echo. */
  if (self->status == TW_RUN_FAILED || self->status == TW_RUN_STOPPED)
    return;

  self->failure = o->failure;
  g_free (self->exception);
  self->exception = g_strdup (o->exception);
  g_free (self->message);
  self->message = g_strdup (o->message);

  switch (o->failure)
    {
    case TW_FAILURE_OUT_OF_MEMORY:
      self->status = TW_RUN_FAILED;
      kind = TW_EVENT_OUT_OF_MEMORY;
      level = TW_LEVEL_CRITICAL;
      title = g_strdup (_("Out of memory"));
      break;

    case TW_FAILURE_NAN:
      self->status = TW_RUN_FAILED;
      kind = TW_EVENT_NAN_DETECTED;
      level = TW_LEVEL_CRITICAL;
      title = g_strdup (_("The loss went NaN"));
      break;

    case TW_FAILURE_KILLED:
      self->status = TW_RUN_STOPPED;
      kind = TW_EVENT_RUN_STOPPED;
      level = TW_LEVEL_ERROR;
      title = g_strdup (_("Run killed"));
      break;

    case TW_FAILURE_CUDA_ERROR:
    case TW_FAILURE_NCCL_ERROR:
    case TW_FAILURE_EXCEPTION:
    case TW_FAILURE_NONE:
    default:
      self->status = TW_RUN_FAILED;
      kind = TW_EVENT_RUN_FAILED;
      level = TW_LEVEL_ERROR;
      title = o->exception != NULL ? g_strdup_printf (_("Run failed: %s"), o->exception)
                                   : g_strdup (_("Run failed"));
      break;
    }

  add_event (self, events, kind, level, title, o->message);
}

/**
 * tw_run_status_to_string:
 * @status: a #TwRunStatus
 *
 * Returns: the status's stable name ("running", "failed", …)
 */
const char *
tw_run_status_to_string (TwRunStatus status)
{
  g_return_val_if_fail (status < G_N_ELEMENTS (status_names), NULL);

  return status_names[status];
}

/**
 * tw_run_state_new:
 * @job: (nullable): the run's name, given to its events
 *
 * Returns: (transfer full): a waiting run with milestones at 25, 50, 75
 *   and 100 % and a divergence factor of 3
 */
TwRunState *
tw_run_state_new (const char *job)
{
  static const guint default_milestones[] = { 25, 50, 75, 100 };
  TwRunState *self = g_new0 (TwRunState, 1);

  self->job = g_strdup (job);
  self->status = TW_RUN_WAITING;
  self->exit_status = -1;
  self->remaining = -1.0;
  self->elapsed = -1.0;
  self->progress = -1.0;
  self->divergence_factor = DEFAULT_DIVERGENCE_FACTOR;
  self->metrics = g_ptr_array_new_with_free_func ((GDestroyNotify) metric_free);
  tw_run_state_set_milestones (self, default_milestones, G_N_ELEMENTS (default_milestones));

  return self;
}

/**
 * tw_run_state_free:
 * @self: (nullable): a #TwRunState
 *
 * Frees the run's state.
 */
void
tw_run_state_free (TwRunState *self)
{
  if (self == NULL)
    return;

  g_free (self->job);
  g_ptr_array_unref (self->metrics);
  g_free (self->exception);
  g_free (self->message);
  g_free (self);
}

/**
 * tw_run_state_set_joined_late:
 * @self: a waiting #TwRunState
 *
 * Says the run was already under way when its output started being read (a log
 * followed from its end, or from where the daemon stopped reading it): its first
 * output makes no run-started event, and the milestones its first progress has
 * already passed make none either.
 */
void
tw_run_state_set_joined_late (TwRunState *self)
{
  g_return_if_fail (self != NULL);

  if (self->status != TW_RUN_WAITING)
    return;
  self->joined_late = TRUE;
  self->baseline_pending = TRUE;
}

/**
 * tw_run_state_set_milestones:
 * @self: a #TwRunState
 * @percents: (array length=n_percents): ascending percentages, 1 to 100
 * @n_percents: how many (at most 16 are used)
 *
 * Sets the progress milestones that make events.
 */
void
tw_run_state_set_milestones (TwRunState  *self,
                             const guint *percents,
                             guint        n_percents)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (percents != NULL || n_percents == 0);

  self->n_milestones = 0;
  for (guint i = 0; i < n_percents && self->n_milestones < MAX_MILESTONES; i++)
    if (percents[i] >= 1 && percents[i] <= 100 &&
        (self->n_milestones == 0 || percents[i] > self->milestones[self->n_milestones - 1]))
      self->milestones[self->n_milestones++] = percents[i];

  /* Milestones already passed stay passed. */
  self->next_milestone = 0;
  while (self->next_milestone < self->n_milestones &&
         self->max_progress * 100.0 + 1e-9 >= self->milestones[self->next_milestone] && self->progress >= 0)
    self->next_milestone++;
}

/**
 * tw_run_state_set_divergence_factor:
 * @self: a #TwRunState
 * @factor: how many times its best a training loss may grow before it is
 *   called diverging (greater than 1)
 *
 * Sets when a loss-diverging event is made.
 */
void
tw_run_state_set_divergence_factor (TwRunState *self,
                                    double      factor)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (factor > 1.0);

  self->divergence_factor = factor;
}

/**
 * tw_run_state_apply:
 * @self: a #TwRunState
 * @observation: what an extractor saw
 * @events: (element-type TwEvent): where new events are appended
 *
 * Updates the run with one observation and appends the events its changes
 * make: the start, progress milestones, epochs, checkpoints, evaluations,
 * new bests, NaN, divergence, completion and failure. A failure is one
 * event; once a run has failed or was stopped, it stays so.
 */
void
tw_run_state_apply (TwRunState          *self,
                    const TwObservation *o,
                    GPtrArray           *events)
{
  g_autoptr(GPtrArray) discarded = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (o != NULL);
  g_return_if_fail (events != NULL);

  if (o->kind == TW_OBSERVATION_FAILURE)
    {
      start_if_waiting (self, events);
      apply_failure (self, o, events);
      return;
    }

  /* The user's own rules are about lines, whatever the run's state: they match
   * after the end too. */
  if (o->kind == TW_OBSERVATION_RULE && is_over (self))
    {
      add_event (self, events, TW_EVENT_RULE_MATCHED, o->level,
                 o->message != NULL ? o->message : _("Rule matched"), NULL);
      return;
    }

  /* Output after the end (a cleanup message, a second summary) makes no event. A
   * final redraw of the bars and metrics (Lightning's Rich block is printed after
   * "`Trainer.fit` stopped") still updates what the run reached. */
  if (is_over (self))
    {
      if (o->kind == TW_OBSERVATION_PROGRESS || o->kind == TW_OBSERVATION_STEP
          || o->kind == TW_OBSERVATION_EPOCH || o->kind == TW_OBSERVATION_METRIC)
        {
          discarded = g_ptr_array_new_with_free_func (g_object_unref);
          events = discarded;
        }
      else
        {
          return;
        }
    }
  else
    {
      start_if_waiting (self, events);
    }

  switch (o->kind)
    {
    case TW_OBSERVATION_PROGRESS:
      if (o->sub)
        break;
      self->n = o->n;
      self->total = o->total;
      self->remaining = o->remaining;
      self->elapsed = o->elapsed;
      self->have_bar = TRUE;
      update_progress (self, events);
      break;

    case TW_OBSERVATION_STEP:
      if (self->have_bar)
        break;
      self->n = o->n;
      self->total = o->total;
      update_progress (self, events);
      break;

    case TW_OBSERVATION_EPOCH:
      {
        /* A summary line ends its epoch; otherwise the next epoch's start does. */
        gint64 done = o->sub ? o->n : (o->n > self->epoch ? self->epoch : 0);

        if (o->total > 0)
          self->epochs = o->total;
        if (done >= 1 && done > self->epoch_reported)
          {
            g_autofree char *title = self->epochs > 0
              ? g_strdup_printf (_("Epoch %d of %d done"), (int) done, (int) self->epochs)
              : g_strdup_printf (_("Epoch %d done"), (int) done);
            g_autofree char *body = format_metrics (self, FALSE);

            self->epoch_reported = done;
            add_event (self, events, TW_EVENT_EPOCH_COMPLETED, TW_LEVEL_INFO, title, body);
          }
        /* A new epoch's bar starts from nothing; the old bar's fraction was the old epoch's. */
        if (!o->sub && o->n > self->epoch && self->epoch >= 1)
          self->n = 0;
        if (o->n >= 1)
          self->epoch = MAX (self->epoch, o->n);
        update_progress (self, events);
      }
      break;

    case TW_OBSERVATION_METRIC:
      if (o->name != NULL)
        apply_metric (self, o, events);
      break;

    case TW_OBSERVATION_CHECKPOINT:
      add_event (self, events, TW_EVENT_CHECKPOINT_SAVED, TW_LEVEL_INFO, _("Checkpoint saved"), o->message);
      break;

    case TW_OBSERVATION_EVALUATION:
      {
        g_autofree char *body = format_metrics (self, TRUE);

        add_event (self, events, TW_EVENT_EVALUATION_COMPLETED, TW_LEVEL_INFO, _("Evaluation done"), body);
      }
      break;

    case TW_OBSERVATION_COMPLETED:
      {
        g_autofree char *body = format_metrics (self, FALSE);

        self->status = TW_RUN_COMPLETED;
        add_event (self, events, TW_EVENT_RUN_COMPLETED, TW_LEVEL_SUCCESS, _("Run completed"), body);
      }
      break;

    case TW_OBSERVATION_RULE:
      add_event (self, events, TW_EVENT_RULE_MATCHED, o->level,
                 o->message != NULL ? o->message : _("Rule matched"), NULL);
      break;

    case TW_OBSERVATION_FAILURE:
    default:
      break;
    }
}

/**
 * tw_run_state_finish_process:
 * @self: a #TwRunState
 * @exit_status: the command's exit status, or -1 when a signal ended it
 * @signal_number: the signal that ended it, or 0
 * @events: (element-type TwEvent): where new events are appended
 *
 * Ends a wrapped command's run with what its exit says, which is exact
 * where a log can only suggest: 0 completes a run still running, another
 * status fails it, a signal stops it. A failure the log already showed
 * stays the run's failure, with no second event.
 */
void
tw_run_state_finish_process (TwRunState *self,
                             int         exit_status,
                             int         signal_number,
                             GPtrArray  *events)
{
  TwObservation o;

  g_return_if_fail (self != NULL);
  g_return_if_fail (events != NULL);

  self->exit_status = exit_status;
  self->signal_number = signal_number;
  tw_observation_init (&o, TW_OBSERVATION_COMPLETED, 0);

  if (signal_number > 0)
    {
      g_autofree char *message = g_strdup_printf (_("The command was ended by signal %d (%s)."), signal_number,
                                                  g_strsignal (signal_number));

      o.kind = TW_OBSERVATION_FAILURE;
      o.failure = TW_FAILURE_KILLED;
      o.message = message;
      tw_run_state_apply (self, &o, events);
      o.message = NULL;
    }
  else if (exit_status == 0)
    {
      if (self->status == TW_RUN_WAITING || self->status == TW_RUN_RUNNING || self->status == TW_RUN_STALLED)
        tw_run_state_apply (self, &o, events);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("The command exited with status %d."), exit_status);

      o.kind = TW_OBSERVATION_FAILURE;
      o.failure = TW_FAILURE_EXCEPTION;
      o.message = message;
      tw_run_state_apply (self, &o, events);
      o.message = NULL;
    }
}

/**
 * tw_run_state_set_stalled:
 * @self: a #TwRunState
 * @stalled: %TRUE when the run has been silent too long, %FALSE when its
 *   output resumed
 * @silent_seconds: how long it was silent
 * @events: (element-type TwEvent): where new events are appended
 *
 * Marks a running run as stalled (a stalled event) or a stalled one as
 * running again (a resumed event). Runs that have not started or have
 * ended are left as they are.
 */
void
tw_run_state_set_stalled (TwRunState *self,
                          gboolean    stalled,
                          double      silent_seconds,
                          GPtrArray  *events)
{
  int minutes = (int) MAX (1.0, round (silent_seconds / 60.0));
  g_autofree char *body = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (events != NULL);

  if (stalled && self->status == TW_RUN_RUNNING)
    {
      self->status = TW_RUN_STALLED;
      body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "No output for %d minute.", "No output for %d minutes.",
                                           minutes), minutes);
      add_event (self, events, TW_EVENT_STALLED, TW_LEVEL_WARNING, _("Run stalled"), body);
    }
  else if (!stalled && self->status == TW_RUN_STALLED)
    {
      self->status = TW_RUN_RUNNING;
      body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Output resumed after %d minute.",
                                           "Output resumed after %d minutes.", minutes), minutes);
      add_event (self, events, TW_EVENT_RESUMED, TW_LEVEL_INFO, _("Run resumed"), body);
    }
}

/**
 * tw_run_state_get_status:
 * @self: a #TwRunState
 *
 * Returns: what the run is doing
 */
TwRunStatus
tw_run_state_get_status (TwRunState *self)
{
  g_return_val_if_fail (self != NULL, TW_RUN_WAITING);

  return self->status;
}

/**
 * tw_run_state_get_progress:
 * @self: a #TwRunState
 *
 * Returns: the run's overall fraction done, or a negative number when unknown
 */
double
tw_run_state_get_progress (TwRunState *self)
{
  g_return_val_if_fail (self != NULL, -1.0);

  return self->progress;
}

/**
 * tw_run_state_get_eta:
 * @self: a #TwRunState
 *
 * The time the run still needs, from its bar's estimate: the rest of this
 * epoch, plus as long again for each epoch still to come.
 *
 * Returns: seconds, or a negative number when unknown or the run is over
 */
double
tw_run_state_get_eta (TwRunState *self)
{
  double eta;

  g_return_val_if_fail (self != NULL, -1.0);

  if (is_over (self) || self->remaining < 0)
    return -1.0;

  eta = self->remaining;
  /* The bar covers one epoch; each epoch still to come takes as long. */
  if (self->epochs > self->epoch && self->epoch >= 1 && self->elapsed >= 0)
    eta += (double) (self->epochs - self->epoch) * (self->elapsed + self->remaining);

  return eta;
}

static void
add_number_or_null (JsonBuilder *builder,
                    const char  *name,
                    gboolean     known,
                    double       value)
{
  json_builder_set_member_name (builder, name);
  if (known && isfinite (value))
    json_builder_add_double_value (builder, value);
  else if (known)
    json_builder_add_string_value (builder, isnan (value) ? "NaN" : (value > 0 ? "Inf" : "-Inf"));
  else
    json_builder_add_null_value (builder);
}

static void
add_int_or_null (JsonBuilder *builder,
                 const char  *name,
                 gboolean     known,
                 gint64       value)
{
  json_builder_set_member_name (builder, name);
  if (known)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * tw_run_state_add_json:
 * @self: a #TwRunState
 * @builder: a #JsonBuilder inside an object
 *
 * Adds the members `state`, `progress`, `step`, `total`, `epoch`, `epochs`,
 * `eta_seconds`, `metrics` (name → `last`, `best`) and `failure` (null or
 * `kind`, `exception`, `message`). JSON has no NaN: such values are written
 * as the strings "NaN", "Inf" and "-Inf".
 */
void
tw_run_state_add_json (TwRunState  *self,
                       JsonBuilder *builder)
{
  double eta;

  g_return_if_fail (self != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  eta = tw_run_state_get_eta (self);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, status_names[self->status]);
  add_number_or_null (builder, "progress", self->progress >= 0, self->progress);
  add_int_or_null (builder, "step", self->total > 0 || self->n > 0, self->n);
  add_int_or_null (builder, "total", self->total > 0, self->total);
  add_int_or_null (builder, "epoch", self->epoch >= 1, self->epoch);
  add_int_or_null (builder, "epochs", self->epochs > 0, self->epochs);
  add_number_or_null (builder, "eta_seconds", eta >= 0, eta);

  json_builder_set_member_name (builder, "metrics");
  json_builder_begin_object (builder);
  for (guint i = 0; i < self->metrics->len; i++)
    {
      Metric *metric = g_ptr_array_index (self->metrics, i);

      json_builder_set_member_name (builder, metric->name);
      json_builder_begin_object (builder);
      add_number_or_null (builder, "last", TRUE, metric->last);
      add_number_or_null (builder, "best", metric->has_best, metric->best);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  if (self->exit_status >= 0 || self->signal_number > 0)
    {
      add_int_or_null (builder, "exit_status", self->exit_status >= 0, self->exit_status);
      add_int_or_null (builder, "signal", self->signal_number > 0, self->signal_number);
    }

  json_builder_set_member_name (builder, "failure");
  if (self->failure == TW_FAILURE_NONE)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, tw_failure_kind_to_string (self->failure));
      json_builder_set_member_name (builder, "exception");
      json_builder_add_string_value (builder, self->exception);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, self->message);
      json_builder_end_object (builder);
    }
}

/**
 * tw_run_state_add_series_json:
 * @self: a #TwRunState
 * @builder: a #JsonBuilder where a value may be added
 *
 * Adds each metric's bounded, evenly thinned series for plots, as one object:
 * `{"loss": [[0, 2.31], [2, 1.9], …], …}`, where the first number counts the
 * metric's values from 0 and NaN or infinite values are null. At most 128 points
 * a metric, spread over the whole run.
 */
void
tw_run_state_add_series_json (TwRunState  *self,
                              JsonBuilder *builder)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_begin_object (builder);
  for (guint i = 0; i < self->metrics->len; i++)
    {
      const Metric *metric = g_ptr_array_index (self->metrics, i);

      json_builder_set_member_name (builder, metric->name);
      json_builder_begin_array (builder);
      for (guint p = 0; p < metric->n_points; p++)
        {
          json_builder_begin_array (builder);
          json_builder_add_int_value (builder, (gint64) metric->point_x[p]);
          if (isfinite (metric->point_y[p]))
            json_builder_add_double_value (builder, metric->point_y[p]);
          else
            json_builder_add_null_value (builder);
          json_builder_end_array (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}
