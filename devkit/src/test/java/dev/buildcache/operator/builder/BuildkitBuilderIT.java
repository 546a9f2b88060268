package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuildkitdConfigFactory;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real operator against the in-process Kubernetes API: what a user would see. */
class BuildkitBuilderIT {
  private static final String NS = TestBuilders.NAMESPACE;

  private KubernetesTestCluster cluster;
  private KubernetesClient client;
  private OperatorHarness operator;

  @BeforeEach
  void start() {
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster);
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
  }

  @Test
  void createsEveryOwnedObjectWithOwnerReferencesAndLabels() {
    BuildkitBuilder created = client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<HasMetadata> owned = ownedObjects("shared");
      assertThat(owned).hasSize(8).doesNotContainNull();
      for (HasMetadata object : owned) {
        assertThat(object.getMetadata().getOwnerReferences())
            .as("owner references of %s %s", object.getKind(), object.getMetadata().getName())
            .singleElement()
            .satisfies(ref -> {
              assertThat(ref.getUid()).isEqualTo(created.getMetadata().getUid());
              assertThat(ref.getKind()).isEqualTo("BuildkitBuilder");
              assertThat(ref.getController()).isTrue();
            });
        assertThat(object.getMetadata().getLabels())
            .containsEntry(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE)
            .containsEntry(BuilderLabels.INSTANCE_KEY, "shared")
            .containsKey(BuilderLabels.NAME_KEY);
      }
    });
    // The CA is kept in the operator's namespace, out of the tenants' reach: owned by labels, as no owner reference
    // may cross namespaces; nothing named like it is left in the builder's namespace.
    io.fabric8.kubernetes.api.model.Secret ca = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".shared.ca").get(), java.util.Objects::nonNull);
    assertThat(ca.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(ca.getMetadata().getLabels()).containsEntry("buildcache.dev/owner-namespace", NS)
        .containsEntry("buildcache.dev/owner-name", "shared").containsEntry(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE);
    assertThat(ca.getData()).containsKeys("ca.crt", "ca.key");
    assertThat(client.secrets().inNamespace(NS).list().getItems()).extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder("shared-server-tls", "shared-client-tls");
    assertThat(client.secrets().inNamespace(NS).list().getItems()).allSatisfy(s -> assertThat(s.getData()).doesNotContainKey("ca.key"));
    BuildkitBuilder builder = await().atMost(Duration.ofSeconds(30)).until(() -> get("shared"), b -> b.getStatus() != null);
    assertThat(builder.getStatus().getEndpoint()).isEqualTo("tcp://shared.buildkite.svc:1234");
    assertThat(builder.getStatus().getServerName()).isEqualTo("shared.buildkite.svc");
    assertThat(builder.getStatus().getClientSecretName()).isEqualTo("shared-client-tls");
    assertThat(builder.getStatus().getObservedGeneration()).isEqualTo(builder.getMetadata().getGeneration());
    assertThat(builder.getStatus().getCertificates().getServerNotAfter()).isNotBlank();
    assertThat(Conditions.isTrue(builder.getStatus().getConditions(), ConditionType.CERTIFICATES_READY)).isTrue();
    assertThat(Conditions.find(builder.getStatus().getConditions(), ConditionType.READY))
        .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("ReplicasNotReady"));
    assertThat(client.apps().statefulSets().inNamespace(NS).withName("shared").get().getSpec().getReplicas()).isEqualTo(3);
  }

  @Test
  void deletedServiceComesBack() {
    client.resource(TestBuilders.builder("shared")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> service("shared") != null);
    String firstUid = service("shared").getMetadata().getUid();

    client.services().inNamespace(NS).withName("shared").delete();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Service again = service("shared");
      assertThat(again).isNotNull();
      assertThat(again.getMetadata().getUid()).isNotEqualTo(firstUid);
    });
  }

  @Test
  void replicasAndGcChangesReachStatefulSetAndToml() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> statefulSet("shared") != null);
    String hashBefore = configHash("shared");

    editSpec("shared", b -> {
      b.getSpec().setReplicas(4);
      b.getSpec().getGc().setMaxUsedSpace("50Gi");
      b.getSpec().getGc().setKeepDuration("72h");
    });

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(statefulSet("shared").getSpec().getReplicas()).isEqualTo(4);
      String toml = client.configMaps().inNamespace(NS).withName("shared-config").get().getData().get(BuildkitdConfigFactory.KEY);
      assertThat(toml).contains("maxUsedSpace = \"53687091200\"").contains("keepDuration = \"72h\"");
      assertThat(configHash("shared")).as("config change rolls the pods").isNotEqualTo(hashBefore);
    });
  }

  @Test
  void readyWhenStatefulSetReportsReadyReplicas() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> statefulSet("shared") != null);

    markReady("shared", 2);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      BuildkitBuilder builder = get("shared");
      assertThat(builder.getStatus()).isNotNull();
      assertThat(builder.getStatus().getReadyReplicas()).isEqualTo(2);
      assertThat(Conditions.find(builder.getStatus().getConditions(), ConditionType.READY)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("AllReplicasReady");
        assertThat(c.getObservedGeneration()).isEqualTo(builder.getMetadata().getGeneration());
      });
      assertThat(Conditions.find(builder.getStatus().getConditions(), ConditionType.PROGRESSING))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
      assertThat(events("shared")).extracting(Event::getReason).contains("AllReplicasReady");
    });
  }

  @Test
  void invalidSpecGetsConditionAndEventWhileOthersReconcile() {
    // the CRD admits any duration here (its schema has no bound for it); the operator's validator allows at most 24h
    client.resource(TestBuilders.builder("broken", s -> s.getDrain().setTerminationGracePeriod("48h"))).create();
    client.resource(TestBuilders.builder("healthy")).create();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      BuildkitBuilder broken = get("broken");
      assertThat(broken.getStatus()).isNotNull();
      assertThat(Conditions.find(broken.getStatus().getConditions(), ConditionType.DEGRADED)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("InvalidSpec");
        assertThat(c.getMessage()).contains("spec.drain.terminationGracePeriod").contains("must be at most 24h");
      });
      assertThat(events("broken")).anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo("InvalidSpec");
        assertThat(e.getType()).isEqualTo("Warning");
      });
      assertThat(statefulSet("healthy")).isNotNull();
      assertThat(get("healthy").getStatus()).isNotNull();
      assertThat(get("healthy").getStatus().getEndpoint()).isEqualTo("tcp://healthy.buildkite.svc:1234");
    });
    assertThat(statefulSet("broken")).as("nothing is created for an invalid spec").isNull();
    assertThat(client.secrets().inNamespace(NS).withName("broken-ca").get()).isNull();

    editSpec("broken", b -> b.getSpec().getDrain().setTerminationGracePeriod("15m"));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(statefulSet("broken")).isNotNull();
      assertThat(Conditions.find(get("broken").getStatus().getConditions(), ConditionType.DEGRADED))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
    });
  }

  @Test
  void steadyStatePassMakesNoWrites() {
    for (String name : List.of("a", "b", "c")) {
      client.resource(TestBuilders.builder(name, s -> s.setReplicas(2))).create();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> List.of("a", "b", "c").stream().allMatch(n -> {
      BuildkitBuilder b = get(n);
      return b.getStatus() != null && statefulSet(n) != null;
    }));
    List.of("a", "b", "c").forEach(n -> markReady(n, 2));
    await().atMost(Duration.ofSeconds(30)).until(() -> List.of("a", "b", "c").stream()
        .allMatch(n -> Conditions.isTrue(get(n).getStatus().getConditions(), ConditionType.READY)));

    // A fresh operator resyncs every builder from scratch: a full reconcile pass over converged state.
    operator.close();
    int before = cluster.dispatcher().writeCount();
    operator = new OperatorHarness(cluster);
    await().atMost(Duration.ofSeconds(30)).until(() -> reconciles(operator) >= 3);
    // and a change to a watched secondary object triggers another pass per builder
    List.of("a", "b", "c").forEach(n -> client.configMaps().inNamespace(NS).withName(n + "-config")
        .edit(cm -> { cm.getMetadata().getLabels().put("touched", "true"); return cm; }));
    int touched = cluster.dispatcher().writeCount();
    await().atMost(Duration.ofSeconds(30)).until(() -> reconciles(operator) >= 6);

    assertThat(cluster.dispatcher().writesSince(before).subList(0, touched - before - 3))
        .as("writes by the operator during the resync pass; events %s; statuses %s",
            client.v1().events().inNamespace(NS).list().getItems().stream()
                .map(e -> e.getInvolvedObject().getName() + ":" + e.getReason() + ":" + e.getMessage()).toList(),
            List.of("a", "b", "c").stream().map(n -> io.fabric8.kubernetes.client.utils.Serialization.asJson(get(n).getStatus())).toList())
        .isEmpty();
    assertThat(cluster.dispatcher().writesSince(touched)).as("writes by the operator after a secondary changed").isEmpty();
  }

  @Test
  void aLostCaSecretIsAWarningAndTheOldCaStaysTrustedWhileTheNewOneIsPublished() throws Exception {
    client.resource(TestBuilders.builder("shared")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> get("shared").getStatus() != null
        && client.secrets().inNamespace(NS).withName("shared-client-tls").get() != null);
    String oldCa = caValue("ca.crt");
    String oldServerCertificate = secretValue("shared-server-tls", "cert.pem");

    // Lost while no operator holds it in memory (a running one may put back the CA it still has cached, which is
    // as good but not this test), and found an hour later, so the new CA's notAfter in the status differs and the
    // status is written. That write loses to another writer (as on a busy server): the Warning must not go with
    // it, since the pass after it finds the new CA in place and has nothing more to say.
    operator.close();
    client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".shared.ca").delete();
    String statusPath = "/apis/buildcache.dev/v1alpha1/namespaces/" + NS + "/buildkitbuilders/shared/status";
    cluster.dispatcher().conflictOnNextWrites(statusPath, 1);
    operator = new OperatorHarness(cluster, java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(1)));

    Event lost = await().atMost(Duration.ofSeconds(30)).until(() -> events("shared").stream()
        .filter(e -> "CertificateAuthorityLost".equals(e.getReason())).findFirst().orElse(null), java.util.Objects::nonNull);
    assertThat(lost.getType()).isEqualTo("Warning");
    assertThat(cluster.dispatcher().faultsPending(statusPath)).as("the status write that lost the race").isZero();
    assertThat(lost.getMessage()).contains("Secret " + NS + ".shared.ca was missing or unusable")
        .contains("recovered from the ca.pem of shared-server-tls and shared-client-tls")
        .contains("agents outside the cluster must fetch shared-client-tls");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String newCa = caValue("ca.crt");
      assertThat(newCa).isNotNull().isNotEqualTo(oldCa);
      // both bundles trust the new and the old CA; the server keeps its certificate until the publish delay ends
      for (String secret : List.of("shared-server-tls", "shared-client-tls")) {
        assertThat(dev.buildcache.operator.tls.Pem.certificates(secretValue(secret, "ca.pem")))
            .containsExactly(dev.buildcache.operator.tls.Pem.certificate(newCa), dev.buildcache.operator.tls.Pem.certificate(oldCa));
      }
      assertThat(secretValue("shared-server-tls", "cert.pem")).isEqualTo(oldServerCertificate);
    });
  }

  /**
   * Upgrading from a version that kept the CA in the builder's namespace ({@code <builder>-ca}): the CA is moved, the
   * same certificate and key, and the old Secret deleted; no certificate changes, so no agent notices.
   */
  @Test
  void aCaKeptInTheBuildersNamespaceByAnEarlierVersionIsMovedNotReplaced() throws Exception {
    client.resource(TestBuilders.builder("shared")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> caValue("ca.key") != null
        && client.secrets().inNamespace(NS).withName("shared-client-tls").get() != null);
    String caCert = caValue("ca.crt");
    String serverCert = secretValue("shared-server-tls", "cert.pem");
    operator.close();
    // what an earlier version left: the CA beside the other Secrets, owned by the builder
    io.fabric8.kubernetes.api.model.Secret moved = client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".shared.ca").get();
    client.secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
        .withName("shared-ca").withNamespace(NS)
        .withLabels(java.util.Map.of(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE, BuilderLabels.INSTANCE_KEY, "shared",
            BuilderLabels.COMPONENT_KEY, "certificate-authority", BuilderLabels.NAME_KEY, "buildkitd"))
        .withOwnerReferences(dev.buildcache.operator.kernel.ControllerReference.to(get("shared")))
        .endMetadata().withData(moved.getData()).build()).create();
    client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".shared.ca").delete();

    operator = new OperatorHarness(cluster);
    await().atMost(Duration.ofSeconds(30)).until(() -> caValue("ca.crt") != null
        && client.secrets().inNamespace(NS).withName("shared-ca").get() == null);
    assertThat(caValue("ca.crt")).as("the same CA").isEqualTo(caCert);
    assertThat(secretValue("shared-server-tls", "cert.pem")).as("nothing re-issued").isEqualTo(serverCert);
    assertThat(events("shared")).noneMatch(e -> "CertificateAuthorityLost".equals(e.getReason()));
  }

  /**
   * A builder deleted while no operator ran: its CA Secret, where no owner reference reaches, is deleted. Only when
   * the API server confirms the builder is gone: a failed read keeps the CA, and fails no builder's pass.
   */
  @Test
  void theCaOfABuilderThatIsGoneIsDeletedAndNoOtherOne() throws Exception {
    client.resource(TestBuilders.builder("shared")).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> caValue("ca.key") != null);
    operator.close();
    for (String gone : List.of("gone", "also-gone", "unconfirmed")) {
      client.secrets().inNamespace(OperatorHarness.NAMESPACE).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
          .withNewMetadata().withName(NS + "." + gone + ".ca").withNamespace(OperatorHarness.NAMESPACE)
          .withLabels(java.util.Map.of(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE,
              BuilderLabels.COMPONENT_KEY, "certificate-authority", "buildcache.dev/owner-namespace", NS, "buildcache.dev/owner-name", gone))
          .endMetadata().addToData("ca.crt", "eA==").build()).create();
    }
    String unconfirmed = "/apis/buildcache.dev/v1alpha1/namespaces/" + NS + "/buildkitbuilders/unconfirmed";
    cluster.dispatcher().forbidNextReads(unconfirmed, 1);
    operator = new OperatorHarness(cluster);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.secrets().inNamespace(OperatorHarness.NAMESPACE)
        .withName(NS + ".gone.ca").get() == null && client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".also-gone.ca").get() == null
        && cluster.dispatcher().faultsPending(unconfirmed) == 0);
    assertThat(caValue("ca.key")).as("the existing builder's CA stays").isNotNull();
    assertThat(client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".unconfirmed.ca").get())
        .as("its builder could not be confirmed gone").isNotNull();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Conditions.find(get("shared").getStatus().getConditions(),
        ConditionType.DEGRADED)).hasValueSatisfying(c -> assertThat(c.getStatus()).as(c.getMessage()).isEqualTo("False")));
    assertThat(events("shared")).as("housekeeping fails no pass").noneMatch(e -> "ReconcileError".equals(e.getReason()));
  }

  private String caValue(String key) {
    io.fabric8.kubernetes.api.model.Secret s = client.secrets().inNamespace(OperatorHarness.NAMESPACE).withName(NS + ".shared.ca").get();
    return s == null || s.getData() == null || s.getData().get(key) == null ? null
        : new String(java.util.Base64.getDecoder().decode(s.getData().get(key)), java.nio.charset.StandardCharsets.UTF_8);
  }

  private String secretValue(String secret, String key) {
    io.fabric8.kubernetes.api.model.Secret s = client.secrets().inNamespace(NS).withName(secret).get();
    if (s == null || s.getData() == null || s.getData().get(key) == null) {
      return null;
    }
    return new String(java.util.Base64.getDecoder().decode(s.getData().get(key)), java.nio.charset.StandardCharsets.UTF_8);
  }

  static double reconciles(OperatorHarness operator) {
    return operator.meters().counter("buildcache_reconciles_total", "controller", "buildkitbuilder", "result", "applied").count();
  }

  /** Spec edits from a test race with the operator's status writes; retry on conflict like kubectl would. */
  private void editSpec(String name, java.util.function.Consumer<BuildkitBuilder> change) {
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, BuildkitBuilder.class, NS, name, change);
  }

  private void markReady(String name, int replicas) {
    dev.buildcache.operator.testing.TestPods.markStatefulSetReady(client, name, replicas);
  }

  private List<HasMetadata> ownedObjects(String name) {
    return java.util.Arrays.asList(
        client.secrets().inNamespace(NS).withName(name + "-server-tls").get(),
        client.secrets().inNamespace(NS).withName(name + "-client-tls").get(),
        client.configMaps().inNamespace(NS).withName(name + "-config").get(),
        service(name),
        service(name + "-pods"),
        statefulSet(name),
        client.resources(PodDisruptionBudget.class).inNamespace(NS).withName(name).get(),
        client.resources(NetworkPolicy.class).inNamespace(NS).withName(name).get());
  }

  private BuildkitBuilder get(String name) {
    return client.resources(BuildkitBuilder.class).inNamespace(NS).withName(name).get();
  }

  private Service service(String name) {
    return client.services().inNamespace(NS).withName(name).get();
  }

  private StatefulSet statefulSet(String name) {
    return client.apps().statefulSets().inNamespace(NS).withName(name).get();
  }

  private String configHash(String name) {
    return statefulSet(name).getSpec().getTemplate().getMetadata().getAnnotations().get("buildcache.dev/config-hash");
  }

  private List<Event> events(String name) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
