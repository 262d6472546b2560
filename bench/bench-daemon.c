/* bench-daemon.c — time from `trainwatch send` to a notification, and the idle daemon's cost
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real trainwatch program on a private session bus (GTestDBus) with
 * a private HOME and private XDG folders, beside a notification server that
 * lives in a thread of this process and stamps every Notify the moment it
 * reaches us. The monotonic clock is the same in every process, so "Notify
 * arrived − command spawned" is the latency a user's script sees. Then it
 * reads the idle daemon's CPU time, wake-ups and memory from /proc.
 *
 * Prints a human-readable block and one JSON line. It never passes or fails on
 * timings: it exits non-zero only when it could not measure (the daemon did
 * not start, died, or kept losing notifications). See bench/README.md.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TRAINWATCH_BUILD_PATH
#define TRAINWATCH_BUILD_PATH "trainwatch"
#endif

#define NOTIFICATIONS_NAME  "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH  "/org/freedesktop/Notifications"

#define DEFAULT_SENDS          200
#define DEFAULT_IDLE_SECONDS   60
#define DEFAULT_WARMUP         5
#define DEFAULT_TIMEOUT_S      10
/* `trainwatch` itself waits up to 15 s for a daemon it started. */
#define START_TIMEOUT_MS       30000
#define SETTLE_MS              2000
#define VERSION_RUNS           30
/* Past this many lost or failed sends in a row the daemon is broken, not slow. */
#define MAX_FAILURES_IN_A_ROW  3
#define QUIT_TIMEOUT_MS        10000
#define KILL_GRACE_MS          2000
#define LOG_TAIL_LINES         40

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' name='app_name' direction='in'/>"
  "      <arg type='u' name='replaces_id' direction='in'/>"
  "      <arg type='s' name='app_icon' direction='in'/>"
  "      <arg type='s' name='summary' direction='in'/>"
  "      <arg type='s' name='body' direction='in'/>"
  "      <arg type='as' name='actions' direction='in'/>"
  "      <arg type='a{sv}' name='hints' direction='in'/>"
  "      <arg type='i' name='expire_timeout' direction='in'/>"
  "      <arg type='u' name='id' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'>"
  "      <arg type='u' name='id' direction='in'/>"
  "    </method>"
  "    <method name='GetCapabilities'>"
  "      <arg type='as' name='capabilities' direction='out'/>"
  "    </method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' name='name' direction='out'/>"
  "      <arg type='s' name='vendor' direction='out'/>"
  "      <arg type='s' name='version' direction='out'/>"
  "      <arg type='s' name='spec_version' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='u' name='reason'/>"
  "    </signal>"
  "    <signal name='ActionInvoked'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='s' name='action_key'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* ---- the recording notification server ---------------------------------- */

typedef struct
{
  char    *summary;
  gint64   arrived;      /* monotonic µs, when the message reached this process */
  guint32  replaces_id;
  guint32  id;           /* what the server answered */
} NotifyRecord;

/* Takes ownership of the record; runs on the report context. */
typedef void (*NotifyFunc) (NotifyRecord *record,
                            gpointer      user_data);

enum
{
  CALL_NOTIFY,
  CALL_CLOSE,
  CALL_CAPABILITIES,
  CALL_INFORMATION,
  N_CALLS
};

typedef struct
{
  /* Set before the thread starts, then read-only. */
  char            *address;
  GMainContext    *report_context;
  NotifyFunc       func;
  gpointer         func_data;
  GMainContext    *context;         /* the server thread's */
  GMainLoop       *loop;
  GThread         *thread;

  /* Shared: protected by lock. */
  GMutex           lock;
  GCond            cond;
  gboolean         started;         /* the thread is done starting, well or not */
  GError          *error;           /* why it could not start */
  GHashTable      *stamps;          /* "sender serial" → gint64 *, from filter to handler */

  /* Written by the server thread before `started`, then only read (sync calls
   * from other threads are safe on a GDBusConnection). */
  GDBusConnection *connection;

  gint             calls[N_CALLS];  /* atomic */

  /* Server thread only. */
  guint            filter_id;
  guint            object_id;
  guint32          last_id;
  GHashTable      *live;            /* ids shown and not closed */
} Notifyd;

typedef struct
{
  NotifyFunc    func;
  gpointer      func_data;
  NotifyRecord *record;
} Delivery;

/* ---- the benchmark ------------------------------------------------------ */

typedef enum
{
  MODE_SAME_JOB,
  MODE_DISTINCT_JOBS,
  MODE_NO_JOB,
  N_MODES
} Mode;

static const struct
{
  const char *key;
  const char *label;
} modes[N_MODES] = {
  { "same_job", "same job" },
  { "distinct_jobs", "distinct jobs" },
  { "no_job", "no job" },
};

typedef struct
{
  GArray *notify_us;     /* gint64: Notify arrived − command spawned */
  GArray *exit_us;       /* gint64: command exited − command spawned */
  guint   lost;          /* the command succeeded, no Notify within the timeout */
  guint   failed;        /* the command failed or had to be killed */
  guint   replaced;      /* Notify calls that named a notification to replace */
} Series;

typedef struct
{
  guint  n;
  double median;         /* ms, like the rest */
  double p90;
  double p99;
  double max;
} Stats;

typedef struct
{
  int      tid;
  char    *name;
  guint64  switches;     /* voluntary + involuntary */
} TaskSample;

typedef struct
{
  gint64   when;         /* monotonic µs */
  int      ppid;
  guint64  cpu_ticks;    /* utime + stime of the whole process */
  guint64  cpu_ns;       /* schedstat run time summed over live threads; 0 if unknown */
  guint64  switches;     /* summed over live threads */
  guint    threads;
  gint64   rss_kib;      /* -1 when unknown */
  gint64   hwm_kib;
  gint64   pss_kib;
  GArray  *tasks;        /* of TaskSample */
} ProcSample;

typedef struct
{
  const char   *expect;  /* summary of the Notify to wait for, or NULL */
  gint64        started;
  gint64        exited;  /* 0 until the command exits */
  gboolean      timed_out;
  gboolean      killed;
  GSubprocess  *process;
  NotifyRecord *record;  /* the expected Notify, once it arrived */
} Run;

typedef struct
{
  /* Options. */
  int          sends;
  int          idle_seconds;
  int          warmup;
  int          timeout_s;
  gboolean     keep;
  char        *trainwatch;

  char        *tmp_dir;
  char        *log_path;    /* the daemon's log */
  char        *history_path;
  char        *out_path;    /* the last command's stdout */
  char        *err_path;    /* the last command's stderr */
  char       **env;         /* for every command, and so for the daemon */
  GTestDBus   *bus;
  Notifyd     *notifyd;
  char        *version;
  gboolean     subreaper;

  gboolean     interrupted;
  GPid         daemon_pid;  /* 0 until known */
  guint        daemon_watch_id;
  gboolean     daemon_gone;
  gboolean     daemon_reaped;
  int          daemon_wait_status;
  gint64       daemon_gone_at;

  Run         *current;     /* the command being waited for */
  guint        serial;      /* numbers the titles "bench K" */
  guint        late;        /* Notify for a send already given up on */
  guint        unexpected;  /* any other Notify */

  /* Figures. */
  gint64       start_us;    /* `trainwatch` (start) returned */
  Series       series[N_MODES];
  GArray      *version_us;
  ProcSample   fresh;
  ProcSample   idle_start;
  ProcSample   idle_end;
  gboolean     have_fresh;
  gboolean     have_idle;
  int          idle_notifyd_calls;
  gint64       quit_exit_us;
  gint64       quit_gone_us; /* -1: not gone */
  gboolean     quit_name_released;
} Bench;

