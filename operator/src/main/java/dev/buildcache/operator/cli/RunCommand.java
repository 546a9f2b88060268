package dev.buildcache.operator.cli;

import dev.buildcache.operator.runtime.HealthServer;
import dev.buildcache.operator.runtime.OperatorRuntime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.buildcache.operator.bundles.BundleSecretNames;
import dev.buildcache.operator.tenancy.RepositoryAccess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {"Run the operator. Connects with the in-cluster service account, or the current kubeconfig context."})
public final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--namespace", paramLabel = "NS", description = "Watch only this namespace; repeatable. Default: all namespaces.")
  List<String> namespaces = List.of();

  @Option(names = "--health-port", defaultValue = "8080", description = "Port of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  int healthPort;

  @Option(names = "--leader-election", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Elect one active replica through a Lease (default: ${DEFAULT-VALUE}).")
  boolean leaderElection;

  @Option(names = "--lease-name", defaultValue = "buildcache-operator", description = "Name of the leader election Lease (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(names = "--lease-namespace", description = "Namespace of the Lease. Default: $POD_NAMESPACE, else the client's namespace.")
  String leaseNamespace;

  @Option(names = "--operator-namespace", paramLabel = "NS",
      description = "The operator's own namespace, where it keeps each builder's CA Secret. Default: $POD_NAMESPACE, else buildcache-system.")
  String operatorNamespace;

  @Option(names = "--cluster-domain", paramLabel = "DOMAIN", defaultValue = "cluster.local",
      description = "The cluster's DNS domain, in which exposed builders' gateways resolve profile Services (default: ${DEFAULT-VALUE}).")
  String clusterDomain;

  @Option(names = "--client-bundle-secret-template", paramLabel = "TEMPLATE", defaultValue = BundleSecretNames.DEFAULT_TEMPLATE,
      description = "Names of the AWS Secrets Manager secrets that hold exposed builders' client bundles (spec.exposure.secretsManager); "
          + "{namespace}, {builder} and {profile} are required (default: ${DEFAULT-VALUE}).")
  String bundleSecretTemplate;

  @Option(names = "--secrets-manager-endpoint-url", paramLabel = "URL",
      description = "Secrets Manager API endpoint override, e.g. a VPC interface endpoint. Default: the regional endpoint.")
  java.net.URI secretsManagerEndpoint;

  @Option(names = "--reconcile-threads", defaultValue = "10", description = "Concurrent reconciles (default: ${DEFAULT-VALUE}).")
  int reconcileThreads;

  @Option(names = "--gc-threads", defaultValue = "2", description = "Registry GC runs at a time, across all profiles (default: ${DEFAULT-VALUE}).")
  int gcThreads;

  @Option(names = "--resync-period", paramLabel = "DUR", defaultValue = "10m",
      description = "Reconcile every resource at least this often, repairing drift no event shows (default: ${DEFAULT-VALUE}).")
  String resyncPeriod;

  @Option(names = "--repository-access", paramLabel = "NS=PATTERN",
      description = "Which repositories the CacheProfiles of matching namespaces may prune; repeatable. PATTERN is over "
          + "host/path/name: * within a path element, ** across, {namespace} the profile's namespace. Default: "
          + RepositoryAccess.DEFAULT_RULE + " (each namespace its own path element). '*=**' lets every namespace use every repository.")
  List<String> repositoryAccess = List.of();

  @Option(names = "--ecr-endpoint-url", paramLabel = "URL", description = "ECR API endpoint override, e.g. a VPC interface endpoint. Default: the regional endpoint.")
  java.net.URI ecrEndpoint;

  private BundleSecretNames bundleSecretNames() {
    try {
      return BundleSecretNames.of(bundleSecretTemplate);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--client-bundle-secret-template: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(meters);
    new JvmGcMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);

    KubernetesClient client = dev.buildcache.operator.runtime.OperatorClient.create();
    OperatorRuntime.LeaderElection election = null;
    // Where each builder's CA Secret is kept: the operator's own namespace, never the kubeconfig's current one (an
    // operator run from a laptop must find the CAs the in-cluster one keeps, or it would issue new ones).
    String ownNamespace = operatorNamespace != null ? operatorNamespace : System.getenv("POD_NAMESPACE") != null
        ? System.getenv("POD_NAMESPACE") : dev.buildcache.operator.builder.BuilderPlanner.DEFAULT_OPERATOR_NAMESPACE;
    if (leaderElection) {
      String ns = leaseNamespace != null ? leaseNamespace
          : System.getenv("POD_NAMESPACE") != null ? System.getenv("POD_NAMESPACE") : client.getNamespace();
      String identity = System.getenv().getOrDefault("POD_NAME", System.getenv().getOrDefault("HOSTNAME", "buildcache-operator"));
      election = OperatorRuntime.LeaderElection.of(leaseName, ns, identity);
    }
    Set<String> watched = new LinkedHashSet<>(namespaces);
    OperatorRuntime runtime = new OperatorRuntime(client, meters, Clock.systemUTC(),
        new OperatorRuntime.Settings(watched, election, reconcileThreads, gcThreads, ecrEndpoint)
            .withRepositoryAccess(RepositoryAccess.parse(repositoryAccess))
            .withOperatorNamespace(ownNamespace)
            .withExternalAgents(new OperatorRuntime.ExternalAgents(clusterDomain, bundleSecretNames(), secretsManagerEndpoint))
            .withResync(dev.buildcache.operator.units.Durations.parse(resyncPeriod)));
    HealthServer health = new HealthServer(healthPort, runtime::isHealthy, meters);
    health.start();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("shutting down: stopping controllers");
      runtime.close();
      health.close();
      client.close();
      stopped.countDown();
    }, "shutdown"));
    try {
      runtime.start();
    } catch (RuntimeException e) {
      runtime.close();
      health.close();
      client.close();
      throw e;
    }
    LOG.info("buildcache-operator {} started; watching {}; health and metrics on :{}", VersionCommand.version(),
        watched.isEmpty() ? "all namespaces" : watched, health.port());
    stopped.await();
    return 0;
  }
}
