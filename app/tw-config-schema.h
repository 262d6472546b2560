/* tw-config-schema.h — every group and key of the config file, with types, defaults and docs
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TW_CONFIG_TYPE_BOOLEAN,
  TW_CONFIG_TYPE_INT,
  TW_CONFIG_TYPE_ENUM,
  TW_CONFIG_TYPE_STRING,
  TW_CONFIG_TYPE_REGEX,
  TW_CONFIG_TYPE_TIME_RANGES,   /* "22:00-07:30, 12:00-13:00" (tw-dnd-time.h); may be empty */
  TW_CONFIG_TYPE_EVENT_KINDS,   /* "run-failed, stalled": names of tw_event_kind_to_string(); may be empty */
  TW_CONFIG_TYPE_HOST,          /* a host name or IP address; may be empty */
  TW_CONFIG_TYPE_MAIL_ADDRESS,  /* one address, user@example.org; may be empty */
  TW_CONFIG_TYPE_MAIL_ADDRESSES,/* addresses separated by commas; may be empty */
} TwConfigType;

typedef struct
{
  const char *name;
  const char *doc;  /* untranslated (N_()); pass through _() to show it */
} TwConfigGroup;

typedef struct
{
  const char         *group;
  const char         *key;
  TwConfigType        type;
  const char         *default_value;  /* as written in the file */
  int                 min;            /* TW_CONFIG_TYPE_INT */
  int                 max;            /* TW_CONFIG_TYPE_INT */
  const char * const *choices;        /* TW_CONFIG_TYPE_ENUM: NULL-terminated */
  const char         *doc;            /* untranslated (N_()); pass through _() to show it */
} TwConfigKey;

/* A kind of group that may appear any number of times, as `[KIND:NAME]`: one watched
 * path or glob, one user rule. Its keys are TwConfigKey rows whose group is the kind. */
typedef struct
{
  const char *kind;
  const char *required_key;  /* a section without it is ignored (and reported) */
  const char *example;       /* the NAME used in the default file's commented example */
  const char *doc;           /* untranslated (N_()); pass through _() to show it */
} TwConfigSection;

/* A value parsed from its text; which member is set follows the key's type. */
typedef struct
{
  gboolean    boolean;  /* TW_CONFIG_TYPE_BOOLEAN */
  int         integer;  /* TW_CONFIG_TYPE_INT; TW_CONFIG_TYPE_ENUM: index into choices */
  guint32     kinds;    /* TW_CONFIG_TYPE_EVENT_KINDS: a bit (1 << TwEventKind) for each kind */
  const char *string;   /* TW_CONFIG_TYPE_ENUM: the canonical choice (static);
                         * TW_CONFIG_TYPE_STRING, TW_CONFIG_TYPE_REGEX,
                         * TW_CONFIG_TYPE_TIME_RANGES: the text passed in (borrowed) */
} TwConfigValue;

const TwConfigGroup *tw_config_schema_get_groups       (guint              *n_groups);
const TwConfigKey   *tw_config_schema_get_keys         (guint              *n_keys);
gboolean             tw_config_schema_has_group        (const char         *group);
int                  tw_config_schema_find_key         (const char         *group,
                                                        const char         *key);

const TwConfigSection *tw_config_schema_get_sections   (guint              *n_sections);
const TwConfigKey   *tw_config_schema_get_section_keys (guint              *n_keys);
int                  tw_config_schema_find_section_key (const char         *kind,
                                                        const char         *key);
const TwConfigSection *tw_config_schema_parse_section  (const char         *group,
                                                        const char        **out_name);

guint32              tw_config_parse_event_kinds       (const char         *text,
                                                        gboolean           *ok);
gboolean             tw_config_is_host_name            (const char         *text);
gboolean             tw_config_is_mail_address         (const char         *text);

gboolean             tw_config_key_parse               (const TwConfigKey  *key,
                                                        const char         *text,
                                                        TwConfigValue      *out_value);
char                *tw_config_key_dup_normalized      (const TwConfigKey  *key,
                                                        const char         *text);
char                *tw_config_key_dup_allowed         (const TwConfigKey  *key);

char                *tw_config_schema_dup_default_text (void);

G_END_DECLS
