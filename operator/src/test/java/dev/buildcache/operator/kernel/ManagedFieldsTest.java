package dev.buildcache.operator.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import org.junit.jupiter.api.Test;

class ManagedFieldsTest {
  static Service desired() {
    return new ServiceBuilder().withNewMetadata().withName("shared-app").withNamespace("ci").addToLabels("app", "x").endMetadata()
        .withNewSpec().addToSelector("pod", "shared-0").addNewPort().withName("grpc").withPort(1234).endPort().endSpec().build();
  }

  @Test
  void whatTheServerAddsIsFineWhatSomeoneChangedIsNot() {
    Service live = new ServiceBuilder(desired()).editMetadata().withUid("u").withResourceVersion("7").addToLabels("extra", "ok")
        .endMetadata().editSpec().withClusterIP("10.0.0.1").editFirstPort().withProtocol("TCP").endPort().endSpec().build();
    assertThat(ManagedFields.present(desired(), live)).isTrue();
    Service repointed = new ServiceBuilder(live).editSpec().addToSelector("pod", "shared-2").endSpec().build();
    assertThat(ManagedFields.present(desired(), repointed)).isFalse();
    Service relabelled = new ServiceBuilder(live).editMetadata().removeFromLabels("app").endMetadata().build();
    assertThat(ManagedFields.present(desired(), relabelled)).isFalse();
    Service portAdded = new ServiceBuilder(live).editSpec().addNewPort().withName("more").withPort(1).endPort().endSpec().build();
    assertThat(ManagedFields.present(desired(), portAdded)).as("lists are ours whole").isFalse();
  }

  @Test
  void quantitiesCompareByValueAndScaleIsNoticed() {
    StatefulSet want = new StatefulSetBuilder().withNewMetadata().withName("s").endMetadata().withNewSpec().withReplicas(3)
        .withNewTemplate().withNewSpec().addNewContainer().withName("c").withNewResources().addToRequests("cpu",
            new io.fabric8.kubernetes.api.model.Quantity("1000m")).endResources().endContainer().endSpec().endTemplate().endSpec().build();
    StatefulSet normalised = new StatefulSetBuilder(want).editSpec().editTemplate().editSpec().editFirstContainer().editResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("1")).endResources().endContainer().endSpec().endTemplate()
        .endSpec().build();
    assertThat(ManagedFields.present(want, normalised)).isTrue();
    StatefulSet scaled = new StatefulSetBuilder(normalised).editSpec().withReplicas(2).endSpec().build();
    assertThat(ManagedFields.present(want, scaled)).isFalse();
  }
}
