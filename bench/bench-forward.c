/* bench-forward.c — draining 1000 queued events to a webhook that takes one message a second
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real daemon on a private bus, a TLS webhook receiver on loopback that answers
 * 429 (with Retry-After) to a second message within a second on the same webhook, and
 * a log with 1000 lines that each match a rule, written while the receiver is down.
 * Once all 1000 events are in the Slack outbox, the receiver comes back, and the
 * benchmark measures:
 *
 *   drain_seconds   from the receiver's return to the last event accepted
 *   messages        the messages accepted (coalescing: how many the 1000 became)
 *   rejected_429    the messages the receiver refused for coming too fast
 *   max_stall_ms    the longest round trip of a D-Bus property read (Overview.Status)
 *                   to the daemon, asked for back to back during the drain from a
 *                   thread of the benchmark with its own connection: the daemon's main
 *                   loop answers it, so a main loop held up shows as a long round trip
 *                   (an upper bound: the bus's latency and the scheduler's are included)
 *   p99_rtt_ms      the 99th percentile of those round trips
 *   max_busy_ms     the longest main-loop iteration the daemon itself timed during the
 *                   drain (TRAINWATCH_DEBUG_STALLS, app/tw-stall-watch.c): the stall
 *                   without the bus; 0 when none took over 2 ms
 *   idle_max_busy_ms  the same while the daemon only waited
 *   idle_max_ms     the same probe's longest round trip over 20 s before the receiver
 *   idle_p99_ms     returns, while the daemon only waits: what the machine and the bus
 *                   add on their own, to compare max_stall_ms with
 *
 * It prints one JSON line per run and one with the medians; it never fails on them.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tw-test-daemon.h"
#include "tw-test-webhook.h"

#define N_EVENTS 1000
#define IDLE_PROBE_MS 20000
#define STALL_LOG_MS "2"

static guint n_runs = 3;

/* Reads a property of the daemon back to back, from a thread of its own with its own
 * connection, so that the receiver's work in the benchmark's main loop does not
 * delay the answers. */
typedef struct
{
  char       *address;
  gint        running;     /* atomic */
  GArray     *rtts;        /* of double, ms */
  GThread    *thread;
} Prober;

static gpointer
prober_thread (gpointer data)
{
  Prober *prober = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GDBusConnection) connection = NULL;

  g_main_context_push_thread_default (context);
  connection = g_dbus_connection_new_for_address_sync (prober->address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, NULL);
  while (connection != NULL && g_atomic_int_get (&prober->running))
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GVariant) reply = NULL;

      reply = g_dbus_connection_call_sync (connection, "io.github.trainwatch.Trainwatch.Daemon",
                                           "/io/github/trainwatch/Trainwatch/Daemon",
                                           "org.freedesktop.DBus.Properties", "Get",
                                           g_variant_new ("(ss)", "io.github.trainwatch.Trainwatch.Overview",
                                                          "Status"),
                                           G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, NULL);
      if (reply != NULL)
        {
          double ms = (g_get_monotonic_time () - start) / 1000.0;

          g_array_append_val (prober->rtts, ms);
        }
    }
  if (connection != NULL)
    g_dbus_connection_close_sync (connection, NULL, NULL);
  g_main_context_pop_thread_default (context);

  return NULL;
}

static void
prober_start (Prober     *prober,
              const char *address)
{
  prober->address = g_strdup (address);
  prober->rtts = g_array_new (FALSE, FALSE, sizeof (double));
  g_atomic_int_set (&prober->running, 1);
  prober->thread = g_thread_new ("prober", prober_thread, prober);
}

static void
prober_stop (Prober *prober)
{
  g_atomic_int_set (&prober->running, 0);
  g_thread_join (prober->thread);
  g_free (prober->address);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

static double
percentile (GArray *values,
            double  p)
{
  guint i;

  if (values->len == 0)
    return -1;
  g_array_sort (values, compare_double);
  i = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, double, MIN (i, values->len - 1));
}

/* The longest "Main loop busy for X ms" the daemon logged after @offset of its log
 * (TRAINWATCH_DEBUG_STALLS), or 0 if none was over the threshold. */
