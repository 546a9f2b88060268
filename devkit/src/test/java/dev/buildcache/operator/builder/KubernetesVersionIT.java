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

  /**
   * Before 1.30 (no validation ratcheting) a status write is validated as the whole object, so a profile stored
   * under an older CRD with a value today's CRD refuses cannot get any status: the operator says so in Events, with
   * the field to fix, and serves every other profile.
   */
  @Test
  @SuppressWarnings("unchecked")
  void onKubernetes129AProfileTheCrdNowRefusesIsExplainedInEvents() {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      cluster.dispatcher().serverVersion(29);
      var client = cluster.client();
      // stored before the operator runs, so no status write of its own slips in while the older CRD is installed
      client.resource(TestBuilders.builder("shared")).create();
      java.util.Map<String, Object> raw = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(
          dev.buildcache.operator.testing.TestProfiles.profile("bad", s -> {}), java.util.Map.class);
      ((java.util.Map<String, java.util.Map<String, Object>>) raw.get("spec")).get("cache").put("compression", "ztsd");
      cluster.underOlderCrd(dev.buildcache.operator.api.v1alpha1.CacheProfile.class, () -> client.resource(
          io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(raw,
              io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)).create());
      try (OperatorHarness operator = new OperatorHarness(cluster)) {
        client.resource(dev.buildcache.operator.testing.TestProfiles.profile("good", s -> {})).create();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          var events = client.v1().events().inNamespace(TestBuilders.NAMESPACE).list().getItems().stream()
              .filter(e -> "bad".equals(e.getInvolvedObject().getName())).toList();
          assertThat(events).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("InvalidSpec");
            assertThat(e.getMessage()).contains("spec.cache.compression");
          });
          assertThat(events).anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getReason()).isEqualTo("StatusRefused");
            assertThat(e.getMessage()).contains("because spec.cache.compression fails the installed CRD");
          });
          assertThat(client.resources(dev.buildcache.operator.api.v1alpha1.CacheProfile.class).inNamespace(TestBuilders.NAMESPACE)
              .withName("good").get().getStatus()).as("the other profile is served").isNotNull();
        });
        assertThat(client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile").inNamespace(TestBuilders.NAMESPACE)
            .withName("bad").get().getAdditionalProperties().get("status")).as("no status could be written").isNull();
      }
    }
  }
}
