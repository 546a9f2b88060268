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
  static final List<String> NAMES = List.of("shared.buildkite.svc", "*.shared-pods.buildkite.svc");

  final MutableClock clock = new MutableClock(T0);
  final CertificateIssuer issuer = new CertificateIssuer(clock, new SecureRandom());
  final KeyAndCertificate ca = issuer.issueAuthority("test CA", Duration.ofHours(43800));
  final KeyAndCertificate server = issuer.issueServer(ca, "shared.buildkite.svc", NAMES, T0.plus(LIFETIME));

  RenewalPolicy.LeafRequirements at(Instant now, KeyAndCertificate issuerCa, List<String> names) {
    return new RenewalPolicy.LeafRequirements(now, RENEW_BEFORE, issuerCa.certificate(), names);
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
    assertThat(RenewalPolicy.authority(ca.certificatePem(), ca.keyPem(), caEnd.minus(LIFETIME).minusSeconds(1), LIFETIME)).isEmpty();
    assertThat(RenewalPolicy.authority(ca.certificatePem(), ca.keyPem(), caEnd.minus(LIFETIME), LIFETIME))
        .map(RenewalReason::code).contains("Expiring");
    assertThat(RenewalPolicy.authority(null, null, T0, LIFETIME)).map(RenewalReason::code).contains("Missing");
  }
}
