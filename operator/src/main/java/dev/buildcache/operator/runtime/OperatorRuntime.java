package dev.buildcache.operator.runtime;

import dev.buildcache.operator.builder.BuilderDependents;
import dev.buildcache.operator.builder.BuildkitBuilderReconciler;
import dev.buildcache.operator.events.KubernetesEventPublisher;
import dev.buildcache.operator.metrics.BuilderMetrics;
import dev.buildcache.operator.tls.CertificateIssuer;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.profile.CacheProfileReconciler;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.profile.ProfileGcExecutor;
import dev.buildcache.operator.profile.RegistryClients;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * Wires the operator: one Kubernetes client, one meter registry, one clock, every controller. {@code buildcache run}
 * and the integration tests both start the operator through this class, so tests exercise the real wiring.
 */
public final class OperatorRuntime implements AutoCloseable {

  /**
   * How the operator runs. An empty {@code namespaces} set watches all namespaces. {@code gcThreads} registry GC
   * runs at a time across all profiles. {@code ecrEndpoint} overrides the ECR API endpoint (a VPC endpoint); null
   * for the regional default.
   */
  public record Settings(Set<String> namespaces, LeaderElection leaderElection, int reconcileThreads, int gcThreads,
      URI ecrEndpoint, GcStateStore gcState) {
    public static final int DEFAULT_GC_THREADS = 2;

    /** With the GC's memory in this process ({@link InMemoryGcStateStore}). */
    public Settings(Set<String> namespaces, LeaderElection leaderElection, int reconcileThreads, int gcThreads, URI ecrEndpoint) {
      this(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, null);
    }

    public static Settings defaults() {
      return new Settings(Set.of(), null, 10, DEFAULT_GC_THREADS, null);
    }

    public Settings withEcrEndpoint(URI endpoint) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, endpoint, gcState);
    }

    /** The GC's memory of each repository; the demo hands in one that already remembers its history. */
    public Settings withGcState(GcStateStore store) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, store);
    }
  }

  /**
   * Lease-based leader election; null disables it (a single replica). A replica that loses the lease exits, so
   * that Kubernetes restarts it as a clean follower, unless {@code exitOnStopLeading} is false (tests).
   */
  public record LeaderElection(String leaseName, String leaseNamespace, String identity, Duration leaseDuration,
      Duration renewDeadline, Duration retryPeriod, boolean exitOnStopLeading) {
    public static LeaderElection of(String leaseName, String leaseNamespace, String identity) {
      return new LeaderElection(leaseName, leaseNamespace, identity, Duration.ofSeconds(15), Duration.ofSeconds(10),
          Duration.ofSeconds(2), true);
    }
  }

  private final Operator operator;
  private final ProfileGcExecutor gc;

  public OperatorRuntime(KubernetesClient client, MeterRegistry meters, Clock clock, Settings settings) {
    this.operator = new Operator(o -> {
      o.withKubernetesClient(client)
          // Per-resource JOSDK meters would tag every series with the resource name: unbounded cardinality.
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(meters))
          .withConcurrentReconciliationThreads(settings.reconcileThreads())
          // Server-side apply for every kind, Secrets and ConfigMaps included (JOSDK exempts them by default).
          .withDefaultNonSSAResource(Set.of())
          .withCloseClientOnStop(false)
          .withReconciliationTerminationTimeout(Duration.ofSeconds(10));
      if (settings.leaderElection() != null) {
        LeaderElection le = settings.leaderElection();
        o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(le.leaseName())
            .withLeaseNamespace(le.leaseNamespace())
            .withIdentity(le.identity())
            .withLeaseDuration(le.leaseDuration())
            .withRenewDeadline(le.renewDeadline())
            .withRetryPeriod(le.retryPeriod())
            .withExitOnStopLeading(le.exitOnStopLeading())
            .build());
      }
    });
    KubernetesEventPublisher events = new KubernetesEventPublisher(client, clock);
    TlsMaterialPlanner tlsPlanner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
    operator.register(
        new BuildkitBuilderReconciler(new BuilderDependents(), tlsPlanner, events, new BuilderMetrics(meters), clock),
        o -> {
          if (!settings.namespaces().isEmpty()) {
            o.settingNamespaces(settings.namespaces());
          }
        });
    ProfileMetrics profileMetrics = new ProfileMetrics(meters);
    GcStateStore gcState = settings.gcState() != null ? settings.gcState() : new InMemoryGcStateStore();
    gc = new ProfileGcExecutor(new RegistryClients(client, settings.ecrEndpoint()), gcState, events, profileMetrics, clock,
        settings.gcThreads(), GC_QUEUE);
    operator.register(new CacheProfileReconciler(gc, events, profileMetrics, clock), o -> {
      if (!settings.namespaces().isEmpty()) {
        o.settingNamespaces(settings.namespaces());
      }
    });
  }

  /** Runs waiting for a GC thread; a due run beyond this is retried by the next reconcile. */
  static final int GC_QUEUE = 1000;

  public void start() {
    operator.start();
  }

  public boolean isStarted() {
    return operator.getRuntimeInfo().isStarted();
  }

  public boolean isHealthy() {
    return operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  @Override
  public void close() {
    operator.stop();
    gc.close();
  }
}
