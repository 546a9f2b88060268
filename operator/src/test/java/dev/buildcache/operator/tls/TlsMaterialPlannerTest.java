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
  static final Duration PUBLISH = Duration.ofMinutes(15);

  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final TlsMaterialPlanner planner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
  final TlsMaterialPlanner.Request request = new TlsMaterialPlanner.Request("ca", "shared.buildkite.svc",
      List.of("shared.buildkite.svc"), "client", LEAF, RENEW, CA, PUBLISH);

  static TlsMaterialPlanner.Stored stored(TlsMaterial m) {
    return new TlsMaterialPlanner.Stored(m.authority().certificatePem(), m.authority().keyPem(), m.trustBundle(),
        m.server().certificatePem(), m.server().keyPem(), m.trustBundle(),
        m.client().certificatePem(), m.client().keyPem(), m.trustBundle());
  }

  /** The CA Secret deleted; the server and client Secrets (with their ca.pem bundles) still there. */
  static TlsMaterialPlanner.Stored withoutCaSecret(TlsMaterial m) {
    return new TlsMaterialPlanner.Stored(null, null, null,
        m.server().certificatePem(), m.server().keyPem(), m.trustBundle(),
        m.client().certificatePem(), m.client().keyPem(), m.trustBundle());
  }

  /** Plans once a day, as the builder's requeue would at the latest, until the CA is rotated. */
  TlsMaterial runUntilTheCaRotates(TlsMaterial start) {
    TlsMaterial m = start;
    for (int day = 0; day < 400; day++) {
      clock.advance(Duration.ofDays(1));
      m = planner.plan(request, stored(m));
      if (m.authorityRotated()) {
        return m;
      }
    }
    throw new AssertionError("the CA was never rotated");
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
  void caRotationPublishesTheNewCaBeforeAnyLeafSwitchesToIt() throws Exception {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    TlsMaterial rotated = runUntilTheCaRotates(first);

    // phase 1: the new CA is in every trust bundle, the leaves stay with the old CA that is still in them
    assertThat(rotated.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("ca");
    assertThat(rotated.authorityLost()).isFalse();
    assertThat(Pem.certificates(rotated.trustBundle()))
        .containsExactly(rotated.authority().certificate(), first.authority().certificate());
    rotated.server().certificate().verify(first.authority().certificate().getPublicKey());
    Instant switchAt = clock.instant().plus(PUBLISH);
    assertThat(rotated.leavesSwitchAt()).contains(switchAt);
    assertThat(rotated.nextChange()).isEqualTo(switchAt);

    clock.advance(PUBLISH.minusMinutes(1));
    TlsMaterial waiting = planner.plan(request, stored(rotated));
    assertThat(waiting.issued()).isEmpty();

    // phase 2: after the publish delay the leaves are re-issued by the new CA
    clock.advance(Duration.ofMinutes(1));
    TlsMaterial switched = planner.plan(request, stored(waiting));
    assertThat(switched.issued()).extracting(i -> i.certificate() + ":" + i.reason().code())
        .containsExactly("server:IssuerChanged", "client:IssuerChanged");
    switched.server().certificate().verify(rotated.authority().certificate().getPublicKey());
    switched.client().certificate().verify(rotated.authority().certificate().getPublicKey());
    assertThat(switched.leavesSwitchAt()).isEmpty();
    // the old CA stays trusted until it expires, for clients that still hold an old client certificate
    assertThat(Pem.certificates(switched.trustBundle()))
        .containsExactly(rotated.authority().certificate(), first.authority().certificate());

    TlsMaterial steady = planner.plan(request, stored(switched));
    assertThat(steady.issued()).isEmpty();
    clock.advance(LEAF);
    TlsMaterial afterOldCaExpired = planner.plan(request, stored(steady));
    assertThat(Pem.certificates(afterOldCaExpired.trustBundle())).doesNotContain(first.authority().certificate());
  }

  @Test
  void aLostCaIsRecoveredFromTheBundlesAndRotatedGracefully() throws Exception {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    assertThat(first.authorityLost()).isFalse();
    clock.advance(Duration.ofDays(3));

    TlsMaterial recovered = planner.plan(request, withoutCaSecret(first));
    assertThat(recovered.authorityLost()).isTrue();
    assertThat(recovered.issued()).extracting(i -> i.certificate() + ":" + i.reason().code()).containsExactly("ca:Missing");
    assertThat(Pem.certificates(recovered.trustBundle()))
        .containsExactly(recovered.authority().certificate(), first.authority().certificate());
    assertThat(recovered.server().certificatePem()).isEqualTo(first.server().certificatePem());
    assertThat(recovered.leavesSwitchAt()).contains(clock.instant().plus(PUBLISH));

    // the next pass reads the new CA Secret: nothing is lost any more
    assertThat(planner.plan(request, stored(recovered)).authorityLost()).isFalse();
  }

  @Test
  void aCaLostWithEveryBundleIsAHardCutOver() throws Exception {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    TlsMaterialPlanner.Stored leavesOnly = new TlsMaterialPlanner.Stored(null, null, null,
        first.server().certificatePem(), first.server().keyPem(), null,
        first.client().certificatePem(), first.client().keyPem(), null);
    TlsMaterial m = planner.plan(request, leavesOnly);
    assertThat(m.authorityLost()).isTrue();
    assertThat(m.issued()).extracting(TlsMaterial.Issued::certificate).containsExactly("ca", "server", "client");
    assertThat(Pem.certificates(m.trustBundle())).containsExactly(m.authority().certificate());
  }

  @Test
  void certificatesFromAFastClockAreReplacedAndNotTrusted() throws Exception {
    MutableClock fast = new MutableClock(clock.instant().plus(Duration.ofDays(30)));
    TlsMaterial fromTheFuture = new TlsMaterialPlanner(new CertificateIssuer(fast, new SecureRandom()), fast)
        .plan(request, TlsMaterialPlanner.Stored.empty());

    TlsMaterial fixed = planner.plan(request, stored(fromTheFuture));
    assertThat(fixed.issued()).extracting(i -> i.certificate() + ":" + i.reason().code())
        .containsExactly("ca:NotYetValid", "server:NotYetValid", "client:NotYetValid");
    assertThat(fixed.authorityLost()).isFalse();
    assertThat(Pem.certificates(fixed.trustBundle())).containsExactly(fixed.authority().certificate());
    assertThat(planner.plan(request, stored(fixed)).issued()).isEmpty();
  }

  @Test
  void nextChangeIsTheFirstRenewalWindow() {
    TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());
    assertThat(first.nextChange()).isEqualTo(clock.instant().plus(LEAF).minus(RENEW));
    assertThat(first.leavesSwitchAt()).isEmpty();
  }

  @Test
  void leavesNeverOutliveTheirCa() {
    TlsMaterialPlanner.Request longLeaves = new TlsMaterialPlanner.Request("ca", "s", List.of("s"), "c",
        Duration.ofHours(2000), RENEW, Duration.ofHours(2100), PUBLISH);
    TlsMaterial m = planner.plan(longLeaves, TlsMaterialPlanner.Stored.empty());
    assertThat(m.server().notAfter()).isBeforeOrEqualTo(m.authority().notAfter());
  }
}
