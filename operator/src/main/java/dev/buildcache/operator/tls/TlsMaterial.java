package dev.buildcache.operator.tls;

import java.util.List;

/**
 * Everything a builder's mTLS needs after one planning pass: the current CA, the trust bundle (the current CA plus
 * any previous CA that has not yet expired, so clients holding certificates of the old CA keep working during a
 * rotation), the server and client certificates, and what was issued in this pass.
 */
public record TlsMaterial(
    KeyAndCertificate authority,
    String trustBundle,
    KeyAndCertificate server,
    KeyAndCertificate client,
    List<Issued> issued) {

  /** A certificate issued in this pass, and why. */
  public record Issued(String certificate, RenewalReason reason) {}

  public boolean authorityRotated() {
    return issued.stream().anyMatch(i -> i.certificate().equals("ca") && !i.reason().code().equals("Missing"));
  }
}
