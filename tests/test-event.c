/* test-event.c — the event model and its JSON form
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "tw-event.h"

static void
test_names_round_trip (void)
{
  for (guint i = 0; i < TW_N_LEVELS; i++)
    {
      TwLevel level;

      g_assert_true (tw_level_from_string (tw_level_to_string (i), &level));
      g_assert_cmpuint (level, ==, i);
    }
  for (guint i = 0; i < TW_N_EVENT_KINDS; i++)
    {
      TwEventKind kind;

      g_assert_true (tw_event_kind_from_string (tw_event_kind_to_string (i), &kind));
      g_assert_cmpuint (kind, ==, i);
    }

  g_assert_cmpstr (tw_level_to_string (TW_LEVEL_CRITICAL), ==, "critical");
  g_assert_cmpstr (tw_event_kind_to_string (TW_EVENT_OUT_OF_MEMORY), ==, "out-of-memory");
  g_assert_cmpstr (tw_event_kind_to_string (TW_EVENT_RUN_STOPPED), ==, "run-stopped");
}

static void
test_names_unknown (void)
{
  TwLevel level = TW_LEVEL_WARNING;
  TwEventKind kind = TW_EVENT_TEST;

  g_assert_false (tw_level_from_string ("fatal", &level));
  g_assert_false (tw_level_from_string ("", &level));
  g_assert_false (tw_level_from_string (NULL, &level));
  g_assert_false (tw_level_from_string ("ERROR", &level));
  g_assert_cmpuint (level, ==, TW_LEVEL_WARNING);
  g_assert_false (tw_event_kind_from_string ("run_failed", &kind));
  g_assert_cmpuint (kind, ==, TW_EVENT_TEST);
}

static void
test_json_round_trip (void)
{
  g_autoptr(TwEvent) event = NULL;
  g_autoptr(TwEvent) back = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  JsonObject *object;

  event = tw_event_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "resnet50", "Run failed",
                        "CUDA <b>out</b> of memory & more\n\"quoted\"");
  tw_event_set_id (event, 42);
  tw_event_set_time (event, G_GINT64_CONSTANT (1795419735123456));
  tw_event_set_log_path (event, "/tmp/runs/a.log");
  tw_event_set_progress (event, 0.25);

  json = tw_event_to_json (event);
  g_assert_null (strchr (json, '\n'));
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);

  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, 42);
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "run-failed");
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (object, "job"), ==, "resnet50");
  g_assert_cmpstr (json_object_get_string_member (object, "time"), ==, "2026-11-23T07:42:15.123456Z");
  g_assert_cmpstr (json_object_get_string_member (object, "body"), ==,
                   "CUDA <b>out</b> of memory & more\n\"quoted\"");

  back = tw_event_new_from_json (json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpuint (tw_event_get_id (back), ==, 42);
  g_assert_cmpint (tw_event_get_time (back), ==, tw_event_get_time (event));
  g_assert_cmpuint (tw_event_get_kind (back), ==, TW_EVENT_RUN_FAILED);
  g_assert_cmpuint (tw_event_get_level (back), ==, TW_LEVEL_ERROR);
  g_assert_cmpstr (tw_event_get_job (back), ==, "resnet50");
  g_assert_cmpstr (tw_event_get_title (back), ==, "Run failed");
  g_assert_cmpstr (tw_event_get_body (back), ==, tw_event_get_body (event));
  g_assert_cmpstr (tw_event_get_log_path (back), ==, "/tmp/runs/a.log");
  g_assert_cmpfloat_with_epsilon (tw_event_get_progress (back), 0.25, 1e-9);

  g_assert_finalize_object (g_steal_pointer (&back));
  g_assert_finalize_object (g_steal_pointer (&event));
}

static void
test_optional_members_absent (void)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "Hello", NULL);
  g_autoptr(JsonNode) node = tw_event_to_json_node (event);
  JsonObject *object = json_node_get_object (node);

  g_assert_false (json_object_has_member (object, "job"));
  g_assert_false (json_object_has_member (object, "body"));
  g_assert_false (json_object_has_member (object, "log"));
  g_assert_false (json_object_has_member (object, "progress"));
  g_assert_cmpfloat (tw_event_get_progress (event), <, 0.0);
}

static void
test_invalid_utf8_repaired (void)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, "j\xff", "t\xc3\x28",
                                           "b\x80ody");

  g_assert_true (g_utf8_validate (tw_event_get_job (event), -1, NULL));
  g_assert_true (g_utf8_validate (tw_event_get_title (event), -1, NULL));
  g_assert_true (g_utf8_validate (tw_event_get_body (event), -1, NULL));
  g_assert_nonnull (strstr (tw_event_get_body (event), "ody"));
}

static void
test_progress_clamped (void)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_PROGRESS, TW_LEVEL_INFO, "j", "t", NULL);

  tw_event_set_progress (event, 1.5);
  g_assert_cmpfloat (tw_event_get_progress (event), ==, 1.0);
  tw_event_set_progress (event, NAN);
  g_assert_cmpfloat (tw_event_get_progress (event), <, 0.0);
  tw_event_set_progress (event, -3);
  g_assert_cmpfloat (tw_event_get_progress (event), <, 0.0);
}

/* The hand-written serialiser against json-glib's: every string reads back
 * as it was, whatever it holds, and so do the time and the progress. */
