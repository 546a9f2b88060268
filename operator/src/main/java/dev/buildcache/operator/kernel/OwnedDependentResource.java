package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;

/**
 * One object a custom resource owns, the way every dependent of this operator works: subclasses say what the
 * object should be ({@link #render}), what it is called and which label selector its informer uses; this class
 * adds a controller owner reference, stamps the desired digest and matches on it, so a converged object costs no
 * write. Writes are server-side apply with the controller's field manager.
 */
public abstract class OwnedDependentResource<R extends HasMetadata, P extends HasMetadata> extends CRUDKubernetesDependentResource<R, P> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OwnedDependentResource.class);
  private final String labelSelector;

  protected OwnedDependentResource(Class<R> type, String labelSelector) {
    super(type);
    this.labelSelector = labelSelector;
  }

  /** The object as it should be, before the owner reference and the digest. Must be deterministic. */
  protected abstract R render(P owner, Context<P> context);

  /** Name of the one object this dependent manages for {@code owner}. */
  protected abstract String objectName(P owner, Context<P> context);

  @Override
  protected final R desired(P owner, Context<P> context) {
    R desired = render(owner, context);
    desired.getMetadata().setOwnerReferences(List.of(ControllerReference.to(owner)));
    return DesiredHash.stamp(desired);
  }

  /**
   * Converged when the live object carries our current digest and every field we set still has our value: a hand
   * edit of a managed field is re-applied on the next pass, and a converged pass writes nothing.
   */
  @Override
  public Matcher.Result<R> match(R actual, P owner, Context<P> context) {
    R desired = desired(owner, context);
    return Matcher.Result.computed(DesiredHash.matches(actual, desired) && ManagedFields.present(desired, actual), desired);
  }

  /**
   * The informer did not see the object, which may still exist: it lost the label the informer selects on, or it is
   * someone else's. Ours (controlled by this owner) is applied over, which restores the labels; someone else's is
   * never touched; only a missing one is created.
   */
  @Override
  public R create(R desired, P owner, Context<P> context) {
    @SuppressWarnings("unchecked")
    Class<R> type = (Class<R>) desired.getClass();
    R existing = context.getClient().resources(type).inNamespace(desired.getMetadata().getNamespace())
        .withName(desired.getMetadata().getName()).get();
    if (existing == null) {
      return super.create(desired, owner, context);
    }
    if (ControllerReference.controls(owner, existing)) {
      LOG.info("{} {}/{} lost the labels the operator watches it by; applying it again", existing.getKind(),
          existing.getMetadata().getNamespace(), existing.getMetadata().getName());
      return super.update(existing, desired, owner, context);
    }
    throw new ObjectNameTakenException(existing.getKind() + " " + existing.getMetadata().getNamespace() + "/"
        + existing.getMetadata().getName() + " exists and is " + ControllerReference.describeController(existing)
        + ", so " + owner.getKind() + " " + owner.getMetadata().getName() + " cannot have it; rename one of them");
  }

  @Override
  protected ResourceID targetSecondaryResourceID(P owner, Context<P> context) {
    return new ResourceID(objectName(owner, context), owner.getMetadata().getNamespace());
  }

  @Override
  protected InformerEventSourceConfiguration.Builder<R> informerConfigurationBuilder(EventSourceContext<P> context) {
    return super.informerConfigurationBuilder(context).withLabelSelector(labelSelector);
  }
}
