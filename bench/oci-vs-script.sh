#!/usr/bin/env bash
# `buildcache gc` side by side with bench/skopeo-gc.sh (the simplest script a user could write) on identical copies
# of one docker-registry storage (CNCF distribution, loopback, plain HTTP): N BuildKit cache manifests and 10
# release images under matching tags. Both tools record first-seen times in a first pass, whose recorded times are
# then moved fifteen days into the past; then a third of the caches are pushed again (their tags move), and each
# tool runs once more, now, with --max-age 14d, on its own copy: two thirds of the caches are due. Prints, per N,
# the median wall over RUNS runs (alternating), the requests the registry logged (access log) and whether both
# deleted the same tags and every release image survived, and the CPU the registry itself spent (the floor both
# tools share: distribution looks up every tag of the repository for each manifest it deletes). Usage:
# bench/oci-vs-script.sh [N[,N...]] [RUNS] [CONCURRENCY]. TOOLS="buildcache" measures only buildcache gc;
# TOOLS="buildcache deletes script" also measures the floor of any client: one curl sending only the DELETEs of
# what buildcache deleted (CONCURRENCY in flight, the digests read from the storage, nothing listed or read); it
# must come after buildcache. LATENCY_MS=50 puts the registry 50 ms away (bench/delay-proxy.py in front of it).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-500,2000}"; runs="${2:-3}"; concurrency="${3:-8}"; tools="${TOOLS:-buildcache script}"
scripts/ensure-tools docker-registry skopeo jq
if [ ! -x operator/target/buildcache ] || [ ! -d devkit/target/test-classes ]; then
  ./mvnw -q -B -ntp install -DskipTests
fi
./mvnw -q -B -ntp -o -pl devkit test-compile
./mvnw -q -B -ntp -o -pl devkit dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
cp="devkit/target/test-classes:devkit/target/classes:$(cat devkit/target/bench.classpath)"
buildcache="$PWD/operator/target/buildcache"
skopeo_gc="$PWD/bench/skopeo-gc.sh"
work="$(mktemp -d)"
registry_pid=""; proxy_pid=""
trap '[ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true; [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host="127.0.0.1:$(free_port)"; repo="$host/team/app-cache"
# LATENCY_MS: the registry listens elsewhere and bench/delay-proxy.py, on $host, adds that round-trip time
latency="${LATENCY_MS:-0}"; listen="$host"
if [ "$latency" != 0 ]; then
  listen="127.0.0.1:$(free_port)"
fi

