/* tw-dnd-time.c — the times of Do Not Disturb: quiet hours and how long a pause lasts
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure functions: text in, times out, with "now" always passed in, so every
 * case (midnight, a daylight-saving change) is a row in a unit test.
 */
#include "config.h"

#include "tw-dnd-time.h"

#include <glib/gi18n.h>
#include <string.h>

#define MINUTES_PER_DAY (24 * 60)
/* "tomorrow" ends a pause at this hour… */
#define MORNING_HOUR 8
/* …of the same day when it is said before this hour (still “tonight”). */
#define NIGHT_END_HOUR 4

typedef struct
{
  guint start;   /* minutes after midnight, local time */
  guint end;     /* the same; below start when the range crosses midnight */
} Range;

struct _TwQuietHours
{
  GArray *ranges;   /* of Range, in the order written */
};

G_DEFINE_QUARK (tw-dnd-time-error-quark, tw_dnd_time_error)

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* Reads "H:MM" or "HH:MM" at *p; 24:00 only when @allow_24 (an end). */
static gboolean
parse_clock (const char **p,
             gboolean     allow_24,
             guint       *out_minutes)
{
  const char *s = *p;
  guint hours = 0;
  guint minutes;
  int digits = 0;

  while (g_ascii_isdigit (*s) && digits < 2)
    {
      hours = hours * 10 + (*s - '0');
      s++;
      digits++;
    }
  if (digits == 0 || *s != ':' || !g_ascii_isdigit (s[1]) || !g_ascii_isdigit (s[2]) ||
      g_ascii_isdigit (s[3]))
    return FALSE;

  minutes = (s[1] - '0') * 10 + (s[2] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && (!allow_24 || minutes != 0)))
    return FALSE;

  *out_minutes = (hours * 60 + minutes) % MINUTES_PER_DAY;
  *p = s + 3;
  return TRUE;
}

static gboolean
in_range (const Range *range,
          guint        minute)
{
  if (range->start < range->end)
    return minute >= range->start && minute < range->end;

  /* crosses midnight: 22:00-07:30 */
  return minute >= range->start || minute < range->end;
}

static GDateTime *
at_minute_of_day (GDateTime *day,
                  guint      minute)
{
  return g_date_time_new (g_date_time_get_timezone (day), g_date_time_get_year (day),
                          g_date_time_get_month (day), g_date_time_get_day_of_month (day),
                          minute / 60, minute % 60, 0);
}

static gint
compare_times (gconstpointer a,
               gconstpointer b)
{
  return g_date_time_compare (*(GDateTime * const *) a, *(GDateTime * const *) b);
}

/**
 * tw_quiet_hours_parse:
 * @text: (nullable): ranges of local time such as `22:00-07:30`, separated by
 *   commas; empty or %NULL for none
 * @error: return location for a #GError
 *
 * Reads the config's `quiet-hours`. A range may cross midnight (`22:00-07:30`
 * is from 22:00 to 07:30 the next morning); `24:00` may end a range. A range
 * whose start and end are the same is refused: it is not clear whether it
 * means no time or the whole day.
 *
 * Returns: (transfer full) (nullable): the quiet hours, or %NULL with
 *   %TW_DND_TIME_ERROR_INVALID
 */
TwQuietHours *
tw_quiet_hours_parse (const char  *text,
                      GError     **error)
{
  g_autoptr(TwQuietHours) self = g_new0 (TwQuietHours, 1);
  const char *p = text != NULL ? skip_spaces (text) : "";

  self->ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  if (*p == '\0')
    return g_steal_pointer (&self);

  for (;;)
    {
      Range range;

      if (!parse_clock (&p, FALSE, &range.start))
        goto invalid;
      p = skip_spaces (p);
      if (*p != '-' && strncmp (p, "–", strlen ("–")) != 0)
        goto invalid;
      p += *p == '-' ? 1 : strlen ("–");
      p = skip_spaces (p);
      if (!parse_clock (&p, TRUE, &range.end))
        goto invalid;
      if (range.start == range.end)
        {
          g_set_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID,
                       _("“%s”: a range of quiet hours must not start and end at the same time"),
                       text);
          return NULL;
        }
      g_array_append_val (self->ranges, range);

      p = skip_spaces (p);
      if (*p == '\0')
        break;
      if (*p != ',')
        goto invalid;
      p = skip_spaces (p + 1);
    }

  return g_steal_pointer (&self);

