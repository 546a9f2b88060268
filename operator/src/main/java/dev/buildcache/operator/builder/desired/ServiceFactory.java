package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/** The load-balanced ClusterIP Service (the builder's endpoint) and the headless Service (per-pod DNS). */
public final class ServiceFactory {
  private ServiceFactory() {}

  public static Service clusterIp(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return service(names, names.service()).editSpec().withType("ClusterIP").endSpec().build();
  }

  public static Service headless(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return service(names, names.headlessService()).editSpec()
        .withClusterIP("None")
        // Per-pod DNS must resolve before a pod is ready, so that the operator and probes can address it.
        .withPublishNotReadyAddresses(true)
        .endSpec().build();
  }

  private static ServiceBuilder service(BuilderNames names, String name) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(names.namespace())
        .withLabels(BuilderLabels.common(names.name(), "builder"))
        .endMetadata()
        .withNewSpec()
        .withSelector(BuilderLabels.selector(names.name()))
        .addNewPort().withName("grpc").withPort(BuilderNames.GRPC_PORT).withTargetPort(new IntOrString("grpc")).withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withPort(BuilderNames.METRICS_PORT).withTargetPort(new IntOrString("metrics")).withProtocol("TCP").endPort()
        .endSpec();
  }
}
