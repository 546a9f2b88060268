package dev.buildcache.operator.bench;

import dev.buildcache.operator.registry.Blob;
import dev.buildcache.operator.gc.GcPlan;
import dev.buildcache.operator.gc.GcPlanner;
import dev.buildcache.operator.gc.GcReport;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.RepositoryImage;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.ecr.EcrRegistryClient;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.MutableClock;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * GC benchmarks. {@code plan IMAGES LAYERS SHARED RUNS}: median planning time and peak heap over generated
 * repositories ({@code SHARED} = fraction of layer references that point into a shared pool of base layers).
 * {@code ecr-calls IMAGES NEW}: API calls of the first run and of the next day's run, with NEW images pushed in
 * between, through the real SDK against the local ECR-protocol server. {@code ecr-cpu IMAGES RUNS}: CPU time of
 * the GC's own thread (the SDK's client, the planner, the state; not the in-process server's threads) for a first
 * run over IMAGES images, in a fresh JVM (the first run, JIT included, is what a CLI run or an operator's first
 * pass pays) and then warm. Run through {@code bench/gc.sh}.
 */
public final class GcBench {
  static final Instant NOW = Instant.parse("2026-11-28T00:00:00Z");
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "plan" -> plan(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Double.parseDouble(args[3]), Integer.parseInt(args[4]));
      case "ecr-calls" -> ecrCalls(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      case "ecr-cpu" -> ecrCpu(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("plan | ecr-calls | ecr-cpu");
    }
  }

  static RetentionPolicy policy(String maxSize) {
    return RetentionPolicy.parse(new RetentionPolicy.Raw(List.of("cache-*"), List.of("cache-main"), "30d", maxSize, 5, "1h", "24h"),
        RetentionPolicy.FieldNames.CLI);
  }

  static void plan(int images, int layers, double shared, int runs) {
    List<RepositoryImage> repository = generate(images, layers, shared, 42);
    System.gc();
    long baseline = usedHeap();
    List<Double> millis = new ArrayList<>();
    long peak = 0;
    GcPlan plan = null;
    for (int run = 0; run < runs + 1; run++) {
      resetPeaks();
      long start = System.nanoTime();
      plan = GcPlanner.plan(repository, policy(Long.toString(totalBytes(repository) / 2)), NOW);
      double ms = (System.nanoTime() - start) / 1e6;
      if (run > 0) { // the first run warms the JIT
        millis.add(ms);
        peak = Math.max(peak, peakHeap());
      }
    }
    Collections.sort(millis);
    double median = millis.get(millis.size() / 2);
    System.out.printf(Locale.ROOT, "plan %d images x %d layers (%.0f%% shared): median %.0f ms = %.2f us per image over %d runs %s; "
            + "heap with input %.0f MiB, peak during planning %.0f MiB (max heap %.0f MiB); %d deletions, %d -> %d bytes%n",
        images, layers, shared * 100, median, median * 1000 / images, runs, millis, baseline / 1048576.0, peak / 1048576.0,
        Runtime.getRuntime().maxMemory() / 1048576.0, plan.deletions().size(), plan.bytesBefore(), plan.bytesAfter());
  }

  /** Cache images with {@code layers} layers; {@code shared} of the references hit a pool of base layers. */
  static List<RepositoryImage> generate(int images, int layers, double shared, long seed) {
    Random random = new Random(seed);
    int pool = Math.max(100, images / 50);
    List<Blob> base = new ArrayList<>(pool);
    for (int i = 0; i < pool; i++) {
      base.add(new Blob(digest(random), 5_000_000 + random.nextInt(50_000_000)));
    }
    List<RepositoryImage> out = new ArrayList<>(images);
    int sharedPerImage = (int) Math.round(layers * shared);
    for (int i = 0; i < images; i++) {
      List<Blob> blobs = new ArrayList<>(layers + 1);
      blobs.add(new Blob(digest(random), 2_000));
      for (int l = 0; l < layers; l++) {
        blobs.add(l < sharedPerImage ? base.get(random.nextInt(pool)) : new Blob(digest(random), 100_000 + random.nextInt(20_000_000)));
      }
      Instant pushed = NOW.minus(Duration.ofMinutes(random.nextInt(60 * 24 * 60)));
      List<String> tags = i % 10 == 0 ? List.of() : List.of("cache-b" + i);
      out.add(new RepositoryImage(digest(random), tags, true, pushed, pushed, 3_000, blobs, List.of()));
    }
    return out;
  }

