package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.tls.TlsMaterial;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one Event a certificate planning pass is worth, if any: a lost CA is a Warning (someone deleted or damaged
 * the CA Secret, and agents that copy the client Secret must fetch it again); a rotation says when the certificates
 * switch; routine issuance says what and why. A pass that issued nothing says nothing.
 */
final class CertificateEvents {
  private CertificateEvents() {}

  static Optional<Announcement> of(BuilderNames names, TlsMaterial tls) {
    if (tls.issued().isEmpty()) {
      return Optional.empty();
    }
    String issued = tls.issued().stream()
        .map(i -> i.certificate() + " (" + i.reason().code() + ": " + i.reason().message() + ")")
        .collect(Collectors.joining(", "));
    String switching = tls.leavesSwitchAt()
        .map(at -> "; the server and client certificates switch to it at " + at
            + " (spec.tls.caPublishDelay): agents outside the cluster must fetch " + names.clientSecret() + " before then")
        .orElse("; the server and client certificates were re-issued at once");
    if (tls.authorityLost()) {
      String recovered = tls.leavesSwitchAt().isPresent()
          ? "the CAs clients trust were recovered from the ca.pem of " + names.serverSecret() + " and " + names.clientSecret()
          : "no CA clients trust could be recovered, so clients with the old ca.pem fail until they fetch "
              + names.clientSecret();
      return Optional.of(new Announcement(EventPublisher.Type.Warning, Reason.CERTIFICATE_AUTHORITY_LOST,
          "Secret " + names.caSecret() + " was missing or unusable; issued " + issued + "; " + recovered + switching));
    }
    if (tls.authorityRotated()) {
      return Optional.of(new Announcement(EventPublisher.Type.Normal, Reason.CERTIFICATE_AUTHORITY_ROTATED,
          "issued " + issued + " and published it in the trust bundles" + switching));
    }
    return Optional.of(new Announcement(EventPublisher.Type.Normal, Reason.CERTIFICATES_ISSUED, "issued " + issued));
  }
}
