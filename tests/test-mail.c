/* test-mail.c — email messages about events, read back by a real mail parser and sent
 * through a real SMTP server (aiosmtpd) with STARTTLS, TLS and AUTH on loopback
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tw-http.h"
#include "tw-mail.h"
#include "tw-mime.h"
#include "tw-report.h"
#include "tw-test-smtpd.h"
#include "tw-test-tls.h"
#include "tw-test-util.h"

#define PYTHON          "/usr/bin/python3"
#define WAIT_MSEC       20000
#define SUBPROCESS_USEC (60 * G_USEC_PER_SEC)
#define CERT_DIR_ENV    "TW_TEST_MAIL_CERT_DIR"
#define SECRET          "XsecretX"
#define SMTP_USER       "tw-user"
#define SMTP_PASSWORD   "pass word " SECRET
/* 2024-05-14 09:00:00 UTC, and a bit */
#define EVENT_TIME      (G_GINT64_CONSTANT (1715677200) * G_USEC_PER_SEC + 250000)
#define NOW             (EVENT_TIME + 3 * G_USEC_PER_SEC)
#define BOUNDARY_PREFIX "=_tw_"

static char *ca_file;
static char *server_cert;
static char *server_key;

static const char * const recipients[] = { "dev@example.test", "ops@example.test", NULL };

static const TwMailSettings base_settings = {
  .server = "127.0.0.1",
  .port = 2525,
  .security = TW_MAIL_SECURITY_STARTTLS,
  .user = SMTP_USER,
  .from = "tw@example.test",
  .to = recipients,
};

/* The end of a run's log: markup, a line of dots, "From ", trailing spaces, a long
 * line, non-ASCII, a tab, and a terminal colour. */
static const char * const failed_lines[] = {
  "Traceback (most recent call last):",
  "  File \"train.py\", line 42, in <module>",
  "    loss = model(<b>x</b> & y)  ",
  ".",
  "From here on: résumé ✓\tdone",
  "\x1b[31mRuntimeError\x1b[0m: CUDA out of memory. Tried to allocate 2.00 GiB "
  "(GPU 0; 23.69 GiB total capacity; 21.02 GiB already allocated; 1.05 GiB free; "
  "22.01 GiB reserved in total by PyTorch) If reserved memory is >> allocated memory "
  "try setting max_split_size_mb to avoid fragmentation. = == === end",
  NULL,
};

static const char failed_run_json[] =
  "{\"state\": \"failed\", \"progress\": 0.62, \"step\": 3100, \"total\": 5000,"
  " \"epoch\": 3, \"epochs\": 5, \"eta_seconds\": null, \"started\": \"2024-05-14T05:55:00Z\","
  " \"metrics\": {\"loss\": {\"last\": 0.4321, \"best\": 0.41},"
  "               \"acc\": {\"last\": \"NaN\", \"best\": null}},"
  " \"failure\": {\"kind\": \"exception\", \"exception\": \"RuntimeError\","
  "               \"message\": \"CUDA out of memory. Tried to allocate 2.00 GiB\"}}";

/* ---- Helpers ---- */

static TwReport *
report_new (TwEventKind  kind,
            TwLevel      level,
            const char  *job,
            const char  *title,
            const char  *body,
            gint64       time)
{
  g_autoptr(TwEvent) event = tw_event_new (kind, level, job, title, body);

  tw_event_set_time (event, time);
  return tw_report_new (event, "gpu01");
}

static void
report_set_run (TwReport   *report,
                const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  tw_report_set_run_from_json (report, json_node_get_object (node));
}

static TwReport *
failed_report_new (const char *job)
{
  TwReport *report = report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, job,
                                 "Run failed — RuntimeError",
                                 "CUDA out of memory.\nTried to allocate 2.00 GiB", EVENT_TIME);

  tw_event_set_log_path (report->event, "/data/runs/resnet50/train.log");
  report_set_run (report, failed_run_json);
  g_strfreev (report->last_lines);
  report->last_lines = g_strdupv ((char **) failed_lines);
  return report;
}

static GPtrArray *
batch_new (TwReport *report)
{
  GPtrArray *reports = g_ptr_array_new_with_free_func ((GDestroyNotify) tw_report_free);

  if (report != NULL)
    g_ptr_array_add (reports, report);
  return reports;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return g_strndup (data != NULL ? data : "", size);
}

/* The message as Python's email package reads it (tests/mail-decode.py). */
static JsonObject *
decode (GBytes *message)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "mail-decode.py", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *root;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error, PYTHON, script, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (process, message, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  text = bytes_to_string (out);
  node = json_from_string (text, &error);
  g_assert_no_error (error);

  root = json_object_ref (json_node_get_object (node));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "defects")), ==, 0);
  g_assert_false (json_object_get_boolean_member (root, "bare_lf"));
  g_assert_false (json_object_get_boolean_member (root, "bare_cr"));
  g_assert_cmpint (json_object_get_int_member (root, "max_line"), <=, 78);
  return root;
}

static guint
count_headers (JsonObject *mail,
               const char *name)
{
  JsonArray *headers = json_object_get_array_member (mail, "headers");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (headers); i++)
    {
      JsonArray *pair = json_array_get_array_element (headers, i);

      if (g_ascii_strcasecmp (json_array_get_string_element (pair, 0), name) == 0)
        n++;
    }
  return n;
}

