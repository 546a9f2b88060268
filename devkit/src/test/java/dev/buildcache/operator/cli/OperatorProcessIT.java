package dev.buildcache.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code buildcache run} as its own process, the way Kubernetes runs it: the operator's ServiceAccount against the
 * in-process API, leader election on, stopped with SIGTERM as a rollout stops it.
 */
class OperatorProcessIT {
  static final String LEASE = "buildcache-operator";

  @TempDir
  Path dir;

  static Process start(KubernetesTestCluster cluster, String identity, Path log) throws Exception {
    String token = cluster.dispatcher().serviceAccountToken(OperatorHarness.NAMESPACE, OperatorHarness.SERVICE_ACCOUNT);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // surefire's class path: its booter jar, whose manifest names every entry of the test class path
        "-cp", System.getProperty("java.class.path"),
        "-Dkubernetes.master=" + cluster.url(), "-Dkubernetes.auth.token=" + token,
        "-Dkubernetes.namespace=" + OperatorHarness.NAMESPACE, "-Dkubernetes.auth.tryKubeConfig=false",
        "-Dkubernetes.auth.tryServiceAccount=false",
        BuildcacheCommand.class.getName(), "run", "--health-port", "0", "--lease-namespace", OperatorHarness.NAMESPACE));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("POD_NAME", identity);
    return pb.start();
  }

  static Lease lease(KubernetesTestCluster cluster) {
    return cluster.client().leases().inNamespace(OperatorHarness.NAMESPACE).withName(LEASE).get();
  }

  @Test
  void sigtermReleasesTheLeaseAndExitsWithinFiveSeconds() throws Exception {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      cluster.createMissing(OperatorHarness.shippedRbac());
      Path log = dir.resolve("operator.log");
      Process operator = start(cluster, "replica-a", log);
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          assertThat(operator.isAlive()).as(() -> "the operator exited: " + read(log)).isTrue();
          Lease lease = lease(cluster);
          return lease != null && "replica-a".equals(lease.getSpec().getHolderIdentity());
        });
        operator.destroy(); // SIGTERM
        boolean exited = operator.waitFor(5, TimeUnit.SECONDS);
        assertThat(exited).as(() -> "exited within 5 s of SIGTERM; its log:\n" + read(log)).isTrue();
        Lease released = lease(cluster);
        assertThat(released.getSpec().getHolderIdentity()).as(() -> "the Lease is released, so the next leader need not wait it "
            + "out; lease requests " + cluster.dispatcher().requests().stream().filter(r -> r.path().contains("leases"))
                .map(r -> r.method() + " " + r.path()).toList() + "; log:\n" + read(log)).isNullOrEmpty();
      } finally {
        operator.destroyForcibly();
      }
    }
  }

  static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