/* ---- helpers ------------------------------------------------------------ */

static void
notify_record_free (NotifyRecord *record)
{
  g_free (record->summary);
  g_free (record);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NotifyRecord, notify_record_free)

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_clear_pointer (&delivery->record, notify_record_free);
  g_free (delivery);
}

static void
task_sample_clear (gpointer data)
{
  TaskSample *task = data;

  g_clear_pointer (&task->name, g_free);
}

static void
proc_sample_clear (ProcSample *sample)
{
  g_clear_pointer (&sample->tasks, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ProcSample, proc_sample_clear)

static void
run_clear (Run *run)
{
  g_clear_object (&run->process);
  g_clear_pointer (&run->record, notify_record_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static char *
stamp_key (GDBusMessage *message)
{
  return g_strdup_printf ("%s %u", g_dbus_message_get_sender (message),
                          g_dbus_message_get_serial (message));
}

/* The value of a "Name:  value" line of a /proc status file, or -1. */
static gint64
field_value (const char *text,
             const char *name)
{
  gsize len = strlen (name);
  const char *line = text;

  while (line != NULL && *line != '\0')
    {
      if (strncmp (line, name, len) == 0 && line[len] == ':')
        return g_ascii_strtoll (line + len + 1, NULL, 10);
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }

  return -1;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static Stats
compute_stats (GArray *values_us)
{
  g_autoptr(GArray) sorted = NULL;
  const gint64 *v;
  Stats stats = { 0 };
  guint n = values_us->len;

  if (n == 0)
    return stats;

  sorted = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_array_append_vals (sorted, values_us->data, n);
  g_array_sort (sorted, compare_gint64);
  v = (const gint64 *) (gpointer) sorted->data;

  stats.n = n;
  stats.median = (n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000.0;
  /* Nearest rank: the smallest value that p % of the values do not exceed. */
  stats.p90 = v[MAX ((90 * n + 99) / 100, 1) - 1] / 1000.0;
  stats.p99 = v[MAX ((99 * n + 99) / 100, 1) - 1] / 1000.0;
  stats.max = v[n - 1] / 1000.0;
  return stats;
}

/* Removes @path and, for a folder, everything in it; links are not followed. */
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
    g_printerr ("bench-daemon: failed to remove '%s': %s\n", path, g_strerror (errno));
}

static char *
dup_tail (const char *path,
          guint       max_lines)
{
  g_autofree char *text = NULL;
  const char *start;
  guint lines = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;

  g_strchomp (text);
  start = text + strlen (text);
  while (start > text)
    {
      if (start[-1] == '\n' && ++lines == max_lines)
        break;
      start--;
    }

  return g_strdup (start);
}

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint lines = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      lines++;
  return lines;
}

static void
print_indented (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    g_print ("    %s\n", lines[i]);
}

/* ---- /proc ------------------------------------------------------------- */

static gboolean
read_proc_stat (GPid     pid,
                char    *state,
                int     *ppid,
                guint64 *cpu_ticks)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *end;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;

  /* The command name may hold spaces and parentheses: fields follow the last ')'. */
  end = strrchr (text, ')');
  if (end == NULL || end[1] == '\0')
    return FALSE;
  fields = g_strsplit (end + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return FALSE;

  /* fields[0] is field 3 of proc(5): state; ppid is 4, utime 14, stime 15. */
  if (state != NULL)
    *state = fields[0][0];
  if (ppid != NULL)
    *ppid = (int) g_ascii_strtoll (fields[1], NULL, 10);
  if (cpu_ticks != NULL)
    *cpu_ticks = g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
  return TRUE;
}

static void
read_tasks (GPid        pid,
            ProcSample *sample)
{
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *entry;

  if (dir == NULL)
    return;

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *status_path = g_build_filename (task_dir, entry, "status", NULL);
      g_autofree char *sched_path = g_build_filename (task_dir, entry, "schedstat", NULL);
      g_autofree char *status = NULL;
      g_autofree char *sched = NULL;
      TaskSample task = { 0 };
      gint64 voluntary;
      gint64 involuntary;

      /* A thread may end between listing and reading. */
      if (!g_file_get_contents (status_path, &status, NULL, NULL))
        continue;

      voluntary = field_value (status, "voluntary_ctxt_switches");
      involuntary = field_value (status, "nonvoluntary_ctxt_switches");
      task.tid = (int) g_ascii_strtoll (entry, NULL, 10);
      task.switches = (guint64) MAX (voluntary, 0) + (guint64) MAX (involuntary, 0);
      {
        const char *name = strstr (status, "Name:");

        task.name = name != NULL ? g_strndup (name + 5, strcspn (name + 5, "\n")) : g_strdup ("?");
        g_strstrip (task.name);
      }
      g_array_append_val (sample->tasks, task);

      sample->switches += task.switches;
      sample->threads++;
      if (g_file_get_contents (sched_path, &sched, NULL, NULL))
        sample->cpu_ns += g_ascii_strtoull (sched, NULL, 10);
    }
}

static gboolean
read_proc_sample (GPid         pid,
                  ProcSample  *sample,
                  GError     **error)
{
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *rollup_path = g_strdup_printf ("/proc/%d/smaps_rollup", (int) pid);
  g_autofree char *status = NULL;
  g_autofree char *rollup = NULL;
  char state = '?';

  proc_sample_clear (sample);
  memset (sample, 0, sizeof *sample);
  sample->tasks = g_array_new (FALSE, TRUE, sizeof (TaskSample));
  g_array_set_clear_func (sample->tasks, task_sample_clear);
  sample->when = g_get_monotonic_time ();

  if (!read_proc_stat (pid, &state, &sample->ppid, &sample->cpu_ticks) ||
      state == 'Z' || state == 'X' ||
      !g_file_get_contents (status_path, &status, NULL, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "Process %d is gone", (int) pid);
      return FALSE;
    }

  sample->rss_kib = field_value (status, "VmRSS");
  sample->hwm_kib = field_value (status, "VmHWM");
  sample->pss_kib = g_file_get_contents (rollup_path, &rollup, NULL, NULL)
                    ? field_value (rollup, "Pss") : -1;
  read_tasks (pid, sample);
  return TRUE;
}

/* ---- the notification server's thread ----------------------------------- */

static GDBusMessage *
notifyd_filter_cb (GDBusConnection *connection,
                   GDBusMessage    *message,
                   gboolean         incoming,
                   gpointer         user_data)
{
  Notifyd *self = user_data;
  gint64 now = g_get_monotonic_time ();

  /* Runs in GDBus's worker thread as soon as the message is read, before it
   * is dispatched to our thread: the truest arrival time we can have. */
  if (incoming &&
      g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_member (message), "Notify") == 0)
    {
      gint64 *stamp = g_new (gint64, 1);

      *stamp = now;
      g_mutex_lock (&self->lock);
      g_hash_table_replace (self->stamps, stamp_key (message), stamp);
      g_mutex_unlock (&self->lock);
    }

  return message;
}

static gboolean
deliver_cb (gpointer user_data)
{
  Delivery *delivery = user_data;

  delivery->func (g_steal_pointer (&delivery->record), delivery->func_data);
  return G_SOURCE_REMOVE;
}

static void
notifyd_notify (Notifyd               *self,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  g_autofree char *key = stamp_key (message);
  g_autoptr(NotifyRecord) record = g_new0 (NotifyRecord, 1);
  gpointer stored_key = NULL;
  gpointer stamp = NULL;
  Delivery *delivery;

  g_mutex_lock (&self->lock);
  if (g_hash_table_steal_extended (self->stamps, key, &stored_key, &stamp))
    {
      record->arrived = *(gint64 *) stamp;
      g_free (stored_key);
      g_free (stamp);
    }
  else
    {
      record->arrived = g_get_monotonic_time ();
    }
  g_mutex_unlock (&self->lock);

  g_variant_get_child (parameters, 1, "u", &record->replaces_id);
  g_variant_get_child (parameters, 3, "s", &record->summary);

  if (record->replaces_id != 0 &&
      g_hash_table_contains (self->live, GUINT_TO_POINTER (record->replaces_id)))
    {
      record->id = record->replaces_id;
    }
  else
    {
      record->id = ++self->last_id;
      g_hash_table_add (self->live, GUINT_TO_POINTER (record->id));
    }

  /* Answer first: the daemon waits for this reply. */
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", record->id));
  g_atomic_int_inc (&self->calls[CALL_NOTIFY]);

  delivery = g_new0 (Delivery, 1);
  delivery->func = self->func;
  delivery->func_data = self->func_data;
  delivery->record = g_steal_pointer (&record);
  g_main_context_invoke_full (self->report_context, G_PRIORITY_DEFAULT, deliver_cb, delivery,
                              delivery_free);
}

static void
notifyd_method_call_cb (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *object_path,
                        const char            *interface_name,
                        const char            *method_name,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  static const char * const capabilities[] = { "body", "body-markup", "actions", NULL };
  Notifyd *self = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      notifyd_notify (self, parameters, invocation);
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      guint32 id = 0;

      g_atomic_int_inc (&self->calls[CALL_CLOSE]);
      g_variant_get (parameters, "(u)", &id);
      if (g_hash_table_remove (self->live, GUINT_TO_POINTER (id)))
        g_dbus_connection_emit_signal (connection, sender, NOTIFICATIONS_PATH,
                                       "org.freedesktop.Notifications", "NotificationClosed",
                                       g_variant_new ("(uu)", id, 3), NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      g_atomic_int_inc (&self->calls[CALL_CAPABILITIES]);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^as)", (char **) capabilities));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    {
      g_atomic_int_inc (&self->calls[CALL_INFORMATION]);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(ssss)", "bench-daemon", "Trainwatch",
                                                            PACKAGE_VERSION, "1.2"));
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method_name);
    }
}

