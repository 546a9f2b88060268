package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.routing.RendezvousRouter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaAssignmentTest {
  static final BuilderNames SHARED = new BuilderNames("shared", "buildkite");
  static final String KEY = ReplicaAssignment.key("buildkite", "app");

  @Test
  void readyFirstChoiceIsAssigned() {
    List<Integer> ranking = RendezvousRouter.ranking(KEY, 3);
    ReplicaAssignment a = ReplicaAssignment.assign(KEY, SHARED, 3, Set.of("shared-0", "shared-1", "shared-2")).orElseThrow();
    assertThat(a.pod()).isEqualTo("shared-" + ranking.get(0));
    assertThat(a.firstChoicePod()).isEqualTo(a.pod());
    assertThat(a.failedOver()).isFalse();
    assertThat(a.ready()).isTrue();
  }

  @Test
  void unreadyFirstChoiceFailsOverToTheSecondAndNotToAnyOther() {
    List<Integer> ranking = RendezvousRouter.ranking(KEY, 3);
    String first = "shared-" + ranking.get(0);
    ReplicaAssignment a = ReplicaAssignment.assign(KEY, SHARED, 3,
        Set.of("shared-" + ranking.get(1), "shared-" + ranking.get(2))).orElseThrow();
    assertThat(a.pod()).isEqualTo("shared-" + ranking.get(1));
    assertThat(a.firstChoicePod()).isEqualTo(first);
    assertThat(a.failedOver()).isTrue();
    assertThat(a.ready()).isTrue();
  }

  @Test
  void noReadyReplicaKeepsTheFirstChoiceAndSaysItIsNotReady() {
    ReplicaAssignment a = ReplicaAssignment.assign(KEY, SHARED, 3, Set.of()).orElseThrow();
    assertThat(a.pod()).isEqualTo(a.firstChoicePod());
    assertThat(a.ready()).isFalse();
  }

  @Test
  void aBuilderWithoutReplicasAssignsNothing() {
    assertThat(ReplicaAssignment.assign(KEY, SHARED, 0, Set.of())).isEmpty();
  }

  @Test
  void pinnedAssignmentOfTheDocumentedExample() {
    // the key "buildkite/app" ranks replicas of a 6-replica builder as [2,4,3,0,1,5] (RendezvousRouterTest)
    assertThat(ReplicaAssignment.assign(KEY, SHARED, 6, Set.of("shared-2")).orElseThrow().pod()).isEqualTo("shared-2");
    assertThat(ReplicaAssignment.assign(KEY, SHARED, 6, Set.of("shared-0", "shared-3")).orElseThrow().pod()).isEqualTo("shared-3");
  }
}
