package dev.buildcache.operator.bench;

import dev.buildcache.operator.demo.LocalRegistry;
import dev.buildcache.operator.demo.OciPusher;
import dev.buildcache.operator.gc.GcReport;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The OCI GC against Debian's docker-registry (CNCF distribution) on loopback: {@code caches} BuildKit-shaped cache
 * manifests plus 10 release images, two thirds of the caches past {@code --max-age 14d}, collected with one request
 * at a time (the baseline) and with {@code concurrency} in flight, on identically seeded registries, {@code runs}
 * times each, alternating. Prints wall time of the run past the age (after a first run that records first-seen
 * times; the GC's clock is the test's, the wall time is measured around the run), requests by operation and whether both delete the same set. Usage: caches concurrency runs.
 */
public final class OciConcurrencyBench {
  static final String REPO = "team/app-cache";

  public static void main(String[] args) throws Exception {
    int caches = Integer.parseInt(args[0]);
    int concurrency = Integer.parseInt(args[1]);
    int runs = Integer.parseInt(args[2]);
    Map<Integer, List<Long>> wall = new TreeMap<>();
    Map<Integer, Map<String, Integer>> calls = new TreeMap<>();
    Map<Integer, TreeSet<String>> deleted = new TreeMap<>();
    for (int run = 0; run < runs; run++) {
      for (int c : new int[] {1, concurrency}) {
        long[] millis = new long[1];
        GcReport report = once(caches, c, millis);
        wall.computeIfAbsent(c, k -> new ArrayList<>()).add(millis[0]);
        calls.put(c, report.apiCalls());
        TreeSet<String> tags = new TreeSet<>();
        report.deleted().forEach(d -> tags.addAll(d.tags()));
        if (deleted.containsKey(c) && !deleted.get(c).equals(tags)) {
          throw new IllegalStateException("concurrency " + c + " deleted another set in run " + run);
        }
        deleted.put(c, tags);
        System.out.printf("run %d concurrency %d: %d ms, %d deleted%n", run, c, millis[0], tags.size());
      }
    }
    long base = median(wall.get(1));
    for (int c : wall.keySet()) {
      int requests = calls.get(c).values().stream().mapToInt(Integer::intValue).sum();
      System.out.printf("caches %d concurrency %d: median %d ms over %d runs (%.1fx the baseline), %d requests %s, %d deleted%n",
          caches, c, median(wall.get(c)), runs, (double) base / median(wall.get(c)), requests, calls.get(c), deleted.get(c).size());
    }
    System.out.println("same deletions: " + deleted.get(1).equals(deleted.get(concurrency)));
  }

  /** @param millis receives the wall time of the measured run */
  static GcReport once(int caches, int concurrency, long[] millis) throws Exception {
    try (LocalRegistry registry = new LocalRegistry()) {
      OciPusher pusher = new OciPusher(registry.url(), REPO);
      OciPusher.Layer base = OciPusher.Layer.of("base", 4096);
      Instant created = Instant.parse("2026-11-01T00:00:00Z");
      for (int i = 0; i < caches; i++) {
        pusher.pushCache("cache-" + i, created, List.of(base, OciPusher.Layer.of("layer-" + i, 256)));
      }
      for (int i = 0; i < 10; i++) {
        pusher.pushImage("cache-release-" + i, List.of(base, OciPusher.Layer.of("release-" + i, 512)));
      }
      MutableClock clock = new MutableClock(Instant.parse("2026-11-10T00:00:00Z"));
      InMemoryGcStateStore state = new InMemoryGcStateStore();
      RetentionPolicy policy = RetentionPolicy.parse(new RetentionPolicy.Raw(List.of("cache-*"), List.of("cache-0"), "14d", null, 0,
          "1h", null), RetentionPolicy.FieldNames.CLI);
      GcRunner runner = new GcRunner(clock, line -> { }, state);
      OciRegistryClient.Limits limits = OciRegistryClient.Limits.DEFAULT.withConcurrency(concurrency);
      // the first run sees every tag for the first time: nothing is old enough yet
      try (OciRegistryClient client = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true,
          DockerCredentials.none(), limits)) {
        runner.run(client, registry.host() + "/" + REPO, policy, false);
      }
      // a third of the caches were pushed again since (their tags moved): two thirds are past the age
      for (int i = 0; i < caches; i += 3) {
        pusher.pushCache("cache-" + i, created.plus(Duration.ofDays(20)), List.of(base, OciPusher.Layer.of("layer-new-" + i, 256)));
      }
      clock.advance(Duration.ofDays(15));
      try (OciRegistryClient client = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true,
          DockerCredentials.none(), limits)) {
        long start = System.nanoTime();
        GcReport report = runner.run(client, registry.host() + "/" + REPO, policy, false);
        millis[0] = (System.nanoTime() - start) / 1_000_000;
        return report;
      }
    }
  }

  static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