invalid:
  g_set_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID,
               _("“%s” is not a range of times such as 22:00-07:30"), text);
  return NULL;
}

/**
 * tw_quiet_hours_free:
 * @self: (nullable): quiet hours
 *
 * Frees @self.
 */
void
tw_quiet_hours_free (TwQuietHours *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->ranges, g_array_unref);
  g_free (self);
}

/**
 * tw_quiet_hours_is_empty:
 * @self: quiet hours
 *
 * Returns: whether @self has no range (the config leaves `quiet-hours` empty)
 */
gboolean
tw_quiet_hours_is_empty (const TwQuietHours *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->ranges->len == 0;
}

/**
 * tw_quiet_hours_to_string:
 * @self: quiet hours
 *
 * Returns: (transfer full): the ranges as the config writes them,
 *   `22:00-07:30, 12:00-13:00`; empty when there are none
 */
char *
tw_quiet_hours_to_string (const TwQuietHours *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->ranges->len; i++)
    {
      const Range *range = &g_array_index (self->ranges, Range, i);

      g_string_append_printf (out, "%s%02u:%02u-%02u:%02u", i > 0 ? ", " : "", range->start / 60,
                              range->start % 60, range->end / 60, range->end % 60);
    }

  return g_string_free (out, FALSE);
}

/**
 * tw_quiet_hours_contains:
 * @self: quiet hours
 * @now: the time to check, in the time zone whose clock the ranges follow
 *
 * Returns: whether @now falls within a range
 */
gboolean
tw_quiet_hours_contains (const TwQuietHours *self,
                         GDateTime          *now)
{
  guint minute;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  minute = g_date_time_get_hour (now) * 60 + g_date_time_get_minute (now);
  for (guint i = 0; i < self->ranges->len; i++)
    if (in_range (&g_array_index (self->ranges, Range, i), minute))
      return TRUE;

  return FALSE;
}

/* Adds the instant in (@from, @to] at which the time zone's offset from UTC
 * changes (the clock jumps), to the second, found by bisection; nothing if
 * the offset is the same at both ends. */
static void
add_transitions (GPtrArray *out,
                 GDateTime *from,
                 GDateTime *to)
{
  g_autoptr(GDateTime) lo = g_date_time_ref (from);
  g_autoptr(GDateTime) hi = g_date_time_ref (to);

  if (g_date_time_get_utc_offset (from) == g_date_time_get_utc_offset (to))
    return;

  /* one change per hour at most, in any real time zone */
  while (g_date_time_difference (hi, lo) > G_TIME_SPAN_SECOND)
    {
      GDateTime *mid = g_date_time_add (lo, g_date_time_difference (hi, lo) / 2);

      if (g_date_time_get_utc_offset (mid) == g_date_time_get_utc_offset (lo))
        {
          g_date_time_unref (lo);
          lo = mid;
        }
      else
        {
          g_date_time_unref (hi);
          hi = mid;
        }
    }

  /* Time zones change on whole seconds: the first one after lo. */
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (g_date_time_to_unix (lo) + 1);
    GDateTime *exact = NULL;

    if (utc != NULL)
      exact = g_date_time_to_timezone (utc, g_date_time_get_timezone (from));

    if (exact != NULL && g_date_time_get_utc_offset (exact) == g_date_time_get_utc_offset (hi))
      g_ptr_array_add (out, exact);
    else
      {
        g_clear_pointer (&exact, g_date_time_unref);
        g_ptr_array_add (out, g_steal_pointer (&hi));
      }
  }
}

