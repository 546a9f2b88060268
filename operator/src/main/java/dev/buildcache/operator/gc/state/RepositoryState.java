package dev.buildcache.operator.gc.state;

import dev.buildcache.operator.registry.ManifestFacts;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the GC remembers of one repository between runs. Not thread-safe: a {@link GcStateStore} hands it to one run
 * at a time.
 *
 * <ul>
 *   <li><b>Manifests</b>, by digest: a manifest is immutable for its digest, so it is read once in its life. On ECR
 *       every read is a pull that moves {@code lastRecordedPullTime}; reading once keeps that to one per image.
 *   <li><b>The GC's own reads</b> (ECR): when it read each manifest, and the pull time ECR showed just before, so
 *       that a recorded pull at that moment is known to be the GC's own and never counts as a use.
 *   <li><b>Tag sightings</b> (OCI, which records no times): when the GC first saw each tag at its current digest.
 *       On OCI a cache's age is how long its tag has not been re-pushed.
 * </ul>
 */
public final class RepositoryState {
  /**
   * The GC's own manifest read: between {@code from} and {@code to}; {@code pullBefore} is the pull time the
   * registry showed before it (null: never pulled).
   */
  public record OwnRead(Instant from, Instant to, Instant pullBefore) {}

  /** A tag seen at {@code digest} since {@code since}. */
  public record Sighting(String digest, Instant since) {}

  final Map<String, ManifestFacts> manifests = new HashMap<>();
  final Map<String, OwnRead> reads = new HashMap<>();
  final Map<String, Sighting> sightings = new HashMap<>();

  public ManifestFacts manifest(String digest) {
    return manifests.get(digest);
  }

  public void remember(String digest, ManifestFacts facts) {
    manifests.put(digest, facts);
  }

  public OwnRead ownRead(String digest) {
    return reads.get(digest);
  }

  public void recordRead(String digest, OwnRead read) {
    reads.put(digest, read);
  }

  public Sighting sighting(String tag) {
    return sightings.get(tag);
  }

  /** The sightings of this run replace the previous ones: a tag that is gone starts a new clock if it returns. */
  public void replaceSightings(Map<String, Sighting> current) {
    sightings.clear();
    sightings.putAll(current);
  }

  /** Forgets manifests and reads of digests the registry no longer has. */
  public void retainDigests(Set<String> present) {
    manifests.keySet().retainAll(present);
    reads.keySet().retainAll(present);
  }

  public void forget(Collection<String> digests) {
    digests.forEach(d -> {
      manifests.remove(d);
      reads.remove(d);
    });
  }

  public int manifestCount() {
    return manifests.size();
  }

  public boolean isEmpty() {
    return manifests.isEmpty() && reads.isEmpty() && sightings.isEmpty();
  }
}
