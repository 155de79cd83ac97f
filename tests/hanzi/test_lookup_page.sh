#!/usr/bin/env bash
# test_lookup_page.sh -- rare-character input and name matching as people
# and agencies use them, against a real `egov serve`: the /hanzi/lookup
# page without JavaScript (a GET form, "add to my name" links) in zh-TW and
# English, its static script, the lookup and match APIs; and the property
# subcommands of `egov hanzi` (sort, key, match, lookup).
set -u
: "${EGOV_BIN:?}"
command -v curl >/dev/null 2>&1 || { echo "skip: curl missing"; exit 77; }
ls /usr/share/unicode/Unihan_IRGSources.txt.bz2 >/dev/null 2>&1 ||
  [ -n "${EGOV_UNIHAN_DIR:-}" ] || { echo "skip: no Unihan data (unicode-data)"; exit 77; }
. "$(cd "$(dirname "$0")/../.." && pwd)/tests/testlib/serve.sh"
egov_serve_workdir tmp hanzi-page
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# has NAME FILE PATTERN / lacks NAME FILE PATTERN
has() { if grep -Eq -- "$3" "$2"; then ok "$1"; else bad "$1: no /$3/ in $(head -c 600 "$2")"; fi; }
lacks() { if grep -Eq -- "$3" "$2"; then bad "$1: /$3/ found"; else ok "$1"; fi; }

# ---- the command line ------------------------------------------------
export EGOV_PATHS_VAR="$tmp/var"
mkdir -p "$tmp/var"
printf '林\n王\n一\n陳\n' | "$EGOV_BIN" hanzi sort --order stroke >"$tmp/sorted" 2>"$tmp/err"
if [ "$(tr -d '\n' <"$tmp/sorted")" = "一王林陳" ]; then ok "hanzi sort --order stroke"; else bad "hanzi sort: $(cat "$tmp/sorted" "$tmp/err")"; fi
printf '臺北市\n台北市\n' | "$EGOV_BIN" hanzi key >"$tmp/keys" 2>&1
if [ "$(sort -u "$tmp/keys" | wc -l)" -eq 1 ]; then ok "hanzi key folds 臺/台"; else bad "hanzi key: $(cat "$tmp/keys")"; fi
"$EGOV_BIN" hanzi match 林峯 林峰 >"$tmp/m" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '"variant"' "$tmp/m"; then ok "hanzi match variant"; else bad "hanzi match: rc $rc $(cat "$tmp/m")"; fi
"$EGOV_BIN" hanzi match 范 範 >"$tmp/m" 2>&1
if [ $? -eq 3 ]; then ok "hanzi match different: exit 3"; else bad "hanzi match different: $(cat "$tmp/m")"; fi
"$EGOV_BIN" hanzi lookup --zhuyin ㄊㄞˊ --limit 5 >"$tmp/l" 2>&1
has "hanzi lookup --zhuyin" "$tmp/l" $'^台\tU\\+53F0\t1-'
"$EGOV_BIN" hanzi frobnicate >"$tmp/l" 2>&1
if [ $? -eq 2 ] && grep -q 'egov hanzi lookup' "$tmp/l"; then ok "unknown subcommand: usage"; else bad "unknown subcommand: $(cat "$tmp/l")"; fi

# ---- the server --------------------------------------------------------
egov_serve_start s "$tmp/serve.log" --db "sqlite:$tmp/x.db" || exit 1
url=$s_url

H='Accept: text/html'
code=$(curl -s -o "$tmp/p" -w '%{http_code}' -H "$H" "$url/hanzi/lookup?lang=zh-TW")
[ "$code" = 200 ] && ok "page 200" || bad "page: $code"
has "page in zh-TW" "$tmp/p" '查找姓名用字'
has "page has a GET form" "$tmp/p" '<form[^>]*action="/hanzi/lookup"[^>]*method="get"'
has "every input has a label" "$tmp/p" '<label for="hanzi-zhuyin">'
has "radical select lists 214 radicals" "$tmp/p" '<option value="214"'
lacks "no inline script" "$tmp/p" '<script>|<script [^>]*>[^<]'
lacks "no inline style" "$tmp/p" 'style="|<style'
has "script from /static" "$tmp/p" '<script src="/static/js/hanzi-lookup.js" defer></script>'

