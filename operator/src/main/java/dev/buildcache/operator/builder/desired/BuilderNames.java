package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;

/** Names and addresses of everything a BuildkitBuilder owns, derived from its name and namespace only. */
public record BuilderNames(String name, String namespace) {
  public static final int GRPC_PORT = 1234;
  public static final int METRICS_PORT = 6060;

  public static BuilderNames of(BuildkitBuilder builder) {
    return new BuilderNames(builder.getMetadata().getName(), builder.getMetadata().getNamespace());
  }

  public String statefulSet() { return name; }
  public String service() { return name; }
  public String headlessService() { return name + "-pods"; }
  public String configMap() { return name + "-config"; }
  /**
   * The CA's Secret, kept in the operator's namespace, not the builder's: whoever can read the builder's namespace's
   * Secrets (its tenants) must not be able to mint certificates. Namespace and builder name contain no dots, so
   * {@code <namespace>.<builder>.ca} names one builder only.
   */
  public String caSecret() { return namespace + "." + name + ".ca"; }
  /** Where versions before 0.2 kept the CA, in the builder's namespace: read once, moved, deleted. */
  public String legacyCaSecret() { return name + "-ca"; }
  public String serverSecret() { return name + "-server-tls"; }
  public String clientSecret() { return name + "-client-tls"; }
  /** One profile's own client certificate; dots, which no builder or profile name has, keep it apart from every other name. */
  public String profileClientSecret(String profile) { return name + "." + profile + ".client-tls"; }
  public String podDisruptionBudget() { return name; }
  public String networkPolicy() { return name; }
  public String pod(int ordinal) { return name + "-" + ordinal; }
  /** The TLS-passthrough gateway's Deployment, Service, ConfigMap, PodDisruptionBudget and NetworkPolicy. */
  public String gateway() { return name + "-gateway"; }

  /**
   * Where server names for agents outside the cluster live: {@code <builder>.<namespace>.buildcache.internal}. A
   * private name ({@code .internal} is reserved for private use), resolved by nobody: agents dial the load balancer
   * and send {@code <profile>.}this as SNI; the gateway maps it to the profile's Service, and the server certificate
   * covers it with one wildcard scoped to this builder.
   */
  public String externalDomain() { return name + "." + namespace + ".buildcache.internal"; }

  /** The server name (SNI) an agent outside the cluster uses for one profile. */
  public String externalServerName(String profile) { return profile + "." + externalDomain(); }

  /** The name clients verify the server certificate against (the remote driver's {@code servername}). */
  public String serverName() { return service() + "." + namespace + ".svc"; }

  public String endpoint() { return "tcp://" + serverName() + ":" + GRPC_PORT; }

  /**
   * DNS names the server certificate covers: the Service in every short form, every pod via a wildcard, and every
   * profile's external server name via another (always, so that exposing a builder later re-issues nothing).
   */
  public java.util.List<String> serverDnsNames() {
    String svc = service();
    String pods = headlessService() + "." + namespace + ".svc";
    return java.util.List.of(
        svc, svc + "." + namespace, serverName(), serverName() + ".cluster.local",
        "*." + pods, "*." + pods + ".cluster.local", "*." + externalDomain());
  }
}
