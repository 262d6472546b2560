/* tw-overview.c — the daemon's overall state, for the tray icon and the dock
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One state for all runs: idle, running or needing attention, how many runs
 * are running, their mean progress, a label and a tooltip. The jobs say when
 * they changed; the overview recomputes at most once per
 * TW_OVERVIEW_INTERVAL_MS (a log writing thousands of lines a second moves a
 * bar thousands of times), publishes a change at once when the interval has
 * passed and at its end otherwise, so the newest state always arrives and
 * never later than one interval. It is exported as the
 * io.github.trainwatch.Trainwatch.Overview D-Bus interface, which the tray
 * program shows, and drives the dock's launcher entry (tw-launcher.c).
 */
#include "config.h"

#include "tw-overview.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tw-deadline.h"

/* Unseen failures listed one by one; more are only counted. */
#define MAX_UNSEEN 20

/* What the last published state counted of a run. */
#define SHOWN_RUNNING   GINT_TO_POINTER (1)
#define SHOWN_FINISHING GINT_TO_POINTER (2)

typedef struct
{
  char *job;       /* nullable */
  char *title;
} Unseen;

struct _TwOverview
{
  GObject          parent_instance;

  GHashTable      *jobs;          /* TwJob (weak) → its name */
  GPtrArray       *unseen;        /* of Unseen, oldest first, one per run */
  guint            n_dropped;     /* unseen failures beyond MAX_UNSEEN */
  GHashTable      *shown;         /* run name → SHOWN_*, as last computed */

  TwOverviewState  state;         /* the published state */
  guint64          n_changes;
  GSource         *timer;
  gboolean         pending;
  gint64           last_change;   /* monotonic µs */

  GDBusConnection *connection;
  char            *object_path;
  guint            registration_id;
};

G_DEFINE_FINAL_TYPE (TwOverview, tw_overview, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char introspection_xml[] =
  "<node>"
  "  <interface name='" TW_OVERVIEW_INTERFACE "'>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='Running' type='u' access='read'/>"
  "    <property name='Progress' type='d' access='read'/>"
  "    <property name='Label' type='s' access='read'/>"
  "    <property name='Tooltip' type='s' access='read'/>"
  "  </interface>"
  "</node>";

static const char * const status_names[] = {
  [TW_OVERVIEW_IDLE] = "idle",
  [TW_OVERVIEW_RUNNING] = "running",
  [TW_OVERVIEW_ATTENTION] = "attention",
};

static void
unseen_free (gpointer data)
{
  Unseen *unseen = data;

  g_free (unseen->job);
  g_free (unseen->title);
  g_free (unseen);
}

static gboolean
counts_as_running (TwRunStatus status)
{
  /* A stalled run has not ended: it still holds its place and its progress. */
  return status == TW_RUN_RUNNING || status == TW_RUN_STALLED;
}

static char *
dup_failure_text (const TwOverviewFailure *failure)
{
  if (failure->job == NULL)
    return g_strdup (failure->title);

  /* Translators: a run's name and what went wrong with it, e.g. "resnet50: Out of memory" */
  return g_strdup_printf (_("%s: %s"), failure->job, failure->title);
}

/* The value of one of the interface's properties in @state. */
static GVariant *
property_value (const TwOverviewState *state,
                const char            *name)
{
  if (g_str_equal (name, "Status"))
    return g_variant_new_string (status_names[state->status]);
  if (g_str_equal (name, "Running"))
    return g_variant_new_uint32 (state->running);
  if (g_str_equal (name, "Progress"))
    return g_variant_new_double (state->progress);
  if (g_str_equal (name, "Label"))
    return g_variant_new_string (state->label != NULL ? state->label : "");
  if (g_str_equal (name, "Tooltip"))
    return g_variant_new_string (state->tooltip != NULL ? state->tooltip : "");

  return NULL;
}

static void
emit_properties_changed (TwOverview            *self,
                         const TwOverviewState *before,
                         const TwOverviewState *after)
{
  static const char * const names[] = { "Status", "Running", "Progress", "Label", "Tooltip" };
  g_autoptr(GError) error = NULL;
  GVariantBuilder changed;
  gboolean any = FALSE;

  if (self->connection == NULL || self->registration_id == 0)
    return;

  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GVariant) old_value = g_variant_ref_sink (property_value (before, names[i]));
      g_autoptr(GVariant) new_value = g_variant_ref_sink (property_value (after, names[i]));

      if (!g_variant_equal (old_value, new_value))
        {
          g_variant_builder_add (&changed, "{sv}", names[i], new_value);
          any = TRUE;
        }
    }
  if (!any)
    {
      g_variant_builder_clear (&changed);
      return;
    }

  /* Queued on the connection: never waits for a peer. */
  if (!g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      g_variant_new ("(sa{sv}as)", TW_OVERVIEW_INTERFACE, &changed, NULL),
                                      &error))
    g_debug ("Failed to announce the overview's change: %s", error->message);
}

