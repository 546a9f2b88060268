package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ProfileGcExecutorTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T03:00:00Z"));
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<ResourceID> finishedSignals = new CopyOnWriteArrayList<>();
  final CountDownLatch release = new CountDownLatch(1);
  final AtomicInteger opened = new AtomicInteger();
  volatile RuntimeException failure;

  final RegistryClients clients = new RegistryClients(null, null) {
    @Override
    public RegistryClient open(CacheProfile profile) {
      opened.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
      return new BlockingClient();
    }
  };
  final EventPublisher publisher = (HasMetadata regarding, EventPublisher.Type type, Reason reason, String message) ->
      events.add(type + " " + reason.value() + " " + message);
  final InMemoryGcStateStore state = new InMemoryGcStateStore();
  final ProfileGcExecutor executor = new ProfileGcExecutor(clients, state, publisher, new ProfileMetrics(meters), clock, 2, 10);
  final CacheProfile profile = TestProfiles.profile("app", s -> s.getRetention().setMaxTotalSize("10Gi"));
  final ResourceID id = ResourceID.fromResource(profile);

  {
    executor.onFinished(finishedSignals::add);
  }

  @AfterEach
  void close() {
    release.countDown();
    executor.close();
  }

  @Test
  void oneRunPerProfileAtATimeAndTheLastRunIsKeptWithoutItsReport() throws Exception {
    assertThat(executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null)).isTrue();
    assertThat(executor.isRunning(id)).isTrue();
    assertThat(executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.REQUEST, "x"))
        .as("a second run while the first runs").isFalse();

    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    await().atMost(Duration.ofSeconds(10)).until(() -> !executor.isRunning(id));
    assertThat(finishedSignals).containsExactly(id);

    ProfileGcExecutor.Run run = executor.lastRun(id).orElseThrow();
    assertThat(run.result()).isEqualTo(ProfileGcExecutor.Result.SUCCEEDED);
    assertThat(run.trigger()).isEqualTo(GcSchedulePlanner.Trigger.SCHEDULE);
    assertThat(run.report()).as("per-image lists are not kept").isNull();
    assertThat(run.summary().scannedImages()).isZero();
    assertThat(events).first().asString().startsWith("Normal GcCompleted deleted 0 of 0 cache images");
    assertThat(meters.counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "succeeded").count()).isEqualTo(1);
    assertThat(meters.get("buildcache_cache_budget_bytes").tags("namespace", "buildkite", "profile", "app").gauge().value())
        .isEqualTo(10L * 1024 * 1024 * 1024);
    assertThat(executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.REQUEST, "x")).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> opened.get() == 2);
  }

  @Test
  void aFailedRunIsRecordedWithItsReasonAndAWarning() {
    failure = new RegistryException("spec.registry.credentialsSecret: Secret buildkite/creds does not exist");
    executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    ProfileGcExecutor.Run run = executor.lastRun(id).orElseThrow();
    assertThat(run.result()).isEqualTo(ProfileGcExecutor.Result.FAILED);
    assertThat(run.message()).contains("Secret buildkite/creds does not exist");
    assertThat(run.report()).isNull();
    assertThat(events).singleElement().asString().startsWith("Warning GcFailed registry cache GC failed: spec.registry.credentialsSecret");
    assertThat(meters.counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "failed").count()).isEqualTo(1);
  }

  @Test
  void lastRunsOfDeletedProfilesAreForgotten() {
    release.countDown();
    executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    executor.retainProfiles(java.util.Set.of(id));
    assertThat(executor.lastRun(id)).isPresent();
    executor.retainProfiles(java.util.Set.of());
    assertThat(executor.lastRun(id)).isEmpty();
  }

  @Test
  @Timeout(10)
  void runsDoNotHoldTheCallersThread() throws Exception {
    // submit returns although the registry scan blocks until the end of the test: a synchronous run would hang
    // here and time out. Reconcile threads never wait for a registry.
    executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
    assertThat(executor.isRunning(id)).isTrue();
    assertThat(executor.lastRun(id)).isEmpty();
    assertThat(release.getCount()).isEqualTo(1);
  }

  @Test
  void theMemoryOfRepositoriesNoProfileNamesIsForgotten() {
    release.countDown();
    executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    assertThat(state.size()).isEqualTo(1);
    executor.retainRepositories(java.util.Set.of(TestProfiles.ECR_REPOSITORY));
    assertThat(state.size()).isEqualTo(1);
    executor.retainRepositories(java.util.Set.of());
    assertThat(state.size()).isZero();
  }

  @Test
  void aRepositoryAnotherRunHoldsFailsThisRunWithAMessageAndLeavesTheRegistryAlone() {
    release.countDown();
    try (GcStateStore.Session held = state.open(RepositoryReference.parse(profile.getSpec().getRepository()).toString())) {
      executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    }
    ProfileGcExecutor.Run run = executor.lastRun(id).orElseThrow();
    assertThat(run.result()).isEqualTo(ProfileGcExecutor.Result.FAILED);
    assertThat(run.message()).contains("another GC run is working on " + TestProfiles.ECR_REPOSITORY);
    assertThat(listed.get()).as("the registry was not listed").isZero();
  }

  @Test
  void thePullTimeFindingIsASummaryFieldAndAStateSetMetric() {
    release.countDown();
    pullTimes = new PullTimes(PullTimes.State.REFRESHED_BY_GC, "arn:aws:sts::123456789012:assumed-role/gc/s",
        "the GC's role gc is not a pull-time update exclusion", "aws ecr register-pull-time-update-exclusion ...");
    executor.submit(profile, CacheProfileValidator.policy(profile.getSpec()), GcSchedulePlanner.Trigger.SCHEDULE, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    ProfileGcExecutor.Summary summary = executor.lastRun(id).orElseThrow().summary();
    assertThat(summary.pullTimes()).isEqualTo("refreshed-by-gc");
    assertThat(summary.pullTimesMessage()).contains("not a pull-time update exclusion").contains("register it once: aws ecr");
    assertThat(meters.get("buildcache_gc_pull_time_exclusion").tags("namespace", "buildkite", "profile", "app", "state", "refreshed-by-gc")
        .gauge().value()).isEqualTo(1);
    assertThat(meters.get("buildcache_gc_pull_time_exclusion").tags("namespace", "buildkite", "profile", "app", "state", "excluded")
        .gauge().value()).isZero();
  }

  @Test
  void aProfileDeletedWhileItsGcRunsStopsItBeforeItDeletes() {
    release.countDown();
    expiredImage = true;
    executor.profilesExist(id -> false); // deleted meanwhile: the reconciler's cache no longer has it
    executor.submit(TestProfiles.profile("app", s -> s.getRetention().setMaxAge("14d")),
        CacheProfileValidator.policy(TestProfiles.profile("app", s -> s.getRetention().setMaxAge("14d")).getSpec()),
        GcSchedulePlanner.Trigger.SCHEDULE, null);
    await().atMost(Duration.ofSeconds(10)).until(() -> executor.lastRun(id).isPresent());
    assertThat(deletes).isEmpty();
    assertThat(executor.lastRun(id).orElseThrow().summary().deletedImages()).isZero();
  }

  volatile boolean expiredImage;
  final List<String> deletes = new CopyOnWriteArrayList<>();
  final AtomicInteger listed = new AtomicInteger();
  volatile PullTimes pullTimes = PullTimes.unknown(null, "not checked in this test");

  final class BlockingClient implements RegistryClient {
    @Override public String registryType() { return "ecr"; }
    @Override public Listing list() {
      listed.incrementAndGet();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new Listing(expiredImage ? List.of(new ListedImage("sha256:old", List.of("cache-old"),
          clock.instant().minus(Duration.ofDays(40)), null, "application/vnd.oci.image.manifest.v1+json")) : List.of(), List.of());
    }
    @Override public boolean listsUntagged() { return true; }
    @Override public boolean readsArePulls() { return true; }
    @Override public boolean refusesDeletingReferencedManifests() { return true; }
    @Override public List<ManifestRead> read(List<String> digests) {
      return digests.stream().map(d -> ManifestRead.read(d, new dev.buildcache.operator.registry.ManifestFacts(
          "application/vnd.oci.image.manifest.v1+json", true, 100, List.of(), List.of()))).toList();
    }
    @Override public Listing reread(Collection<String> digests) { return new Listing(List.of(), List.of()); }
    @Override public List<DeleteOutcome> delete(List<String> digests) {
      deletes.addAll(digests);
      return digests.stream().map(DeleteOutcome::deleted).toList();
    }
    @Override public PullTimes pullTimes() { return pullTimes; }
    @Override public Map<String, Integer> apiCalls() { return Map.of(); }
    @Override public void close() {}
  }
}
