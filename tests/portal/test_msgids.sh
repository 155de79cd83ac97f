#!/bin/bash
# Every literal {{_ msgid}} in share/templates/**/*.html has a non-empty
# Traditional Chinese translation in the zh_TW catalog (share/locale/zh_TW.po
# plus share/locale/zh_TW/*.po), every msgid of it is also in the en catalog.  Left-over share/locale/pending-*.po files
# (entries not merged yet) are reported.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
tmpl_dir="$here/share/templates"
po="$here/share/locale/zh_TW.po"
command -v msgcat >/dev/null || { echo "msgcat missing"; exit 77; }

# msgid<TAB>msgstr, one line per entry (msgcat unwraps continued lines)
pairs() {
  local lang=$1 files
  shopt -s nullglob
  files=("$here/share/locale/$lang.po" "$here"/share/locale/"$lang"/*.po)
  shopt -u nullglob
  msgcat --use-first --no-wrap "${files[@]}" |
  awk '
    /^msgid "/  { id = substr($0, 8, length($0) - 8); next }
    /^msgstr "/ { print id "\t" substr($0, 9, length($0) - 9) }'
}
zh=$(pairs zh_TW)
en=$(pairs en)

fail=0
checked=0
while IFS= read -r id; do
  [ -n "$id" ] || continue
  case "$id" in \$*) continue ;; esac
  checked=$((checked + 1))
  po_id=${id//\\/\\\\}
  po_id=${po_id//\"/\\\"}
  tr=$(ID="$po_id" awk -F'\t' '$1 == ENVIRON["ID"] { print $2; exit }' <<< "$zh")
  if [ -z "$tr" ]; then
    echo "untranslated template msgid: $id"
    fail=1
  fi
done < <(grep -rho --include='*.html' '{{_ [^}]*}}' "$tmpl_dir" | sed -e 's/^{{_ *//' -e 's/ *}}$//' | sort -u)

while IFS=$'\t' read -r id _; do
  [ -n "$id" ] || continue
  if ! ID="$id" awk -F'\t' '$1 == ENVIRON["ID"] { f = 1 } END { exit !f }' <<< "$en"; then
    echo "msgid missing from en.po: $id"
    fail=1
  fi
done <<< "$zh"

for p in "$here"/share/locale/pending-*.po; do
  [ -e "$p" ] || continue
  echo "warning: not merged into zh_TW.po yet: $p"
done

echo "checked $checked template msgids"
[ "$checked" -gt 20 ] || { echo "too few template msgids found"; fail=1; }
exit $fail
