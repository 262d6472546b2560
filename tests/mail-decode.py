#!/usr/bin/python3
# tests/mail-decode.py — a mail read by Python's email package, for the tests
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mail-decode.py < MESSAGE
#
# Reads a raw message (CR LF line ends) on standard input and prints, as JSON,
# what a real mail reader makes of it: the header fields decoded (RFC 2047), the
# Date as a Unix time, each part's type, charset, transfer encoding and decoded
# text, every defect the parser found, and the raw form's longest line.
import email
import email.policy
import email.utils
import json
import sys

raw = sys.stdin.buffer.read()
message = email.message_from_bytes(raw, policy=email.policy.default)

defects = [repr(d) for d in message.defects]
headers = []
for name, value in message.items():
    headers.append([name, str(value)])
    defects += [repr(d) for d in getattr(value, "defects", [])]

parts = []
for part in message.walk():
    defects += [repr(d) for d in part.defects]
    if part.is_multipart():
        continue
    parts.append({
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": part.get("Content-Transfer-Encoding"),
        "text": part.get_content().replace("\r\n", "\n"),
    })

lines = raw.split(b"\r\n")
date = message.get("Date")
print(json.dumps({
    "headers": headers,
    "date": email.utils.parsedate_to_datetime(str(date)).timestamp() if date else None,
    "content_type": message.get_content_type(),
    "boundary": message.get_boundary(),
    "parts": parts,
    "defects": defects,
    "max_line": max(len(line) for line in lines),
    "bare_lf": any(b"\n" in line for line in lines),
    "bare_cr": any(b"\r" in line for line in lines),
}))
