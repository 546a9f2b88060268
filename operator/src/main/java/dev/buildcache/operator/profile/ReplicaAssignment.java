package dev.buildcache.operator.profile;

import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.routing.RendezvousRouter;
import java.util.Optional;
import java.util.Set;

/**
 * Which builder pod a profile's endpoint points at: its first choice in the rendezvous ranking when that pod is
 * ready, else the next ready one; when none is ready, the first choice (the Service has no endpoint until it is).
 * Pure.
 *
 * @param pod the assigned pod
 * @param firstChoicePod the pod that holds the profile's warm cache when everything is ready
 * @param ready whether the assigned pod is ready
 */
public record ReplicaAssignment(String pod, String firstChoicePod, boolean ready) {

  public boolean failedOver() {
    return !pod.equals(firstChoicePod);
  }

  /** The routing key: stable for a profile's lifetime, unique across namespaces. */
  public static String key(String namespace, String profile) {
    return namespace + "/" + profile;
  }

  /** Empty when the builder has no replicas. */
  public static Optional<ReplicaAssignment> assign(String key, BuilderNames builder, int replicas, Set<String> readyPods) {
    if (replicas <= 0) {
      return Optional.empty();
    }
    int ordinal = RendezvousRouter.assign(key, replicas, i -> readyPods.contains(builder.pod(i)));
    String first = builder.pod(RendezvousRouter.firstChoice(key, replicas));
    String pod = builder.pod(ordinal);
    return Optional.of(new ReplicaAssignment(pod, first, readyPods.contains(pod)));
  }
}
