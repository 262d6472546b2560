/* tw-inspect.c — `trainwatch inspect`: a log or status file read offline, as the daemon would
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same extractors and run state as the daemon, fed from a file at once,
 * so a rule or a bug report can be checked without a daemon or a desktop.
 * A log that simply ends is a run still running: only what the log says
 * (completion, a failure, "Killed") ends it.
 */
#include "config.h"

#include "tw-inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "tw-extract-failure.h"
#include "tw-extractor.h"
#include "tw-run-state.h"
#include "tw-status-file.h"

#define READ_CHUNK (1024 * 1024)
/* A status file larger than this is not one. */
#define MAX_STATUS_FILE (64 * 1024 * 1024)

static void
print_json_line (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *json = json_to_string (root, FALSE);

  g_print ("%s\n", json);
}

static void
print_event (TwEvent  *event,
             guint64   offset,
             gboolean  json)
{
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "event");
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, tw_event_kind_to_string (tw_event_get_kind (event)));
      json_builder_set_member_name (builder, "level");
      json_builder_add_string_value (builder, tw_level_to_string (tw_event_get_level (event)));
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, tw_event_get_title (event));
      json_builder_set_member_name (builder, "body");
      json_builder_add_string_value (builder, tw_event_get_body (event));
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, (gint64) offset);
      json_builder_end_object (builder);
      print_json_line (builder);
    }
  else
    {
      g_print ("%10" G_GUINT64_FORMAT "  %-8s %-21s %s%s%s\n", offset,
               tw_level_to_string (tw_event_get_level (event)),
               tw_event_kind_to_string (tw_event_get_kind (event)),
               tw_event_get_title (event),
               tw_event_get_body (event) != NULL ? " — " : "",
               tw_event_get_body (event) != NULL ? tw_event_get_body (event) : "");
    }
}

static void
apply_all (TwRunState *run,
           GArray     *observations,
           gboolean    json)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < observations->len; i++)
    {
      const TwObservation *o = &g_array_index (observations, TwObservation, i);

      tw_run_state_apply (run, o, events);
      for (guint j = 0; j < events->len; j++)
        print_event (g_ptr_array_index (events, j), o->offset, json);
      g_ptr_array_set_size (events, 0);
    }
  g_array_set_size (observations, 0);
}

static gboolean
inspect_log (const char  *path,
             int          fd,
             TwRunState  *run,
             gboolean     json,
             GError     **error)
{
  g_autoptr(TwExtractor) extractor = tw_extractor_new ();
  g_autoptr(GArray) observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_autofree guint8 *buf = g_malloc (READ_CHUNK);
  TwFailureDetector *detector = tw_failure_detector_new ();
  gssize n;

  g_array_set_clear_func (observations, (GDestroyNotify) tw_observation_clear);
  tw_extractor_add_line_func (extractor, tw_failure_detector_line_func, detector,
                              (GDestroyNotify) tw_failure_detector_free);

  for (;;)
    {
      n = read (fd, buf, READ_CHUNK);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      tw_extractor_feed (extractor, buf, n, observations);
      apply_all (run, observations, json);
    }

  if (n < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to read “%s”: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  tw_extractor_finish (extractor, observations);
  tw_failure_detector_finish (detector, observations);
  apply_all (run, observations, json);
  return TRUE;
}

static gboolean
inspect_status_file (const char      *path,
                     TwStatusFormat   format,
                     TwRunState      *run,
                     gboolean         json,
                     GError         **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GArray) observations = g_array_new (FALSE, TRUE, sizeof (TwObservation));
  g_autoptr(GError) local_error = NULL;

  g_array_set_clear_func (observations, (GDestroyNotify) tw_observation_clear);

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Failed to read “%s”: %s"), path,
                   local_error->message);
      return FALSE;
    }
  if (g_mapped_file_get_length (mapped) > MAX_STATUS_FILE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("“%s” is too large for a status file."), path);
      return FALSE;
    }
  if (!tw_status_file_parse (format, g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped),
                             observations, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Failed to read the status file “%s”: %s"),
                   path, local_error->message);
      return FALSE;
    }

  apply_all (run, observations, json);
  return TRUE;
}

