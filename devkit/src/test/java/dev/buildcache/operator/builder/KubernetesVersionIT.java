package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes 1.28 and 1.29 have no {@code securityContext.appArmorProfile}; their API servers refuse a server-side
 * apply that sets it. The operator reads the server's version and says AppArmor the way that version understands.
 */
class KubernetesVersionIT {
  static final String APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/buildkitd";

  StatefulSet reconciledOn(int minor) {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      cluster.dispatcher().serverVersion(minor);
      try (OperatorHarness operator = new OperatorHarness(cluster)) {
        cluster.client().resource(TestBuilders.builder("shared")).create();
        return await().atMost(Duration.ofSeconds(30)).until(
            () -> cluster.client().apps().statefulSets().inNamespace(TestBuilders.NAMESPACE).withName("shared").get(), s -> s != null);
      }
    }
  }

  @Test
  void onKubernetes128AppArmorIsTheAnnotation() {
    StatefulSet sts = reconciledOn(28);
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(APPARMOR_ANNOTATION, "unconfined");
    assertThat(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext().getAppArmorProfile()).isNull();
    assertThat(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("Unconfined");
  }

  @Test
  void fromKubernetes130AppArmorIsTheField() {
    StatefulSet sts = reconciledOn(32);
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey(APPARMOR_ANNOTATION);
    assertThat(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext().getAppArmorProfile().getType())
        .isEqualTo("Unconfined");
  }

  @Test
  void anOlderServerIsRefusedAtStartWithTheReason() {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      cluster.dispatcher().serverVersion(27);
      assertThatThrownBy(() -> new OperatorHarness(cluster).close())
          .hasMessageContaining("Kubernetes 1.27 is older than 1.28, the oldest version buildcache-operator supports");
    }
  }
}
