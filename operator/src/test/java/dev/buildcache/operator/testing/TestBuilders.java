package dev.buildcache.operator.testing;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.function.Consumer;

/** Fixture builder: {@code TestBuilders.builder("shared", s -> s.setReplicas(3))}. */
public final class TestBuilders {
  public static final String NAMESPACE = "buildkite";

  private TestBuilders() {}

  public static BuildkitBuilder builder(String name) {
    return builder(name, spec -> {});
  }

  public static BuildkitBuilder builder(String name, Consumer<BuildkitBuilderSpec> customize) {
    BuildkitBuilder builder = new BuildkitBuilder();
    builder.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).withGeneration(1L).build());
    customize.accept(builder.getSpec());
    return builder;
  }

  /** A builder exposed through its gateway to agents in {@code ipBlocks} (default 10.0.0.0/16). */
  public static BuildkitBuilder exposed(String name, Consumer<BuildkitBuilderSpec> customize) {
    return builder(name, s -> {
      BuildkitBuilderSpec.ExposureSpec exposure = new BuildkitBuilderSpec.ExposureSpec();
      exposure.setType(BuildkitBuilderSpec.ExposureSpec.Type.LoadBalancer);
      s.setExposure(exposure);
      BuildkitBuilderSpec.ClientsSpec clients = new BuildkitBuilderSpec.ClientsSpec();
      clients.setIpBlocks(java.util.List.of("10.0.0.0/16"));
      s.setClients(clients);
      customize.accept(s);
    });
  }
}