start_registry() { # storage-dir access-log [measured: behind the delay proxy when LATENCY_MS is set]
  local addr="$host"
  if [ "${3:-}" = measured ] && [ "$latency" != 0 ]; then addr="$listen"; fi
  cat > "$work/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
http:
  addr: $addr
YAML
  docker-registry serve "$work/config.yml" > "$2" 2>&1 &
  registry_pid=$!
  if [ "$addr" != "$host" ]; then
    python3 bench/delay-proxy.py "$host" "$listen" "$(awk -v l="$latency" 'BEGIN {print l / 2}')" &
    proxy_pid=$!
  fi
  for _ in $(seq 100); do curl -fs "http://$host/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "docker-registry did not start: $(cat "$2")" >&2; exit 1
}
stop_registry() {
  kill "$registry_pid"; wait "$registry_pid" 2>/dev/null || true; registry_pid=""
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; fi
}
requests() { grep -cE '"(GET|HEAD|DELETE|PUT|POST|PATCH) /v2/' "$1" || true; }
by_method() { grep -oE '"(GET|HEAD|DELETE) /v2/[^ ]*' "$1" | awk '{m=$1; sub(/"/,"",m); if ($2 ~ /\/tags\/list/) m=m" tags/list"; else if ($2=="/v2/") m=m" /v2/"; c[m]++} END {for (k in c) printf "%s=%d ", k, c[k]}'; }
tags() { skopeo list-tags --tls-verify=false "docker://$repo" | jq -r '.Tags[]' | sort; }
now_ms() { date +%s%3N; }
registry_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$registry_pid/stat"; }
# every time recorded in a state (buildcache's gzip'd JSON: ISO-8601 instants; the script's: epoch seconds), DAYS back
shift_states() { # state-dir-or-file days
  python3 - "$1" "$2" <<'PY'
import datetime, gzip, pathlib, re, sys
root, days = pathlib.Path(sys.argv[1]), int(sys.argv[2])
back = datetime.timedelta(days=days)
def iso(m):
    t = datetime.datetime.fromisoformat(m.group(0).replace("Z", "+00:00")) - back
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"
if root.is_file():
    lines = [l.rsplit(" ", 1) for l in root.read_text().splitlines() if l]
    root.write_text("".join(f"{k} {int(v) - back.days * 86400}\n" for k, v in lines))
else:
    for f in root.rglob("state.json.gz"):
        text = gzip.decompress(f.read_bytes()).decode()
        f.write_bytes(gzip.compress(re.sub(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', iso, text).encode()))
PY
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

printf '%-7s %-10s %10s %14s %9s %9s %8s %s\n' N tool "wall(ms)" "registry-cpu" requests deleted "req/del" "requests by method (last run)"
for n in ${sizes//,/ }; do
  pristine="$work/pristine-$n"; mkdir -p "$pristine"
  start_registry "$pristine/storage" "$work/seed.log"
  echo "  N=$n: seeding $(date +%T)" >&2
  java -Xmx256m -cp "$cp" dev.buildcache.operator.bench.SeedCaches "http://$host" team/app-cache seed "$n"
  echo "  N=$n: first passes $(date +%T)" >&2
  tags > "$pristine/tags-before-first-pass"
  # the first pass of each tool: each records what it sees, nothing is old enough; then both states are moved
  # fifteen days into the past, as if that pass had run then. (Running the JVM under faketime instead is
  # equivalent but spins it: at 10,000 manifests the first pass alone took over 15 minutes.)
  "$buildcache" gc --repository "$repo" --insecure --max-age 14d --state-dir "$pristine/buildcache-state" > /dev/null
  shift_states "$pristine/buildcache-state" 15
  if [[ " $tools " == *" script "* ]]; then
    "$skopeo_gc" "$repo" "$pristine/skopeo-state" 14 > /dev/null
    shift_states "$pristine/skopeo-state" 15
  fi
  java -Xmx256m -cp "$cp" dev.buildcache.operator.bench.SeedCaches "http://$host" team/app-cache repush "$n"
  tags > "$pristine/tags-before"
  stop_registry
  declare -A walls=() cpus=()
  for run in $(seq "$runs"); do
    for tool in $tools; do
      copy="$work/run"; rm -rf "$copy"; cp -a "$pristine" "$copy"
      log="$work/$tool-$n.log"
      start_registry "$copy/storage" "$log" measured
      if [ "$tool" = deletes ]; then # the digests of what buildcache deleted in this run, from the storage itself
        links="$copy/storage/docker/registry/v2/repositories/team/app-cache/_manifests/tags"
        while read -r tag; do cat "$links/$tag/current/link"; echo; done < "$work/buildcache-$n-deleted" | sort -u \
          | while read -r digest; do printf 'url = "http://%s/v2/team/app-cache/manifests/%s"\noutput = "/dev/null"\n' "$host" "$digest"; done \
          > "$work/deletes-$n.curl"
      fi
      cpu=$(registry_cpu_ms); start=$(now_ms)
      if [ "$tool" = buildcache ]; then
        "$buildcache" gc --repository "$repo" --insecure --max-age 14d --concurrency "$concurrency" \
          --state-dir "$copy/buildcache-state" > "$work/$tool.out"
      elif [ "$tool" = deletes ]; then
        curl -s --no-progress-meter --parallel --parallel-max "$concurrency" -X DELETE -K "$work/deletes-$n.curl"
      else
        "$skopeo_gc" "$repo" "$copy/skopeo-state" 14 > "$work/$tool.out"
      fi
      took=$(( $(now_ms) - start )); walls[$tool]+="$took "; cpus[$tool]+="$(( $(registry_cpu_ms) - cpu )) "
      cp "$log" "$work/$tool-$n-measured.log"
      tags > "$work/$tool-$n-after"
      stop_registry
      comm -23 "$copy/tags-before" "$work/$tool-$n-after" > "$work/$tool-$n-deleted"
      echo "  N=$n run $run $tool: $took ms, $(requests "$log") requests, $(wc -l < "$work/$tool-$n-deleted") deleted" >&2
      if grep -q '^cache-release-' "$work/$tool-$n-deleted"; then
        echo "$tool deleted a release image: $(grep '^cache-release-' "$work/$tool-$n-deleted" | head -3)" >&2; exit 1
      fi
    done
  done
  for tool in $tools; do
    wall=$(printf '%s\n' ${walls[$tool]} | median); cpu=$(printf '%s\n' ${cpus[$tool]} | median)
    req=$(requests "$work/$tool-$n-measured.log"); del=$(wc -l < "$work/$tool-$n-deleted")
    printf '%-7s %-10s %10s %14s %9s %9s %8s %s\n' "$n" "$tool" "$wall" "$cpu" "$req" "$del" \
      "$(awk -v r="$req" -v d="$del" 'BEGIN {printf "%.2f", d ? r / d : 0}')" "$(by_method "$work/$tool-$n-measured.log")"
    eval "wall_$tool=$wall"
  done
  [[ " $tools " == *" buildcache "* && " $tools " == *" script "* ]] || { rm -rf "$pristine"; continue; }
  if cmp -s "$work/buildcache-$n-deleted" "$work/script-$n-deleted"; then same=yes; else same=NO; fi
  echo "N=$n: buildcache is $(awk -v a="$wall_script" -v b="$wall_buildcache" 'BEGIN {printf "%.1f", a / b}')x faster (medians of $runs: ${walls[buildcache]}/ ${walls[script]}ms); same deletions: $same; release images kept: 10/10"
  [ "$same" = yes ] || { diff "$work/buildcache-$n-deleted" "$work/script-$n-deleted" | head >&2; exit 1; }
  rm -rf "$pristine"
done
