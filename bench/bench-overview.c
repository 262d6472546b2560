/* bench-overview.c — dock and tray updates per second while a followed log is written very fast
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real daemon (`trainwatch --daemon`) on a private session bus with
 * private folders, has it follow a log, and writes tqdm redraws into that log
 * from a thread of this process at a fixed rate (10 000 lines a second by
 * default). Meanwhile it counts what a dock and the tray program would
 * receive: com.canonical.Unity.LauncherEntry Update signals and
 * PropertiesChanged of io.github.trainwatch.Trainwatch.Overview. Then it
 * checks that the last state arrived, and times a failure written in the
 * middle of the flood until the tray and the dock hear of it.
 *
 * Prints figures and one JSON line; it never passes or fails on them. See
 * bench/README.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef TRAINWATCH_BUILD_PATH
#define TRAINWATCH_BUILD_PATH "trainwatch"
#endif

#define DAEMON_PATH         "/io/github/trainwatch/Trainwatch/Daemon"
#define OVERVIEW_INTERFACE  "io.github.trainwatch.Trainwatch.Overview"
#define LAUNCHER_INTERFACE  "com.canonical.Unity.LauncherEntry"

#define DEFAULT_RATE        10000
#define DEFAULT_SECONDS     10
#define BATCH_MS            10
#define START_TIMEOUT_MS    20000
#define SETTLE_MS           1500
#define COMMAND_TIMEOUT_MS  20000
#define FAILURE_TIMEOUT_MS  10000

typedef enum
{
  KIND_UPDATE,
  KIND_CHANGED,
  N_KINDS
} Kind;

static const char * const kind_keys[N_KINDS] = { "launcher_updates", "overview_changes" };
static const char * const kind_labels[N_KINDS] = { "LauncherEntry Update", "Overview PropertiesChanged" };

typedef struct
{
  gint64   when;         /* monotonic µs */
  double   progress;     /* the progress it carried, -1 when none */
  gboolean attention;    /* urgent / Status "attention" */
} Signal;

typedef struct
{
  /* Options. */
  int          rate;
  int          seconds;
  gboolean     newlines;
  gboolean     keep;
  char        *trainwatch;

  char        *tmp_dir;
  char        *log_path;        /* the followed log */
  char        *daemon_log;
  char       **env;
  GTestDBus   *bus;
  GDBusConnection *connection;
  GSubprocess *daemon;
  guint        subscriptions[N_KINDS];

  GArray      *signals[N_KINDS];   /* of Signal */

  /* The writer thread. */
  int          fd;
  guint64      total;           /* the bar's total */
  guint64      n;               /* lines written so far */
  gint64       write_start;
  gint64       write_end;
  gint64       failure_written; /* 0 until the traceback is written */
  gboolean     write_failure;   /* write a traceback half-way */
  GError      *write_error;
  gboolean     writer_done;     /* atomic */
} Bench;