static gboolean
notifyd_setup (Notifyd  *self,
               GError  **error)
{
  static const GDBusInterfaceVTable vtable = { notifyd_method_call_cb, NULL, NULL };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;
  guint32 result = 0;

  self->connection = g_dbus_connection_new_for_address_sync (self->address, flags, NULL, NULL,
                                                             error);
  if (self->connection == NULL)
    return FALSE;

  self->filter_id = g_dbus_connection_add_filter (self->connection, notifyd_filter_cb, self, NULL);

  info = g_dbus_node_info_new_for_xml (introspection_xml, error);
  if (info == NULL)
    return FALSE;
  self->object_id = g_dbus_connection_register_object (self->connection, NOTIFICATIONS_PATH,
                                                       info->interfaces[0], &vtable, self, NULL,
                                                       error);
  if (self->object_id == 0)
    return FALSE;

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", NOTIFICATIONS_NAME,
                                                      G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(u)", &result);
  if (result != 1)   /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Cannot own %s on the private bus (RequestName answered %u)",
                   NOTIFICATIONS_NAME, result);
      return FALSE;
    }

  return TRUE;
}

static gpointer
notifyd_thread (gpointer data)
{
  Notifyd *self = data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);

  ok = notifyd_setup (self, &error);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  if (!ok)
    self->error = g_steal_pointer (&error);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (ok)
    g_main_loop_run (self->loop);

  if (self->object_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->object_id);
  if (self->filter_id != 0)
    g_dbus_connection_remove_filter (self->connection, self->filter_id);
  if (self->connection != NULL)
    g_dbus_connection_close_sync (self->connection, NULL, NULL);
  while (g_main_context_iteration (self->context, FALSE))
    ;

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
notifyd_free (Notifyd *self)
{
  if (self->thread != NULL)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      /* A source rather than g_main_loop_quit(): the loop may not run yet. */
      g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
      g_source_attach (source, self->context);
      g_thread_join (self->thread);
    }

  g_clear_object (&self->connection);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->report_context, g_main_context_unref);
  g_clear_pointer (&self->stamps, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_error (&self->error);
  g_free (self->address);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Notifyd, notifyd_free)

/* Starts the server in its own thread with its own connection to @address,
 * and returns once it owns the name. Records go to @func on the caller's
 * thread-default context. */
static Notifyd *
notifyd_new (const char  *address,
             NotifyFunc   func,
             gpointer     func_data,
             GError     **error)
{
  g_autoptr(Notifyd) self = g_new0 (Notifyd, 1);

  self->address = g_strdup (address);
  self->report_context = g_main_context_ref_thread_default ();
  self->func = func;
  self->func_data = func_data;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->live = g_hash_table_new (NULL, NULL);

  self->thread = g_thread_new ("bench-notifyd", notifyd_thread, self);

  /* Every call the thread makes while starting has a timeout of its own. */
  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&self->error),
                                  "Failed to start the notification server: ");
      return NULL;
    }

  return g_steal_pointer (&self);
}

static int
notifyd_count_calls (Notifyd *self)
{
  int total = 0;

  for (guint i = 0; i < N_CALLS; i++)
    total += g_atomic_int_get (&self->calls[i]);
  return total;
}

/* ---- commands and the daemon -------------------------------------------- */

static void
notify_arrived_cb (NotifyRecord *record,
                   gpointer      user_data)
{
  Bench *bench = user_data;
  Run *run = bench->current;

  if (run != NULL && run->expect != NULL && run->record == NULL &&
      g_strcmp0 (record->summary, run->expect) == 0)
    {
      run->record = record;
      return;
    }

  if (g_str_has_prefix (record->summary, "bench "))
    bench->late++;
  else
    bench->unexpected++;
  notify_record_free (record);
}

