package dev.buildcache.operator.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;

/**
 * CacheProfile and registry GC meters. Counters and timers carry only {@code registry_type} and {@code result};
 * the cache-size gauges carry {@code namespace} and {@code profile}, one series per CacheProfile, a number the
 * platform team sets (one per repository), not traffic.
 */
public class ProfileMetrics {
  private final MeterRegistry registry;
  private final GaugeValues gauges;

  public ProfileMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.gauges = new GaugeValues(registry);
  }

  /** Counts finished reconcile passes: {@code result} is {@code applied} or {@code invalid}. */
  public void reconciled(String result) {
    registry.counter("buildcache_reconciles_total", "controller", "cacheprofile", "result", result).increment();
  }

  /** Profiles whose endpoint was moved off their first-choice replica because it is not ready. */
  public void failedOver(String namespace, String profile, boolean failedOver) {
    set("buildcache_profile_failed_over", Tags.of("namespace", namespace, "profile", profile), failedOver ? 1 : 0,
        "1 while the profile's endpoint points at a replica other than its first choice");
  }

  /**
   * One finished GC run. {@code result} is {@code succeeded}, {@code partially_failed} or {@code failed}; sizes are
   * absent for a run that failed before it could plan.
   */
  public void gcRun(String namespace, String profile, String registryType, String result, Duration took,
      Long bytesAfter, Long budget, long reclaimedBytes, boolean dryRun, Instant finished) {
    Tags type = Tags.of("registry_type", registryType);
    registry.counter("buildcache_gc_runs_total", type.and("result", result)).increment();
    Timer.builder("buildcache_gc_duration_seconds").tags(type).description("Wall time of registry cache GC runs")
        .register(registry).record(took);
    if (!dryRun) {
      registry.counter("buildcache_gc_reclaimed_bytes_total", type).increment(reclaimedBytes);
    }
    Tags tags = Tags.of("namespace", namespace, "profile", profile);
    if (bytesAfter != null) {
      set("buildcache_cache_bytes", tags, bytesAfter, "Unique bytes of the profile's registry cache after the last GC run");
    }
    if (budget != null) {
      set("buildcache_cache_budget_bytes", tags, budget, "The profile's spec.retention.maxTotalSize");
    }
    if ("succeeded".equals(result) || "partially_failed".equals(result)) {
      set("buildcache_gc_last_success_timestamp_seconds", tags, finished.getEpochSecond(),
          "When the profile's last successful GC run finished, seconds since the epoch");
    }
  }

  /** States of {@code buildcache_gc_pull_time_exclusion}, one series each, the current one 1. */
  public static final java.util.List<String> PULL_TIME_STATES = java.util.List.of("excluded", "refreshed-by-gc", "unknown");

  /**
   * ECR: whether the GC's role is a pull-time update exclusion, as the profile's last run found. A state set: the
   * current state's series is 1, the others 0, so {@code == 1} on {@code refreshed-by-gc} or {@code unknown} alerts.
   */
  public void pullTimes(String namespace, String profile, String state) {
    for (String s : PULL_TIME_STATES) {
      set("buildcache_gc_pull_time_exclusion", Tags.of("namespace", namespace, "profile", profile, "state", s), s.equals(state) ? 1 : 0,
          "1 for the state ECR's pull-time update exclusion of the GC's role was found in by the profile's last run");
    }
  }

  /** Drops the per-profile series of profiles that no longer exist. */
  public void retainProfiles(java.util.Set<String> namespacedNames) {
    gauges.removeIf(tags -> {
      String ns = tags.stream().filter(t -> t.getKey().equals("namespace")).map(io.micrometer.core.instrument.Tag::getValue).findFirst().orElse(null);
      String profile = tags.stream().filter(t -> t.getKey().equals("profile")).map(io.micrometer.core.instrument.Tag::getValue).findFirst().orElse(null);
      return ns != null && profile != null && !namespacedNames.contains(ns + "/" + profile);
    });
  }

  private void set(String meter, Tags tags, long value, String description) {
    gauges.set(meter, tags, value, description);
  }

}