static const char *
get_header (JsonObject *mail,
            const char *name)
{
  JsonArray *headers = json_object_get_array_member (mail, "headers");

  g_assert_cmpuint (count_headers (mail, name), ==, 1);
  for (guint i = 0; i < json_array_get_length (headers); i++)
    {
      JsonArray *pair = json_array_get_array_element (headers, i);

      if (g_ascii_strcasecmp (json_array_get_string_element (pair, 0), name) == 0)
        return json_array_get_string_element (pair, 1);
    }
  g_assert_not_reached ();
}

static JsonObject *
get_part (JsonObject *mail,
          guint       index)
{
  JsonArray *parts = json_object_get_array_member (mail, "parts");

  g_assert_cmpuint (json_array_get_length (parts), ==, 2);
  return json_array_get_object_element (parts, index);
}

static const char *
get_part_text (JsonObject *mail,
               guint       index)
{
  return json_object_get_string_member (get_part (mail, index), "text");
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” not found in:\n%s", needle, haystack);
}

static void
assert_lacks (const char *haystack,
              const char *needle)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("“%s” found in:\n%s", needle, haystack);
}

/* The header section of a raw message. */
static char *
dup_raw_header (GBytes *message)
{
  g_autofree char *text = bytes_to_string (message);
  char *end = strstr (text, "\r\n\r\n");

  g_assert_nonnull (end);
  return g_strndup (text, end - text + 2);
}

static GBytes *
build (const TwMailSettings *settings,
       GPtrArray            *reports)
{
  g_autoptr(GError) error = NULL;
  GBytes *message = tw_mail_build_message (settings, reports, NOW, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

/* ---- Settings ---- */

typedef struct
{
  const char     *name;
  const char     *server;
  guint           port;
  TwMailSecurity  security;
  const char     *user;
  const char     *from;
  const char     *to[3];
  const char     *url;          /* NULL: the check fails */
  const char     *shown;        /* the error names this, or the sender is this */
} SettingsCase;

static const SettingsCase settings_cases[] = {
  { "starttls", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, "me@example.org", NULL,
    { "a@example.org" }, "smtp://mail.example.org:587", "me@example.org" },
  { "tls", "mail.example.org", 0, TW_MAIL_SECURITY_TLS, "me", "", { "a@example.org" },
    "smtps://mail.example.org:465", "a@example.org" },
  { "none", "mail.example.org", 0, TW_MAIL_SECURITY_NONE, NULL, NULL, { "a@example.org" },
    "smtp://mail.example.org:25", "a@example.org" },
  { "port", "10.0.0.1", 2525, TW_MAIL_SECURITY_STARTTLS, "", "tw@example.org",
    { "a@example.org", "b@example.org" }, "smtp://10.0.0.1:2525", "tw@example.org" },
  { "ipv6", "::1", 0, TW_MAIL_SECURITY_TLS, NULL, NULL, { "a@example.org" },
    "smtps://[::1]:465", "a@example.org" },
  { "ipv6-brackets", "[fe80::1]", 26, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "a@[10.0.0.1]" }, "smtp://[fe80::1]:26", "a@[10.0.0.1]" },
  { "no-server", "", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL, { "a@example.org" },
    NULL, "server" },
  { "bad-server", "mail example.org", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "a@example.org" }, NULL, "mail example.org" },
  { "server-crlf", "mail.example.org\r\nRCPT", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "a@example.org" }, NULL, "mail.example.org RCPT" },
  { "bad-port", "mail.example.org", 70000, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "a@example.org" }, NULL, "70000" },
  { "bad-security", "mail.example.org", 0, 7, NULL, NULL, { "a@example.org" }, NULL,
    "security" },
  { "user-crlf", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, "me\r\nQUIT", NULL,
    { "a@example.org" }, NULL, "user name" },
  { "bad-from", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, NULL,
    "tw@example.org>\r\nBcc: x@y.z", { "a@example.org" }, NULL, "sender" },
  { "no-to", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL, { NULL }, NULL,
    "recipient" },
  { "bad-to", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "a@example.org", "Bob <b@example.org>" }, NULL, "Bob <b@example.org>" },
  { "to-no-domain", "mail.example.org", 0, TW_MAIL_SECURITY_STARTTLS, NULL, NULL,
    { "root@localhost" }, NULL, "root@localhost" },
};

static void
test_settings (gconstpointer data)
{
  const SettingsCase *test_case = data;
  TwMailSettings settings = {
    test_case->server, test_case->port, test_case->security, test_case->user,
    test_case->from, test_case->to,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) reports = batch_new (failed_report_new ("resnet50"));
  g_autoptr(GBytes) message = NULL;
  g_autoptr(TwHttpRequest) request = NULL;

  if (test_case->url != NULL)
    {
      g_autofree char *url = NULL;
      g_autofree char *from = NULL;

      g_assert_true (tw_mail_settings_check (&settings, &error));
      g_assert_no_error (error);
      url = tw_mail_dup_url (&settings);
      g_assert_cmpstr (url, ==, test_case->url);
      from = tw_mail_dup_from (&settings);
      g_assert_cmpstr (from, ==, test_case->shown);
      request = tw_mail_build_request (&settings, "pw", reports, NOW, &error);
      g_assert_no_error (error);
      g_assert_nonnull (request);
      return;
    }

  g_assert_false (tw_mail_settings_check (&settings, &error));
  g_assert_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS);
  g_test_message ("error: %s", error->message);
  assert_contains (error->message, test_case->shown);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_null (strchr (error->message, '\r'));
  g_clear_error (&error);

  message = tw_mail_build_message (&settings, reports, NOW, &error);
  g_assert_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS);
  g_assert_null (message);
  g_clear_error (&error);
  request = tw_mail_build_request (&settings, "pw", reports, NOW, &error);
  g_assert_error (error, TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS);
  g_assert_null (request);
}

