package dev.buildcache.operator.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.testing.TestProfiles;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepositoryOwnershipTest {
  static final RepositoryReference REPO = RepositoryReference.parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/app-cache");

  static CacheProfile profile(String namespace, String name, String created) {
    CacheProfile p = TestProfiles.profile(name, s -> s.setRepository(REPO.toString()));
    p.getMetadata().setNamespace(namespace);
    p.getMetadata().setCreationTimestamp(created);
    return p;
  }

  @Test
  void theFirstCreatedOwnsTheRepository() {
    CacheProfile first = profile("team-a", "app", "2026-01-01T00:00:00Z");
    CacheProfile second = profile("team-a", "app-nightly", "2026-02-01T00:00:00Z");
    assertThat(RepositoryOwnership.ownerOtherThan(second, REPO, List.of(first), RepositoryAccess.byNamespace())).contains(first);
    assertThat(RepositoryOwnership.ownerOtherThan(first, REPO, List.of(second), RepositoryAccess.byNamespace())).isEmpty();
  }

  @Test
  void aTieGoesByNamespaceThenNameSoEveryReplicaAgrees() {
    CacheProfile b = profile("team-a", "b", "2026-01-01T00:00:00Z");
    CacheProfile a = profile("team-a", "a", "2026-01-01T00:00:00Z");
    assertThat(RepositoryOwnership.ownerOtherThan(b, REPO, List.of(a), RepositoryAccess.any())).contains(a);
    assertThat(RepositoryOwnership.ownerOtherThan(a, REPO, List.of(b), RepositoryAccess.any())).isEmpty();
  }

  @Test
  void aProfileTheRulesRefuseNeverOwnsIt() {
    CacheProfile squatter = profile("team-b", "app", "2025-01-01T00:00:00Z");
    CacheProfile rightful = profile("team-a", "app", "2026-01-01T00:00:00Z");
    assertThat(RepositoryOwnership.ownerOtherThan(rightful, REPO, List.of(squatter), RepositoryAccess.byNamespace())).isEmpty();
  }
}