/* ---- helpers ---- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  if (g_remove (path) != 0)
    g_printerr ("bench-overview: failed to remove '%s': %s\n", path, g_strerror (errno));
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds or @timeout_ms passed. */
static gboolean
wait_until (gboolean (*cond) (Bench *bench),
            Bench     *bench,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  GSource *tick = g_timeout_source_new (5);
  gboolean result;

  g_source_set_callback (tick, wake_cb, NULL, NULL);
  g_source_attach (tick, NULL);
  while (!(result = cond (bench)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (tick);
  g_source_unref (tick);

  return result;
}

static gboolean
never (Bench *bench)
{
  return FALSE;
}

static void
iterate_for (Bench *bench,
             guint  ms)
{
  wait_until (never, bench, ms);
}

/* The daemon's CPU time so far (utime + stime), in clock ticks; 0 if unknown. */
static guint64
daemon_cpu_ticks (Bench *bench)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *id = bench->daemon != NULL ? g_subprocess_get_identifier (bench->daemon) : NULL;
  const char *end;

  if (id == NULL)
    return 0;
  path = g_strdup_printf ("/proc/%s/stat", id);
  if (!g_file_get_contents (path, &text, NULL, NULL) || (end = strrchr (text, ')')) == NULL)
    return 0;
  /* after "pid (comm) ": state is field 3, utime 14, stime 15 */
  fields = g_strsplit (end + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  return g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
}

/* ---- what the dock and the tray hear ---- */

static void
launcher_update_cb (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Bench *bench = user_data;
  g_autoptr(GVariant) properties = NULL;
  Signal entry = { g_get_monotonic_time (), -1, FALSE };
  gboolean visible = FALSE;

  g_variant_get (parameters, "(&s@a{sv})", NULL, &properties);
  if (g_variant_lookup (properties, "progress-visible", "b", &visible) && visible)
    g_variant_lookup (properties, "progress", "d", &entry.progress);
  g_variant_lookup (properties, "urgent", "b", &entry.attention);
  g_array_append_val (bench->signals[KIND_UPDATE], entry);
}

static void
overview_changed_cb (GDBusConnection *connection,
                     const char      *sender,
                     const char      *path,
                     const char      *interface,
                     const char      *name,
                     GVariant        *parameters,
                     gpointer         user_data)
{
  Bench *bench = user_data;
  g_autoptr(GVariant) changed = NULL;
  Signal entry = { g_get_monotonic_time (), -1, FALSE };
  GArray *signals = bench->signals[KIND_CHANGED];
  const char *status = NULL;

  /* Only the changed properties come: the others keep their last values. */
  if (signals->len > 0)
    {
      entry.progress = g_array_index (signals, Signal, signals->len - 1).progress;
      entry.attention = g_array_index (signals, Signal, signals->len - 1).attention;
    }
  g_variant_get (parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
  g_variant_lookup (changed, "Progress", "d", &entry.progress);
  if (g_variant_lookup (changed, "Status", "&s", &status))
    entry.attention = g_str_equal (status, "attention");
  g_array_append_val (signals, entry);
}

/* ---- the writer thread ---- */

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        len,
           GError     **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "Failed to write the log: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      data += n;
      len -= n;
    }

  return TRUE;
}

/* One tqdm redraw of the bar at @n. */
static void
append_bar (GString  *out,
            guint64   n,
            guint64   total,
            int       rate,
            gboolean  newline)
{
  double fraction = (double) n / (double) total;
  int filled = (int) (fraction * 10);
  guint64 left = (total - n) / (guint64) rate;
  guint64 done = n / (guint64) rate;

  g_string_append_printf (out, "%sTraining: %3d%%|", newline ? "" : "\r", (int) (fraction * 100));
  for (int i = 0; i < 10; i++)
    g_string_append_c (out, i < filled ? '#' : ' ');
  g_string_append_printf (out, "| %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " [%02u:%02u<%02u:%02u, %d.00it/s, "
                          "loss=0.%04u]%s",
                          n, total, (guint) (done / 60), (guint) (done % 60), (guint) (left / 60),
                          (guint) (left % 60), rate, (guint) (n % 10000), newline ? "\n" : "");
}

static gpointer
writer_thread (gpointer data)
{
  Bench *bench = data;
  g_autoptr(GString) batch = g_string_new (NULL);
  guint64 per_batch = MAX (1, (guint64) bench->rate * BATCH_MS / 1000);
  guint64 lines = (guint64) bench->rate * bench->seconds;
  guint64 batches = (lines + per_batch - 1) / per_batch;
  guint64 failure_batch = batches / 2 + (guint64) g_random_int_range (0, 250 / BATCH_MS);

  bench->write_start = g_get_monotonic_time ();
  for (guint64 b = 0; b < batches; b++)
    {
      gint64 slot = bench->write_start + (gint64) b * BATCH_MS * 1000;
      gint64 now = g_get_monotonic_time ();

      if (slot > now)
        g_usleep (slot - now);

      g_string_truncate (batch, 0);
      for (guint64 i = 0; i < per_batch && bench->n < lines; i++)
        append_bar (batch, ++bench->n, bench->total, bench->rate, bench->newlines);
      /* about half-way through the second phase, at a random point of the
       * overview's interval: the run fails amid the flood */
      if (bench->write_failure && bench->failure_written == 0 && b == failure_batch)
        {
          g_string_append (batch, "\nTraceback (most recent call last):\n"
                                  "  File \"train.py\", line 88, in <module>\n"
                                  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n");
          bench->failure_written = -1;
        }
      if (!write_all (bench->fd, batch->str, batch->len, &bench->write_error))
        break;
      if (bench->failure_written == -1)
        bench->failure_written = g_get_monotonic_time ();
    }
  bench->write_end = g_get_monotonic_time ();
  g_atomic_int_set (&bench->writer_done, TRUE);
  g_main_context_wakeup (NULL);

  return NULL;
}

static gboolean
writer_done (Bench *bench)
{
  return g_atomic_int_get (&bench->writer_done);
}

/* Writes for bench->seconds at bench->rate lines a second, returns when done. */
static gboolean
write_phase (Bench    *bench,
             gboolean  with_failure,
             GError  **error)
{
  GThread *thread;

  bench->write_failure = with_failure;
  bench->failure_written = 0;
  bench->n = 0;
  g_atomic_int_set (&bench->writer_done, FALSE);
  thread = g_thread_new ("bench-writer", writer_thread, bench);
  wait_until (writer_done, bench, (guint) bench->seconds * 1000 * 10 + 10000);
  g_thread_join (thread);
  if (bench->write_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&bench->write_error));
      return FALSE;
    }

  return TRUE;
}

/* ---- the daemon ---- */

static gboolean
daemon_on_bus (Bench *bench)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bench->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", DAEMON_BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);

  return owned;
}