static void queue_update (TwOverview *self);

/* Computes the state from the runs and the unseen failures and publishes it if it changed. */
static void
update (TwOverview *self)
{
  g_auto(TwOverviewState) state = { 0 };
  g_autoptr(GArray) runs = g_array_new (FALSE, FALSE, sizeof (TwOverviewRun));
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  TwOverviewFailure newest = { NULL, NULL };
  gboolean finishing = FALSE;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TwRunState *run = tw_job_get_run_state (key);
      TwOverviewRun entry = { value, tw_run_state_get_status (run), tw_run_state_get_progress (run),
                              tw_run_state_get_eta (run) };

      /* A run that completes since the last state is shown full once before it
       * leaves: the bar fills up, then goes. */
      if (entry.status == TW_RUN_COMPLETED && g_hash_table_lookup (self->shown, entry.name) == SHOWN_RUNNING)
        {
          entry.status = TW_RUN_RUNNING;
          entry.progress = 1.0;
          entry.eta = -1.0;
          finishing = TRUE;
          g_hash_table_insert (shown, g_strdup (entry.name), SHOWN_FINISHING);
        }
      else if (counts_as_running (entry.status))
        {
          g_hash_table_insert (shown, g_strdup (entry.name), SHOWN_RUNNING);
        }
      g_array_append_val (runs, entry);
    }

  if (self->unseen->len > 0)
    {
      Unseen *unseen = g_ptr_array_index (self->unseen, self->unseen->len - 1);

      newest.job = unseen->job;
      newest.title = unseen->title;
    }

  tw_overview_state_compute ((const TwOverviewRun *) (gpointer) runs->data, runs->len,
                             self->unseen->len > 0 ? &newest : NULL, self->unseen->len + self->n_dropped,
                             &state);

  g_hash_table_unref (self->shown);
  self->shown = g_steal_pointer (&shown);

  if (!tw_overview_state_equal (&state, &self->state))
    {
      TwOverviewState before = self->state;

      self->state = state;
      memset (&state, 0, sizeof state);
      emit_properties_changed (self, &before, &self->state);
      tw_overview_state_clear (&before);
      self->last_change = g_get_monotonic_time ();
      self->n_changes++;
      g_signal_emit (self, signals[CHANGED], 0);
    }

  if (finishing)
    queue_update (self);
}

/* The interval since the last published change is over. */
static gboolean
timer_cb (gpointer user_data)
{
  TwOverview *self = user_data;

  self->pending = FALSE;
  update (self);

  return G_SOURCE_CONTINUE;
}

/* One recomputation for any number of changes: now if the last change was
 * published an interval ago, else when the interval is over. */
static void
queue_update (TwOverview *self)
{
  if (self->pending || self->timer == NULL)
    return;

  self->pending = TRUE;
  tw_deadline_set (self->timer, self->last_change + (gint64) TW_OVERVIEW_INTERVAL_MS * 1000);
}

static void
job_changed_cb (TwJob      *job,
                TwOverview *self)
{
  queue_update (self);
}

static gboolean
remove_unseen_of (TwOverview *self,
                  const char *job)
{
  for (guint i = 0; i < self->unseen->len; i++)
    {
      Unseen *unseen = g_ptr_array_index (self->unseen, i);

      if (g_strcmp0 (unseen->job, job) == 0)
        {
          g_ptr_array_remove_index (self->unseen, i);
          return TRUE;
        }
    }

  return FALSE;
}