static void
test_json_strings (void)
{
  static const char * const texts[] = {
    "plain",
    "quote \" backslash \\ slash /",
    "controls \x01\x02\x1f bell \a tab \t cr \r lf \n ff \f bs \b",
    "unicode \xc3\xa9t\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\xa5 \xe2\x80\xa8",
    "",
    "DEL \x7f end",
  };
  static const double progresses[] = { 0.0, 1.0, 0.25, 1.0 / 3.0, 1e-7 };
  static const gint64 times[] = {
    G_GINT64_CONSTANT (0),
    G_GINT64_CONSTANT (1795419735000000),
    G_GINT64_CONSTANT (1795419735000001),
    G_GINT64_CONSTANT (253402300799999999),
  };
  static const char * const expected_times[] = {
    "1970-01-01T00:00:00Z",
    "2026-11-23T07:42:15Z",
    "2026-11-23T07:42:15.000001Z",
    "9999-12-31T23:59:59.999999Z",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_RULE_MATCHED, TW_LEVEL_WARNING, texts[i],
                                               texts[i][0] != '\0' ? texts[i] : "t", texts[i]);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      JsonObject *object;

      tw_event_set_log_path (event, texts[i]);
      tw_event_set_progress (event, progresses[i % G_N_ELEMENTS (progresses)]);
      tw_event_set_time (event, times[i % G_N_ELEMENTS (times)]);
      json = tw_event_to_json (event);
      g_assert_null (strchr (json, '\n'));
      g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
      g_assert_no_error (error);

      object = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpstr (json_object_get_string_member (object, "job"), ==, texts[i]);
      g_assert_cmpstr (json_object_get_string_member (object, "body"), ==, texts[i]);
      g_assert_cmpstr (json_object_get_string_member (object, "log"), ==, texts[i]);
      g_assert_cmpstr (json_object_get_string_member (object, "time"), ==,
                       expected_times[i % G_N_ELEMENTS (times)]);
      g_assert_cmpfloat (json_object_get_double_member (object, "progress"), ==,
                         progresses[i % G_N_ELEMENTS (progresses)]);
    }
}

/* A log path is bytes, not always UTF-8; the line must still be JSON. */
static void
test_json_path_not_utf8 (void)
{
  g_autoptr(TwEvent) event = tw_event_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, NULL, "t", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  const char *log;

  tw_event_set_log_path (event, "/runs/caf\xe9/train.log");
  json = tw_event_to_json (event);
  g_assert_true (g_utf8_validate (json, -1, NULL));
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  log = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "log");
  g_assert_true (g_str_has_prefix (log, "/runs/caf"));
  g_assert_true (g_str_has_suffix (log, "/train.log"));

  node = tw_event_to_json_node (event);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "log"), ==, log);
}

typedef struct
{
  const char *json;
  const char *why;
} BadCase;

static const BadCase bad_cases[] = {
  { "[]", "not an object" },
  { "{\"level\":\"info\",\"title\":\"t\"}", "no kind" },
  { "{\"kind\":\"nope\",\"level\":\"info\",\"title\":\"t\"}", "unknown kind" },
  { "{\"kind\":\"test\",\"level\":\"loud\",\"title\":\"t\"}", "unknown level" },
  { "{\"kind\":\"test\",\"level\":\"info\"}", "no title" },
  { "{\"kind\":\"test\",\"level\":\"info\",\"title\":7}", "title not a string" },
};

static void
test_from_json_invalid (gconstpointer data)
{
  const BadCase *bad = data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TwEvent) event = NULL;

  g_assert_true (json_parser_load_from_data (parser, bad->json, -1, NULL));
  event = tw_event_new_from_json (json_parser_get_root (parser), &error);
  g_assert_null (event);
  g_assert_error (error, TW_EVENT_ERROR, TW_EVENT_ERROR_INVALID);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/event/names/round-trip", test_names_round_trip);
  g_test_add_func ("/event/names/unknown", test_names_unknown);
  g_test_add_func ("/event/json/round-trip", test_json_round_trip);
  g_test_add_func ("/event/json/optional-members-absent", test_optional_members_absent);
  g_test_add_func ("/event/json/strings", test_json_strings);
  g_test_add_func ("/event/json/path-not-utf8", test_json_path_not_utf8);
  g_test_add_func ("/event/text/invalid-utf8-repaired", test_invalid_utf8_repaired);
  g_test_add_func ("/event/progress/clamped", test_progress_clamped);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/event/json/invalid/%u", i);

      g_test_add_data_func (path, &bad_cases[i], test_from_json_invalid);
    }

  return g_test_run ();
}