/* Adds each instant, in @day's time zone, whose clock reads @minute on the
 * date of @day, trying each of @offsets: none in a gap, two in a repeated hour. */
static void
add_boundaries (GPtrArray *out,
                GDateTime *day,
                guint      minute,
                GArray    *offsets)
{
  for (guint i = 0; i < offsets->len; i++)
    {
      g_autoptr(GDateTime) wall = g_date_time_new_utc (g_date_time_get_year (day),
                                                       g_date_time_get_month (day),
                                                       g_date_time_get_day_of_month (day),
                                                       minute / 60, minute % 60, 0);
      g_autoptr(GDateTime) instant = NULL;
      GDateTime *local;

      if (wall == NULL)
        continue;
      instant = g_date_time_add (wall, -g_array_index (offsets, GTimeSpan, i));
      local = g_date_time_to_timezone (instant, g_date_time_get_timezone (day));
      if (local != NULL &&
          g_date_time_get_day_of_month (local) == g_date_time_get_day_of_month (day) &&
          (guint) (g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local)) == minute)
        g_ptr_array_add (out, local);
      else
        g_clear_pointer (&local, g_date_time_unref);
    }
}

/**
 * tw_quiet_hours_next_change:
 * @self: quiet hours
 * @now: the current time, in the time zone whose clock the ranges follow
 *
 * Finds when quiet hours next start or end: the first instant after @now at
 * which tw_quiet_hours_contains() gives another answer than for @now. That
 * is where the clock reads the start or end of a range (ranges that overlap
 * or touch make one stretch), or where a daylight-saving change makes the
 * clock jump into or out of a range; a time the clock reads twice is
 * considered both times.
 *
 * Returns: (transfer full) (nullable): that instant, or %NULL when it never
 *   changes (no ranges, or ranges that cover the whole day)
 */
GDateTime *
tw_quiet_hours_next_change (const TwQuietHours *self,
                            GDateTime          *now)
{
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GArray) offsets = g_array_new (FALSE, FALSE, sizeof (GTimeSpan));
  gboolean inside;
  guint n_transitions;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  if (self->ranges->len == 0)
    return NULL;

  candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_date_time_unref);
  inside = tw_quiet_hours_contains (self, now);

  /* Every hour of the next three days, for the clock's jumps and offsets. */
  g_array_append_val (offsets, (GTimeSpan) { g_date_time_get_utc_offset (now) });
  for (int hour = 0; hour < 3 * 24; hour++)
    {
      g_autoptr(GDateTime) from = g_date_time_add_hours (now, hour);
      g_autoptr(GDateTime) to = g_date_time_add_hours (now, hour + 1);

      add_transitions (candidates, from, to);
    }
  n_transitions = candidates->len;
  for (guint i = 0; i < n_transitions; i++)
    {
      GTimeSpan offset = g_date_time_get_utc_offset (g_ptr_array_index (candidates, i));

      g_array_append_val (offsets, offset);
    }

  /* Every boundary today and in the next two days: the change is among them. */
  for (int day = 0; day <= 2; day++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_days (now, day);

      for (guint i = 0; i < self->ranges->len; i++)
        {
          const Range *range = &g_array_index (self->ranges, Range, i);

          add_boundaries (candidates, date, range->start, offsets);
          add_boundaries (candidates, date, range->end, offsets);
        }
    }
  g_ptr_array_sort (candidates, compare_times);

  for (guint i = 0; i < candidates->len; i++)
    {
      GDateTime *candidate = g_ptr_array_index (candidates, i);

      if (g_date_time_compare (candidate, now) > 0 &&
          tw_quiet_hours_contains (self, candidate) != inside)
        return g_date_time_ref (candidate);
    }

  return NULL;
}

