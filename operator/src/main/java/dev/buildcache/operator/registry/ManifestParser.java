package dev.buildcache.operator.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads OCI and Docker v2 manifests and indexes: what they reference and whether they are BuildKit cache.
 *
 * <p>BuildKit writes registry cache in two layouts (moby/buildkit {@code cache/remotecache/export.go}). With
 * {@code image-manifest=true} (the default since v0.21) it is an image manifest whose config has media type
 * {@value #BUILDKIT_CACHE_CONFIG}. Before, and with {@code image-manifest=false}, it is an OCI index (or, with
 * {@code oci-mediatypes=false}, a Docker manifest list) without a config, whose {@code manifests[]} lists the layer
 * blobs and, last, the cacheconfig blob. Those entries are blobs: a registry answers 404 or 500 when they are
 * fetched as manifests. So only entries whose media type is a manifest or an index are children; every other entry
 * is a blob of the index.
 *
 * <p>Nothing here reads {@code buildkit/createdat}: it is when a layer snapshot was created, carried forward when
 * BuildKit re-exports imported layers, and says nothing about when the cache was last used.
 */
public final class ManifestParser {
  public static final String BUILDKIT_CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json";
  public static final String DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  /** What the GC asks for. Schema 1 is not asked for; a registry that only has it serves what it has. */
  public static final List<String> ACCEPTED = List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);
  private static final Set<String> MANIFEST_TYPES = Set.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST,
      DOCKER_MANIFEST_V1, DOCKER_MANIFEST_V1_SIGNED);
  private static final Set<String> INDEX_TYPES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
  private static final Pattern DIGEST = Pattern.compile("^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestParser() {}

  /** Whether a manifest of this media type can reference other manifests. Unknown types might. */
  public static boolean mayHaveChildren(String mediaType) {
    return mediaType == null || mediaType.isBlank() || INDEX_TYPES.contains(mediaType) || !MANIFEST_TYPES.contains(mediaType);
  }

  /**
   * @param contentType the registry's Content-Type, used when the manifest does not name its own media type
   * @throws IllegalArgumentException when the body is not a manifest; the message says why in a few words
   */
  public static ManifestFacts parse(byte[] body, String contentType) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("is not a JSON object");
    }
    String mediaType = root.path("mediaType").asText("");
    if (mediaType.isEmpty()) {
      mediaType = contentType != null && !contentType.isBlank() ? contentType.split(";")[0].trim()
          : root.has("manifests") ? OCI_INDEX : root.has("fsLayers") ? DOCKER_MANIFEST_V1 : OCI_MANIFEST;
    }
    Set<Blob> blobs = new LinkedHashSet<>();
    List<String> children = new ArrayList<>();
    boolean cache = false;
    JsonNode config = root.path("config");
    if (config.isObject()) {
      blobs.add(blob(config));
      cache = BUILDKIT_CACHE_CONFIG.equals(config.path("mediaType").asText());
    }
    for (JsonNode layer : root.path("layers")) {
      blobs.add(blob(layer));
    }
    for (JsonNode blob : root.path("blobs")) { // OCI artifact manifests
      blobs.add(blob(blob));
    }
    for (JsonNode layer : root.path("fsLayers")) { // schema 1: digests without sizes
      blobs.add(new Blob(digest(layer.path("blobSum")), 0));
    }
    for (JsonNode entry : root.path("manifests")) {
      String entryType = entry.path("mediaType").asText("");
      if (BUILDKIT_CACHE_CONFIG.equals(entryType)) {
        cache = true;
      }
      // An entry without a media type might be a manifest: it is treated as one, so it is read, never assumed.
      if (entryType.isEmpty() || MANIFEST_TYPES.contains(entryType)) {
        children.add(digest(entry.path("digest")));
      } else {
        blobs.add(blob(entry));
      }
    }
    return new ManifestFacts(mediaType, cache, body.length, List.copyOf(blobs), children);
  }

  private static Blob blob(JsonNode descriptor) {
    long size = descriptor.path("size").asLong(-1);
    if (size < 0) {
      throw new IllegalArgumentException("has a descriptor without a size");
    }
    return new Blob(digest(descriptor.path("digest")), size);
  }

  private static String digest(JsonNode node) {
    String digest = node.asText("");
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("has a descriptor without a valid digest");
    }
    return digest;
  }
}
