package dev.buildcache.operator.registry.ecr;

import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.ManifestParser;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.EcrClientBuilder;
import software.amazon.awssdk.services.ecr.model.BatchDeleteImageResponse;
import software.amazon.awssdk.services.ecr.model.BatchGetImageResponse;
import software.amazon.awssdk.services.ecr.model.DescribeImagesRequest;
import software.amazon.awssdk.services.ecr.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ecr.model.Image;
import software.amazon.awssdk.services.ecr.model.ImageDetail;
import software.amazon.awssdk.services.ecr.model.ImageFailure;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;
import software.amazon.awssdk.services.ecr.model.ImageNotFoundException;
import software.amazon.awssdk.services.ecr.model.TagStatus;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;

/**
 * AWS ECR through aws-sdk-java-v2 (synchronous, Apache HTTP client; credentials from the default chain, so IRSA
 * and EKS Pod Identity work). The fewest calls the API allows: {@code DescribeImages} in pages of 1000 (tagged and
 * untagged), {@code BatchGetImage} and {@code BatchDeleteImage} in batches of 100. Throttling and 5xx are retried
 * by the SDK's standard retry strategy; every attempt is counted.
 *
 * <p>A {@code BatchGetImage} is a pull: ECR moves the image's {@code lastRecordedPullTime} unless the caller is a
 * pull-time update exclusion. {@link #pullTimes()} finds out which (STS {@code GetCallerIdentity}, ECR
 * {@code ListPullTimeUpdateExclusions}); the GC reads each manifest once in its life either way. Endpoints follow
 * the SDK's settings ({@code AWS_ENDPOINT_URL}, {@code AWS_ENDPOINT_URL_ECR}, {@code AWS_ENDPOINT_URL_STS}); an
 * explicit ECR endpoint overrides them for ECR.
 */
public final class EcrRegistryClient implements RegistryClient {
  public static final int DESCRIBE_PAGE = 1000;
  public static final int BATCH = 100;

  private final EcrClient ecr;
  private final StsClient sts;
  private final RepositoryReference repository;
  private final String region;
  private final ApiCalls calls;

  /** @param sts null: the pull-time exclusion is not checked ({@link PullTimes.State#UNKNOWN}) */
  public EcrRegistryClient(EcrClient ecr, StsClient sts, RepositoryReference repository, String region, ApiCalls calls) {
    this.ecr = ecr;
    this.sts = sts;
    this.repository = repository;
    this.region = region;
    this.calls = calls;
  }

  /** A client for {@code repository} with the default credential chain. */
  public static EcrRegistryClient create(RepositoryReference repository, String region, URI endpoint) {
    ApiCalls calls = new ApiCalls();
    String r = region != null ? region : repository.ecrRegion();
    EcrClientBuilder builder = builder(calls).httpClientBuilder(ApacheHttpClient.builder());
    StsClientBuilder stsBuilder = stsBuilder(calls).httpClientBuilder(ApacheHttpClient.builder());
    if (r != null) {
      builder.region(Region.of(r));
      stsBuilder.region(Region.of(r));
    }
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    try {
      return new EcrRegistryClient(builder.build(), stsBuilder.build(), repository, r, calls);
    } catch (SdkException e) {
      throw new RegistryException("ECR " + repository + ": " + AwsErrors.clientProblem(e), e);
    }
  }

  /** A builder that counts every HTTP attempt per operation into {@code calls}. */
  public static EcrClientBuilder builder(ApiCalls calls) {
    return EcrClient.builder().overrideConfiguration(o -> o.addExecutionInterceptor(counting(calls)));
  }

  /** An STS builder that counts its calls into {@code calls}; the caller-identity check gives up after 30 s. */
  public static StsClientBuilder stsBuilder(ApiCalls calls) {
    return StsClient.builder().overrideConfiguration(o -> o.addExecutionInterceptor(counting(calls)).apiCallTimeout(Duration.ofSeconds(30)));
  }

