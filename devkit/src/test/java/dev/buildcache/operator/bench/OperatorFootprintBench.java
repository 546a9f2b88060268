package dev.buildcache.operator.bench;

import dev.buildcache.operator.testing.KubernetesTestCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The operator process at rest: time from launching the JVM until {@code /readyz} answers 200, and RSS once it has
 * sat idle for {@code idleSeconds} (an empty cluster: the CRDs, no builder, no profile), under the JVM flags of
 * {@code -Dbench.javaOpts}. The load figures (RSS while converging 500 profiles) come from ProfileScaleBench.
 * Run: {@code bench/operator-footprint.sh [runs] [idleSeconds]}.
 */
public final class OperatorFootprintBench {
  public static void main(String[] args) throws Exception {
    Path jar = Path.of(System.getProperty("bench.jar", "operator/target/buildcache.jar")).toAbsolutePath();
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    String javaOpts = System.getProperty("bench.javaOpts", "");
    List<Double> ready = new ArrayList<>();
    List<Double> rss = new ArrayList<>();
    List<Double> peak = new ArrayList<>();
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      Path kubeconfig = BuilderScaleBench.kubeconfig(cluster.url());
      for (int run = 1; run <= runs; run++) {
        long launched = System.nanoTime();
        BuilderScaleBench.Operator operator = BuilderScaleBench.Operator.start(jar, kubeconfig, javaOpts);
        double readyMs = (System.nanoTime() - launched) / 1e6;
        try {
          // Idle is idle: nothing polls the operator while it sits.
          Thread.sleep(idleSeconds * 1000L);
          ready.add(readyMs);
          rss.add(operator.rssKiB() / 1024.0);
          peak.add(operator.peakRssKiB() / 1024.0);
          System.out.printf(Locale.ROOT, "run %d: ready %.0f ms after launch; RSS %.1f MiB after %d s idle (peak %.1f MiB)%n",
              run, readyMs, rss.get(rss.size() - 1), idleSeconds, peak.get(peak.size() - 1));
        } finally {
          operator.stop();
        }
      }
    }
    System.out.printf(Locale.ROOT, "MEDIAN over %d runs, operator JVM [%s]: ready %.0f ms after launch; idle RSS %.1f MiB (peak %.1f MiB)%n",
        runs, javaOpts, BuilderScaleBench.median(ready), BuilderScaleBench.median(rss), BuilderScaleBench.median(peak));
  }
}
