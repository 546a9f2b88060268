package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local server speaking the ECR JSON 1.1 protocol for the operations the GC uses, and STS's query protocol for
 * {@code GetCallerIdentity}, following the AWS API references:
 *
 * <ul>
 *   <li>{@code DescribeImages} (1000 results a page), {@code BatchGetImage} and {@code BatchDeleteImage} (100 image
 *       ids a call, {@code InvalidParameterException} beyond), with ECR's error shapes;
 *   <li><b>the pull clock</b>: "Amazon ECR updates the LastRecordedPullTime timestamp on every pull" (ECR user
 *       guide, <i>Pull-time update exclusions</i>); a {@code BatchGetImage} is a pull, so it sets
 *       {@code lastRecordedPullTime} of every image it returns to now, unless the caller is a registered exclusion;
 *   <li>{@code RegisterPullTimeUpdateExclusion}, {@code ListPullTimeUpdateExclusions} (up to 100 a page unless
 *       {@code maxResults}, 1..1000), {@code DeregisterPullTimeUpdateExclusion}: IAM role or user ARNs matching the
 *       API's pattern, at most 100, {@code ExclusionAlreadyExistsException} / {@code ExclusionNotFoundException};
 *   <li>the caller is the access key of the request's SigV4 {@code Credential}; STS {@code GetCallerIdentity}
 *       answers with its assumed-role ARN ({@code arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION}), which names the
 *       role but not its path, as the real STS does. An unknown key gets {@code UnrecognizedClientException};
 *   <li>IAM: each caller's actions are checked against an identity policy; by default the one this project ships
 *       ({@code deploy/eks/iam-policy.json}), so a missing action fails here as it would on AWS
 *       ({@code AccessDeniedException}). Actions without resource-level permissions are granted only by
 *       {@code "Resource": "*"}. {@code sts:GetCallerIdentity} needs no permission.
 * </ul>
 *
 * <p>Fault injection: throttling, 5xx, persistent per-image delete failures, latency, and hooks that change the
 * repository just before an operation is answered.
 */
public final class EcrProtocolServer implements AutoCloseable {
  public static final String ACCOUNT = "123456789012";
  public static final String REPOSITORY = "app-cache";
  /** The access key of {@link #useTestCredentials()}: the operator's role. */
  public static final String GC_ACCESS_KEY = "AKIDTEST";
  public static final String GC_ROLE_ARN = "arn:aws:iam::" + ACCOUNT + ":role/ci/buildcache-operator";
  public static final String GC_CALLER_ARN = "arn:aws:sts::" + ACCOUNT + ":assumed-role/buildcache-operator/buildcache-gc";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921.";
  private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/[0-9]{8}/([a-z0-9-]+)/");
  /** RegisterPullTimeUpdateExclusion's principalArn pattern, from the API reference. */
  private static final Pattern PRINCIPAL_ARN = Pattern.compile("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\\w+=,.@-]+(/[\\w+=,.@-]+)*$");
  private static final Set<String> REGISTRY_LEVEL = Set.of("RegisterPullTimeUpdateExclusion", "ListPullTimeUpdateExclusions",
      "DeregisterPullTimeUpdateExclusion");

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

  /** Who signs with an access key: the ARN STS reports, the IAM ARN an exclusion names, and what IAM allows. */
  public record Principal(String callerArn, String iamArn, JsonNode policy) {}

  /** A request as received, for assertions on batching. */
  public record Call(String operation, int imageIds, Integer maxResults, String accessKey) {}

  private final HttpServer server;
  private final Map<String, StoredImage> images = new LinkedHashMap<>();
  private final Map<String, StoredImage> byTag = new java.util.HashMap<>();
  private final Map<String, Principal> principals = new ConcurrentHashMap<>();
  private final Set<String> exclusions = new LinkedHashSet<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> throttle = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> serverErrors = new ConcurrentHashMap<>();
  private final Map<String, String> deleteFailures = new ConcurrentHashMap<>();
  private final Map<String, String> readFailures = new ConcurrentHashMap<>();
  private final Map<String, Runnable> hooks = new ConcurrentHashMap<>();
  private volatile Duration latency = Duration.ZERO;
  private volatile Clock clock = Clock.systemUTC();

