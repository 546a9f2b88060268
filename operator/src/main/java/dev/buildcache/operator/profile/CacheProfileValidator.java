package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.gc.CronSchedule;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.validation.FieldError;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks every field of a CacheProfile spec, including what the CRD schema cannot (cross-field rules, the
 * retention policy as the GC will read it). Each error names the field and the fix. Pure.
 */
public final class CacheProfileValidator {
  private static final Pattern TAG_TEMPLATE = Pattern.compile("^([A-Za-z0-9_][A-Za-z0-9_.-]*\\{branch\\}[A-Za-z0-9_.-]*|\\{branch\\}[A-Za-z0-9_.-]+)$");

  private CacheProfileValidator() {}

  /** The spec, and the names derived from the profile's own name. */
  public static List<FieldError> validate(CacheProfile profile) {
    List<FieldError> errors = validate(profile.getSpec());
    CacheProfileSpec spec = profile.getSpec();
    if (spec != null && spec.getBuilderRef() != null && spec.getBuilderRef().getName() != null && !spec.getBuilderRef().getName().isBlank()) {
      String problem = new ProfileEndpoint(spec.getBuilderRef().getName(), profile.getMetadata().getName(),
          profile.getMetadata().getNamespace()).invalidServiceName();
      if (problem != null) {
        errors.add(new FieldError("metadata.name", problem));
      }
    }
    return errors;
  }

  /** The retention policy of a spec that passed {@link #validate}. */
  public static RetentionPolicy policy(CacheProfileSpec spec) {
    CacheProfileSpec.RetentionSpec r = spec.getRetention() == null ? new CacheProfileSpec.RetentionSpec() : spec.getRetention();
    return RetentionPolicy.parse(new RetentionPolicy.Raw(r.getTagPatterns(), r.getProtectTags(), r.getMaxAge(),
        r.getMaxTotalSize(), r.getKeepLatest(), r.getMinAge(), r.getUntaggedAfter()), RetentionPolicy.FieldNames.SPEC);
  }

  /** What {@code spec.retention.maxAge} is measured from for this profile's registry, for the Valid condition. */
  public static String maxAgeMeaning(CacheProfileSpec spec) {
    if (spec.getRetention() == null || spec.getRetention().getMaxAge() == null) {
      return null;
    }
    return ProfileRegistry.type(spec) == CacheProfileSpec.RegistryType.ECR
        ? "maxAge counts from the last push or recorded pull (ECR)"
        : "maxAge counts from when the GC first saw each tag at its digest: this registry records no push or pull times";
  }

  public static List<FieldError> validate(CacheProfileSpec spec) {
    List<FieldError> errors = new ArrayList<>();
    if (spec == null) {
      errors.add(new FieldError("spec", "is missing"));
      return errors;
    }
    RepositoryReference repository = null;
    if (spec.getRepository() == null || spec.getRepository().isBlank()) {
      errors.add(new FieldError("spec.repository", "is required: the cache repository, host[:port]/name"));
    } else {
      try {
        repository = RepositoryReference.parse(spec.getRepository());
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError("spec.repository", e.getMessage()));
      }
    }
    CacheProfileSpec.RegistrySpec registry = spec.getRegistry() == null ? new CacheProfileSpec.RegistrySpec() : spec.getRegistry();
    if (repository != null && ProfileRegistry.type(spec) == CacheProfileSpec.RegistryType.ECR) {
      if (repository != null && !repository.isEcr()) {
        errors.add(new FieldError("spec.registry.type", "is ecr but " + repository.host()
            + " is not an ECR host (<account>.dkr.ecr.<region>.amazonaws.com); use type: oci for other registries"));
      }
      if (registry.getRegion() == null && (repository == null || repository.ecrRegion() == null)) {
        errors.add(new FieldError("spec.registry.region", "is required for ECR unless the repository host names it"));
      }
      if (registry.getCredentialsSecret() != null) {
        errors.add(new FieldError("spec.registry.credentialsSecret", "is for OCI registries; ECR credentials come from the "
            + "operator's AWS identity (IRSA or EKS Pod Identity): remove it"));
      }
    }
    if (spec.getBuilderRef() == null || spec.getBuilderRef().getName() == null || spec.getBuilderRef().getName().isBlank()) {
      errors.add(new FieldError("spec.builderRef.name", "is required: the BuildkitBuilder in this namespace"));
    }
    CacheProfileSpec.CacheSpec cache = spec.getCache() == null ? new CacheProfileSpec.CacheSpec() : spec.getCache();
    if (cache.getCompression() == null) {
      errors.add(new FieldError("spec.cache.compression", "is not a compression BuildKit knows (ztsd is a common typo); "
          + "use zstd, gzip, estargz or uncompressed"));
    }
    if (cache.getTagTemplate() == null || !TAG_TEMPLATE.matcher(cache.getTagTemplate()).matches()) {
      errors.add(new FieldError("spec.cache.tagTemplate", "must contain {branch} and a literal prefix or suffix of letters, digits, '_', '.', '-' (so a cache tag never equals an image tag named after a branch), "
          + "e.g. cache-{branch}"));
    } else if (cache.getTagTemplate().length() - "{branch}".length() > CacheTags.MAX_TEMPLATE_LITERAL) {
      errors.add(new FieldError("spec.cache.tagTemplate", "has " + (cache.getTagTemplate().length() - "{branch}".length())
          + " literal characters; at most " + CacheTags.MAX_TEMPLATE_LITERAL + ", so that with a branch part of up to "
          + CacheTags.MAX_BRANCH_PART + " every tag fits the 128 characters a tag may have"));
    }
    if (cache.getDefaultBranch() == null || cache.getDefaultBranch().isBlank()) {
      errors.add(new FieldError("spec.cache.defaultBranch", "is required, e.g. main"));
    }
    RetentionPolicy policy = null;
    try {
      policy = policy(spec);
    } catch (RetentionPolicy.InvalidPolicyException e) {
      errors.addAll(e.errors());
    }
    if (policy != null && cache.getTagTemplate() != null && cache.getDefaultBranch() != null) {
      // The tags this profile writes must be ones its GC may prune, or the cache grows without bound.
      String example = cache.getTagTemplate().replace("{branch}", "feature-x");
      if (!policy.allTagsAreCacheTags(List.of(example))) {
        errors.add(new FieldError("spec.retention.tagPatterns", "do not match the cache tags this profile writes ("
            + example + "); add a pattern such as " + cache.getTagTemplate().replace("{branch}", "*")));
      }
    }
    try {
      CronSchedule.parse(spec.getSchedule()).next(java.time.Instant.EPOCH);
    } catch (IllegalArgumentException e) {
      String hint = e.getMessage().contains("e.g.") ? " (UTC)" : " (five fields, UTC, e.g. 0 3 * * *)";
      errors.add(new FieldError("spec.schedule", e.getMessage() + hint));
    }
    return errors;
  }

}
