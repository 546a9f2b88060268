package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.ClientsSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;

/**
 * Admits gRPC only from {@code spec.clients} (default: every pod of the builder's namespace; plus its ipBlocks and, when
 * exposed, the builder's gateway) and the metrics port only
 * from {@code spec.metrics.scrapers} (default: the namespace named {@code monitoring} and namespaces labelled
 * {@code buildcache.dev/metrics-scraper=true}): buildkitd serves {@code /debug/pprof} and {@code /debug/requests} on the
 * same port as {@code /metrics}, with no way to split them. mTLS is the real gate for gRPC; this keeps the daemons off
 * everyone else's network path.
 */
public final class NetworkPolicyFactory {
  private NetworkPolicyFactory() {}

  public static NetworkPolicy networkPolicy(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return new NetworkPolicyBuilder()
        .withNewMetadata()
        .withName(names.networkPolicy())
        .withNamespace(names.namespace())
        .withLabels(BuilderLabels.common(names.name(), "builder"))
        .endMetadata()
        .withNewSpec()
        .withNewPodSelector().withMatchLabels(BuilderLabels.selector(names.name())).endPodSelector()
        .withPolicyTypes("Ingress")
        .addNewIngress()
        .withFrom(clients(builder))
        .addNewPort().withProtocol("TCP").withPort(new IntOrString(BuilderNames.GRPC_PORT)).endPort()
        .endIngress()
        .addNewIngress()
        .withFrom(scrapers(builder.getSpec().getMetrics()))
        .addNewPort().withProtocol("TCP").withPort(new IntOrString(BuilderNames.METRICS_PORT)).endPort()
        .endIngress()
        .endSpec()
        .build();
  }

  /** Label of the namespaces allowed to scrape by default, besides the one named monitoring. */
  public static final String SCRAPER_LABEL = "buildcache.dev/metrics-scraper";

  static java.util.List<NetworkPolicyPeer> scrapers(dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.MetricsSpec metrics) {
    if (metrics != null && metrics.getScrapers() != null) {
      return java.util.List.of(new NetworkPolicyPeerBuilder().withNamespaceSelector(metrics.getScrapers()).build());
    }
    return java.util.List.of(
        new NetworkPolicyPeerBuilder().withNewNamespaceSelector()
            .addToMatchLabels("kubernetes.io/metadata.name", "monitoring").endNamespaceSelector().build(),
        new NetworkPolicyPeerBuilder().withNewNamespaceSelector()
            .addToMatchLabels(SCRAPER_LABEL, "true").endNamespaceSelector().build());
  }

  /**
   * Who may open gRPC connections: the selected pods, the ipBlocks, and, on an exposed builder, its gateway pods
   * (which forward the builds of agents outside the cluster).
   */
  static java.util.List<NetworkPolicyPeer> clients(BuildkitBuilder builder) {
    ClientsSpec clients = builder.getSpec().getClients();
    java.util.List<NetworkPolicyPeer> peers = new java.util.ArrayList<>();
    peers.add(clientPeer(clients));
    if (clients != null && clients.getIpBlocks() != null) {
      clients.getIpBlocks().forEach(cidr -> peers.add(new NetworkPolicyPeerBuilder()
          .withIpBlock(new io.fabric8.kubernetes.api.model.networking.v1.IPBlockBuilder().withCidr(cidr).build()).build()));
    }
    if (builder.getSpec().exposed()) {
      peers.add(new NetworkPolicyPeerBuilder().withNewPodSelector()
          .withMatchLabels(BuilderLabels.gatewaySelector(builder.getMetadata().getName())).endPodSelector().build());
    }
    return peers;
  }

  private static NetworkPolicyPeer clientPeer(ClientsSpec clients) {
    LabelSelector everyPod = new LabelSelector();
    if (clients == null || (clients.getNamespaceSelector() == null && clients.getPodSelector() == null)) {
      return new NetworkPolicyPeerBuilder().withPodSelector(everyPod).build();
    }
    // Both selectors in one peer: pods matching podSelector inside namespaces matching namespaceSelector.
    return new NetworkPolicyPeerBuilder()
        .withNamespaceSelector(clients.getNamespaceSelector())
        .withPodSelector(clients.getPodSelector() != null ? clients.getPodSelector() : everyPod)
        .build();
  }
}
