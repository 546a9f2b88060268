package dev.buildcache.operator.builder.desired;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The gateway's HAProxy configuration: TLS passthrough in TCP mode, routed on the ClientHello's server name (SNI).
 * Pure.
 *
 * <p>An agent outside the cluster dials the load balancer and sends {@code <profile>.<builder>.<namespace>.buildcache.internal}
 * as SNI (buildx's remote driver sends its {@code servername}). The gateway accepts exactly the names of that form for
 * its own builder, resolves the profile's Service {@code <builder>-<profile>.<namespace>.svc.<cluster domain>} through
 * the cluster DNS and forwards the untouched bytes to it: the Service is pinned to the profile's replica and re-pointed on
 * failover by the profile reconciler, so stickiness and failover are those of in-cluster agents. TLS (and the client
 * certificate check) stays end to end between the agent and buildkitd; the gateway holds no key.
 *
 * <p>The configuration depends on the builder only, never on its profiles: adding or removing a profile restarts no
 * gateway pod and cuts no running build. A name of the accepted form whose Service does not exist fails to resolve and
 * is refused; anything that is not a TLS ClientHello, or names another server, is refused before a byte is forwarded.
 * Uses only HAProxy 2.6 features (Debian 12's, which the tests run).
 */
public final class GatewayConfigFactory {
  public static final String FILE = "haproxy.cfg";
  public static final String DIRECTORY = "/usr/local/etc/haproxy";
  public static final int HEALTH_PORT = 8404;
  public static final String HEALTH_PATH = "/healthz";
  /** A build can be silent for long (a quiet compile step); TCP keepalives, not this, find dead peers. */
  static final Duration IDLE_TIMEOUT = Duration.ofHours(12);
  static final int MAX_CONNECTIONS = 4096;

  private GatewayConfigFactory() {}

  /**
   * Where the gateway runs. {@code nameservers} empty: the pod's resolv.conf (the cluster DNS). {@code bindAddress}
   * empty: every address.
   */
  public record Environment(String bindAddress, int port, int healthPort, List<String> nameservers, int servicePort) {
    public Environment {
      Objects.requireNonNull(bindAddress, "bindAddress");
      nameservers = List.copyOf(nameservers);
    }

    /** In the gateway pod: listens on the builder's port, asks the cluster DNS, forwards to the Services' port. */
    public static Environment inPod() {
      return new Environment("", BuilderNames.GRPC_PORT, HEALTH_PORT, List.of(), BuilderNames.GRPC_PORT);
    }
  }

  /**
   * @param clusterDomain the cluster's DNS domain ({@code cluster.local} unless the cluster was set up otherwise)
   * @param drain how long a stopping gateway waits for running builds (the builder's drain period)
   */
  public static String render(BuilderNames names, String clusterDomain, Duration drain, Environment env) {
    String sni = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?" + literal("." + names.externalDomain()) + "$";
    String serviceSuffix = "." + names.namespace() + ".svc." + clusterDomain;
    StringBuilder out = new StringBuilder();
    out.append("# Rendered by buildcache-operator for BuildkitBuilder ").append(names.namespace()).append('/').append(names.name())
        .append(": TLS passthrough, routed on SNI.\n");
    out.append("# <profile>.").append(names.externalDomain()).append(" -> Service ").append(names.name()).append("-<profile>")
        .append(serviceSuffix).append(':').append(env.servicePort()).append('\n');
    out.append("global\n");
    out.append("  log stdout format raw local0 info\n");
    // Builds hold one connection each for their whole length: 4,096 is many builders' worth. HAProxy needs about two
    // descriptors per connection and refuses to start when the limit is lower (20,000 failed at a limit of 20,000).
    out.append("  maxconn ").append(MAX_CONNECTIONS).append('\n');
    // A stopping gateway (SIGUSR1 from the preStop hook) stops listening and lets running builds finish, up to this.
    out.append("  hard-stop-after ").append(drain.toSeconds()).append("s\n");
    out.append("resolvers cluster\n");
    if (env.nameservers().isEmpty()) {
      out.append("  parse-resolv-conf\n");
    } else {
      for (int i = 0; i < env.nameservers().size(); i++) {
        out.append("  nameserver dns").append(i).append(' ').append(env.nameservers().get(i)).append('\n');
      }
    }
    out.append("  accepted_payload_size 8192\n");
    out.append("  hold valid 10s\n");
    out.append("  hold nx 2s\n");
    out.append("  timeout resolve 1s\n");
    out.append("  timeout retry 1s\n");
    out.append("  resolve_retries 3\n");
    out.append("defaults\n");
    out.append("  mode tcp\n");
    out.append("  log global\n");
    out.append("  option tcplog\n");
    out.append("  option dontlognull\n");
    out.append("  option clitcpka\n");
    out.append("  option srvtcpka\n");
    out.append("  timeout connect 5s\n");
    out.append("  timeout client ").append(IDLE_TIMEOUT.toHours()).append("h\n");
    out.append("  timeout server ").append(IDLE_TIMEOUT.toHours()).append("h\n");
    out.append("  timeout client-fin 30s\n");
    out.append("frontend health\n");
    out.append("  mode http\n");
    out.append("  bind ").append(env.bindAddress()).append(':').append(env.healthPort()).append('\n');
    out.append("  monitor-uri ").append(HEALTH_PATH).append('\n');
    out.append("frontend buildkit\n");
    out.append("  bind ").append(env.bindAddress()).append(':').append(env.port()).append('\n');
    out.append("  tcp-request inspect-delay 5s\n");
    out.append("  tcp-request content capture req.ssl_sni len 253\n");
    // Plain TCP, or TLS without a complete ClientHello within the delay: refused.
    out.append("  tcp-request content reject unless { req.ssl_hello_type 1 }\n");
    // Only this builder's profile names: nothing else in the cluster is reachable through the gateway.
    out.append("  tcp-request content reject unless { req.ssl_sni,lower -m reg '").append(sni).append("' }\n");
    out.append("  tcp-request content set-var(txn.profile) req.ssl_sni,lower,field(1,.)\n");
    out.append("  tcp-request content set-var(txn.service) str(").append(names.name()).append("-),concat(,txn.profile,")
        .append(serviceSuffix).append(")\n");
    out.append("  tcp-request content do-resolve(txn.address,cluster,ipv4) var(txn.service)\n");
    // A profile without a Service (deleted, another builder's, never existed): refused.
    out.append("  tcp-request content reject unless { var(txn.address) -m found }\n");
    out.append("  default_backend profiles\n");
    out.append("backend profiles\n");
    out.append("  tcp-request content set-dst var(txn.address)\n");
    out.append("  server profile 0.0.0.0:").append(env.servicePort()).append('\n');
    return out.toString();
  }

  /** {@code text} as a regular expression matching itself (names hold only [a-z0-9.-]). */
  static String literal(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (c == '.') {
        out.append("[.]");
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
        out.append(c);
      } else {
        throw new IllegalArgumentException("not a DNS name: " + text);
      }
    }
    return out.toString();
  }
}
