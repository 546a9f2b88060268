#!/bin/sh
exec java ${BUILDCACHE_JAVA_OPTS:-} -jar "$0" "$@"
