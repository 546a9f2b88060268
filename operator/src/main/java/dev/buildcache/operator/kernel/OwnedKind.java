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
  private final Class<R> type;
  private final Class<P> ownerType;
  private final String labelSelector;
  private InformerEventSource<R, P> informer;

  public OwnedKind(Class<R> type, Class<P> ownerType, String labelSelector) {
    this.type = type;
    this.ownerType = ownerType;
    this.labelSelector = labelSelector;
  }

  public Class<R> type() {
    return type;
  }

  /** The informer, registered once with the controller. */
  public InformerEventSource<R, P> eventSource(EventSourceContext<P> context) {
    if (informer == null) {
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