/* "2h30m", "90m", "1d", "45 min": the number of minutes, or 0 when not a duration. */
static gint64
parse_duration_minutes (const char *text)
{
  const char *p = text;
  gint64 total = 0;
  gboolean any = FALSE;

  while (*(p = skip_spaces (p)) != '\0')
    {
      gint64 number = 0;
      gint64 unit;
      int digits = 0;

      while (g_ascii_isdigit (*p))
        {
          if (++digits > 6)
            return 0;
          number = number * 10 + (*p - '0');
          p++;
        }
      if (digits == 0)
        return 0;
      p = skip_spaces (p);

      if (g_ascii_strncasecmp (p, "min", 3) == 0)
        {
          unit = 1;
          p += 3;
        }
      else if (g_ascii_tolower (*p) == 'm')
        {
          unit = 1;
          p++;
        }
      else if (g_ascii_tolower (*p) == 'h')
        {
          unit = 60;
          p++;
        }
      else if (g_ascii_tolower (*p) == 'd')
        {
          unit = MINUTES_PER_DAY;
          p++;
        }
      else
        return 0;

      total += number * unit;
      any = TRUE;
      if (total > (gint64) TW_PAUSE_MAX_DAYS * MINUTES_PER_DAY + 1)
        return total;
    }

  return any ? total : 0;
}

/**
 * tw_pause_parse_until:
 * @text: how long to pause, as `trainwatch pause` and the `app.pause`
 *   action take it
 * @now: the current local time
 * @error: return location for a #GError
 *
 * Works out when a pause ends. @text is one of:
 *
 * - a duration: a number with a unit `d`, `h` or `m` (or `min`), possibly
 *   several (`2h30m`), at most %TW_PAUSE_MAX_DAYS days;
 * - `tomorrow`: until 08:00 the next morning (said before 04:00, that is
 *   08:00 the same day);
 * - a time of day `HH:MM`: its next occurrence after @now.
 *
 * Returns: (transfer full) (nullable): when the pause ends, always after
 *   @now, or %NULL with %TW_DND_TIME_ERROR_INVALID and a message for the user
 */
GDateTime *
tw_pause_parse_until (const char  *text,
                      GDateTime   *now,
                      GError     **error)
{
  g_autofree char *stripped = NULL;
  const char *p;
  guint minute;
  gint64 minutes;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  stripped = g_strstrip (g_strdup (text));

  if (g_ascii_strcasecmp (stripped, "tomorrow") == 0)
    {
      g_autoptr(GDateTime) day = g_date_time_get_hour (now) < NIGHT_END_HOUR
                                 ? g_date_time_ref (now)
                                 : g_date_time_add_days (now, 1);

      return at_minute_of_day (day, MORNING_HOUR * 60);
    }

  p = stripped;
  if (parse_clock (&p, FALSE, &minute) && *p == '\0')
    {
      g_autoptr(GDateTime) today = at_minute_of_day (now, minute);
      g_autoptr(GDateTime) tomorrow = NULL;

      if (today != NULL && g_date_time_compare (today, now) > 0)
        return g_steal_pointer (&today);
      tomorrow = g_date_time_add_days (now, 1);
      return at_minute_of_day (tomorrow, minute);
    }

  minutes = parse_duration_minutes (stripped);
  if (minutes > (gint64) TW_PAUSE_MAX_DAYS * MINUTES_PER_DAY)
    {
      g_set_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A pause lasts at most %d day; to pause until you resume, "
                                "give no duration.",
                                "A pause lasts at most %d days; to pause until you resume, "
                                "give no duration.",
                                TW_PAUSE_MAX_DAYS),
                   TW_PAUSE_MAX_DAYS);
      return NULL;
    }
  if (minutes > 0)
    return g_date_time_add_minutes (now, (int) minutes);

  g_set_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID,
               _("“%s” is not a duration: use for example 30m, 2h, 1h30m, 1d, a time such as "
                 "14:30, or “tomorrow”."),
               text);
  return NULL;
}
