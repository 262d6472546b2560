/* tw-test-tls.h — test certificate authorities made at test time with the openssl command
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TwTestCa TwTestCa;

gboolean    tw_test_ca_is_supported (void);
TwTestCa   *tw_test_ca_new          (const char  *dir,
                                     const char  *name);
const char *tw_test_ca_get_cert     (TwTestCa    *self);
void        tw_test_ca_issue        (TwTestCa    *self,
                                     const char  *name,
                                     const char  *subject_alt_names,
                                     char       **out_cert,
                                     char       **out_key);
void        tw_test_ca_free         (TwTestCa    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TwTestCa, tw_test_ca_free)

G_END_DECLS
