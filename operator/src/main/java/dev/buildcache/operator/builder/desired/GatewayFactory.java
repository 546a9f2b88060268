package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.ExposureSpec;
import dev.buildcache.operator.kernel.DesiredHash;
import dev.buildcache.operator.units.Durations;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlockBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an exposed builder owns for agents outside the cluster: the gateway's configuration (see
 * {@link GatewayConfigFactory}), its Deployment, the load balancer Service in front of it, a PodDisruptionBudget and a
 * NetworkPolicy admitting {@code spec.clients.ipBlocks}. Pure.
 *
 * <p>The Service carries the AWS Load Balancer Controller's annotations for a Network Load Balancer with IP targets
 * (the gateway pods directly, no node hop) and the internal scheme unless the spec says otherwise; its
 * {@code loadBalancerSourceRanges} are the ipBlocks, which the controller turns into the NLB's security group rules.
 */
public final class GatewayFactory {
  public static final String CONTAINER = "haproxy";
  public static final String CONFIG_HASH_ANNOTATION = "buildcache.dev/gateway-config-hash";
  public static final String LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type";
  public static final String LB_TARGET_TYPE = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type";
  public static final String LB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme";
  public static final String LB_CROSS_ZONE = "service.beta.kubernetes.io/aws-load-balancer-attributes";
  public static final String LB_HEALTH_PORT = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port";
  public static final String LB_HEALTH_PROTOCOL = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol";
  public static final String LB_HEALTH_PATH = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path";
  /** The official HAProxy image runs as user haproxy, uid 99. */
  static final long HAPROXY_UID = 99;

  private GatewayFactory() {}

  /** Every gateway object, in the order they are applied; the names are those {@link #names} lists. */
  public static List<HasMetadata> objects(BuildkitBuilder builder, String clusterDomain) {
    String config = GatewayConfigFactory.render(BuilderNames.of(builder), clusterDomain, drain(builder),
        GatewayConfigFactory.Environment.inPod());
    return List.of(configMap(builder, config), deployment(builder, DesiredHash.sha256(config)), service(builder),
        podDisruptionBudget(builder), networkPolicy(builder));
  }

  /** The kinds and names of the gateway objects: what a builder no longer exposed deletes. */
  public static Map<Class<? extends HasMetadata>, String> names(BuilderNames names) {
    Map<Class<? extends HasMetadata>, String> all = new LinkedHashMap<>();
    all.put(ConfigMap.class, names.gateway());
    all.put(Deployment.class, names.gateway());
    all.put(Service.class, names.gateway());
    all.put(PodDisruptionBudget.class, names.gateway());
    all.put(NetworkPolicy.class, names.gateway());
    return all;
  }

  static Duration drain(BuildkitBuilder builder) {
    return Durations.parse(builder.getSpec().getDrain().getTerminationGracePeriod());
  }

  static ConfigMap configMap(BuildkitBuilder builder, String config) {
    BuilderNames names = BuilderNames.of(builder);
    return new ConfigMapBuilder()
        .withNewMetadata().withName(names.gateway()).withNamespace(names.namespace())
        .withLabels(BuilderLabels.gatewayCommon(names.name())).endMetadata()
        .addToData(GatewayConfigFactory.FILE, config)
        .build();
  }

  static Deployment deployment(BuildkitBuilder builder, String configHash) {
    BuilderNames names = BuilderNames.of(builder);
    ExposureSpec exposure = builder.getSpec().getExposure();
    long graceSeconds = drain(builder).toSeconds();
    BuildkitBuilderSpec.SchedulingSpec scheduling = builder.getSpec().getScheduling();
    return new DeploymentBuilder()
        .withNewMetadata().withName(names.gateway()).withNamespace(names.namespace())
        .withLabels(BuilderLabels.gatewayCommon(names.name())).endMetadata()
        .withNewSpec()
        .withReplicas(exposure.getGatewayReplicas())
        .withNewSelector().withMatchLabels(BuilderLabels.gatewaySelector(names.name())).endSelector()
        // One new pod up before an old one stops taking connections: the load balancer always has a target.
        .withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
        .withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(0)).endRollingUpdate().endStrategy()
        .withNewTemplate()
        .withNewMetadata().withLabels(BuilderLabels.gatewayCommon(names.name()))
        .addToAnnotations(CONFIG_HASH_ANNOTATION, configHash).endMetadata()
        .withNewSpec()
        .withTerminationGracePeriodSeconds(graceSeconds)
        .withEnableServiceLinks(false)
        .withAutomountServiceAccountToken(false)
        .withNodeSelector(scheduling == null ? null : scheduling.getNodeSelector())
        .withTolerations(scheduling == null ? null : scheduling.getTolerations())
        .withTopologySpreadConstraints(
            spread(names, "topology.kubernetes.io/zone"), spread(names, "kubernetes.io/hostname"))
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(HAPROXY_UID).withRunAsGroup(HAPROXY_UID)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .addNewContainer()
        .withName(CONTAINER)
        .withImage(exposure.getGatewayImage())
        // Master-worker, logs to stdout; the image's entrypoint does the same, named here so any HAProxy image works.
        .withCommand("haproxy", "-W", "-db", "-f", GatewayConfigFactory.DIRECTORY + "/" + GatewayConfigFactory.FILE)
        .addNewPort().withName("grpc").withContainerPort(BuilderNames.GRPC_PORT).withProtocol("TCP").endPort()
        .addNewPort().withName("health").withContainerPort(GatewayConfigFactory.HEALTH_PORT).withProtocol("TCP").endPort()
        .withResources(exposure.getGatewayResources() != null ? exposure.getGatewayResources() : defaultResources())
        .withNewReadinessProbe().withNewHttpGet().withPath(GatewayConfigFactory.HEALTH_PATH)
        .withPort(new IntOrString("health")).endHttpGet().withPeriodSeconds(5).withFailureThreshold(2).endReadinessProbe()
        .withNewLivenessProbe().withNewHttpGet().withPath(GatewayConfigFactory.HEALTH_PATH)
        .withPort(new IntOrString("health")).endHttpGet().withPeriodSeconds(10).withFailureThreshold(6).endLivenessProbe()
        // Kubernetes stops a container with SIGTERM, which HAProxy takes as "stop now"; SIGUSR1 is its soft stop: stop
        // listening, let running builds finish (up to hard-stop-after), then exit.
        .withNewLifecycle().withNewPreStop().withNewExec()
        .withCommand("/bin/sh", "-c", "kill -USR1 1; while kill -0 1 2>/dev/null; do sleep 1; done")
        .endExec().endPreStop().endLifecycle()
        .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
        .addNewVolumeMount().withName("config").withMountPath(GatewayConfigFactory.DIRECTORY).withReadOnly(true).endVolumeMount()
        .endContainer()
        .addNewVolume().withName("config").withNewConfigMap().withName(names.gateway()).endConfigMap().endVolume()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static io.fabric8.kubernetes.api.model.TopologySpreadConstraint spread(BuilderNames names, String key) {
    return new TopologySpreadConstraintBuilder().withMaxSkew(1).withTopologyKey(key).withWhenUnsatisfiable("ScheduleAnyway")
        .withNewLabelSelector().withMatchLabels(BuilderLabels.gatewaySelector(names.name())).endLabelSelector().build();
  }

