package dev.buildcache.operator.tenancy;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.registry.RepositoryReference;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One repository, one profile: of the profiles that name the same repository (and may use it), the first created
 * owns it, and only its retention prunes it. Two profiles with different retention on one repository would let the
 * stricter evict the other team's cache. Ties (same second) go by namespace, then name, so every replica and every
 * restart picks the same owner.
 */
public final class RepositoryOwnership {
  private RepositoryOwnership() {}

  static final Comparator<CacheProfile> FIRST_CREATED = Comparator
      .comparing((CacheProfile p) -> created(p))
      .thenComparing(p -> p.getMetadata().getNamespace())
      .thenComparing(p -> p.getMetadata().getName());

  /**
   * The profile that owns {@code repository}, when it is not {@code profile}. {@code others} are the other profiles
   * naming it; those the access rules refuse never own it (a refused profile must not block the rightful one).
   */
  public static Optional<CacheProfile> ownerOtherThan(CacheProfile profile, RepositoryReference repository,
      List<CacheProfile> others, RepositoryAccess access) {
    CacheProfile owner = Stream.concat(Stream.of(profile), others.stream()
            .filter(p -> access.allows(p.getMetadata().getNamespace(), repository)))
        .min(FIRST_CREATED).orElseThrow();
    return owner == profile ? Optional.empty() : Optional.of(owner);
  }

  private static Instant created(CacheProfile p) {
    String timestamp = p.getMetadata().getCreationTimestamp();
    try {
      return timestamp == null ? Instant.MAX : Instant.parse(timestamp);
    } catch (RuntimeException e) {
      return Instant.MAX;
    }
  }
}