/* ---- Encoders ---- */

/* Quoted-printable against Python's decoder: what goes in comes out. */
static void
test_quoted_printable (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) reports = NULL;
  g_autofree char *encoded = NULL;

  g_string_append (text, "plain ASCII line\n");
  g_string_append (text, "trailing space \ntrailing tab\t\n");
  g_string_append (text, "= signs =3D =\n.\n..\nFrom me\nFrom\n");
  g_string_append (text, "non-ASCII: Übung λ 日本語 😀 ✓\n");
  for (guint i = 0; i < 40; i++)
    g_string_append (text, "abcdefghij=λ ");
  g_string_append (text, "\n\n\nlast line without end");

  encoded = tw_mime_encode_quoted_printable (text->str);
  g_test_message ("%s", encoded);
  for (const char *line = encoded; *line != '\0';)
    {
      const char *end = strstr (line, "\r\n");

      g_assert_nonnull (end);
      g_assert_cmpint (end - line, <=, TW_MIME_MAX_LINE);
      g_assert_true (end == line || (end[-1] != ' ' && end[-1] != '\t'));
      g_assert_false (line[0] == '.');
      g_assert_false (g_str_has_prefix (line, "From "));
      line = end + 2;
    }
  assert_lacks (encoded, "=_");
  for (const guchar *p = (const guchar *) encoded; *p != '\0'; p++)
    g_assert_true (*p < 0x7f);

  /* Through a whole message, read back by Python. */
  {
    g_autoptr(GBytes) message = NULL;
    g_autoptr(JsonObject) mail = NULL;
    g_autofree char *expected = NULL;

    reports = batch_new (report_new (TW_EVENT_MESSAGE, TW_LEVEL_INFO, "qp", "QP", text->str,
                                     EVENT_TIME));
    message = build (&base_settings, reports);
    mail = decode (message);
    expected = g_strdup_printf ("QP\n\n%s\n\n", text->str);
    g_assert_true (g_str_has_prefix (get_part_text (mail, 0), expected));
  }
}

/* ---- Messages ---- */

