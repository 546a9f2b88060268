package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Two operator replicas share one Lease: only the holder acts, and the other takes over when it goes away. */
class LeaderElectionIT {
  static final String LEASE_NS = "buildcache-system";

  static OperatorRuntime.Settings settings(String identity) {
    return new OperatorRuntime.Settings(Set.of(), new OperatorRuntime.LeaderElection("buildcache-operator", LEASE_NS,
        identity, Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(250), false), 2,
        OperatorRuntime.Settings.DEFAULT_GC_THREADS, null);
  }

  @Test
  void onlyTheLeaseHolderActsAndTheOtherTakesOver() {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      var client = cluster.client();
      OperatorHarness first = new OperatorHarness(cluster, settings("replica-a"));
      await().atMost(Duration.ofSeconds(20)).until(() -> holder(cluster) != null);
      OperatorHarness second = new OperatorHarness(cluster, settings("replica-b"));
      String leader = holder(cluster);
      assertThat(leader).isEqualTo("replica-a");

      client.resource(TestBuilders.builder("one")).create();
      await().atMost(Duration.ofSeconds(20)).until(() -> client.apps().statefulSets().inNamespace(TestBuilders.NAMESPACE).withName("one").get() != null);
      await().atMost(Duration.ofSeconds(20)).until(() -> BuildkitBuilderIT.reconciles(first) > 0);
      assertThat(BuildkitBuilderIT.reconciles(second)).as("the follower does not reconcile").isZero();

      first.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> "replica-b".equals(holder(cluster)));
      client.resource(TestBuilders.builder("two")).create();
      await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().statefulSets().inNamespace(TestBuilders.NAMESPACE).withName("two").get() != null);
      await().atMost(Duration.ofSeconds(20)).until(() -> BuildkitBuilderIT.reconciles(second) > 0);
      second.close();
    }
  }

  static String holder(KubernetesTestCluster cluster) {
    Lease lease = cluster.client().leases().inNamespace(LEASE_NS).withName("buildcache-operator").get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }
}
