#!/usr/bin/env bash
# GC benchmarks: planner time per image and heap from 10k to 1M images, ECR API calls, the ECR client's CPU.
# Usage: bench/gc.sh [runs]. Optional: BENCH_JAVA_OPTS, JVM flags added to every run (e.g. the image's
# -XX:TieredStopAtLevel=1 -XX:+UseSerialGC, to measure the planner under the shipped settings).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
opts=(${BENCH_JAVA_OPTS:-})
./mvnw -q -B -ntp -pl devkit -am test-compile
./mvnw -q -B -ntp -pl devkit -am dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
# 10k and 100k run inside the 512 MiB heap the target allows; the input alone of 300k x 30 layers is 437 MiB, so
# that case gets 2 GiB, and 1M x 10 layers 4 GiB. An OutOfMemoryError fails the benchmark.
for images in 10000 100000; do
  java -Xmx512m "${opts[@]}" -cp "$cp" dev.buildcache.operator.bench.GcBench plan "$images" 30 0.4 "$runs"
done
java -Xmx2g "${opts[@]}" -cp "$cp" dev.buildcache.operator.bench.GcBench plan 300000 30 0.4 "$runs"
java -Xmx4g "${opts[@]}" -cp "$cp" dev.buildcache.operator.bench.GcBench plan 1000000 10 0.4 "$runs"
java -Xmx2g "${opts[@]}" -Dbuildcache.deploy.dir=deploy -cp "$cp" dev.buildcache.operator.bench.GcBench ecr-calls 100000 1000
java -Xmx512m "${opts[@]}" -Dbuildcache.deploy.dir=deploy -cp "$cp" dev.buildcache.operator.bench.GcBench ecr-cpu 20000 "$runs"
