package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.gc.state.RepositoryState;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.demo.LocalRegistry;
import dev.buildcache.operator.demo.OciPusher;
import dev.buildcache.operator.demo.OciPusher.Layer;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code buildcache.dev/gc-now} annotation against a real distribution registry, through the real operator. */
class ProfileGcIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final String REPO = "team/app";
  static final Duration WAIT = Duration.ofSeconds(60);

  LocalRegistry registry;
  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;
  String releaseDigest;
  final InMemoryGcStateStore memory = new InMemoryGcStateStore();

  @BeforeEach
  void start() throws Exception {
    assertThat(LocalRegistry.installed()).as("docker-registry on PATH (scripts/test installs it)").isTrue();
    registry = new LocalRegistry();
    OciPusher pusher = new OciPusher(registry.url(), REPO);
    Instant now = Instant.now();
    Layer base = Layer.of("base", 4096);
    // An OCI registry records no times: the operator ages a cache by when it first saw the tag at its digest. Its
    // memory is seeded as if it had watched these pushes; OciGcIT covers how a run records them.
    Map<String, RepositoryState.Sighting> seen = new HashMap<>();
    seen.put("cache-main", sighting(pusher.pushCache("cache-main", now, List.of(base, Layer.of("main", 2000))), now, 30));
    seen.put("cache-feature-a", sighting(pusher.pushCache("cache-feature-a", now, List.of(base, Layer.of("a", 1500))), now, 20));
    seen.put("cache-feature-c", sighting(pusher.pushCache("cache-feature-c", now, List.of(base, Layer.of("c", 1700))), now, 40));
    seen.put("cache-feature-b", sighting(pusher.pushCache("cache-feature-b", now, List.of(base, Layer.of("b", 1300))), now, 3));
    // a release image under a tag the cache pattern matches, old, and sharing the cache's base layer
    releaseDigest = pusher.pushImage("cache-v1", List.of(base, Layer.of("app", 2500)));
    seen.put("cache-v1", sighting(releaseDigest, now, 300));
    try (GcStateStore.Session session = memory.open(registry.host() + "/" + REPO)) {
      session.state().replaceSightings(seen);
    }

    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster, OperatorHarness.SETTINGS.withGcState(memory));
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(1))).create();
    TestPods.createReady(client, "shared", 1);
  }

  static RepositoryState.Sighting sighting(String digest, Instant now, int daysAgo) {
    return new RepositoryState.Sighting(digest, now.minus(Duration.ofDays(daysAgo)));
  }

  @AfterEach
  void stop() throws Exception {
    operator.close();
    cluster.close();
    registry.close();
  }

  CacheProfile profile(Consumer<CacheProfileSpec> more) {
    return TestProfiles.profile("app", s -> {
      s.setRepository(registry.host() + "/" + REPO);
      s.getRegistry().setType(CacheProfileSpec.RegistryType.OCI);
      s.getRegistry().setInsecure(true);
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
      more.accept(s);
    });
  }

  @Test
  void gcNowShrinksTheRegistryToThePolicyAndSaysSoInStatusEventsAndMetrics() {
    client.resource(profile(s -> {})).create();
    await().atMost(WAIT).until(() -> get().getStatus() != null && get().getStatus().getEndpoint() != null);
    assertThat(get().getStatus().getLastGc()).as("nothing runs before the schedule or a request").isNull();

    annotate("2026-11-28T10:00:00Z");

    CacheProfileStatus status = await().atMost(WAIT).until(() -> get().getStatus(),
        s -> s.getLastGc() != null && "2026-11-28T10:00:00Z".equals(s.getLastHandledGcRequest()));
    CacheProfileStatus.GcRunStatus gc = status.getLastGc();
    assertThat(gc.getResult()).isEqualTo("Succeeded");
    assertThat(gc.getTrigger()).isEqualTo("Request");
    assertThat(gc.getDryRun()).isFalse();
    assertThat(gc.getDeletedImages()).isEqualTo(2);
    assertThat(gc.getCacheImages()).isEqualTo(4);
    assertThat(gc.getReclaimedBytes()).isPositive();
    assertThat(gc.getReclaimed()).as("the Reclaimed column").isEqualTo(dev.buildcache.operator.units.Quantities.humanBytes(gc.getReclaimedBytes()));
    assertThat(gc.getBytesAfter()).isEqualTo(gc.getBytesBefore() - gc.getReclaimedBytes());
    assertThat(tags()).as("expired branch caches gone; protected, fresh and release images stay")
        .containsExactly("cache-feature-b", "cache-main", "cache-v1");
    assertThat(digestOf("cache-v1")).isEqualTo(releaseDigest);
    assertThat(Conditions.find(status.getConditions(), ConditionType.GC_SUCCEEDED)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getReason()).isEqualTo("GcCompleted");
    });
    assertThat(events()).filteredOn(e -> "GcCompleted".equals(e.getReason())).singleElement()
        .satisfies(e -> assertThat(e.getMessage()).startsWith("deleted 2 of 4 cache images, reclaimed"));
    assertThat(operator.meters().counter("buildcache_gc_runs_total", "registry_type", "oci", "result", "succeeded").count()).isEqualTo(1);
    assertThat(operator.meters().counter("buildcache_gc_reclaimed_bytes_total", "registry_type", "oci").count())
        .isEqualTo(gc.getReclaimedBytes().doubleValue());
    assertThat(operator.meters().get("buildcache_cache_bytes").tags("namespace", NS, "profile", "app").gauge().value())
        .isEqualTo(gc.getBytesAfter().doubleValue());

    // the same request value is not acted on twice; a new one is
    editProfile(p -> p.getMetadata().getLabels().put("touched", "yes"));
    annotate("again");
    await().atMost(WAIT).until(() -> "again".equals(get().getStatus().getLastHandledGcRequest()));
    assertThat(operator.meters().counter("buildcache_gc_runs_total", "registry_type", "oci", "result", "succeeded").count()).isEqualTo(2);
    assertThat(get().getStatus().getLastGc().getDeletedImages()).isZero();
  }

  @Test
  void dryRunPlansTheSameAndDeletesNothing() {
    client.resource(profile(s -> s.setDryRun(true))).create();
    annotate("1");
    CacheProfileStatus status = await().atMost(WAIT).until(() -> get().getStatus(), s -> s != null && s.getLastGc() != null);
    assertThat(status.getLastGc().getDryRun()).isTrue();
    assertThat(status.getLastGc().getDeletedImages()).isEqualTo(2);
    assertThat(status.getLastGc().getMessage()).startsWith("dry run: would delete 2 of 4 cache images");
    assertThat(tags()).containsExactly("cache-feature-a", "cache-feature-b", "cache-feature-c", "cache-main", "cache-v1");
  }

  @Test
  void anOperatorWithNoMemoryOfTheRepositoryDeletesNothingByAge() {
    operator.close();
    operator = new OperatorHarness(cluster, OperatorHarness.SETTINGS.withGcState(new InMemoryGcStateStore()));
    client.resource(profile(s -> {})).create();
    annotate("after-restart");
    CacheProfileStatus status = await().atMost(WAIT).until(() -> get().getStatus(), s -> s != null && s.getLastGc() != null);
    assertThat(status.getLastGc().getResult()).isEqualTo("Succeeded");
    assertThat(status.getLastGc().getDeletedImages()).as("every tag is seen for the first time").isZero();
    assertThat(status.getLastGc().getPullTimes()).as("OCI records no pull times").isNull();
    assertThat(Conditions.find(status.getConditions(), ConditionType.PULL_TIME_UPDATE_EXCLUDED)).isEmpty();
    assertThat(Conditions.find(status.getConditions(), ConditionType.VALID)).hasValueSatisfying(c ->
        assertThat(c.getMessage()).contains("maxAge counts from when the GC first saw each tag at its digest"));
    assertThat(tags()).hasSize(5);
  }

  @Test
  void missingCredentialsSecretFailsTheRunWithoutTouchingTheRegistry() {
    client.resource(profile(s -> s.getRegistry().setCredentialsSecret("registry-creds"))).create();
    annotate("1");
    CacheProfileStatus status = await().atMost(WAIT).until(() -> get().getStatus(), s -> s != null && s.getLastGc() != null);
    assertThat(status.getLastGc().getResult()).isEqualTo("Failed");
    assertThat(Conditions.find(status.getConditions(), ConditionType.GC_SUCCEEDED)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("GcFailed");
      assertThat(c.getMessage()).contains("Secret buildkite/registry-creds does not exist");
    });
    assertThat(events()).anySatisfy(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getReason()).isEqualTo("GcFailed");
    });
    assertThat(tags()).hasSize(5);
    assertThat(Conditions.isTrue(status.getConditions(), ConditionType.READY)).as("routing is unaffected").isTrue();
  }

  private void annotate(String value) {
    editProfile(p -> p.getMetadata().getAnnotations().put(GcSchedulePlanner.GC_NOW_ANNOTATION, value));
  }

  private void editProfile(Consumer<CacheProfile> change) {
    await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      client.resources(CacheProfile.class).inNamespace(NS).withName("app").edit(p -> {
        if (p.getMetadata().getAnnotations() == null) {
          p.getMetadata().setAnnotations(new java.util.HashMap<>());
        }
        if (p.getMetadata().getLabels() == null) {
          p.getMetadata().setLabels(new java.util.HashMap<>());
        }
        change.accept(p);
        return p;
      });
      return true;
    });
  }

  private CacheProfile get() {
    return client.resources(CacheProfile.class).inNamespace(NS).withName("app").get();
  }

  private List<Event> events() {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> "app".equals(e.getInvolvedObject().getName()))
        .toList();
  }

  private List<String> tags() {
    try (OciRegistryClient c = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true, DockerCredentials.none())) {
      return c.list().images().stream().flatMap(i -> i.tags().stream()).sorted().toList();
    }
  }

  private String digestOf(String tag) {
    try (OciRegistryClient c = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true, DockerCredentials.none())) {
      return c.list().images().stream().filter(i -> i.tags().contains(tag)).findFirst().orElseThrow().digest();
    }
  }
}
