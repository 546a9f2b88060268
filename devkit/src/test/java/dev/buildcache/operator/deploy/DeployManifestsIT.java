package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.StatefulSetFactory;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.ecr.EcrRegistryClient;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.demo.CrdSchemaValidator;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.Kustomize;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** deploy/ as a platform team applies it: rendered by kubectl kustomize, checked against the code. */
class DeployManifestsIT {
  static final Path CRDS = Path.of(System.getProperty("buildcache.crds.dir", "../crds"));

  @ParameterizedTest
  @ValueSource(strings = {"base", "eks", "monitoring", "eks-monitoring", "samples"})
  void everyOverlayRendersAndEveryCustomResourceInItValidates(String overlay) throws Exception {
    List<JsonNode> docs = Kustomize.render(overlay);
    assertThat(docs).isNotEmpty().allSatisfy(d -> assertThat(d.path("kind").asText()).isNotBlank());
    for (JsonNode doc : docs) {
      if (doc.path("apiVersion").asText().startsWith("buildcache.dev/")) {
        String file = "BuildkitBuilder".equals(doc.path("kind").asText())
            ? "buildkitbuilders.buildcache.dev-v1.yml" : "cacheprofiles.buildcache.dev-v1.yml";
        assertThat(CrdSchemaValidator.fromCrdFile(CRDS.resolve(file)).validate(doc))
            .as("%s %s in deploy/%s", doc.path("kind").asText(), doc.path("metadata").path("name").asText(), overlay).isEmpty();
      }
    }
  }

  @Test
  void samplesAreOneBuilderAndTwoProfilesOfBothRegistryTypes() throws Exception {
    List<JsonNode> docs = Kustomize.render("samples");
    assertThat(docs).extracting(d -> d.path("kind").asText()).containsExactlyInAnyOrder("BuildkitBuilder", "CacheProfile", "CacheProfile");
    assertThat(docs).filteredOn(d -> "CacheProfile".equals(d.path("kind").asText()))
        .extracting(d -> d.path("spec").path("registry").path("type").asText()).containsExactlyInAnyOrder("ecr", "oci");
  }

  @Test
  void baseShipsTheCommittedCrdsAndARestrictedOperatorDeployment() throws Exception {
    List<JsonNode> docs = Kustomize.render("base");
    for (String crd : List.of("buildkitbuilders.buildcache.dev", "cacheprofiles.buildcache.dev")) {
      JsonNode committed = Serialization.yamlMapper().readTree(Files.readString(CRDS.resolve(crd + "-v1.yml")));
      // numbers compared by value: kustomize writes the generator's 1.0 as 1
      java.util.Comparator<JsonNode> byValue = (a, b) -> a.isNumber() && b.isNumber()
          ? Double.compare(a.doubleValue(), b.doubleValue()) : a.equals(b) ? 0 : 1;
      assertThat(Kustomize.find(docs, "CustomResourceDefinition", crd).path("spec").equals(byValue, committed.path("spec")))
          .as("deploy/base ships the committed %s", crd).isTrue();
    }
    JsonNode deployment = Kustomize.find(docs, "Deployment", "buildcache-operator");
    assertThat(deployment.path("metadata").path("namespace").asText()).isEqualTo("buildcache-system");
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    assertThat(pod.path("serviceAccountName").asText()).isEqualTo("buildcache-operator");
    assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    JsonNode container = pod.path("containers").get(0);
    assertThat(container.path("args").get(0).asText()).isEqualTo("run");
    assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(container.path("securityContext").path("capabilities").path("drop").get(0).asText()).isEqualTo("ALL");
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
    assertThat(container.path("resources").path("limits").path("memory").asText()).isNotBlank();
    assertThat(container.path("env").findValuesAsText("name")).contains("POD_NAME", "POD_NAMESPACE");
    assertThat(Kustomize.find(docs, "Service", "buildcache-operator-metrics").path("spec").path("ports").get(0).path("name").asText())
        .isEqualTo("http");
  }

