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

  /** What a leaf certificate must satisfy. {@code dnsNames} is empty for client certificates. */
  public record LeafRequirements(Instant now, Duration renewBefore, X509Certificate issuer, List<String> dnsNames) {}

  @FunctionalInterface
  interface LeafCheck {
    Optional<RenewalReason> check(KeyAndCertificate existing, LeafRequirements req);
  }

  private static final List<LeafCheck> LEAF_CHECKS = List.of(
      RenewalPolicy::keyMatchesCertificate,
      RenewalPolicy::issuedByCurrentAuthority,
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
   * lifetime) is left, a new CA is issued, so no leaf ever outlives the CA that signed it.
   */
  public static Optional<RenewalReason> authority(String certificatePem, String keyPem, Instant now, Duration minRemaining) {
    Optional<KeyAndCertificate> parsed;
    try {
      parsed = parse(certificatePem, keyPem);
    } catch (Pem.InvalidPemException e) {
      return Optional.of(new RenewalReason("Invalid", "stored CA is unreadable: " + e.getMessage()));
    }
    if (parsed.isEmpty()) {
      return Optional.of(new RenewalReason("Missing", "no CA stored yet"));
    }
    Optional<RenewalReason> keyMismatch = keyMatchesCertificate(parsed.get(), null);
    if (keyMismatch.isPresent()) {
      return keyMismatch;
    }
    return expiring(parsed.get(), now, minRemaining);
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

  static Optional<RenewalReason> issuedByCurrentAuthority(KeyAndCertificate existing, LeafRequirements req) {
    try {
      existing.certificate().verify(req.issuer().getPublicKey());
      return Optional.empty();
    } catch (GeneralSecurityException e) {
      return Optional.of(new RenewalReason("IssuerChanged", "certificate was signed by a previous CA"));
    }
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
