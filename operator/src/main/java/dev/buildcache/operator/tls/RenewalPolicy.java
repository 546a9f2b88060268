package dev.buildcache.operator.tls;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Decides whether a stored certificate can stay, as a chain of small pure checks in the manner of cert-manager's
 * certificate policies: the first check that fails names the reason. Nothing here creates keys or reads a clock;
 * {@code now} comes in.
 */
public final class RenewalPolicy {

  /**
   * How far a certificate may be off in time and still be kept: the issuer back-dates {@code notBefore} by five
   * minutes for skew, so a certificate whose {@code notBefore} is still ahead of us was issued under a clock more
   * than that fast, and one that is valid for more than an hour longer than policy allows from now was issued
   * under a fast clock or a longer policy.
   */
  static final Duration LONGER_THAN_POLICY_TOLERANCE = Duration.ofHours(1);

  /**
   * The CAs a leaf may be signed by: the current one always; the previous ones (all in the published trust
   * bundle) only until {@code previousTrustedUntil}, the moment every client has had the new CA for the publish
   * delay and servers and clients switch to leaves of the new CA.
   */
  public record Authorities(X509Certificate current, List<X509Certificate> previous, Instant previousTrustedUntil) {
    public static Authorities only(X509Certificate current) {
      return new Authorities(current, List.of(), Instant.MIN);
    }
  }

  /**
   * What a leaf certificate must satisfy. {@code lifetime} is the policy's certificate duration; {@code dnsNames} is
   * empty for client certificates.
   */
  public record LeafRequirements(Instant now, Duration lifetime, Duration renewBefore, Authorities authorities,
      List<String> dnsNames) {}

  @FunctionalInterface
  interface LeafCheck {
    Optional<RenewalReason> check(KeyAndCertificate existing, LeafRequirements req);
  }

  private static final List<LeafCheck> LEAF_CHECKS = List.of(
      RenewalPolicy::keyMatchesCertificate,
      (existing, req) -> notYetValid(existing, req.now()),
      (existing, req) -> longerThanPolicy(existing, req.now(), req.lifetime(), "spec.tls.certificateDuration"),
      RenewalPolicy::issuedByAcceptedAuthority,
      RenewalPolicy::namesMatch,
      (existing, req) -> expiring(existing, req.now(), req.renewBefore()));

  private RenewalPolicy() {}

  public static Optional<RenewalReason> leaf(String certificatePem, String keyPem, LeafRequirements req) {
    Optional<KeyAndCertificate> parsed;
    try {
      parsed = parse(certificatePem, keyPem);
    } catch (Pem.InvalidPemException e) {
      return Optional.of(new RenewalReason("Invalid", "stored certificate is unreadable: " + e.getMessage()));
    }
    if (parsed.isEmpty()) {
      return Optional.of(new RenewalReason("Missing", "no certificate stored yet"));
    }
    for (LeafCheck check : LEAF_CHECKS) {
      Optional<RenewalReason> reason = check.check(parsed.get(), req);
      if (reason.isPresent()) {
        return reason;
      }
    }
    return Optional.empty();
  }

  /**
   * A CA is renewed while it can still sign a full-length leaf: once less than {@code minRemaining} (the leaf
   * lifetime) is left, a new CA is issued, so no leaf ever outlives the CA that signed it. A CA that is not valid
   * yet, or valid for longer than {@code lifetime} from now, is replaced as well.
   */
  public static Optional<RenewalReason> authority(String certificatePem, String keyPem, Instant now, Duration lifetime,
      Duration minRemaining) {
    Optional<KeyAndCertificate> parsed;
    try {
      parsed = parse(certificatePem, keyPem);
    } catch (Pem.InvalidPemException e) {
      return Optional.of(new RenewalReason("Invalid", "stored CA is unreadable: " + e.getMessage()));
    }
    if (parsed.isEmpty()) {
      return Optional.of(new RenewalReason("Missing", "no CA stored yet"));
    }
    return keyMatchesCertificate(parsed.get(), null)
        .or(() -> notAnAuthority(parsed.get()))
        .or(() -> notYetValid(parsed.get(), now))
        .or(() -> longerThanPolicy(parsed.get(), now, lifetime, "spec.tls.caDuration"))
        .or(() -> expiring(parsed.get(), now, minRemaining));
  }