  static ResourceRequirements defaultResources() {
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("50m")).addToRequests("memory", new Quantity("64Mi"))
        .addToLimits("memory", new Quantity("256Mi"))
        .build();
  }

  static Service service(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    ExposureSpec exposure = builder.getSpec().getExposure();
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(LB_TYPE, "external");
    annotations.put(LB_TARGET_TYPE, "ip");
    annotations.put(LB_SCHEME, exposure.getScheme());
    // Two gateway pods in two zones: every NLB node must reach both.
    annotations.put(LB_CROSS_ZONE, "load_balancing.cross_zone.enabled=true");
    // Health from HAProxy's monitor, not a TCP connect to the TLS port (which every check would hold for the
    // inspect delay and log as a refused connection).
    annotations.put(LB_HEALTH_PORT, String.valueOf(GatewayConfigFactory.HEALTH_PORT));
    annotations.put(LB_HEALTH_PROTOCOL, "HTTP");
    annotations.put(LB_HEALTH_PATH, GatewayConfigFactory.HEALTH_PATH);
    if (exposure.getServiceAnnotations() != null) {
      annotations.putAll(exposure.getServiceAnnotations());
    }
    return new ServiceBuilder()
        .withNewMetadata().withName(names.gateway()).withNamespace(names.namespace())
        .withLabels(BuilderLabels.gatewayCommon(names.name())).withAnnotations(annotations).endMetadata()
        .withNewSpec()
        .withType("LoadBalancer")
        .withSelector(BuilderLabels.gatewaySelector(names.name()))
        .withLoadBalancerSourceRanges(ipBlocks(builder))
        .addNewPort().withName("grpc").withPort(BuilderNames.GRPC_PORT).withTargetPort(new IntOrString("grpc")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  static PodDisruptionBudget podDisruptionBudget(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata().withName(names.gateway()).withNamespace(names.namespace())
        .withLabels(BuilderLabels.gatewayCommon(names.name())).endMetadata()
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(BuilderLabels.gatewaySelector(names.name())).endSelector()
        .endSpec()
        .build();
  }

  /**
   * The gateway takes builds, and the load balancer's health checks, from spec.clients.ipBlocks only: with IP targets
   * the NLB connects from its own addresses in the VPC, which the ipBlocks (the VPC's CIDR) must include.
   */
  static NetworkPolicy networkPolicy(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    List<NetworkPolicyPeer> from = ipBlocks(builder).stream()
        .map(cidr -> new NetworkPolicyPeerBuilder().withIpBlock(new IPBlockBuilder().withCidr(cidr).build()).build())
        .toList();
    return new NetworkPolicyBuilder()
        .withNewMetadata().withName(names.gateway()).withNamespace(names.namespace())
        .withLabels(BuilderLabels.gatewayCommon(names.name())).endMetadata()
        .withNewSpec()
        .withNewPodSelector().withMatchLabels(BuilderLabels.gatewaySelector(names.name())).endPodSelector()
        .withPolicyTypes("Ingress")
        .addNewIngress()
        .withFrom(from)
        .addNewPort().withProtocol("TCP").withPort(new IntOrString(BuilderNames.GRPC_PORT)).endPort()
        .addNewPort().withProtocol("TCP").withPort(new IntOrString(GatewayConfigFactory.HEALTH_PORT)).endPort()
        .endIngress()
        .endSpec()
        .build();
  }

  static List<String> ipBlocks(BuildkitBuilder builder) {
    BuildkitBuilderSpec.ClientsSpec clients = builder.getSpec().getClients();
    return clients == null || clients.getIpBlocks() == null ? List.of() : clients.getIpBlocks();
  }
}
