package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.tls.CertificateIssuer;
import dev.buildcache.operator.tls.TlsMaterial;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificateEventsTest {
  final BuilderNames names = new BuilderNames("shared", "buildkite");
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final TlsMaterialPlanner planner = new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock);
  final TlsMaterialPlanner.Request request = new TlsMaterialPlanner.Request("ca", names.serverName(), names.serverDnsNames(),
      "client", Duration.ofHours(2160), Duration.ofHours(360), Duration.ofHours(43800), Duration.ofHours(1));
  final TlsMaterial first = planner.plan(request, TlsMaterialPlanner.Stored.empty());

  static TlsMaterialPlanner.Stored stored(TlsMaterial m) {
    return new TlsMaterialPlanner.Stored(m.authority().certificatePem(), m.authority().keyPem(), m.trustBundle(),
        m.server().certificatePem(), m.server().keyPem(), m.trustBundle(),
        m.client().certificatePem(), m.client().keyPem(), m.trustBundle());
  }

  @Test
  void nothingIssuedIsNoEvent() {
    assertThat(CertificateEvents.of(names, planner.plan(request, stored(first)))).isEmpty();
  }

  @Test
  void firstIssuanceIsOneNormalEvent() {
    assertThat(CertificateEvents.of(names, first)).hasValueSatisfying(e -> {
      assertThat(e.type()).isEqualTo(EventPublisher.Type.Normal);
      assertThat(e.reason()).isEqualTo(Reason.CERTIFICATES_ISSUED);
      assertThat(e.message()).startsWith("issued ca (Missing").contains("server (Missing").contains("client (Missing");
    });
  }

  @Test
  void aLostCaIsAWarningThatSaysWhenCertificatesSwitchAndWhatAgentsMustFetch() {
    TlsMaterial lost = planner.plan(request, new TlsMaterialPlanner.Stored(null, null, null,
        first.server().certificatePem(), first.server().keyPem(), first.trustBundle(),
        first.client().certificatePem(), first.client().keyPem(), first.trustBundle()));
    assertThat(CertificateEvents.of(names, lost)).hasValueSatisfying(e -> {
      assertThat(e.type()).isEqualTo(EventPublisher.Type.Warning);
      assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_AUTHORITY_LOST);
      assertThat(e.message()).contains("Secret buildkite.shared.ca was missing or unusable")
          .contains("switch to it at 2026-01-01T01:00:00Z")
          .contains("must fetch shared-client-tls");
    });
  }

  @Test
  void aCaLostWithEveryBundleSaysClientsFailUntilTheyFetch() {
    TlsMaterial lost = planner.plan(request, new TlsMaterialPlanner.Stored(null, null, null,
        first.server().certificatePem(), first.server().keyPem(), null, null, null, null));
    assertThat(CertificateEvents.of(names, lost)).hasValueSatisfying(e ->
        assertThat(e.message()).contains("no CA clients trust could be recovered").contains("re-issued at once"));
  }

  @Test
  void aRotationIsNormal() {
    clock.advance(Duration.ofHours(43800 - 2160));
    // leaves inside their window are renewed in the same pass; the Event is about the CA
    TlsMaterial rotated = planner.plan(request, stored(first));
    assertThat(CertificateEvents.of(names, rotated)).hasValueSatisfying(e -> {
      assertThat(e.type()).isEqualTo(EventPublisher.Type.Normal);
      assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_AUTHORITY_ROTATED);
      assertThat(e.message()).startsWith("issued ca (Expiring");
    });
    assertThat(List.of(rotated.issued().size())).containsExactly(3);
  }
}