static double
max_busy_since (const char *log,
                gsize       offset)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  double max = 0;
  const char *p;

  if (!g_file_get_contents (log, &text, &length, NULL) || offset > length)
    return -1;
  for (p = strstr (text + offset, "Main loop busy for "); p != NULL;
       p = strstr (p + 1, "Main loop busy for "))
    max = MAX (max, g_ascii_strtod (p + strlen ("Main loop busy for "), NULL));

  return max;
}

static gsize
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gsize) st.st_size : 0;
}

static gint64
slack_queued (char **env)
{
  g_autoptr(JsonNode) status = tw_test_daemon_dup_status (env);
  JsonObject *channels = json_object_get_object_member (json_node_get_object (status), "channels");
  JsonObject *slack = json_object_get_object_member (channels, "slack");

  return json_object_get_int_member (json_object_get_object_member (slack, "outbox"), "queued");
}

/* How many distinct "event NNN" the accepted messages hold, and how many messages. */
static guint
count_accepted (TwTestWebhook *hook,
                guint         *n_messages,
                guint         *n_rejected)
{
  g_autoptr(GRegex) regex = g_regex_new ("event \\d{3}", 0, 0, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  *n_messages = 0;
  *n_rejected = 0;
  for (guint i = 0; i < tw_test_webhook_get_n_requests (hook); i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      GBytes *body;
      g_autofree char *text = NULL;

      if (tw_test_webhook_get_status (hook, i) == 429)
        (*n_rejected)++;
      if (tw_test_webhook_get_status (hook, i) != 200)
        continue;
      (*n_messages)++;
      body = tw_test_webhook_get_body (hook, i);
      text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      g_regex_match (regex, text, 0, &match);
      while (g_match_info_matches (match))
        {
          g_hash_table_add (seen, g_match_info_fetch (match, 0));
          g_match_info_next (match, NULL);
        }
    }

  return g_hash_table_size (seen);
}

typedef struct
{
  double idle_busy_ms;
  double busy_ms;
  double idle_max_ms;
  double idle_p99_ms;
  double drain_seconds;
  double messages;
  double rejected;
  double max_stall_ms;
  double p99_rtt_ms;
} Figures;

static void
run_once (guint    run,
          Figures *out)
{
  TwTestFixture fx = { 0 };
  g_autoptr(TwTestWebhook) hook = NULL;
  g_autofree char *run_dir = g_build_filename (g_get_user_cache_dir (), "runs", NULL);
  g_autofree char *log = g_strdup_printf ("%s/run-%u.log", run_dir, run);
  g_autofree char *ca_dir = g_strdup_printf ("%s/ca-%u", g_get_user_cache_dir (), run);
  g_autofree char *url = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_dir = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);
  Prober prober = { 0 };
  g_autofree char *daemon_log = NULL;
  gsize log_at;
  guint n_messages = 0;
  guint n_rejected = 0;
  gint64 start;

  tw_test_fixture_setup (&fx, NULL, NULL);
  g_assert_cmpint (g_mkdir_with_parents (ca_dir, 0700), ==, 0);
  hook = tw_test_webhook_new (ca_dir);
  tw_test_webhook_set_min_interval (hook, 1000);
  url = g_strdup_printf ("%s/services/T0001/B0001/benchtoken", tw_test_webhook_get_base_url (hook));
  fx.env = g_environ_setenv (fx.env, "TRAINWATCH_SLACK_WEBHOOK", url, TRUE);
  fx.env = g_environ_setenv (fx.env, "TRAINWATCH_TEST_ALLOW_WEBHOOK_HOST", tw_test_webhook_get_host_port (hook), TRUE);
  fx.env = g_environ_setenv (fx.env, "TRAINWATCH_CA_FILE", tw_test_webhook_get_ca_file (hook), TRUE);
  /* the daemon logs each main-loop iteration longer than this, in ms */
  fx.env = g_environ_setenv (fx.env, "TRAINWATCH_DEBUG_STALLS", STALL_LOG_MS, TRUE);

  g_assert_cmpint (g_mkdir_with_parents (run_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (log, "", 0, NULL));
  config_dir = g_path_get_dirname (fx.config_path);
  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  config = g_strdup_printf ("[desktop]\nenabled = false\n[discord]\nenabled = false\n"
                            "[watch:bench]\npath = %s\n"
                            "[rule:event]\npattern = event \\d{3}\nlevel = warning\nmessage = \\0\n", log);
  g_assert_true (g_file_set_contents (fx.config_path, config, -1, NULL));

  tw_test_webhook_set_down (hook, TRUE);
  g_free (tw_test_run_trainwatch_ok (fx.env, NULL));
  for (guint i = 0; i < N_EVENTS; i++)
    g_string_append_printf (lines, "step %u: event %03u happened\n", i, i);
  tw_test_append (log, lines->str);
  while (slack_queued (fx.env) < N_EVENTS)
    tw_test_iterate_for (200);

  /* the same probe first while the daemon only waits (the receiver is still down):
   * what the machine and the bus add without any sending */
  daemon_log = g_build_filename (fx.state_dir, "daemon.log", NULL);
  {
    Prober idle = { 0 };
    gsize at = file_size (daemon_log);

    prober_start (&idle, tw_test_bus_get_address (fx.bus));
    tw_test_iterate_for (IDLE_PROBE_MS);
    prober_stop (&idle);
    out->idle_busy_ms = max_busy_since (daemon_log, at);
    out->idle_p99_ms = percentile (idle.rtts, 0.99);
    out->idle_max_ms = percentile (idle.rtts, 1.0);
    g_array_unref (idle.rtts);
  }

  log_at = file_size (daemon_log);
  prober_start (&prober, tw_test_bus_get_address (fx.bus));

  tw_test_webhook_set_down (hook, FALSE);
  start = g_get_monotonic_time ();
  while (count_accepted (hook, &n_messages, &n_rejected) < N_EVENTS)
    tw_test_iterate_for (20);
  out->drain_seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  prober_stop (&prober);
  out->busy_ms = max_busy_since (daemon_log, log_at);

  out->messages = n_messages;
  out->rejected = n_rejected;
  out->p99_rtt_ms = percentile (prober.rtts, 0.99);
  out->max_stall_ms = percentile (prober.rtts, 1.0);
  g_print ("{\"run\": %u, \"events\": %d, \"drain_seconds\": %.1f, \"messages\": %u, \"rejected_429\": %u, "
           "\"probes\": %u, \"max_stall_ms\": %.2f, \"p99_rtt_ms\": %.2f, \"idle_max_ms\": %.2f, "
           "\"idle_p99_ms\": %.2f, \"max_busy_ms\": %.1f, \"idle_max_busy_ms\": %.1f}\n",
           run, N_EVENTS, out->drain_seconds, n_messages, n_rejected, prober.rtts->len,
           out->max_stall_ms, out->p99_rtt_ms, out->idle_max_ms, out->idle_p99_ms, out->busy_ms,
           out->idle_busy_ms);
  g_array_unref (prober.rtts);

  tw_test_daemon_quit (fx.env);
  tw_test_fixture_teardown (&fx);
}

static double
median_of (Figures *figures,
           guint    n,
           gsize    offset)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < n; i++)
    g_array_append_val (values, G_STRUCT_MEMBER (double, &figures[i], offset));

  return percentile (values, 0.5);
}

