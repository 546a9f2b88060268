package dev.buildcache.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestTls;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Per-profile client identities and their revocation, through real TLS 1.3 handshakes against a server that checks
 * client certificates as buildkitd does, at the test clock's time.
 */
class ProfileIdentitiesTest {
  static final BuilderNames NAMES = new BuilderNames("shared", "buildkite");
  static final Duration LIFETIME = Duration.ofHours(24);

  final MutableClock clock = new MutableClock(Instant.now());
  final TlsMaterialPlanner planner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
  final TlsMaterial tls = planner.plan(new TlsMaterialPlanner.Request("ca", NAMES.serverName(), NAMES.serverDnsNames(), "client",
      Duration.ofHours(2160), Duration.ofHours(360), Duration.ofHours(43800), Duration.ofHours(1)), TlsMaterialPlanner.Stored.empty());

  static Map<String, ProfileIdentities.Stored> stored(ProfileIdentities identities) {
    return identities.identities().entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
        e -> new ProfileIdentities.Stored(e.getValue().certificatePem(), e.getValue().keyPem())));
  }

  @Test
  void eachProfileHasItsOwnShortLivedCertificateKeptUntilAThirdIsLeft() {
    ProfileIdentities first = planner.planProfiles(tls, LIFETIME, "buildkite", Map.of(), List.of("web", "api"));
    assertThat(first.issued()).containsExactly("api", "web");
    assertThat(first.identities().get("web").certificate().getSubjectX500Principal().getName()).isEqualTo("CN=buildkite/web");
    assertThat(first.identities().get("web").certificate()).isNotEqualTo(first.identities().get("api").certificate());
    assertThat(first.nextChange()).contains(first.identities().get("api").notAfter().minus(LIFETIME.dividedBy(3)));

    clock.advance(Duration.ofHours(15));
    assertThat(planner.planProfiles(tls, LIFETIME, "buildkite", stored(first), List.of("web", "api")).issued())
        .as("a converged pass issues nothing").isEmpty();
    clock.advance(Duration.ofHours(2));
    assertThat(planner.planProfiles(tls, LIFETIME, "buildkite", stored(first), List.of("web", "api")).issued())
        .containsExactly("api", "web");
  }

  @Test
  void aRevokedProfilesCertificateStopsWorkingWhenItExpiresAndAnothersStillWorks() throws Exception {
    Instant start = clock.instant();
    ProfileIdentities first = planner.planProfiles(tls, LIFETIME, "buildkite", Map.of(), List.of("web", "api"));
    // both connect while nothing is revoked
    assertThat(handshake(first.identities().get("api"), start.plus(Duration.ofHours(1)))).isEqualTo("pong");
    assertThat(handshake(first.identities().get("web"), start.plus(Duration.ofHours(1)))).isEqualTo("pong");

    // "api" is revoked (deleted, or accessRevoked): the next passes plan "web" only, and renew it on time
    clock.advance(Duration.ofHours(17));
    ProfileIdentities later = planner.planProfiles(tls, LIFETIME, "buildkite", stored(first), List.of("web"));
    assertThat(later.identities()).containsOnlyKeys("web");
    assertThat(later.issued()).containsExactly("web");

    Instant afterExpiry = start.plus(LIFETIME).plus(Duration.ofMinutes(1));
    assertThat(handshake(first.identities().get("api"), afterExpiry)).as("revoked: its last certificate expired").isEqualTo("refused");
    assertThat(handshake(later.identities().get("web"), afterExpiry)).as("renewed: still works").isEqualTo("pong");
    assertThat(handshake(first.identities().get("web"), afterExpiry)).as("its old certificate expired too").isEqualTo("refused");
  }

  /** One request over mutual TLS, the server checking the client's certificate at {@code at}; "refused" if it fails. */
  String handshake(KeyAndCertificate client, Instant at) throws Exception {
    try {
      return TestTls.pingPong(TestTls.serverContextAt(tls.server(), tls.trustBundle(), at), TestTls.context(client, tls.trustBundle()),
          NAMES.serverName());
    } catch (IOException e) {
      return "refused";
    }
  }
}
