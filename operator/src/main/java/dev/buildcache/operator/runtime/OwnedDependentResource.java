package dev.buildcache.operator.runtime;

import dev.buildcache.operator.builder.desired.ControllerReference;
import dev.buildcache.operator.builder.desired.DesiredHash;
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

  @Override
  public Matcher.Result<R> match(R actual, P owner, Context<P> context) {
    R desired = desired(owner, context);
    return Matcher.Result.computed(DesiredHash.matches(actual, desired), desired);
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