static void
bench_drain (void)
{
  g_autofree Figures *figures = g_new0 (Figures, n_runs);

  if (!tw_test_webhook_is_supported ())
    {
      g_test_skip ("No TLS webhook receiver here");
      return;
    }

  for (guint i = 0; i < n_runs; i++)
    run_once (i, &figures[i]);

  g_print ("{\"median_of\": %u, \"events\": %d, \"drain_seconds\": %.1f, \"messages\": %.0f, "
           "\"rejected_429\": %.0f, \"max_stall_ms\": %.2f, \"p99_rtt_ms\": %.2f, \"idle_max_ms\": %.2f, "
           "\"idle_p99_ms\": %.2f, \"max_busy_ms\": %.1f, \"idle_max_busy_ms\": %.1f}\n",
           n_runs, N_EVENTS, median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, drain_seconds)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, messages)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, rejected)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, max_stall_ms)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, p99_rtt_ms)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, idle_max_ms)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, idle_p99_ms)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, busy_ms)),
           median_of (figures, n_runs, G_STRUCT_OFFSET (Figures, idle_busy_ms)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (g_getenv ("TW_BENCH_RUNS") != NULL)
    n_runs = (guint) CLAMP (g_ascii_strtoull (g_getenv ("TW_BENCH_RUNS"), NULL, 10), 1, 20);

  g_test_add_func ("/bench/forward-drain", bench_drain);

  return g_test_run ();
}
