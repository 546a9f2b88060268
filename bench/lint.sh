#!/usr/bin/env bash
# Lint wall time on a generated 500-step pipeline: in-process (warm) and end to end through the jar.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp -DskipTests package
./mvnw -q -B -ntp -pl operator test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="operator/target/test-classes:operator/target/classes:$(cat operator/target/bench.classpath)"
pipeline="$(mktemp --suffix=.yml)"
java -cp "$cp" dev.buildcache.operator.bench.LintBench "${1:-500}" 9 "$pipeline"
for i in 1 2 3 4 5; do
  /usr/bin/time -f "%e" java -jar operator/target/buildcache.jar lint "$pipeline" > /dev/null || true
done 2>&1 | grep -E '^[0-9.]+$' | sort -n | awk '{a[NR]=$1} END {print "lint end to end (JVM start included), median of " NR " runs: " a[int((NR+1)/2)] " s"}'
