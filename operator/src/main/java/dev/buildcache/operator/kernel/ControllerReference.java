package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/**
 * A controller owner reference (JOSDK's own is a plain one): kubectl shows "Controlled By", and the garbage
 * collector deletes the object with its owner, dependents first when foreground deletion is asked for.
 */
public final class ControllerReference {
  private ControllerReference() {}

  /** Whether {@code owner} is the controller of {@code object} (same uid). */
  public static boolean controls(HasMetadata owner, HasMetadata object) {
    return object.getMetadata().getOwnerReferences() != null && object.getMetadata().getOwnerReferences().stream()
        .anyMatch(r -> Boolean.TRUE.equals(r.getController()) && r.getUid() != null && r.getUid().equals(owner.getMetadata().getUid()));
  }

  /** "controlled by Kind name" or "not controlled by anything", for a message. */
  public static String describeController(HasMetadata object) {
    return object.getMetadata().getOwnerReferences() == null ? "not controlled by anything"
        : object.getMetadata().getOwnerReferences().stream().filter(r -> Boolean.TRUE.equals(r.getController()))
            .map(r -> "controlled by " + r.getKind() + " " + r.getName()).findFirst().orElse("not controlled by anything");
  }

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
