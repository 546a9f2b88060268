package dev.buildcache.operator.tls;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what is stored into what must be stored: keeps every certificate that passes {@link RenewalPolicy} and
 * issues only the ones that do not. Running it twice on its own output issues nothing, which is what keeps a
 * steady-state reconcile free of writes.
 */
public class TlsMaterialPlanner {

  /** What the builder asks for. */
  public record Request(
      String authorityName, String serverName, List<String> dnsNames, String clientName,
      Duration certificateDuration, Duration renewBefore, Duration authorityDuration) {}

  /** PEM strings read from the three Secrets; any may be null. */
  public record Stored(
      String caCertificate, String caKey, String trustBundle,
      String serverCertificate, String serverKey,
      String clientCertificate, String clientKey) {
    public static Stored empty() {
      return new Stored(null, null, null, null, null, null, null);
    }
  }

  private final CertificateIssuer issuer;
  private final Clock clock;

  public TlsMaterialPlanner(CertificateIssuer issuer, Clock clock) {
    this.issuer = issuer;
    this.clock = clock;
  }

  public TlsMaterial plan(Request request, Stored stored) {
    Instant now = clock.instant();
    List<TlsMaterial.Issued> issued = new ArrayList<>();

    KeyAndCertificate authority;
    Optional<RenewalReason> caReason =
        RenewalPolicy.authority(stored.caCertificate(), stored.caKey(), now, request.certificateDuration());
    if (caReason.isPresent()) {
      authority = issuer.issueAuthority(request.authorityName(), request.authorityDuration());
      issued.add(new TlsMaterial.Issued("ca", caReason.get()));
    } else {
      authority = parseKnownGood(stored.caCertificate(), stored.caKey());
    }
    String trustBundle = trustBundle(authority, stored, now);

    Instant leafNotAfter = min(now.plus(request.certificateDuration()), authority.notAfter());
    KeyAndCertificate server = leaf(stored.serverCertificate(), stored.serverKey(),
        new RenewalPolicy.LeafRequirements(now, request.renewBefore(), authority.certificate(), request.dnsNames()),
        () -> issuer.issueServer(authority, request.serverName(), request.dnsNames(), leafNotAfter),
        "server", issued);
    KeyAndCertificate client = leaf(stored.clientCertificate(), stored.clientKey(),
        new RenewalPolicy.LeafRequirements(now, request.renewBefore(), authority.certificate(), List.of()),
        () -> issuer.issueClient(authority, request.clientName(), leafNotAfter),
        "client", issued);
    return new TlsMaterial(authority, trustBundle, server, client, List.copyOf(issued));
  }

  private static KeyAndCertificate leaf(String certificatePem, String keyPem, RenewalPolicy.LeafRequirements req,
      java.util.function.Supplier<KeyAndCertificate> issue, String name, List<TlsMaterial.Issued> issued) {
    Optional<RenewalReason> reason = RenewalPolicy.leaf(certificatePem, keyPem, req);
    if (reason.isPresent()) {
      issued.add(new TlsMaterial.Issued(name, reason.get()));
      return issue.get();
    }
    return parseKnownGood(certificatePem, keyPem);
  }

  /** The current CA first, then every earlier CA of the stored bundle that is still valid, without duplicates. */
  static String trustBundle(KeyAndCertificate authority, Stored stored, Instant now) {
    // X509Certificate equality is by DER encoding, so the same CA read twice is kept once.
    Map<X509Certificate, String> bundle = new LinkedHashMap<>();
    bundle.put(authority.certificate(), Pem.encode(authority.certificate()));
    List<X509Certificate> previous = new ArrayList<>();
    for (String pem : new String[] {stored.caCertificate(), stored.trustBundle()}) {
      if (pem != null && !pem.isBlank()) {
        try {
          previous.addAll(Pem.certificates(pem));
        } catch (Pem.InvalidPemException e) {
          // an unreadable old bundle only loses the old CAs, never the current one
        }
      }
    }
    for (X509Certificate old : previous) {
      if (old.getNotAfter().toInstant().isAfter(now)) {
        bundle.putIfAbsent(old, Pem.encode(old));
      }
    }
    return String.join("", bundle.values());
  }

  private static KeyAndCertificate parseKnownGood(String certificatePem, String keyPem) {
    try {
      return KeyAndCertificate.parse(certificatePem, keyPem);
    } catch (Pem.InvalidPemException e) {
      throw new IllegalStateException("certificate passed the renewal policy but cannot be parsed", e);
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
