package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Pushes BuildKit-shaped cache manifests and ordinary images to a registry through the distribution API. */
public final class OciPusher {
  public static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  public static final String IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI registry;
  private final String repository;
  private final HttpClient http = HttpClient.newHttpClient();

  public OciPusher(URI registry, String repository) {
    this.registry = registry;
    this.repository = repository;
  }

  /** A blob with content derived from {@code seed}: same seed, same digest. */
  public record Layer(String digest, byte[] content) {
    public static Layer of(String seed, int size) {
      byte[] bytes = new byte[size];
      new Random(seed.hashCode()).nextBytes(bytes);
      return new Layer("sha256:" + sha256(bytes), bytes);
    }

    public long size() {
      return content.length;
    }
  }

  public String pushCache(String tag, Instant createdAt, List<Layer> layers) throws IOException, InterruptedException {
    return push(tag, CACHE_CONFIG, ("{\"layers\":" + layers.size() + ",\"at\":\"" + createdAt + "\"}").getBytes(StandardCharsets.UTF_8),
        createdAt, layers);
  }

  public String pushImage(String tag, List<Layer> layers) throws IOException, InterruptedException {
    return push(tag, IMAGE_CONFIG, ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"n\":" + layers.size() + "}}")
        .getBytes(StandardCharsets.UTF_8), null, layers);
  }

  /**
   * A cache as BuildKit exports it with {@code image-manifest=false} (its default before v0.21): an OCI index, or
   * with {@code oci-mediatypes=false} a Docker manifest list, with no config; its entries are the layer blobs and,
   * last, the cacheconfig blob (moby/buildkit {@code cache/remotecache/export.go}).
   */
  public String pushIndexCache(String tag, Instant createdAt, List<Layer> layers, boolean ociMediaTypes)
      throws IOException, InterruptedException {
    byte[] config = ("{\"layers\":" + layers.size() + ",\"index\":true,\"at\":\"" + createdAt + "\"}").getBytes(StandardCharsets.UTF_8);
    String configDigest = "sha256:" + sha256(config);
    upload(configDigest, config);
    String layerType = ociMediaTypes ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip";
    String mediaType = ociMediaTypes ? "application/vnd.oci.image.index.v1+json" : "application/vnd.docker.distribution.manifest.list.v2+json";
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", mediaType);
    ArrayNode entries = index.putArray("manifests");
    for (Layer layer : layers) {
      upload(layer.digest(), layer.content());
      entries.addObject().put("mediaType", layerType).put("digest", layer.digest()).put("size", layer.size())
          .putObject("annotations").put("buildkit/createdat", createdAt.toString()).put("containerd.io/uncompressed", layer.digest());
    }
    entries.addObject().put("mediaType", CACHE_CONFIG).put("digest", configDigest).put("size", config.length);
    byte[] body = JSON.writeValueAsBytes(index);
    putManifest(tag, body, mediaType);
    return "sha256:" + sha256(body);
  }

  /** An image index of two platform images: a multi-platform release. */
  public String pushImageIndex(String tag, List<Layer> amd64, List<Layer> arm64) throws IOException, InterruptedException {
    String a = push(null, IMAGE_CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8), null, amd64);
    String b = push(null, IMAGE_CONFIG, "{\"architecture\":\"arm64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8), null, arm64);
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", "application/vnd.oci.image.index.v1+json");
    ArrayNode entries = index.putArray("manifests");
    for (String[] child : new String[][] {{a, "amd64"}, {b, "arm64"}}) {
      HttpResponse<byte[]> m = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/manifests/" + child[0]))
          .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
      entries.addObject().put("mediaType", "application/vnd.oci.image.manifest.v1+json").put("digest", child[0])
          .put("size", m.body().length).putObject("platform").put("architecture", child[1]).put("os", "linux");
    }
    byte[] body = JSON.writeValueAsBytes(index);
    putManifest(tag, body, "application/vnd.oci.image.index.v1+json");
    return "sha256:" + sha256(body);
  }

  /** Points {@code tag} at an existing manifest as well. */
  public void tag(String digest, String tag) throws IOException, InterruptedException {
    HttpResponse<byte[]> manifest = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/manifests/" + digest))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    putManifest(tag, manifest.body(), "application/vnd.oci.image.manifest.v1+json");
  }

  private String push(String tag, String configMediaType, byte[] config, Instant createdAt, List<Layer> layers)
      throws IOException, InterruptedException {
    String configDigest = "sha256:" + sha256(config);
    upload(configDigest, config);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    manifest.putObject("config").put("mediaType", configMediaType).put("digest", configDigest).put("size", config.length);
    ArrayNode descriptors = manifest.putArray("layers");
    for (Layer layer : layers) {
      upload(layer.digest(), layer.content());
      ObjectNode d = descriptors.addObject()
          .put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip").put("digest", layer.digest()).put("size", layer.size());
      if (createdAt != null) {
        d.putObject("annotations").put("buildkit/createdat", createdAt.toString())
            .put("containerd.io/uncompressed", layer.digest());
      }
    }
    byte[] body = JSON.writeValueAsBytes(manifest);
    putManifest(tag == null ? "sha256:" + sha256(body) : tag, body, "application/vnd.oci.image.manifest.v1+json");
    return "sha256:" + sha256(body);
  }

  private void putManifest(String reference, byte[] body, String mediaType) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/manifests/" + reference))
        .header("Content-Type", mediaType)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IOException("manifest push failed: " + response.statusCode() + " " + response.body());
    }
  }

  private void upload(String digest, byte[] content) throws IOException, InterruptedException {
    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/blobs/" + digest))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    if (head.statusCode() == 200) {
      return;
    }
    HttpResponse<Void> start = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    String location = start.headers().firstValue("Location").orElseThrow(() -> new IOException("no upload location: " + start.statusCode()));
    URI upload = location.startsWith("http") ? URI.create(location) : URI.create(registry + location);
    String separator = upload.toString().contains("?") ? "&" : "?";
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(upload + separator + "digest=" + digest))
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
    if (put.statusCode() != 201) {
      throw new IOException("blob upload failed: " + put.statusCode() + " " + put.body());
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
