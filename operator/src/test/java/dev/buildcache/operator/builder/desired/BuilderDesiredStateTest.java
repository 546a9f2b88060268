package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.kernel.DesiredHash;
import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.testing.Golden;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BuilderDesiredStateTest {

  static BuildkitBuilder customized() {
    return TestBuilders.builder("shared", spec -> {
      spec.setReplicas(3);
      spec.setResources(new ResourceRequirementsBuilder()
          .addToRequests("cpu", new Quantity("2")).addToRequests("memory", new Quantity("8Gi"))
          .addToLimits("memory", new Quantity("16Gi")).build());
      spec.getStorage().setSize("200Gi");
      spec.getStorage().setStorageClassName("gp3");
      spec.getStorage().setRetainOnDelete(false);
      spec.getDrain().setTerminationGracePeriod("30m");
      BuildkitBuilderSpec.SchedulingSpec scheduling = new BuildkitBuilderSpec.SchedulingSpec();
      scheduling.setNodeSelector(Map.of("workload", "ci"));
      scheduling.setTolerations(List.of(new TolerationBuilder().withKey("ci").withOperator("Exists").withEffect("NoSchedule").build()));
      scheduling.setPriorityClassName("ci-builders");
      spec.setScheduling(scheduling);
      BuildkitBuilderSpec.ClientsSpec clients = new BuildkitBuilderSpec.ClientsSpec();
      clients.setNamespaceSelector(new LabelSelectorBuilder().addToMatchLabels("ci", "buildkite").build());
      clients.setPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", "buildkite-agent").build());
      spec.setClients(clients);
    });
  }

  @Test
  void statefulSetDefaults() {
    Golden.assertYaml("statefulset-default.yaml", StatefulSetFactory.statefulSet(TestBuilders.builder("shared"), "cafe"));
  }

  @Test
  void statefulSetCustomized() {
    StatefulSet sts = StatefulSetFactory.statefulSet(customized(), "cafe");
    Golden.assertYaml("statefulset-customized.yaml", sts);
    assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted()).isEqualTo("Delete");
    assertThat(sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(1800L);
  }

  @Test
  void rootfulStatefulSetIsPrivilegedAndUsesRootPaths() {
    StatefulSet sts = StatefulSetFactory.statefulSet(TestBuilders.builder("shared", s -> {
      s.setRootless(false);
      s.setImage("moby/buildkit:v0.23.2");
    }), "cafe");
    Golden.assertYaml("statefulset-rootful.yaml", sts);
    var container = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getSecurityContext().getPrivileged()).isTrue();
    assertThat(container.getArgs()).doesNotContain("--oci-worker-no-process-sandbox");
  }

  @Test
  void drainWaitsForConnectionsWithinTheGracePeriod() {
    String script = StatefulSetFactory.drainScript(900);
    assertThat(script).contains("+ 885 ))").contains(":04D2$").contains("exit 0");
    assertThat(StatefulSetFactory.drainScript(5)).contains("+ 0 ))");
  }

  @Test
  void services() {
    Golden.assertYaml("service-clusterip.yaml", ServiceFactory.clusterIp(TestBuilders.builder("shared")));
    Golden.assertYaml("service-headless.yaml", ServiceFactory.headless(TestBuilders.builder("shared")));
  }

  @Test
  void podDisruptionBudget() {
    Golden.assertYaml("poddisruptionbudget.yaml", PodDisruptionBudgetFactory.podDisruptionBudget(TestBuilders.builder("shared")));
  }

  @Test
  void networkPolicyDefaultsToTheBuildersNamespace() {
    Golden.assertYaml("networkpolicy-default.yaml", NetworkPolicyFactory.networkPolicy(TestBuilders.builder("shared")));
  }

  @Test
  void networkPolicyAdmitsOnlyConfiguredClients() {
    var policy = NetworkPolicyFactory.networkPolicy(customized());
    Golden.assertYaml("networkpolicy-clients.yaml", policy);
    var peer = policy.getSpec().getIngress().get(0).getFrom().get(0);
    assertThat(peer.getNamespaceSelector().getMatchLabels()).containsEntry("ci", "buildkite");
    assertThat(peer.getPodSelector().getMatchLabels()).containsEntry("app", "buildkite-agent");
  }

  /** The metrics port also serves BuildKit's pprof: only the scrapers reach it, never every pod of the cluster. */
  @Test
  void metricsPortAdmitsOnlyScrapers() {
    var defaults = NetworkPolicyFactory.networkPolicy(TestBuilders.builder("shared")).getSpec().getIngress().get(1);
    assertThat(defaults.getPorts().get(0).getPort().getIntVal()).isEqualTo(BuilderNames.METRICS_PORT);
    assertThat(defaults.getFrom()).extracting(p -> p.getNamespaceSelector().getMatchLabels())
        .containsExactly(java.util.Map.of("kubernetes.io/metadata.name", "monitoring"), java.util.Map.of("buildcache.dev/metrics-scraper", "true"));
    var prometheus = new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("team", "observability").build();
    var custom = NetworkPolicyFactory.networkPolicy(TestBuilders.builder("shared", s -> {
      s.setMetrics(new dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.MetricsSpec());
      s.getMetrics().setScrapers(prometheus);
    })).getSpec().getIngress().get(1);
    assertThat(custom.getFrom()).singleElement().satisfies(p -> {
      assertThat(p.getNamespaceSelector()).isEqualTo(prometheus);
      assertThat(p.getPodSelector()).isNull();
    });
  }

  @Test
  void configMap() {
    Golden.assertYaml("configmap.yaml", BuildkitdConfigFactory.configMap(TestBuilders.builder("shared")));
  }

  @Test
  void secretsCarryBase64DataAndLabels() {
    var secret = SecretFactory.secret(BuilderNames.of(TestBuilders.builder("shared")), "shared-client-tls", "client-tls",
        Map.of("ca.pem", "CA", "cert.pem", "CERT", "key.pem", "KEY"));
    Golden.assertYaml("secret-client.yaml", secret);
    assertThat(SecretFactory.value(secret, "cert.pem")).isEqualTo("CERT");
    assertThat(SecretFactory.value(secret, "missing")).isNull();
  }

  @Test
  void namesAndServerCertificateCoverEveryAddress() {
    BuilderNames names = BuilderNames.of(TestBuilders.builder("shared"));
    assertThat(names.endpoint()).isEqualTo("tcp://shared.buildkite.svc:1234");
    assertThat(names.serverDnsNames()).containsExactly(
        "shared", "shared.buildkite", "shared.buildkite.svc", "shared.buildkite.svc.cluster.local",
        "*.shared-pods.buildkite.svc", "*.shared-pods.buildkite.svc.cluster.local", "*.shared.buildkite.buildcache.internal");
  }

  @Test
  void desiredHashIgnoresItsOwnAnnotationAndTracksContent() {
    var a = DesiredHash.stamp(ServiceFactory.clusterIp(TestBuilders.builder("shared")));
    var again = DesiredHash.stamp(DesiredHash.stamp(ServiceFactory.clusterIp(TestBuilders.builder("shared"))));
    var other = DesiredHash.stamp(ServiceFactory.clusterIp(TestBuilders.builder("other")));
    assertThat(DesiredHash.matches(again, a)).isTrue();
    assertThat(DesiredHash.matches(other, a)).isFalse();
    assertThat(DesiredHash.matches(null, a)).isFalse();
  }
}