  @Test
  void eksPolicyGrantsExactlyTheAwsOperationsTheOperatorCalls() throws Exception {
    JsonNode sa = Kustomize.find(Kustomize.render("eks"), "ServiceAccount", "buildcache-operator");
    assertThat(sa.path("metadata").path("annotations").path("eks.amazonaws.com/role-arn").asText()).startsWith("arn:aws:iam::");

    // A full GC against the ECR protocol server, which evaluates every call against this very policy: the
    // exclusion check, list, fetch manifests, re-verify and delete.
    Set<String> called = new TreeSet<>();
    EcrProtocolServer.useTestCredentials();
    try (EcrProtocolServer ecr = new EcrProtocolServer().serveSts()) {
      String config = "application/vnd.buildkit.cacheconfig.v0";
      String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\""
          + config + "\",\"digest\":\"sha256:c\",\"size\":2},\"layers\":[]}";
      ecr.put(manifest, "application/vnd.oci.image.manifest.v1+json", config, Instant.now().minus(Duration.ofDays(30)), null, "cache-old");
      try (EcrRegistryClient client = EcrRegistryClient.create(RepositoryReference.parse(TestProfiles.ECR_REPOSITORY), null, ecr.endpoint())) {
        RetentionPolicy policy = RetentionPolicy.parse(new RetentionPolicy.Raw(List.of("cache-*"), List.of(), "7d", null, 0, "1h", "1d"),
            RetentionPolicy.FieldNames.CLI);
        var report = new GcRunner(java.time.Clock.systemUTC(), line -> {}, new InMemoryGcStateStore()).run(client, TestProfiles.ECR_REPOSITORY, policy, false);
        assertThat(report.deleted()).hasSize(1);
        assertThat(report.pullTimes()).as(report.pullTimesReason()).isEqualTo("refreshed-by-gc");
        // sts:GetCallerIdentity needs no permission ("No permissions are required to perform this operation", STS API reference)
        client.apiCalls().keySet().stream().filter(op -> !op.equals("GetCallerIdentity")).forEach(op -> called.add("ecr:" + op));
      }
    } finally {
      EcrProtocolServer.clearSdkEndpoints();
    }
    // Client bundles of an exposed builder, against the Secrets Manager server, which checks the same policy: created,
    // found current after a restart, updated on renewal.
    try (var secrets = new dev.buildcache.operator.testing.SecretsManagerProtocolServer(java.time.Clock.systemUTC())) {
      String name = dev.buildcache.operator.bundles.BundleSecretNames.of(dev.buildcache.operator.bundles.BundleSecretNames.DEFAULT_TEMPLATE)
          .name("buildkite", "shared", "web");
      for (var bundle : List.of(new dev.buildcache.operator.bundles.ClientBundle("CA", "C1", "K1"),
          new dev.buildcache.operator.bundles.ClientBundle("CA", "C2", "K2"))) {
        try (var publisher = new dev.buildcache.operator.bundles.SecretsManagerPublisher(secrets.endpoint())) {
          publisher.publish("eu-west-1", null, name, "buildkite/shared", "buildkite/web", bundle);
        }
      }
      secrets.calls().forEach(c -> called.add("secretsmanager:" + c.operation()));
    }
    JsonNode policy = new ObjectMapper().readTree(Files.readString(Kustomize.DEPLOY.resolve("eks/iam-policy.json")));
    Set<String> granted = new TreeSet<>();
    policy.path("Statement").forEach(s -> s.path("Action").forEach(a -> granted.add(a.asText())));
    assertThat(granted).isEqualTo(called);
  }

