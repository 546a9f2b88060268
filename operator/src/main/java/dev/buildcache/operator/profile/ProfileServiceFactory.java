package dev.buildcache.operator.profile;

import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.Map;

/** The per-profile Service: the builder's pod selector narrowed to the one assigned pod. Pure. */
public final class ProfileServiceFactory {
  public static final String COMPONENT = "profile-endpoint";
  public static final String PROFILE_LABEL = "buildcache.dev/cache-profile";
  /** Informers of profile Services select on this, so they do not cache the builders' own Services. */
  public static final String SELECTOR = BuilderLabels.MANAGED_BY + "," + BuilderLabels.COMPONENT_KEY + "=" + COMPONENT;

  private ProfileServiceFactory() {}

  public static Service service(ProfileEndpoint endpoint, String assignedPod) {
    Map<String, String> labels = BuilderLabels.common(endpoint.builder(), COMPONENT);
    labels.put(PROFILE_LABEL, endpoint.profile());
    Map<String, String> selector = BuilderLabels.selector(endpoint.builder());
    selector.put(BuilderLabels.POD_NAME_KEY, assignedPod);
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(endpoint.service())
        .withNamespace(endpoint.namespace())
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(selector)
        .addNewPort().withName("grpc").withPort(BuilderNames.GRPC_PORT).withTargetPort(new IntOrString("grpc")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }
}
