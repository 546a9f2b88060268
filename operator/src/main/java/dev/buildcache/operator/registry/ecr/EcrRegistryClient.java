package dev.buildcache.operator.registry.ecr;

import dev.buildcache.operator.gc.RepositoryImage;
import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.ManifestParser;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

/**
 * AWS ECR through aws-sdk-java-v2 (synchronous, Apache HTTP client; credentials from the default chain, so IRSA
 * and EKS Pod Identity work). The fewest calls the API allows: {@code DescribeImages} in pages of 1000 (tagged and
 * untagged), {@code BatchGetImage} and {@code BatchDeleteImage} in batches of 100. Throttling and 5xx are retried
 * by the SDK's standard retry strategy; every attempt is counted.
 */
public final class EcrRegistryClient implements RegistryClient {
  public static final int DESCRIBE_PAGE = 1000;
  public static final int BATCH = 100;

  private final EcrClient ecr;
  private final RepositoryReference repository;
  private final ApiCalls calls;

  public EcrRegistryClient(EcrClient ecr, RepositoryReference repository, ApiCalls calls) {
    this.ecr = ecr;
    this.repository = repository;
    this.calls = calls;
  }

  /** A client for {@code repository} with the default credential chain. */
  public static EcrRegistryClient create(RepositoryReference repository, String region, URI endpoint) {
    ApiCalls calls = new ApiCalls();
    EcrClientBuilder builder = builder(calls).httpClientBuilder(ApacheHttpClient.builder());
    String r = region != null ? region : repository.ecrRegion();
    if (r != null) {
      builder.region(Region.of(r));
    }
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return new EcrRegistryClient(builder.build(), repository, calls);
  }

  /** A builder that counts every HTTP attempt per operation into {@code calls}. */
  public static EcrClientBuilder builder(ApiCalls calls) {
    return EcrClient.builder().overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        calls.count(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
      }
    }));
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
  public List<RepositoryImage> scan() {
    List<ImageDetail> details = new ArrayList<>();
    try {
      for (DescribeImagesResponse page : ecr.describeImagesPaginator(DescribeImagesRequest.builder()
          .registryId(repository.ecrAccount())
          .repositoryName(repository.name())
          .maxResults(DESCRIBE_PAGE)
          .filter(f -> f.tagStatus(TagStatus.ANY))
          .build())) {
        details.addAll(page.imageDetails());
      }
      Map<String, Image> manifests = new LinkedHashMap<>();
      for (int i = 0; i < details.size(); i += BATCH) {
        List<ImageIdentifier> ids = details.subList(i, Math.min(details.size(), i + BATCH)).stream()
            .map(d -> ImageIdentifier.builder().imageDigest(d.imageDigest()).build()).toList();
        BatchGetImageResponse response = ecr.batchGetImage(b -> b.registryId(repository.ecrAccount())
            .repositoryName(repository.name()).imageIds(ids).acceptedMediaTypes(ManifestParser.ACCEPTED));
        response.images().forEach(image -> manifests.putIfAbsent(image.imageId().imageDigest(), image));
      }
      List<RepositoryImage> images = new ArrayList<>();
      for (ImageDetail d : details) {
        Image image = manifests.get(d.imageDigest());
        if (image == null) {
          continue; // deleted since it was listed
        }
        byte[] body = image.imageManifest().getBytes(StandardCharsets.UTF_8);
        ManifestParser.ParsedManifest manifest = ManifestParser.parse(body, image.imageManifestMediaType());
        images.add(new RepositoryImage(d.imageDigest(), d.imageTags(), manifest.cache(), d.imagePushedAt(),
            lastUsed(d.imagePushedAt(), d.lastRecordedPullTime()), body.length, manifest.blobs(), manifest.children()));
      }
      return images;
    } catch (SdkException e) {
      throw new RegistryException("ECR " + repository + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Map<String, Optional<ImageState>> reread(Collection<RepositoryImage> images) {
    Map<String, Optional<ImageState>> out = new LinkedHashMap<>();
    List<String> digests = images.stream().map(RepositoryImage::digest).toList();
    for (int i = 0; i < digests.size(); i += BATCH) {
      describe(digests.subList(i, Math.min(digests.size(), i + BATCH)), out);
    }
    return out;
  }

  /** DescribeImages fails as a whole when any id is gone; then each id is asked alone. */
  private void describe(List<String> digests, Map<String, Optional<ImageState>> out) {
    try {
      ecr.describeImages(b -> b.registryId(repository.ecrAccount()).repositoryName(repository.name())
              .imageIds(digests.stream().map(d -> ImageIdentifier.builder().imageDigest(d).build()).toList()))
          .imageDetails().forEach(d -> out.put(d.imageDigest(), Optional.of(
              new ImageState(d.imageTags(), d.imagePushedAt(), lastUsed(d.imagePushedAt(), d.lastRecordedPullTime())))));
    } catch (ImageNotFoundException e) {
      if (digests.size() == 1) {
        out.put(digests.get(0), Optional.empty());
      } else {
        digests.forEach(d -> describe(List.of(d), out));
      }
    } catch (SdkException e) {
      throw new RegistryException("ECR " + repository + ": " + e.getMessage(), e);
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
            outcomes.add(DeleteOutcome.deleted(digest));
          } else {
            outcomes.add(DeleteOutcome.failed(digest, failure.failureCodeAsString(), failure.failureReason()));
          }
        }
      } catch (SdkException e) {
        batch.forEach(d -> outcomes.add(DeleteOutcome.failed(d, "RequestFailed", e.getMessage())));
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
  }

  static Instant lastUsed(Instant pushed, Instant pulled) {
    if (pulled == null) {
      return pushed;
    }
    return pushed == null || pulled.isAfter(pushed) ? pulled : pushed;
  }
}