  @Test
  void thePullTimeExclusionTemplateExcludesTheRoleTheOperatorRunsAs() throws Exception {
    JsonNode template = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(Files.readString(Kustomize.DEPLOY.resolve("eks/pull-time-exclusion.cfn.yaml")));
    JsonNode resource = template.path("Resources").path("OperatorPullTimeUpdateExclusion");
    assertThat(resource.path("Type").asText()).isEqualTo("AWS::ECR::PullTimeUpdateExclusion");
    assertThat(resource.path("Properties").path("PrincipalArn").path("Ref").asText()).isEqualTo("OperatorRoleArn");
    // The parameter accepts what RegisterPullTimeUpdateExclusion accepts for a role: with a path, and without.
    Pattern allowed = Pattern.compile(template.path("Parameters").path("OperatorRoleArn").path("AllowedPattern").asText());
    assertThat(allowed.matcher(EcrProtocolServer.GC_ROLE_ARN).matches()).isTrue();
    assertThat(allowed.matcher("arn:aws:iam::123456789012:role/buildcache-operator").matches()).isTrue();
    assertThat(allowed.matcher("arn:aws:sts::123456789012:assumed-role/buildcache-operator/s").matches())
        .as("an assumed-role ARN is not what the exclusion names").isFalse();
    assertThat(Files.readString(Kustomize.DEPLOY.resolve("../docs/getting-started.md")))
        .contains("deploy/eks/pull-time-exclusion.cfn.yaml").contains("aws ecr register-pull-time-update-exclusion");
  }

  static String id(JsonNode doc) {
    return doc.path("kind").asText() + "/" + doc.path("metadata").path("namespace").asText() + "/" + doc.path("metadata").path("name").asText();
  }

  /** What a cluster holds after applying these installs in this order: the last apply of an object wins. */
  static java.util.Map<String, JsonNode> applied(String... overlays) throws Exception {
    java.util.Map<String, JsonNode> cluster = new java.util.LinkedHashMap<>();
    for (String overlay : overlays) {
      Kustomize.render(overlay).forEach(doc -> cluster.put(id(doc), doc));
    }
    return cluster;
  }

  /**
   * deploy/monitoring after deploy/eks used to re-apply base's ServiceAccount without the role ARN, and the next pod
   * lost its AWS identity. Any order, or the one overlay, keeps it; monitoring shares no object with eks but the
   * namespace, and that one identically.
   */
  @Test
  void eksAndMonitoringComposeInAnyOrderAndKeepIrsa() throws Exception {
    String roleArn = "eks.amazonaws.com/role-arn";
    for (java.util.Map<String, JsonNode> cluster : List.of(applied("eks", "monitoring"), applied("monitoring", "eks"), applied("eks-monitoring"))) {
      assertThat(cluster.get("ServiceAccount/buildcache-system/buildcache-operator").path("metadata").path("annotations").path(roleArn).asText())
          .isEqualTo("arn:aws:iam::123456789012:role/buildcache-operator");
      assertThat(cluster).containsKeys("ServiceMonitor/buildcache-system/buildcache-operator", "Deployment/buildcache-system/buildcache-operator");
    }
    assertThat(applied("eks", "monitoring")).isEqualTo(applied("eks-monitoring"));
    java.util.Map<String, JsonNode> eks = applied("eks");
    for (JsonNode doc : Kustomize.render("monitoring")) {
      assertThat(!eks.containsKey(id(doc)) || eks.get(id(doc)).equals(doc)).as("%s is the same in both installs", id(doc)).isTrue();
    }
  }

  /** The account is written in one place: aws-account.env sets the role ARN; the IAM policy says ACCOUNT_ID. */
  @Test
  void theAwsAccountIsSetInOnePlace() throws Exception {
    String env = Files.readString(Kustomize.DEPLOY.resolve("eks/aws-account.env"));
    Matcher account = Pattern.compile("(?m)^ACCOUNT_ID=(\\d{12})$").matcher(env);
    assertThat(account.find()).as(env).isTrue();
    assertThat(Kustomize.find(Kustomize.render("eks"), "ServiceAccount", "buildcache-operator").path("metadata").path("annotations")
        .path("eks.amazonaws.com/role-arn").asText()).isEqualTo("arn:aws:iam::" + account.group(1) + ":role/buildcache-operator");
    assertThat(Kustomize.render("eks")).as("the account ConfigMap is local-config, never applied")
        .noneMatch(d -> d.path("metadata").path("name").asText().equals("buildcache-aws-account"));
    for (String file : List.of("eks/iam-policy.json", "eks/serviceaccount-irsa.yaml", "eks/kustomization.yaml")) {
      assertThat(Files.readString(Kustomize.DEPLOY.resolve(file))).as(file).doesNotContainPattern("\\d{12}");
    }
  }

