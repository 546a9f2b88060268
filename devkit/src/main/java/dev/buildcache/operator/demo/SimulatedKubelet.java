package dev.buildcache.operator.demo;

import dev.buildcache.operator.builder.desired.BuilderLabels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Plays the StatefulSet controller and the kubelet for a builder on {@link InProcessKubernetes}, which has
 * neither: builder pods as the StatefulSet would name and label them, their Ready condition, and the StatefulSet
 * status that reports them. Used by the demo, the integration tests and the benchmarks.
 */
public final class SimulatedKubelet {
  private SimulatedKubelet() {}

  /** Pod {@code <builder>-<ordinal>} with the StatefulSet's labels and a Ready condition. */
  public static Pod pod(String namespace, String builder, int ordinal, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(builder + "-" + ordinal)
        .withNamespace(namespace)
        .withLabels(BuilderLabels.common(builder, "builder"))
        .addToLabels(BuilderLabels.POD_NAME_KEY, builder + "-" + ordinal)
        .endMetadata()
        .withNewSpec().addNewContainer().withName("buildkitd").withImage("moby/buildkit:v0.23.2-rootless").endContainer().endSpec()
        .withNewStatus().withPhase("Running")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus()
        .build();
  }

  /** Creates pods 0..replicas-1, all ready. */
  public static void createReadyPods(KubernetesClient client, String namespace, String builder, int replicas) {
    for (int i = 0; i < replicas; i++) {
      client.resource(pod(namespace, builder, i, true)).create();
    }
  }

  public static void setPodReady(KubernetesClient client, String namespace, String pod, boolean ready) {
    client.pods().inNamespace(namespace).withName(pod).editStatus(p -> {
      p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
          .forEach(c -> c.setStatus(ready ? "True" : "False"));
      return p;
    });
  }

  /** The StatefulSet's status as its controller reports a finished rollout: every replica updated and ready. */
  public static void markStatefulSetReady(KubernetesClient client, String namespace, String name, int replicas) {
    StatefulSet sts = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
    sts.setStatus(new StatefulSetStatusBuilder()
        .withReplicas(replicas).withReadyReplicas(replicas).withUpdatedReplicas(replicas).withAvailableReplicas(replicas)
        .withCurrentRevision(name + "-1").withUpdateRevision(name + "-1")
        .withObservedGeneration(sts.getMetadata().getGeneration())
        .build());
    client.apps().statefulSets().inNamespace(namespace).resource(sts).updateStatus();
  }
}
