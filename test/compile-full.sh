#!/usr/bin/env bash
# The compile differential on 1,000,000 generated patients, split into one vitest process per core
# (COMPILE_SHARDS overrides): each process checks every n-th patient. Fails if any shard fails.
set -u
shards=${COMPILE_SHARDS:-$(node -e 'console.log(require("os").availableParallelism())')}
pids=()
for ((i = 0; i < shards; i++)); do
  COMPILE_SHARD="$i/$shards" COMPILE_PATIENTS=${COMPILE_PATIENTS:-1000000} COMPILE_TRACED_SHARE=${COMPILE_TRACED_SHARE:-0.1} \
    npx vitest run test/compile.test.ts -t 'generated patients' &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
