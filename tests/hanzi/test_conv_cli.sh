#!/usr/bin/env bash
# test_conv_cli.sh -- `egov hanzi conv|info|import` as a person uses them:
# a filter on stdin/stdout that agrees with glibc iconv, strict errors
# naming the byte offset, the replace policy, bad names, empty input,
# huge input in constant memory, and (with $EGOV_SHARED_DATA) the import
# of the official tables and the agency codes.
set -u
: "${EGOV_BIN:?}"
tmp=$(mktemp -d "${EGOV_TEST_TMP:-/tmp}/hanzi-cli.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export EGOV_PATHS_VAR="$tmp/var"
export EGOV_DB_URL="sqlite:$tmp/egov.db"
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect NAME WANT_RC PATTERN INPUT -- CMD...: runs CMD on INPUT, checks exit code and output
expect() {
  local name=$1 want=$2 pat=$3 input=$4; shift 5
  local out rc
  out=$(printf '%s' "$input" | "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, wanted $want; output: $out"; return; fi
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" <<<"$out"; then bad "$name: output lacks /$pat/: $out"; return; fi
  ok "$name"
}
conv() { "$EGOV_BIN" hanzi conv "$@"; }

text='臺北市中正區重慶南路一段122號 王小明 Taipei 100
第二行：（全形標點）、「引號」'
printf '%s\n' "$text" > "$tmp/in.utf8"

# Big5 both ways, equal to glibc iconv
conv --from utf-8 --to big5 < "$tmp/in.utf8" > "$tmp/out.big5"
iconv -f UTF-8 -t CP950 < "$tmp/in.utf8" > "$tmp/want.big5"
if cmp -s "$tmp/out.big5" "$tmp/want.big5"; then ok "utf-8 -> big5 equals iconv CP950"; else bad "utf-8 -> big5 differs from iconv"; fi
conv --from big5 --to utf-8 < "$tmp/out.big5" > "$tmp/back.utf8"
if cmp -s "$tmp/back.utf8" "$tmp/in.utf8"; then ok "big5 -> utf-8 round trip"; else bad "big5 -> utf-8 round trip"; fi
expect "utf-8 -> cns notation" 0 '^1-6A57 1-4621 1-464B$' '臺北市' -- conv --from utf-8 --to cns
expect "cns notation -> utf-8" 0 '^臺北市$' '1-6A57 1-4621 1-464B' -- conv --from cns --to utf-8

# strict errors name the offset and bytes; replace goes on
expect "strict: invalid Big5 at byte 3" 1 'at byte 3' "$(printf 'abc\xa4\x30')" -- conv --from big5 --to utf-8
expect "strict: names the bytes" 1 '0xA4' "$(printf 'abc\xa4\x30')" -- conv --from big5 --to utf-8
expect "strict: truncated UTF-8" 1 'truncated.*at byte 1' "$(printf 'a\xe8\x87')" -- conv --from utf-8 --to big5
expect "strict: unmappable character" 1 'U\+1F600.*at byte 1' 'a😀' -- conv --from utf-8 --to big5
expect "replace: 〓 for bad bytes" 0 '^abc〓0$' "$(printf 'abc\xa4\x30')" -- conv --from big5 --to utf-8 --policy replace
expect "private: Big5 user-defined area" 0 "$(printf '\xee\x80\x80')" "$(printf '\xfa\x40')" -- conv --from big5 --to utf-8 --policy private

# bad names, bad flags, empty input
expect "unknown --from" 2 '--from: unknown encoding "klingon"' 'x' -- conv --from klingon --to utf-8
expect "unknown --to" 2 '--to: unknown encoding' 'x' -- conv --from utf-8 --to ebcdic
expect "unknown policy" 2 'policy' 'x' -- conv --from utf-8 --to big5 --policy lenient
expect "missing --to" 2 'usage' 'x' -- conv --from utf-8
expect "hanzi --help" 0 'egov hanzi conv' '' -- "$EGOV_BIN" hanzi --help
out=$(conv --from big5 --to utf-8 < /dev/null); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "empty input"; else bad "empty input: rc $rc, output '$out'"; fi
expect "info by U+" 0 '"cns": "1-6A57"' '' -- "$EGOV_BIN" hanzi info U+81FA
expect "info of nothing" 2 'not one character' '' -- "$EGOV_BIN" hanzi info 'U+D800'

# huge input: 32 MB streams through in about the memory 1 MB needs
rss() { # max resident KB of: conv big5 -> utf-8 over $1 MB
  head -c $(($1 * 1024 * 1024)) "$tmp/big.big5" |
    /usr/bin/time -f '%M' "$EGOV_BIN" hanzi conv --from big5 --to utf-8 2>"$tmp/time.$1" >/dev/null
  tail -1 "$tmp/time.$1"
}
if [ -x /usr/bin/time ]; then
  # 32 MB of Big5 text, made by doubling
  cp "$tmp/out.big5" "$tmp/big.big5"
  while [ "$(stat -c %s "$tmp/big.big5")" -lt $((32 * 1024 * 1024)) ]; do
    cat "$tmp/big.big5" "$tmp/big.big5" > "$tmp/big2" && mv "$tmp/big2" "$tmp/big.big5"
  done
  small=$(rss 1); large=$(rss 32)
  if [ -n "$small" ] && [ -n "$large" ] && [ $((large - small)) -lt 8192 ]; then
    ok "32 MB in constant memory (max RSS $small KB for 1 MB, $large KB for 32 MB)"
  else
    bad "memory grows with input: $small KB for 1 MB, $large KB for 32 MB"
  fi
else
  echo "skip constant-memory check: no /usr/bin/time"
fi

# the official tables
data=${EGOV_SHARED_DATA:-}/cns11643
if [ -d "$data" ]; then
  if "$EGOV_BIN" hanzi import "$data" > "$tmp/import.txt" 2>&1; then ok "import"; else bad "import: $(cat "$tmp/import.txt")"; fi
  if grep -Eq '^[0-9]+ entries cannot round-trip' "$tmp/import.txt" &&
     grep -Eq '^CNS2TAX.txt:[0-9]+: ' "$tmp/import.txt"; then
    ok "import names each entry that cannot round-trip"
  else
    bad "import report: $(head -3 "$tmp/import.txt")"
  fi
  if grep -q '^stored 2 file(s) in the database' "$tmp/import.txt"; then
    ok "import stores the tables for the other nodes"
  else
    bad "import did not store the tables: $(tail -3 "$tmp/import.txt")"
  fi
  expect "info lists agency codes" 0 '"cns-tax": "5270"' '' -- "$EGOV_BIN" hanzi info 1-6A57
  expect "utf-8 -> 財稅交換碼" 0 '^5270$' '臺' -- conv --from utf-8 --to cns-tax
  expect "監理 code A43B (trail byte below 0x40)" 0 '^.$' "$(printf '\xa4\x3b')" -- conv --from cns-dci --to utf-8
  expect "land office by Chinese name" 0 '' '臺' -- conv --from utf-8 --to land-臺北市
  expect "plane-15 private use" 0 "$(printf '\xf3\xbe\x89\xb0')" '1-234F' -- conv --from cns --to utf-8
  expect "missing import folder" 1 'No such file' '' -- "$EGOV_BIN" hanzi import "$tmp/nothing"
else
  echo "skip official tables: no \$EGOV_SHARED_DATA/cns11643"
fi

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
