package dev.buildcache.operator.builder.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;

class KubernetesVersionTest {

  @Test
  void distributionsSuffixTheMinor() {
    assertThat(KubernetesVersion.parse("1", "28+")).isEqualTo(new KubernetesVersion(28));
    assertThat(KubernetesVersion.parse("1", "31")).isEqualTo(new KubernetesVersion(31));
    assertThatThrownBy(() -> KubernetesVersion.parse("2", "0")).hasMessageContaining("not Kubernetes 1.x");
    assertThat(new KubernetesVersion(27).supported()).isFalse();
    assertThat(new KubernetesVersion(28).supported()).isTrue();
  }

  @Test
  void appArmorIsTheAnnotationBefore130AndTheFieldFrom130() {
    StatefulSet old = StatefulSetFactory.statefulSet(TestBuilders.builder("shared"), "cafe", new KubernetesVersion(29));
    assertThat(old.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("container.apparmor.security.beta.kubernetes.io/buildkitd", "unconfined");
    assertThat(old.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext().getAppArmorProfile()).isNull();
    StatefulSet current = StatefulSetFactory.statefulSet(TestBuilders.builder("shared"), "cafe", new KubernetesVersion(30));
    assertThat(current.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey("container.apparmor.security.beta.kubernetes.io/buildkitd");
    assertThat(current.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext().getAppArmorProfile().getType())
        .isEqualTo("Unconfined");
    StatefulSet privileged = StatefulSetFactory.statefulSet(TestBuilders.builder("shared", s -> s.setRootless(false)), "cafe",
        new KubernetesVersion(28));
    assertThat(privileged.getSpec().getTemplate().getMetadata().getAnnotations()).as("a privileged daemon needs no profile")
        .doesNotContainKey("container.apparmor.security.beta.kubernetes.io/buildkitd");
  }
}
