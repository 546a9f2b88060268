package dev.buildcache.operator.bench;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.demo.SimulatedKubelet;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.demo.SsaCrudDispatcher;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Scale figures for BuildkitBuilder, measured on the real operator process ({@code java -jar buildcache.jar run})
 * against the in-process API server:
 * <ul>
 *   <li>time from a builder's creation to all nine owned objects existing (from the API server's write log),
 *   <li>write requests during a full resync of converged builders (a restarted operator),
 *   <li>operator heap after a full GC and RSS, with N builders reconciled.
 * </ul>
 * Run: {@code bench/builder-scale.sh [builders] [runs]}. Prints one line per run and the medians.
 */
public final class BuilderScaleBench {
  static final String NS = TestBuilders.NAMESPACE;
  static final int OWNED_OBJECTS = 9;

  record Run(double medianCreateMs, double p95CreateMs, double soloCreateMs, int steadyWrites, double heapMiB, double rssMiB) {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(System.getProperty("bench.jar", "operator/target/buildcache.jar")).toAbsolutePath();
    int builders = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String javaOpts = System.getProperty("bench.javaOpts", "-Xmx256m");
    List<Run> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Run run = runOnce(jar, builders, javaOpts);
      results.add(run);
      System.out.printf(Locale.ROOT, "run %d: burst create->owned median %.0f ms p95 %.0f ms; one builder on an idle operator %.0f ms; "
              + "steady-state writes %d; heap %.1f MiB; RSS %.1f MiB%n",
          i + 1, run.medianCreateMs(), run.p95CreateMs(), run.soloCreateMs(), run.steadyWrites(), run.heapMiB(), run.rssMiB());
    }
    System.out.printf(Locale.ROOT, "MEDIAN over %d runs, %d builders, operator JVM %s: burst create->owned median %.0f ms, p95 %.0f ms; "
            + "one builder on an idle operator %.0f ms; steady-state writes %d; heap after GC %.1f MiB; RSS %.1f MiB%n",
        runs, builders, javaOpts,
        median(results.stream().map(Run::medianCreateMs).toList()), median(results.stream().map(Run::p95CreateMs).toList()),
        median(results.stream().map(Run::soloCreateMs).toList()),
        (int) median(results.stream().map(r -> (double) r.steadyWrites()).toList()),
        median(results.stream().map(Run::heapMiB).toList()), median(results.stream().map(Run::rssMiB).toList()));
  }

  static Run runOnce(Path jar, int builders, String javaOpts) throws Exception {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      KubernetesClient client = cluster.client();
      SsaCrudDispatcher api = cluster.dispatcher();
      Path kubeconfig = kubeconfig(cluster.url());
      Operator operator = Operator.start(jar, kubeconfig, javaOpts);
      try {
        List<Long> createdAt = new ArrayList<>();
        for (int i = 0; i < builders; i++) {
          createdAt.add(System.nanoTime());
          client.resource(TestBuilders.builder("b" + i, s -> s.setReplicas(2))).create();
        }
        waitFor(Duration.ofMinutes(3), () -> ownedCreated(api, builders));
        List<Double> latencies = new ArrayList<>();
        for (int i = 0; i < builders; i++) {
          latencies.add((lastOwnedWrite(api, "b" + i) - createdAt.get(i)) / 1e6);
        }
        for (int i = 0; i < builders; i++) {
          markReady(client, "b" + i, 2);
        }
        waitFor(Duration.ofMinutes(3), () -> client.resources(BuildkitBuilder.class).inNamespace(NS).list().getItems().stream()
            .filter(b -> b.getStatus() != null && Conditions.isTrue(b.getStatus().getConditions(), ConditionType.READY))
            .count() == builders);

        // A restarted operator reconciles every converged builder once: count the writes it makes.
        operator.stop();
        int before = api.writeCount();
        operator = Operator.start(jar, kubeconfig, javaOpts);
        Operator current = operator;
        waitFor(Duration.ofMinutes(3), () -> current.reconciles() >= builders);
        int steadyWrites = api.writeCount() - before;

        // One more builder on the now idle operator: latency without queueing behind a burst.
        long soloStart = System.nanoTime();
        client.resource(TestBuilders.builder("solo", s -> s.setReplicas(2))).create();
        waitFor(Duration.ofMinutes(1), () -> lastOwnedWrite(api, "solo") > 0);
        double solo = (lastOwnedWrite(api, "solo") - soloStart) / 1e6;
        if (Boolean.getBoolean("bench.trace")) {
          api.writes().stream().filter(w -> w.nanoTime() >= soloStart)
              .forEach(w -> System.out.printf(Locale.ROOT, "  +%5.0f ms %s %s%n", (w.nanoTime() - soloStart) / 1e6, w.method(), w.path()));
        }

        current.jcmd("GC.run");
        double heap = current.heapUsedBytes() / (1024.0 * 1024.0);
        double rss = current.rssKiB() / 1024.0;
        Collections.sort(latencies);
        return new Run(median(latencies), latencies.get((int) Math.ceil(0.95 * latencies.size()) - 1), solo, steadyWrites, heap, rss);
      } finally {
        operator.stop();
      }
    }
  }

  static boolean ownedCreated(SsaCrudDispatcher api, int builders) {
    for (int i = 0; i < builders; i++) {
      if (lastOwnedWrite(api, "b" + i) < 0) {
        return false;
      }
    }
    return true;
  }

  /** When the last of a builder's owned objects was first written, or -1 while any is missing. */
  static long lastOwnedWrite(SsaCrudDispatcher api, String name) {
    String[] paths = {"/secrets/" + name + "-ca?", "/secrets/" + name + "-server-tls?", "/secrets/" + name + "-client-tls?",
        "/configmaps/" + name + "-config?", "/services/" + name + "?", "/services/" + name + "-pods?",
        "/statefulsets/" + name + "?", "/poddisruptionbudgets/" + name + "?", "/networkpolicies/" + name + "?"};
    long last = -1;
    for (String path : paths) {
      long first = api.writes().stream().filter(w -> w.path().contains(path)).mapToLong(SsaCrudDispatcher.Write::nanoTime).min().orElse(-1);
      if (first < 0) {
        return -1;
      }
      last = Math.max(last, first);
    }
    return last;
  }

  static void markReady(KubernetesClient client, String name, int replicas) {
    SimulatedKubelet.markStatefulSetReady(client, NS, name, replicas);
  }

  static Path kubeconfig(String url) throws IOException {
    Path file = Files.createTempFile("bench-kubeconfig", ".yaml");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters: [{name: bench, cluster: {server: "%s"}}]
        users: [{name: bench, user: {token: bench}}]
        contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: default}}]
        current-context: bench
        """.formatted(url.replaceAll("/$", "")));
    return file;
  }

  static void waitFor(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    waitFor(timeout, Duration.ofMillis(100), condition);
  }

  static void waitFor(Duration timeout, Duration poll, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout);
      }
      Thread.sleep(poll.toMillis());
    }
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The operator as a separate process, as it runs in a pod. */
  static final class Operator {
    final Process process;
    final int port;
    final HttpClient http = HttpClient.newHttpClient();

    private Operator(Process process, int port) {
      this.process = process;
      this.port = port;
    }

    static Operator start(Path jar, Path kubeconfig, String javaOpts) throws Exception {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      java.util.Arrays.stream(javaOpts.trim().split("\\s+")).filter(o -> !o.isEmpty()).forEach(command::add);
      command.addAll(List.of("-jar", jar.toString(), "run", "--no-leader-election", "--health-port", Integer.toString(port)));
      String extra = System.getProperty("bench.operatorArgs", "").trim();
      if (!extra.isEmpty()) {
        command.addAll(List.of(extra.split(" ")));
      }
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(Files.createTempFile("bench-operator", ".log").toFile());
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
      Operator operator = new Operator(pb.start(), port);
      // a short poll: start-to-ready is measured around this call
      waitFor(Duration.ofMinutes(1), Duration.ofMillis(20), operator::ready);
      return operator;
    }

    boolean ready() {
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    String metrics() {
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException e) {
        return "";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "";
      }
    }

    double reconciles() {
      return sum("buildcache_reconciles_total{", "result=\"applied\"");
    }

    /** Passes of one controller ({@code buildkitbuilder}, {@code cacheprofile}), whatever their result. */
    double reconciles(String controller) {
      return sum("buildcache_reconciles_total{", "controller=\"" + controller + "\"");
    }

    double heapUsedBytes() {
      return sum("jvm_memory_used_bytes{", "area=\"heap\"");
    }

    double sum(String meter, String tag) {
      return metrics().lines().filter(l -> l.startsWith(meter) && l.contains(tag))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    long rssKiB() throws IOException {
      return status("VmRSS:");
    }

    /** CPU the operator process has used so far (user and system), in milliseconds. */
    long cpuMillis() throws IOException {
      return cpuMillis(Files.readString(Path.of("/proc/" + process.pid() + "/stat")));
    }

    /** CPU by thread name (threads of one name summed: a pool's), in milliseconds. */
    Map<String, Long> threadCpuMillis() throws IOException {
      Map<String, Long> out = new HashMap<>();
      try (Stream<Path> tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
        for (Path task : tasks.toList()) {
          try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+$", "#");
            out.merge(name, cpuMillis(stat), Long::sum);
          } catch (IOException e) {
            // the thread ended meanwhile
          }
        }
      }
      return out;
    }

    /** utime + stime (fields 14 and 15 of proc(5)'s stat, in clock ticks: USER_HZ, 100 on Linux) in milliseconds. */
    private static long cpuMillis(String stat) {
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    }

    /** The highest RSS the process has had so far. */
    long peakRssKiB() throws IOException {
      return status("VmHWM:");
    }

    private long status(String field) throws IOException {
      return Files.readAllLines(Path.of("/proc/" + process.pid() + "/status")).stream()
          .filter(l -> l.startsWith(field)).map(l -> l.replaceAll("[^0-9]", "")).mapToLong(Long::parseLong).findFirst().orElse(-1);
    }

    void jcmd(String command) throws Exception {
      new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(process.pid()), command)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }

    /** The JVM's answer to a jcmd command, e.g. {@code GC.class_histogram}. */
    String jcmdOutput(String command) throws Exception {
      Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(process.pid()), command)
          .redirectErrorStream(true).start();
      String out = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      jcmd.waitFor();
      return out;
    }

    void stop() throws InterruptedException {
      process.destroy();
      process.waitFor();
    }
  }
}
