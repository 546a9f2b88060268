package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
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
 * Base of every object a BuildkitBuilder owns. Subclasses only say what the object should be ({@link #render})
 * and what it is called; this class stamps the desired digest, matches on it, selects the object by name (several
 * objects of one kind share an informer) and watches only objects this operator manages. Writes are server-side
 * apply with the controller's field manager, and owner references make Kubernetes' garbage collector delete them
 * with the builder.
 */
abstract class BuilderDependentResource<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, BuildkitBuilder> {

  BuilderDependentResource(Class<R> type) {
    super(type);
  }

  /** The object as it should be, before the digest is stamped. Must be deterministic. */
  protected abstract R render(BuildkitBuilder builder, Context<BuildkitBuilder> context);

  /** Name of the one object this dependent manages for {@code names}. */
  protected abstract String objectName(BuilderNames names);

  @Override
  protected final R desired(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    R desired = render(builder, context);
    desired.getMetadata().setOwnerReferences(List.of(ControllerReference.to(builder)));
    return DesiredHash.stamp(desired);
  }

  @Override
  public Matcher.Result<R> match(R actual, BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    R desired = desired(builder, context);
    return Matcher.Result.computed(DesiredHash.matches(actual, desired), desired);
  }

  @Override
  protected ResourceID targetSecondaryResourceID(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    return new ResourceID(objectName(BuilderNames.of(builder)), builder.getMetadata().getNamespace());
  }

  @Override
  protected InformerEventSourceConfiguration.Builder<R> informerConfigurationBuilder(EventSourceContext<BuildkitBuilder> context) {
    return super.informerConfigurationBuilder(context).withLabelSelector(BuilderLabels.MANAGED_BY);
  }
}