static void
job_gone_cb (gpointer  data,
             GObject  *where_the_job_was)
{
  TwOverview *self = data;
  g_autofree char *name = NULL;

  g_hash_table_steal_extended (self->jobs, where_the_job_was, NULL, (gpointer *) &name);
  /* The run was replaced or is no longer watched: its failure is old news. */
  if (name != NULL)
    remove_unseen_of (self, name);
  queue_update (self);
}

static void
seen_activate_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  tw_overview_mark_seen (TW_OVERVIEW (user_data), NULL);
}

static GVariant *
handle_get_property (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  TwOverview *self = user_data;
  GVariant *value = property_value (&self->state, property_name);

  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No such property: %s", property_name);

  return value;
}

static const GDBusInterfaceVTable interface_vtable = {
  NULL,
  handle_get_property,
  NULL,
  { 0 },
};

static void
tw_overview_dispose (GObject *object)
{
  TwOverview *self = TW_OVERVIEW (object);

  tw_overview_unexport (self);

  if (self->jobs != NULL)
    {
      GHashTableIter iter;
      gpointer job;

      g_hash_table_iter_init (&iter, self->jobs);
      while (g_hash_table_iter_next (&iter, &job, NULL))
        {
          g_signal_handlers_disconnect_by_data (job, self);
          g_object_weak_unref (job, job_gone_cb, self);
        }
      g_hash_table_remove_all (self->jobs);
    }

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }

  G_OBJECT_CLASS (tw_overview_parent_class)->dispose (object);
}

static void
tw_overview_finalize (GObject *object)
{
  TwOverview *self = TW_OVERVIEW (object);

  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_pointer (&self->unseen, g_ptr_array_unref);
  g_clear_pointer (&self->shown, g_hash_table_unref);
  tw_overview_state_clear (&self->state);

  G_OBJECT_CLASS (tw_overview_parent_class)->finalize (object);
}

static void
tw_overview_class_init (TwOverviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_overview_dispose;
  object_class->finalize = tw_overview_finalize;

  /**
   * TwOverview::changed:
   * @overview: the overview
   *
   * Emitted when the published state changed: at most once per
   * %TW_OVERVIEW_INTERVAL_MS.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
tw_overview_init (TwOverview *self)
{
  self->jobs = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->unseen = g_ptr_array_new_with_free_func (unseen_free);
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* The state before any run: what update() computes from nothing. */
  tw_overview_state_compute (NULL, 0, NULL, 0, &self->state);

  self->timer = tw_deadline_new (timer_cb, self);
}

/**
 * tw_overview_status_to_string:
 * @status: a #TwOverviewStatus
 *
 * Returns: the status's stable name: "idle", "running" or "attention"
 */
const char *
tw_overview_status_to_string (TwOverviewStatus status)
{
  g_return_val_if_fail (status < G_N_ELEMENTS (status_names), NULL);

  return status_names[status];
}

/**
 * tw_overview_format_eta:
 * @seconds: the time a run still needs
 *
 * Formats an estimated time left for a person, rounded up to the minute:
 * "ETA < 1 min", "ETA 12 min", "ETA 2 h 5 min", "ETA 3 d 4 h".
 *
 * Returns: (transfer full) (nullable): the text, or %NULL when @seconds is
 *   negative (unknown) or not a number
 */
char *
tw_overview_format_eta (double seconds)
{
  guint64 minutes;
  guint64 hours;

  if (!(seconds >= 0) || !isfinite (seconds))
    return NULL;

  if (seconds < 60)
    /* Translators: the estimated time left of a run */
    return g_strdup (_("ETA < 1 min"));

  minutes = (guint64) ceil (MIN (seconds, 1e12) / 60.0);
  if (minutes < 60)
    /* Translators: the estimated time left of a run, in minutes */
    return g_strdup_printf (_("ETA %u min"), (guint) minutes);

  hours = minutes / 60;
  if (hours < 24)
    {
      if (minutes % 60 == 0)
        /* Translators: the estimated time left of a run, in hours */
        return g_strdup_printf (_("ETA %u h"), (guint) hours);
      /* Translators: the estimated time left of a run, in hours and minutes */
      return g_strdup_printf (_("ETA %u h %u min"), (guint) hours, (guint) (minutes % 60));
    }

  /* at most 10^12 s: the days fit */
  if (hours % 24 == 0)
    /* Translators: the estimated time left of a run, in days */
    return g_strdup_printf (_("ETA %u d"), (guint) (hours / 24));
  /* Translators: the estimated time left of a run, in days and hours */
  return g_strdup_printf (_("ETA %u d %u h"), (guint) (hours / 24), (guint) (hours % 24));
}

