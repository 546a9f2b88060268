package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.runtime.OperatorRuntime;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * The real operator wiring, started against a {@link KubernetesTestCluster} as its real ServiceAccount
 * ({@code buildcache-system/buildcache-operator}) under the RBAC that {@code deploy/base} ships: a request the
 * shipped rules do not allow gets the API server's 403, as on a real cluster.
 */
public final class OperatorHarness implements AutoCloseable {
  public static final String NAMESPACE = "buildcache-system";
  public static final String SERVICE_ACCOUNT = "buildcache-operator";
  public static final String USER = "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT;
  public static final String USER_AGENT = "buildcache-operator-under-test";
  private static final Set<String> RBAC_KINDS = Set.of("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
  private static final java.util.Map<String, List<JsonNode>> shippedRbac = new java.util.HashMap<>();

  private final MeterRegistry meters;
  private final OperatorRuntime runtime;
  private final KubernetesClient client;

  /**
   * With every namespace allowed every repository: the tests' profiles live in one namespace and name repositories
   * such as {@code .../app-cache}. Tenancy (the default rules) is {@code TenancyIT}'s.
   */
  public OperatorHarness(KubernetesTestCluster cluster) {
    this(cluster, SETTINGS);
  }

  public static final OperatorRuntime.Settings SETTINGS = OperatorRuntime.Settings.defaults()
      .withRepositoryAccess(dev.buildcache.operator.tenancy.RepositoryAccess.any());

  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings) {
    this(cluster, settings, new SimpleMeterRegistry());
  }

  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings, MeterRegistry meters) {
    this(cluster, settings, meters, Clock.systemUTC());
  }

  /** The operator under a clock the test moves (certificate lifetimes, GC schedules). */
  public OperatorHarness(KubernetesTestCluster cluster, Clock clock) {
    this(cluster, SETTINGS, new SimpleMeterRegistry(), clock);
  }

  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings, MeterRegistry meters, Clock clock) {
    this(cluster, settings, meters, clock, "base");
  }

  /** Under the RBAC of another install of deploy/ (e.g. "namespaced"). */
  public OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings, String overlay) {
    this(cluster, settings, new SimpleMeterRegistry(), Clock.systemUTC(), overlay);
  }

  private OperatorHarness(KubernetesTestCluster cluster, OperatorRuntime.Settings settings, MeterRegistry meters, Clock clock,
      String overlay) {
    this.meters = meters;
    cluster.createMissing(shippedRbac(overlay));
    client = cluster.serviceAccountClient(NAMESPACE, SERVICE_ACCOUNT, USER_AGENT);
    runtime = new OperatorRuntime(client, meters, clock, settings);
    runtime.start();
  }

  /** The ClusterRole, Role and bindings of deploy/base, as kustomize renders them. */
  public static List<JsonNode> shippedRbac() {
    return shippedRbac("base");
  }

  /** The RBAC objects of an install under deploy/ (base: cluster mode; namespaced: RoleBindings per tenant). */
  public static synchronized List<JsonNode> shippedRbac(String overlay) {
    return shippedRbac.computeIfAbsent(overlay, o -> {
      try {
        return Kustomize.render(o).stream().filter(d -> RBAC_KINDS.contains(d.path("kind").asText())).toList();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
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
    client.close();
  }
}
