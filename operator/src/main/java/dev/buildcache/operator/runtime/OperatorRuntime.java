package dev.buildcache.operator.runtime;

import dev.buildcache.operator.builder.BuilderPlanner;
import dev.buildcache.operator.builder.ClientBundlePublishing;
import dev.buildcache.operator.bundles.BundleSecretNames;
import dev.buildcache.operator.bundles.SecretsManagerPublisher;
import dev.buildcache.operator.kernel.Failures;
import dev.buildcache.operator.builder.BuildkitBuilderReconciler;
import dev.buildcache.operator.builder.desired.KubernetesVersion;
import dev.buildcache.operator.events.KubernetesEventPublisher;
import dev.buildcache.operator.metrics.BuilderMetrics;
import dev.buildcache.operator.tls.CertificateIssuer;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
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
import dev.buildcache.operator.tenancy.RepositoryAccess;

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
      URI ecrEndpoint, GcStateStore gcState, Duration resync, RepositoryAccess repositoryAccess, String operatorNamespace,
      ExternalAgents externalAgents) {
    public static final int DEFAULT_GC_THREADS = 2;
    /** Every resource is reconciled at least this often, so drift that no watched event shows is repaired too. */
    public static final Duration DEFAULT_RESYNC = Duration.ofMinutes(10);

    /** With the GC's memory in this process ({@link InMemoryGcStateStore}) and the default resync. */
    public Settings(Set<String> namespaces, LeaderElection leaderElection, int reconcileThreads, int gcThreads, URI ecrEndpoint) {
      this(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, null, DEFAULT_RESYNC, RepositoryAccess.byNamespace(),
          BuilderPlanner.DEFAULT_OPERATOR_NAMESPACE, ExternalAgents.defaults());
    }

    public static Settings defaults() {
      return new Settings(Set.of(), null, 10, DEFAULT_GC_THREADS, null);
    }

    public Settings withEcrEndpoint(URI endpoint) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, endpoint, gcState, resync, repositoryAccess, operatorNamespace, externalAgents);
    }

    /** The GC's memory of each repository; the demo hands in one that already remembers its history. */
    public Settings withGcState(GcStateStore store) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, store, resync, repositoryAccess, operatorNamespace, externalAgents);
    }

    public Settings withResync(Duration period) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, gcState, period, repositoryAccess, operatorNamespace, externalAgents);
    }

    /** Watch only these namespaces (namespaced mode); empty: all. */
    public Settings withNamespaces(Set<String> watched) {
      return new Settings(watched, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, gcState, resync, repositoryAccess, operatorNamespace, externalAgents);
    }

    /** The namespace the operator runs in: where it keeps each builder's CA Secret. */
    public Settings withOperatorNamespace(String namespace) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, gcState, resync, repositoryAccess, namespace, externalAgents);
    }

    /** Which repositories each namespace's profiles may prune (default: {@link RepositoryAccess#byNamespace()}). */
    public Settings withRepositoryAccess(RepositoryAccess access) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, gcState, resync, access, operatorNamespace, externalAgents);
    }

    /** How agents outside the cluster reach exposed builders and get their client bundles. */
    public Settings withExternalAgents(ExternalAgents external) {
      return new Settings(namespaces, leaderElection, reconcileThreads, gcThreads, ecrEndpoint, gcState, resync, repositoryAccess,
          operatorNamespace, external);
    }
  }

  /**
   * For agents outside the cluster: the cluster's DNS domain (gateways resolve profile Services in it), the names of
   * the client bundles' secrets, and a Secrets Manager endpoint override (a VPC endpoint, a test server; null: the
   * regional one).
   */
  public record ExternalAgents(String clusterDomain, BundleSecretNames bundleSecrets, URI secretsManagerEndpoint) {
    public static ExternalAgents defaults() {
      return new ExternalAgents(BuilderPlanner.DEFAULT_CLUSTER_DOMAIN, BundleSecretNames.of(BundleSecretNames.DEFAULT_TEMPLATE), null);
    }

    public ExternalAgents withSecretsManagerEndpoint(URI endpoint) {
      return new ExternalAgents(clusterDomain, bundleSecrets, endpoint);
    }
  }

  /**
   * Failures are retried without a cap on attempts, backing off exponentially to five minutes: a permanent
   * failure is shown in status and Events and retried quietly, never left for the next resync.
   */
  static io.javaoperatorsdk.operator.processing.retry.GenericRetry retry() {
    return io.javaoperatorsdk.operator.processing.retry.GenericRetry.defaultLimitedExponentialRetry()
        .withoutMaxAttempts().setMaxInterval(Duration.ofMinutes(5).toMillis());
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

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OperatorRuntime.class);
  private final Operator operator;
  private final ProfileGcExecutor gc;
  private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
  private final KubernetesClient client;
  private final LeaderElection leaderElection;
  private final Clock clock;
  private final SecretsManagerPublisher bundlePublisher;

  public OperatorRuntime(KubernetesClient client, MeterRegistry meters, Clock clock, Settings settings) {
    this.client = client;
    this.leaderElection = settings.leaderElection();
    this.clock = clock;
    this.operator = new Operator(o -> {
      o.withKubernetesClient(client)
          // Per-resource JOSDK meters would tag every series with the resource name: unbounded cardinality.
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(meters))
          .withConcurrentReconciliationThreads(settings.reconcileThreads())
          // Server-side apply for every kind, Secrets and ConfigMaps included (JOSDK exempts them by default).
          .withDefaultNonSSAResource(Set.of())
          .withCloseClientOnStop(false)
          // SIGTERM must end the process within seconds (the GC's batch and the Lease release come first).
          .withReconciliationTerminationTimeout(Duration.ofSeconds(2));
      if (settings.leaderElection() != null) {
        LeaderElection le = settings.leaderElection();
        o.withLeaderElectionConfiguration(LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(le.leaseName())
            .withLeaseNamespace(le.leaseNamespace())
            .withIdentity(le.identity())
            .withLeaseDuration(le.leaseDuration())
            .withRenewDeadline(le.renewDeadline())
            .withRetryPeriod(le.retryPeriod())
            // JOSDK would call System.exit when leadership ends, also when our own shutdown releases the Lease,
            // inside the JVM's shutdown hook, where exit blocks forever. The runtime decides instead.
            .withExitOnStopLeading(false)
            .withLeaderCallbacks(new LeaderCallbacks(() -> { }, () -> stoppedLeading(le), leader -> { }))
            .build());
      }
    });
    KubernetesEventPublisher events = new KubernetesEventPublisher(client, clock);
    bundlePublisher = new SecretsManagerPublisher(settings.externalAgents().secretsManagerEndpoint());
    TlsMaterialPlanner tlsPlanner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
    KubernetesVersion version = serverVersion(client);
    operator.register(
        new BuildkitBuilderReconciler(new BuilderPlanner(tlsPlanner, version, clock, settings.resync(), settings.operatorNamespace(),
            settings.externalAgents().clusterDomain()),
            events, new BuilderMetrics(meters), clock, settings.operatorNamespace(), settings.namespaces(),
            new ClientBundlePublishing(bundlePublisher, settings.externalAgents().bundleSecrets())),
        o -> {
          o.withRetry(retry()).withReconciliationMaxInterval(settings.resync());
          if (!settings.namespaces().isEmpty()) {
            o.settingNamespaces(settings.namespaces());
          }
        });
    ProfileMetrics profileMetrics = new ProfileMetrics(meters);
    GcStateStore gcState = settings.gcState() != null ? settings.gcState() : new InMemoryGcStateStore();
    gc = new ProfileGcExecutor(new RegistryClients(client, settings.ecrEndpoint()), gcState, events, profileMetrics, clock,
        settings.gcThreads(), GC_QUEUE);
    operator.register(new CacheProfileReconciler(gc, events, profileMetrics, clock, settings.resync(), settings.repositoryAccess(),
        settings.externalAgents().bundleSecrets()), o -> {
      o.withRetry(retry()).withReconciliationMaxInterval(settings.resync());
      if (!settings.namespaces().isEmpty()) {
        o.settingNamespaces(settings.namespaces());
      }
    });
  }

  /** The API server's version, or an error that says which is the oldest supported. */
  static KubernetesVersion serverVersion(KubernetesClient client) {
    io.fabric8.kubernetes.client.VersionInfo info = client.getKubernetesVersion();
    KubernetesVersion version = KubernetesVersion.parse(info.getMajor(), info.getMinor());
    if (!version.supported()) {
      throw new IllegalStateException("Kubernetes " + version + " is older than 1." + KubernetesVersion.OLDEST_SUPPORTED
          + ", the oldest version buildcache-operator supports (" + client.getMasterUrl() + " reports " + info.getGitVersion()
          + "); upgrade the cluster");
    }
    LOG.info("API server {} is Kubernetes {}", client.getMasterUrl(), info.getGitVersion());
    return version;
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

  /**
   * Leadership ended. During {@link #close} that is our own release of the Lease. Otherwise it was lost: GC stops
   * before its next batch, and the process exits (unless configured not to, as in tests) so that Kubernetes restarts
   * it as a clean follower, while another replica takes over.
   */
  private void stoppedLeading(LeaderElection le) {
    if (closing.get()) {
      return;
    }
    LOG.warn("lost leadership of Lease {}/{}; stopping GC{}", le.leaseNamespace(), le.leaseName(),
        le.exitOnStopLeading() ? " and exiting" : "");
    gc.cancelAll();
    if (le.exitOnStopLeading()) {
      // not from the elector's thread: exit runs the shutdown hook, which stops the elector
      new Thread(() -> System.exit(1), "exit-on-lost-leadership").start();
    }
  }

  /** GC first (a batch in flight finishes), then the controllers and leader election, which releases the Lease. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    gc.close();
    operator.stop();
    bundlePublisher.close();
    if (leaderElection != null) {
      releaseLease(client, leaderElection, clock);
    }
  }

  /**
   * Gives the Lease up, as client-go's {@code ReleaseOnCancel} does (JOSDK 5.2 builds its elector without it): no
   * holder and a duration of one second, so the next replica takes over at once instead of waiting the Lease out.
   * Only if this replica still holds it, and with the version just read, so a new leader is never overwritten.
   */
  static void releaseLease(KubernetesClient client, LeaderElection le, Clock clock) {
    try {
      io.fabric8.kubernetes.api.model.coordination.v1.Lease lease = client.leases().inNamespace(le.leaseNamespace()).withName(le.leaseName()).get();
      if (lease == null || lease.getSpec() == null || !le.identity().equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      String now = java.time.format.DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
      String patch = "{\"metadata\":{\"resourceVersion\":\"" + lease.getMetadata().getResourceVersion() + "\"},"
          + "\"spec\":{\"holderIdentity\":null,\"leaseDurationSeconds\":1,\"renewTime\":\"" + now + "\"}}";
      client.leases().inNamespace(le.leaseNamespace()).withName(le.leaseName())
          .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch);
      LOG.info("released Lease {}/{}", le.leaseNamespace(), le.leaseName());
    } catch (RuntimeException e) {
      LOG.warn("could not release Lease {}/{}: {}; the next leader takes over when it expires", le.leaseNamespace(), le.leaseName(),
          Failures.oneLine(e));
    }
  }
}