/**
 * tw_overview_state_compute:
 * @runs: (array length=n_runs) (nullable): every run the daemon knows
 * @n_runs: how many
 * @newest_unseen: (nullable): the newest failure the user has not seen, if any
 * @n_unseen: how many failures the user has not seen
 * @out: (out caller-allocates): where the state goes; free its strings with
 *   tw_overview_state_clear()
 *
 * Computes the overall state, a pure function: "attention" while a failure is
 * unseen, else "running" while a run is running or stalled, else "idle"; the
 * mean progress of the running runs that know theirs; the longest of their
 * ETAs; a label ("47 %") and a tooltip of one to two lines (the newest unseen
 * failure, then "2 runs · 47 % · ETA 12 min" or "No runs in progress").
 */
void
tw_overview_state_compute (const TwOverviewRun     *runs,
                           guint                    n_runs,
                           const TwOverviewFailure *newest_unseen,
                           guint                    n_unseen,
                           TwOverviewState         *out)
{
  g_autoptr(GString) tooltip = g_string_new (NULL);
  g_autofree char *eta = NULL;
  double sum = 0;
  guint n_known = 0;

  g_return_if_fail (runs != NULL || n_runs == 0);
  g_return_if_fail ((newest_unseen != NULL) == (n_unseen > 0));
  g_return_if_fail (out != NULL);

  memset (out, 0, sizeof *out);
  out->progress = -1.0;
  out->eta = -1.0;
  out->n_unseen = n_unseen;

  for (guint i = 0; i < n_runs; i++)
    {
      const TwOverviewRun *run = &runs[i];

      if (!counts_as_running (run->status))
        continue;
      out->running++;
      if (run->progress >= 0 && isfinite (run->progress))
        {
          sum += CLAMP (run->progress, 0.0, 1.0);
          n_known++;
        }
      if (run->eta >= 0 && isfinite (run->eta))
        out->eta = MAX (out->eta, run->eta);
    }
  if (n_known > 0)
    out->progress = CLAMP (sum / n_known, 0.0, 1.0);

  if (n_unseen > 0)
    out->status = TW_OVERVIEW_ATTENTION;
  else if (out->running > 0)
    out->status = TW_OVERVIEW_RUNNING;
  else
    out->status = TW_OVERVIEW_IDLE;

  /* Rounded down: "100 %" only when all is done. The epsilon keeps 0.29 at 29. */
  if (out->progress >= 0)
    /* Translators: the overall progress of the running runs, as in the panel; "%%" is a percent sign */
    out->label = g_strdup_printf (_("%d %%"), (int) floor (out->progress * 100.0 + 1e-9));
  else
    out->label = g_strdup ("");

  if (n_unseen > 0)
    {
      g_autofree char *text = dup_failure_text (newest_unseen);

      if (n_unseen > 1)
        /* Translators: the newest failure, then how many others are unseen */
        g_string_append_printf (tooltip, g_dngettext (GETTEXT_PACKAGE, "%s (and %u more)", "%s (and %u more)",
                                                      n_unseen - 1),
                                text, n_unseen - 1);
      else
        g_string_append (tooltip, text);
    }

  eta = tw_overview_format_eta (out->eta);
  if (out->running > 0)
    {
      g_autofree char *runs_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run", "%u runs",
                                                                 out->running),
                                                    out->running);

      if (tooltip->len > 0)
        g_string_append_c (tooltip, '\n');
      if (out->progress >= 0 && eta != NULL)
        /* Translators: the running runs, their overall progress and time left,
         * e.g. "2 runs · 47 % · ETA 12 min" */
        g_string_append_printf (tooltip, _("%s · %s · %s"), runs_text, out->label, eta);
      else if (out->progress >= 0)
        /* Translators: the running runs and their overall progress, e.g. "2 runs · 47 %" */
        g_string_append_printf (tooltip, _("%s · %s"), runs_text, out->label);
      else
        g_string_append (tooltip, runs_text);
    }
  else if (n_unseen == 0)
    {
      g_string_append (tooltip, _("No runs in progress"));
    }

  out->tooltip = g_string_free (g_steal_pointer (&tooltip), FALSE);
}

