package dev.buildcache.operator.bundles;

import dev.buildcache.operator.registry.ecr.AwsErrors;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * Keeps client bundles current in AWS Secrets Manager: creates a profile's secret, and puts a new value when the bundle
 * changed (a renewal, a new CA). Whether the stored value is current is read from a tag beside it
 * ({@link #DIGEST_TAG}), never from the secret itself: the operator's role needs no {@code GetSecretValue}. Once a
 * value is known current it is remembered, so a converged pass makes no call.
 *
 * <p>Fails closed: a secret of that name that this builder did not create ({@link #OWNER_TAG} differs or is missing)
 * is never written, nor one scheduled for deletion; each is a clear error for the builder's status.
 */
public class SecretsManagerPublisher implements AutoCloseable {
  public static final String OWNER_TAG = "buildcache.dev/owner";
  public static final String PROFILE_TAG = "buildcache.dev/profile";
  public static final String DIGEST_TAG = "buildcache.dev/bundle-sha256";
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  /** What a publish did. */
  public enum Outcome { CURRENT, CREATED, UPDATED }

  private final URI endpoint;
  private final Map<String, SecretsManagerClient> clients = new ConcurrentHashMap<>();
  private final Map<String, String> current = new ConcurrentHashMap<>();

  /** @param endpoint Secrets Manager endpoint override (a VPC endpoint, a test server); null for the regional one */
  public SecretsManagerPublisher(URI endpoint) {
    this.endpoint = endpoint;
  }

  /**
   * Makes secret {@code name} in {@code region} (null: the operator's) hold {@code bundle}.
   *
   * @param owner {@code <namespace>/<builder>}: the only builder that may write this secret
   * @param profile {@code <namespace>/<profile>}, tagged for agents' IAM conditions
   * @throws BundlePublishException saying what failed and what to do
   */
  public Outcome publish(String region, String kmsKeyId, String name, String owner, String profile, ClientBundle bundle) {
    String key = region + "|" + name;
    String digest = bundle.digest();
    if (digest.equals(current.get(key))) {
      return Outcome.CURRENT;
    }
    SecretsManagerClient client = client(region);
    try {
      Optional<DescribeSecretResponse> described = describe(client, name);
      if (described.isEmpty()) {
        client.createSecret(r -> r.name(name).secretString(bundle.json()).kmsKeyId(kmsKeyId)
            .description("buildx client bundle of CacheProfile " + profile + " (written by buildcache-operator)")
            .tags(tags(owner, profile, digest)));
        current.put(key, digest);
        return Outcome.CREATED;
      }
      DescribeSecretResponse secret = described.get();
      String storedOwner = tag(secret, OWNER_TAG);
      if (!owner.equals(storedOwner)) {
        throw new BundlePublishException("Secrets Manager secret " + name + " exists and is "
            + (storedOwner == null ? "not one the operator created" : "BuildkitBuilder " + storedOwner + "'s")
            + ", so it is left alone: delete or rename it, or change the operator's --client-bundle-secret-template");
      }
      if (secret.deletedDate() != null) {
        throw new BundlePublishException("Secrets Manager secret " + name + " is scheduled for deletion, so it is left alone: "
            + "restore it (aws secretsmanager restore-secret --secret-id " + name + ") or let the deletion finish");
      }
      if (digest.equals(tag(secret, DIGEST_TAG))) {
        current.put(key, digest);
        return Outcome.CURRENT;
      }
      client.putSecretValue(r -> r.secretId(name).secretString(bundle.json()));
      client.tagResource(r -> r.secretId(name).tags(Tag.builder().key(DIGEST_TAG).value(digest).build()));
      current.put(key, digest);
      return Outcome.UPDATED;
    } catch (SdkException e) {
      current.remove(key);
      throw new BundlePublishException("Secrets Manager secret " + name + (region == null ? "" : " in " + region) + ": "
          + problem(e), e);
    }
  }

  /** One line from an SDK failure, with the fix. */
  static String problem(SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      String code = service.awsErrorDetails().errorCode();
      String fix = "AccessDeniedException".equals(code)
          ? "; grant the operator's IAM role secretsmanager:DescribeSecret, CreateSecret, PutSecretValue and TagResource on "
              + "the bundles' names (deploy/eks/iam-policy.json)"
          : "";
      return code + ": " + AwsErrors.firstLine(service.awsErrorDetails().errorMessage()) + fix;
    }
    if (String.valueOf(e.getMessage()).startsWith("Unable to load region")) {
      return "no AWS region: set spec.exposure.secretsManager.region, or AWS_REGION in the operator's environment";
    }
    return AwsErrors.clientProblem(e);
  }

  private static Optional<DescribeSecretResponse> describe(SecretsManagerClient client, String name) {
    try {
      return Optional.of(client.describeSecret(r -> r.secretId(name)));
    } catch (ResourceNotFoundException e) {
      return Optional.empty();
    }
  }

  private static List<Tag> tags(String owner, String profile, String digest) {
    return List.of(Tag.builder().key(OWNER_TAG).value(owner).build(), Tag.builder().key(PROFILE_TAG).value(profile).build(),
        Tag.builder().key(DIGEST_TAG).value(digest).build());
  }

  private static String tag(DescribeSecretResponse secret, String key) {
    return secret.tags() == null ? null
        : secret.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst().orElse(null);
  }

  private SecretsManagerClient client(String region) {
    return clients.computeIfAbsent(region == null ? "" : region, r -> {
      SecretsManagerClientBuilder builder = SecretsManagerClient.builder().httpClientBuilder(ApacheHttpClient.builder())
          .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT));
      if (!r.isEmpty()) {
        builder.region(Region.of(r));
      }
      if (endpoint != null) {
        builder.endpointOverride(endpoint);
      }
      try {
        return builder.build();
      } catch (SdkException e) {
        throw new BundlePublishException("Secrets Manager" + (r.isEmpty() ? "" : " in " + r) + ": " + problem(e), e);
      }
    });
  }

  @Override
  public void close() {
    clients.values().forEach(SecretsManagerClient::close);
  }
}
