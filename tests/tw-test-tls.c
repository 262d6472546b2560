/* tw-test-tls.c — test certificate authorities made at test time with the openssl command
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-test-tls.h"

#include <gio/gio.h>

/* Short-lived EC keys: each takes milliseconds to make. */
#define KEY_ARGS "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", \
                 "-days", "2"

struct _TwTestCa
{
  char *dir;
  char *cert;
  char *key;
};

static void
run_openssl (const char * const *argv)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                     | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("openssl %s failed: %s", argv[1], output);
}

/**
 * tw_test_ca_is_supported:
 *
 * Returns: whether the openssl command is there to make certificates
 */
gboolean
tw_test_ca_is_supported (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  return path != NULL;
}

/**
 * tw_test_ca_new:
 * @dir: an existing folder for the files
 * @name: a name for this authority, part of its file names and subject
 *
 * Makes a self-signed certificate authority: @dir/@name-ca.pem and its key.
 *
 * Returns: (transfer full): the authority
 */
TwTestCa *
tw_test_ca_new (const char *dir,
                const char *name)
{
  TwTestCa *self = g_new0 (TwTestCa, 1);
  g_autofree char *cert_name = g_strdup_printf ("%s-ca.pem", name);
  g_autofree char *key_name = g_strdup_printf ("%s-ca-key.pem", name);
  g_autofree char *subject = g_strdup_printf ("/CN=Trainwatch test CA %s", name);

  self->dir = g_strdup (dir);
  self->cert = g_build_filename (dir, cert_name, NULL);
  self->key = g_build_filename (dir, key_name, NULL);

  run_openssl ((const char * const []) {
    "openssl", "req", "-x509", KEY_ARGS, "-subj", subject,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", self->key, "-out", self->cert, NULL,
  });

  return self;
}

/**
 * tw_test_ca_get_cert:
 * @self: an authority
 *
 * Returns: the PEM file of the authority's certificate, to trust it
 */
const char *
tw_test_ca_get_cert (TwTestCa *self)
{
  return self->cert;
}

/**
 * tw_test_ca_issue:
 * @self: an authority
 * @name: a name for the files: @name.pem and @name-key.pem
 * @subject_alt_names: the names the certificate is valid for, in openssl's syntax,
 *   such as `DNS:localhost,IP:127.0.0.1`
 * @out_cert: (out): the PEM file of the server certificate
 * @out_key: (out): the PEM file of its private key
 *
 * Issues a server certificate signed by @self.
 */
void
tw_test_ca_issue (TwTestCa    *self,
                  const char  *name,
                  const char  *subject_alt_names,
                  char       **out_cert,
                  char       **out_key)
{
  g_autofree char *cert_name = g_strdup_printf ("%s.pem", name);
  g_autofree char *key_name = g_strdup_printf ("%s-key.pem", name);
  g_autofree char *san = g_strdup_printf ("subjectAltName=%s", subject_alt_names);
  g_autofree char *cert = g_build_filename (self->dir, cert_name, NULL);
  g_autofree char *key = g_build_filename (self->dir, key_name, NULL);

  run_openssl ((const char * const []) {
    "openssl", "req", "-x509", KEY_ARGS, "-subj", "/CN=Trainwatch test server",
    "-addext", san,
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "extendedKeyUsage=serverAuth",
    "-CA", self->cert, "-CAkey", self->key,
    "-keyout", key, "-out", cert, NULL,
  });

  *out_cert = g_steal_pointer (&cert);
  *out_key = g_steal_pointer (&key);
}

/**
 * tw_test_ca_free:
 * @self: an authority
 *
 * Frees @self; its files stay.
 */
void
tw_test_ca_free (TwTestCa *self)
{
  g_free (self->dir);
  g_free (self->cert);
  g_free (self->key);
  g_free (self);
}