/**
 * tw_overview_state_clear:
 * @state: a #TwOverviewState
 *
 * Frees the state's strings.
 */
void
tw_overview_state_clear (TwOverviewState *state)
{
  g_return_if_fail (state != NULL);

  g_clear_pointer (&state->label, g_free);
  g_clear_pointer (&state->tooltip, g_free);
}

/**
 * tw_overview_state_equal:
 * @a: a #TwOverviewState
 * @b: another
 *
 * Returns: %TRUE when the two would look the same everywhere they are shown
 */
gboolean
tw_overview_state_equal (const TwOverviewState *a,
                         const TwOverviewState *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->status == b->status && a->running == b->running && a->progress == b->progress &&
         a->n_unseen == b->n_unseen && g_strcmp0 (a->label, b->label) == 0 &&
         g_strcmp0 (a->tooltip, b->tooltip) == 0;
}

/**
 * tw_overview_new:
 *
 * Returns: (transfer full): an overview of no runs
 */
TwOverview *
tw_overview_new (void)
{
  return g_object_new (TW_TYPE_OVERVIEW, NULL);
}

/**
 * tw_overview_track_job:
 * @self: a #TwOverview
 * @job: a run of the daemon
 *
 * Counts @job in the overview from now on, for as long as it exists: its
 * changes update the overview, and so does its end (finalization). The
 * overview holds no reference to it.
 */
void
tw_overview_track_job (TwOverview *self,
                       TwJob      *job)
{
  g_return_if_fail (TW_IS_OVERVIEW (self));
  g_return_if_fail (TW_IS_JOB (job));

  if (g_hash_table_contains (self->jobs, job))
    return;

  g_hash_table_insert (self->jobs, job, g_strdup (tw_job_get_name (job)));
  g_object_weak_ref (G_OBJECT (job), job_gone_cb, self);
  g_signal_connect (job, "changed", G_CALLBACK (job_changed_cb), self);
  queue_update (self);
}

/**
 * tw_overview_post_event:
 * @self: a #TwOverview
 * @event: an event the daemon accepted
 *
 * Notes an event: one at error level or worse (a failure, out of memory,
 * NaN, a run killed, an error of the user's rules or of `trainwatch send`)
 * is unseen until tw_overview_mark_seen(), and the overview needs
 * attention meanwhile. A run's newer failure replaces its older one.
 */
void
tw_overview_post_event (TwOverview *self,
                        TwEvent    *event)
{
  Unseen *unseen;

  g_return_if_fail (TW_IS_OVERVIEW (self));
  g_return_if_fail (TW_IS_EVENT (event));

  if (tw_event_get_level (event) < TW_LEVEL_ERROR)
    return;

  if (tw_event_get_job (event) != NULL)
    remove_unseen_of (self, tw_event_get_job (event));
  if (self->unseen->len == MAX_UNSEEN)
    {
      g_ptr_array_remove_index (self->unseen, 0);
      self->n_dropped++;
    }

  unseen = g_new0 (Unseen, 1);
  unseen->job = g_strdup (tw_event_get_job (event));
  unseen->title = g_strdup (tw_event_get_title (event));
  g_ptr_array_add (self->unseen, unseen);
  queue_update (self);
}

/**
 * tw_overview_mark_seen:
 * @self: a #TwOverview
 * @job: (nullable): the run whose failure the user saw, or %NULL for all
 *
 * Marks unseen failures as seen: all of them (the user opened the tray's
 * menu: the `app.seen` action) or one run's (the user acted on its
 * notification).
 */
void
tw_overview_mark_seen (TwOverview *self,
                       const char *job)
{
  g_return_if_fail (TW_IS_OVERVIEW (self));

  if (job == NULL)
    {
      if (self->unseen->len == 0 && self->n_dropped == 0)
        return;
      g_ptr_array_set_size (self->unseen, 0);
      self->n_dropped = 0;
    }
  else if (!remove_unseen_of (self, job))
    {
      return;
    }

  queue_update (self);
}

/**
 * tw_overview_add_actions:
 * @self: a #TwOverview
 * @map: the application's action map
 *
 * Adds the `seen` action (no parameter), which marks every failure seen. The
 * tray program activates it as `app.seen` when its menu opens.
 */