static gboolean
run_command (Bench       *bench,
             const char  *verb,
             const char  *arg,
             GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) process = NULL;

  g_subprocess_launcher_set_environ (launcher, bench->env);
  process = g_subprocess_launcher_spawn (launcher, error, bench->trainwatch, verb, arg, NULL);
  if (process == NULL || !g_subprocess_wait_check (process, NULL, error))
    {
      g_prefix_error (error, "trainwatch %s: ", verb);
      return FALSE;
    }

  return TRUE;
}

static gboolean
setup (Bench   *bench,
       GError **error)
{
  static const char * const dirs[][2] = {
    { "HOME", "home" }, { "XDG_CONFIG_HOME", "config" }, { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" }, { "XDG_CACHE_HOME", "cache" }, { "XDG_RUNTIME_DIR", "runtime" },
  };
  static const char * const dropped[] = {
    "DISPLAY", "WAYLAND_DISPLAY", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE", "G_MESSAGES_DEBUG",
    "G_DEBUG", "G_SLICE", "MALLOC_CHECK_", "MALLOC_PERTURB_",
  };
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  if (!g_file_test (bench->trainwatch, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "'%s' is not an executable; build it first or pass --trainwatch PATH", bench->trainwatch);
      return FALSE;
    }

  bench->tmp_dir = g_dir_make_tmp ("bench-overview-XXXXXX", error);
  if (bench->tmp_dir == NULL)
    return FALSE;

  bench->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bench->bus);
  if (g_test_dbus_get_bus_address (bench->bus) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Failed to start a private D-Bus");
      return FALSE;
    }
  bench->connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bench->bus),
                                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                               NULL, NULL, error);
  if (bench->connection == NULL)
    return FALSE;

  bench->env = g_get_environ ();
  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    bench->env = g_environ_unsetenv (bench->env, dropped[i]);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (bench->tmp_dir, dirs[i][1], NULL);

      if (g_mkdir_with_parents (path, 0700) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Failed to create '%s'", path);
          return FALSE;
        }
      bench->env = g_environ_setenv (bench->env, dirs[i][0], path, TRUE);
    }
  bench->env = g_environ_setenv (bench->env, "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (bench->bus),
                                 TRUE);
  bench->env = g_environ_setenv (bench->env, "GSETTINGS_BACKEND", "memory", TRUE);
  bench->env = g_environ_setenv (bench->env, "GIO_USE_VFS", "local", TRUE);

  bench->subscriptions[KIND_UPDATE] =
    g_dbus_connection_signal_subscribe (bench->connection, NULL, LAUNCHER_INTERFACE, "Update", NULL, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, launcher_update_cb, bench, NULL);
  bench->subscriptions[KIND_CHANGED] =
    g_dbus_connection_signal_subscribe (bench->connection, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", DAEMON_PATH, OVERVIEW_INTERFACE,
                                        G_DBUS_SIGNAL_FLAGS_NONE, overview_changed_cb, bench, NULL);

  /* The daemon in the foreground, as our child; its output goes to a file. */
  bench->daemon_log = g_build_filename (bench->tmp_dir, "daemon.log", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, bench->env);
  g_subprocess_launcher_set_stdout_file_path (launcher, bench->daemon_log);
  bench->daemon = g_subprocess_launcher_spawn (launcher, error, bench->trainwatch, "--daemon", NULL);
  if (bench->daemon == NULL)
    return FALSE;
  if (!wait_until (daemon_on_bus, bench, START_TIMEOUT_MS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The daemon did not appear on the bus");
      return FALSE;
    }

  bench->log_path = g_build_filename (bench->tmp_dir, "data", "train.log", NULL);
  bench->fd = g_open (bench->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (bench->fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Failed to create '%s'", bench->log_path);
      return FALSE;
    }
  return run_command (bench, "watch", bench->log_path, error);
}

static void
teardown (Bench *bench)
{
  g_autoptr(GError) error = NULL;

  if (bench->daemon != NULL && g_subprocess_get_identifier (bench->daemon) != NULL)
    {
      if (!run_command (bench, "quit", NULL, &error))
        {
          g_printerr ("bench-overview: %s\n", error->message);
          g_subprocess_force_exit (bench->daemon);
        }
      g_subprocess_wait (bench->daemon, NULL, NULL);
    }
  g_clear_object (&bench->daemon);

  for (guint i = 0; i < N_KINDS; i++)
    if (bench->subscriptions[i] != 0)
      g_dbus_connection_signal_unsubscribe (bench->connection, bench->subscriptions[i]);
  g_clear_object (&bench->connection);
  if (bench->bus != NULL)
    {
      g_test_dbus_down (bench->bus);
      g_clear_object (&bench->bus);
    }
  if (bench->fd >= 0)
    close (bench->fd);

  if (bench->tmp_dir != NULL && bench->keep)
    g_print ("kept %s\n", bench->tmp_dir);
  else if (bench->tmp_dir != NULL)
    remove_tree (bench->tmp_dir);
}

/* ---- figures ---- */

typedef struct
{
  guint  count;         /* between the first write and the end of the writes */
  double per_second;
  guint  max_in_second; /* in any window of one second */
  double min_gap_ms;    /* between two consecutive signals; -1 with fewer than two */
} Rate;

static Rate
measure_rate (GArray *signals,
              gint64  start,
              gint64  end)
{
  Rate rate = { 0, 0, 0, -1 };
  guint first = G_MAXUINT;
  guint last = 0;

  for (guint i = 0; i < signals->len; i++)
    {
      gint64 when = g_array_index (signals, Signal, i).when;

      if (when < start || when > end)
        continue;
      first = MIN (first, i);
      last = i;
      rate.count++;
    }
  if (rate.count == 0)
    return rate;

  rate.per_second = rate.count / ((end - start) / (double) G_USEC_PER_SEC);
  for (guint i = first, j = first; i <= last; i++)
    {
      while (g_array_index (signals, Signal, i).when - g_array_index (signals, Signal, j).when > G_USEC_PER_SEC)
        j++;
      rate.max_in_second = MAX (rate.max_in_second, i - j + 1);
      if (i > first)
        {
          gint64 gap_us = g_array_index (signals, Signal, i).when - g_array_index (signals, Signal, i - 1).when;
          double gap = gap_us / 1000.0;

          rate.min_gap_ms = rate.min_gap_ms < 0 ? gap : MIN (rate.min_gap_ms, gap);
        }
    }

  return rate;
}

/* How long after @since the first signal with attention came, in ms; -1 if none. */
static double
attention_latency (GArray *signals,
                   gint64  since)
{
  for (guint i = 0; i < signals->len; i++)
    {
      const Signal *entry = &g_array_index (signals, Signal, i);

      if (entry->when >= since && entry->attention)
        return (entry->when - since) / 1000.0;
    }

  return -1;
}

static gboolean
attention_heard (Bench *bench)
{
  return attention_latency (bench->signals[KIND_UPDATE], bench->failure_written) >= 0 &&
         attention_latency (bench->signals[KIND_CHANGED], bench->failure_written) >= 0;
}

/* A number with three decimals, or null when negative (not measured). */
static void
append_number (GString *json,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (value < 0 || !isfinite (value))
    g_string_append (json, "null");
  else
    g_string_append (json, g_ascii_formatd (buf, sizeof buf, "%.3f", value));
}

static void
append_rate (GString    *json,
             const char *name,
             const Rate *rate)
{
  g_string_append_printf (json, ",\"%s\":{\"count\":%u,\"per_second\":", name, rate->count);
  append_number (json, rate->per_second);
  g_string_append_printf (json, ",\"max_in_one_second\":%u,\"min_gap_ms\":", rate->max_in_second);
  append_number (json, rate->min_gap_ms);
  g_string_append_c (json, '}');
}

static int
run (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  gboolean arrived;
  Rate rates[N_KINDS];
  double final_progress[N_KINDS];
  double latency[N_KINDS];
  double expected;
  double seconds;
  double cpu_percent;
  guint64 cpu_before;
  guint64 cpu_after;
  long ticks = sysconf (_SC_CLK_TCK);

  if (!setup (bench, &error))
    {
      g_printerr ("bench-overview: %s\n", error->message);
      return 1;
    }
  iterate_for (bench, SETTLE_MS);

  /* Phase 1: the bar, at the rate, for the time asked. */
  bench->total = (guint64) bench->rate * bench->seconds + 1;
  cpu_before = daemon_cpu_ticks (bench);
  if (!write_phase (bench, FALSE, &error))
    {
      g_printerr ("bench-overview: %s\n", error->message);
      return 1;
    }
  cpu_after = daemon_cpu_ticks (bench);
  seconds = (bench->write_end - bench->write_start) / (double) G_USEC_PER_SEC;
  expected = (double) bench->n / (double) bench->total;
  iterate_for (bench, SETTLE_MS);
  for (guint k = 0; k < N_KINDS; k++)
    {
      GArray *signals = bench->signals[k];

      rates[k] = measure_rate (signals, bench->write_start, bench->write_end);
      final_progress[k] = signals->len > 0 ? g_array_index (signals, Signal, signals->len - 1).progress : -1;
    }
  cpu_percent = ticks > 0 && seconds > 0 ? 100.0 * (cpu_after - cpu_before) / ticks / seconds : -1;

  /* Phase 2: the same flood, with a traceback half-way. */
  if (!write_phase (bench, TRUE, &error))
    {
      g_printerr ("bench-overview: %s\n", error->message);
      return 1;
    }
  wait_until (attention_heard, bench, FAILURE_TIMEOUT_MS);
  latency[KIND_UPDATE] = attention_latency (bench->signals[KIND_UPDATE], bench->failure_written);
  latency[KIND_CHANGED] = attention_latency (bench->signals[KIND_CHANGED], bench->failure_written);

  g_print ("Followed log written at %d lines/s (%s) for %.2f s: %" G_GUINT64_FORMAT " lines, %.0f lines/s\n",
           bench->rate, bench->newlines ? "one line per step" : "tqdm \\r redraws", seconds, bench->n,
           bench->n / seconds);
  for (guint k = 0; k < N_KINDS; k++)
    g_print ("  %-28s %5u in all, %6.2f/s, at most %u in one second, shortest gap %.1f ms\n", kind_labels[k],
             rates[k].count, rates[k].per_second, rates[k].max_in_second, rates[k].min_gap_ms);
  arrived = fabs (final_progress[KIND_UPDATE] - expected) < 1e-9 &&
            fabs (final_progress[KIND_CHANGED] - expected) < 1e-9;
  g_print ("  last state: bar at %.6f; the dock's last progress %.6f, the tray's %.6f (%s)\n", expected,
           final_progress[KIND_UPDATE], final_progress[KIND_CHANGED], arrived ? "arrived" : "NOT arrived");
  g_print ("  daemon CPU while writing: %.1f %% of one core\n", cpu_percent);
  g_print ("A traceback amid the flood reached the dock (urgent) after %.1f ms and the tray (attention) after "
           "%.1f ms\n", latency[KIND_UPDATE], latency[KIND_CHANGED]);

  g_string_append_printf (json, "{\"rate_lines_per_s\":%d,\"newlines\":%s,\"seconds\":", bench->rate,
                          bench->newlines ? "true" : "false");
  append_number (json, seconds);
  g_string_append_printf (json, ",\"lines\":%" G_GUINT64_FORMAT, bench->n);
  for (guint k = 0; k < N_KINDS; k++)
    append_rate (json, kind_keys[k], &rates[k]);
  g_string_append_printf (json, ",\"last_state_arrived\":%s,\"daemon_cpu_percent\":", arrived ? "true" : "false");
  append_number (json, cpu_percent);
  g_string_append (json, ",\"failure_to_launcher_ms\":");
  append_number (json, latency[KIND_UPDATE]);
  g_string_append (json, ",\"failure_to_overview_ms\":");
  append_number (json, latency[KIND_CHANGED]);
  g_string_append_c (json, '}');
  g_print ("%s\n", json->str);

  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— dock and tray updates under a fast log");
  g_autoptr(GError) error = NULL;
  Bench bench = { 0 };
  int status;
  GOptionEntry entries[] = {
    { "rate", 0, 0, G_OPTION_ARG_INT, &bench.rate, "Lines a second written to the log (10000)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &bench.seconds, "How long each phase writes (10)", "S" },
    { "newlines", 0, 0, G_OPTION_ARG_NONE, &bench.newlines, "End each line with \\n, not a tqdm \\r", NULL },
    { "trainwatch", 0, 0, G_OPTION_ARG_FILENAME, &bench.trainwatch, "The trainwatch program", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &bench.keep, "Keep the temporary folder", NULL },
    { NULL },
  };

  bench.rate = DEFAULT_RATE;
  bench.seconds = DEFAULT_SECONDS;
  bench.fd = -1;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-overview: %s\n", error->message);
      return 2;
    }
  if (bench.rate < 1 || bench.seconds < 1)
    {
      g_printerr ("bench-overview: --rate and --seconds must be at least 1\n");
      return 2;
    }
  if (bench.trainwatch == NULL)
    bench.trainwatch = g_strdup (TRAINWATCH_BUILD_PATH);

  for (guint k = 0; k < N_KINDS; k++)
    bench.signals[k] = g_array_new (FALSE, FALSE, sizeof (Signal));

  status = run (&bench);
  teardown (&bench);

  for (guint k = 0; k < N_KINDS; k++)
    g_array_unref (bench.signals[k]);
  g_strfreev (bench.env);
  g_free (bench.tmp_dir);
  g_free (bench.log_path);
  g_free (bench.daemon_log);
  g_free (bench.trainwatch);

  return status;
}
