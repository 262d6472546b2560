/* tw-mime.h — the encodings a mail needs: quoted-printable bodies and RFC 2047 header fields
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest line these encoders write, without its CRLF (RFC 2045 allows 76). */
#define TW_MIME_MAX_LINE 76

char  *tw_mime_dup_one_line              (const char *text,
                                          gsize       max_chars);
char  *tw_mime_dup_clean_text            (const char *text);
char  *tw_mime_encode_quoted_printable   (const char *text);
char  *tw_mime_encode_header             (const char *name,
                                          const char *value);

G_END_DECLS
