#!/usr/bin/env bash
# bench/hanzi.sh -- `egov hanzi conv` throughput against glibc iconv, in one run.
#
# Makes SIZE_MB (default 8) of real-looking Traditional Chinese text: common
# characters, ASCII words and numbers, full-width punctuation, short lines
# (a fixed pseudo-random sequence, so every run converts the same text).
# Then times, best of RUNS (default 3):
#   Big5 -> UTF-8   egov hanzi conv --from big5 --to utf-8   vs  iconv -f CP950 -t UTF-8
#   UTF-8 -> Big5   egov hanzi conv --from utf-8 --to big5   vs  iconv -f UTF-8 -t CP950
# and checks that both tools wrote the same bytes.  Prints MB/s (input
# bytes) and the ratio egov/iconv; the times include each process's start
# (egov builds its CP950 table from glibc at start: measured separately on
# empty input).
#
# Environment: EGOV_BIN (default build/egov; use a release build), SIZE_MB, RUNS.
# Target: ratio >= 1.0 both ways.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGOV_BIN=${EGOV_BIN:-$top/build/egov}
SIZE_MB=${SIZE_MB:-8}
RUNS=${RUNS:-3}

for tool in iconv awk cmp; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -x "$EGOV_BIN" ] || { echo "bench: $EGOV_BIN is missing; run make" >&2; exit 1; }

work=$(mktemp -d /tmp/egov-bench-hanzi.XXXXXX)
trap 'rm -rf "$work"' EXIT
# no imported tables: the built-in CP950 table, as on a fresh machine
export EGOV_PATHS_VAR="$work/var"

# Text: 300 common characters (3 UTF-8 bytes each), ASCII, punctuation.
common='的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做必戰先回則任取據處府隊南給色光門即保治北造百規熱領七海口東導器壓志世金增爭濟階油思術極交受聯什認六共權收證改清己美再採轉更單風切打白教速花帶安場身車例真務具萬每目至達走積示議聲報鬥完類八離華名確才科張信馬節話米整空元況今集溫傳土許步群廣石記需段研界拉林律叫且究觀越織裝影算低持音眾書布容兒須際商非驗連斷深難近礦千週委素技備半辦青省列習響約支般史感勞便團往酸歷市克何除消構稱太準精值號率族維劃選標寫存候毛親快效斯院查江型眼王按格養易置派層片始卻專狀育廠京識適屬圓包火住調滿縣局照參紅細引聽該鐵價嚴臺'
LC_ALL=C awk -v common="$common" -v size=$((SIZE_MB * 1024 * 1024)) 'BEGIN {
  srand(20261127);
  n = length(common) / 3;
  np = 0; p = "，。、；：「」（）";
  for (i = 1; i <= length(p); i += 3) punctuation[np++] = substr(p, i, 3);
  split("the of egov 2026 ID A123456789 No. 115 tel 02-2311-0000 www", words, " ");
  out = 0; line = "";
  while (out < size) {
    r = rand();
    if (r < 0.80) s = substr(common, 3 * int(rand() * n) + 1, 3);
    else if (r < 0.90) s = words[1 + int(rand() * 11)] " ";
    else s = punctuation[int(rand() * np)];
    line = line s;
    if (length(line) > 60 + int(rand() * 40)) { print line; out += length(line) + 1; line = "" }
  }
}' > "$work/text.utf8"
iconv -f UTF-8 -t CP950 < "$work/text.utf8" > "$work/text.big5"

# best-of-RUNS wall time in ms of "$@" < $in > $out
best_ms() {
  local in=$1 out=$2; shift 2
  local best=
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" < "$in" > "$out"
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
  done
  [ "$best" -gt 0 ] || best=1
  echo "$best"
}

mbps() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.1f", b / 1048576 / (ms / 1000) }'; }

: > "$work/empty"
start_ms=$(best_ms "$work/empty" /dev/null "$EGOV_BIN" hanzi conv --from big5 --to utf-8)
echo "egov hanzi conv start-up (table load, empty input): ${start_ms} ms"
printf '%-16s %10s %12s %12s %8s\n' direction "input MB" "egov MB/s" "iconv MB/s" ratio

status=0
run() {
  local name=$1 in=$2 from=$3 to=$4 ifrom=$5 ito=$6
  local bytes e_ms i_ms
  bytes=$(stat -c %s "$in")
  e_ms=$(best_ms "$in" "$work/out.egov" "$EGOV_BIN" hanzi conv --from "$from" --to "$to")
  i_ms=$(best_ms "$in" "$work/out.iconv" iconv -f "$ifrom" -t "$ito")
  if ! cmp -s "$work/out.egov" "$work/out.iconv"; then
    echo "bench: $name: egov and iconv wrote different bytes" >&2
    status=1
  fi
  local ratio
  ratio=$(awk -v e="$e_ms" -v i="$i_ms" 'BEGIN { printf "%.2f", i / e }')
  printf '%-16s %10s %12s %12s %8s\n' "$name" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" \
    "$(mbps "$bytes" "$e_ms")" "$(mbps "$bytes" "$i_ms")" "$ratio"
  awk -v r="$ratio" 'BEGIN { exit !(r >= 1.0) }' || echo "  below target (ratio >= 1.0)"
}
run "Big5 -> UTF-8" "$work/text.big5" big5 utf-8 CP950 UTF-8
run "UTF-8 -> Big5" "$work/text.utf8" utf-8 big5 UTF-8 CP950
exit $status
