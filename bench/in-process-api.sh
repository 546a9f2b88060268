#!/usr/bin/env bash
# The in-process API server's own cost per request (GET, status apply, create), server time and round trip.
# Usage: bench/in-process-api.sh [stored objects] [requests] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp -pl devkit -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
exec java -cp "$cp" dev.buildcache.operator.bench.InProcessApiBench "$@"
