package dev.buildcache.operator.builder.desired;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/**
 * A controller owner reference (JOSDK's own is a plain one): kubectl shows "Controlled By", and the garbage
 * collector deletes the object with its owner, dependents first when foreground deletion is asked for.
 */
public final class ControllerReference {
  private ControllerReference() {}

  public static OwnerReference to(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