  static String digest(Random random) {
    char[] hex = "0123456789abcdef".toCharArray();
    char[] out = new char[71];
    "sha256:".getChars(0, 7, out, 0);
    for (int i = 7; i < 71; i++) {
      out[i] = hex[random.nextInt(16)];
    }
    return new String(out);
  }

  static long totalBytes(List<RepositoryImage> images) {
    return GcPlanner.plan(images.subList(0, 1), policy(null), NOW).bytesBefore() * images.size() / 4;
  }

  static void resetPeaks() {
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  static long peakHeap() {
    return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
        .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }

  static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * API calls of a daily run after the first: the first run reads every manifest once; the next day's run lists
   * everything again but reads only the manifests pushed since ({@code newPerDay}), re-reads and deletes the
   * candidates. Runs through the real SDK against the ECR-protocol server, with the GC's role not excluded.
   */
  static void ecrCalls(int images, int newPerDay) throws Exception {
    EcrProtocolServer.useTestCredentials();
    try (EcrProtocolServer ecr = new EcrProtocolServer()) {
      MutableClock clock = new MutableClock(NOW);
      ecr.clock(clock);
      int expired = 0;
      for (int i = 0; i < images; i++) {
        boolean old = i % 4 == 0;
        expired += old ? 1 : 0;
        ecr.put(cacheManifest("b" + i), "application/vnd.oci.image.manifest.v1+json", CACHE_CONFIG,
            NOW.minus(Duration.ofDays(old ? 40 : 5)), null, "cache-b" + i);
      }
      RepositoryReference ref = RepositoryReference.parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache");
      ApiCalls calls = new ApiCalls();
      StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(EcrProtocolServer.GC_ACCESS_KEY, "secret"));
      StsClient sts = EcrRegistryClient.stsBuilder(calls).region(Region.US_EAST_1).endpointOverride(ecr.endpoint())
          .credentialsProvider(credentials).httpClientBuilder(ApacheHttpClient.builder()).build();
      InMemoryGcStateStore state = new InMemoryGcStateStore();
      try (EcrRegistryClient client = new EcrRegistryClient(EcrRegistryClient.builder(calls)
          .httpClientBuilder(ApacheHttpClient.builder()).region(Region.US_EAST_1).endpointOverride(ecr.endpoint())
          .credentialsProvider(credentials).build(), sts, ref, "us-east-1", calls)) {
        GcRunner runner = new GcRunner(clock, line -> {}, state);
        System.gc();
        long heapBefore = usedHeap();
        long start = System.nanoTime();
        GcReport first = runner.run(client, ref.toString(), policy(null), false);
        double firstSeconds = (System.nanoTime() - start) / 1e9;
        System.gc();
        long retained = usedHeap() - heapBefore;
        Map<String, Integer> afterFirst = client.apiCalls();
        clock.advance(Duration.ofDays(1));
        for (int i = 0; i < newPerDay; i++) {
          ecr.put(cacheManifest("new" + i), "application/vnd.oci.image.manifest.v1+json", CACHE_CONFIG,
              clock.instant().minus(Duration.ofHours(12)), null, "cache-new" + i);
        }
        start = System.nanoTime();
        GcReport second = runner.run(client, ref.toString(), policy(null), false);
        double secondSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> daily = new java.util.TreeMap<>();
        client.apiCalls().forEach((op, n) -> daily.put(op, n - afterFirst.getOrDefault(op, 0)));
        int n = images - first.deleted().size() + newPerDay;
        System.out.printf(Locale.ROOT, "ecr-calls first run: %d images, %d expired deleted (expected %d), %d manifests read, calls %s, %.1f s; "
                + "heap retained by the GC's memory of the repository afterwards: %.0f MiB%n",
            images, first.deleted().size(), expired, first.manifestsRead(), afterFirst, firstSeconds, retained / 1048576.0);
        System.out.printf(Locale.ROOT, "ecr-calls next day: %d images (%d new), %d manifests read, %d deleted, calls %s = %d "
                + "(list ceil(N/1000) = %d, reads ceil(new/100) = %d, exclusion check 2); %.1f s; pullTimes %s%n",
            n, newPerDay, second.manifestsRead(), second.deleted().size(), daily, daily.values().stream().mapToInt(Integer::intValue).sum(),
            ceil(n, 1000), ceil(newPerDay, 100), secondSeconds, second.pullTimes());
      }
    }
  }