/* A failed run: every header field and both parts, as a real parser reads them. */
static void
test_message_failed_run (void)
{
  g_autoptr(GPtrArray) reports = batch_new (failed_report_new ("resnet50"));
  g_autoptr(GBytes) message = build (&base_settings, reports);
  g_autoptr(JsonObject) mail = decode (message);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (EVENT_TIME / G_USEC_PER_SEC);
  g_autofree char *when_text = g_date_time_format (when, "Time: %Y-%m-%d %H:%M:%S %Z\n");
  g_autofree char *raw = bytes_to_string (message);
  const char *boundary;
  const char *message_id;
  const char *plain;
  const char *html;
  JsonObject *part;

  g_test_message ("%s", raw);

  /* Headers */
  g_assert_cmpstr (get_header (mail, "From"), ==, "Trainwatch <tw@example.test>");
  g_assert_cmpstr (get_header (mail, "To"), ==, "dev@example.test, ops@example.test");
  g_assert_cmpstr (get_header (mail, "Subject"), ==,
                   "[Trainwatch] resnet50: Run failed — RuntimeError");
  g_assert_cmpfloat (json_object_get_double_member (mail, "date"), ==, NOW / G_USEC_PER_SEC);
  message_id = get_header (mail, "Message-ID");
  g_assert_true (g_str_has_prefix (message_id, "<"));
  g_assert_true (g_str_has_suffix (message_id, "@example.test>"));
  g_assert_cmpuint (strlen (message_id), >, 30);
  g_assert_cmpstr (get_header (mail, "MIME-Version"), ==, "1.0");
  g_assert_cmpstr (get_header (mail, "Auto-Submitted"), ==, "auto-generated");
  g_assert_cmpstr (get_header (mail, "X-Mailer"), ==, "Trainwatch " PACKAGE_VERSION);
  g_assert_cmpstr (json_object_get_string_member (mail, "content_type"), ==,
                   "multipart/alternative");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (mail, "headers")), ==, 9);

  /* The boundary: random, and only where it belongs. */
  boundary = json_object_get_string_member (mail, "boundary");
  g_assert_true (g_str_has_prefix (boundary, BOUNDARY_PREFIX));
  g_assert_cmpuint (strlen (boundary), >=, 30);
  {
    guint n = 0;

    for (const char *p = strstr (raw, boundary); p != NULL; p = strstr (p + 1, boundary))
      n++;
    g_assert_cmpuint (n, ==, 4);
  }

  /* Part 1: plain text */
  part = get_part (mail, 0);
  g_assert_cmpstr (json_object_get_string_member (part, "content_type"), ==, "text/plain");
  g_assert_cmpstr (json_object_get_string_member (part, "charset"), ==, "utf-8");
  g_assert_cmpstr (json_object_get_string_member (part, "transfer_encoding"), ==,
                   "quoted-printable");
  plain = get_part_text (mail, 0);
  g_test_message ("%s", plain);
  g_assert_true (g_str_has_prefix (plain, "Run failed — RuntimeError\n\n"
                                          "CUDA out of memory.\nTried to allocate 2.00 GiB\n\n"));
  assert_contains (plain, "\nRun: resnet50\nHost: gpu01\n");
  assert_contains (plain, when_text);
  assert_contains (plain, "\nState: failed\n");
  assert_contains (plain, "\nProgress: 62 % · step 3100 of 5000 · epoch 3 of 5\n");
  assert_contains (plain, "\nDuration: 3 h 05 min\n");
  assert_contains (plain, "\nFailure: RuntimeError: CUDA out of memory. Tried to allocate "
                          "2.00 GiB\n");
  assert_contains (plain, "\nLog: /data/runs/resnet50/train.log\n");
  assert_contains (plain, "\nLast metrics:\n  loss: 0.4321 (best 0.41)\n  acc: NaN\n");
  assert_contains (plain, "\nLast lines of the log:\n"
                          "    Traceback (most recent call last):\n"
                          "      File \"train.py\", line 42, in <module>\n"
                          "        loss = model(<b>x</b> & y)  \n"
                          "    .\n"
                          "    From here on: résumé ✓\tdone\n"
                          "    RuntimeError: CUDA out of memory.");
  assert_contains (plain, "= == === end\n");
  assert_contains (plain, "\n-- \nSent by Trainwatch on gpu01.\n");
  assert_lacks (plain, "\x1b");
  assert_lacks (plain, boundary);

  /* Part 2: HTML, the same escaped */
  part = get_part (mail, 1);
  g_assert_cmpstr (json_object_get_string_member (part, "content_type"), ==, "text/html");
  g_assert_cmpstr (json_object_get_string_member (part, "charset"), ==, "utf-8");
  g_assert_cmpstr (json_object_get_string_member (part, "transfer_encoding"), ==,
                   "quoted-printable");
  html = get_part_text (mail, 1);
  g_test_message ("%s", html);
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>\n<html>\n"));
  assert_contains (html, "<title>[Trainwatch] resnet50: Run failed — RuntimeError</title>");
  assert_contains (html, "#c01c28\">Run failed — RuntimeError</h2>");
  assert_contains (html, "<p>CUDA out of memory.<br>\nTried to allocate 2.00 GiB</p>");
  assert_contains (html, ">Host</th><td>gpu01</td></tr>");
  assert_contains (html, ">Duration</th><td>3 h 05 min</td></tr>");
  assert_contains (html, "<td style=\"padding-right:12px\">loss</td><td align=\"right\">0.4321"
                         "</td><td align=\"right\">0.41</td>");
  assert_contains (html, "white-space:pre-wrap\">Traceback (most recent call last):\n"
                         "  File &quot;train.py&quot;, line 42, in &lt;module&gt;\n"
                         "    loss = model(&lt;b&gt;x&lt;/b&gt; &amp; y)  \n");
  assert_contains (html, "= == === end\n</pre>");
  g_assert_true (g_str_has_suffix (html, "</body>\n</html>\n"));
  assert_lacks (html, "<b>");
  assert_lacks (html, "\x1b");
}

/* A milestone about no run reads well: no empty rows, no log. */
static void
test_message_milestone (void)
{
  g_autoptr(GPtrArray) reports = batch_new (report_new (TW_EVENT_EPOCH_COMPLETED, TW_LEVEL_INFO,
                                                        "bert", "Epoch 2 of 10 done", NULL,
                                                        EVENT_TIME));
  g_autoptr(GBytes) message = NULL;
  g_autoptr(JsonObject) mail = NULL;
  const char *plain;

  g_strfreev (((TwReport *) reports->pdata[0])->last_lines);
  ((TwReport *) reports->pdata[0])->last_lines = g_strdupv ((char **) failed_lines);
  message = build (&base_settings, reports);
  mail = decode (message);
  g_assert_cmpstr (get_header (mail, "Subject"), ==, "[Trainwatch] bert: Epoch 2 of 10 done");
  plain = get_part_text (mail, 0);
  g_assert_true (g_str_has_prefix (plain, "Epoch 2 of 10 done\n\nRun: bert\nHost: gpu01\nTime: "));
  assert_lacks (plain, "State:");
  assert_lacks (plain, "Progress:");
  assert_lacks (plain, "Last lines");
  assert_lacks (plain, "Last metrics");
  assert_lacks (get_part_text (mail, 1), "<pre");
}

/* Non-ASCII subjects are RFC 2047 encoded-words that a real decoder reads back;
 * long ones are folded, ASCII ones stay readable. */
