package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.builder.desired.GatewayConfigFactory;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestDnsServer;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import dev.buildcache.operator.testing.TestTls;
import dev.buildcache.operator.tls.CertificateIssuer;
import dev.buildcache.operator.tls.KeyAndCertificate;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents outside the cluster through the real gateway: Debian's haproxy runs the configuration the operator renders
 * for an exposed builder (the same renderer, told where this test's DNS and ports are), in front of two Java TLS
 * servers that stand in for the builder's replicas with the certificates the operator issued. Between them, what a
 * cluster has: a DNS that resolves each profile Service's name to its own address, and a kube-proxy that forwards each
 * Service address to the pod its selector names now (read from the API server at every connection). A client
 * connects as buildx's remote driver does: to the load balancer, SNI = the profile's server name, the client
 * certificate from the builder's client Secret, the server certificate checked against that name.
 */
class GatewayIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final Duration WAIT = Duration.ofSeconds(30);
  static final List<String> PROFILES = List.of("web", "api", "worker", "docs", "billing", "search", "mobile", "infra");

  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;
  TestDnsServer dns;
  Process haproxy;
  final List<AutoCloseable> closing = new ArrayList<>();
  final Map<String, Replica> replicas = new TreeMap<>();
  int gatewayPort;
  SSLContext agent;

  @TempDir
  Path dir;

  @BeforeEach
  void start() throws Exception {
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster);
    dns = new TestDnsServer();
  }

  @AfterEach
  void stop() throws Exception {
    if (haproxy != null) {
      haproxy.destroyForcibly().waitFor();
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
    dns.close();
    operator.close();
    cluster.close();
  }

  @Test
  void eachProfileLandsOnItsReplicaThroughTheGatewayAndOnlyTheirOwnersGetThrough() throws Exception {
    client.resource(TestBuilders.exposed("shared", s -> {
      s.setReplicas(2);
      s.getClients().setIpBlocks(List.of("127.0.0.0/8"));
    })).create();
    TestPods.createReady(client, "shared", 2);
    await().atMost(WAIT).until(() -> client.apps().statefulSets().inNamespace(NS).withName("shared").get() != null);
    TestPods.markStatefulSetReady(client, "shared", 2);
    for (String name : PROFILES) {
      client.resource(TestProfiles.profile(name, s -> {})).create();
    }
    BuilderNames names = new BuilderNames("shared", NS);

    // The operator renders the gateway's configuration; the cloud gives its Service an address.
    String rendered = await().atMost(WAIT).until(() -> client.configMaps().inNamespace(NS).withName(names.gateway()).get(),
        c -> c != null).getData().get(GatewayConfigFactory.FILE);
    assertThat(rendered).isEqualTo(GatewayConfigFactory.render(names, "cluster.local", Duration.ofMinutes(15),
        GatewayConfigFactory.Environment.inPod()));
    await().atMost(WAIT).until(() -> client.services().inNamespace(NS).withName(names.gateway()).get() != null);
    client.services().inNamespace(NS).withName(names.gateway()).editStatus(s -> {
      s.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer().addNewIngress()
          .withHostname("k8s-buildkit-shared.elb.eu-west-1.amazonaws.com").endIngress().endLoadBalancer().build());
      return s;
    });
    Map<String, CacheProfile> ready = awaitExternal(names);
    assertThat(ready.get("web").getStatus().getExternal().getEndpoint()).isEqualTo("tcp://k8s-buildkit-shared.elb.eu-west-1.amazonaws.com:1234");
    assertThat(ready.get("web").getStatus().getExternal().getAgentConfig())
        .contains("remote-address: tcp://k8s-buildkit-shared.elb.eu-west-1.amazonaws.com:1234", "servername=web.shared." + NS + ".buildcache.internal");

    startCluster(names);
    startGateway(names);

    // Each profile lands on the replica its Service points at.
    Map<String, String> before = new TreeMap<>();
    ready.forEach((name, p) -> before.put(name, p.getStatus().getAssignedReplica()));
    for (String name : PROFILES) {
      assertThat(connect(names.externalServerName(name), agent)).as(name).isEqualTo(before.get(name));
    }
    assertThat(before.values()).as("both replicas serve profiles").containsAll(List.of("shared-0", "shared-1"));
    System.out.println("gateway routing: " + before);

    // Refused, and nothing reaches a replica: another CA's client certificate is refused by the replica (TLS is end to
    // end: the gateway never sees it); an unknown profile, another builder's name, no SNI and plain TCP by the gateway.
    int forwarded = totalAccepted();
    CertificateIssuer issuer = new CertificateIssuer(Clock.systemUTC(), new SecureRandom());
    KeyAndCertificate otherCa = issuer.issueAuthority("someone else's CA", Duration.ofDays(1));
    KeyAndCertificate stranger = issuer.issueClient(otherCa, "stranger", Instant.now().plus(Duration.ofDays(1)));
    SSLContext strangerContext = TestTls.context(stranger, clientBundle().get(SecretFactory.BUNDLE_CA));
    assertThat(attempt(names.externalServerName("web"), strangerContext)).startsWith("refused");
    assertThat(totalAccepted()).as("the replica, not the gateway, refuses a client certificate").isEqualTo(forwarded + 1);
    forwarded = totalAccepted();
    assertThat(attempt(names.externalServerName("nope"), agent)).startsWith("refused");
    assertThat(attempt("web.other." + NS + ".buildcache.internal", agent)).startsWith("refused");
    assertThat(attempt("shared-web." + NS + ".svc.cluster.local", agent)).startsWith("refused");
    assertThat(plainTcp()).isEqualTo(0);
    assertThat(totalAccepted()).as("refused before a byte is forwarded").isEqualTo(forwarded);

    // A replica that stops being ready moves only its own profiles, and they come back when it returns.
    TestPods.setReady(client, "shared-0", false);
    await().atMost(WAIT).until(() -> PROFILES.stream().allMatch(n -> "shared-1".equals(selectedPod(n))));
    for (String name : PROFILES) {
      assertThat(connect(names.externalServerName(name), agent)).as(name).isEqualTo("shared-1");
    }
    TestPods.setReady(client, "shared-0", true);
    await().atMost(WAIT).until(() -> PROFILES.stream().allMatch(n -> before.get(n).equals(selectedPod(n))));
    for (String name : PROFILES) {
      assertThat(connect(names.externalServerName(name), agent)).as(name).isEqualTo(before.get(name));
    }
    System.out.println("gateway refusals: wrong client certificate, unknown profile, other builder, in-cluster name, plain TCP;"
        + " replica connections " + replicas.values().stream().map(r -> r.name + "=" + r.accepted.get()).toList());
  }

  private Map<String, CacheProfile> awaitExternal(BuilderNames names) {
    return await().atMost(WAIT).until(() -> {
      Map<String, CacheProfile> all = new TreeMap<>();
      for (String name : PROFILES) {
        CacheProfile p = client.resources(CacheProfile.class).inNamespace(NS).withName(name).get();
        if (p == null || p.getStatus() == null || p.getStatus().getExternal() == null
            || !Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY)) {
          return null;
        }
        assertThat(p.getStatus().getExternal().getServerName()).isEqualTo(names.externalServerName(name));
        all.put(name, p);
      }
      return all;
    }, m -> m != null);
  }

  private String selectedPod(String profile) {
    Service service = client.services().inNamespace(NS).withName("shared-" + profile).get();
    return service == null ? null : service.getSpec().getSelector().get(BuilderLabels.POD_NAME_KEY);
  }

  private Map<String, String> clientBundle() {
    Secret secret = client.secrets().inNamespace(NS).withName("shared-client-tls").get();
    return Map.of(SecretFactory.BUNDLE_CA, SecretFactory.value(secret, SecretFactory.BUNDLE_CA),
        SecretFactory.BUNDLE_CERT, SecretFactory.value(secret, SecretFactory.BUNDLE_CERT),
        SecretFactory.BUNDLE_KEY, SecretFactory.value(secret, SecretFactory.BUNDLE_KEY));
  }

  /** The replicas (TLS servers with the builder's server certificate), the Services' addresses and their kube-proxy. */
  private void startCluster(BuilderNames names) throws Exception {
    Secret server = client.secrets().inNamespace(NS).withName(names.serverSecret()).get();
    SSLContext serverContext = TestTls.context(KeyAndCertificate.parse(SecretFactory.value(server, SecretFactory.BUNDLE_CERT),
        SecretFactory.value(server, SecretFactory.BUNDLE_KEY)), SecretFactory.value(server, SecretFactory.BUNDLE_CA));
    for (String pod : List.of("shared-0", "shared-1")) {
      replicas.put(pod, new Replica(pod, serverContext));
    }
    Map<String, String> bundle = clientBundle();
    agent = TestTls.context(KeyAndCertificate.parse(bundle.get(SecretFactory.BUNDLE_CERT), bundle.get(SecretFactory.BUNDLE_KEY)),
        bundle.get(SecretFactory.BUNDLE_CA));
    int servicePort = 0;
    for (int i = 0; i < PROFILES.size(); i++) {
      String service = "shared-" + PROFILES.get(i);
      InetAddress address = InetAddress.getByAddress(new byte[] {127, 77, 0, (byte) (i + 1)});
      ServiceProxy proxy = new ServiceProxy(service, address, servicePort);
      servicePort = proxy.socket.getLocalPort();
      dns.put(service + "." + NS + ".svc.cluster.local", address);
    }
    this.servicePort = servicePort;
  }

  int servicePort;

  private void startGateway(BuilderNames names) throws Exception {
    int health;
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      gatewayPort = a.getLocalPort();
      health = b.getLocalPort();
    }
    String config = GatewayConfigFactory.render(names, "cluster.local", Duration.ofMinutes(15),
        new GatewayConfigFactory.Environment("127.0.0.1", gatewayPort, health, List.of(dns.address()), servicePort));
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, config);
    String binary = haproxyBinary();
    // the configuration exactly as the pod gets it (the cluster's resolv.conf, the builder's port) is valid too
    Path inPod = dir.resolve("in-pod.cfg");
    Files.writeString(inPod, client.configMaps().inNamespace(NS).withName(names.gateway()).get().getData().get(GatewayConfigFactory.FILE));
    for (Path candidate : List.of(inPod, file)) {
      Process check = new ProcessBuilder(binary, "-c", "-f", candidate.toString()).redirectErrorStream(true).start();
      String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(check.waitFor()).as(candidate + ": " + checked).isZero();
    }
    haproxy = new ProcessBuilder(binary, "-W", "-db", "-f", file.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try {
      await().atMost(WAIT).ignoreExceptions().until(() -> http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + health + GatewayConfigFactory.HEALTH_PATH)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("haproxy did not become healthy; its log:\n" + Files.readString(dir.resolve("haproxy.log")), e);
    }
  }

  static void daemon(Runnable work) {
    Thread thread = new Thread(work);
    thread.setDaemon(true);
    thread.start();
  }

  /** Debian installs haproxy in /usr/sbin, outside an ordinary user's PATH (scripts/ensure-tools haproxy). */
  static String haproxyBinary() {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "haproxy");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException("haproxy is not installed: run scripts/ensure-tools haproxy (Debian package haproxy)");
  }

  /** What the replica that answered says its name is. */
  private String connect(String serverName, SSLContext context) throws Exception {
    String answer = attempt(serverName, context);
    assertThat(answer).as(serverName).doesNotStartWith("refused");
    return answer;
  }

  private String attempt(String serverName, SSLContext context) {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gatewayPort), 5000);
      plain.setSoTimeout(10_000);
      try (SSLSocket tls = TestTls.client(context, plain, serverName)) {
        tls.startHandshake();
        byte[] line = tls.getInputStream().readNBytes(8);
        String answer = new String(line, StandardCharsets.US_ASCII).trim();
        return answer.isEmpty() ? "refused: closed after the handshake" : answer;
      }
    } catch (IOException e) {
      return "refused: " + e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Bytes the gateway answers to a plain TCP client before it closes the connection. */
  private int plainTcp() throws IOException {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gatewayPort), 5000);
      plain.setSoTimeout(15_000);
      plain.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return plain.getInputStream().readAllBytes().length;
    }
  }

  private int totalAccepted() {
    return replicas.values().stream().mapToInt(r -> r.accepted.get()).sum();
  }

  /** A builder replica: a TLS server requiring a client certificate of the builder's CA, answering its pod name. */
  final class Replica implements AutoCloseable {
    final String name;
    final SSLServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();

    Replica(String name, SSLContext context) throws IOException {
      this.name = name;
      this.socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      socket.setNeedClientAuth(true);
      closing.add(this);
      Thread thread = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            SSLSocket connection = (SSLSocket) socket.accept();
            accepted.incrementAndGet();
            daemon(() -> answer(connection));
          } catch (IOException e) {
            return;
          }
        }
      }, "replica-" + name);
      thread.setDaemon(true);
      thread.start();
    }

    private void answer(SSLSocket connection) {
      try (connection) {
        connection.setSoTimeout(10_000);
        connection.startHandshake();
        OutputStream out = connection.getOutputStream();
        out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException e) {
        // the client sees the refusal
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /**
   * A Service's address and kube-proxy's part: each connection goes to the replica that the Service's selector names
   * at that moment, as the operator last wrote it.
   */
  final class ServiceProxy implements AutoCloseable {
    final ServerSocket socket;

    ServiceProxy(String service, InetAddress address, int port) throws IOException {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(address, port), 50);
      closing.add(this);
      Thread thread = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket in = socket.accept();
            daemon(() -> forward(service, in));
          } catch (IOException e) {
            return;
          }
        }
      }, "service-" + service);
      thread.setDaemon(true);
      thread.start();
    }

    private void forward(String service, Socket in) {
      String pod = selectedPod(service.substring("shared-".length()));
      Replica replica = pod == null ? null : replicas.get(pod);
      if (replica == null) {
        close(in);
        return;
      }
      try (in; Socket out = new Socket(InetAddress.getLoopbackAddress(), replica.socket.getLocalPort())) {
        Thread back = new Thread(() -> pipe(out, in));
        back.setDaemon(true);
        back.start();
        pipe(in, out);
        back.join(10_000);
      } catch (IOException | InterruptedException e) {
        // the client sees a closed connection
      }
    }

    private void pipe(Socket from, Socket to) {
      try {
        InputStream input = from.getInputStream();
        OutputStream output = to.getOutputStream();
        input.transferTo(output);
        to.shutdownOutput();
      } catch (IOException e) {
        // one side closed
      }
    }

    private void close(Socket socket) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