static void
daemon_exited_cb (GPid     pid,
                  int      wait_status,
                  gpointer user_data)
{
  Bench *bench = user_data;

  bench->daemon_watch_id = 0;
  bench->daemon_gone = TRUE;
  bench->daemon_gone_at = g_get_monotonic_time ();
  bench->daemon_reaped = TRUE;
  bench->daemon_wait_status = wait_status;
  g_spawn_close_pid (pid);
}

static gboolean
daemon_alive (Bench *bench)
{
  char state = '?';

  if (bench->daemon_pid <= 0 || bench->daemon_gone)
    return FALSE;

  /* Our own child: the child watch says when it ends. */
  if (bench->daemon_watch_id != 0)
    return TRUE;

  if (!read_proc_stat (bench->daemon_pid, &state, NULL, NULL) || state == 'Z' || state == 'X')
    {
      bench->daemon_gone = TRUE;
      bench->daemon_gone_at = g_get_monotonic_time ();
      return FALSE;
    }

  return TRUE;
}

/* How the daemon ended, for error messages: "" when we could not reap it. */
static char *
describe_daemon_end (Bench *bench)
{
  if (!bench->daemon_reaped)
    return g_strdup ("");
  if (WIFEXITED (bench->daemon_wait_status))
    return g_strdup_printf (" (exit status %d)", WEXITSTATUS (bench->daemon_wait_status));
  if (WIFSIGNALED (bench->daemon_wait_status))
    return g_strdup_printf (" (killed by signal %d)", WTERMSIG (bench->daemon_wait_status));
  return g_strdup ("");
}

static void
command_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Run *run = user_data;

  /* Stamped first: this is latency B. */
  run->exited = g_get_monotonic_time ();
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
}

static gboolean
command_timeout_cb (gpointer user_data)
{
  Run *run = user_data;

  run->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
run_done (Bench *bench,
          Run   *run)
{
  if (bench->interrupted || run->timed_out)
    return TRUE;
  if (run->exited == 0)
    return FALSE;
  /* A dead daemon sends nothing more. */
  return run->expect == NULL || run->record != NULL || bench->daemon_gone;
}

/* Runs `trainwatch ARGS…` and waits, up to @timeout_ms, until it exits and,
 * if @expect is set, until a Notify with that summary arrives. A command
 * still running then is killed. Returns FALSE only when it cannot spawn. */
static gboolean
run_command (Bench              *bench,
             const char * const *args,
             const char         *expect,
             guint               timeout_ms,
             Run                *run,
             GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSource) timeout = NULL;

  g_ptr_array_add (argv, bench->trainwatch);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  /* GSubprocess opens these without O_TRUNC. */
  g_unlink (bench->out_path);
  g_unlink (bench->err_path);
  g_subprocess_launcher_set_environ (launcher, bench->env);
  g_subprocess_launcher_set_stdout_file_path (launcher, bench->out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, bench->err_path);

  run->expect = expect;
  bench->current = run;
  run->started = g_get_monotonic_time ();
  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               error);
  if (run->process == NULL)
    {
      bench->current = NULL;
      return FALSE;
    }

  g_subprocess_wait_async (run->process, NULL, command_exited_cb, run);
  timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timeout, command_timeout_cb, run, NULL);
  g_source_attach (timeout, NULL);

  while (!run_done (bench, run))
    g_main_context_iteration (NULL, TRUE);

  if (run->exited == 0)
    {
      run->killed = TRUE;
      g_subprocess_force_exit (run->process);
      while (run->exited == 0)
        g_main_context_iteration (NULL, TRUE);
    }

  g_source_destroy (timeout);
  bench->current = NULL;
  return TRUE;
}

static gboolean
command_succeeded (Run *run)
{
  return !run->killed &&
         g_subprocess_get_if_exited (run->process) &&
         g_subprocess_get_exit_status (run->process) == 0;
}

static char *
describe_failure (Bench *bench,
                  Run   *run)
{
  g_autofree char *err = NULL;
  g_autofree char *how = NULL;

  if (run->killed)
    how = g_strdup ("did not finish in time and was killed");
  else if (g_subprocess_get_if_exited (run->process))
    how = g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (run->process));
  else
    how = g_strdup_printf ("was killed by signal %d", g_subprocess_get_term_sig (run->process));

  if (g_file_get_contents (bench->err_path, &err, NULL, NULL))
    g_strstrip (err);

  return g_strdup_printf ("%s%s%s", how, err != NULL && *err != '\0' ? ": " : "",
                          err != NULL ? err : "");
}

static gboolean
name_has_owner (Bench      *bench,
                const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bench->notifyd->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* Asks the bus which process owns the daemon's name: for cleaning up when
 * `trainwatch status` cannot tell. */
static GPid
query_daemon_pid (Bench *bench)
{
  g_autoptr(GVariant) reply = NULL;
  guint32 pid = 0;

  reply = g_dbus_connection_call_sync (bench->notifyd->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", DAEMON_BUS_NAME),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &pid);
  return (GPid) pid;
}

/* Waits @ms on the main loop. Returns FALSE when interrupted or when the
 * daemon died meanwhile. */
static gboolean
wait_ms (Bench *bench,
         guint  ms)
{
  gboolean done = FALSE;
  guint id = g_timeout_add (ms, set_flag_cb, &done);

  while (!done && !bench->interrupted && !bench->daemon_gone)
    g_main_context_iteration (NULL, TRUE);
  if (!done)
    g_source_remove (id);

  return done && daemon_alive (bench);
}

static gboolean
read_daemon_pid (Bench   *bench,
                 GError **error)
{
  static const char * const args[] = { "status", "--json", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(Run) run = { 0 };
  JsonNode *root;
  gint64 pid;

  if (!run_command (bench, args, NULL, bench->timeout_s * 1000, &run, error))
    return FALSE;
  if (!command_succeeded (&run))
    {
      g_autofree char *why = describe_failure (bench, &run);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "`trainwatch status --json` %s", why);
      return FALSE;
    }

  if (!json_parser_load_from_file (parser, bench->out_path, error))
    {
      g_prefix_error (error, "Cannot read `trainwatch status --json`: ");
      return FALSE;
    }
  root = json_parser_get_root (parser);
  pid = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
        ? json_object_get_int_member_with_default (json_node_get_object (root), "pid", 0) : 0;
  if (pid <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "`trainwatch status --json` names no \"pid\"");
      return FALSE;
    }

  bench->daemon_pid = (GPid) pid;
  return TRUE;
}

static void
watch_daemon (Bench *bench)
{
  int ppid = 0;

  /* `trainwatch` started the daemon and exited; as the subreaper we inherited
   * it, so its exit status reaches us. A child watch on a process that is not
   * our child would only warn. */
  if (bench->subreaper &&
      read_proc_stat (bench->daemon_pid, NULL, &ppid, NULL) && ppid == (int) getpid ())
    bench->daemon_watch_id = g_child_watch_add (bench->daemon_pid, daemon_exited_cb, bench);
}

static gboolean
start_daemon (Bench   *bench,
              GError **error)
{
  static const char * const args[] = { NULL };
  g_auto(Run) run = { 0 };

  if (!run_command (bench, args, NULL, START_TIMEOUT_MS, &run, error))
    return FALSE;
  if (!command_succeeded (&run))
    {
      g_autofree char *why = describe_failure (bench, &run);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "`trainwatch` (start) %s", why);
      return FALSE;
    }
  bench->start_us = run.exited - run.started;

  if (!read_daemon_pid (bench, error))
    return FALSE;
  watch_daemon (bench);
  return TRUE;
}

