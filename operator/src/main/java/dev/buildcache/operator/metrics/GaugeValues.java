package dev.buildcache.operator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Settable gauges: registered on first use, then only their value changes. */
final class GaugeValues {
  private final MeterRegistry registry;
  private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

  GaugeValues(MeterRegistry registry) {
    this.registry = registry;
  }

  private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();

  void set(String meter, Tags tags, long value, String description) {
    values.computeIfAbsent(meter + tags, k -> {
      AtomicLong holder = new AtomicLong();
      gauges.put(k, Gauge.builder(meter, holder, AtomicLong::get).tags(tags).description(description).register(registry));
      return holder;
    }).set(value);
  }

  /** Removes every gauge whose tags match, so a deleted object's series disappear from /metrics. */
  void removeIf(java.util.function.Predicate<Tags> tags) {
    gauges.entrySet().removeIf(e -> {
      if (!tags.test(Tags.of(e.getValue().getId().getTags()))) {
        return false;
      }
      registry.remove(e.getValue());
      values.remove(e.getKey());
      return true;
    });
  }
}