static void
test_message_subject (void)
{
  struct {
    const char *job;
    const char *title;
    const char *expected;
  } cases[] = {
    { "Übung-λ", "Lauf fehlgeschlagen — ÄÖÜ ß 日本語 😀",
      "[Trainwatch] Übung-λ: Lauf fehlgeschlagen — ÄÖÜ ß 日本語 😀" },
    { "plain", "Run completed", "[Trainwatch] plain: Run completed" },
    { "long", "word word word word word word word word word word word word word word word "
              "word word word word word word word word word",
      "[Trainwatch] long: word word word word word word word word word word word word word "
      "word word word word word word word word word word word" },
    { "looks-encoded", "=?UTF-8?B?QUJD?= is not a word to decode",
      "[Trainwatch] looks-encoded: =?UTF-8?B?QUJD?= is not a word to decode" },
    { NULL, "A message about no run", "[Trainwatch] A message about no run" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) reports = batch_new (report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR,
                                                            cases[i].job, cases[i].title,
                                                            NULL, EVENT_TIME));
      g_autoptr(GBytes) message = build (&base_settings, reports);
      g_autoptr(JsonObject) mail = decode (message);
      g_autofree char *header = dup_raw_header (message);

      g_test_message ("%s", header);
      g_assert_cmpstr (get_header (mail, "Subject"), ==, cases[i].expected);
      /* The header section is 7-bit. */
      for (const guchar *p = (const guchar *) header; *p != '\0'; p++)
        g_assert_cmpuint (*p, <, 0x80);
      if (i == 0)
        assert_contains (header, "Subject: =?UTF-8?B?");
      if (i == 1 || i == 2)
        assert_contains (header, "Subject: [Trainwatch] ");
    }

  /* 10 KB of non-ASCII: cut with an ellipsis, still whole characters. */
  {
    g_autoptr(GString) title = g_string_new (NULL);
    g_autoptr(GPtrArray) reports = NULL;
    g_autoptr(GBytes) message = NULL;
    g_autoptr(JsonObject) mail = NULL;
    const char *subject;

    while (title->len < 10240)
      g_string_append (title, "λ日😀 ");
    reports = batch_new (report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR, "Übung-λ", title->str,
                                     NULL, EVENT_TIME));
    message = build (&base_settings, reports);
    mail = decode (message);
    subject = get_header (mail, "Subject");
    g_assert_true (g_str_has_prefix (subject, "[Trainwatch] Übung-λ: λ日😀 λ日😀"));
    g_assert_true (g_str_has_suffix (subject, "…"));
    g_assert_cmpint (g_utf8_strlen (subject, -1), <=, 13 + 150);
  }
}

/* CR, LF and other controls from a job name, a title, a host or a log never make a
 * header of their own. */
static void
test_message_injection (void)
{
  g_autoptr(GPtrArray) reports = batch_new (report_new (TW_EVENT_RUN_FAILED, TW_LEVEL_ERROR,
                                                        "x\r\nBcc: evil@example.test",
                                                        "Done\r\nX-Evil: 1\n\nbody",
                                                        "line\r\n.\r\nQUIT\r\n", EVENT_TIME));
  g_autoptr(GBytes) message = NULL;
  g_autoptr(JsonObject) mail = NULL;
  g_autofree char *header = NULL;
  TwReport *report = g_ptr_array_index (reports, 0);
  const char *plain;

  g_free (report->host);
  report->host = g_strdup ("gpu\r\nX-Host: 1");
  message = build (&base_settings, reports);
  mail = decode (message);
  header = dup_raw_header (message);
  g_test_message ("%s", header);

  g_assert_cmpuint (count_headers (mail, "Bcc"), ==, 0);
  g_assert_cmpuint (count_headers (mail, "X-Evil"), ==, 0);
  g_assert_cmpuint (count_headers (mail, "X-Host"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (mail, "headers")), ==, 9);
  g_assert_cmpstr (get_header (mail, "Subject"), ==,
                   "[Trainwatch] x Bcc: evil@example.test: Done X-Evil: 1 body");
  assert_lacks (header, "\nBcc");
  assert_lacks (header, "\nX-Evil");

  plain = get_part_text (mail, 0);
  assert_contains (plain, "\nRun: x Bcc: evil@example.test\nHost: gpu X-Host: 1\n");
  assert_contains (plain, "line\n.\nQUIT\n");
}

/* A thousand reports with 50 KB log lines and 10 KB titles: a valid mail of
 * bounded size that shows the most important and sums up the rest. */
