/* tw-event.h — one thing that happened to a training run, as every channel sees it
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  TW_LEVEL_INFO,
  TW_LEVEL_SUCCESS,
  TW_LEVEL_WARNING,
  TW_LEVEL_ERROR,
  TW_LEVEL_CRITICAL,
} TwLevel;

#define TW_N_LEVELS (TW_LEVEL_CRITICAL + 1)

typedef enum
{
  TW_EVENT_RUN_STARTED,
  TW_EVENT_PROGRESS,
  TW_EVENT_EPOCH_COMPLETED,
  TW_EVENT_CHECKPOINT_SAVED,
  TW_EVENT_EVALUATION_COMPLETED,
  TW_EVENT_NEW_BEST,
  TW_EVENT_RUN_COMPLETED,
  TW_EVENT_RUN_FAILED,
  TW_EVENT_OUT_OF_MEMORY,
  TW_EVENT_NAN_DETECTED,
  TW_EVENT_LOSS_DIVERGING,
  TW_EVENT_STALLED,
  TW_EVENT_RESUMED,
  TW_EVENT_RUN_STOPPED,
  TW_EVENT_RULE_MATCHED,
  TW_EVENT_MESSAGE,
  TW_EVENT_TEST,
} TwEventKind;

#define TW_N_EVENT_KINDS (TW_EVENT_TEST + 1)

#define TW_EVENT_ERROR (tw_event_error_quark ())

typedef enum
{
  TW_EVENT_ERROR_INVALID,
} TwEventError;

#define TW_TYPE_EVENT (tw_event_get_type ())
G_DECLARE_FINAL_TYPE (TwEvent, tw_event, TW, EVENT, GObject)

GQuark       tw_event_error_quark      (void);

const char  *tw_level_to_string        (TwLevel      level);
gboolean     tw_level_from_string      (const char  *str,
                                        TwLevel     *out_level);
const char  *tw_event_kind_to_string   (TwEventKind  kind);
gboolean     tw_event_kind_from_string (const char  *str,
                                        TwEventKind *out_kind);

TwEvent     *tw_event_new              (TwEventKind  kind,
                                        TwLevel      level,
                                        const char  *job,
                                        const char  *title,
                                        const char  *body);
TwEvent     *tw_event_new_from_json    (JsonNode    *node,
                                        GError     **error);

guint64      tw_event_get_id           (TwEvent     *self);
void         tw_event_set_id           (TwEvent     *self,
                                        guint64      id);
gint64       tw_event_get_time         (TwEvent     *self);
void         tw_event_set_time         (TwEvent     *self,
                                        gint64       unix_usec);
TwEventKind  tw_event_get_kind         (TwEvent     *self);
TwLevel      tw_event_get_level        (TwEvent     *self);
const char  *tw_event_get_job          (TwEvent     *self);
const char  *tw_event_get_title        (TwEvent     *self);
const char  *tw_event_get_body         (TwEvent     *self);
const char  *tw_event_get_log_path     (TwEvent     *self);
void         tw_event_set_log_path     (TwEvent     *self,
                                        const char  *log_path);
double       tw_event_get_progress     (TwEvent     *self);
void         tw_event_set_progress     (TwEvent     *self,
                                        double       progress);

JsonNode    *tw_event_to_json_node     (TwEvent     *self);
char        *tw_event_to_json          (TwEvent     *self);

G_END_DECLS
