package dev.buildcache.operator.gc;

import dev.buildcache.operator.registry.Blob;
import java.time.Instant;
import java.util.List;

/**
 * One manifest of the repository, as the planner sees it: what the registry listing and the manifest told us, and
 * the ages the GC's clock gives it.
 *
 * @param digest manifest digest
 * @param tags tags pointing at it; empty when untagged
 * @param cache whether the manifest is a BuildKit cache, in either layout
 * @param pushedAt when it was pushed (ECR), or when the GC first saw its newest tag at it (OCI); null when unknown
 *     (the image is then never deleted)
 * @param lastUsed last pull or push (ECR), or the same first sighting (OCI); null when unknown
 * @param manifestSize size of the manifest itself
 * @param blobs the blobs it references (config and layers, or an index-form cache's entries)
 * @param children manifests an index references (multi-platform images); they are never deleted while it stays
 * @param hold why the scan says it must stay whatever the policy, or null
 */
public record RepositoryImage(
    String digest,
    List<String> tags,
    boolean cache,
    Instant pushedAt,
    Instant lastUsed,
    long manifestSize,
    List<Blob> blobs,
    List<String> children,
    Hold hold) {

  /** Kept in this run, with the reason and one line of detail. */
  public record Hold(GcReason reason, String detail) {}

  public RepositoryImage {
    tags = List.copyOf(tags);
    blobs = List.copyOf(blobs);
    children = List.copyOf(children);
  }

  public RepositoryImage(String digest, List<String> tags, boolean cache, Instant pushedAt, Instant lastUsed, long manifestSize,
      List<Blob> blobs, List<String> children) {
    this(digest, tags, cache, pushedAt, lastUsed, manifestSize, blobs, children, null);
  }

  public boolean tagged() {
    return !tags.isEmpty();
  }

  public RepositoryImage withHold(Hold h) {
    return new RepositoryImage(digest, tags, cache, pushedAt, lastUsed, manifestSize, blobs, children, h);
  }
}
