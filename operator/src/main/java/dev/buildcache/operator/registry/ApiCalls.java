package dev.buildcache.operator.registry;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts requests by operation name, retries included. */
public final class ApiCalls {
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  public void count(String operation) {
    counts.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
  }

  public Map<String, Integer> snapshot() {
    Map<String, Integer> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }
}
