#!/usr/bin/env bash
# Scale figures for BuildkitBuilder on the real operator process. Usage: bench/builder-scale.sh [builders] [runs]
# Optional: BENCH_JAVA_OPTS (operator JVM flags, default -Xmx256m).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -ntp -DskipTests package
./mvnw -q -B -ntp -pl devkit -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
exec java -cp "$cp" -Dbench.javaOpts="${BENCH_JAVA_OPTS:--Xmx256m}" dev.buildcache.operator.bench.BuilderScaleBench "$@"
