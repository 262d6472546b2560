/* tw-held.c — what happened while notifications were held, and its one summary
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While Do Not Disturb is on, the router counts here each event it kept from
 * a channel (and each critical one it let through), by what it means for the
 * run: finished, failed, stopped, stalled, started, or anything else. When
 * Do Not Disturb ends, the channel gets one summary built from these counts
 * instead of a replay. The events themselves are in the history journal; the
 * counts are small and bounded whatever happens, and can be saved as JSON so
 * that a restart of the daemon keeps them.
 */
#include "config.h"

#include "tw-held.h"

#include <glib/gi18n.h>

/* Run names kept per category for the summary ("resnet50, bert, …"). */
#define MAX_NAMES 3

typedef enum
{
  CATEGORY_FINISHED,
  CATEGORY_FAILED,
  CATEGORY_STOPPED,
  CATEGORY_STALLED,
  CATEGORY_STARTED,
  CATEGORY_OTHER,
  N_CATEGORIES
} Category;

static const char * const category_names[N_CATEGORIES] = {
  [CATEGORY_FINISHED] = "finished",
  [CATEGORY_FAILED] = "failed",
  [CATEGORY_STOPPED] = "stopped",
  [CATEGORY_STALLED] = "stalled",
  [CATEGORY_STARTED] = "started",
  [CATEGORY_OTHER] = "other",
};

typedef struct
{
  guint      count;
  GPtrArray *names;   /* of char *, at most MAX_NAMES, each once */
  gboolean   more;    /* other runs beyond those names */
} Tally;

struct _TwHeld
{
  gint64   since;      /* time of the first event counted, µs; 0 when none */
  guint    n_held;     /* events kept from the channel */
  TwLevel  max_level;  /* the highest level among them */
  Tally    tallies[N_CATEGORIES];
};

G_DEFINE_QUARK (tw-held-error-quark, tw_held_error)

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static Category
category_of (TwEventKind kind)
{
  switch (kind)
    {
    case TW_EVENT_RUN_COMPLETED:
      return CATEGORY_FINISHED;

    case TW_EVENT_RUN_FAILED:
    case TW_EVENT_OUT_OF_MEMORY:
    case TW_EVENT_NAN_DETECTED:
      return CATEGORY_FAILED;

    case TW_EVENT_RUN_STOPPED:
      return CATEGORY_STOPPED;

    case TW_EVENT_STALLED:
      return CATEGORY_STALLED;

    case TW_EVENT_RUN_STARTED:
      return CATEGORY_STARTED;

    default:
      return CATEGORY_OTHER;
    }
}

static void
tally_add_name (Tally      *tally,
                const char *name)
{
  for (guint i = 0; i < tally->names->len; i++)
    if (g_str_equal (g_ptr_array_index (tally->names, i), name))
      return;

  if (tally->names->len < MAX_NAMES)
    g_ptr_array_add (tally->names, g_strdup (name));
  else
    tally->more = TRUE;
}

/* Translators: one line of the summary shown when notifications resume;
 * the first form has no run names, the second lists them ("resnet50, bert") */
static char *
format_line (Category    category,
             guint       n,
             const char *names)
{
  switch (category)
    {
    case CATEGORY_FINISHED:
      if (names == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run finished",
                                             "%u runs finished", n),
                                n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run finished: %s",
                                           "%u runs finished: %s", n),
                              n, names);
    case CATEGORY_FAILED:
      if (names == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run failed",
                                             "%u runs failed", n),
                                n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run failed: %s",
                                           "%u runs failed: %s", n),
                              n, names);
    case CATEGORY_STOPPED:
      if (names == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run was stopped",
                                             "%u runs were stopped", n),
                                n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run was stopped: %s",
                                           "%u runs were stopped: %s", n),
                              n, names);
    case CATEGORY_STALLED:
      if (names == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run stalled",
                                             "%u runs stalled", n),
                                n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run stalled: %s",
                                           "%u runs stalled: %s", n),
                              n, names);
    case CATEGORY_STARTED:
      if (names == NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run started",
                                             "%u runs started", n),
                                n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u run started: %s",
                                           "%u runs started: %s", n),
                              n, names);
    case CATEGORY_OTHER:
    case N_CATEGORIES:
    default:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u other notification",
                                           "%u other notifications", n),
                              n);
    }
}

