package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.kernel.OwnedDependentResource;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The profile's sticky endpoint Service. What it should be is decided by the reconciler and handed over in the
 * context; Kubernetes deletes it with the profile.
 */
final class ProfileServiceDependentResource extends OwnedDependentResource<Service, CacheProfile> {
  static final String DESIRED = "buildcache.dev/profile-service";

  ProfileServiceDependentResource() {
    super(Service.class, ProfileServiceFactory.SELECTOR);
  }

  @Override
  protected Service render(CacheProfile profile, Context<CacheProfile> context) {
    return context.managedWorkflowAndDependentResourceContext().getMandatory(DESIRED, Service.class);
  }

  @Override
  protected String objectName(CacheProfile profile, Context<CacheProfile> context) {
    return context.managedWorkflowAndDependentResourceContext().get(DESIRED, Service.class)
        .map(s -> s.getMetadata().getName())
        .orElseGet(() -> new ProfileEndpoint(profile.getSpec().getBuilderRef().getName(), profile.getMetadata().getName(),
            profile.getMetadata().getNamespace()).service());
  }
}
