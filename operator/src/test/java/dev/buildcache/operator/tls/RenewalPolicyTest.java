package dev.buildcache.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.MutableClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration LIFETIME = Duration.ofHours(2160);
  static final Duration RENEW_BEFORE = Duration.ofHours(360);
  static final Duration CA_LIFETIME = Duration.ofHours(43800);
  static final List<String> NAMES = List.of("shared.buildkite.svc", "*.shared-pods.buildkite.svc");

  final MutableClock clock = new MutableClock(T0);
  final CertificateIssuer issuer = new CertificateIssuer(clock, new SecureRandom());
  final KeyAndCertificate ca = issuer.issueAuthority("test CA", CA_LIFETIME);
  final KeyAndCertificate server = issuer.issueServer(ca, "shared.buildkite.svc", NAMES, T0.plus(LIFETIME));

  RenewalPolicy.LeafRequirements at(Instant now, KeyAndCertificate issuerCa, List<String> names) {
    return new RenewalPolicy.LeafRequirements(now, LIFETIME, RENEW_BEFORE, RenewalPolicy.Authorities.only(issuerCa.certificate()), names);
  }

  Optional<RenewalReason> check(Instant now) {
    return RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), at(now, ca, NAMES));
  }

  @Test
  void keepsAValidCertificate() {
    assertThat(check(T0)).isEmpty();
  }

  @Test
  void renewsOnlyInsideTheRenewalWindow() {
    Instant windowStart = T0.plus(LIFETIME).minus(RENEW_BEFORE);
    assertThat(check(windowStart.minusSeconds(1))).isEmpty();
    assertThat(check(windowStart)).map(RenewalReason::code).contains("Expiring");
    assertThat(check(T0.plus(LIFETIME).plusSeconds(1))).hasValueSatisfying(r -> {
      assertThat(r.code()).isEqualTo("Expiring");
      assertThat(r.message()).contains("expired");
    });
  }

  @Test
  void renewsWhenTheCaChanged() {
    KeyAndCertificate newCa = issuer.issueAuthority("test CA 2", Duration.ofHours(43800));
    assertThat(RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), at(T0, newCa, NAMES)))
        .map(RenewalReason::code).contains("IssuerChanged");
  }

  @Test
  void renewsWhenKeysAreMissing() {
    assertThat(RenewalPolicy.leaf(null, null, at(T0, ca, NAMES))).map(RenewalReason::code).contains("Missing");
    assertThat(RenewalPolicy.leaf(server.certificatePem(), "", at(T0, ca, NAMES))).map(RenewalReason::code).contains("Missing");
    assertThat(RenewalPolicy.leaf(null, server.keyPem(), at(T0, ca, NAMES))).map(RenewalReason::code).contains("Missing");
  }

  @Test
  void renewsWhenTheKeyBelongsToAnotherCertificate() {
    KeyAndCertificate other = issuer.issueClient(ca, "client", T0.plus(LIFETIME));
    assertThat(RenewalPolicy.leaf(server.certificatePem(), other.keyPem(), at(T0, ca, NAMES)))
        .map(RenewalReason::code).contains("KeyMismatch");
  }

  @Test
  void renewsUnreadableData() {
    assertThat(RenewalPolicy.leaf("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", server.keyPem(), at(T0, ca, NAMES)))
        .map(RenewalReason::code).contains("Invalid");
    assertThat(RenewalPolicy.leaf("garbage", server.keyPem(), at(T0, ca, NAMES))).map(RenewalReason::code).contains("Invalid");
  }

  @Test
  void renewsWhenNamesChanged() {
    assertThat(RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), at(T0, ca, List.of("other.buildkite.svc"))))
        .map(RenewalReason::code).contains("NamesChanged");
  }

  @Test
  void authorityIsRenewedWhileItCanStillSignAFullLeaf() {
    Instant caEnd = ca.notAfter();
    assertThat(RenewalPolicy.authority(ca.certificatePem(), ca.keyPem(), caEnd.minus(LIFETIME).minusSeconds(1), CA_LIFETIME, LIFETIME)).isEmpty();
    assertThat(RenewalPolicy.authority(ca.certificatePem(), ca.keyPem(), caEnd.minus(LIFETIME), CA_LIFETIME, LIFETIME))
        .map(RenewalReason::code).contains("Expiring");
    assertThat(RenewalPolicy.authority(null, null, T0, CA_LIFETIME, LIFETIME)).map(RenewalReason::code).contains("Missing");
  }

  @Test
  void certificatesIssuedUnderAFastClockAreNotYetValid() {
    MutableClock fast = new MutableClock(T0.plus(Duration.ofDays(30)));
    CertificateIssuer fastIssuer = new CertificateIssuer(fast, new SecureRandom());
    KeyAndCertificate fastServer = fastIssuer.issueServer(ca, "shared.buildkite.svc", NAMES, fast.instant().plus(LIFETIME));
    assertThat(RenewalPolicy.leaf(fastServer.certificatePem(), fastServer.keyPem(), at(T0, ca, NAMES)))
        .hasValueSatisfying(r -> {
          assertThat(r.code()).isEqualTo("NotYetValid");
          assertThat(r.message()).contains("2026-01-30T23:55:00Z");
        });
    KeyAndCertificate fastCa = fastIssuer.issueAuthority("fast CA", CA_LIFETIME);
    assertThat(RenewalPolicy.authority(fastCa.certificatePem(), fastCa.keyPem(), T0, CA_LIFETIME, LIFETIME))
        .map(RenewalReason::code).contains("NotYetValid");
  }

  @Test
  void backdatingAbsorbsAFewMinutesOfSkew() {
    MutableClock slightlyFast = new MutableClock(T0.plus(Duration.ofMinutes(4)));
    KeyAndCertificate skewed = new CertificateIssuer(slightlyFast, new SecureRandom())
        .issueServer(ca, "shared.buildkite.svc", NAMES, slightlyFast.instant().plus(LIFETIME));
    assertThat(RenewalPolicy.leaf(skewed.certificatePem(), skewed.keyPem(), at(T0, ca, NAMES))).isEmpty();
  }

  @Test
  void certificatesValidForLongerThanPolicyAreReissued() {
    KeyAndCertificate tooLong = issuer.issueServer(ca, "shared.buildkite.svc", NAMES, T0.plus(LIFETIME).plus(Duration.ofHours(2)));
    assertThat(RenewalPolicy.leaf(tooLong.certificatePem(), tooLong.keyPem(), at(T0, ca, NAMES)))
        .map(RenewalReason::code).contains("LongerThanPolicy");
    // a shortened certificateDuration is the same finding: the stored certificate outlives the new policy
    RenewalPolicy.LeafRequirements shorter = new RenewalPolicy.LeafRequirements(T0, Duration.ofHours(720), RENEW_BEFORE,
        RenewalPolicy.Authorities.only(ca.certificate()), NAMES);
    assertThat(RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), shorter)).map(RenewalReason::code).contains("LongerThanPolicy");
    assertThat(RenewalPolicy.authority(ca.certificatePem(), ca.keyPem(), T0, Duration.ofHours(8760), LIFETIME))
        .map(RenewalReason::code).contains("LongerThanPolicy");
  }

  @Test
  void aPreviousAuthorityIsAcceptedOnlyUntilTheSwitch() {
    KeyAndCertificate newCa = issuer.issueAuthority("test CA 2", CA_LIFETIME);
    Instant switchAt = T0.plus(Duration.ofMinutes(15));
    RenewalPolicy.Authorities authorities = new RenewalPolicy.Authorities(newCa.certificate(), List.of(ca.certificate()), switchAt);
    RenewalPolicy.LeafRequirements before = new RenewalPolicy.LeafRequirements(switchAt.minusSeconds(1), LIFETIME, RENEW_BEFORE, authorities, NAMES);
    RenewalPolicy.LeafRequirements after = new RenewalPolicy.LeafRequirements(switchAt, LIFETIME, RENEW_BEFORE, authorities, NAMES);
    assertThat(RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), before)).isEmpty();
    assertThat(RenewalPolicy.leaf(server.certificatePem(), server.keyPem(), after)).map(RenewalReason::code).contains("IssuerChanged");
    // a CA that is not in the published bundle is never accepted
    KeyAndCertificate stranger = issuer.issueAuthority("stranger", CA_LIFETIME);
    KeyAndCertificate foreign = issuer.issueServer(stranger, "shared.buildkite.svc", NAMES, T0.plus(LIFETIME));
    assertThat(RenewalPolicy.leaf(foreign.certificatePem(), foreign.keyPem(), before)).map(RenewalReason::code).contains("IssuerChanged");
  }
}