static void
print_run (const char *path,
           TwRunState *run,
           gboolean    json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *failure;
  double progress;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "job");
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, path);
  tw_run_state_add_json (run, builder);
  json_builder_end_object (builder);

  if (json)
    {
      print_json_line (builder);
      return;
    }

  root = json_builder_get_root (builder);
  object = json_node_get_object (root);
  g_print (_("%s: %s"), path, tw_run_status_to_string (tw_run_state_get_status (run)));
  progress = tw_run_state_get_progress (run);
  if (progress >= 0)
    g_print (_(", %.0f %% done"), progress * 100.0);
  if (!json_object_get_null_member (object, "total"))
    g_print (" (%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT ")",
             json_object_get_int_member (object, "step"), json_object_get_int_member (object, "total"));
  if (!json_object_get_null_member (object, "epoch") && !json_object_get_null_member (object, "epochs"))
    g_print (_(", epoch %d of %d"), (int) json_object_get_int_member (object, "epoch"),
             (int) json_object_get_int_member (object, "epochs"));
  else if (!json_object_get_null_member (object, "epoch"))
    g_print (_(", epoch %d"), (int) json_object_get_int_member (object, "epoch"));
  g_print ("\n");
  failure = json_object_get_member (object, "failure");
  if (failure != NULL && JSON_NODE_HOLDS_OBJECT (failure))
    {
      JsonObject *f = json_node_get_object (failure);
      const char *exception = json_object_get_string_member_with_default (f, "exception", NULL);
      const char *message = json_object_get_string_member_with_default (f, "message", NULL);

      g_print (_("  failure: %s"), json_object_get_string_member (f, "kind"));
      if (exception != NULL)
        g_print (" — %s", exception);
      if (message != NULL)
        g_print (": %s", message);
      g_print ("\n");
    }
}

/**
 * tw_inspect_run:
 * @command: a parsed `inspect` command
 *
 * Reads each file of @command through the extractors (or as a status file,
 * by its name: `trainer_state.json`, `metrics.csv`, `*.json`) and prints
 * every event, then the run as it stands at the end of the file. Each file
 * is its own run.
 *
 * Returns: the exit status: 0, or 1 if a file could not be read
 */
int
tw_inspect_run (TwCommand *command)
{
  int status = 0;

  g_return_val_if_fail (command != NULL && command->kind == TW_COMMAND_INSPECT, 2);

  for (guint i = 0; command->files[i] != NULL; i++)
    {
      const char *path = command->files[i];
      g_autofree char *basename = g_path_get_basename (path);
      g_autofree char *job = NULL;
      g_autoptr(TwRunState) run = NULL;
      g_autoptr(GError) error = NULL;
      gboolean ok;
      char *dot;

      job = g_strdup (basename);
      dot = strrchr (job, '.');
      if (dot != NULL && dot != job)
        *dot = '\0';
      run = tw_run_state_new (job);

      if (g_str_has_suffix (basename, ".json") || g_str_has_suffix (basename, "metrics.csv"))
        {
          ok = inspect_status_file (path, tw_status_format_for_name (basename), run, command->json, &error);
        }
      else
        {
          int fd = g_str_equal (path, "-") ? dup (STDIN_FILENO) : g_open (path, O_RDONLY | O_CLOEXEC, 0);

          if (fd < 0)
            {
              int saved_errno = errno;

              g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           _("Failed to open “%s”: %s"), path, g_strerror (saved_errno));
              ok = FALSE;
            }
          else
            {
              ok = inspect_log (path, fd, run, command->json, &error);
              close (fd);
            }
        }

      if (!ok)
        {
          g_printerr ("%s\n", error->message);
          status = 1;
          continue;
        }
      print_run (path, run, command->json);
    }

  return status;
}
