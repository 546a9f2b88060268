package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.routing.RendezvousRouter;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real operator against the in-process Kubernetes API: profiles, their endpoints and their status. */
class CacheProfileIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;

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

  static CacheProfile bounded(String name, Consumer<CacheProfileSpec> more) {
    return TestProfiles.profile(name, s -> {
      s.getRetention().setMaxTotalSize("100Gi");
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
      more.accept(s);
    });
  }

  @Test
  void aServiceNameTakenByAnotherProfileIsAConditionAndAWarningNotAnOverwrite() {
    // builder a + profile b-c and builder a-b + profile c both want Service a-b-c
    for (String builder : List.of("a", "a-b")) {
      client.resource(TestBuilders.builder(builder, s -> s.setReplicas(1))).create();
      TestPods.createReady(client, builder, 1);
    }
    client.resource(bounded("b-c", s -> s.setBuilderRef(new CacheProfileSpec.BuilderRef("a")))).create();
    await().atMost(WAIT).until(() -> client.services().inNamespace(NS).withName("a-b-c").get() != null
        && get("b-c").getStatus() != null && Conditions.isTrue(get("b-c").getStatus().getConditions(), ConditionType.READY));
    String firstOwner = client.services().inNamespace(NS).withName("a-b-c").get().getMetadata().getOwnerReferences().get(0).getName();
    client.resource(bounded("c", s -> s.setBuilderRef(new CacheProfileSpec.BuilderRef("a-b")))).create();

    CacheProfile loser = await().atMost(WAIT).until(() -> get("c"), p -> p.getStatus() != null
        && Conditions.find(p.getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED).map(c -> "ObjectNameTaken".equals(c.getReason())).orElse(false));
    assertThat(Conditions.find(loser.getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getMessage()).contains("Service buildkite/a-b-c exists and is controlled by CacheProfile b-c")
          .contains("rename one of them");
    });
    assertThat(Conditions.isTrue(loser.getStatus().getConditions(), ConditionType.READY)).isFalse();
    await().atMost(WAIT).until(() -> events("c").stream().anyMatch(e -> "ObjectNameTaken".equals(e.getReason()) && "Warning".equals(e.getType())));
    assertThat(client.services().inNamespace(NS).withName("a-b-c").get().getMetadata().getOwnerReferences().get(0).getName())
        .as("the first profile keeps its Service").isEqualTo(firstOwner);
    assertThat(Conditions.isTrue(get("b-c").getStatus().getConditions(), ConditionType.READY)).isTrue();
  }

  @Test
  void aBuilderEditThatItsValidatorRefusesMovesNoProfileAndFixingItNeedsNothingMore() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    TestPods.createReady(client, "shared", 3);
    await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(NS).withName("shared").get() != null);
    TestPods.markStatefulSetReady(client, "shared", 3);
    client.resource(bounded("app", s -> {})).create();
    CacheProfile routed = await().atMost(WAIT).until(() -> get("app"),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY));
    String replica = routed.getStatus().getAssignedReplica();
    String agentConfig = routed.getStatus().getAgentConfig();

    // the CRD allows at most 64 replicas today; a builder edited under an older CRD can have more
    cluster.underOlderCrd(BuildkitBuilder.class, () -> editBuilder("shared", b -> b.getSpec().setReplicas(1000)));
    await().atMost(WAIT).until(() -> {
      BuildkitBuilder b = client.resources(BuildkitBuilder.class).inNamespace(NS).withName("shared").get();
      return b.getStatus() != null && Conditions.find(b.getStatus().getConditions(), ConditionType.DEGRADED)
          .map(c -> "InvalidSpec".equals(c.getReason())).orElse(false);
    });
    // a pass of the profile after the bad edit still routes it where it was
    editProfile("app", p -> p.getMetadata().getLabels().put("touched", "1"));
    await().atMost(WAIT).until(() -> "1".equals(get("app").getMetadata().getLabels().get("touched")));
    await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> replica.equals(get("app").getStatus().getAssignedReplica()));
    assertThat(get("app").getStatus().getAgentConfig()).isEqualTo(agentConfig);

    editBuilder("shared", b -> b.getSpec().setReplicas(3));
    await().atMost(WAIT).until(() -> {
      BuildkitBuilder b = client.resources(BuildkitBuilder.class).inNamespace(NS).withName("shared").get();
      return Conditions.find(b.getStatus().getConditions(), ConditionType.DEGRADED).map(c -> "False".equals(c.getStatus())).orElse(false);
    });
    assertThat(get("app").getStatus().getAssignedReplica()).isEqualTo(replica);
  }

  void editBuilder(String name, Consumer<BuildkitBuilder> change) {
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, BuildkitBuilder.class, NS, name, change);
  }

  void editProfile(String name, Consumer<CacheProfile> change) {
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, CacheProfile.class, NS, name, p -> {
      if (p.getMetadata().getLabels() == null) {
        p.getMetadata().setLabels(new java.util.HashMap<>());
      }
      change.accept(p);
    });
  }

  @Test
  void aProfileNamedLikeTheBuildersPodServiceIsInvalid() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(1))).create();
    TestPods.createReady(client, "shared", 1);
    client.resource(bounded("pods", s -> {})).create();
    CacheProfile profile = await().atMost(WAIT).until(() -> get("pods"), p -> p.getStatus() != null
        && Conditions.find(p.getStatus().getConditions(), ConditionType.VALID).isPresent());
    assertThat(Conditions.find(profile.getStatus().getConditions(), ConditionType.VALID)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getMessage()).contains("metadata.name").contains("shared-pods");
    });
    await().atMost(WAIT).until(() -> client.services().inNamespace(NS).withName("shared-pods").get() != null);
    assertThat(client.services().inNamespace(NS).withName("shared-pods").get().getSpec().getClusterIP())
        .as("the builder's headless Service is untouched").isEqualTo("None");
  }

  @Test
  void eachProfileAnnouncesWhatAUserActsOnOnceAndNothingRoutine() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    List<String> names = java.util.stream.IntStream.range(0, 8).mapToObj(i -> "app" + i).toList();
    // every assignment changes the builder's status, which triggers a pass of every profile of the builder: passes
    // that race with each profile's own status writes
    TestPods.createReady(client, "shared", 3);
    names.forEach(n -> client.resource(bounded(n, s -> {})).create());
    await().atMost(WAIT).until(() -> names.stream().allMatch(n -> {
      CacheProfile p = get(n);
      return p.getStatus() != null && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY);
    }));
    operator.close(); // no pass after this point; what was announced is final

    for (String name : names) {
      List<Event> events = events(name);
      assertThat(events).as("events of %s", name).allSatisfy(e -> assertThat(e.getCount()).as("%s %s", e.getReason(), e.getMessage()).isEqualTo(1));
      assertThat(events).extracting(Event::getReason).as("events of %s", name)
          .doesNotContain("SpecValid", "NoFindings", "AsExpected")
          .containsOnlyOnce("Assigned");
    }
  }

  @Test
  void profileGetsItsServiceEndpointAndRenderedConfig() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    TestPods.createReady(client, "shared", 3);
    client.resource(bounded("app", s -> {})).create();
    String expectedPod = "shared-" + RendezvousRouter.ranking("buildkite/app", 3).get(0);

    CacheProfile profile = await().atMost(WAIT).until(() -> get("app"),
        p -> p.getStatus() != null && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY));
    assertThat(profile.getStatus().getEndpoint()).isEqualTo("tcp://shared-app.buildkite.svc:1234");
    assertThat(profile.getStatus().getAssignedReplica()).isEqualTo(expectedPod);
    // as the docker-compose plugin takes them: SERVICE:-prefixed, the branch tag required at upload
    String branchTag = "${BUILDCACHE_BRANCH_TAG?set by the buildcache agent environment hook}";
    assertThat(profile.getStatus().getCacheFrom()).containsExactly(
        "app:type=registry,ref=" + TestProfiles.ECR_REPOSITORY + ":cache-" + branchTag,
        "app:type=registry,ref=" + TestProfiles.ECR_REPOSITORY + ":cache-main");
    assertThat(profile.getStatus().getCacheTo()).isEqualTo("app:type=registry,ref=" + TestProfiles.ECR_REPOSITORY
        + ":cache-" + branchTag + ",mode=max,image-manifest=true,oci-mediatypes=true,compression=zstd");
    assertThat(profile.getStatus().getAgentConfig())
        .contains("remote-address: tcp://shared-app.buildkite.svc:1234")
        .contains("servername=shared.buildkite.svc")
        .contains("driver: remote");
    assertThat(profile.getStatus().getBuildx().getCreate())
        .matches("docker buildx create --name buildcache-buildkite-app-[0-9a-f]{8} --driver remote --driver-opt "
            + "cacert=/etc/buildcache/certs/ca\\.pem,cert=/etc/buildcache/certs/cert\\.pem,key=/etc/buildcache/certs/key\\.pem,"
            + "servername=shared\\.buildkite\\.svc tcp://shared-app\\.buildkite\\.svc:1234");
    String builderName = profile.getStatus().getBuildx().getCreate().split(" ")[4];
    assertThat(profile.getStatus().getAgentConfig()).contains("name: " + builderName);
    assertThat(profile.getStatus().getBuildx().getBuild()).startsWith("docker buildx build --builder " + builderName + " --cache-from ")
        .contains("--cache-to " + profile.getStatus().getCacheTo().substring("app:".length()));
    assertThat(profile.getStatus().getObservedGeneration()).isEqualTo(profile.getMetadata().getGeneration());
    assertThat(profile.getStatus().getNextGcTime()).endsWith("T03:00:00Z");
    for (ConditionType type : List.of(ConditionType.VALID, ConditionType.BUILDER_ASSIGNED, ConditionType.LINT_CLEAN)) {
      assertThat(Conditions.isTrue(profile.getStatus().getConditions(), type)).as(type.type()).isTrue();
    }

    Service service = service("shared-app");
    assertThat(service.getSpec().getSelector())
        .containsEntry(BuilderLabels.POD_NAME_KEY, expectedPod)
        .containsEntry(BuilderLabels.INSTANCE_KEY, "shared");
    assertThat(service.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> {
      assertThat(ref.getKind()).isEqualTo("CacheProfile");
      assertThat(ref.getUid()).isEqualTo(profile.getMetadata().getUid());
      assertThat(ref.getController()).isTrue();
    });

    await().atMost(WAIT).untilAsserted(() -> assertThat(profilesPerReplica("shared"))
        .containsEntry(expectedPod, 1)
        .hasSize(3)
        .satisfies(m -> assertThat(m.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1)));
  }

  @Test
  void endpointFailsOverToTheNextReplicaAndComesBack() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    TestPods.createReady(client, "shared", 3);
    client.resource(bounded("app", s -> {})).create();
    List<Integer> ranking = RendezvousRouter.ranking("buildkite/app", 3);
    String first = "shared-" + ranking.get(0);
    String second = "shared-" + ranking.get(1);
    await().atMost(WAIT).until(() -> selectedPod("shared-app"), first::equals);

    TestPods.setReady(client, first, false);

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(selectedPod("shared-app")).isEqualTo(second);
      CacheProfile p = withStatus("app");
      assertThat(p.getStatus().getAssignedReplica()).isEqualTo(second);
      assertThat(Conditions.find(p.getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED))
          .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("FailedOver"));
      assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY)).isTrue();
      // the rendered config names the warm replica, not the stand-in, so agents' snippets do not churn
      assertThat(p.getStatus().getAgentConfig()).contains("replica " + first);
    });

    TestPods.setReady(client, first, true);

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(selectedPod("shared-app")).isEqualTo(first);
      assertThat(Conditions.find(withStatus("app").getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED))
          .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Assigned"));
    });
  }

  @Test
  @SuppressWarnings("unchecked")
  void badProfileBesideGoodOnesIsTheOnlyOneInvalid() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    TestPods.createReady(client, "shared", 2);
    client.resource(bounded("good-a", s -> {})).create();
    // "ztsd" is refused by today's CRD schema; a profile stored under an older CRD still has it
    Map<String, Object> raw = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(
        bounded("bad", s -> s.setSchedule("0 3 * *")), Map.class);
    ((Map<String, Map<String, Object>>) raw.get("spec")).get("cache").put("compression", "ztsd");
    cluster.underOlderCrd(CacheProfile.class, () -> client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile")
        .inNamespace(NS).resource(io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(raw,
            io.fabric8.kubernetes.api.model.GenericKubernetesResource.class)).create());
    client.resource(bounded("good-b", s -> {})).create();

    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile bad = withStatus("bad");
      assertThat(bad.getStatus()).isNotNull();
      assertThat(Conditions.find(bad.getStatus().getConditions(), ConditionType.VALID)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("InvalidSpec");
        assertThat(c.getMessage()).contains("spec.cache.compression").contains("ztsd is a common typo").contains("spec.schedule");
      });
      assertThat(Conditions.isTrue(bad.getStatus().getConditions(), ConditionType.READY)).isFalse();
      assertThat(bad.getStatus().getEndpoint()).isNull();
      assertThat(bad.getStatus().getNextGcTime()).isNull();
      assertThat(events("bad")).anySatisfy(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getReason()).isEqualTo("InvalidSpec");
      });
      for (String good : List.of("good-a", "good-b")) {
        CacheProfile p = withStatus(good);
        assertThat(p.getStatus()).isNotNull();
        assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY)).as(good).isTrue();
        assertThat(service("shared-" + good)).as(good).isNotNull();
      }
    });
    assertThat(service("shared-bad")).isNull();
  }

  @Test
  void missingBuilderIsReportedAndRecoversWhenItAppears() {
    client.resource(bounded("app", s -> s.setBuilderRef(new CacheProfileSpec.BuilderRef("later")))).create();
    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile p = withStatus("app");
      assertThat(p.getStatus()).isNotNull();
      assertThat(Conditions.find(p.getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("BuilderNotFound");
        assertThat(c.getMessage()).contains("buildkite/later").contains("spec.builderRef.name");
      });
      assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.VALID)).isTrue();
      assertThat(p.getStatus().getEndpoint()).isNull();
    });

    client.resource(TestBuilders.builder("later", s -> s.setReplicas(2))).create();
    TestPods.createReady(client, "later", 2);

    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile p = withStatus("app");
      assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.BUILDER_ASSIGNED)).isTrue();
      assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY)).isTrue();
      assertThat(p.getStatus().getEndpoint()).isEqualTo("tcp://later-app.buildkite.svc:1234");
      assertThat(service("later-app")).isNotNull();
    });
  }

  @Test
  void scalingTheBuilderMovesAssignmentsAsTheHashingSays() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    TestPods.createReady(client, "shared", 3);
    List<String> names = java.util.stream.IntStream.range(0, 24).mapToObj(i -> "repo-" + i).toList();
    names.forEach(n -> client.resource(bounded(n, s -> {})).create());
    await().atMost(WAIT).untilAsserted(() -> assertThat(assignments(names)).isEqualTo(expected(names, 3)));
    Map<String, String> before = assignments(names);

    // the operator writes the builder's status meanwhile: retry a 409 as kubectl would
    editBuilder("shared", b -> b.getSpec().setReplicas(4));
    client.resource(TestPods.pod("shared", 3, true)).create();

    await().atMost(WAIT).untilAsserted(() -> assertThat(assignments(names)).isEqualTo(expected(names, 4)));
    Map<String, String> after = assignments(names);
    Set<String> moved = new HashSet<>();
    names.forEach(n -> {
      if (!before.get(n).equals(after.get(n))) {
        moved.add(n);
        assertThat(after.get(n)).as("%s moved, and only to the new replica", n).isEqualTo("shared-3");
      }
    });
    assertThat(moved).isNotEmpty();
    names.forEach(n -> assertThat(selectedPod("shared-" + n)).isEqualTo(after.get(n)));
    await().atMost(WAIT).untilAsserted(() -> assertThat(profilesPerReplica("shared"))
        .containsEntry("shared-3", moved.size()));
  }

  @Test
  void invalidEditKeepsTheEndpointAndRecovers() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    TestPods.createReady(client, "shared", 2);
    client.resource(bounded("app", s -> {})).create();
    await().atMost(WAIT).until(() -> service("shared-app") != null && get("app").getStatus() != null
        && get("app").getStatus().getEndpoint() != null);

    edit("app", p -> p.getSpec().setSchedule("every day"));

    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile p = withStatus("app");
      assertThat(p.getStatus()).isNotNull();
      assertThat(Conditions.find(p.getStatus().getConditions(), ConditionType.VALID))
          .hasValueSatisfying(c -> assertThat(c.getMessage()).contains("spec.schedule"));
      assertThat(p.getStatus().getObservedGeneration()).isEqualTo(p.getMetadata().getGeneration());
    });
    // loses nothing: agents keep building against the endpoint while the spec is fixed
    assertThat(service("shared-app")).isNotNull();
    assertThat(get("app").getStatus().getEndpoint()).isEqualTo("tcp://shared-app.buildkite.svc:1234");

    edit("app", p -> p.getSpec().setSchedule("30 4 * * *"));
    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile p = withStatus("app");
      assertThat(Conditions.isTrue(p.getStatus().getConditions(), ConditionType.VALID)).isTrue();
      assertThat(p.getStatus().getNextGcTime()).endsWith("T04:30:00Z");
    });
  }

  @Test
  void lintFindingsBecomeAConditionAndEvents() {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(1))).create();
    client.resource(TestProfiles.profile("app", s -> s.getRetention().setMinAge("1m"))).create();

    await().atMost(WAIT).untilAsserted(() -> {
      CacheProfile p = withStatus("app");
      assertThat(p.getStatus()).isNotNull();
      assertThat(Conditions.find(p.getStatus().getConditions(), ConditionType.LINT_CLEAN)).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("LintWarnings");
        assertThat(c.getMessage()).contains("unbounded-retention").contains("min-age-too-short");
      });
      assertThat(events("app")).filteredOn(e -> "LintWarnings".equals(e.getReason()))
          .singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).startsWith("2 findings: (1) warning ")
                .contains("min-age-too-short").contains("unbounded-retention").contains("fix:");
          });
    });
  }

  private Map<String, String> assignments(List<String> names) {
    Map<String, String> out = new java.util.TreeMap<>();
    names.forEach(n -> {
      CacheProfile p = get(n);
      out.put(n, p == null || p.getStatus() == null ? null : p.getStatus().getAssignedReplica());
    });
    return out;
  }

  private static Map<String, String> expected(List<String> names, int replicas) {
    Map<String, String> out = new java.util.TreeMap<>();
    names.forEach(n -> out.put(n, new BuilderNames("shared", NS).pod(RendezvousRouter.ranking(NS + "/" + n, replicas).get(0))));
    return out;
  }

  private void edit(String name, Consumer<CacheProfile> change) {
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, CacheProfile.class, NS, name, change);
  }

  private String selectedPod(String service) {
    Service s = service(service);
    return s == null ? null : s.getSpec().getSelector().get(BuilderLabels.POD_NAME_KEY);
  }

  /** The profile once it has a status; an AssertionError before, which Awaitility retries. */
  CacheProfile withStatus(String name) {
    CacheProfile p = get(name);
    assertThat(p).as("CacheProfile %s", name).isNotNull();
    assertThat(p.getStatus()).as("status of CacheProfile %s", name).isNotNull();
    return p;
  }

  CacheProfile get(String name) {
    return client.resources(CacheProfile.class).inNamespace(NS).withName(name).get();
  }

  Map<String, Integer> profilesPerReplica(String builder) {
    BuildkitBuilder b = builder(builder);
    assertThat(b.getStatus()).as("status of BuildkitBuilder %s", builder).isNotNull();
    return b.getStatus().getProfilesPerReplica();
  }

  BuildkitBuilder builder(String name) {
    return client.resources(BuildkitBuilder.class).inNamespace(NS).withName(name).get();
  }

  Service service(String name) {
    return client.services().inNamespace(NS).withName(name).get();
  }

  List<Event> events(String name) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
