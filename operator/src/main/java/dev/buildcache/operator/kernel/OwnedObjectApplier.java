package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies what a planner decided an owned object should be: adds the controller reference and the desired digest,
 * writes nothing when the live object already is that (same digest, and every field we set still has our value, so a
 * hand edit is reverted and a converged pass costs no write), and otherwise applies it server-side with the
 * controller's field manager. An object the informer does not see may still exist: ours (it lost the label the
 * informer selects on) is applied over, which restores the label; someone else's is never touched and is reported
 * as {@link ObjectNameTakenException}.
 */
public final class OwnedObjectApplier {
  private static final Logger LOG = LoggerFactory.getLogger(OwnedObjectApplier.class);

  private final String fieldManager;

  public OwnedObjectApplier(String fieldManager) {
    this.fieldManager = fieldManager;
  }

  /** {@code desired} with the controller reference to {@code owner} and its digest; what is compared and applied. */
  public static <R extends HasMetadata> R owned(HasMetadata owner, R desired) {
    desired.getMetadata().setOwnerReferences(List.of(ControllerReference.to(owner)));
    return DesiredHash.stamp(desired);
  }

  /** Whether the live object already is what is desired (see the class comment). */
  public static boolean converged(HasMetadata desired, HasMetadata actual) {
    return DesiredHash.matches(actual, desired) && ManagedFields.present(desired, actual);
  }

  /**
   * {@code desired}, kept in another namespace than {@code owner}: no owner reference (it cannot cross namespaces),
   * the owner named by labels instead, and its digest.
   */
  public static <R extends HasMetadata> R labelled(HasMetadata owner, R desired) {
    java.util.Map<String, String> labels = new java.util.LinkedHashMap<>(
        desired.getMetadata().getLabels() == null ? java.util.Map.of() : desired.getMetadata().getLabels());
    labels.put(OwnedKind.OWNER_NAMESPACE, owner.getMetadata().getNamespace());
    labels.put(OwnedKind.OWNER_NAME, owner.getMetadata().getName());
    desired.getMetadata().setLabels(labels);
    desired.getMetadata().setOwnerReferences(null);
    return DesiredHash.stamp(desired);
  }

  /** Makes the object named by {@code desired} be it; returns the object as stored. */
  public <R extends HasMetadata, P extends HasMetadata> R apply(P owner, R desired, OwnedKind<R, P> kind, KubernetesClient client) {
    R stamped = kind.ownedByLabels() ? labelled(owner, desired) : owned(owner, desired);
    String namespace = stamped.getMetadata().getNamespace();
    String name = stamped.getMetadata().getName();
    Optional<R> observed = kind.observed(namespace, name);
    // The informer sees every object of the kind with our labels, the ones other owners control included.
    R existing = observed.orElseGet(() -> client.resources(kind.type()).inNamespace(namespace).withName(name).get());
    boolean ours = existing == null || (kind.ownedByLabels() ? OwnedKind.labelledFor(owner, existing)
        : ControllerReference.controls(owner, existing));
    if (!ours) {
      throw new ObjectNameTakenException(existing.getKind() + " " + namespace + "/" + name + " exists and is "
          + ControllerReference.describeController(existing) + ", so " + owner.getKind() + " " + owner.getMetadata().getName()
          + " cannot have it; rename one of them");
    }
    if (observed.isPresent() && converged(stamped, observed.get())) {
      return observed.get();
    }
    if (observed.isEmpty() && existing != null) {
      LOG.info("{} {}/{} lost the labels the operator watches it by; applying it again", existing.getKind(), namespace, name);
    }
    R after = client.resource(stamped).fieldManager(fieldManager).forceConflicts().serverSideApply();
    kind.written(observed.orElse(null), after);
    return after;
  }

  /** Deletes an owned object the plan no longer wants. */
  public <R extends HasMetadata> void delete(R object, KubernetesClient client) {
    LOG.info("deleting {} {}/{}: no longer desired", object.getKind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
    client.resource(object).delete();
  }
}
