#!/bin/sh
# The client compiler and the serial collector, as in the operator's image: a CLI run is short, and C2's compile
# threads cost it more than they give back (buildcache gc on 2,000 cache manifests: half the CPU, its listing and
# re-read about 3 s shorter; docs/benchmarks.md). BUILDCACHE_JAVA_OPTS comes after these, so it can override them.
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC ${BUILDCACHE_JAVA_OPTS:-} -jar "$0" "$@"
