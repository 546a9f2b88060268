package dev.buildcache.operator.metrics;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.tls.TlsMaterial;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Per-builder gauges. The number of builders is set by the platform team, not by traffic, so a {@code builder}
 * tag stays low-cardinality.
 */
public class BuilderMetrics {
  private final MeterRegistry registry;
  private final GaugeValues gauges;

  public BuilderMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.gauges = new GaugeValues(registry);
  }

  /** Counts finished reconcile passes: {@code result} is {@code applied} or {@code invalid}. */
  public void reconciled(String result) {
    registry.counter("buildcache_reconciles_total", "controller", "buildkitbuilder", "result", result).increment();
  }

  public void observe(BuildkitBuilder builder, BuildkitBuilderStatus status, TlsMaterial tls) {
    String namespace = builder.getMetadata().getNamespace();
    String name = builder.getMetadata().getName();
    Tags tags = Tags.of("namespace", namespace, "builder", name);
    set("buildcache_builder_replicas_desired", tags, builder.getSpec().getReplicas(), "Desired buildkitd replicas");
    set("buildcache_builder_replicas_ready", tags, status.getReadyReplicas(), "Ready buildkitd replicas");
    set("buildcache_certificate_expiry_timestamp_seconds", tags.and("certificate", "ca"),
        tls.authority().notAfter().getEpochSecond(), "When the certificate expires, seconds since the epoch");
    set("buildcache_certificate_expiry_timestamp_seconds", tags.and("certificate", "server"),
        tls.server().notAfter().getEpochSecond(), "When the certificate expires, seconds since the epoch");
    set("buildcache_certificate_expiry_timestamp_seconds", tags.and("certificate", "client"),
        tls.client().notAfter().getEpochSecond(), "When the certificate expires, seconds since the epoch");
    if (status.getProfilesPerReplica() != null) {
      status.getProfilesPerReplica().forEach((pod, count) -> set("buildcache_builder_profiles", tags.and("replica", pod), count,
          "CacheProfiles whose sticky endpoint points at this replica"));
    }
  }

  private void set(String meter, Tags tags, long value, String description) {
    gauges.set(meter, tags, value, description);
  }

}
