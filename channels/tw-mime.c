/* tw-mime.c — the encodings a mail needs: quoted-printable bodies and RFC 2047 header fields
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GLib has base64 only. Quoted-printable (RFC 2045 §6.7) keeps a mostly-ASCII body
 * readable in its raw form, and never writes "=_", which makes a boundary starting with
 * "=_" impossible to meet inside an encoded part.
 */
#include "config.h"

#include "tw-mime.h"

#include <string.h>

/* A character that must never reach a header or stand alone in a text: C0 and C1
 * controls, DEL, and Unicode's own line and paragraph separators. */
static gboolean
is_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/**
 * tw_mime_dup_one_line:
 * @text: (nullable): any text, perhaps not UTF-8
 * @max_chars: the most characters to keep, at least 2
 *
 * Makes @text fit on one header or table line: valid UTF-8, every control
 * character and line break turned into a space, runs of white space made one,
 * cut to @max_chars characters with “…” at the end if it was longer.
 *
 * Returns: (transfer full): the line; "" for %NULL
 */
char *
tw_mime_dup_one_line (const char *text,
                      gsize       max_chars)
{
  g_autofree char *valid = NULL;
  GString *line;
  gsize n_chars = 0;
  gboolean space = FALSE;

  g_return_val_if_fail (max_chars >= 2, NULL);

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  line = g_string_sized_new (MIN (strlen (valid), max_chars * 4));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_control (c) || g_unichar_isspace (c))
        {
          space = line->len > 0;
          continue;
        }
      if (space)
        {
          g_string_append_c (line, ' ');
          n_chars++;
          space = FALSE;
        }
      g_string_append_unichar (line, c);
      n_chars++;
    }

  if (n_chars > max_chars)
    {
      const char *cut = g_utf8_offset_to_pointer (line->str, max_chars - 1);

      g_string_truncate (line, cut - line->str);
      if (line->len > 0 && line->str[line->len - 1] == ' ')
        g_string_truncate (line, line->len - 1);
      g_string_append (line, "…");
    }

  return g_string_free (line, FALSE);
}

/**
 * tw_mime_dup_clean_text:
 * @text: (nullable): text from a log or a job, perhaps not UTF-8
 *
 * Makes @text safe to show as lines: valid UTF-8, CR LF and lone CR made LF,
 * terminal escape sequences (colours) removed, other control characters but
 * tabs replaced by U+FFFD.
 *
 * Returns: (transfer full): the text; "" for %NULL
 */
char *
tw_mime_dup_clean_text (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\r')
        {
          if (p[1] != '\n')
            g_string_append_c (out, '\n');
        }
      else if (c == 0x1b && p[1] == '[')
        {
          /* CSI: parameters and intermediates, then one final byte. */
          const char *q = p + 2;

          while (*q >= 0x20 && *q <= 0x3f)
            q++;
          p = *q >= 0x40 && *q <= 0x7e ? q : q - 1;
        }
      else if (c == '\n' || c == '\t' || !is_control (c))
        g_string_append_unichar (out, c);
      else
        g_string_append_unichar (out, 0xfffd);
    }

  return g_string_free (out, FALSE);
}

static void
append_token (GString    *out,
              gsize      *column,
              const char *token,
              gsize       length)
{
  /* Leave room for the "=" of a soft line break. */
  if (*column + length > TW_MIME_MAX_LINE - 1)
    {
      g_string_append (out, "=\r\n");
      *column = 0;
    }
  g_string_append_len (out, token, length);
  *column += length;
}

/**
 * tw_mime_encode_quoted_printable:
 * @text: UTF-8 text with LF (or CR LF) line ends
 *
 * Encodes @text as quoted-printable: printable ASCII stays as it is, everything
 * else (and "=", white space at a line's end, a dot or "From " at a line's start)
 * becomes =XX, and long lines are cut with soft line breaks, so no line is longer
 * than %TW_MIME_MAX_LINE.
 *
 * Returns: (transfer full): the encoded text, every line ending in CR LF
 */
