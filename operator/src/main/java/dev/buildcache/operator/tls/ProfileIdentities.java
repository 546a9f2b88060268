package dev.buildcache.operator.tls;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Each CacheProfile's own client certificate (CN {@code <namespace>/<profile>}), signed by the builder's CA, which
 * buildkitd accepts like any other of its clients. Short-lived and renewed by the operator while the profile exists
 * and is not revoked: revoking a profile is not renewing it, and its certificate stops working when it expires
 * (buildkitd reads its trust at start and checks no revocation list, so a short life is what revocation can be).
 *
 * @param identities the certificate each profile must have now, by profile name
 * @param issued the profiles whose certificate was issued in this pass
 * @param nextChange when the earliest of them is due for renewal; empty without profiles
 */
public record ProfileIdentities(Map<String, KeyAndCertificate> identities, List<String> issued, Optional<Instant> nextChange) {

  /** A profile's client certificate and key as stored; either may be null. */
  public record Stored(String certificatePem, String keyPem) {}

  /** The subject of a profile's certificate: who connects, as buildkitd would log it. */
  public static String commonName(String namespace, String profile) {
    return namespace + "/" + profile;
  }
}