  /** The operator's metrics label the namespace of what they describe; without honorLabels it became exported_namespace. */
  @Test
  void theServiceMonitorKeepsTheMetricsNamespaceLabel() throws Exception {
    JsonNode serviceMonitor = Kustomize.find(Kustomize.render("monitoring"), "ServiceMonitor", "buildcache-operator");
    assertThat(serviceMonitor.path("spec").path("endpoints")).allSatisfy(e -> assertThat(e.path("honorLabels").asBoolean()).isTrue());
  }

  @Test
  void monitorsPointAtPortsThatExist() throws Exception {
    List<JsonNode> docs = applied("base", "monitoring").values().stream().toList();
    JsonNode serviceMonitor = Kustomize.find(docs, "ServiceMonitor", "buildcache-operator");
    JsonNode service = Kustomize.find(docs, "Service", "buildcache-operator-metrics");
    assertThat(serviceMonitor.path("spec").path("endpoints").get(0).path("port").asText())
        .isEqualTo(service.path("spec").path("ports").get(0).path("name").asText());
    JsonNode podMonitor = Kustomize.find(docs, "PodMonitor", "buildcache-builders");
    String builderPorts = Serialization.asJson(StatefulSetFactory.statefulSet(TestBuilders.builder("shared"), "hash")
        .getSpec().getTemplate().getSpec().getContainers().get(0).getPorts());
    assertThat(builderPorts).contains("\"name\":\"" + podMonitor.path("spec").path("podMetricsEndpoints").get(0).path("port").asText() + "\"");
    Kustomize.find(docs, "ConfigMap", "buildcache-grafana-dashboard");
  }

  @Test
  void alertsAndDashboardUseOnlyMetricsTheOperatorExports() throws Exception {
    List<JsonNode> docs = Kustomize.render("monitoring");
    List<String> expressions = new ArrayList<>();
    Kustomize.find(docs, "PrometheusRule", "buildcache").path("spec").path("groups")
        .forEach(g -> g.path("rules").forEach(r -> expressions.add(r.path("expr").asText())));
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(Kustomize.DEPLOY.resolve("components/monitoring/buildcache-dashboard.json")));
    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));
    dashboard.path("templating").path("list").forEach(v -> expressions.add(v.path("query").path("query").asText()));
    Set<String> referenced = new TreeSet<>();
    Pattern metric = Pattern.compile("\\b(buildcache_[a-z_]+|operator_sdk_[a-z_]+)");
    expressions.forEach(e -> {
      Matcher m = metric.matcher(e);
      while (m.find()) {
        referenced.add(m.group(1));
      }
    });
    assertThat(referenced).hasSizeGreaterThan(10);

    Set<String> exported = scrapeOfARunningOperator();
    assertThat(exported).containsAll(referenced);
  }

  /** Metric names a real operator exports after reconciling a builder and a profile, and one GC run's meters. */
  static Set<String> scrapeOfARunningOperator() {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      OperatorHarness operator = new OperatorHarness(cluster, OperatorHarness.SETTINGS, meters);
      try {
        cluster.client().resource(TestBuilders.builder("shared")).create();
        cluster.client().resource(TestProfiles.profile("app", s -> {})).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          CacheProfile p = cluster.client().resources(CacheProfile.class).inNamespace(TestBuilders.NAMESPACE).withName("app").get();
          return p.getStatus() != null && p.getStatus().getEndpoint() != null
              && meters.scrape().contains("buildcache_builder_profiles{");
        });
        // The GC executor's meters, recorded by the same class on the same registry.
        new ProfileMetrics(meters).gcRun("buildkite", "app", "ecr", "succeeded", Duration.ofSeconds(1), 10L, 20L, 5, false, Instant.now());
        new ProfileMetrics(meters).pullTimes("buildkite", "app", "refreshed-by-gc");
        return meters.scrape().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
            .map(l -> l.replaceAll("[{ ].*", "").replaceAll("_(bucket|count|sum|max)$", "_$1"))
            .flatMap(n -> java.util.stream.Stream.of(n, n.replaceAll("_(bucket|count|sum|max)$", "")))
            .collect(Collectors.toCollection(TreeSet::new));
      } finally {
        operator.close();
      }
    }
  }
}
