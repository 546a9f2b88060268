package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.demo.SsaCrudDispatcher;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** 200 profiles over 10 builders: once converged, a full resync by a fresh operator writes nothing. */
class CacheProfileSteadyStateIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final int BUILDERS = 10;
  static final int PROFILES = 200;

  @Test
  void resyncOfTwoHundredConvergedProfilesMakesNoWrites() {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      KubernetesClient client = cluster.client();
      OperatorHarness operator = new OperatorHarness(cluster);
      List<String> builders = IntStream.range(0, BUILDERS).mapToObj(i -> "builder-" + i).toList();
      builders.forEach(b -> {
        client.resource(TestBuilders.builder(b, s -> s.setReplicas(3))).create();
        TestPods.createReady(client, b, 3);
      });
      List<String> profiles = IntStream.range(0, PROFILES).mapToObj(i -> "repo-" + i).toList();
      for (int i = 0; i < PROFILES; i++) {
        String builder = builders.get(i % BUILDERS);
        client.resource(TestProfiles.profile(profiles.get(i), s -> {
          s.setBuilderRef(new CacheProfileSpec.BuilderRef(builder));
          s.getRetention().setMaxTotalSize("50Gi");
          s.getRetention().setMaxAge("336h");
          s.getRetention().setProtectTags(List.of("cache-main"));
        })).create();
      }
      // play the StatefulSet controller: every builder Ready, as in a real cluster
      await().atMost(Duration.ofMinutes(1)).until(() -> builders.stream()
          .allMatch(b -> client.apps().statefulSets().inNamespace(NS).withName(b).get() != null));
      builders.forEach(b -> TestPods.markStatefulSetReady(client, b, 3));
      await().atMost(Duration.ofMinutes(3)).until(() -> converged(client, builders));

      operator.close();
      int before = cluster.dispatcher().writeCount();
      operator = new OperatorHarness(cluster);
      OperatorHarness fresh = operator;
      await().atMost(Duration.ofMinutes(2)).until(() -> reconciles(fresh, "cacheprofile") >= PROFILES
          && reconciles(fresh, "buildkitbuilder") >= BUILDERS);
      List<SsaCrudDispatcher.Write> resync = cluster.dispatcher().writesSince(before);

      // a change that reaches every profile of one builder (an annotation someone sets) finds nothing to write, and
      // neither does a pod change (only a readiness change concerns profiles)
      double passes = reconciles(fresh, "cacheprofile");
      client.pods().inNamespace(NS).withName("builder-0-0").edit(p -> {
        p.getMetadata().getLabels().put("touched", "true");
        return p;
      });
      List<String> ofBuilder0 = IntStream.range(0, PROFILES).filter(i -> i % BUILDERS == 0).mapToObj(profiles::get).toList();
      ofBuilder0.forEach(name -> client.resources(CacheProfile.class).inNamespace(NS).withName(name).edit(p -> {
        p.getMetadata().getAnnotations().put("example.com/touched", "true");
        return p;
      }));
      await().atMost(Duration.ofMinutes(1)).until(() -> reconciles(fresh, "cacheprofile") >= passes + ofBuilder0.size());
      List<SsaCrudDispatcher.Write> all = cluster.dispatcher().writesSince(before);
      operator.close();

      assertThat(resync).as("writes during a full resync of %d profiles and %d builders; builder statuses %s", PROFILES, BUILDERS,
              client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems().stream().limit(2)
                  .map(b -> io.fabric8.kubernetes.client.utils.Serialization.asJson(b.getStatus())).toList())
          .isEmpty();
      assertThat(all).as("writes by the operator from its start until after its profiles were touched (the test's own edits excluded)")
          .filteredOn(w -> !w.path().contains("/pods/builder-0-0"))
          .filteredOn(w -> !(w.path().contains("/cacheprofiles/") && !w.path().contains("/status")))
          .isEmpty();
    }
  }

  static boolean converged(KubernetesClient client, List<String> builders) {
    List<CacheProfile> all = client.resources(CacheProfile.class).inNamespace(NS).list().getItems();
    boolean buildersReady = client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems().stream()
        .allMatch(b -> b.getStatus() != null && Conditions.isTrue(b.getStatus().getConditions(), ConditionType.READY));
    boolean profilesReady = buildersReady && all.size() == PROFILES && all.stream().allMatch(p -> p.getStatus() != null
        && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY));
    if (!profilesReady) {
      return false;
    }
    int counted = client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems().stream()
        .filter(b -> b.getStatus() != null && b.getStatus().getProfilesPerReplica() != null)
        .mapToInt(b -> b.getStatus().getProfilesPerReplica().values().stream().mapToInt(Integer::intValue).sum())
        .sum();
    return counted == PROFILES && client.services().inNamespace(NS).list().getItems().size() == PROFILES + 2 * builders.size();
  }

  static double reconciles(OperatorHarness operator, String controller) {
    return operator.meters().counter("buildcache_reconciles_total", "controller", controller, "result", "applied").count();
  }
}
