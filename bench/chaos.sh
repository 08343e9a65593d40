#!/usr/bin/env bash
# The long form of every kill test, each run RUNS times (default 1), with a summary line per
# run: `make chaos` (or `RUNS=3 bench/chaos.sh`). Needs the stack up. The short forms run in
# `make test`. Output and each test's worker logs go under .cache/chaos/.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1}
ROUNDS=${DVC_CHAOS_ROUNDS:-5}
OUT=.cache/chaos/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
TESTS=(
  "lifecycle tests/lifecycle/test_chaos.py"
  "sla tests/sla/test_workers.py::test_killed_round_after_round_every_alert_fires_once"
  "routing tests/routing/test_kill.py"
  "payments tests/payments/test_workers.py::test_killed_workers_lose_no_command_and_make_no_other"
  "kpi tests/kpi/test_kill.py"
  "outbox tests/outbox/test_kill.py"
  "signing tests/signing/test_kill.py"
)
failed=0
for run in $(seq 1 "$RUNS"); do
  for entry in "${TESTS[@]}"; do
    name=${entry%% *}; target=${entry#* }
    log="$OUT/$name-$run.log"
    started=$(date +%s)
    DVC_CHAOS_ROUNDS=$ROUNDS .venv/bin/python -m pytest -q -s -p no:cacheprovider \
      --basetemp="$OUT/$name-$run" "$target" >"$log" 2>&1
    rc=$?
    result=$(tail -1 "$log")
    printf '%-10s run %s: %s (%ss)\n' "$name" "$run" "$result" "$(( $(date +%s) - started ))" \
      | tee -a "$OUT/summary.txt"
    { grep -hE '^round [0-9]+:|^settled |^outcomes complete ' "$log" | sed 's/^/    /'
      # the loop workers (outbox, signing) log no faust pauses to read
      [[ "$name" = outbox || "$name" = signing ]] || .venv/bin/python bench/_chaos_pauses.py "$OUT/$name-$run"
    } | tee -a "$OUT/summary.txt"
    [ $rc -eq 0 ] || failed=1
  done
done
echo "summary: $OUT/summary.txt"
exit $failed
