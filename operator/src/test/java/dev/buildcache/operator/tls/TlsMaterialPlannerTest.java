package dev.buildcache.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.MutableClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsMaterialPlannerTest {
  static final Duration LEAF = Duration.ofHours(2160);
  static final Duration RENEW = Duration.ofHours(360);
  static final Duration CA = Duration.ofHours(8760);

  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final TlsMaterialPlanner planner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
  final TlsMaterialPlanner.Request request = new TlsMaterialPlanner.Request("ca", "shared.buildkite.svc",
      List.of("shared.buildkite.svc"), "client", LEAF, RENEW, CA);

  static TlsMaterialPlanner.Stored stored(TlsMaterial m) {
    return new TlsMaterialPlanner.Stored(m.authority().certificatePem(), m.authority().keyPem(), m.trustBundle(),
        m.server().certificatePem(), m.server().keyPem(), m.client().certificatePem(), m.client().keyPem());
  }

  @Test
  void issuesEverythingOnceThenNothing() {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    assertThat(first.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("ca", "server", "client");

    TlsMaterial second = planner.plan(request, stored(first));
    assertThat(second.issued()).isEmpty();
    assertThat(stored(second)).isEqualTo(stored(first));
  }

  @Test
  void leavesAreReissuedInsideTheWindowOnly() {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    clock.advance(LEAF.minus(RENEW).minusMinutes(1));
    assertThat(planner.plan(request, stored(first)).issued()).isEmpty();
    clock.advance(Duration.ofMinutes(2));
    TlsMaterial renewed = planner.plan(request, stored(first));
    assertThat(renewed.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("server", "client");
    assertThat(renewed.authority().certificatePem()).isEqualTo(first.authority().certificatePem());
  }

  @Test
  void caRotationKeepsTheOldCaTrustedUntilItExpires() throws Exception {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    clock.advance(CA.minus(LEAF).plusMinutes(1));
    TlsMaterial rotated = planner.plan(request, stored(first));

    assertThat(rotated.authorityRotated()).isTrue();
    assertThat(rotated.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("ca", "server", "client");
    assertThat(Pem.certificates(rotated.trustBundle()))
        .containsExactly(rotated.authority().certificate(), first.authority().certificate());
    // the new leaves are signed by the new CA
    rotated.server().certificate().verify(rotated.authority().certificate().getPublicKey());

    TlsMaterial steady = planner.plan(request, stored(rotated));
    assertThat(steady.issued()).isEmpty();
    assertThat(steady.trustBundle()).isEqualTo(rotated.trustBundle());

    clock.advance(LEAF);
    TlsMaterial afterOldCaExpired = planner.plan(request, stored(steady));
    assertThat(Pem.certificates(afterOldCaExpired.trustBundle())).containsExactly(rotated.authority().certificate());
  }

  @Test
  void leavesNeverOutliveTheirCa() {
    TlsMaterialPlanner.Request longLeaves = new TlsMaterialPlanner.Request("ca", "s", List.of("s"), "c",
        Duration.ofHours(2000), RENEW, Duration.ofHours(2100));
    TlsMaterial m = planner.plan(longLeaves, TlsMaterialPlanner.Stored.empty());
    assertThat(m.server().notAfter()).isBeforeOrEqualTo(m.authority().notAfter());
  }
}
