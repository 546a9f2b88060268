package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.ControllerReference;
import dev.buildcache.operator.builder.desired.DesiredHash;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;

/**
 * The profile's sticky endpoint Service. Like the builder's dependents: server-side apply, a controller owner
 * reference (Kubernetes deletes the Service with the profile), matched on the desired digest so that a converged
 * profile costs no write. What it should be is decided by the reconciler and handed over in the context.
 */
final class ProfileServiceDependentResource extends CRUDKubernetesDependentResource<Service, CacheProfile> {
  static final String DESIRED = "buildcache.dev/profile-service";

  ProfileServiceDependentResource() {
    super(Service.class);
  }

  @Override
  protected Service desired(CacheProfile profile, Context<CacheProfile> context) {
    Service desired = context.managedWorkflowAndDependentResourceContext().getMandatory(DESIRED, Service.class);
    desired.getMetadata().setOwnerReferences(List.of(ControllerReference.to(profile)));
    return DesiredHash.stamp(desired);
  }

  @Override
  public Matcher.Result<Service> match(Service actual, CacheProfile profile, Context<CacheProfile> context) {
    Service desired = desired(profile, context);
    return Matcher.Result.computed(DesiredHash.matches(actual, desired), desired);
  }

  @Override
  protected ResourceID targetSecondaryResourceID(CacheProfile profile, Context<CacheProfile> context) {
    Service desired = context.managedWorkflowAndDependentResourceContext().get(DESIRED, Service.class).orElse(null);
    String name = desired != null ? desired.getMetadata().getName()
        : new ProfileEndpoint(profile.getSpec().getBuilderRef().getName(), profile.getMetadata().getName(),
            profile.getMetadata().getNamespace()).service();
    return new ResourceID(name, profile.getMetadata().getNamespace());
  }

  @Override
  protected InformerEventSourceConfiguration.Builder<Service> informerConfigurationBuilder(EventSourceContext<CacheProfile> context) {
    return super.informerConfigurationBuilder(context).withLabelSelector(ProfileServiceFactory.SELECTOR);
  }
}
