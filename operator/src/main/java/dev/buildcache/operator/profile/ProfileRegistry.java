package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.registry.RepositoryReference;

/** The registry type a profile means: {@code spec.registry.type}, or when unset, what the repository host says. Pure. */
final class ProfileRegistry {
  private ProfileRegistry() {}

  /** Null only when the type is unset and the repository is not a repository reference. */
  static CacheProfileSpec.RegistryType type(CacheProfileSpec spec) {
    if (spec.getRegistry() != null && spec.getRegistry().getType() != null) {
      return spec.getRegistry().getType();
    }
    try {
      return RepositoryReference.parse(spec.getRepository()).isEcr() ? CacheProfileSpec.RegistryType.ECR : CacheProfileSpec.RegistryType.OCI;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
