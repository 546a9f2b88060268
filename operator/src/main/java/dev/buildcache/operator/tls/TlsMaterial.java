package dev.buildcache.operator.tls;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything a builder's mTLS needs after one planning pass: the current CA, the trust bundle (the current CA plus
 * any previous CA that is valid now, so clients holding certificates of the old CA keep working during a rotation),
 * the server and client certificates, and what was issued in this pass.
 *
 * @param authorityLost the CA Secret was missing or unusable while leaves existed: a new CA had to be made without
 *     the old key, which a user wants to know about
 * @param leavesSwitchAt while leaves are still signed by a previous CA: when they will be re-issued by the current
 *     one (the CA's publish delay after it was issued)
 * @param nextChange the earliest moment a pass would change anything: a renewal window opens or leaves switch
 * @param authorities the CAs a leaf may be signed by now (the current one, and the previous ones until the switch)
 */
public record TlsMaterial(
    KeyAndCertificate authority,
    String trustBundle,
    KeyAndCertificate server,
    KeyAndCertificate client,
    List<Issued> issued,
    boolean authorityLost,
    Optional<Instant> leavesSwitchAt,
    Instant nextChange,
    RenewalPolicy.Authorities authorities) {

  /** A certificate issued in this pass, and why. */
  public record Issued(String certificate, RenewalReason reason) {}

  /** A new CA replaced one that could still sign (expiring, not yet valid, longer than policy). */
  public boolean authorityRotated() {
    return issued.stream().anyMatch(i -> i.certificate().equals("ca") && !RenewalPolicy.authorityLost(i.reason()));
  }
}
