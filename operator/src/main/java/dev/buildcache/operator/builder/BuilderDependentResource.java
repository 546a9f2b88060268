package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.kernel.OwnedDependentResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * Base of every object a BuildkitBuilder owns: named from the builder's names (several objects of one kind share
 * an informer and are picked by name), watched only when this operator manages them.
 */
abstract class BuilderDependentResource<R extends HasMetadata> extends OwnedDependentResource<R, BuildkitBuilder> {

  BuilderDependentResource(Class<R> type) {
    super(type, BuilderLabels.MANAGED_BY);
  }

  /** Name of the one object this dependent manages for {@code names}. */
  protected abstract String objectName(BuilderNames names);

  @Override
  protected final String objectName(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    return objectName(BuilderNames.of(builder));
  }
}
