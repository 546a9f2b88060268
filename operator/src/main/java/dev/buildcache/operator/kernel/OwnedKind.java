package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.Optional;
import java.util.Set;

/**
 * One kind of object a custom resource owns, as the controller sees it: an informer on the objects this operator
 * labels as managed, each mapped to its owner by its controller reference. The informer is what a pass observes, and
 * {@link OwnedObjectApplier} tells it about every write, so the next pass reads what was written.
 */
public final class OwnedKind<R extends HasMetadata, P extends HasMetadata> {
  /** Labels naming the owner of an object kept in another namespace, where no owner reference can point. */
  public static final String OWNER_NAMESPACE = "buildcache.dev/owner-namespace";
  public static final String OWNER_NAME = "buildcache.dev/owner-name";

  private final Class<R> type;
  private final Class<P> ownerType;
  private final String labelSelector;
  /** Non-null for objects kept beside the owner's namespace, in this one, owned by labels. */
  private final String namespace;
  private InformerEventSource<R, P> informer;

  public OwnedKind(Class<R> type, Class<P> ownerType, String labelSelector) {
    this(type, ownerType, labelSelector, null);
  }

  private OwnedKind(Class<R> type, Class<P> ownerType, String labelSelector, String namespace) {
    this.type = type;
    this.ownerType = ownerType;
    this.labelSelector = labelSelector;
    this.namespace = namespace;
  }

  /**
   * Objects an owner keeps in another namespace ({@code namespace}, the operator's): owner references cannot cross
   * namespaces, so the owner is named by {@link #OWNER_NAMESPACE} and {@link #OWNER_NAME} labels.
   */
  public static <R extends HasMetadata, P extends HasMetadata> OwnedKind<R, P> inNamespace(Class<R> type, Class<P> ownerType,
      String labelSelector, String namespace) {
    return new OwnedKind<>(type, ownerType, labelSelector, namespace);
  }

  /** Whether this kind's objects live in another namespace than their owner, owned by labels. */
  public boolean ownedByLabels() {
    return namespace != null;
  }

  /** Whether {@code object} carries the labels naming {@code owner}. */
  public static boolean labelledFor(HasMetadata owner, HasMetadata object) {
    java.util.Map<String, String> labels = object.getMetadata().getLabels();
    return labels != null && owner.getMetadata().getNamespace().equals(labels.get(OWNER_NAMESPACE))
        && owner.getMetadata().getName().equals(labels.get(OWNER_NAME));
  }

  /** Every object of this kind the informer sees. */
  public java.util.stream.Stream<R> all() {
    return informer.list();
  }

  public Class<R> type() {
    return type;
  }

  /** The informer, registered once with the controller. */
  public InformerEventSource<R, P> eventSource(EventSourceContext<P> context) {
    if (informer == null && namespace != null) {
      informer = new InformerEventSource<>(InformerEventSourceConfiguration.from(type, ownerType)
          .withName(type.getSimpleName().toLowerCase(java.util.Locale.ROOT) + "s-in-" + namespace)
          .withNamespaces(Set.of(namespace))
          .withFollowControllerNamespacesChanges(false)
          .withLabelSelector(labelSelector)
          .withSecondaryToPrimaryMapper(object -> {
            java.util.Map<String, String> labels = object.getMetadata().getLabels();
            return labels == null || labels.get(OWNER_NAME) == null || labels.get(OWNER_NAMESPACE) == null ? Set.of()
                : Set.of(new ResourceID(labels.get(OWNER_NAME), labels.get(OWNER_NAMESPACE)));
          })
          .build(), context);
    } else if (informer == null) {
      informer = new InformerEventSource<>(InformerEventSourceConfiguration.from(type, ownerType)
          .withName(type.getSimpleName().toLowerCase(java.util.Locale.ROOT) + "s")
          .withLabelSelector(labelSelector)
          .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ownerType))
          .build(), context);
    }
    return informer;
  }

  /** The object of this kind by name, as the informer last saw it. */
  public Optional<R> observed(String namespace, String name) {
    return informer.get(new ResourceID(name, namespace));
  }

  /** Every object of this kind that {@code owner} controls. */
  public Set<R> ownedBy(P owner) {
    return informer.getSecondaryResources(owner);
  }

  void written(R before, R after) {
    ResourceID id = ResourceID.fromResource(after);
    if (before == null) {
      informer.handleRecentResourceCreate(id, after);
    } else {
      informer.handleRecentResourceUpdate(id, after, before);
    }
  }
}
