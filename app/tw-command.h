/* tw-command.h — the command line, parsed the same way by the client and the daemon
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "tw-event.h"
#include "tw-secrets.h"

G_BEGIN_DECLS

#define TW_COMMAND_ERROR (tw_command_error_quark ())

typedef enum
{
  TW_COMMAND_ERROR_USAGE,
} TwCommandError;

typedef enum
{
  TW_COMMAND_START,
  TW_COMMAND_DAEMON,
  TW_COMMAND_SEND,
  TW_COMMAND_STATUS,
  TW_COMMAND_QUIT,
  TW_COMMAND_HELP,
  TW_COMMAND_VERSION,
  TW_COMMAND_INSPECT,
  TW_COMMAND_WATCH,
  TW_COMMAND_UNWATCH,
  TW_COMMAND_RUN,
  TW_COMMAND_RUN_FINISHED,   /* sent by `trainwatch run` when its command ends; not in --help */
  TW_COMMAND_PAUSE,
  TW_COMMAND_RESUME,
  TW_COMMAND_SECRET_SET,     /* run by the client itself, never forwarded */
  TW_COMMAND_SECRET_CLEAR,   /* run by the client itself, never forwarded */
  TW_COMMAND_SECRET_STATUS,
  TW_COMMAND_TEST_CHANNEL,
  TW_COMMAND_PREFERENCES,    /* run by the client itself: it starts the window */
} TwCommandKind;

typedef enum
{
  TW_DEMO_NONE,
  TW_DEMO_OK,
  TW_DEMO_FAIL,
} TwDemoKind;

typedef struct
{
  TwCommandKind  kind;
  TwDemoKind     demo;    /* START: also start a simulated run */
  gboolean       json;
  TwLevel        level;
  char          *job;
  char          *title;
  char          *body;
  char          *help;    /* for TW_COMMAND_HELP: the text to print */
  char         **files;   /* INSPECT: the files; WATCH and UNWATCH: one path or name */
  char          *log;     /* WATCH from `run`: the log it writes (read from its start) */
  char         **argv;    /* RUN: the command and its arguments */
  int            exit_status;  /* RUN_FINISHED: -1 when it was killed by a signal */
  int            signal;       /* RUN_FINISHED: the signal, or 0 */
  char          *duration;     /* PAUSE: as tw_pause_parse_until() reads it; NULL: until resume */
  TwSecretKind   secret;       /* SECRET_SET and SECRET_CLEAR: which one */
  char          *channel;      /* TEST_CHANNEL: email, slack or discord */
} TwCommand;

GQuark     tw_command_error_quark (void);
TwCommand *tw_command_parse       (int                 argc,
                                   const char * const *argv,
                                   GError            **error);
void       tw_command_free        (TwCommand          *command);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwCommand, tw_command_free)

G_END_DECLS
