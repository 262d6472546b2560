/* test-dnd-time.c — quiet hours and pause durations, with the clock passed in
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>

#include "tw-dnd-time.h"

/* 2024-05-10 was a Friday. */
static GDateTime *
at (GTimeZone *tz,
    int        year,
    int        month,
    int        day,
    int        hour,
    int        minute)
{
  return g_date_time_new (tz, year, month, day, hour, minute, 0);
}

static char *
format (GDateTime *dt)
{
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M %z") : g_strdup ("(none)");
}

typedef struct
{
  const char *text;
  const char *normalized;   /* NULL: invalid */
} ParseCase;

static const ParseCase parse_cases[] = {
  { "", "" },
  { "   ", "" },
  { "22:00-07:30", "22:00-07:30" },
  { " 7:05 - 9:00 ", "07:05-09:00" },
  { "22:00–07:30", "22:00-07:30" },
  { "22:00-24:00", "22:00-00:00" },
  { "00:00-06:00", "00:00-06:00" },
  { "12:00-13:00,22:00-07:30", "12:00-13:00, 22:00-07:30" },
  { "12:00-13:00 , 22:00-07:30", "12:00-13:00, 22:00-07:30" },
  { "22:00", NULL },
  { "22-07", NULL },
  { "22:00-7", NULL },
  { "25:00-01:00", NULL },
  { "22:60-01:00", NULL },
  { "22:00-22:00", NULL },
  { "00:00-24:00", NULL },
  { "24:00-01:00", NULL },
  { "24:30-01:00", NULL },
  { "22:00-07:30,", NULL },
  { ",22:00-07:30", NULL },
  { "22:00-07:30 x", NULL },
  { "22:000-01:00", NULL },
  { "123:00-01:00", NULL },
  { "22:0-01:00", NULL },
  { "night", NULL },
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TwQuietHours) hours = tw_quiet_hours_parse (c->text, &error);

  if (c->normalized == NULL)
    {
      g_assert_null (hours);
      g_assert_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, c->text));
    }
  else
    {
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = tw_quiet_hours_to_string (hours);
      g_assert_cmpstr (text, ==, c->normalized);
      g_assert_cmpint (tw_quiet_hours_is_empty (hours), ==, c->normalized[0] == '\0');
    }
}

typedef struct
{
  const char *ranges;
  int         hour;
  int         minute;
  gboolean    inside;
  const char *next;   /* the next change, "%Y-%m-%d %H:%M %z", from 2024-05-10 in UTC */
} TimeCase;

static const TimeCase time_cases[] = {
  { "22:00-07:30", 12, 0, FALSE, "2024-05-10 22:00 +0000" },
  { "22:00-07:30", 21, 59, FALSE, "2024-05-10 22:00 +0000" },
  { "22:00-07:30", 22, 0, TRUE, "2024-05-11 07:30 +0000" },
  { "22:00-07:30", 23, 59, TRUE, "2024-05-11 07:30 +0000" },
  { "22:00-07:30", 0, 0, TRUE, "2024-05-10 07:30 +0000" },
  { "22:00-07:30", 7, 29, TRUE, "2024-05-10 07:30 +0000" },
  { "22:00-07:30", 7, 30, FALSE, "2024-05-10 22:00 +0000" },
  { "09:00-17:00", 8, 59, FALSE, "2024-05-10 09:00 +0000" },
  { "09:00-17:00", 9, 0, TRUE, "2024-05-10 17:00 +0000" },
  { "09:00-17:00", 17, 0, FALSE, "2024-05-11 09:00 +0000" },
  { "22:00-24:00", 23, 0, TRUE, "2024-05-11 00:00 +0000" },
  /* overlapping and touching ranges make one stretch */
  { "20:00-23:00, 22:00-01:00", 21, 0, TRUE, "2024-05-11 01:00 +0000" },
  { "12:00-13:00, 13:00-14:00", 12, 30, TRUE, "2024-05-10 14:00 +0000" },
  { "12:00-13:00, 22:00-07:30", 10, 0, FALSE, "2024-05-10 12:00 +0000" },
  { "12:00-13:00, 22:00-07:30", 14, 0, FALSE, "2024-05-10 22:00 +0000" },
  /* the whole day: never changes */
  { "00:00-12:00, 12:00-24:00", 5, 0, TRUE, "(none)" },
  { "", 5, 0, FALSE, "(none)" },
};

