package dev.buildcache.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code buildcache run} as a user starts it, against the in-process API as the operator's ServiceAccount (the
 * connection comes from fabric8's standard system properties, as it would from a kubeconfig).
 */
class RunCommandIT {
  static final Map<String, String> CONNECTION = Map.of("kubernetes.master", "", "kubernetes.auth.token", "",
      "kubernetes.namespace", "buildcache-system", "kubernetes.auth.tryKubeConfig", "false", "kubernetes.auth.tryServiceAccount", "false");

  KubernetesTestCluster cluster;

  @BeforeEach
  void start() {
    cluster = new KubernetesTestCluster();
    System.setProperty("kubernetes.master", cluster.url());
    System.setProperty("kubernetes.auth.token", cluster.dispatcher().serviceAccountToken(OperatorHarness.NAMESPACE, OperatorHarness.SERVICE_ACCOUNT));
    System.setProperty("kubernetes.namespace", OperatorHarness.NAMESPACE);
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
  }

  @AfterEach
  void stop() {
    CONNECTION.keySet().forEach(System::clearProperty);
    cluster.close();
  }

  /** The shipped RBAC with the lease verbs of an older release: the Role grants patch, not update. */
  static List<JsonNode> rbacWithoutLeaseUpdate() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode doc : OperatorHarness.shippedRbac()) {
      JsonNode copy = doc.deepCopy();
      if ("Role".equals(copy.path("kind").asText())) {
        ArrayNode verbs = ((ObjectNode) copy.path("rules").get(0)).putArray("verbs");
        List.of("get", "create", "patch").forEach(verbs::add);
      }
      out.add(copy);
    }
    return out;
  }

  @Test
  void aFailedStartSaysEveryCauseOnItsOwnLine() {
    cluster.createMissing(rbacWithoutLeaseUpdate());
    Cli.Result result = Cli.run("run", "--health-port", "0", "--lease-namespace", OperatorHarness.NAMESPACE);
    assertThat(result.exit()).isEqualTo(1);
    List<String> lines = result.err().lines().toList();
    assertThat(lines.get(0)).isEqualTo("buildcache run: Error starting operator");
    assertThat(lines).contains("  caused by: No permission to lease resource. in namespace: buildcache-system; missing required verbs: [update]");
    assertThat(lines).as("no stack trace without --debug").noneMatch(l -> l.contains("\tat ") || l.startsWith("at "));
  }

  @Test
  void withDebugTheStackTraceFollows() {
    cluster.createMissing(rbacWithoutLeaseUpdate());
    Cli.Result result = Cli.run("run", "--health-port", "0", "--lease-namespace", OperatorHarness.NAMESPACE, "--debug");
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err()).contains("caused by: No permission to lease resource").contains("\tat io.javaoperatorsdk.operator");
  }
}