static void
test_message_batch (void)
{
  g_autoptr(GPtrArray) reports = batch_new (NULL);
  g_autoptr(GString) long_line = g_string_new (NULL);
  g_autoptr(GString) long_title = g_string_new (NULL);
  g_autoptr(GBytes) message = NULL;
  g_autoptr(JsonObject) mail = NULL;
  const char *plain;
  const char *html;
  const char *lines[] = { NULL, "short line", NULL };
  const char *first;
  const char *second;

  while (long_line->len < 50 * 1024)
    g_string_append (long_line, "Traceback ü <x> & ");
  while (long_title->len < 10 * 1024)
    g_string_append (long_title, "Title ü ");
  lines[0] = long_line->str;

  for (guint i = 0; i < 1000; i++)
    {
      TwEventKind kind = TW_EVENT_EPOCH_COMPLETED;
      TwLevel level = TW_LEVEL_INFO;
      g_autofree char *job = g_strdup_printf ("job%u", i % 7);
      g_autofree char *title = NULL;
      TwReport *report;

      if (i % 200 == 199)
        kind = TW_EVENT_RUN_FAILED, level = TW_LEVEL_ERROR;
      else if (i % 50 == 3)
        kind = TW_EVENT_NAN_DETECTED, level = TW_LEVEL_WARNING;
      else if (i % 10 == 5)
        kind = TW_EVENT_CHECKPOINT_SAVED;
      title = g_strdup_printf ("event %u %s", i, long_title->str);
      report = report_new (kind, level, job, title, long_title->str,
                           EVENT_TIME + i * G_USEC_PER_SEC);
      report_set_run (report, failed_run_json);
      g_strfreev (report->last_lines);
      report->last_lines = g_new0 (char *, 11);
      for (guint l = 0; l < 10; l++)
        report->last_lines[l] = g_strdup (lines[l % 2]);
      g_ptr_array_add (reports, report);
    }

  message = build (&base_settings, reports);
  g_test_message ("a mail about 1000 reports: %zu bytes", g_bytes_get_size (message));
  g_assert_cmpuint (g_bytes_get_size (message), <, 512 * 1024);
  mail = decode (message);

  g_assert_true (g_str_has_prefix (get_header (mail, "Subject"),
                                   "[Trainwatch] 1000 events: job5: event 999 Title ü"));
  plain = get_part_text (mail, 0);
  html = get_part_text (mail, 1);
  g_assert_true (g_str_has_prefix (plain, "1000 events, the most important first.\n\n"
                                          "event 999 Title ü"));
  /* The failures, newest first, then the newest warnings. */
  first = strstr (plain, "event 999 ");
  second = strstr (plain, "event 799 ");
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_true (first < second);
  assert_contains (plain, "\nevent 753 Title");
  assert_lacks (plain, "\nevent 703 Title");
  /* the next 20 are listed a line each (oldest first), the other 970 counted */
  assert_contains (plain, "\n\u2022 job0: event 0 Title");
  assert_contains (plain, "\nand 970 more events: ");
  assert_contains (html, "<br>\nand 970 more events: ");
  assert_contains (plain, "…\n    short line\n");
}

/* ---- Verdicts ---- */

typedef struct
{
  GQuark      domain;
  int         code;
  TwVerdict   verdict;
} JudgeCase;

static void
test_judge (void)
{
  const JudgeCase cases[] = {
    { TW_HTTP_ERROR, TW_HTTP_ERROR_LOGIN_DENIED, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_REQUIRED, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_TLS_VERIFICATION, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_CA_FILE, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_URL, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_INVALID_REQUEST, TW_VERDICT_DISABLE },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_REJECTED, TW_VERDICT_REJECTED },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_MAIL_DEFERRED, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_TIMED_OUT, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_CONNECTION_REFUSED, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_NETWORK, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_PROXY, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_RESOLVE, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_TLS, TW_VERDICT_RETRY },
    { TW_HTTP_ERROR, TW_HTTP_ERROR_FAILED, TW_VERDICT_RETRY },
    { TW_MAIL_ERROR, TW_MAIL_ERROR_INVALID_SETTINGS, TW_VERDICT_DISABLE },
    { G_IO_ERROR, G_IO_ERROR_CANCELLED, TW_VERDICT_RETRY },
  };
  TwSendResult result = TW_SEND_RESULT_INIT;

  tw_mail_judge (NULL, &result);
  g_assert_cmpint (result.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (result.answer, ==, "sent");
  g_assert_null (result.message_id);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new (cases[i].domain, cases[i].code,
                                             "The server said no\r\n(%u)", i);
      g_autofree char *answer = g_strdup_printf ("The server said no (%u)", i);

      tw_mail_judge (error, &result);
      g_assert_cmpstr (tw_verdict_to_string (result.verdict), ==,
                       tw_verdict_to_string (cases[i].verdict));
      g_assert_cmpstr (result.answer, ==, answer);
      g_assert_cmpint (result.retry_after_usec, ==, -1);
    }
  tw_send_result_clear (&result);
}

/* ---- Through a real SMTP server ---- */

typedef struct
{
  TwHttpResponse *response;
  GError         *error;
  gboolean        done;
} Result;

static void
sent_cb (GObject      *source,
         GAsyncResult *async_result,
         gpointer      user_data)
{
  Result *result = user_data;

  result->response = tw_http_send_finish (TW_HTTP (source), async_result, &result->error);
  result->done = TRUE;
}

static gboolean
result_done_cond (gpointer data)
{
  return ((Result *) data)->done;
}

static gboolean
skip_without_smtpd (void)
{
  if (tw_test_smtpd_is_supported ())
    return FALSE;

  g_test_skip ("/usr/bin/python3 cannot import aiosmtpd: no SMTP server to test against");
  return TRUE;
}

/* Each case runs in a subprocess of its own: it waits on the main loop, and one
 * that hangs must not take the others along. */
