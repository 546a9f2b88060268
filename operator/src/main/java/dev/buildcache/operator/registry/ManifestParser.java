package dev.buildcache.operator.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.gc.Blob;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Reads OCI / Docker v2 image manifests and indexes: what they reference and whether they are BuildKit cache. */
public final class ManifestParser {
  public static final String BUILDKIT_CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final List<String> ACCEPTED = List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestParser() {}

  /**
   * @param configMediaType the config descriptor's media type; {@link #BUILDKIT_CACHE_CONFIG} marks a cache
   * @param newestCreatedAt newest {@code buildkit/createdat} layer annotation, or null
   * @param children manifests an index references
   */
  public record ParsedManifest(String mediaType, String configMediaType, List<Blob> blobs, Instant newestCreatedAt,
      List<String> children) {
    public boolean cache() {
      return BUILDKIT_CACHE_CONFIG.equals(configMediaType);
    }
  }

  public static ParsedManifest parse(byte[] body, String mediaTypeHeader) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("manifest is not JSON: " + e.getMessage(), e);
    }
    String mediaType = root.path("mediaType").asText(mediaTypeHeader == null ? "" : mediaTypeHeader);
    List<String> children = new ArrayList<>();
    for (JsonNode m : root.path("manifests")) {
      children.add(m.path("digest").asText());
    }
    List<Blob> blobs = new ArrayList<>();
    String configMediaType = null;
    JsonNode config = root.path("config");
    if (config.isObject()) {
      configMediaType = config.path("mediaType").asText(null);
      blobs.add(new Blob(config.path("digest").asText(), config.path("size").asLong()));
    }
    Instant newest = null;
    for (JsonNode layer : root.path("layers")) {
      blobs.add(new Blob(layer.path("digest").asText(), layer.path("size").asLong()));
      String created = layer.path("annotations").path("buildkit/createdat").asText(null);
      if (created != null) {
        try {
          Instant at = Instant.parse(created);
          if (newest == null || at.isAfter(newest)) {
            newest = at;
          }
        } catch (DateTimeParseException e) {
          // an unreadable annotation tells us nothing about age
        }
      }
    }
    return new ParsedManifest(mediaType, configMediaType, blobs, newest, children);
  }
}
