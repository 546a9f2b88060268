package dev.buildcache.operator.testing;

import dev.buildcache.operator.runtime.OperatorRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;

/** The real operator wiring, started against a {@link KubernetesTestCluster}. */
public final class OperatorHarness implements AutoCloseable {
  private final MeterRegistry meters;
  private final OperatorRuntime runtime;

  public OperatorHarness(KubernetesTestCluster cluster) {
    this(cluster, OperatorRuntime.Settings.defaults());
  }

  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings) {
    this(cluster, settings, new SimpleMeterRegistry());
  }

  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings, MeterRegistry meters) {
    this(cluster.client(), settings, meters);
  }

  /** The operator with its own client, e.g. one {@link KubernetesTestCluster#newClient} made. */
  public OperatorHarness(io.fabric8.kubernetes.client.KubernetesClient client, OperatorRuntime.Settings settings, MeterRegistry meters) {
    this.meters = meters;
    runtime = new OperatorRuntime(client, meters, Clock.systemUTC(), settings);
    runtime.start();
  }

  public MeterRegistry meters() {
    return meters;
  }

  public OperatorRuntime runtime() {
    return runtime;
  }

  @Override
  public void close() {
    runtime.close();
  }
}
