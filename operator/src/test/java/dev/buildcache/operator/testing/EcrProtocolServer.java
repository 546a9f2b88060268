package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local server speaking the ECR JSON 1.1 protocol for DescribeImages, BatchGetImage and BatchDeleteImage, with
 * ECR's limits (1000 results a page, 100 image ids a batch, InvalidParameterException beyond) and error shapes,
 * plus fault injection: throttling, 5xx, persistent per-image delete failures, latency, and hooks that change the
 * repository just before an operation is answered.
 */
public final class EcrProtocolServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921.";

  /** An image as ECR stores it. */
  public static final class StoredImage {
    final String digest;
    final String manifest;
    final String mediaType;
    final String artifactMediaType;
    final List<String> tags = new ArrayList<>();
    final Instant pushedAt;
    Instant lastPull;
    final long size;

    StoredImage(String digest, String manifest, String mediaType, String artifactMediaType, Instant pushedAt, long size) {
      this.digest = digest;
      this.manifest = manifest;
      this.mediaType = mediaType;
      this.artifactMediaType = artifactMediaType;
      this.pushedAt = pushedAt;
      this.size = size;
    }
  }

  /** A request as received, for assertions on batching. */
  public record Call(String operation, int imageIds, Integer maxResults) {}

  private final HttpServer server;
  private final Map<String, StoredImage> images = new LinkedHashMap<>();
  private final Map<String, StoredImage> byTag = new java.util.HashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> throttle = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> serverErrors = new ConcurrentHashMap<>();
  private final Map<String, String> deleteFailures = new ConcurrentHashMap<>();
  private final Map<String, Runnable> hooks = new ConcurrentHashMap<>();
  private volatile Duration latency = Duration.ZERO;

  /**
   * Static credentials for the AWS default chain, which reads these system properties first (in a pod it finds
   * IRSA's web identity or EKS Pod Identity); nothing reaches for instance metadata.
   */
  public static void useTestCredentials() {
    System.setProperty("aws.accessKeyId", "AKIDTEST");
    System.setProperty("aws.secretAccessKey", "secret");
    System.setProperty("aws.disableEc2Metadata", "true");
  }

  public EcrProtocolServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public synchronized String put(String manifest, String mediaType, String artifactMediaType, Instant pushedAt, Instant lastPull,
      String... tags) {
    String digest = "sha256:" + sha256(manifest);
    StoredImage image = images.computeIfAbsent(digest, d -> new StoredImage(d, manifest, mediaType, artifactMediaType,
        pushedAt, manifest.length() * 10L));
    image.lastPull = lastPull;
    for (String tag : tags) {
      tag(digest, tag);
    }
    return digest;
  }

  /** Points {@code tag} at {@code digest}, taking it off the image that had it (a moved tag). */
  public synchronized void tag(String digest, String tag) {
    StoredImage previous = byTag.get(tag);
    if (previous != null) {
      previous.tags.remove(tag);
    }
    StoredImage image = images.get(digest);
    if (!image.tags.contains(tag)) {
      image.tags.add(tag);
    }
    byTag.put(tag, image);
  }

  public synchronized void remove(String digest) {
    StoredImage image = images.remove(digest);
    if (image != null) {
      image.tags.forEach(byTag::remove);
    }
  }

  public synchronized Map<String, List<String>> tagsByDigest() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    images.values().forEach(i -> out.put(i.digest, List.copyOf(i.tags)));
    return out;
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public void throttleNext(String operation, int times) {
    throttle.put(operation, new AtomicInteger(times));
  }

  public void failNext(String operation, int times) {
    serverErrors.put(operation, new AtomicInteger(times));
  }

  /** Every BatchDeleteImage of this digest fails with {@code code} (e.g. ImageReferencedByManifestList). */
  public void failDeletes(String digest, String code) {
    deleteFailures.put(digest, code);
  }

  /** Runs {@code hook} once, just before the first {@code operation} request whose body matches is answered. */
  public void beforeFirst(String operation, Runnable hook) {
    hooks.put(operation, hook);
  }

  public void latency(Duration latency) {
    this.latency = latency;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
    String operation = target == null ? "" : target.replace(TARGET_PREFIX, "");
    JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
    calls.add(new Call(operation, request.path("imageIds").size(), request.has("maxResults") ? request.get("maxResults").asInt() : null));
    try {
      if (!latency.isZero()) {
        Thread.sleep(latency.toMillis());
      }
      if (take(throttle, operation)) {
        error(exchange, 400, "ThrottlingException", "Rate exceeded");
        return;
      }
      if (take(serverErrors, operation)) {
        error(exchange, 500, "ServerException", "Internal failure, please retry");
        return;
      }
      String hookKey = operation + (request.has("imageIds") ? ":ids" : "");
      Runnable hook = hooks.remove(hookKey);
      if (hook == null) {
        hook = hooks.remove(operation);
      }
      if (hook != null) {
        hook.run();
      }
      JsonNode response = switch (operation) {
        case "DescribeImages" -> describeImages(request);
        case "BatchGetImage" -> batchGetImage(request);
        case "BatchDeleteImage" -> batchDeleteImage(request);
        default -> throw new EcrError(400, "UnknownOperationException", "unsupported operation " + operation);
      };
      respond(exchange, 200, JSON.writeValueAsBytes(response));
    } catch (EcrError e) {
      error(exchange, e.status, e.type, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error(exchange, 500, "ServerException", "interrupted");
    }
  }

  private synchronized JsonNode describeImages(JsonNode request) {
    ObjectNode response = JSON.createObjectNode();
    ArrayNode details = response.putArray("imageDetails");
    if (request.has("imageIds")) {
      checkIds(request);
      for (JsonNode id : request.get("imageIds")) {
        StoredImage image = find(id);
        if (image == null) {
          throw new EcrError(400, "ImageNotFoundException", "The image with imageId " + id + " does not exist");
        }
        details.add(detail(image));
      }
      return response;
    }
    int max = request.path("maxResults").asInt(100);
    if (max < 1 || max > 1000) {
      throw new EcrError(400, "InvalidParameterException", "maxResults must be between 1 and 1000");
    }
    String status = request.path("filter").path("tagStatus").asText("ANY");
    List<StoredImage> all = images.values().stream()
        .filter(i -> status.equals("ANY") || (status.equals("TAGGED") == !i.tags.isEmpty())).toList();
    int start = request.hasNonNull("nextToken") ? Integer.parseInt(request.get("nextToken").asText()) : 0;
    for (int i = start; i < Math.min(all.size(), start + max); i++) {
      details.add(detail(all.get(i)));
    }
    if (start + max < all.size()) {
      response.put("nextToken", Integer.toString(start + max));
    }
    return response;
  }

  private synchronized JsonNode batchGetImage(JsonNode request) {
    checkIds(request);
    ObjectNode response = JSON.createObjectNode();
    ArrayNode out = response.putArray("images");
    ArrayNode failures = response.putArray("failures");
    for (JsonNode id : request.get("imageIds")) {
      StoredImage image = find(id);
      if (image == null) {
        failures.addObject().<ObjectNode>set("imageId", id).put("failureCode", "ImageNotFound").put("failureReason", "Requested image not found");
        continue;
      }
      ObjectNode i = out.addObject().put("registryId", "123456789012").put("repositoryName", "app-cache")
          .put("imageManifest", image.manifest).put("imageManifestMediaType", image.mediaType);
      i.putObject("imageId").put("imageDigest", image.digest);
    }
    return response;
  }

  private synchronized JsonNode batchDeleteImage(JsonNode request) {
    checkIds(request);
    ObjectNode response = JSON.createObjectNode();
    ArrayNode deleted = response.putArray("imageIds");
    ArrayNode failures = response.putArray("failures");
    for (JsonNode id : request.get("imageIds")) {
      StoredImage image = find(id);
      if (image == null) {
        failures.addObject().<ObjectNode>set("imageId", id).put("failureCode", "ImageNotFound").put("failureReason", "Requested image not found");
      } else if (deleteFailures.containsKey(image.digest)) {
        failures.addObject().<ObjectNode>set("imageId", id).put("failureCode", deleteFailures.get(image.digest))
            .put("failureReason", "injected failure");
      } else {
        remove(image.digest);
        deleted.addObject().put("imageDigest", image.digest);
      }
    }
    return response;
  }

  private StoredImage find(JsonNode id) {
    if (id.hasNonNull("imageDigest")) {
      return images.get(id.get("imageDigest").asText());
    }
    return byTag.get(id.path("imageTag").asText());
  }

  private static void checkIds(JsonNode request) {
    int n = request.path("imageIds").size();
    if (n < 1 || n > 100) {
      throw new EcrError(400, "InvalidParameterException", "imageIds must contain between 1 and 100 items, got " + n);
    }
  }

  private static ObjectNode detail(StoredImage image) {
    ObjectNode d = JSON.createObjectNode()
        .put("registryId", "123456789012").put("repositoryName", "app-cache")
        .put("imageDigest", image.digest)
        .put("imageSizeInBytes", image.size)
        .put("imagePushedAt", image.pushedAt.getEpochSecond() + image.pushedAt.getNano() / 1e9)
        .put("imageManifestMediaType", image.mediaType);
    if (image.artifactMediaType != null) {
      d.put("artifactMediaType", image.artifactMediaType);
    }
    if (image.lastPull != null) {
      d.put("lastRecordedPullTime", image.lastPull.getEpochSecond() + image.lastPull.getNano() / 1e9);
    }
    if (!image.tags.isEmpty()) {
      ArrayNode tags = d.putArray("imageTags");
      image.tags.forEach(tags::add);
    }
    return d;
  }

  private static boolean take(Map<String, AtomicInteger> faults, String operation) {
    AtomicInteger left = faults.get(operation);
    return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  private static void error(HttpExchange exchange, int status, String type, String message) throws IOException {
    exchange.getResponseHeaders().set("x-amzn-ErrorType", type);
    respond(exchange, status, JSON.writeValueAsBytes(JSON.createObjectNode().put("__type", type).put("message", message)));
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class EcrError extends RuntimeException {
    final int status;
    final String type;

    EcrError(int status, String type, String message) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
