#!/usr/bin/env bash
# test_layers.sh -- keeps the layering honest: a module may include only its
# own headers and those of the modules its CMake library links to (directly
# or through them).  An upward #include fails here even where it would link.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/src" || exit 1

declare -A deps
for dir in */; do
  m=${dir%/}
  [ -f "$m/CMakeLists.txt" ] || continue
  # egov_<name> targets named on the link line(s), minus the module itself
  deps[$m]=$(sed -n '/target_link_libraries/,/)/p' "$m/CMakeLists.txt" |
    grep -o 'egov_[a-z]*' | sed 's/^egov_//' | grep -vx "$m" | sort -u | tr '\n' ' ')
done

# allowed M: M plus the transitive closure of its link dependencies
allowed() {
  local m=$1 seen=" $1 " queue=(${deps[$1]:-}) x
  while [ ${#queue[@]} -gt 0 ]; do
    x=${queue[0]}; queue=("${queue[@]:1}")
    case "$seen" in *" $x "*) continue ;; esac
    seen+="$x "
    queue+=(${deps[$x]:-})
  done
  echo "$seen"
}

fails=0 checked=0
for m in "${!deps[@]}"; do
  ok=$(allowed "$m")
  while IFS=: read -r file line inc; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    checked=$((checked + 1))
    case "$ok" in
      *" $target "*) ;;
      *) echo "layering: src/$file:$line includes $target/, which $m does not link ($ok)"
         fails=$((fails + 1)) ;;
    esac
  done < <(grep -Hn '^#include "[a-z_]*/' "$m"/*.c "$m"/*.h 2>/dev/null)
done
echo "$checked includes checked, $fails upward"
[ "$checked" -gt 100 ] && [ "$fails" -eq 0 ]
