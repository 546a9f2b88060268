package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * deploy/namespaced (and so deploy/eks): the operator watches its tenant namespaces and may read Secrets there
 * only. On the in-process API with RBAC enforced, as the operator's ServiceAccount, beside three unrelated
 * namespaces that each hold a Secret; deploy/base (cluster mode) for contrast.
 */
class NamespacedModeIT {
  static final List<String> UNRELATED = List.of("default", "kube-system", "payments");

  /** How many of the cluster's Secrets the operator's ServiceAccount can read (get), of those created here. */
  static int readableSecrets(KubernetesTestCluster cluster) {
    int readable = 0;
    try (KubernetesClient operator = cluster.serviceAccountClient(OperatorHarness.NAMESPACE, OperatorHarness.SERVICE_ACCOUNT, "probe")) {
      for (String namespace : concat(UNRELATED, TestBuilders.NAMESPACE)) {
        try {
          if (operator.secrets().inNamespace(namespace).withName("token").get() != null) {
            readable++;
          }
        } catch (KubernetesClientException e) {
          assertThat(e.getCode()).as("refused, not failed").isEqualTo(403);
        }
      }
    }
    return readable;
  }

  static List<String> concat(List<String> list, String one) {
    return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(one)).toList();
  }

  static void secretsEverywhere(KubernetesClient client) {
    for (String namespace : concat(UNRELATED, TestBuilders.NAMESPACE)) {
      client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName("token")
          .withNamespace(namespace).endMetadata().addToStringData("token", "s3cret").build()).create();
    }
  }

  @Test
  void theOperatorReconcilesItsTenantsAndCannotReadASecretAnywhereElse() throws Exception {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      KubernetesClient client = cluster.client();
      secretsEverywhere(client);
      try (OperatorHarness operator = new OperatorHarness(cluster,
          OperatorHarness.SETTINGS.withNamespaces(Set.of(TestBuilders.NAMESPACE)), "namespaced")) {
        client.resource(TestBuilders.builder("shared")).create();
        await().atMost(Duration.ofSeconds(30)).until(() ->
            client.apps().statefulSets().inNamespace(TestBuilders.NAMESPACE).withName("shared").get() != null
                && client.secrets().inNamespace(TestBuilders.NAMESPACE).withName("shared-client-tls").get() != null);
        assertThat(readableSecrets(cluster)).as("only the tenant namespace's").isEqualTo(1);
        try (KubernetesClient sa = cluster.serviceAccountClient(OperatorHarness.NAMESPACE, OperatorHarness.SERVICE_ACCOUNT, "probe")) {
          for (String namespace : UNRELATED) {
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> sa.secrets().inNamespace(namespace).list(), KubernetesClientException.class).getCode()).isEqualTo(403);
          }
          assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
              () -> sa.secrets().inAnyNamespace().list(), KubernetesClientException.class).getCode()).isEqualTo(403);
        }
      }
    }
  }

  @Test
  void inClusterModeTheOperatorCanReadEverySecret() throws Exception {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      secretsEverywhere(cluster.client());
      try (OperatorHarness operator = new OperatorHarness(cluster, OperatorHarness.SETTINGS, "base")) {
        assertThat(readableSecrets(cluster)).as("the trade-off of cluster mode (docs/operations.md)").isEqualTo(UNRELATED.size() + 1);
      }
    }
  }
}
