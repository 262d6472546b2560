/* tw-config.h — the user's config file: schema-checked values, comment-preserving saves
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "tw-inotify.h"

G_BEGIN_DECLS

#define TW_CONFIG_ERROR (tw_config_error_quark ())

typedef enum
{
  TW_CONFIG_ERROR_UNKNOWN_KEY,
  TW_CONFIG_ERROR_INVALID_VALUE,
  TW_CONFIG_ERROR_SYNTAX,
  TW_CONFIG_ERROR_IO,
} TwConfigError;

/* One thing wrong with the file, found while loading it. */
typedef struct
{
  char  *file;     /* the file's path */
  guint  line;     /* 1-based; 0 when the problem has no line */
  char  *group;    /* nullable */
  char  *key;      /* nullable */
  char  *message;  /* translated, complete sentence naming file, line and key */
} TwConfigProblem;

void tw_config_problem_free (TwConfigProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwConfigProblem, tw_config_problem_free)

#define TW_TYPE_CONFIG (tw_config_get_type ())
G_DECLARE_FINAL_TYPE (TwConfig, tw_config, TW, CONFIG, GObject)

GQuark      tw_config_error_quark       (void);

char       *tw_config_dup_default_path  (void);

TwConfig   *tw_config_new               (const char  *path);
const char *tw_config_get_path          (TwConfig    *self);
gboolean    tw_config_load              (TwConfig    *self,
                                         GError     **error);
GPtrArray  *tw_config_get_problems      (TwConfig    *self);
void        tw_config_watch             (TwConfig    *self,
                                         TwInotify   *inotify);

gboolean    tw_config_get_boolean       (TwConfig    *self,
                                         const char  *group,
                                         const char  *key);
int         tw_config_get_int           (TwConfig    *self,
                                         const char  *group,
                                         const char  *key);
const char *tw_config_get_string        (TwConfig    *self,
                                         const char  *group,
                                         const char  *key);
guint32     tw_config_get_event_kinds   (TwConfig    *self,
                                         const char  *group,
                                         const char  *key);
char       *tw_config_dup_value         (TwConfig    *self,
                                         const char  *group,
                                         const char  *key);

gboolean    tw_config_set_value         (TwConfig    *self,
                                         const char  *group,
                                         const char  *key,
                                         const char  *value,
                                         GError     **error);

GStrv       tw_config_dup_section_names (TwConfig    *self,
                                         const char  *kind);
gboolean    tw_config_remove_section    (TwConfig    *self,
                                         const char  *group,
                                         GError     **error);

G_END_DECLS
