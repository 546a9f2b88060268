package dev.buildcache.operator.gc;

import java.util.List;

/**
 * What a scan found: the images, and what it could not resolve that might protect any of them. A non-empty
 * {@code blockers} keeps every image in that run.
 *
 * @param manifestsRead manifests read from the registry in this scan (the rest were remembered)
 */
public record RepositoryScan(List<RepositoryImage> images, List<String> blockers, int manifestsRead) {
  public RepositoryScan {
    images = List.copyOf(images);
    blockers = List.copyOf(blockers);
  }

  public static RepositoryScan of(List<RepositoryImage> images) {
    return new RepositoryScan(images, List.of(), 0);
  }
}