  private static ExecutionInterceptor counting(ApiCalls calls) {
    return new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        calls.count(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
      }
    };
  }

  @Override
  public String registryType() {
    return "ecr";
  }

  @Override
  public boolean listsUntagged() {
    return true;
  }

  @Override
  public boolean readsArePulls() {
    return true;
  }

  @Override
  public boolean refusesDeletingReferencedManifests() {
    return true;
  }

  @Override
  public PullTimes pullTimes() {
    if (sts == null) {
      return PullTimes.unknown(null, "not checked: this client has no STS client");
    }
    return PullTimeExclusionCheck.check(sts, ecr, region == null ? "<region>" : region);
  }

  @Override
  public Listing list() {
    List<ListedImage> images = new ArrayList<>();
    try {
      for (DescribeImagesResponse page : ecr.describeImagesPaginator(DescribeImagesRequest.builder()
          .registryId(repository.ecrAccount())
          .repositoryName(repository.name())
          .maxResults(DESCRIBE_PAGE)
          .filter(f -> f.tagStatus(TagStatus.ANY))
          .build())) {
        page.imageDetails().forEach(d -> images.add(listed(d)));
      }
    } catch (SdkException e) {
      throw new RegistryException(AwsErrors.describe("DescribeImages", repository, e), e);
    }
    return new Listing(images, List.of());
  }

  @Override
  public List<ManifestRead> read(List<String> digests) {
    List<ManifestRead> out = new ArrayList<>(digests.size());
    for (int i = 0; i < digests.size(); i += BATCH) {
      List<String> batch = digests.subList(i, Math.min(digests.size(), i + BATCH));
      BatchGetImageResponse response;
      try {
        response = ecr.batchGetImage(b -> b.registryId(repository.ecrAccount()).repositoryName(repository.name())
            .imageIds(batch.stream().map(d -> ImageIdentifier.builder().imageDigest(d).build()).toList())
            .acceptedMediaTypes(ManifestParser.ACCEPTED));
      } catch (SdkException e) {
        throw new RegistryException(AwsErrors.describe("BatchGetImage", repository, e), e);
      }
      Map<String, ManifestRead> byDigest = new HashMap<>();
      for (Image image : response.images()) {
        String digest = image.imageId().imageDigest();
        byDigest.putIfAbsent(digest, parse(digest, image));
      }
      for (ImageFailure failure : response.failures()) {
        String digest = failure.imageId() == null ? null : failure.imageId().imageDigest();
        if (digest != null) {
          byDigest.putIfAbsent(digest, "ImageNotFound".equals(failure.failureCodeAsString()) ? ManifestRead.gone(digest)
              : ManifestRead.failed(digest, failure.failureCodeAsString() + ": " + failure.failureReason()));
        }
      }
      for (String digest : batch) {
        out.add(byDigest.getOrDefault(digest, ManifestRead.failed(digest, "BatchGetImage answered nothing for it")));
      }
    }
    return out;
  }

  private static ManifestRead parse(String digest, Image image) {
    if (image.imageManifest() == null) {
      return ManifestRead.failed(digest, "BatchGetImage returned no manifest");
    }
    byte[] body = image.imageManifest().getBytes(StandardCharsets.UTF_8);
    // ECR converts a manifest whose type is not accepted; what it returns then is not the image's manifest.
    if (digest.startsWith("sha256:") && !digest.equals("sha256:" + sha256(body))) {
      return ManifestRead.failed(digest, "the manifest ECR returned does not have this digest (converted to "
          + image.imageManifestMediaType() + "?)");
    }
    try {
      return ManifestRead.read(digest, ManifestParser.parse(body, image.imageManifestMediaType()));
    } catch (IllegalArgumentException e) {
      return ManifestRead.failed(digest, "the manifest " + e.getMessage());
    }
  }

  @Override
  public Listing reread(Collection<String> digests) {
    List<ListedImage> out = new ArrayList<>();
    List<String> all = List.copyOf(digests);
    for (int i = 0; i < all.size(); i += BATCH) {
      describe(all.subList(i, Math.min(all.size(), i + BATCH)), out);
    }
    return new Listing(out, List.of());
  }

  /** DescribeImages fails as a whole when any id is gone; then each id is asked alone. */
  private void describe(List<String> digests, List<ListedImage> out) {
    try {
      ecr.describeImages(b -> b.registryId(repository.ecrAccount()).repositoryName(repository.name())
              .imageIds(digests.stream().map(d -> ImageIdentifier.builder().imageDigest(d).build()).toList()))
          .imageDetails().forEach(d -> out.add(listed(d)));
    } catch (ImageNotFoundException e) {
      if (digests.size() > 1) {
        digests.forEach(d -> describe(List.of(d), out));
      }
    } catch (SdkException e) {
      throw new RegistryException(AwsErrors.describe("DescribeImages", repository, e), e);
    }
  }

  @Override
  public List<DeleteOutcome> delete(List<String> digests) {
    List<DeleteOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < digests.size(); i += BATCH) {
      List<String> batch = digests.subList(i, Math.min(digests.size(), i + BATCH));
      try {
        BatchDeleteImageResponse response = ecr.batchDeleteImage(b -> b.registryId(repository.ecrAccount())
            .repositoryName(repository.name())
            .imageIds(batch.stream().map(d -> ImageIdentifier.builder().imageDigest(d).build()).toList()));
        response.imageIds().forEach(id -> outcomes.add(DeleteOutcome.deleted(id.imageDigest())));
        for (ImageFailure failure : response.failures()) {
          String digest = failure.imageId().imageDigest();
          if ("ImageNotFound".equals(failure.failureCodeAsString())) {
            outcomes.add(DeleteOutcome.alreadyGone(digest));
          } else {
            outcomes.add(DeleteOutcome.failed(digest, failure.failureCodeAsString(), failure.failureReason()));
          }
        }
      } catch (SdkException e) {
        String reason = AwsErrors.describe("BatchDeleteImage", repository, e);
        batch.forEach(d -> outcomes.add(DeleteOutcome.failed(d, "RequestFailed", reason)));
      }
    }
    return outcomes;
  }

  @Override
  public Map<String, Integer> apiCalls() {
    return calls.snapshot();
  }

  @Override
  public void close() {
    ecr.close();
    if (sts != null) {
      sts.close();
    }
  }

  private static ListedImage listed(ImageDetail d) {
    return new ListedImage(d.imageDigest(), d.imageTags(), d.imagePushedAt(), d.lastRecordedPullTime(), d.imageManifestMediaType());
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
