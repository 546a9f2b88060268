#!/usr/bin/env bash
# The operator process at rest: start to ready and idle RSS, medians over runs. Usage:
# bench/operator-footprint.sh [runs] [idleSeconds]. BENCH_JAVA_OPTS: the operator's JVM flags (default: the image's,
# from deploy/jvm-flags, with the class-data sharing archive dumped for this machine's JVM; "none" for JVM defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp -DskipTests package
./mvnw -q -B -ntp -pl devkit -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
exec java -cp "$cp" -Dbench.javaOpts="$(bench/jvm-opts "${BENCH_JAVA_OPTS:-}")" dev.buildcache.operator.bench.OperatorFootprintBench "$@"
