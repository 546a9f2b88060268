package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.function.Supplier;

/**
 * How both controllers write status: only when it changed, and as a minimal object (name, namespace, status)
 * applied server-side to the status subresource, so the operator's field manager never claims spec fields.
 */
public final class StatusUpdates {
  private StatusUpdates() {}

  /** A detached copy of a resource's status to compute the new one in, or an empty one. */
  public static <T> T copy(T status, Supplier<T> empty) {
    if (status == null) {
      return empty.get();
    }
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) status.getClass();
    return Serialization.jsonMapper().convertValue(status, type);
  }

  public static <S, T, R extends CustomResource<S, T>> UpdateControl<R> patchIfChanged(R resource, T status, Supplier<R> empty) {
    T previous = resource.getStatus();
    if (previous != null && Serialization.jsonMapper().valueToTree(previous).equals(Serialization.jsonMapper().valueToTree(status))) {
      return UpdateControl.noUpdate();
    }
    R patch = empty.get();
    patch.setMetadata(new ObjectMetaBuilder()
        .withName(resource.getMetadata().getName())
        .withNamespace(resource.getMetadata().getNamespace())
        .build());
    patch.setSpec(null);
    patch.setStatus(status);
    return UpdateControl.patchStatus(patch);
  }
}