# a search by total strokes with a name being put together (王 so far)
code=$(curl -s -o "$tmp/p" -w '%{http_code}' -H "$H" "$url/hanzi/lookup?lang=en&name=%E7%8E%8B&strokes=1")
[ "$code" = 200 ] && ok "search 200" || bad "search: $code"
has "page in English" "$tmp/p" 'Find a character of your name'
has "candidate 一 listed" "$tmp/p" 'hanzi-candidate__char" lang="zh-Hant">一<'
has "add link carries the name" "$tmp/p" 'href="/hanzi/lookup\?strokes=1&amp;lang=en&amp;name=%E7%8E%8B%E4%B8%80"'
# following the link: the name grows without JavaScript
code=$(curl -s -o "$tmp/p" -w '%{http_code}' -H "$H" "$url/hanzi/lookup?strokes=1&lang=en&name=%E7%8E%8B%E4%B8%80")
has "name so far shows 王一" "$tmp/p" '<output id="hanzi-name-output" for="hanzi-name">王一</output>'
has "remove-last link" "$tmp/p" 'href="/hanzi/lookup\?strokes=1&amp;lang=en&amp;name=%E7%8E%8B"'
# a name of 30 characters is full: candidates without "add" links
full=$(printf '%%E7%%8E%%8B%.0s' $(seq 1 30))
curl -s -o "$tmp/p" -H "$H" "$url/hanzi/lookup?lang=en&strokes=1&name=$full"
has "full name: candidates listed" "$tmp/p" 'hanzi-candidate__char'
lacks "full name: no add links" "$tmp/p" 'data-hanzi-char='
# by radical and residual strokes: 氵 + 3 gives 江
curl -s -o "$tmp/p" -H "$H" "$url/hanzi/lookup?radical=85&residual=3"
has "radical search finds 江" "$tmp/p" '>江<'
has "radical 85 selected" "$tmp/p" '<option value="85" selected>'
code=$(curl -s -o "$tmp/p" -w '%{http_code}' -H "$H" "$url/hanzi/lookup?strokes=abc&lang=en")
[ "$code" = 400 ] && ok "bad strokes: 400" || bad "bad strokes: $code"
has "error names the field" "$tmp/p" 'id="hanzi-strokes"[^>]*aria-invalid="true"'
has "error message" "$tmp/p" 'Enter a number of strokes from 1 to 99'

code=$(curl -s -o "$tmp/js" -w '%{http_code}' "$url/static/js/hanzi-lookup.js")
[ "$code" = 200 ] && ok "static script served" || bad "static script: $code"

# ---- the APIs -------------------------------------------------------------
code=$(curl -s -o "$tmp/j" -w '%{http_code}' "$url/api/hanzi/lookup?zhuyin=%E3%84%8A%E3%84%9E%CB%8A&limit=3")
[ "$code" = 200 ] && ok "lookup API 200" || bad "lookup API: $code"
has "lookup API candidates" "$tmp/j" '"candidates":\['
has "lookup API CNS codes" "$tmp/j" '"cns":"1-'
code=$(curl -s -o "$tmp/j" -w '%{http_code}' "$url/api/hanzi/lookup?strokes=1000")
[ "$code" = 400 ] && ok "lookup API bad strokes: 400" || bad "lookup API bad strokes: $code"
has "problem names strokes" "$tmp/j" '"field":"strokes"'
code=$(curl -s -o "$tmp/j" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"a_hex":"BB4FA55F","encoding_a":"big5","b":"台北"}' "$url/api/hanzi/match")
[ "$code" = 200 ] && ok "match API 200" || bad "match API: $code $(cat "$tmp/j")"
has "Big5 臺北 matches UTF-8 台北 as a variant" "$tmp/j" '"match":true.*"reason":"variant"'
code=$(curl -s -o "$tmp/j" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"a":"王"}' "$url/api/hanzi/match")
[ "$code" = 400 ] && ok "match API without b: 400" || bad "match API without b: $code"
has "problem names b" "$tmp/j" '"field":"b"'

if ! kill -0 "$s_pid" 2>/dev/null; then
  bad "egov serve died"
  tail -20 "$tmp/serve.log"
fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
