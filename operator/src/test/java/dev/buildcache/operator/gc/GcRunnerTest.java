package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.registry.ManifestFacts;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GcRunnerTest {
  static final Instant NOW = Instant.parse("2026-06-01T03:00:00Z");

  @Test
  void aCancelledRunFinishesTheBatchInFlightAndSendsNoOther() {
    GcScannerTest.FakeClient ecr = new GcScannerTest.FakeClient(true);
    for (int i = 0; i < 250; i++) {
      String digest = String.format("sha256:%064d", i);
      ecr.manifests.put(digest, new ManifestFacts(GcScannerTest.MANIFEST, true, 100, List.of(), List.of()));
      ecr.listed.add(new RegistryClient.ListedImage(digest, List.of("cache-" + i), NOW.minus(Duration.ofDays(40)), null,
          GcScannerTest.MANIFEST));
    }
    RetentionPolicy policy = TestImages.policy(p -> p.maxAge = "14d");
    // the operator starts shutting down while the first batch is being deleted
    GcReport report = new GcRunner(new MutableClock(NOW), line -> {}, new InMemoryGcStateStore())
        .run(ecr, "r", policy, false, () -> !ecr.deleteBatches.isEmpty());
    assertThat(ecr.deleteBatches).hasSize(1);
    assertThat(ecr.deleteBatches.get(0)).hasSize(100);
    assertThat(report.deleted()).hasSize(100);
    assertThat(report.skipped()).filteredOn(s -> s.reason().equals("Cancelled")).hasSize(150);
    assertThat(report.failed()).isEmpty();
  }

  @Test
  void aRunCancelledBeforeItsReReadDeletesNothing() {
    GcScannerTest.FakeClient ecr = new GcScannerTest.FakeClient(true);
    ecr.manifests.put("sha256:a", new ManifestFacts(GcScannerTest.MANIFEST, true, 100, List.of(), List.of()));
    ecr.listed.add(new RegistryClient.ListedImage("sha256:a", List.of("cache-a"), NOW.minus(Duration.ofDays(40)), null, GcScannerTest.MANIFEST));
    GcReport report = new GcRunner(new MutableClock(NOW), line -> {}, new InMemoryGcStateStore())
        .run(ecr, "r", TestImages.policy(p -> p.maxAge = "14d"), false, () -> true);
    assertThat(ecr.deleteBatches).isEmpty();
    assertThat(report.deleted()).isEmpty();
    assertThat(report.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).isEqualTo("Cancelled"));
  }
}