static void
test_contains_and_next (gconstpointer data)
{
  const TimeCase *c = data;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(TwQuietHours) hours = tw_quiet_hours_parse (c->ranges, NULL);
  g_autoptr(GDateTime) now = at (utc, 2024, 5, 10, c->hour, c->minute);
  g_autoptr(GDateTime) next = NULL;
  g_autofree char *next_text = NULL;

  g_assert_nonnull (hours);
  g_assert_cmpint (tw_quiet_hours_contains (hours, now), ==, c->inside);
  next = tw_quiet_hours_next_change (hours, now);
  next_text = format (next);
  g_assert_cmpstr (next_text, ==, c->next);
}

/* The ranges follow the clock of the time zone @now is in. */
static void
test_time_zone (void)
{
  g_autoptr(GTimeZone) plus2 = g_time_zone_new_offset (2 * 3600);
  g_autoptr(TwQuietHours) hours = tw_quiet_hours_parse ("22:00-07:30", NULL);
  g_autoptr(GDateTime) now = at (plus2, 2024, 5, 10, 23, 0);
  g_autoptr(GDateTime) next = tw_quiet_hours_next_change (hours, now);
  g_autofree char *text = format (next);

  g_assert_true (tw_quiet_hours_contains (hours, now));
  g_assert_cmpstr (text, ==, "2024-05-11 07:30 +0200");
}

/* Across the spring and autumn changes of a real zone, every answer holds:
 * the change is in the future, the state does change there, and it does not
 * change before. */
static void
test_daylight_saving (void)
{
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  const char *ranges[] = {
    "01:00-02:30", "02:30-03:00", "22:00-02:15", "00:00-03:30, 12:00-13:00",
  };
  const int days[][3] = { { 2024, 3, 30 }, { 2024, 10, 26 } };

  if (berlin == NULL)
    {
      g_test_skip ("no time zone data for Europe/Berlin");
      return;
    }

  for (guint r = 0; r < G_N_ELEMENTS (ranges); r++)
    for (guint d = 0; d < G_N_ELEMENTS (days); d++)
      {
        g_autoptr(TwQuietHours) hours = tw_quiet_hours_parse (ranges[r], NULL);
        g_autoptr(GDateTime) start = at (berlin, days[d][0], days[d][1], days[d][2], 20, 0);

        g_assert_nonnull (hours);
        for (int step = 0; step < 55; step++)
          {
            g_autoptr(GDateTime) now = g_date_time_add_minutes (start, step * 11);
            g_autoptr(GDateTime) next = tw_quiet_hours_next_change (hours, now);
            gboolean inside = tw_quiet_hours_contains (hours, now);

            g_assert_nonnull (next);
            g_assert_cmpint (g_date_time_compare (next, now), >, 0);
            g_assert_cmpint (tw_quiet_hours_contains (hours, next), !=, inside);
            {
              g_autoptr(GDateTime) just_before = g_date_time_add_minutes (next, -1);

              if (g_date_time_compare (just_before, now) > 0)
                g_assert_cmpint (tw_quiet_hours_contains (hours, just_before), ==, inside);
            }
            for (g_autoptr(GDateTime) t = g_date_time_add_minutes (now, 1);
                 g_date_time_compare (t, next) < 0;)
              {
                GDateTime *later = g_date_time_add_minutes (t, 4);

                if (tw_quiet_hours_contains (hours, t) != inside)
                  {
                    g_autofree char *a = format (now);
                    g_autofree char *b = format (t);
                    g_autofree char *c = format (next);

                    g_test_message ("%s: from %s (%s) the change is at %s, not %s", ranges[r], a,
                                    inside ? "inside" : "outside", b, c);
                  }
                g_assert_cmpint (tw_quiet_hours_contains (hours, t), ==, inside);
                g_date_time_unref (t);
                t = later;
              }
          }
      }
}

