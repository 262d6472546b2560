/* tw-test-util.h — test helpers: children, a private bus, a mock notification server, waiting
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _TwTestNotifyd TwTestNotifyd;
typedef struct _TwTestBus     TwTestBus;

GSubprocessLauncher *tw_test_launcher_new                  (GSubprocessFlags flags,
                                                            char           **env);
char               **tw_test_dup_environ                   (void);
void                 tw_test_append                        (const char      *path,
                                                            const char      *text);
char                *tw_test_dup_quiet_hours_around_now    (void);
GPid                 tw_test_get_name_owner_pid            (GDBusConnection *connection,
                                                            const char      *name);

TwTestBus           *tw_test_bus_new                       (void);
void                 tw_test_bus_add_service_dir           (TwTestBus       *self,
                                                            const char      *dir);
void                 tw_test_bus_up                        (TwTestBus       *self);
const char          *tw_test_bus_get_address               (TwTestBus       *self);
void                 tw_test_bus_free                      (TwTestBus       *self);

gboolean             tw_test_notifyd_is_supported          (void);
TwTestNotifyd       *tw_test_notifyd_start                 (const char      *capabilities);
void                 tw_test_notifyd_stop                  (TwTestNotifyd   *self);
GPid                 tw_test_notifyd_get_pid               (TwTestNotifyd   *self);
GPtrArray           *tw_test_notifyd_get_notify_calls      (TwTestNotifyd   *self);
void                 tw_test_notifyd_clear                 (TwTestNotifyd   *self);
GPtrArray           *tw_test_notifyd_wait_for_calls        (TwTestNotifyd   *self,
                                                            guint            n,
                                                            guint            timeout_ms);
gboolean             tw_test_notifyd_wait_for_summary      (TwTestNotifyd   *self,
                                                            const char      *summary,
                                                            guint            timeout_ms);
void                 tw_test_notifyd_emit_action           (TwTestNotifyd   *self,
                                                            guint32          id,
                                                            const char      *action);
void                 tw_test_notifyd_emit_closed           (TwTestNotifyd   *self,
                                                            guint32          id,
                                                            guint32          reason);
void                 tw_test_notifyd_pause                 (TwTestNotifyd   *self);
void                 tw_test_notifyd_resume                (TwTestNotifyd   *self);

gboolean             tw_test_wait_until                    (gboolean     (*cond) (gpointer data),
                                                            gpointer         data,
                                                            guint            timeout_ms);
void                 tw_test_iterate_for                   (guint            ms);
gboolean             tw_test_bus_name_has_owner            (const char      *name);
gboolean             tw_test_wait_for_bus_name             (const char      *name,
                                                            gboolean         owned,
                                                            guint            timeout_ms);

const char          *tw_test_notify_call_get_app_name      (GVariant        *call);
const char          *tw_test_notify_call_get_app_icon      (GVariant        *call);
const char          *tw_test_notify_call_get_summary       (GVariant        *call);
const char          *tw_test_notify_call_get_body          (GVariant        *call);
guint32              tw_test_notify_call_get_replaces_id   (GVariant        *call);
gint32               tw_test_notify_call_get_timeout       (GVariant        *call);
guint8               tw_test_notify_call_get_urgency       (GVariant        *call);
GVariant            *tw_test_notify_call_dup_hint          (GVariant        *call,
                                                            const char      *hint);
char                *tw_test_notify_call_dup_hint_string   (GVariant        *call,
                                                            const char      *hint);
gboolean             tw_test_notify_call_has_action        (GVariant        *call,
                                                            const char      *action_key);
char                *tw_test_notify_call_dup_action_label  (GVariant        *call,
                                                            const char      *action_key);
guint                tw_test_notify_call_get_n_actions     (GVariant        *call);

G_END_DECLS
