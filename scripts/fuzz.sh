#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 10s).
# Go runs one fuzz target per invocation, so this lists them and runs them one by one.
#
# Go 1.26's fuzz coordinator can report a bare "context deadline exceeded" failure when
# -fuzztime runs out while a worker is mid-call (go.dev/issue/75804, fixed in Go 1.27). That
# failure names no input and writes no reproducer. Such a run is retried once, after replaying
# the target's committed corpus; anything else (a written reproducer, a panic, a second
# deadline failure) fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_race reports whether the run logged in $log failed only by the coordinator's race.
deadline_race() {
  grep -q 'context deadline exceeded' "$log" &&
    ! grep -qE 'Failing input written|panic:|fuzzing process hung|_test\.go:[0-9]+:' "$log"
}

fuzz_once() { # dir target
  go test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" "./$1" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

found=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    found=1
    echo "fuzz ./$dir $target ($fuzztime)"
    if fuzz_once "$dir" "$target"; then continue; fi
    if ! deadline_race; then exit 1; fi
    echo "fuzz: $target hit Go's -fuzztime deadline race (go.dev/issue/75804) with no failing input; replaying its corpus and fuzzing once more"
    go test -run "^$target\$" "./$dir"
    fuzz_once "$dir" "$target" || exit 1
  done
done < <(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go')
[ "$found" = 1 ] || echo "no fuzz targets"