char *
tw_mime_encode_quoted_printable (const char *text)
{
  GString *out;
  gsize column = 0;
  const guchar *p;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_sized_new (strlen (text) * 11 / 10 + 16);
  for (p = (const guchar *) text; *p != '\0'; p++)
    {
      gboolean at_end = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
      gboolean at_start = column == 0 && (out->len == 0 || out->str[out->len - 1] == '\n');
      gboolean risky;
      char token[4];

      if (*p == '\r' && p[1] == '\n')
        continue;
      if (*p == '\n')
        {
          g_string_append (out, "\r\n");
          column = 0;
          continue;
        }

      /* A dot alone on a line ends SMTP data, and "From " starts a new mail in
       * mbox files: encoded, neither can be misread on the way. */
      risky = at_start && (*p == '.' || strncmp ((const char *) p, "From ", 5) == 0);
      if ((*p >= 33 && *p <= 126 && *p != '=' && !risky)
          || ((*p == ' ' || *p == '\t') && !at_end))
        {
          token[0] = (char) *p;
          append_token (out, &column, token, 1);
        }
      else
        {
          g_snprintf (token, sizeof token, "=%02X", *p);
          append_token (out, &column, token, 3);
        }
    }
  if (out->len == 0 || out->str[out->len - 1] != '\n')
    g_string_append (out, "\r\n");

  return g_string_free (out, FALSE);
}

static gboolean
needs_encoding (const char *value)
{
  if (strstr (value, "=?") != NULL)
    return TRUE;
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p < 0x20 || *p > 0x7e)
        return TRUE;
    }

  /* A word too long to fold is encoded, which can be cut anywhere. */
  for (const char *word = value; *word != '\0';)
    {
      const char *end = strchr (word, ' ');
      gsize length = end != NULL ? (gsize) (end - word) : strlen (word);

      if (length > TW_MIME_MAX_LINE - 1 - 20)
        return TRUE;
      word = end != NULL ? end + 1 : word + length;
    }

  return FALSE;
}

/**
 * tw_mime_encode_header:
 * @name: a header field's name, such as "Subject"
 * @value: its value on one line (see tw_mime_dup_one_line()), UTF-8
 *
 * Writes the header field, folded at spaces so that no line is longer than
 * %TW_MIME_MAX_LINE. A value that is not printable ASCII (or holds "=?", or a
 * word too long to fold) is written as RFC 2047 encoded-words (UTF-8, base64),
 * each holding whole characters.
 *
 * Returns: (transfer full): "Name: value\r\n", folded
 */
char *
tw_mime_encode_header (const char *name,
                       const char *value)
{
  GString *out;
  gsize column;

  g_return_val_if_fail (name != NULL && strlen (name) < 30, NULL);
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (strchr (value, '\n') == NULL && strchr (value, '\r') == NULL, NULL);

  out = g_string_new (name);
  g_string_append_c (out, ':');
  column = out->len;

  if (!needs_encoding (value))
    {
      g_auto(GStrv) words = g_strsplit (value, " ", -1);

      for (guint i = 0; words[i] != NULL; i++)
        {
          gsize length = strlen (words[i]);

          /* A fold is a CR LF put before a space: the space stays. */
          if (i > 0 && column + 1 + length > TW_MIME_MAX_LINE)
            {
              g_string_append (out, "\r\n");
              column = 0;
            }
          g_string_append_c (out, ' ');
          g_string_append (out, words[i]);
          column += 1 + length;
        }
      g_string_append (out, "\r\n");
      return g_string_free (out, FALSE);
    }

  /* "=?UTF-8?B?" + at most 52 base64 characters (39 bytes) + "?=": 64 characters,
   * which fit after "Subject: " and after the space of a folded line. */
  for (const char *chunk = value; *chunk != '\0' || chunk == value;)
    {
      const char *end = chunk;
      g_autofree char *encoded = NULL;

      while (*end != '\0' && g_utf8_next_char (end) - chunk <= 39)
        end = g_utf8_next_char (end);
      encoded = g_base64_encode ((const guchar *) chunk, end - chunk);
      if (chunk != value)
        g_string_append (out, "\r\n");
      g_string_append_printf (out, " =?UTF-8?B?%s?=", encoded);
      if (*end == '\0')
        break;
      chunk = end;
    }
  g_string_append (out, "\r\n");

  return g_string_free (out, FALSE);
}