static void
kill_daemon (Bench *bench)
{
  if (bench->daemon_pid <= 0 && bench->notifyd != NULL)
    bench->daemon_pid = query_daemon_pid (bench);
  if (!daemon_alive (bench))
    return;

  g_printerr ("bench-daemon: stopping the daemon (process %d)\n", (int) bench->daemon_pid);
  kill (bench->daemon_pid, SIGTERM);
  for (guint i = 0; i < KILL_GRACE_MS / 10 && daemon_alive (bench); i++)
    {
      gboolean done = FALSE;

      g_timeout_add (10, set_flag_cb, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
    }
  if (daemon_alive (bench))
    {
      g_printerr ("bench-daemon: the daemon ignored SIGTERM; killing it\n");
      kill (bench->daemon_pid, SIGKILL);
    }
}

/* ---- the measurements ---------------------------------------------------- */

static gboolean
measure_version (Bench   *bench,
                 GError **error)
{
  static const char * const args[] = { "--version", NULL };

  for (guint i = 0; i < VERSION_RUNS && !bench->interrupted; i++)
    {
      g_auto(Run) run = { 0 };
      gint64 us;

      if (!run_command (bench, args, NULL, bench->timeout_s * 1000, &run, error))
        return FALSE;
      if (!command_succeeded (&run))
        {
          g_autofree char *why = describe_failure (bench, &run);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "`trainwatch --version` %s", why);
          return FALSE;
        }
      us = run.exited - run.started;
      g_array_append_val (bench->version_us, us);
      if (bench->version == NULL)
        {
          g_file_get_contents (bench->out_path, &bench->version, NULL, NULL);
          if (bench->version != NULL)
            g_strstrip (bench->version);
        }
    }

  return TRUE;
}

/* Sends @count notifications one at a time; @series is NULL for warm-up. */
static gboolean
run_sends (Bench   *bench,
           Mode     mode,
           guint    count,
           Series  *series,
           GError **error)
{
  guint in_a_row = 0;

  for (guint i = 0; i < count && !bench->interrupted; i++)
    {
      g_autofree char *title = g_strdup_printf ("bench %u", ++bench->serial);
      g_autofree char *job = NULL;
      const char *args[5] = { "send", NULL };
      g_auto(Run) run = { 0 };
      guint n = 1;

      if (mode == MODE_SAME_JOB)
        job = g_strdup ("bench");
      else if (mode == MODE_DISTINCT_JOBS)
        job = g_strdup_printf ("bench-%u", bench->serial);
      if (job != NULL)
        {
          args[n++] = "--job";
          args[n++] = job;
        }
      args[n++] = title;
      args[n] = NULL;

      if (!run_command (bench, args, title, bench->timeout_s * 1000, &run, error))
        return FALSE;
      if (bench->interrupted)
        break;

      if (!command_succeeded (&run))
        {
          g_autofree char *why = describe_failure (bench, &run);

          g_printerr ("bench-daemon: `trainwatch send ... \"%s\"` %s\n", title, why);
          if (series != NULL)
            series->failed++;
          in_a_row++;
        }
      else if (run.record == NULL)
        {
          g_printerr ("bench-daemon: lost: no Notify for \"%s\" within %d s\n",
                      title, bench->timeout_s);
          if (series != NULL)
            series->lost++;
          in_a_row++;
        }
      else
        {
          in_a_row = 0;
          if (series != NULL)
            {
              gint64 notify_us = run.record->arrived - run.started;
              gint64 exit_us = run.exited - run.started;

              g_array_append_val (series->notify_us, notify_us);
              g_array_append_val (series->exit_us, exit_us);
              if (run.record->replaces_id != 0)
                series->replaced++;
            }
        }

      if (!daemon_alive (bench))
        {
          g_autofree char *how = describe_daemon_end (bench);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The daemon (process %d) died during the sends%s",
                       (int) bench->daemon_pid, how);
          return FALSE;
        }
      if (in_a_row >= MAX_FAILURES_IN_A_ROW)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%u sends in a row failed or were lost; giving up", in_a_row);
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
measure_idle (Bench   *bench,
              GError **error)
{
  int calls_before;

  if (!wait_ms (bench, SETTLE_MS))
    goto gone;
  if (!read_proc_sample (bench->daemon_pid, &bench->idle_start, error))
    return FALSE;
  if (bench->idle_seconds == 0)
    return TRUE;

  g_printerr ("bench-daemon: watching the idle daemon for %d s...\n", bench->idle_seconds);
  calls_before = notifyd_count_calls (bench->notifyd);
  if (!wait_ms (bench, bench->idle_seconds * 1000))
    goto gone;
  if (!read_proc_sample (bench->daemon_pid, &bench->idle_end, error))
    return FALSE;
  bench->idle_notifyd_calls = notifyd_count_calls (bench->notifyd) - calls_before;
  bench->have_idle = TRUE;
  return TRUE;

gone:
  if (bench->interrupted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Interrupted");
    }
  else
    {
      g_autofree char *how = describe_daemon_end (bench);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The daemon (process %d) died while idle%s", (int) bench->daemon_pid, how);
    }
  return FALSE;
}

static gboolean
quit_daemon (Bench   *bench,
             GError **error)
{
  static const char * const args[] = { "quit", NULL };
  g_auto(Run) run = { 0 };

  if (!run_command (bench, args, NULL, bench->timeout_s * 1000, &run, error))
    return FALSE;
  if (!command_succeeded (&run))
    {
      g_autofree char *why = describe_failure (bench, &run);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "`trainwatch quit` %s", why);
      return FALSE;
    }
  bench->quit_exit_us = run.exited - run.started;

  while (daemon_alive (bench) && !bench->interrupted &&
         g_get_monotonic_time () - run.started < QUIT_TIMEOUT_MS * 1000)
    {
      gboolean done = FALSE;
      /* Our child: the watch fires on exit. Otherwise poll /proc. */
      guint id = g_timeout_add (bench->daemon_watch_id != 0 ? 100 : 2, set_flag_cb, &done);

      while (!done && !bench->daemon_gone)
        g_main_context_iteration (NULL, TRUE);
      if (!done)
        g_source_remove (id);
    }

  bench->quit_gone_us = bench->daemon_gone ? bench->daemon_gone_at - run.started : -1;
  bench->quit_name_released = !name_has_owner (bench, DAEMON_BUS_NAME);

  if (!bench->daemon_gone)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "The daemon (process %d) was still running %d s after `trainwatch quit`",
                   (int) bench->daemon_pid, QUIT_TIMEOUT_MS / 1000);
      return FALSE;
    }

  return TRUE;
}

