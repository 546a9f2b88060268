package dev.buildcache.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.builder.desired.BuilderNames;
import java.io.IOException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real TLS 1.3 handshakes between a Java server and client using the material the operator issues. */
class TlsHandshakeTest {
  static final BuilderNames NAMES = new BuilderNames("shared", "buildkite");
  static final CertificateIssuer ISSUER = new CertificateIssuer(Clock.systemUTC(), new SecureRandom());
  static final TlsMaterial MATERIAL = new TlsMaterialPlanner(ISSUER, Clock.systemUTC()).plan(
      new TlsMaterialPlanner.Request("ca", NAMES.serverName(), NAMES.serverDnsNames(), "client",
          Duration.ofHours(2160), Duration.ofHours(360), Duration.ofHours(43800), Duration.ofHours(1)),
      TlsMaterialPlanner.Stored.empty());

  @ParameterizedTest
  @ValueSource(strings = {"shared", "shared.buildkite", "shared.buildkite.svc", "shared.buildkite.svc.cluster.local",
      "shared-0.shared-pods.buildkite.svc", "shared-2.shared-pods.buildkite.svc.cluster.local"})
  void clientWithIssuedBundleConnectsUnderEveryServerName(String serverName) throws Exception {
    assertThat(handshake(MATERIAL.client(), serverName)).isEqualTo("pong");
  }

  @Test
  void serverCertificateVerifiesAgainstTheCaForEveryName() throws Exception {
    X509Certificate server = MATERIAL.server().certificate();
    server.verify(MATERIAL.authority().certificate().getPublicKey());
    assertThat(RenewalPolicy.dnsNames(server)).containsExactlyInAnyOrderElementsOf(NAMES.serverDnsNames());
  }

  @Test
  void clientCertificateFromAnotherCaIsRejected() {
    KeyAndCertificate foreignCa = ISSUER.issueAuthority("someone else", Duration.ofHours(100));
    KeyAndCertificate foreignClient = ISSUER.issueClient(foreignCa, "intruder", Instant.now().plus(Duration.ofHours(10)));
    assertThatThrownBy(() -> handshake(foreignClient, NAMES.serverName())).isInstanceOf(IOException.class);
  }

  @Test
  void wrongServerNameIsRejected() {
    assertThatThrownBy(() -> handshake(MATERIAL.client(), "evil.example.com")).isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void agentsThatRefreshWithinThePublishDelayKeepWorkingThroughALostCa() throws Exception {
    dev.buildcache.operator.testing.MutableClock clock = new dev.buildcache.operator.testing.MutableClock(Instant.now());
    TlsMaterialPlanner planner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
    TlsMaterialPlanner.Request request = new TlsMaterialPlanner.Request("ca", NAMES.serverName(), NAMES.serverDnsNames(),
        "client", Duration.ofHours(2160), Duration.ofHours(360), Duration.ofHours(43800), Duration.ofMinutes(2));
    TlsMaterial before = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    TlsMaterial published = planner.plan(request, new TlsMaterialPlanner.Stored(null, null, null,
        before.server().certificatePem(), before.server().keyPem(), before.trustBundle(),
        before.client().certificatePem(), before.client().keyPem(), before.trustBundle()));
    assertThat(published.authorityLost()).isTrue();

    // while the new CA is being published: agents with the old and with the new client Secret both connect
    assertThat(handshake(published.server(), published.trustBundle(), before.client(), before.trustBundle(), NAMES.serverName()))
        .isEqualTo("pong");
    assertThat(handshake(published.server(), published.trustBundle(), published.client(), published.trustBundle(), NAMES.serverName()))
        .isEqualTo("pong");

    clock.advance(Duration.ofMinutes(2));
    TlsMaterial switched = planner.plan(request, TlsMaterialPlannerTest.stored(published));
    assertThat(switched.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("server", "client");
    // an agent that fetched the Secret during the publish delay still connects with its old certificate
    assertThat(handshake(switched.server(), switched.trustBundle(), published.client(), published.trustBundle(), NAMES.serverName()))
        .isEqualTo("pong");
    assertThat(handshake(switched.server(), switched.trustBundle(), switched.client(), switched.trustBundle(), NAMES.serverName()))
        .isEqualTo("pong");
    // one that never refreshed does not trust the new server certificate: why the Warning names the Secret
    assertThatThrownBy(() -> handshake(switched.server(), switched.trustBundle(), before.client(), before.trustBundle(), NAMES.serverName()))
        .isInstanceOf(SSLHandshakeException.class);
  }

  /** Runs one request/response over mutual TLS and returns the server's answer. */
  static String handshake(KeyAndCertificate clientIdentity, String serverName) throws Exception {
    return handshake(MATERIAL.server(), MATERIAL.trustBundle(), clientIdentity, MATERIAL.trustBundle(), serverName);
  }

  static String handshake(KeyAndCertificate serverIdentity, String serverTrust, KeyAndCertificate clientIdentity,
      String clientTrust, String serverName) throws Exception {
    return dev.buildcache.operator.testing.TestTls.pingPong(context(serverIdentity, serverTrust), context(clientIdentity, clientTrust),
        serverName);
  }

  static SSLContext context(KeyAndCertificate identity, String trustBundle) throws Exception {
    return dev.buildcache.operator.testing.TestTls.context(identity, trustBundle);
  }
}
