#!/usr/bin/env bash
# Scale figures for CacheProfile on the real operator process. Usage: bench/profile-scale.sh [profiles] [builders] [runs]
# Optional: BENCH_JAVA_OPTS, the operator's JVM flags (default: the image's, see bench/jvm-opts; "none": JVM defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp -DskipTests package
./mvnw -q -B -ntp -pl devkit -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
exec java -cp "$cp" -Dbench.javaOpts="$(bench/jvm-opts "${BENCH_JAVA_OPTS:-}")" dev.buildcache.operator.bench.ProfileScaleBench "$@"
