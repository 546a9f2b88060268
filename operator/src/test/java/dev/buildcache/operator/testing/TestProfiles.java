package dev.buildcache.operator.testing;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.function.Consumer;

/**
 * Fixture builder: {@code TestProfiles.profile("app", s -> s.getRetention().setMaxTotalSize("10Gi"))}. Each profile
 * names a repository of its own, {@code ...amazonaws.com/NAME-cache} (one repository, one profile): profile "app"
 * gets {@link #ECR_REPOSITORY}.
 */
public final class TestProfiles {
  public static final String ECR_REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache";

  private TestProfiles() {}

  public static CacheProfile profile(String name, Consumer<CacheProfileSpec> customize) {
    CacheProfile profile = new CacheProfile();
    profile.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(TestBuilders.NAMESPACE).withGeneration(1L).build());
    profile.getSpec().setRepository(ECR_REPOSITORY.substring(0, ECR_REPOSITORY.lastIndexOf('/') + 1) + name + "-cache");
    profile.getSpec().setBuilderRef(new CacheProfileSpec.BuilderRef("shared"));
    customize.accept(profile.getSpec());
    return profile;
  }
}