static gboolean
run_in_subprocess (void)
{
  if (g_test_subprocess ())
    return FALSE;

  g_test_trap_subprocess (NULL, SUBPROCESS_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return TRUE;
}

/* Builds the mail about a failed run for @smtpd's port, sends it and judges it. */
static void
send_to (TwTestSmtpd    *smtpd,
         TwMailSecurity  security,
         const char     *password,
         const char     *recipient,
         TwSendResult   *verdict)
{
  const char *url = tw_test_smtpd_get_url (smtpd);
  const char *to[] = { "dev@example.test", recipient, NULL };
  TwMailSettings settings = base_settings;
  g_autoptr(GPtrArray) reports = batch_new (failed_report_new ("Übung-λ"));
  g_autoptr(TwHttpRequest) request = NULL;
  g_autoptr(TwHttp) http = tw_http_new ();
  g_autoptr(GError) error = NULL;
  Result result = { 0, };
  guint64 port = 0;

  g_assert_true (g_ascii_string_to_unsigned (strrchr (url, ':') + 1, 10, 1, 65535, &port, NULL));
  settings.port = (guint) port;
  settings.security = security;
  settings.to = to;
  tw_http_set_ca_file (http, ca_file);
  request = tw_mail_build_request (&settings, password, reports, NOW, &error);
  g_assert_no_error (error);

  tw_http_send_async (http, request, NULL, sent_cb, &result);
  g_assert_true (tw_test_wait_until (result_done_cond, &result, WAIT_MSEC));
  tw_mail_judge_response (result.response, result.error, verdict);
  g_test_message ("%s: %s", tw_verdict_to_string (verdict->verdict), verdict->answer);
  assert_lacks (verdict->answer, SECRET);
  g_assert_null (strchr (verdict->answer, '\n'));

  g_clear_pointer (&result.response, tw_http_response_unref);
  g_clear_error (&result.error);
}

static void
assert_delivered (TwTestSmtpd *smtpd,
                  guint        index,
                  const char  *auth_user)
{
  g_autofree char *from = NULL;
  g_auto(GStrv) envelope_to = NULL;
  g_autofree char *user = NULL;
  g_autoptr(GBytes) raw = tw_test_smtpd_dup_mail (smtpd, index, &from, &envelope_to, &user);
  g_autoptr(JsonObject) mail = decode (raw);

  g_assert_cmpstr (from, ==, "tw@example.test");
  g_assert_cmpuint (g_strv_length (envelope_to), ==, 2);
  g_assert_cmpstr (envelope_to[0], ==, "dev@example.test");
  g_assert_cmpstr (envelope_to[1], ==, "ops@example.test");
  g_assert_cmpstr (user, ==, auth_user);
  g_assert_cmpstr (get_header (mail, "Subject"), ==,
                   "[Trainwatch] Übung-λ: Run failed — RuntimeError");
  g_assert_cmpstr (get_header (mail, "To"), ==, "dev@example.test, ops@example.test");
  assert_contains (get_part_text (mail, 0), "\nRun: Übung-λ\n");
  assert_contains (get_part_text (mail, 0), "\n    .\n");
  assert_contains (get_part_text (mail, 1), "<td>Übung-λ</td>");
}

static void
test_smtp_starttls (void)
{
  TwSendResult verdict = TW_SEND_RESULT_INIT;
  TwTestSmtpd *smtpd;

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("starttls", SMTP_USER, SMTP_PASSWORD, server_cert, server_key);
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, SMTP_PASSWORD, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpstr (verdict.answer, ==, "250 2.0.0 Ok: queued as 001.eml");
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);
  assert_delivered (smtpd, 0, SMTP_USER);

  /* A refused recipient: this mail never goes; a busy one: later. */
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, SMTP_PASSWORD, "reject@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_REJECTED);
  assert_contains (verdict.answer, "550");
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, SMTP_PASSWORD, "busy@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_RETRY);
  assert_contains (verdict.answer, "451");
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);

  tw_send_result_clear (&verdict);
  tw_test_smtpd_stop (smtpd);
}

static void
test_smtp_tls (void)
{
  TwSendResult verdict = TW_SEND_RESULT_INIT;
  TwTestSmtpd *smtpd;

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("smtps", SMTP_USER, SMTP_PASSWORD, server_cert, server_key);
  send_to (smtpd, TW_MAIL_SECURITY_TLS, SMTP_PASSWORD, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_ACCEPTED);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 1);
  assert_delivered (smtpd, 0, SMTP_USER);

  tw_send_result_clear (&verdict);
  tw_test_smtpd_stop (smtpd);
}

/* A wrong password disables the channel with the server's words, never the password. */
static void
test_smtp_wrong_password (void)
{
  TwSendResult verdict = TW_SEND_RESULT_INIT;
  TwTestSmtpd *smtpd;

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("starttls", SMTP_USER, SMTP_PASSWORD, server_cert, server_key);
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, "wrong " SECRET, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_DISABLE);
  assert_contains (verdict.answer, "535");
  assert_contains (verdict.answer, "user name or password");
  assert_contains (verdict.answer, "127.0.0.1");

  /* No password at all, with a user set. */
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, NULL, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_DISABLE);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 0);

  tw_send_result_clear (&verdict);
  tw_test_smtpd_stop (smtpd);
}

/* A server without STARTTLS: disabled when STARTTLS is required, used in the clear
 * only when the security is "none" and there is no login. */
