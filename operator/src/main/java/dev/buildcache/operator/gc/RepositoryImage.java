package dev.buildcache.operator.gc;

import java.time.Instant;
import java.util.List;

/**
 * One manifest of the repository, as the planner sees it: what registry listing and manifest fetch told us.
 *
 * @param digest manifest digest
 * @param tags tags pointing at it; empty when untagged
 * @param cache whether the manifest is a BuildKit cache (config media type {@code application/vnd.buildkit.cacheconfig.v0})
 * @param pushedAt when it was pushed; for OCI registries, which do not say, the newest {@code buildkit/createdat}
 *     layer annotation; null when unknown (the image is then never deleted)
 * @param lastUsed last pull or push, whichever is later; null when unknown
 * @param manifestSize size of the manifest itself
 * @param blobs the blobs it references (config and layers)
 * @param children manifests an index references (multi-platform images); they are never deleted while it stays
 */
public record RepositoryImage(
    String digest,
    List<String> tags,
    boolean cache,
    Instant pushedAt,
    Instant lastUsed,
    long manifestSize,
    List<Blob> blobs,
    List<String> children) {

  public RepositoryImage {
    tags = List.copyOf(tags);
    blobs = List.copyOf(blobs);
    children = List.copyOf(children);
  }

  public boolean tagged() {
    return !tags.isEmpty();
  }
}
