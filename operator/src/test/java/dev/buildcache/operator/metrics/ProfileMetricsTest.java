package dev.buildcache.operator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProfileMetricsTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ProfileMetrics metrics = new ProfileMetrics(registry);

  @Test
  void aGcRunSetsCountersTimerAndTheProfilesGauges() {
    metrics.gcRun("buildkite", "app", "ecr", "succeeded", Duration.ofSeconds(3), 100L, 1000L, 40, false, Instant.ofEpochSecond(1_700_000_000));
    metrics.gcRun("buildkite", "app", "ecr", "failed", Duration.ofSeconds(1), null, null, 0, false, Instant.ofEpochSecond(1_700_000_100));
    assertThat(registry.counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "succeeded").count()).isEqualTo(1);
    assertThat(registry.counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "failed").count()).isEqualTo(1);
    assertThat(registry.counter("buildcache_gc_reclaimed_bytes_total", "registry_type", "ecr").count()).isEqualTo(40);
    assertThat(registry.get("buildcache_gc_duration_seconds").timer().count()).isEqualTo(2);
    assertThat(registry.get("buildcache_cache_bytes").tags("profile", "app").gauge().value()).isEqualTo(100);
    assertThat(registry.get("buildcache_cache_budget_bytes").tags("profile", "app").gauge().value()).isEqualTo(1000);
    assertThat(registry.get("buildcache_gc_last_success_timestamp_seconds").tags("profile", "app").gauge().value())
        .as("a failed run is not a success").isEqualTo(1_700_000_000);
  }

  @Test
  void dryRunsReclaimNothing() {
    metrics.gcRun("buildkite", "app", "oci", "succeeded", Duration.ofSeconds(1), 100L, null, 40, true, Instant.EPOCH);
    assertThat(registry.counter("buildcache_gc_reclaimed_bytes_total", "registry_type", "oci").count()).isZero();
  }

  @Test
  void deletedProfilesLoseTheirSeriesAndOthersKeepThem() {
    metrics.gcRun("buildkite", "app", "ecr", "succeeded", Duration.ofSeconds(1), 100L, 1000L, 0, false, Instant.EPOCH);
    metrics.gcRun("buildkite", "web", "oci", "succeeded", Duration.ofSeconds(1), 200L, 1000L, 0, false, Instant.EPOCH);
    metrics.failedOver("buildkite", "app", true);

    metrics.retainProfiles(Set.of("buildkite/web"));

    assertThat(registry.find("buildcache_cache_bytes").tags("profile", "app").gauge()).isNull();
    assertThat(registry.find("buildcache_profile_failed_over").tags("profile", "app").gauge()).isNull();
    assertThat(registry.get("buildcache_cache_bytes").tags("profile", "web").gauge().value()).isEqualTo(200);
    assertThat(registry.counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "succeeded").count())
        .as("counters are not per profile and stay").isEqualTo(1);
    // a profile that comes back gets its series again
    metrics.failedOver("buildkite", "app", false);
    assertThat(registry.get("buildcache_profile_failed_over").tags("profile", "app").gauge().value()).isZero();
  }
}