  static void ecrCpu(int images, int runs) throws Exception {
    EcrProtocolServer.useTestCredentials();
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (EcrProtocolServer ecr = new EcrProtocolServer()) {
      MutableClock clock = new MutableClock(NOW);
      ecr.clock(clock);
      // excluded, as deploy/eks sets up: the reads leave the pull times alone, so every run plans the same
      ecr.exclude(EcrProtocolServer.GC_ROLE_ARN);
      for (int i = 0; i < images; i++) {
        ecr.put(cacheManifest("b" + i), "application/vnd.oci.image.manifest.v1+json", CACHE_CONFIG,
            NOW.minus(Duration.ofDays(i % 4 == 0 ? 40 : 5)), null, "cache-b" + i);
      }
      RepositoryReference ref = RepositoryReference.parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache");
      List<Double> cpu = new ArrayList<>();
      List<Double> wall = new ArrayList<>();
      for (int run = 0; run <= runs; run++) {
        ApiCalls calls = new ApiCalls();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(EcrProtocolServer.GC_ACCESS_KEY, "secret"));
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        StsClient sts = EcrRegistryClient.stsBuilder(calls).region(Region.US_EAST_1).endpointOverride(ecr.endpoint())
            .credentialsProvider(credentials).httpClientBuilder(ApacheHttpClient.builder()).build();
        try (EcrRegistryClient client = new EcrRegistryClient(EcrRegistryClient.builder(calls)
            .httpClientBuilder(ApacheHttpClient.builder()).region(Region.US_EAST_1).endpointOverride(ecr.endpoint())
            .credentialsProvider(credentials).build(), sts, ref, "us-east-1", calls)) {
          // a dry run: every run sees the same repository, reads every manifest and plans the same deletions
          GcReport report = new GcRunner(clock, line -> {}, new InMemoryGcStateStore()).run(client, ref.toString(), policy(null), true);
          double cpuMs = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6;
          double wallMs = (System.nanoTime() - start) / 1e6;
          System.out.printf(Locale.ROOT, "ecr-cpu run %d (%s): %d images, %d manifests read, %d planned deletions, calls %s; "
                  + "GC thread CPU %.0f ms = %.3f ms per image; wall %.0f ms%n",
              run, run == 0 ? "first in this JVM" : "warm", images, report.manifestsRead(), report.deleted().size(), client.apiCalls(),
              cpuMs, cpuMs / images, wallMs);
          if (run > 0) {
            cpu.add(cpuMs);
            wall.add(wallMs);
          }
        }
      }
      Collections.sort(cpu);
      Collections.sort(wall);
      System.out.printf(Locale.ROOT, "ecr-cpu %d images: warm median GC thread CPU %.0f ms = %.3f ms per image, wall %.0f ms, over %d runs%n",
          images, cpu.get(cpu.size() / 2), cpu.get(cpu.size() / 2) / images, wall.get(wall.size() / 2), runs);
    }
  }

  static String cacheManifest(String name) {
    return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\""
        + CACHE_CONFIG + "\",\"digest\":\"sha256:c" + name + "\",\"size\":100},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
        + "\"digest\":\"sha256:base\",\"size\":1000},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:l" + name + "\",\"size\":500}]}";
  }

  static int ceil(int a, int b) {
    return (a + b - 1) / b;
  }
}
