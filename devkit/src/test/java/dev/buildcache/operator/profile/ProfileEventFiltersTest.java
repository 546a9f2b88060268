package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which updates of builders and pods reach the profiles: only those that can change a profile's routing. */
class ProfileEventFiltersTest {

  static BuildkitBuilder builder(long generation, int specReplicas, Integer observedReplicas, Map<String, Integer> perReplica) {
    BuildkitBuilder b = TestBuilders.builder("shared", s -> s.setReplicas(specReplicas));
    b.getMetadata().setGeneration(generation);
    BuildkitBuilderStatus status = new BuildkitBuilderStatus();
    status.setReplicas(observedReplicas);
    status.setProfilesPerReplica(perReplica);
    b.setStatus(status);
    return b;
  }

  @Test
  void aBuildersProfileCountsAndObservedReplicasDoNotConcernItsProfilesWhileItsSpecIsValid() {
    assertThat(CacheProfileReconciler.routingChanged(builder(1, 3, 3, Map.of("shared-0", 5)), builder(1, 3, 3, Map.of("shared-0", 4)))).isFalse();
    assertThat(CacheProfileReconciler.routingChanged(builder(1, 3, 3, Map.of()), builder(1, 3, null, Map.of()))).isFalse();
    assertThat(CacheProfileReconciler.routingChanged(builder(2, 4, 3, Map.of()), builder(1, 3, 3, Map.of()))).isTrue();
  }

  @Test
  void whileItsSpecIsRefusedTheObservedReplicasRouteItsProfiles() {
    assertThat(CacheProfileReconciler.routingChanged(builder(5, 1000, 2, Map.of()), builder(5, 1000, 3, Map.of()))).isTrue();
  }

  @Test
  void onlyAReadinessChangeOfAPodConcernsProfiles() {
    Pod ready = TestPods.pod("shared", 0, true);
    Pod relabelled = TestPods.pod("shared", 0, true);
    relabelled.getMetadata().getLabels().put("touched", "true");
    assertThat(CacheProfileReconciler.readinessChanged(relabelled, ready)).isFalse();
    assertThat(CacheProfileReconciler.readinessChanged(TestPods.pod("shared", 0, false), ready)).isTrue();
  }
}