  /** The code of a CA that can no longer sign: the operator issues a new one without the old key. */
  public static boolean authorityLost(RenewalReason reason) {
    return reason.code().equals("Missing") || reason.code().equals("Invalid") || reason.code().equals("KeyMismatch");
  }

  static Optional<KeyAndCertificate> parse(String certificatePem, String keyPem) throws Pem.InvalidPemException {
    if (certificatePem == null || keyPem == null || certificatePem.isBlank() || keyPem.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(KeyAndCertificate.parse(certificatePem, keyPem));
  }

  static Optional<RenewalReason> keyMatchesCertificate(KeyAndCertificate existing, LeafRequirements ignored) {
    try {
      byte[] probe = "buildcache-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      String algorithm = "EC".equals(existing.key().getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(existing.key());
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(existing.certificate().getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return Optional.empty();
      }
    } catch (GeneralSecurityException e) {
      // fall through: a key we cannot use is a mismatch
    }
    return Optional.of(new RenewalReason("KeyMismatch", "stored private key does not belong to the certificate"));
  }

  static Optional<RenewalReason> issuedByAcceptedAuthority(KeyAndCertificate existing, LeafRequirements req) {
    Authorities authorities = req.authorities();
    if (signedBy(existing.certificate(), authorities.current())) {
      return Optional.empty();
    }
    boolean previousAccepted = req.now().isBefore(authorities.previousTrustedUntil());
    if (previousAccepted && authorities.previous().stream().anyMatch(ca -> signedBy(existing.certificate(), ca))) {
      return Optional.empty();
    }
    return Optional.of(new RenewalReason("IssuerChanged", previousAccepted
        ? "certificate was signed by a CA that is not in the trust bundle"
        : "certificate was signed by a previous CA; the current CA has been published in the trust bundles"));
  }

  static boolean signedBy(X509Certificate certificate, X509Certificate authority) {
    if (!certificate.getIssuerX500Principal().equals(authority.getSubjectX500Principal())) {
      return false;
    }
    try {
      certificate.verify(authority.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static Optional<RenewalReason> notYetValid(KeyAndCertificate existing, Instant now) {
    Instant notBefore = existing.certificate().getNotBefore().toInstant();
    if (notBefore.isAfter(now)) {
      return Optional.of(new RenewalReason("NotYetValid",
          "certificate is not valid before " + notBefore + ": it was issued under a clock that was ahead"));
    }
    return Optional.empty();
  }

  static Optional<RenewalReason> longerThanPolicy(KeyAndCertificate existing, Instant now, Duration lifetime, String field) {
    Instant latest = now.plus(lifetime).plus(LONGER_THAN_POLICY_TOLERANCE);
    if (existing.notAfter().isAfter(latest)) {
      return Optional.of(new RenewalReason("LongerThanPolicy",
          "certificate is valid until " + existing.notAfter() + ", longer than " + field + " allows from now"));
    }
    return Optional.empty();
  }

  static Optional<RenewalReason> notAnAuthority(KeyAndCertificate existing) {
    if (existing.certificate().getBasicConstraints() < 0) {
      return Optional.of(new RenewalReason("Invalid", "stored CA certificate is not a certificate authority"));
    }
    return Optional.empty();
  }

  static Optional<RenewalReason> namesMatch(KeyAndCertificate existing, LeafRequirements req) {
    TreeSet<String> wanted = new TreeSet<>(req.dnsNames());
    TreeSet<String> present = new TreeSet<>(dnsNames(existing.certificate()));
    if (wanted.equals(present)) {
      return Optional.empty();
    }
    return Optional.of(new RenewalReason("NamesChanged", "certificate names " + present + " differ from " + wanted));
  }

  static Optional<RenewalReason> expiring(KeyAndCertificate existing, Instant now, Duration renewBefore) {
    Instant notAfter = existing.notAfter();
    if (!notAfter.minus(renewBefore).isAfter(now)) {
      return Optional.of(new RenewalReason("Expiring",
          now.isBefore(notAfter) ? "certificate expires at " + notAfter + ", inside the renewal window" : "certificate expired at " + notAfter));
    }
    return Optional.empty();
  }

  public static List<String> dnsNames(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (Integer.valueOf(2).equals(san.get(0))) {
            names.add((String) san.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      return List.of();
    }
    return names;
  }
}
