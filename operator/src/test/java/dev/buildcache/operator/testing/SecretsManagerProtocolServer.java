package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local server speaking AWS Secrets Manager's JSON 1.1 protocol ({@code X-Amz-Target: secretsmanager.<Operation>}) for
 * the operations the operator and the agents use, following the API reference:
 *
 * <ul>
 *   <li>{@code CreateSecret}: {@code ResourceExistsException} when the name exists, {@code InvalidRequestException} when
 *       it exists scheduled for deletion; the ARN is the name plus {@code -} and six random characters; tags given at
 *       creation also need {@code secretsmanager:TagResource};
 *   <li>{@code DescribeSecret}: tags, {@code DeletedDate} (epoch seconds) of a secret scheduled for deletion, which is still
 *       described; {@code ResourceNotFoundException} ("Secrets Manager can't find the specified secret.") otherwise;
 *   <li>{@code PutSecretValue}: a new {@code AWSCURRENT} version; on a secret scheduled for deletion
 *       {@code InvalidRequestException}; the same {@code ClientRequestToken} with another value is
 *       {@code ResourceExistsException};
 *   <li>{@code TagResource}, {@code GetSecretValue} (the current version; refused for a secret scheduled for deletion);
 *   <li>{@code SecretId} is the name or the ARN;
 *   <li>IAM: each caller's actions on the secret's ARN are checked against its identity policy, by default the one
 *       deploy/eks ships ({@code AccessDeniedException} otherwise).
 * </ul>
 */
public final class SecretsManagerProtocolServer implements AutoCloseable {
  private static final class AwsError extends AwsJsonProtocol.AwsError {
    AwsError(int status, String type, String message) {
      super(status, type, message);
    }
  }

  public static final String ACCOUNT = EcrProtocolServer.ACCOUNT;
  private static final String TARGET_PREFIX = "secretsmanager.";
  private static final String SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  /** A secret as Secrets Manager keeps it. */
  public static final class StoredSecret {
    final String name;
    final String arn;
    final Map<String, String> tags = new LinkedHashMap<>();
    final List<Version> versions = new ArrayList<>();
    final String kmsKeyId;
    Instant deletedDate;

    StoredSecret(String name, String arn, String kmsKeyId) {
      this.name = name;
      this.arn = arn;
      this.kmsKeyId = kmsKeyId;
    }

    public Map<String, String> tags() {
      return Map.copyOf(tags);
    }

    public List<Version> versions() {
      return List.copyOf(versions);
    }

    public String current() {
      return versions.get(versions.size() - 1).value();
    }
  }

  /** One version of a secret's value, and when it arrived. */
  public record Version(String id, String token, String value, Instant created) {}

  public record Call(String operation, String secretId, String accessKey) {}

  private final HttpServer server;
  private final Clock clock;
  private final Map<String, StoredSecret> secrets = new LinkedHashMap<>();
  private final Map<String, JsonNode> policies = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> serverErrors = new ConcurrentHashMap<>();
  private final AtomicInteger suffixes = new AtomicInteger();