static char *
dup_names (const Tally *tally)
{
  GString *out;

  if (tally->names->len == 0)
    return NULL;

  out = g_string_new (NULL);
  for (guint i = 0; i < tally->names->len; i++)
    {
      if (i > 0)
        /* Translators: separates run names in a list */
        g_string_append (out, _(", "));
      g_string_append (out, g_ptr_array_index (tally->names, i));
    }
  if (tally->more)
    g_string_append (out, _(", …"));

  return g_string_free (out, FALSE);
}

/**
 * tw_held_new:
 *
 * Returns: (transfer full): an empty count
 */
TwHeld *
tw_held_new (void)
{
  TwHeld *self = g_new0 (TwHeld, 1);

  for (guint i = 0; i < N_CATEGORIES; i++)
    self->tallies[i].names = g_ptr_array_new_with_free_func (g_free);

  return self;
}

/**
 * tw_held_free:
 * @self: (nullable): a count
 *
 * Frees @self.
 */
void
tw_held_free (TwHeld *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < N_CATEGORIES; i++)
    g_ptr_array_unref (self->tallies[i].names);
  g_free (self);
}

/**
 * tw_held_add:
 * @self: a count
 * @event: an event that happened while notifications were held
 * @held: %TRUE if it was kept from the channel, %FALSE if it went through
 *   (a critical one)
 *
 * Counts @event for the summary. Events that went through are part of what
 * happened and appear in the summary, but only held ones make a summary
 * worth showing.
 */
void
tw_held_add (TwHeld   *self,
             TwEvent  *event,
             gboolean  held)
{
  Tally *tally;

  g_return_if_fail (self != NULL);
  g_return_if_fail (TW_IS_EVENT (event));

  if (self->since == 0)
    self->since = tw_event_get_time (event);
  if (held)
    {
      self->n_held++;
      self->max_level = MAX (self->max_level, tw_event_get_level (event));
    }

  tally = &self->tallies[category_of (tw_event_get_kind (event))];
  tally->count++;
  if (tw_event_get_job (event) != NULL)
    tally_add_name (tally, tw_event_get_job (event));
}

/**
 * tw_held_get_n_held:
 * @self: a count
 *
 * Returns: how many events were kept from the channel
 */
guint
tw_held_get_n_held (const TwHeld *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_held;
}

/**
 * tw_held_get_since:
 * @self: a count
 *
 * Returns: when the first counted event happened (µs since the epoch), or 0
 *   when nothing was counted
 */
gint64
tw_held_get_since (const TwHeld *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->since;
}

/**
 * tw_held_dup_summary:
 * @self: a count
 *
 * Builds the one notification that sums up what happened while
 * notifications were held: a title and one line per kind of outcome
 * ("2 runs finished: resnet50, bert"), most important first. It is at error
 * level if a held event was an error or worse (a failure nobody saw yet), so
 * that it stays on screen; otherwise at info level.
 *
 * Returns: (transfer full) (nullable): the summary event (no job), or %NULL
 *   when nothing was held
 */
TwEvent *
tw_held_dup_summary (const TwHeld *self)
{
  static const Category order[] = {
    CATEGORY_FAILED, CATEGORY_STOPPED, CATEGORY_STALLED,
    CATEGORY_FINISHED, CATEGORY_STARTED, CATEGORY_OTHER,
  };
  g_autoptr(GString) body = g_string_new (NULL);
  TwLevel level;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->n_held == 0)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const Tally *tally = &self->tallies[order[i]];
      g_autofree char *names = NULL;
      g_autofree char *line = NULL;

      if (tally->count == 0)
        continue;

      names = order[i] != CATEGORY_OTHER ? dup_names (tally) : NULL;
      line = format_line (order[i], tally->count, names);
      if (body->len > 0)
        g_string_append_c (body, '\n');
      g_string_append (body, line);
    }

  level = self->max_level >= TW_LEVEL_ERROR ? TW_LEVEL_ERROR : TW_LEVEL_INFO;
  return tw_event_new (TW_EVENT_MESSAGE, level, NULL, _("While notifications were paused"),
                       body->str);
}

