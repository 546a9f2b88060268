#!/usr/bin/env bash
# OCI GC against a local docker-registry: one request at a time (baseline) vs N in flight, identical seeds,
# medians over runs. Usage: bench/oci-concurrency.sh [caches] [concurrency] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
caches="${1:-2000}"; concurrency="${2:-8}"; runs="${3:-3}"
scripts/ensure-tools docker-registry
./mvnw -q -B -ntp -o -pl devkit -am test-compile 2>/dev/null || ./mvnw -q -B -ntp -pl devkit -am test-compile
./mvnw -q -B -ntp -pl devkit -am dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
java -Xmx512m -cp "$cp" dev.buildcache.operator.bench.OciConcurrencyBench "$caches" "$concurrency" "$runs"
