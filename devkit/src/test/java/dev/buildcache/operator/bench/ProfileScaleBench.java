package dev.buildcache.operator.bench;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.demo.SsaCrudDispatcher;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scale figures for CacheProfile, on the real operator process against the in-process API server, with the
 * builders and profiles already in the cluster when the operator starts:
 * <ul>
 *   <li>time from launching the operator until every profile is Ready with its endpoint Service, and every
 *       builder is Ready and counts its profiles per replica (JVM start included);
 *   <li>write requests during a full resync by a restarted operator;
 *   <li>operator heap after a full GC, and RSS, at that load.
 * </ul>
 * Run: {@code bench/profile-scale.sh [profiles] [builders] [runs]}.
 */
public final class ProfileScaleBench {
  static final String NS = TestBuilders.NAMESPACE;
  private static final String HARNESS = "profile-scale-bench";
  static final int REPLICAS = 3;

  record Run(double convergeMs, double readyMs, double serverBusyMs, double profileReconciles, double builderReconciles, long apiRequests, double apiMicros,
      int steadyWrites, double heapMiB, double rssMiB, double peakRssMiB) {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(System.getProperty("bench.jar", "operator/target/buildcache.jar")).toAbsolutePath();
    int profiles = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int builders = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String javaOpts = System.getProperty("bench.javaOpts", "-Xmx256m");
    List<Run> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Run run = runOnce(jar, profiles, builders, javaOpts);
      results.add(run);
      System.out.printf(Locale.ROOT, "run %d: converged %.0f ms after operator launch (%.0f ms after it was ready) with %.0f profile "
              + "and %.0f builder passes, %d API requests at %.0f us each in the in-process server (busy %.0f ms, one event loop); "
              + "steady-state writes %d; heap %.1f MiB; RSS %.1f MiB; peak RSS while converging %.1f MiB; ready %.0f ms after launch%n",
          i + 1, run.convergeMs(), run.convergeMs() - run.readyMs(), run.profileReconciles(), run.builderReconciles(), run.apiRequests(), run.apiMicros(), run.serverBusyMs(),
          run.steadyWrites(), run.heapMiB(), run.rssMiB(), run.peakRssMiB(), run.readyMs());
    }
    System.out.printf(Locale.ROOT, "MEDIAN over %d runs, %d profiles on %d builders x %d replicas, operator JVM %s: converged %.0f ms "
            + "after launch, %.0f ms after ready; in-process server busy %.0f ms; %.0f profile passes, %.0f builder passes; %.0f API requests at %.0f us each; steady-state writes %d; "
            + "heap after GC %.1f MiB; RSS %.1f MiB; peak RSS while converging %.1f MiB; ready %.0f ms after launch%n",
        runs, profiles, builders, REPLICAS, javaOpts,
        BuilderScaleBench.median(results.stream().map(Run::convergeMs).toList()),
        BuilderScaleBench.median(results.stream().map(r -> r.convergeMs() - r.readyMs()).toList()),
        BuilderScaleBench.median(results.stream().map(Run::serverBusyMs).toList()),
        BuilderScaleBench.median(results.stream().map(Run::profileReconciles).toList()),
        BuilderScaleBench.median(results.stream().map(Run::builderReconciles).toList()),
        BuilderScaleBench.median(results.stream().map(r -> (double) r.apiRequests()).toList()),
        BuilderScaleBench.median(results.stream().map(Run::apiMicros).toList()),
        (int) BuilderScaleBench.median(results.stream().map(r -> (double) r.steadyWrites()).toList()),
        BuilderScaleBench.median(results.stream().map(Run::heapMiB).toList()),
        BuilderScaleBench.median(results.stream().map(Run::rssMiB).toList()),
        BuilderScaleBench.median(results.stream().map(Run::peakRssMiB).toList()),
        BuilderScaleBench.median(results.stream().map(Run::readyMs).toList()));
  }

  static Run runOnce(Path jar, int profiles, int builders, String javaOpts) throws Exception {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster();
        // the harness's own User-Agent, so that the trace counts the operator's requests only
        KubernetesClient client = cluster.newClient(HARNESS)) {
      SsaCrudDispatcher api = cluster.dispatcher();
      for (int b = 0; b < builders; b++) {
        client.resource(TestBuilders.builder("builder-" + b, s -> s.setReplicas(REPLICAS))).create();
        TestPods.createReady(client, "builder-" + b, REPLICAS);
      }
      for (int i = 0; i < profiles; i++) {
        String builder = "builder-" + (i % builders);
        int index = i;
        client.resource(TestProfiles.profile("repo-" + i, s -> {
          s.setBuilderRef(new CacheProfileSpec.BuilderRef(builder));
          // under the namespace's own path element, as the default --repository-access rule asks
          s.setRepository("123456789012.dkr.ecr.us-east-1.amazonaws.com/" + NS + "/repo-" + index + "-cache");
          s.getRetention().setMaxTotalSize("50Gi");
          s.getRetention().setMaxAge("336h");
          s.getRetention().setProtectTags(List.of("cache-main"));
        })).create();
      }
      Path kubeconfig = BuilderScaleBench.kubeconfig(cluster.url());
      SsaCrudDispatcher.Cost setup = api.cost();
      long launched = System.nanoTime();
      BuilderScaleBench.Operator operator = BuilderScaleBench.Operator.start(jar, kubeconfig, javaOpts);
      double readyMs = (System.nanoTime() - launched) / 1e6;
      try {
        // The StatefulSets appear as the operator creates them; play the StatefulSet controller for each.
        List<String> ready = new ArrayList<>();
        BuilderScaleBench.waitFor(Duration.ofMinutes(5), () -> {
          for (int b = 0; b < builders; b++) {
            String name = "builder-" + b;
            if (!ready.contains(name) && client.apps().statefulSets().inNamespace(NS).withName(name).get() != null) {
              BuilderScaleBench.markReady(client, name, REPLICAS);
              ready.add(name);
            }
          }
          return converged(client, profiles, builders);
        });
        double convergeMs = (System.nanoTime() - launched) / 1e6;
        // the highest RSS of the operator that did the converging: memory under load
        double peakRss = operator.peakRssKiB() / 1024.0;
        if (!System.getProperty("bench.jfr", "").isEmpty()) {
          // with -XX:StartFlightRecording in bench.javaOpts: what the operator did from launch until converged
          operator.jcmd("JFR.dump filename=" + System.getProperty("bench.jfr"));
        }
        if (Boolean.getBoolean("bench.trace")) {
          System.out.printf(Locale.ROOT, "  operator CPU until converged: %d ms%n", operator.cpuMillis());
          operator.threadCpuMillis().entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
              .forEach(e -> System.out.printf(Locale.ROOT, "    %6d ms  %s%n", e.getValue(), e.getKey()));
          // the operator's requests (reads too) per quarter second since launch, by method and kind (and
          // subresource): where the time to converge goes
          java.util.Map<String, Integer> perSecond = new java.util.TreeMap<>();
          api.requests().stream().filter(r -> r.nanoTime() >= launched && !HARNESS.equals(r.userAgent()))
              .forEach(r -> perSecond.merge(String.format(Locale.ROOT, "%6.2fs %s %s", (r.nanoTime() - launched) / 250_000_000L / 4.0,
                  r.method(), kind(r.path())), 1, Integer::sum));
          perSecond.forEach((k, v) -> System.out.println("  " + k + ": " + v));
        }
        double profilePasses = operator.reconciles("cacheprofile");
        double builderPasses = operator.reconciles("buildkitbuilder");
        SsaCrudDispatcher.Cost converging = api.cost();
        SsaCrudDispatcher.Cost spent = new SsaCrudDispatcher.Cost(converging.requests() - setup.requests(), converging.nanos() - setup.nanos());
        // Work still in flight (a last status write) is not steady state: wait until the API server sees no write
        // for three seconds before restarting the operator.
        int[] seen = {api.writeCount()};
        long[] quietSince = {System.nanoTime()};
        BuilderScaleBench.waitFor(Duration.ofMinutes(1), () -> {
          int now = api.writeCount();
          if (now != seen[0]) {
            seen[0] = now;
            quietSince[0] = System.nanoTime();
          }
          return System.nanoTime() - quietSince[0] > Duration.ofSeconds(3).toNanos();
        });

        operator.stop();
        java.util.Map<String, String> statusBefore = new java.util.HashMap<>();
        client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems()
            .forEach(b -> statusBefore.put(b.getMetadata().getName(), io.fabric8.kubernetes.client.utils.Serialization.asJson(b.getStatus())));
        int before = api.writeCount();
        operator = BuilderScaleBench.Operator.start(jar, kubeconfig, javaOpts);
        BuilderScaleBench.Operator current = operator;
        BuilderScaleBench.waitFor(Duration.ofMinutes(3), () -> current.reconciles() >= profiles + builders);
        int steadyWrites = api.writeCount() - before;
        api.writesSince(before).forEach(w -> System.out.println("  steady-state write: " + w.method() + " " + w.path()));
        if (Boolean.getBoolean("bench.trace")) {
          Thread.sleep(2000);
          client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems().forEach(b -> {
            String now = io.fabric8.kubernetes.client.utils.Serialization.asJson(b.getStatus());
            if (!now.equals(statusBefore.get(b.getMetadata().getName()))) {
              System.out.println("  BEFORE " + statusBefore.get(b.getMetadata().getName()) + "\n  AFTER  " + now);
            }
          });
        }

        current.jcmd("GC.run");
        for (String command : System.getProperty("bench.jcmd", "").split(",")) {
          if (!command.isBlank()) {
            // e.g. -Dbench.jcmd=VM.native_memory (with -XX:NativeMemoryTracking=summary in bench.javaOpts)
            current.jcmdOutput(command.trim()).lines().forEach(l -> System.out.println("  jcmd " + l));
          }
        }
        if (Boolean.getBoolean("bench.histogram")) {
          // what the converged operator holds, largest first (-Dbench.histogram=true)
          CacheProfile one = client.resources(CacheProfile.class).inNamespace(NS).withName("repo-0").get();
          System.out.println("  histogram one profile as JSON: " + io.fabric8.kubernetes.client.utils.Serialization.asJson(one).length()
              + " chars, of which managedFields " + io.fabric8.kubernetes.client.utils.Serialization.asJson(one.getMetadata().getManagedFields()).length()
              + ", status " + io.fabric8.kubernetes.client.utils.Serialization.asJson(one.getStatus()).length());
          current.jcmdOutput("GC.class_histogram").lines().filter(l -> !l.matches("\\s*\\d+:.*") || Integer.parseInt(l.trim().split(":")[0]) <= 60 || l.contains("buildcache") || l.contains("fabric8")).limit(200).forEach(l -> System.out.println("  histogram " + l));
        }
        double heap = current.heapUsedBytes() / (1024.0 * 1024.0);
        double rss = current.rssKiB() / 1024.0;
        return new Run(convergeMs, readyMs, spent.nanos() / 1e6, profilePasses, builderPasses, spent.requests(), spent.microsPerRequest(), steadyWrites, heap, rss,
            peakRss);
      } finally {
        operator.stop();
      }
    }
  }

  /** A line built only when tracing: the untraced poll must not list what it measures. */
  private static void trace(java.util.function.Supplier<String> line) {
    if (Boolean.getBoolean("bench.trace")) {
      System.out.println("  not converged: " + line.get());
    }
  }

  /** A namespaced request's kind (and subresource), e.g. {@code cacheprofiles/status}; any other path without its query. */
  static String kind(String requestPath) {
    String path = requestPath.split("\\?")[0];
    List<String> p = List.of(path.split("/"));
    int ns = p.indexOf("namespaces");
    return ns < 0 || p.size() <= ns + 2 ? path : p.get(ns + 2) + (p.size() > ns + 4 ? "/" + p.get(ns + 4) : "");
  }

  /**
   * Cheap first (the builders' own count of profiles per replica: ten small objects), the full check (every
   * profile Ready, every Service there) only once the counts add up; polling must not load the API and CPU it measures.
   */
  static boolean converged(KubernetesClient client, int profiles, int builders) {
    List<BuildkitBuilder> bs = client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems();
    List<BuildkitBuilder> ready = bs.stream().filter(b -> b.getStatus() != null && b.getStatus().getProfilesPerReplica() != null
        && Conditions.isTrue(b.getStatus().getConditions(), ConditionType.READY)).toList();
    int counted = ready.stream()
        .mapToInt(b -> b.getStatus().getProfilesPerReplica().values().stream().mapToInt(Integer::intValue).sum()).sum();
    // every builder Ready too: without profiles, a count of 0 of 0 would hold before any builder is
    if (counted != profiles || ready.size() != builders) {
      trace(() -> "builders Ready " + ready.size() + " of " + builders + ", count " + counted + " of " + profiles + " profiles: "
          + client.resources(CacheProfile.class).inNamespace(NS).list().getItems().stream().map(p -> p.getMetadata().getName() + " "
              + (p.getStatus() == null ? "no status" : p.getStatus().getConditions())).limit(1).toList());
      return false;
    }
    List<CacheProfile> all = client.resources(CacheProfile.class).inNamespace(NS).list().getItems();
    if (all.size() != profiles || !all.stream().allMatch(p -> p.getStatus() != null && p.getStatus().getEndpoint() != null
        && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY))) {
      trace(() -> "profiles not Ready: " + all.stream().filter(p -> p.getStatus() == null || !Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY))
          .map(p -> p.getMetadata().getName() + (p.getStatus() == null ? "" : " " + p.getStatus().getConditions())).limit(2).toList());
      return false;
    }
    return client.services().inNamespace(NS).list().getItems().size() == profiles + 2 * builders;
  }
}