/* The exact answers around the clock's jumps in Europe/Berlin in 2024. */
static void
test_daylight_saving_exact (void)
{
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GTimeZone) cest = g_time_zone_new_offset (2 * 3600);
  g_autoptr(GTimeZone) cet = g_time_zone_new_offset (3600);
  g_autoptr(TwQuietHours) hours = tw_quiet_hours_parse ("01:00-02:30", NULL);
  struct
  {
    GTimeZone  *zone;   /* the offset in force at "now" */
    int         month;
    int         day;
    int         hour;
    int         minute;
    const char *next;
  } cases[] = {
    /* spring: at 02:00 the clock jumps to 03:00, out of the range */
    { cet, 3, 31, 1, 30, "2024-03-31 03:00 +0200" },
    { cet, 3, 31, 0, 30, "2024-03-31 01:00 +0100" },
    /* autumn: 02:00-03:00 comes twice; the range ends, starts again, ends */
    { cest, 10, 27, 1, 30, "2024-10-27 02:30 +0200" },
    { cest, 10, 27, 2, 45, "2024-10-27 02:00 +0100" },
    { cet, 10, 27, 2, 10, "2024-10-27 02:30 +0100" },
    { cet, 10, 27, 2, 45, "2024-10-28 01:00 +0100" },
  };

  if (berlin == NULL)
    {
      g_test_skip ("no time zone data for Europe/Berlin");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) fixed = at (cases[i].zone, 2024, cases[i].month, cases[i].day,
                                       cases[i].hour, cases[i].minute);
      g_autoptr(GDateTime) now = g_date_time_to_timezone (fixed, berlin);
      g_autoptr(GDateTime) next = tw_quiet_hours_next_change (hours, now);
      g_autofree char *text = format (next);

      g_assert_cmpstr (text, ==, cases[i].next);
    }
}

typedef struct
{
  const char *text;
  int         hour;        /* now: 2024-05-10 at this time, UTC */
  int         minute;
  const char *until;       /* NULL: refused */
  const char *fragment;    /* in the error */
} PauseCase;

static const PauseCase pause_cases[] = {
  { "30m", 13, 20, "2024-05-10 13:50 +0000" },
  { "2h", 13, 20, "2024-05-10 15:20 +0000" },
  { "2H", 13, 20, "2024-05-10 15:20 +0000" },
  { "1h30m", 13, 20, "2024-05-10 14:50 +0000" },
  { "1h 30m", 13, 20, "2024-05-10 14:50 +0000" },
  { "90 min", 13, 20, "2024-05-10 14:50 +0000" },
  { "90min", 13, 20, "2024-05-10 14:50 +0000" },
  { " 1d ", 13, 20, "2024-05-11 13:20 +0000" },
  { "7d", 13, 20, "2024-05-17 13:20 +0000" },
  { "11h", 22, 0, "2024-05-11 09:00 +0000" },
  { "tomorrow", 13, 20, "2024-05-11 08:00 +0000" },
  { "Tomorrow", 23, 59, "2024-05-11 08:00 +0000" },
  { "tomorrow", 2, 0, "2024-05-10 08:00 +0000" },
  { "tomorrow", 4, 0, "2024-05-11 08:00 +0000" },
  { "14:30", 13, 20, "2024-05-10 14:30 +0000" },
  { "13:20", 13, 20, "2024-05-11 13:20 +0000" },
  { "9:00", 13, 20, "2024-05-11 09:00 +0000" },
  { "8d", 13, 20, NULL, "at most 7 days" },
  { "7d1m", 13, 20, NULL, "at most 7 days" },
  { "9999999h", 13, 20, NULL, "not a duration" },
  { "0m", 13, 20, NULL, "not a duration" },
  { "", 13, 20, NULL, "not a duration" },
  { "5", 13, 20, NULL, "not a duration" },
  { "m", 13, 20, NULL, "not a duration" },
  { "5x", 13, 20, NULL, "not a duration" },
  { "-5m", 13, 20, NULL, "not a duration" },
  { "25:00", 13, 20, NULL, "not a duration" },
  { "soon", 13, 20, NULL, "“soon” is not a duration" },
};

static void
test_pause (gconstpointer data)
{
  const PauseCase *c = data;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = at (utc, 2024, 5, 10, c->hour, c->minute);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) until = tw_pause_parse_until (c->text, now, &error);

  if (c->until == NULL)
    {
      g_assert_null (until);
      g_assert_error (error, TW_DND_TIME_ERROR, TW_DND_TIME_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, c->fragment));
    }
  else
    {
      g_autofree char *text = format (until);

      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, c->until);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dnd-time/quiet-hours/parse/%u", i);

      g_test_add_data_func (path, &parse_cases[i], test_parse);
    }
  for (guint i = 0; i < G_N_ELEMENTS (time_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dnd-time/quiet-hours/next/%u", i);

      g_test_add_data_func (path, &time_cases[i], test_contains_and_next);
    }
  g_test_add_func ("/dnd-time/quiet-hours/time-zone", test_time_zone);
  g_test_add_func ("/dnd-time/quiet-hours/daylight-saving", test_daylight_saving);
  g_test_add_func ("/dnd-time/quiet-hours/daylight-saving-exact", test_daylight_saving_exact);
  for (guint i = 0; i < G_N_ELEMENTS (pause_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dnd-time/pause/%u", i);

      g_test_add_data_func (path, &pause_cases[i], test_pause);
    }

  return g_test_run ();
}