  public SecretsManagerProtocolServer(Clock clock) throws IOException {
    this.clock = clock;
    policies.put(EcrProtocolServer.GC_ACCESS_KEY, shippedPolicy());
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "secretsmanager-protocol-server");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", exchange -> {
      try (exchange) {
        handle(exchange);
      }
    });
    server.start();
  }

  /** The operator's IAM policy as deploy/eks ships it, for this server's account. */
  public static JsonNode shippedPolicy() throws IOException {
    return AwsJsonProtocol.JSON.readTree(Files.readString(Kustomize.DEPLOY.resolve("eks/iam-policy.json")).replace("ACCOUNT_ID", ACCOUNT));
  }

  public URI endpoint() {
    return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
  }

  /** Gives the caller with {@code accessKey} this identity policy (an agent's instance role, say). */
  public void policy(String accessKey, JsonNode policy) {
    policies.put(accessKey, policy);
  }

  public synchronized Optional<StoredSecret> secret(String name) {
    return Optional.ofNullable(secrets.get(name));
  }

  /** A secret someone else made (no buildcache tags). */
  public synchronized void putForeign(String name, String value) {
    StoredSecret secret = new StoredSecret(name, arn("us-east-1", name), null);
    secret.versions.add(new Version(UUID.randomUUID().toString(), null, value, clock.instant()));
    secrets.put(name, secret);
  }

  /** What {@code aws secretsmanager delete-secret} does: the secret stays, scheduled for deletion. */
  public synchronized void scheduleDeletion(String name) {
    secrets.get(name).deletedDate = clock.instant();
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public void failNext(String operation, int times) {
    serverErrors.put(operation, new AtomicInteger(times));
  }

  private void handle(HttpExchange exchange) throws IOException {
    AwsJsonProtocol.Caller caller = AwsJsonProtocol.Caller.of(exchange);
    String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
    String operation = target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length()) : "";
    JsonNode request = AwsJsonProtocol.JSON.readTree(exchange.getRequestBody().readAllBytes());
    String secretId = request.hasNonNull("SecretId") ? request.get("SecretId").asText() : request.path("Name").asText(null);
    calls.add(new Call(operation, secretId, caller.accessKey()));
    try {
      AtomicInteger failures = serverErrors.get(operation);
      if (failures != null && failures.getAndDecrement() > 0) {
        throw new AwsError(500, "InternalServiceError", "An error occurred on the server side.");
      }
      JsonNode policy = caller.accessKey() == null ? null : policies.get(caller.accessKey());
      if (policy == null) {
        throw new AwsError(400, caller.accessKey() == null ? "MissingAuthenticationTokenException" : "UnrecognizedClientException",
            "The security token included in the request is invalid.");
      }
      JsonNode response = switch (operation) {
        case "CreateSecret" -> create(request, policy, caller);
        case "DescribeSecret" -> describe(existing(secretId, policy, "DescribeSecret", caller));
        case "PutSecretValue" -> put(existing(secretId, policy, "PutSecretValue", caller), request);
        case "TagResource" -> tag(existing(secretId, policy, "TagResource", caller), request);
        case "GetSecretValue" -> get(existing(secretId, policy, "GetSecretValue", caller));
        default -> throw new AwsError(400, "UnknownOperationException", "unsupported operation " + operation);
      };
      AwsJsonProtocol.respond(exchange, 200, "application/x-amz-json-1.1", AwsJsonProtocol.JSON.writeValueAsBytes(response));
    } catch (AwsError e) {
      AwsJsonProtocol.error(exchange, e.status, e.type, e.getMessage());
    }
  }

  private String arn(String region, String name) {
    StringBuilder suffix = new StringBuilder();
    int n = suffixes.incrementAndGet() * 7919;
    for (int i = 0; i < 6; i++) {
      suffix.append(SUFFIX_ALPHABET.charAt(Math.floorMod(n * (i + 31), SUFFIX_ALPHABET.length())));
      n /= 3;
    }
    return "arn:aws:secretsmanager:" + region + ":" + ACCOUNT + ":secret:" + name + "-" + suffix;
  }

  private static void authorize(JsonNode policy, String action, String resource, AwsJsonProtocol.Caller caller) {
    if (!AwsJsonProtocol.allows(policy, "secretsmanager:" + action, resource)) {
      throw new AwsError(400, "AccessDeniedException", "User: " + caller.accessKey() + " is not authorized to perform: secretsmanager:"
          + action + " on resource: " + resource + " because no identity-based policy allows the secretsmanager:" + action + " action");
    }
  }

  private synchronized StoredSecret existing(String secretId, JsonNode policy, String action, AwsJsonProtocol.Caller caller) {
    StoredSecret secret = secretId == null ? null : secrets.get(secretId);
    if (secret == null && secretId != null) {
      secret = secrets.values().stream().filter(s -> s.arn.equals(secretId)).findFirst().orElse(null);
    }
    // as on AWS, a caller without permission learns nothing about whether the secret exists
    authorize(policy, action, secret != null ? secret.arn : "arn:aws:secretsmanager:" + caller.region() + ":" + ACCOUNT
        + ":secret:" + secretId + "-??????", caller);
    if (secret == null) {
      throw new AwsError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    return secret;
  }

  private synchronized JsonNode create(JsonNode request, JsonNode policy, AwsJsonProtocol.Caller caller) {
    String name = request.path("Name").asText();
    if (!name.matches("^[A-Za-z0-9/_+=.@-]{1,512}$")) {
      throw new AwsError(400, "ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");
    }
    String arn = "arn:aws:secretsmanager:" + caller.region() + ":" + ACCOUNT + ":secret:" + name + "-??????";
    authorize(policy, "CreateSecret", arn, caller);
    if (request.path("Tags").size() > 0) {
      authorize(policy, "TagResource", arn, caller);
    }
    StoredSecret old = secrets.get(name);
    if (old != null && old.deletedDate != null) {
      throw new AwsError(400, "InvalidRequestException",
          "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    if (old != null) {
      throw new AwsError(400, "ResourceExistsException", "The operation failed because the secret " + name + " already exists.");
    }
    StoredSecret secret = new StoredSecret(name, arn(caller.region(), name), request.path("KmsKeyId").asText(null));
    request.path("Tags").forEach(t -> secret.tags.put(t.path("Key").asText(), t.path("Value").asText()));
    Version version = new Version(UUID.randomUUID().toString(), request.path("ClientRequestToken").asText(null),
        request.path("SecretString").asText(), clock.instant());
    secret.versions.add(version);
    secrets.put(name, secret);
    return AwsJsonProtocol.JSON.createObjectNode().put("ARN", secret.arn).put("Name", name).put("VersionId", version.id());
  }

  private synchronized JsonNode describe(StoredSecret secret) {
    ObjectNode out = AwsJsonProtocol.JSON.createObjectNode().put("ARN", secret.arn).put("Name", secret.name);
    if (secret.kmsKeyId != null) {
      out.put("KmsKeyId", secret.kmsKeyId);
    }
    var tags = out.putArray("Tags");
    secret.tags.forEach((k, v) -> tags.addObject().put("Key", k).put("Value", v));
    out.putObject("VersionIdsToStages").putArray(secret.versions.get(secret.versions.size() - 1).id()).add("AWSCURRENT");
    out.put("LastChangedDate", secret.versions.get(secret.versions.size() - 1).created().getEpochSecond());
    if (secret.deletedDate != null) {
      out.put("DeletedDate", secret.deletedDate.getEpochSecond());
    }
    return out;
  }

  private synchronized JsonNode put(StoredSecret secret, JsonNode request) {
    if (secret.deletedDate != null) {
      throw new AwsError(400, "InvalidRequestException",
          "You can't perform this operation on the secret because it was marked for deletion.");
    }
    String token = request.path("ClientRequestToken").asText(null);
    String value = request.path("SecretString").asText();
    for (Version v : secret.versions) {
      if (token != null && token.equals(v.token())) {
        if (!v.value().equals(value)) {
          throw new AwsError(400, "ResourceExistsException", "You can't modify an existing version, you can only create a new version.");
        }
        return AwsJsonProtocol.JSON.createObjectNode().put("ARN", secret.arn).put("Name", secret.name).put("VersionId", v.id());
      }
    }
    Version version = new Version(UUID.randomUUID().toString(), token, value, clock.instant());
    secret.versions.add(version);
    ObjectNode out = AwsJsonProtocol.JSON.createObjectNode().put("ARN", secret.arn).put("Name", secret.name).put("VersionId", version.id());
    out.putArray("VersionStages").add("AWSCURRENT");
    return out;
  }

  private synchronized JsonNode tag(StoredSecret secret, JsonNode request) {
    request.path("Tags").forEach(t -> secret.tags.put(t.path("Key").asText(), t.path("Value").asText()));
    return AwsJsonProtocol.JSON.createObjectNode();
  }

  private synchronized JsonNode get(StoredSecret secret) {
    if (secret.deletedDate != null) {
      throw new AwsError(400, "InvalidRequestException",
          "You can't perform this operation on the secret because it was marked for deletion.");
    }
    Version current = secret.versions.get(secret.versions.size() - 1);
    ObjectNode out = AwsJsonProtocol.JSON.createObjectNode().put("ARN", secret.arn).put("Name", secret.name)
        .put("VersionId", current.id()).put("SecretString", current.value()).put("CreatedDate", current.created().getEpochSecond());
    out.putArray("VersionStages").add("AWSCURRENT");
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