/* ---- the report ---------------------------------------------------------- */

static double
kib_to_mb (gint64 kib)
{
  return kib / 1024.0;
}

static void
json_number (GString *json,
             double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* By hand: json-glib prints doubles with 17 significant digits. */
  g_string_append (json, g_ascii_formatd (buf, sizeof buf, "%.3f", value));
}

static void
json_kib_as_mb (GString *json,
                gint64   kib)
{
  if (kib < 0)
    g_string_append (json, "null");
  else
    json_number (json, kib_to_mb (kib));
}

static void
json_stats (GString    *json,
            const char *name,
            Stats       stats,
            guint       lost)
{
  g_string_append_printf (json, "\"%s\":{\"median\":", name);
  json_number (json, stats.median);
  g_string_append (json, ",\"p90\":");
  json_number (json, stats.p90);
  g_string_append (json, ",\"p99\":");
  json_number (json, stats.p99);
  g_string_append (json, ",\"max\":");
  json_number (json, stats.max);
  g_string_append_printf (json, ",\"n\":%u", stats.n);
  if (lost != G_MAXUINT)
    g_string_append_printf (json, ",\"lost\":%u", lost);
  g_string_append_c (json, '}');
}

static void
json_memory (GString          *json,
             const char       *name,
             const ProcSample *sample)
{
  g_string_append_printf (json, "\"%s\":{\"rss_mb\":", name);
  json_kib_as_mb (json, sample->rss_kib);
  g_string_append (json, ",\"hwm_mb\":");
  json_kib_as_mb (json, sample->hwm_kib);
  g_string_append (json, ",\"pss_mb\":");
  json_kib_as_mb (json, sample->pss_kib);
  g_string_append_printf (json, ",\"threads\":%u", sample->threads);
}

static void
print_stats_row (const char *label,
                 const char *what,
                 Stats       stats)
{
  if (stats.n == 0)
    g_print ("  %-14s %s      0        -        -        -        -\n", label, what);
  else
    g_print ("  %-14s %s  %5u %8.2f %8.2f %8.2f %8.2f\n", label, what, stats.n,
             stats.median, stats.p90, stats.p99, stats.max);
}

static void
print_memory (const char       *label,
              const ProcSample *sample)
{
  g_print ("  %-22s RSS %6.1f MB   HWM %6.1f MB   ", label,
           kib_to_mb (sample->rss_kib), kib_to_mb (sample->hwm_kib));
  if (sample->pss_kib >= 0)
    g_print ("PSS %6.1f MB   ", kib_to_mb (sample->pss_kib));
  else
    g_print ("PSS unreadable   ");
  g_print ("%u threads\n", sample->threads);
}

static guint64
task_switches (const ProcSample *sample,
               int               tid)
{
  for (guint i = 0; i < sample->tasks->len; i++)
    {
      const TaskSample *task = &g_array_index (sample->tasks, TaskSample, i);

      if (task->tid == tid)
        return task->switches;
    }
  return 0;
}

