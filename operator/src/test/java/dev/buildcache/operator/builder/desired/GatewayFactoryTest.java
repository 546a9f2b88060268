package dev.buildcache.operator.builder.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayFactoryTest {
  static BuildkitBuilder exposed(java.util.function.Consumer<BuildkitBuilderSpec> more) {
    return TestBuilders.exposed("shared", more);
  }

  @Test
  void theConfigurationAcceptsOnlyThisBuildersProfileNamesAndResolvesTheirServices() {
    String config = GatewayConfigFactory.render(new BuilderNames("shared", "buildkite"), "cluster.local", Duration.ofMinutes(15),
        GatewayConfigFactory.Environment.inPod());
    assertThat(config)
        .contains("bind :1234\n", "bind :8404\n", "parse-resolv-conf\n", "hard-stop-after 900s\n")
        .contains("tcp-request content reject unless { req.ssl_hello_type 1 }")
        .contains("-m reg '^[a-z0-9]([-a-z0-9]*[a-z0-9])?[.]shared[.]buildkite[.]buildcache[.]internal$'")
        .contains("str(shared-),concat(,txn.profile,.buildkite.svc.cluster.local)")
        .contains("server profile 0.0.0.0:1234\n")
        .doesNotContain("ssl crt"); // passthrough: the gateway holds no key
  }

  @Test
  void theConfigurationDependsOnTheBuilderOnlySoProfileChurnNeverRestartsTheGateway() {
    BuildkitBuilder builder = exposed(s -> {});
    String before = ((ConfigMap) GatewayFactory.objects(builder, "cluster.local").get(0)).getData().get(GatewayConfigFactory.FILE);
    builder.getSpec().setReplicas(5);
    String after = ((ConfigMap) GatewayFactory.objects(builder, "cluster.local").get(0)).getData().get(GatewayConfigFactory.FILE);
    assertThat(after).isEqualTo(before);
    assertThat(((ConfigMap) GatewayFactory.objects(builder, "corp.internal").get(0)).getData().get(GatewayConfigFactory.FILE))
        .contains(".buildkite.svc.corp.internal)").isNotEqualTo(before);
  }

  @Test
  void namesThatAreNotDnsNamesAreNeverPutIntoARegularExpression() {
    assertThat(GatewayConfigFactory.literal("a-b.c")).isEqualTo("a-b[.]c");
    assertThatThrownBy(() -> GatewayConfigFactory.literal("a*b")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theGatewayPodsAreNeverSelectedAsBuildersAndRollWithTheirConfiguration() {
    List<HasMetadata> objects = GatewayFactory.objects(exposed(s -> {}), "cluster.local");
    assertThat(objects).extracting(o -> o.getClass().getSimpleName() + "/" + o.getMetadata().getName()).containsExactly(
        "ConfigMap/shared-gateway", "Deployment/shared-gateway", "Service/shared-gateway", "PodDisruptionBudget/shared-gateway",
        "NetworkPolicy/shared-gateway");
    Deployment deployment = (Deployment) objects.get(1);
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels.entrySet().containsAll(BuilderLabels.selector("shared").entrySet()))
        .as("the builder's selector must not match gateway pods").isFalse();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).containsKey(GatewayFactory.CONFIG_HASH_ANNOTATION);
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(900L);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    var container = pod.getContainers().get(0);
    assertThat(container.getImage()).isEqualTo(BuildkitBuilderSpec.ExposureSpec.DEFAULT_GATEWAY_IMAGE);
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getLifecycle().getPreStop().getExec().getCommand()).last().asString().startsWith("kill -USR1 1;");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/usr/local/etc/haproxy"));
    assertThat(((PodDisruptionBudget) objects.get(3)).getSpec().getSelector().getMatchLabels())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void theLoadBalancerIsAnInternalNlbWithIpTargetsLimitedToTheIpBlocks() {
    Service service = (Service) GatewayFactory.objects(exposed(s -> s.getExposure().setServiceAnnotations(
        Map.of("service.beta.kubernetes.io/aws-load-balancer-subnets", "subnet-1,subnet-2"))), "cluster.local").get(2);
    assertThat(service.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(service.getSpec().getLoadBalancerSourceRanges()).containsExactly("10.0.0.0/16");
    assertThat(service.getMetadata().getAnnotations())
        .containsEntry(GatewayFactory.LB_TYPE, "external")
        .containsEntry(GatewayFactory.LB_TARGET_TYPE, "ip")
        .containsEntry(GatewayFactory.LB_SCHEME, "internal")
        .containsEntry(GatewayFactory.LB_HEALTH_PORT, "8404").containsEntry(GatewayFactory.LB_HEALTH_PATH, "/healthz")
        .containsEntry("service.beta.kubernetes.io/aws-load-balancer-subnets", "subnet-1,subnet-2");
    assertThat(service.getSpec().getSelector()).isEqualTo(BuilderLabels.gatewaySelector("shared"));
    Service facing = (Service) GatewayFactory.objects(exposed(s -> s.getExposure().setScheme("internet-facing")), "cluster.local").get(2);
    assertThat(facing.getMetadata().getAnnotations()).containsEntry(GatewayFactory.LB_SCHEME, "internet-facing");
  }

  @Test
  void theGatewayTakesConnectionsFromTheIpBlocksAndTheBuildersFromTheirGateway() {
    BuildkitBuilder builder = exposed(s -> {});
    NetworkPolicy gateway = (NetworkPolicy) GatewayFactory.objects(builder, "cluster.local").get(4);
    assertThat(gateway.getSpec().getIngress()).singleElement().satisfies(rule -> {
      assertThat(rule.getFrom()).extracting(p -> p.getIpBlock().getCidr()).containsExactly("10.0.0.0/16");
      assertThat(rule.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(1234, 8404);
    });
    List<NetworkPolicyPeer> daemons = NetworkPolicyFactory.networkPolicy(builder).getSpec().getIngress().get(0).getFrom();
    assertThat(daemons).filteredOn(p -> p.getIpBlock() != null).extracting(p -> p.getIpBlock().getCidr()).containsExactly("10.0.0.0/16");
    assertThat(daemons).filteredOn(p -> p.getPodSelector() != null && p.getNamespaceSelector() == null)
        .extracting(p -> p.getPodSelector().getMatchLabels()).contains(BuilderLabels.gatewaySelector("shared"));
    List<NetworkPolicyPeer> internal = NetworkPolicyFactory.networkPolicy(TestBuilders.builder("shared")).getSpec().getIngress().get(0).getFrom();
    assertThat(internal).singleElement().satisfies(p -> assertThat(p.getIpBlock()).isNull());
  }

  @Test
  void theServerCertificateCoversEveryProfilesExternalNameWithOneWildcardScopedToTheBuilder() {
    BuilderNames names = new BuilderNames("shared", "buildkite");
    assertThat(names.serverDnsNames()).contains("*.shared.buildkite.buildcache.internal");
    assertThat(names.externalServerName("web")).isEqualTo("web.shared.buildkite.buildcache.internal");
  }
}
