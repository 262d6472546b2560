/* tw-test-webhook.h — a Slack- and Discord-like webhook receiver over TLS on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TwTestWebhook TwTestWebhook;

gboolean       tw_test_webhook_is_supported      (void);
TwTestWebhook *tw_test_webhook_new               (const char     *ca_dir);
const char    *tw_test_webhook_get_base_url      (TwTestWebhook  *self);
const char    *tw_test_webhook_get_host_port     (TwTestWebhook  *self);
const char    *tw_test_webhook_get_ca_file       (TwTestWebhook  *self);
void           tw_test_webhook_push_answer       (TwTestWebhook  *self,
                                                  guint           status,
                                                  const char     *content_type,
                                                  const char     *body,
                                                  const char     *retry_after,
                                                  guint           delay_ms);
void           tw_test_webhook_set_min_interval  (TwTestWebhook  *self,
                                                  guint           msec);
void           tw_test_webhook_set_down          (TwTestWebhook  *self,
                                                  gboolean        down);
guint          tw_test_webhook_get_n_requests    (TwTestWebhook  *self);
const char    *tw_test_webhook_get_method        (TwTestWebhook  *self,
                                                  guint           i);
const char    *tw_test_webhook_get_path          (TwTestWebhook  *self,
                                                  guint           i);
const char    *tw_test_webhook_get_header        (TwTestWebhook  *self,
                                                  guint           i,
                                                  const char     *name);
GBytes        *tw_test_webhook_get_body          (TwTestWebhook  *self,
                                                  guint           i);
JsonNode      *tw_test_webhook_dup_json          (TwTestWebhook  *self,
                                                  guint           i);
guint          tw_test_webhook_get_status        (TwTestWebhook  *self,
                                                  guint           i);
gboolean       tw_test_webhook_wait_requests     (TwTestWebhook  *self,
                                                  guint           n,
                                                  guint           timeout_ms);
void           tw_test_webhook_free              (TwTestWebhook  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwTestWebhook, tw_test_webhook_free)

G_END_DECLS
