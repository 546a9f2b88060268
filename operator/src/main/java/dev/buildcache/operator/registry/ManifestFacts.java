package dev.buildcache.operator.registry;

import java.util.List;

/**
 * What a manifest says about itself. Content-addressed, so true for its digest forever: a GC reads each manifest
 * once in its life and remembers this.
 *
 * @param mediaType the manifest's own media type
 * @param cache whether it is BuildKit cache, in either layout: an image manifest whose config is a cacheconfig, or
 *     an index (or Docker manifest list) whose entries are the cache's blobs and a cacheconfig blob
 * @param size the manifest's own bytes
 * @param blobs every blob it references (config, layers, or an index-form cache's entries), each once
 * @param children manifests it references (only entries whose media type is a manifest or an index)
 */
public record ManifestFacts(String mediaType, boolean cache, long size, List<Blob> blobs, List<String> children) {
  public ManifestFacts {
    blobs = List.copyOf(blobs);
    children = List.copyOf(children);
  }
}
