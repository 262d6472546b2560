/* tw-test-desktop.h — real desktop components for tests: Xvfb, dunst, xfconfd, a bus monitor
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _TwTestXvfb TwTestXvfb;
typedef struct _TwTestDunst TwTestDunst;
typedef struct _TwTestXfconf TwTestXfconf;
typedef struct _TwTestBusMonitor TwTestBusMonitor;

gboolean           tw_test_xvfb_is_supported        (void);
TwTestXvfb        *tw_test_xvfb_start               (void);
const char        *tw_test_xvfb_get_display         (TwTestXvfb       *self);
void               tw_test_xvfb_stop                (TwTestXvfb       *self);

gboolean           tw_test_dunst_is_supported       (void);
TwTestDunst       *tw_test_dunst_start              (const char       *display);
void               tw_test_dunst_set_paused         (TwTestDunst      *self,
                                                     gboolean          paused);
void               tw_test_dunst_stop               (TwTestDunst      *self);

gboolean           tw_test_xfconf_is_supported      (void);
TwTestXfconf      *tw_test_xfconf_start             (void);
void               tw_test_xfconf_set_bool          (TwTestXfconf     *self,
                                                     const char       *channel,
                                                     const char       *property,
                                                     gboolean          value);
void               tw_test_xfconf_reset             (TwTestXfconf     *self,
                                                     const char       *channel,
                                                     const char       *property);
void               tw_test_xfconf_stop              (TwTestXfconf     *self);

TwTestBusMonitor  *tw_test_bus_monitor_start        (const char       *match_rule);
GPtrArray         *tw_test_bus_monitor_dup_notify_calls (TwTestBusMonitor *self);
void               tw_test_bus_monitor_stop         (TwTestBusMonitor *self);

gboolean           tw_test_run_tool                 (char            **envp,
                                                     const char       *first_arg,
                                                     ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
