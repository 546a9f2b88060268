#!/usr/bin/env bash
# The simplest age-based cache GC a user could write with skopeo: the baseline of bench/oci-vs-script.sh. It keeps
# what `buildcache gc` keeps for OCI registries, when it first saw each tag at its digest (a state file), and
# deletes BuildKit cache manifests (config media type application/vnd.buildkit.cacheconfig.v0) under cache-* tags
# first seen at their digest more than MAX_AGE_DAYS ago, one request after another.
# Usage: bench/skopeo-gc.sh HOST:PORT/REPOSITORY STATE_FILE MAX_AGE_DAYS   (plain HTTP registry)
set -euo pipefail
repo="$1"; state="$2"; max_age=$(( $3 * 86400 )); now=$(date +%s)
opts=(--tls-verify=false)
manifest="$(mktemp)"; trap 'rm -f "$manifest"' EXIT
touch "$state"
declare -A first_seen
while read -r key seen; do first_seen[$key]=$seen; done < "$state"
for tag in $(skopeo list-tags "${opts[@]}" "docker://$repo" | jq -r '.Tags[]'); do
  case "$tag" in cache-*) ;; *) continue ;; esac
  skopeo inspect --raw "${opts[@]}" "docker://$repo:$tag" > "$manifest"
  [ "$(jq -r '.config.mediaType // empty' "$manifest")" = application/vnd.buildkit.cacheconfig.v0 ] || continue
  digest="sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
  key="$tag@$digest"
  if [ -z "${first_seen[$key]:-}" ]; then
    first_seen[$key]=$now
    echo "$key $now" >> "$state"
  fi
  if (( now - first_seen[$key] > max_age )); then
    skopeo delete "${opts[@]}" "docker://$repo@$digest"
  fi
done
