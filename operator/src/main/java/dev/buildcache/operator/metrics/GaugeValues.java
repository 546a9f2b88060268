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

  void set(String meter, Tags tags, long value, String description) {
    values.computeIfAbsent(meter + tags, k -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder(meter, holder, AtomicLong::get).tags(tags).description(description).register(registry);
      return holder;
    }).set(value);
  }
}