/**
 * tw_held_to_json:
 * @self: a count
 *
 * Returns: (transfer full): the count as a JSON object, for
 *   tw_held_new_from_json()
 */
JsonNode *
tw_held_to_json (const TwHeld *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "since");
  json_builder_add_int_value (builder, self->since);
  json_builder_set_member_name (builder, "held");
  json_builder_add_int_value (builder, self->n_held);
  json_builder_set_member_name (builder, "max_level");
  json_builder_add_string_value (builder, tw_level_to_string (self->max_level));
  for (guint i = 0; i < N_CATEGORIES; i++)
    {
      const Tally *tally = &self->tallies[i];

      if (tally->count == 0)
        continue;

      json_builder_set_member_name (builder, category_names[i]);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, tally->count);
      json_builder_set_member_name (builder, "names");
      json_builder_begin_array (builder);
      for (guint j = 0; j < tally->names->len; j++)
        json_builder_add_string_value (builder, g_ptr_array_index (tally->names, j));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "more");
      json_builder_add_boolean_value (builder, tally->more);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
get_count (JsonObject *object,
           const char *member,
           guint      *out_count)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 value;

  if (!holds (node, G_TYPE_INT64))
    return FALSE;

  value = json_node_get_int (node);
  if (value < 0 || value > G_MAXUINT)
    return FALSE;

  *out_count = (guint) value;
  return TRUE;
}

static gboolean
load_tally (Tally      *tally,
            JsonObject *object)
{
  JsonNode *names = json_object_get_member (object, "names");
  JsonNode *more = json_object_get_member (object, "more");

  if (!get_count (object, "count", &tally->count) || tally->count == 0 ||
      names == NULL || !JSON_NODE_HOLDS_ARRAY (names) || !holds (more, G_TYPE_BOOLEAN))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (names)); i++)
    {
      JsonNode *name = json_array_get_element (json_node_get_array (names), i);

      if (!holds (name, G_TYPE_STRING) || !g_utf8_validate (json_node_get_string (name), -1, NULL))
        return FALSE;
      tally_add_name (tally, json_node_get_string (name));
    }
  tally->more |= json_node_get_boolean (more);

  return TRUE;
}

/**
 * tw_held_new_from_json:
 * @node: what tw_held_to_json() returned
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the count, or %NULL with
 *   %TW_HELD_ERROR_INVALID when @node is not one
 */
TwHeld *
tw_held_new_from_json (JsonNode  *node,
                       GError   **error)
{
  g_autoptr(TwHeld) self = tw_held_new ();
  JsonObject *object;
  JsonNode *since;
  JsonNode *level;

  g_return_val_if_fail (node != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto invalid;
  object = json_node_get_object (node);

  since = json_object_get_member (object, "since");
  if (!holds (since, G_TYPE_INT64) || json_node_get_int (since) < 0)
    goto invalid;
  self->since = json_node_get_int (since);
  if (!get_count (object, "held", &self->n_held))
    goto invalid;
  level = json_object_get_member (object, "max_level");
  if (!holds (level, G_TYPE_STRING) ||
      !tw_level_from_string (json_node_get_string (level), &self->max_level))
    goto invalid;

  for (guint i = 0; i < N_CATEGORIES; i++)
    {
      JsonNode *member = json_object_get_member (object, category_names[i]);

      if (member == NULL)
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (member))
        goto invalid;
      if (!load_tally (&self->tallies[i], json_node_get_object (member)))
        goto invalid;
    }

  return g_steal_pointer (&self);

invalid:
  g_set_error_literal (error, TW_HELD_ERROR, TW_HELD_ERROR_INVALID,
                       _("Not a count of held notifications"));
  return NULL;
}
