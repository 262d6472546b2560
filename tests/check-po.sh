#!/bin/bash
# tests/check-po.sh — checks that po/POTFILES.in lists every file with translatable text and
# that every language in po/LINGUAS translates every string of the sources
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tests/check-po.sh SOURCE_ROOT
#
# Prints TAP. Three checks:
#   * POTFILES.in is sorted, names files that exist, and names every file under app/,
#     channels/, ui/ and data/ from which xgettext extracts a string (so no file is
#     forgotten; comments that mention _() do not count, as xgettext skips them);
#   * each po/LL.po passes `msgfmt --check` (format directives, plural forms, header) with
#     no fuzzy and no untranslated message;
#   * each po/LL.po translates every string of the sources as they are now (`msgcmp`
#     against a template made here), so a new string without a translation fails.
# On a failure it lists the files or strings at fault. po/README.md says how to update a
# translation; this test is meant to fail when a string is added without one.
# Nothing in the source tree is written: the template goes to a temporary folder.
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 SOURCE_ROOT" >&2
  exit 2
fi
cd "$1" || exit 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The keywords of meson's i18n.gettext(preset: 'glib'), which po/meson.build uses.
keywords=(--keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2
          --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3)

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; sed 's/^/# /' "$tmp/why"; }
linguas=$(sed -e 's/#.*//' po/LINGUAS | tr -s ' \t' '\n' | grep -v '^$')
echo "1..$((2 + 2 * $(echo "$linguas" | grep -c .)))"

# 1. POTFILES.in
listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' po/POTFILES.in)
: > "$tmp/why"
if ! LC_ALL=C sort -u -c <<<"$listed" 2>>"$tmp/why"; then
  echo "po/POTFILES.in is not sorted (LC_ALL=C sort) or lists a file twice" >>"$tmp/why"
fi
while read -r f; do
  [ -f "$f" ] || echo "po/POTFILES.in lists $f, which does not exist" >>"$tmp/why"
done <<<"$listed"
find app channels ui data -type f \( -name '*.c' -o -name '*.h' -o -name '*.ui' \
  -o -name '*.desktop.in' -o -name '*.metainfo.xml.in' -o -name '*.gschema.xml' \) \
  | LC_ALL=C sort >"$tmp/candidates"
if ! xgettext --from-code=UTF-8 "${keywords[@]}" -f "$tmp/candidates" -o "$tmp/all.pot" \
     2>"$tmp/xgettext.err"; then
  cat "$tmp/xgettext.err" >>"$tmp/why"
fi
if [ -f "$tmp/all.pot" ]; then
  # "#: app/a.c:12 app/b.c:3" lines name the files strings came from.
  sed -n 's/^#: //p' "$tmp/all.pot" | tr ' ' '\n' | sed 's/:[0-9]*$//' | LC_ALL=C sort -u \
    >"$tmp/with-strings"
  LC_ALL=C comm -23 "$tmp/with-strings" <(LC_ALL=C sort -u <<<"$listed") \
    | sed 's/^/not in po\/POTFILES.in, but has translatable strings: /' >>"$tmp/why"
fi
if [ -s "$tmp/why" ]; then not_ok "po/POTFILES.in lists every file with strings"
else ok "po/POTFILES.in lists every file with strings"; fi

# 2. A template of the sources as they are, made the way meson's trainwatch-pot makes it.
: > "$tmp/why"
xgettext --package-name=trainwatch --from-code=UTF-8 "${keywords[@]}" -D . \
  -f po/POTFILES.in -o "$tmp/trainwatch.pot" 2>"$tmp/why"
if [ -f "$tmp/trainwatch.pot" ]; then ok "xgettext makes a template from po/POTFILES.in"
else not_ok "xgettext makes a template from po/POTFILES.in"; fi

# 3. Each language: valid and complete.
for lang in $linguas; do
  po="po/$lang.po"
  : > "$tmp/why"
  if [ ! -f "$po" ]; then
    echo "$po is missing" >"$tmp/why"
  elif ! msgfmt --check --statistics -o /dev/null "$po" 2>"$tmp/stats"; then
    cat "$tmp/stats" >"$tmp/why"
  elif grep -Eq 'fuzzy|untranslated' "$tmp/stats"; then
    cat "$tmp/stats" >"$tmp/why"
    # the messages, without the header
    msgattrib --only-fuzzy --no-obsolete "$po" | awk 'seen; /^$/ { seen = 1 }' >>"$tmp/why"
    msgattrib --untranslated --no-obsolete "$po" | awk 'seen; /^$/ { seen = 1 }' >>"$tmp/why"
  fi
  if [ -s "$tmp/why" ]; then not_ok "$po is valid, with no fuzzy or untranslated message"
  else ok "$po is valid, with no fuzzy or untranslated message ($(cat "$tmp/stats"))"; fi

  : > "$tmp/why"
  if [ ! -f "$po" ] || [ ! -f "$tmp/trainwatch.pot" ]; then
    echo "no $po or no template" >"$tmp/why"
  elif ! msgcmp "$po" "$tmp/trainwatch.pot" >"$tmp/why" 2>&1; then
    echo "The strings without a translation in $po:" >>"$tmp/why"
    msgmerge -q --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/trainwatch.pot" 2>>"$tmp/why"
    # the messages, without the header
    msgattrib --untranslated --no-obsolete "$tmp/merged.po" | awk 'seen; /^$/ { seen = 1 }' \
      >>"$tmp/why"
    echo "To add them: meson compile -C BUILD trainwatch-update-po, and translate (po/README.md)" \
      >>"$tmp/why"
  else
    : > "$tmp/why"
  fi
  if [ -s "$tmp/why" ]; then not_ok "$po translates every string of the sources"
  else ok "$po translates every string of the sources"; fi
done

exit $failed