  /**
   * Static credentials for the AWS default chain, which reads these system properties first (in a pod it finds
   * IRSA's web identity or EKS Pod Identity); nothing reaches for instance metadata.
   */
  public static void useTestCredentials() {
    System.setProperty("aws.accessKeyId", GC_ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", "secret");
    System.setProperty("aws.disableEc2Metadata", "true");
  }

  public EcrProtocolServer() throws IOException {
    // read before serving: a failure here must not leave the server's (non-daemon) threads running
    principals.put(GC_ACCESS_KEY, new Principal(GC_CALLER_ARN, GC_ROLE_ARN, shippedPolicy()));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "ecr-protocol-server");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * The IAM policy deploy/eks gives the operator's role, as created for this server's account: the file says
   * {@code ACCOUNT_ID} where the account goes (getting-started substitutes it when it creates the policy).
   */
  public static JsonNode shippedPolicy() {
    try {
      return JSON.readTree(Files.readString(Kustomize.DEPLOY.resolve("eks/iam-policy.json")).replace("ACCOUNT_ID", ACCOUNT));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A policy granting {@code actions} on every resource. */
  public static JsonNode policyAllowing(String... actions) {
    ObjectNode policy = JSON.createObjectNode();
    ObjectNode statement = policy.putArray("Statement").addObject().put("Effect", "Allow").put("Resource", "*");
    ArrayNode a = statement.putArray("Action");
    for (String action : actions) {
      a.add(action);
    }
    return policy;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /**
   * Points the SDK's STS client here, through the SDK's own setting ({@code aws.endpointUrlSts}, the system
   * property twin of {@code AWS_ENDPOINT_URL_STS}).
   */
  public EcrProtocolServer serveSts() {
    System.setProperty("aws.endpointUrlSts", endpoint().toString());
    return this;
  }

  /** Routes ECR here through {@code aws.endpointUrlEcr}, the twin of {@code AWS_ENDPOINT_URL_ECR}. */
  public EcrProtocolServer serveEcrThroughSdkSetting() {
    System.setProperty("aws.endpointUrlEcr", endpoint().toString());
    return this;
  }

  /** Undoes {@link #serveSts()} and {@link #serveEcrThroughSdkSetting()}. */
  public static void clearSdkEndpoints() {
    System.clearProperty("aws.endpointUrlSts");
    System.clearProperty("aws.endpointUrlEcr");
  }

  /** The clock pulls and exclusions are stamped with. */
  public void clock(Clock clock) {
    this.clock = clock;
  }

  public void principal(String accessKey, Principal principal) {
    principals.put(accessKey, principal);
  }

  /** Replaces the IAM policy of the GC's role. */
  public void gcPolicy(JsonNode policy) {
    principals.put(GC_ACCESS_KEY, new Principal(GC_CALLER_ARN, GC_ROLE_ARN, policy));
  }

  /** What an administrator does once: {@code aws ecr register-pull-time-update-exclusion --principal-arn ARN}. */
  public synchronized void exclude(String principalArn) {
    exclusions.add(principalArn);
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

  /** A pull by a build (a principal that is not excluded): ECR records it. */
  public synchronized void pullByBuild(String digest) {
    images.get(digest).lastPull = clock.instant();
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

  public synchronized Instant lastRecordedPull(String digest) {
    return images.get(digest).lastPull;
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public void clearCalls() {
    calls.clear();
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

  /** Every BatchGetImage of this digest answers a per-image failure with {@code code} (e.g. KmsError). */
  public void failReads(String digest, String code) {
    readFailures.put(digest, code);
  }

  /** Runs {@code hook} once, just before the first {@code operation} request whose body matches is answered. */
  public void beforeFirst(String operation, Runnable hook) {
    hooks.put(operation, hook);
  }

  public void latency(Duration latency) {
    this.latency = latency;
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
    String accessKey = null;
    String region = "us-east-1";
    Matcher credential = CREDENTIAL.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
    if (credential.find()) {
      accessKey = credential.group(1);
      region = credential.group(2);
    }
    if (!latency.isZero()) {
      try {
        Thread.sleep(latency.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
      sts(exchange, new String(body, StandardCharsets.UTF_8), accessKey);
      return;
    }
    String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
    String operation = target == null ? "" : target.replace(TARGET_PREFIX, "");
    JsonNode request = JSON.readTree(body);
    calls.add(new Call(operation, request.path("imageIds").size(), request.has("maxResults") ? request.get("maxResults").asInt() : null, accessKey));
    try {
      if (take(throttle, operation)) {
        error(exchange, 400, "ThrottlingException", "Rate exceeded");
        return;
      }
      if (take(serverErrors, operation)) {
        error(exchange, 500, "ServerException", "Internal failure, please retry");
        return;
      }
      Principal principal = authenticate(accessKey);
      authorize(principal, operation, region, request);
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
        case "BatchGetImage" -> batchGetImage(request, principal);
        case "BatchDeleteImage" -> batchDeleteImage(request);
        case "RegisterPullTimeUpdateExclusion" -> registerExclusion(request);
        case "ListPullTimeUpdateExclusions" -> listExclusions(request);
        case "DeregisterPullTimeUpdateExclusion" -> deregisterExclusion(request);
        default -> throw new EcrError(400, "UnknownOperationException", "unsupported operation " + operation);
      };
      respond(exchange, 200, "application/x-amz-json-1.1", JSON.writeValueAsBytes(response));
    } catch (EcrError e) {
      error(exchange, e.status, e.type, e.getMessage());
    }
  }

  private Principal authenticate(String accessKey) {
    if (accessKey == null) {
      throw new EcrError(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    Principal principal = principals.get(accessKey);
    if (principal == null) {
      throw new EcrError(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    return principal;
  }

  /** Identity-policy evaluation ({@link AwsJsonProtocol#allows}). */
  private void authorize(Principal principal, String operation, String region, JsonNode request) {
    String action = "ecr:" + operation;
    String resource = REGISTRY_LEVEL.contains(operation) ? null
        : "arn:aws:ecr:" + region + ":" + ACCOUNT + ":repository/" + request.path("repositoryName").asText();
    if (!AwsJsonProtocol.allows(principal.policy(), action, resource)) {
      throw new EcrError(400, "AccessDeniedException", "User: " + principal.callerArn() + " is not authorized to perform: " + action
          + " on resource: " + (resource == null ? "*" : resource) + " because no identity-based policy allows the " + action + " action");
    }
  }

  private void checkRepository(JsonNode request) {
    String name = request.path("repositoryName").asText();
    if (!REPOSITORY.equals(name)) {
      throw new EcrError(400, "RepositoryNotFoundException", "The repository with name '" + name
          + "' does not exist in the registry with id '" + ACCOUNT + "'");
    }
  }

  private synchronized JsonNode describeImages(JsonNode request) {
    checkRepository(request);
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

  private synchronized JsonNode batchGetImage(JsonNode request, Principal caller) {
    checkRepository(request);
    checkIds(request);
    boolean recordsPull = !exclusions.contains(caller.iamArn());
    ObjectNode response = JSON.createObjectNode();
    ArrayNode out = response.putArray("images");
    ArrayNode failures = response.putArray("failures");
    for (JsonNode id : request.get("imageIds")) {
      StoredImage image = find(id);
      if (image == null) {
        failures.addObject().<ObjectNode>set("imageId", id).put("failureCode", "ImageNotFound").put("failureReason", "Requested image not found");
        continue;
      }
      if (readFailures.containsKey(image.digest)) {
        failures.addObject().<ObjectNode>set("imageId", id).put("failureCode", readFailures.get(image.digest))
            .put("failureReason", "injected failure");
        continue;
      }
      if (recordsPull) {
        image.lastPull = clock.instant();
      }
      ObjectNode i = out.addObject().put("registryId", ACCOUNT).put("repositoryName", REPOSITORY)
          .put("imageManifest", image.manifest).put("imageManifestMediaType", image.mediaType);
      i.putObject("imageId").put("imageDigest", image.digest);
    }
    return response;
  }

  private synchronized JsonNode batchDeleteImage(JsonNode request) {
    checkRepository(request);
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

  private synchronized JsonNode registerExclusion(JsonNode request) {
    String arn = principalArn(request);
    if (exclusions.contains(arn)) {
      throw new EcrError(400, "ExclusionAlreadyExistsException", "The specified pull time update exclusion already exists.");
    }
    if (exclusions.size() >= 100) {
      throw new EcrError(400, "LimitExceededException", "The pull time update exclusion list is full (100 principals).");
    }
    exclusions.add(arn);
    return JSON.createObjectNode().put("principalArn", arn).put("createdAt", clock.instant().getEpochSecond());
  }

  private synchronized JsonNode deregisterExclusion(JsonNode request) {
    String arn = principalArn(request);
    if (!exclusions.remove(arn)) {
      throw new EcrError(400, "ExclusionNotFoundException", "The specified pull time update exclusion was not found.");
    }
    return JSON.createObjectNode().put("principalArn", arn);
  }

  private synchronized JsonNode listExclusions(JsonNode request) {
    int max = request.path("maxResults").asInt(100);
    if (max < 1 || max > 1000) {
      throw new EcrError(400, "InvalidParameterException", "maxResults must be between 1 and 1000");
    }
    List<String> all = List.copyOf(exclusions);
    int start = request.hasNonNull("nextToken") ? Integer.parseInt(request.get("nextToken").asText()) : 0;
    ObjectNode response = JSON.createObjectNode();
    ArrayNode out = response.putArray("pullTimeUpdateExclusions");
    all.subList(Math.min(start, all.size()), Math.min(all.size(), start + max)).forEach(out::add);
    if (start + max < all.size()) {
      response.put("nextToken", Integer.toString(start + max));
    }
    return response;
  }

  private static String principalArn(JsonNode request) {
    String arn = request.path("principalArn").asText("");
    if (arn.length() > 200 || !PRINCIPAL_ARN.matcher(arn).matches()) {
      throw new EcrError(400, "InvalidParameterException", "Invalid parameter at 'principalArn' failed to satisfy constraint: "
          + "'Member must satisfy regular expression pattern: " + PRINCIPAL_ARN.pattern() + "'");
    }
    return arn;
  }

  /** STS's query protocol: {@code Action=GetCallerIdentity&Version=2011-06-15}, an XML answer. */
  private void sts(HttpExchange exchange, String form, String accessKey) throws IOException {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : form.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    String action = params.getOrDefault("Action", "");
    calls.add(new Call("sts:" + action, 0, null, accessKey));
    Principal principal = accessKey == null ? null : principals.get(accessKey);
    if (principal == null) {
      stsError(exchange, 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
      return;
    }
    if (!"GetCallerIdentity".equals(action)) {
      stsError(exchange, 400, "InvalidAction", "Could not find operation " + action + " for version " + params.get("Version"));
      return;
    }
    String session = principal.callerArn().substring(principal.callerArn().lastIndexOf('/') + 1);
    String xml = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        + "<GetCallerIdentityResult><Arn>" + principal.callerArn() + "</Arn><UserId>AROAEXAMPLE:" + session + "</UserId>"
        + "<Account>" + ACCOUNT + "</Account></GetCallerIdentityResult>"
        + "<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
        + "</GetCallerIdentityResponse>";
    respond(exchange, 200, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
  }

  private static void stsError(HttpExchange exchange, int status, String code, String message) throws IOException {
    String xml = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" + code
        + "</Code><Message>" + message + "</Message></Error><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ErrorResponse>";
    respond(exchange, status, "text/xml", xml.getBytes(StandardCharsets.UTF_8));
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
        .put("registryId", ACCOUNT).put("repositoryName", REPOSITORY)
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
    AwsJsonProtocol.error(exchange, status, type, message);
  }

  private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    AwsJsonProtocol.respond(exchange, status, contentType, body);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class EcrError extends AwsJsonProtocol.AwsError {
    EcrError(int status, String type, String message) {
      super(status, type, message);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