static void
report (Bench *bench)
{
  g_autoptr(GString) json = g_string_new ("{\"bench\":\"daemon\"");
  struct utsname uts = { 0 };
  Stats version = compute_stats (bench->version_us);
  Stats notify[N_MODES];
  Stats exits[N_MODES];
  long ticks_per_s = sysconf (_SC_CLK_TCK);
  g_autofree char *log_tail = dup_tail (bench->log_path, LOG_TAIL_LINES);
  g_autofree char *daemon_end = describe_daemon_end (bench);

  uname (&uts);
  for (guint m = 0; m < N_MODES; m++)
    {
      notify[m] = compute_stats (bench->series[m].notify_us);
      exits[m] = compute_stats (bench->series[m].exit_us);
    }

  g_print ("\nTrainwatch daemon benchmark\n");
  g_print ("  program    %s (%s)\n", bench->trainwatch,
           bench->version != NULL ? bench->version : "version unknown");
  g_print ("  machine    %u CPUs, %s %s, %ld clock ticks/s\n", g_get_num_processors (),
           uts.sysname, uts.release, ticks_per_s);
  g_print ("  runs       %d sends per case after %d warm-up sends, one at a time, timeout %d s\n",
           bench->sends, bench->warmup, bench->timeout_s);
  g_print ("  daemon     process %d; `trainwatch` (start) returned after %.1f ms\n",
           (int) bench->daemon_pid, bench->start_us / 1000.0);

  g_print ("\nsend -> notification, ms\n"
           "  (A: Notify reached the server; B: `trainwatch send` exited; both from its spawn)\n");
  g_print ("  %-14s      %5s %8s %8s %8s %8s\n", "case", "n", "median", "p90", "p99", "max");
  for (guint m = 0; m < N_MODES; m++)
    {
      print_stats_row (modes[m].label, "A", notify[m]);
      print_stats_row ("", "B", exits[m]);
      g_print ("  %-14s    lost %u, failed %u, Notify with replaces_id %u\n", "",
               bench->series[m].lost, bench->series[m].failed, bench->series[m].replaced);
    }
  if (bench->late > 0 || bench->unexpected > 0)
    g_print ("  late Notify calls (after their send gave up): %u; other Notify calls: %u\n",
             bench->late, bench->unexpected);
  g_print ("  `trainwatch --version` (process start-up alone, no bus): "
           "median %.2f ms, max %.2f ms, n %u\n", version.median, version.max, version.n);
  if (notify[MODE_SAME_JOB].n > 0 && version.n > 0)
    g_print ("  daemon's share, same job: A median - start-up median = %.2f ms\n",
             notify[MODE_SAME_JOB].median - version.median);

  g_print ("\ndaemon memory (after a %d s settle)\n", SETTLE_MS / 1000);
  if (bench->have_fresh)
    {
      print_memory ("fresh, nothing sent", &bench->fresh);
      g_print ("  %-22s CPU used from start to here: %.0f ms (%" G_GUINT64_FORMAT " ticks)", "",
               bench->fresh.cpu_ticks * 1000.0 / ticks_per_s, bench->fresh.cpu_ticks);
      if (bench->fresh.cpu_ns > 0)
        g_print ("; schedstat %.1f ms", bench->fresh.cpu_ns / 1e6);
      g_print ("\n");
    }
  if (bench->idle_start.tasks != NULL)
    print_memory ("after the sends", &bench->idle_start);

  if (bench->have_idle)
    {
      const ProcSample *a = &bench->idle_start;
      const ProcSample *b = &bench->idle_end;
      double seconds = (b->when - a->when) / (double) G_USEC_PER_SEC;
      guint64 ticks = b->cpu_ticks - a->cpu_ticks;
      double cpu_ms = ticks * 1000.0 / ticks_per_s;
      guint64 switches = b->switches >= a->switches ? b->switches - a->switches : 0;

      g_print ("\ndaemon idle over %.1f s (after the sends and a %d s settle)\n",
               seconds, SETTLE_MS / 1000);
      g_print ("  CPU        %.3f %%, %.0f ms (%" G_GUINT64_FORMAT " ticks of %.0f ms)",
               cpu_ms / 10.0 / seconds, cpu_ms, ticks, 1000.0 / ticks_per_s);
      if (a->cpu_ns > 0)
        g_print ("; schedstat %.3f ms", (b->cpu_ns - a->cpu_ns) / 1e6);
      g_print ("\n  wake-ups   %.2f/s (%" G_GUINT64_FORMAT " context switches, all threads)\n",
               switches / seconds, switches);
      for (guint i = 0; i < b->tasks->len; i++)
        {
          const TaskSample *task = &g_array_index (b->tasks, TaskSample, i);

          g_print ("    thread %-7d %-16s %" G_GUINT64_FORMAT "\n", task->tid, task->name,
                   task->switches - MIN (task->switches, task_switches (a, task->tid)));
        }
      g_print ("  D-Bus calls to the notification server while idle: %d\n",
               bench->idle_notifyd_calls);
    }

  g_print ("\nquit\n");
  g_print ("  `trainwatch quit` returned after %.1f ms; ", bench->quit_exit_us / 1000.0);
  if (bench->quit_gone_us >= 0)
    g_print ("the daemon was gone after %.1f ms", bench->quit_gone_us / 1000.0);
  else
    g_print ("the daemon did not exit");
  g_print ("%s; bus name %s\n", daemon_end,
           bench->quit_name_released ? "released" : "STILL OWNED");

  g_print ("\nstate\n  history.jsonl: %u events\n", count_lines (bench->history_path));
  if (log_tail != NULL && *log_tail != '\0')
    {
      g_print ("  daemon.log (last %u lines at most):\n", LOG_TAIL_LINES);
      print_indented (log_tail);
    }
  else
    {
      g_print ("  daemon.log: empty\n");
    }

  /* The JSON line: same-job figures at the top, the other cases nested. */
  g_string_append_printf (json, ",\"version\":\"%s\",\"sends\":%d,\"warmup\":%d,",
                          PACKAGE_VERSION, bench->sends, bench->warmup);
  json_stats (json, "send_notify_ms", notify[MODE_SAME_JOB], bench->series[MODE_SAME_JOB].lost);
  g_string_append_c (json, ',');
  json_stats (json, "send_exit_ms", exits[MODE_SAME_JOB], G_MAXUINT);
  for (guint m = MODE_DISTINCT_JOBS; m < N_MODES; m++)
    {
      g_string_append_printf (json, ",\"%s\":{", modes[m].key);
      json_stats (json, "send_notify_ms", notify[m], bench->series[m].lost);
      g_string_append_c (json, ',');
      json_stats (json, "send_exit_ms", exits[m], G_MAXUINT);
      g_string_append_c (json, '}');
    }
  g_string_append (json, ",\"cli_version_ms\":{\"median\":");
  json_number (json, version.median);
  g_string_append_printf (json, ",\"n\":%u},\"start_ms\":", version.n);
  json_number (json, bench->start_us / 1000.0);
  if (bench->have_fresh)
    {
      g_string_append_c (json, ',');
      json_memory (json, "fresh", &bench->fresh);
      g_string_append (json, ",\"cpu_ms\":");
      json_number (json, bench->fresh.cpu_ticks * 1000.0 / ticks_per_s);
      g_string_append (json, ",\"cpu_ms_schedstat\":");
      if (bench->fresh.cpu_ns > 0)
        json_number (json, bench->fresh.cpu_ns / 1e6);
      else
        g_string_append (json, "null");
      g_string_append_c (json, '}');
    }
  if (bench->idle_start.tasks != NULL)
    {
      g_string_append_c (json, ',');
      json_memory (json, "after_sends", &bench->idle_start);
      g_string_append_c (json, '}');
    }
  if (bench->have_idle)
    {
      const ProcSample *a = &bench->idle_start;
      const ProcSample *b = &bench->idle_end;
      double seconds = (b->when - a->when) / (double) G_USEC_PER_SEC;
      double cpu_ms = (b->cpu_ticks - a->cpu_ticks) * 1000.0 / ticks_per_s;
      guint64 switches = b->switches >= a->switches ? b->switches - a->switches : 0;

      g_string_append (json, ",\"idle\":{\"seconds\":");
      json_number (json, seconds);
      g_string_append (json, ",\"cpu_percent\":");
      json_number (json, cpu_ms / 10.0 / seconds);
      g_string_append (json, ",\"cpu_ms\":");
      json_number (json, cpu_ms);
      g_string_append (json, ",\"cpu_ms_schedstat\":");
      if (a->cpu_ns > 0)
        json_number (json, (b->cpu_ns - a->cpu_ns) / 1e6);
      else
        g_string_append (json, "null");
      g_string_append (json, ",\"wakeups_per_s\":");
      json_number (json, switches / seconds);
      g_string_append_printf (json, ",\"threads\":%u,\"notifyd_calls\":%d}",
                              b->threads, bench->idle_notifyd_calls);
    }
  g_string_append (json, ",\"quit_ms\":");
  if (bench->quit_gone_us >= 0)
    json_number (json, bench->quit_gone_us / 1000.0);
  else
    g_string_append (json, "null");
  g_string_append_c (json, '}');

  g_print ("\n%s\n", json->str);
}

/* ---- set-up and tear-down ------------------------------------------------ */

static gboolean
signal_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static gboolean
make_private_dirs (Bench   *bench,
                   GError **error)
{
  static const char * const names[] = { "home", "config", "state", "data", "cache", "runtime" };

  bench->tmp_dir = g_dir_make_tmp ("trainwatch-bench-XXXXXX", error);
  if (bench->tmp_dir == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (bench->tmp_dir, names[i], NULL);

      if (g_mkdir (path, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Failed to create '%s': %s", path, g_strerror (saved_errno));
          return FALSE;
        }
    }

  bench->log_path = g_build_filename (bench->tmp_dir, "state", "trainwatch", "daemon.log", NULL);
  bench->history_path = g_build_filename (bench->tmp_dir, "state", "trainwatch", "history.jsonl",
                                          NULL);
  bench->out_path = g_build_filename (bench->tmp_dir, "command.out", NULL);
  bench->err_path = g_build_filename (bench->tmp_dir, "command.err", NULL);
  return TRUE;
}

/* The environment of every command, and through `trainwatch` of the daemon:
 * the private bus and folders only, and nothing that changes how fast it
 * runs. */
static char **
build_environ (Bench *bench)
{
  static const char * const dropped[] = {
    "DISPLAY", "WAYLAND_DISPLAY", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE",
    "G_MESSAGES_DEBUG", "G_DEBUG", "G_SLICE", "MALLOC_CHECK_", "MALLOC_PERTURB_",
    "TRAINWATCH_CLIENT_STARTED_DAEMON",
  };
  static const struct
  {
    const char *variable;
    const char *dir;
  } dirs[] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  char **env = g_get_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    env = g_environ_unsetenv (env, dropped[i]);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (bench->tmp_dir, dirs[i].dir, NULL);

      env = g_environ_setenv (env, dirs[i].variable, path, TRUE);
    }
  env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS",
                          g_test_dbus_get_bus_address (bench->bus), TRUE);
  /* No dconf or gvfs daemons could start on this bus anyway. */
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", TRUE);
  env = g_environ_setenv (env, "GIO_USE_VFS", "local", TRUE);
  return env;
}

