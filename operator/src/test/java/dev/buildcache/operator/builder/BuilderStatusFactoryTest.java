package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.builder.desired.BuilderNames;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuilderStatusFactoryTest {
  static final BuilderNames SHARED = new BuilderNames("shared", "buildkite");

  @Test
  void everyReplicaIsListedWithItsProfileCount() {
    assertThat(BuilderStatusFactory.profilesPerReplica(SHARED, 3, List.of("shared-1", "shared-1", "shared-2")))
        .containsExactly(java.util.Map.entry("shared-0", 0), java.util.Map.entry("shared-1", 2), java.util.Map.entry("shared-2", 1));
  }

  @Test
  void aPodBeyondTheReplicasStillReportedByProfilesIsShownDuringScaleDown() {
    assertThat(BuilderStatusFactory.profilesPerReplica(SHARED, 1, List.of("shared-0", "shared-1")))
        .containsEntry("shared-0", 1).containsEntry("shared-1", 1).hasSize(2);
  }

  @Test
  void noReplicasNoProfiles() {
    assertThat(BuilderStatusFactory.profilesPerReplica(SHARED, 0, List.of())).isEmpty();
  }
}