void
tw_overview_add_actions (TwOverview *self,
                         GActionMap *map)
{
  g_autoptr(GSimpleAction) seen = NULL;

  g_return_if_fail (TW_IS_OVERVIEW (self));
  g_return_if_fail (G_IS_ACTION_MAP (map));

  seen = g_simple_action_new ("seen", NULL);
  g_signal_connect_object (seen, "activate", G_CALLBACK (seen_activate_cb), self, 0);
  g_action_map_add_action (map, G_ACTION (seen));
}

/**
 * tw_overview_get_state:
 * @self: a #TwOverview
 *
 * Returns: (transfer none): the state as last published
 */
const TwOverviewState *
tw_overview_get_state (TwOverview *self)
{
  g_return_val_if_fail (TW_IS_OVERVIEW (self), NULL);

  return &self->state;
}

/**
 * tw_overview_get_n_changes:
 * @self: a #TwOverview
 *
 * Returns: how many times the published state changed
 */
guint64
tw_overview_get_n_changes (TwOverview *self)
{
  g_return_val_if_fail (TW_IS_OVERVIEW (self), 0);

  return self->n_changes;
}

/**
 * tw_overview_export:
 * @self: a #TwOverview
 * @connection: a D-Bus connection
 * @object_path: where to export
 * @error: return location for a #GError
 *
 * Exports the state as the read-only properties Status (s: "idle",
 * "running", "attention"), Running (u), Progress (d, -1 when unknown),
 * Label (s) and Tooltip (s) of the io.github.trainwatch.Trainwatch.Overview
 * interface at @object_path, with PropertiesChanged for each change.
 *
 * Returns: %TRUE on success
 */
gboolean
tw_overview_export (TwOverview       *self,
                    GDBusConnection  *connection,
                    const char       *object_path,
                    GError          **error)
{
  g_autoptr(GDBusNodeInfo) info = NULL;

  g_return_val_if_fail (TW_IS_OVERVIEW (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (g_variant_is_object_path (object_path), FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return FALSE;

  self->registration_id = g_dbus_connection_register_object (connection, object_path, info->interfaces[0],
                                                             &interface_vtable, self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;

  self->connection = g_object_ref (connection);
  self->object_path = g_strdup (object_path);
  return TRUE;
}

/**
 * tw_overview_unexport:
 * @self: a #TwOverview
 *
 * Takes the interface off the bus, if it was exported.
 */
void
tw_overview_unexport (TwOverview *self)
{
  g_return_if_fail (TW_IS_OVERVIEW (self));

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->object_path, g_free);
}

/**
 * tw_overview_add_json:
 * @self: a #TwOverview
 * @builder: a #JsonBuilder inside an object
 *
 * Adds the published state as the members `status`, `running`, `progress`
 * (null when unknown), `eta_seconds` (null when unknown), `label`,
 * `tooltip`, `unseen_failures` (the newest unseen failures, oldest first,
 * each `job` and `title`), `unseen_count` and `changes` (how many times the
 * state changed since the daemon started).
 */
void
tw_overview_add_json (TwOverview  *self,
                      JsonBuilder *builder)
{
  g_return_if_fail (TW_IS_OVERVIEW (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status_names[self->state.status]);
  json_builder_set_member_name (builder, "running");
  json_builder_add_int_value (builder, self->state.running);
  json_builder_set_member_name (builder, "progress");
  if (self->state.progress >= 0)
    json_builder_add_double_value (builder, self->state.progress);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "eta_seconds");
  if (self->state.eta >= 0)
    json_builder_add_double_value (builder, self->state.eta);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "label");
  json_builder_add_string_value (builder, self->state.label);
  json_builder_set_member_name (builder, "tooltip");
  json_builder_add_string_value (builder, self->state.tooltip);
  json_builder_set_member_name (builder, "unseen_failures");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->unseen->len; i++)
    {
      Unseen *unseen = g_ptr_array_index (self->unseen, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "job");
      json_builder_add_string_value (builder, unseen->job);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, unseen->title);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "unseen_count");
  json_builder_add_int_value (builder, self->unseen->len + self->n_dropped);
  json_builder_set_member_name (builder, "changes");
  json_builder_add_int_value (builder, (gint64) self->n_changes);
}