static void
test_smtp_no_starttls (void)
{
  TwSendResult verdict = TW_SEND_RESULT_INIT;
  TwTestSmtpd *smtpd;

  if (skip_without_smtpd () || run_in_subprocess ())
    return;

  smtpd = tw_test_smtpd_start ("plain", SMTP_USER, SMTP_PASSWORD, server_cert, server_key);
  send_to (smtpd, TW_MAIL_SECURITY_STARTTLS, SMTP_PASSWORD, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_DISABLE);
  assert_contains (verdict.answer, "STARTTLS");
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 0);

  /* A login is never sent in the clear, whatever the security says. */
  send_to (smtpd, TW_MAIL_SECURITY_NONE, SMTP_PASSWORD, "ops@example.test", &verdict);
  g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_DISABLE);
  g_assert_cmpuint (tw_test_smtpd_get_n_mails (smtpd), ==, 0);

  {
    const char *url = tw_test_smtpd_get_url (smtpd);
    TwMailSettings settings = base_settings;
    g_autoptr(GPtrArray) reports = batch_new (failed_report_new ("Übung-λ"));
    g_autoptr(TwHttpRequest) request = NULL;
    g_autoptr(TwHttp) http = tw_http_new ();
    g_autoptr(GError) error = NULL;
    Result result = { 0, };
    guint64 port = 0;

    g_assert_true (g_ascii_string_to_unsigned (strrchr (url, ':') + 1, 10, 1, 65535, &port,
                                               NULL));
    settings.port = (guint) port;
    settings.security = TW_MAIL_SECURITY_NONE;
    settings.user = NULL;
    request = tw_mail_build_request (&settings, SMTP_PASSWORD, reports, NOW, &error);
    g_assert_no_error (error);
    tw_http_send_async (http, request, NULL, sent_cb, &result);
    g_assert_true (tw_test_wait_until (result_done_cond, &result, WAIT_MSEC));
    tw_mail_judge_response (result.response, result.error, &verdict);
    g_assert_cmpint (verdict.verdict, ==, TW_VERDICT_ACCEPTED);
    assert_delivered (smtpd, 0, NULL);
    g_clear_pointer (&result.response, tw_http_response_unref);
  }

  tw_send_result_clear (&verdict);
  tw_test_smtpd_stop (smtpd);
}

/* ---- Certificates, made once by the parent ---- */

static void
certs_init (const char *dir)
{
  ca_file = g_build_filename (dir, "test-ca.pem", NULL);
  server_cert = g_build_filename (dir, "server.pem", NULL);
  server_key = g_build_filename (dir, "server-key.pem", NULL);
}

static void
certs_make (const char *dir)
{
  g_autoptr(TwTestCa) ca = tw_test_ca_new (dir, "test");
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;

  tw_test_ca_issue (ca, "server", "DNS:localhost,IP:127.0.0.1", &cert, &key);
  g_assert_cmpstr (cert, ==, server_cert);
  g_assert_cmpstr (key, ==, server_key);
  g_assert_cmpstr (tw_test_ca_get_cert (ca), ==, ca_file);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  static const char * const proxy_variables[] = {
    "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "smtp_proxy", "smtps_proxy",
    "TRAINWATCH_CA_FILE",
  };
  g_autofree char *made_dir = NULL;
  const char *cert_dir;
  int status;

  /* Messages with non-ASCII text show as such (the suite runs in C.UTF-8). */
  setlocale (LC_ALL, "");
  for (guint i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    g_unsetenv (proxy_variables[i]);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  cert_dir = g_getenv (CERT_DIR_ENV);
  if (cert_dir == NULL && tw_test_ca_is_supported ())
    {
      g_autoptr(GError) error = NULL;

      made_dir = g_dir_make_tmp ("tw-test-mail-XXXXXX", &error);
      g_assert_no_error (error);
      certs_init (made_dir);
      certs_make (made_dir);
      g_setenv (CERT_DIR_ENV, made_dir, TRUE);
    }
  else if (cert_dir != NULL)
    certs_init (cert_dir);
  else
    g_error ("the openssl command is needed to make test certificates: "
             "run .ci/install-deps test");

  for (guint i = 0; i < G_N_ELEMENTS (settings_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/mail/settings/%s", settings_cases[i].name);

      g_test_add_data_func (path, &settings_cases[i], test_settings);
    }
  g_test_add_func ("/mail/quoted-printable", test_quoted_printable);
  g_test_add_func ("/mail/message/failed-run", test_message_failed_run);
  g_test_add_func ("/mail/message/milestone", test_message_milestone);
  g_test_add_func ("/mail/message/subject", test_message_subject);
  g_test_add_func ("/mail/message/injection", test_message_injection);
  g_test_add_func ("/mail/message/batch", test_message_batch);
  g_test_add_func ("/mail/judge", test_judge);
  g_test_add_func ("/mail/smtp/starttls", test_smtp_starttls);
  g_test_add_func ("/mail/smtp/tls", test_smtp_tls);
  g_test_add_func ("/mail/smtp/wrong-password", test_smtp_wrong_password);
  g_test_add_func ("/mail/smtp/no-starttls", test_smtp_no_starttls);

  status = g_test_run ();

  if (made_dir != NULL)
    remove_dir (made_dir);
  g_free (ca_file);
  g_free (server_cert);
  g_free (server_key);

  return status;
}
