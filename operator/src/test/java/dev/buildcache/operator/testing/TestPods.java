package dev.buildcache.operator.testing;

import dev.buildcache.operator.builder.desired.BuilderLabels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Builder pods as the StatefulSet controller and kubelet would leave them: there are neither in the test API
 * server, so tests create the pods and flip their Ready condition.
 */
public final class TestPods {
  private TestPods() {}

  public static Pod pod(String builder, int ordinal, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(builder + "-" + ordinal)
        .withNamespace(TestBuilders.NAMESPACE)
        .withLabels(BuilderLabels.common(builder, "builder"))
        .addToLabels(BuilderLabels.POD_NAME_KEY, builder + "-" + ordinal)
        .endMetadata()
        .withNewSpec().addNewContainer().withName("buildkitd").withImage("moby/buildkit:v0.25.1-rootless").endContainer().endSpec()
        .withNewStatus().withPhase("Running")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus()
        .build();
  }

  /** Creates pods 0..replicas-1, all ready. */
  public static void createReady(KubernetesClient client, String builder, int replicas) {
    for (int i = 0; i < replicas; i++) {
      client.resource(pod(builder, i, true)).create();
    }
  }

  public static void setReady(KubernetesClient client, String podName, boolean ready) {
    client.pods().inNamespace(TestBuilders.NAMESPACE).withName(podName).editStatus(p -> {
      p.getStatus().getConditions().forEach(c -> {
        if ("Ready".equals(c.getType())) {
          c.setStatus(ready ? "True" : "False");
        }
      });
      return p;
    });
  }
}
