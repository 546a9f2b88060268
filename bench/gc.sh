#!/usr/bin/env bash
# GC benchmarks: planner time and heap, ECR API calls. Usage: bench/gc.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
./mvnw -q -B -ntp -pl devkit -am test-compile
./mvnw -q -B -ntp -pl devkit -am dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
# The 100k case runs inside the 512 MiB heap the target allows; an OutOfMemoryError fails the benchmark.
java -Xmx512m -cp "$cp" dev.buildcache.operator.bench.GcBench plan 100000 30 0.4 "$runs"
java -Xmx8g -cp "$cp" dev.buildcache.operator.bench.GcBench plan 1000000 10 0.4 "$runs"
java -Xmx2g -Dbuildcache.deploy.dir=deploy -cp "$cp" dev.buildcache.operator.bench.GcBench ecr-calls 100000 1000
