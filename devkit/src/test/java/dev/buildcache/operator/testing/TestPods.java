package dev.buildcache.operator.testing;

import dev.buildcache.operator.demo.SimulatedKubelet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Builder pods in the tests' namespace ({@link SimulatedKubelet} plays the kubelet). */
public final class TestPods {
  private TestPods() {}

  public static Pod pod(String builder, int ordinal, boolean ready) {
    return SimulatedKubelet.pod(TestBuilders.NAMESPACE, builder, ordinal, ready);
  }

  public static void createReady(KubernetesClient client, String builder, int replicas) {
    SimulatedKubelet.createReadyPods(client, TestBuilders.NAMESPACE, builder, replicas);
  }

  public static void setReady(KubernetesClient client, String podName, boolean ready) {
    SimulatedKubelet.setPodReady(client, TestBuilders.NAMESPACE, podName, ready);
  }

  public static void markStatefulSetReady(KubernetesClient client, String name, int replicas) {
    SimulatedKubelet.markStatefulSetReady(client, TestBuilders.NAMESPACE, name, replicas);
  }
}