static gboolean
setup (Bench   *bench,
       GError **error)
{
  if (!g_file_test (bench->trainwatch, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "'%s' is not an executable; build it first or pass --trainwatch PATH",
                   bench->trainwatch);
      return FALSE;
    }

  /* Orphans of our children (the daemon, once `trainwatch` exits) become
   * ours, so we learn its exit status and cannot lose track of it. */
  bench->subreaper = prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;

  if (!make_private_dirs (bench, error))
    return FALSE;

  bench->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bench->bus);
  if (g_test_dbus_get_bus_address (bench->bus) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Failed to start a private D-Bus");
      return FALSE;
    }
  bench->env = build_environ (bench);

  bench->notifyd = notifyd_new (g_test_dbus_get_bus_address (bench->bus), notify_arrived_cb,
                                bench, error);
  return bench->notifyd != NULL;
}

static void
teardown (Bench    *bench,
          gboolean  failed)
{
  kill_daemon (bench);
  g_clear_handle_id (&bench->daemon_watch_id, g_source_remove);
  g_clear_pointer (&bench->notifyd, notifyd_free);

  if (bench->bus != NULL)
    {
      g_test_dbus_down (bench->bus);
      g_clear_object (&bench->bus);
    }

  if (failed && bench->log_path != NULL)
    {
      g_autofree char *tail = dup_tail (bench->log_path, LOG_TAIL_LINES);

      g_printerr ("bench-daemon: daemon.log (last %u lines at most):\n%s\n", LOG_TAIL_LINES,
                  tail != NULL && *tail != '\0' ? tail : "(empty or missing)");
    }

  if (bench->tmp_dir != NULL)
    {
      if (bench->keep)
        g_printerr ("bench-daemon: kept %s\n", bench->tmp_dir);
      else
        remove_tree (bench->tmp_dir);
    }
}

static void
bench_clear (Bench *bench)
{
  for (guint m = 0; m < N_MODES; m++)
    {
      g_clear_pointer (&bench->series[m].notify_us, g_array_unref);
      g_clear_pointer (&bench->series[m].exit_us, g_array_unref);
    }
  g_clear_pointer (&bench->version_us, g_array_unref);
  proc_sample_clear (&bench->fresh);
  proc_sample_clear (&bench->idle_start);
  proc_sample_clear (&bench->idle_end);
  g_clear_pointer (&bench->env, g_strfreev);
  g_clear_pointer (&bench->trainwatch, g_free);
  g_clear_pointer (&bench->tmp_dir, g_free);
  g_clear_pointer (&bench->log_path, g_free);
  g_clear_pointer (&bench->history_path, g_free);
  g_clear_pointer (&bench->out_path, g_free);
  g_clear_pointer (&bench->err_path, g_free);
  g_clear_pointer (&bench->version, g_free);
}

static gboolean
run_bench (Bench   *bench,
           GError **error)
{
  if (!setup (bench, error))
    return FALSE;

  /* Also proves the program runs at all before a daemon is involved. */
  g_printerr ("bench-daemon: timing `trainwatch --version`...\n");
  if (!measure_version (bench, error))
    return FALSE;

  g_printerr ("bench-daemon: starting the daemon...\n");
  if (!start_daemon (bench, error))
    return FALSE;
  if (!wait_ms (bench, SETTLE_MS))
    goto stopped;
  if (!read_proc_sample (bench->daemon_pid, &bench->fresh, error))
    return FALSE;
  bench->have_fresh = TRUE;

  g_printerr ("bench-daemon: %d warm-up sends, then %d sends for each of %d cases...\n",
              bench->warmup, bench->sends, N_MODES);
  if (!run_sends (bench, MODE_SAME_JOB, bench->warmup, NULL, error))
    return FALSE;
  for (guint m = 0; m < N_MODES && !bench->interrupted; m++)
    if (!run_sends (bench, m, bench->sends, &bench->series[m], error))
      return FALSE;
  if (bench->interrupted)
    goto stopped;

  if (!measure_idle (bench, error))
    return FALSE;

  return quit_daemon (bench, error);

stopped:
  if (bench->interrupted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Interrupted");
    }
  else
    {
      g_autofree char *how = describe_daemon_end (bench);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The daemon (process %d) died after it started%s",
                   (int) bench->daemon_pid, how);
    }
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *trainwatch = NULL;
  Bench bench = { 0 };
  guint sigint_id;
  guint sigterm_id;
  gboolean ok;
  const GOptionEntry entries[] = {
    { "sends", 0, 0, G_OPTION_ARG_INT, &bench.sends,
      "Timed sends for each case (default 200)", "N" },
    { "idle-seconds", 0, 0, G_OPTION_ARG_INT, &bench.idle_seconds,
      "How long to watch the idle daemon; 0 skips it (default 60)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &bench.warmup,
      "Untimed sends before the timed ones (default 5)", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &bench.timeout_s,
      "Seconds a send may take before its notification counts as lost (default 10)", "S" },
    { "trainwatch", 0, 0, G_OPTION_ARG_FILENAME, &trainwatch,
      "The trainwatch program to measure (default: the one built beside this benchmark)",
      "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &bench.keep,
      "Keep the temporary folder (daemon.log, history.jsonl) and print its path", NULL },
    { NULL }
  };

  bench.sends = DEFAULT_SENDS;
  bench.idle_seconds = DEFAULT_IDLE_SECONDS;
  bench.warmup = DEFAULT_WARMUP;
  bench.timeout_s = DEFAULT_TIMEOUT_S;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Measures how long `trainwatch send` takes to become a desktop "
                                "notification, and what the idle daemon costs, on a private bus "
                                "with private folders. Prints figures; never passes or fails "
                                "on them.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-daemon: %s\n", error->message);
      return 2;
    }
  if (bench.sends < 1 || bench.idle_seconds < 0 || bench.warmup < 0 || bench.timeout_s < 1)
    {
      g_printerr ("bench-daemon: --sends and --timeout must be at least 1, "
                  "--idle-seconds and --warmup at least 0\n");
      return 2;
    }

  bench.trainwatch = g_steal_pointer (&trainwatch);
  if (bench.trainwatch == NULL)
    bench.trainwatch = g_strdup (TRAINWATCH_BUILD_PATH);
  bench.version_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint m = 0; m < N_MODES; m++)
    {
      bench.series[m].notify_us = g_array_new (FALSE, FALSE, sizeof (gint64));
      bench.series[m].exit_us = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  bench.quit_gone_us = -1;

  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &bench);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &bench);

  ok = run_bench (&bench, &error);
  if (ok)
    report (&bench);
  else
    g_printerr ("bench-daemon: %s\n", error->message);

  teardown (&bench, !ok);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  bench_clear (&bench);

  return ok ? 0 : 1;
}
