package dev.buildcache.operator.tls;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns what is stored into what must be stored: keeps every certificate that passes {@link RenewalPolicy} and
 * issues only the ones that do not. Running it twice on its own output issues nothing, which is what keeps a
 * steady-state reconcile free of writes.
 */
public class TlsMaterialPlanner {

  /**
   * What the builder asks for. {@code authorityPublishDelay} is how long a new CA is in every trust bundle before
   * any leaf is signed by it, so that clients (agents outside the cluster too) can fetch it first.
   */
  public record Request(
      String authorityName, String serverName, List<String> dnsNames, String clientName,
      Duration certificateDuration, Duration renewBefore, Duration authorityDuration, Duration authorityPublishDelay) {}

  /**
   * PEM strings read from the three Secrets; any may be null. The server and client Secrets carry the trust bundle
   * too ({@code ca.pem}), which is how the CAs still trusted are recovered when the CA Secret is lost.
   */
  public record Stored(
      String caCertificate, String caKey, String trustBundle,
      String serverCertificate, String serverKey, String serverTrustBundle,
      String clientCertificate, String clientKey, String clientTrustBundle) {
    public static Stored empty() {
      return new Stored(null, null, null, null, null, null, null, null, null);
    }

    boolean anyLeaf() {
      return present(serverCertificate) || present(clientCertificate);
    }

    private static boolean present(String pem) {
      return pem != null && !pem.isBlank();
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
    Optional<RenewalReason> caReason = RenewalPolicy.authority(stored.caCertificate(), stored.caKey(), now,
        request.authorityDuration(), request.certificateDuration());
    if (caReason.isPresent()) {
      authority = issuer.issueAuthority(request.authorityName(), request.authorityDuration());
      issued.add(new TlsMaterial.Issued("ca", caReason.get()));
    } else {
      authority = parseKnownGood(stored.caCertificate(), stored.caKey());
    }
    boolean authorityLost = caReason.filter(RenewalPolicy::authorityLost).isPresent() && stored.anyLeaf();
    List<X509Certificate> trusted = trustedAuthorities(authority, stored, now);
    // Leaves of a previous CA stay until every client has had the new CA for the publish delay.
    Instant switchAt = authority.certificate().getNotBefore().toInstant().plus(CertificateIssuer.BACKDATE)
        .plus(request.authorityPublishDelay());
    RenewalPolicy.Authorities authorities =
        new RenewalPolicy.Authorities(authority.certificate(), trusted.subList(1, trusted.size()), switchAt);

    Instant leafNotAfter = min(now.plus(request.certificateDuration()), authority.notAfter());
    KeyAndCertificate server = leaf(stored.serverCertificate(), stored.serverKey(),
        new RenewalPolicy.LeafRequirements(now, request.certificateDuration(), request.renewBefore(), authorities, request.dnsNames()),
        () -> issuer.issueServer(authority, request.serverName(), request.dnsNames(), leafNotAfter),
        "server", issued);
    KeyAndCertificate client = leaf(stored.clientCertificate(), stored.clientKey(),
        new RenewalPolicy.LeafRequirements(now, request.certificateDuration(), request.renewBefore(), authorities, List.of()),
        () -> issuer.issueClient(authority, request.clientName(), leafNotAfter),
        "client", issued);

    boolean switchPending = !RenewalPolicy.signedBy(server.certificate(), authority.certificate())
        || !RenewalPolicy.signedBy(client.certificate(), authority.certificate());
    Optional<Instant> leavesSwitchAt = switchPending ? Optional.of(switchAt) : Optional.empty();
    Instant nextChange = Stream.of(
            Optional.of(server.notAfter().minus(request.renewBefore())),
            Optional.of(client.notAfter().minus(request.renewBefore())),
            Optional.of(authority.notAfter().minus(request.certificateDuration())),
            leavesSwitchAt)
        .flatMap(Optional::stream).min(Instant::compareTo).orElseThrow();
    String trustBundle = trusted.stream().map(Pem::encode).collect(Collectors.joining());
    return new TlsMaterial(authority, trustBundle, server, client, List.copyOf(issued), authorityLost, leavesSwitchAt,
        nextChange, authorities);
  }

  /**
   * The client certificates of {@code profiles}: each stored one that still passes the renewal policy (signed by a CA
   * the builder accepts now, not past two thirds of {@code lifetime}) stays, the others are issued by the current CA.
   * Profiles not listed get nothing: that is how one is revoked.
   */
  public ProfileIdentities planProfiles(TlsMaterial tls, java.time.Duration lifetime, String namespace,
      java.util.Map<String, ProfileIdentities.Stored> stored, java.util.Collection<String> profiles) {
    Instant now = clock.instant();
    // the builder's CAs as its own pass decided them; a previous CA's profile certificate is renewed at once unless
    // the builder's own leaves are still switching
    RenewalPolicy.Authorities authorities = new RenewalPolicy.Authorities(tls.authorities().current(),
        tls.authorities().previous(), tls.leavesSwitchAt().orElse(Instant.MIN));
    java.time.Duration renewBefore = lifetime.dividedBy(3);
    Instant notAfter = min(now.plus(lifetime), tls.authority().notAfter());
    java.util.Map<String, KeyAndCertificate> identities = new java.util.TreeMap<>();
    List<String> issuedFor = new ArrayList<>();
    for (String profile : new java.util.TreeSet<>(profiles)) {
      ProfileIdentities.Stored existing = stored.getOrDefault(profile, new ProfileIdentities.Stored(null, null));
      List<TlsMaterial.Issued> issued = new ArrayList<>();
      identities.put(profile, leaf(existing.certificatePem(), existing.keyPem(),
          new RenewalPolicy.LeafRequirements(now, lifetime, renewBefore, authorities, List.of()),
          () -> issuer.issueClient(tls.authority(), ProfileIdentities.commonName(namespace, profile), notAfter),
          profile, issued));
      if (!issued.isEmpty()) {
        issuedFor.add(profile);
      }
    }
    Optional<Instant> next = identities.values().stream().map(c -> c.notAfter().minus(renewBefore)).min(Instant::compareTo);
    return new ProfileIdentities(identities, issuedFor, next);
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

  /**
   * The current CA first, then every other CA certificate found in any stored bundle (the CA Secret's and the
   * bundles the server and client Secrets carry) that is valid now, without duplicates. Reading all of them is what
   * lets a lost CA Secret be a graceful rotation: the CAs clients trust are still known.
   */
  static List<X509Certificate> trustedAuthorities(KeyAndCertificate authority, Stored stored, Instant now) {
    // X509Certificate equality is by DER encoding, so the same CA read twice is kept once.
    Set<X509Certificate> bundle = new LinkedHashSet<>();
    bundle.add(authority.certificate());
    for (String pem : new String[] {stored.caCertificate(), stored.trustBundle(), stored.serverTrustBundle(), stored.clientTrustBundle()}) {
      if (pem == null || pem.isBlank()) {
        continue;
      }
      List<X509Certificate> certificates;
      try {
        certificates = Pem.certificates(pem);
      } catch (Pem.InvalidPemException e) {
        continue; // an unreadable old bundle only loses the old CAs, never the current one
      }
      for (X509Certificate old : certificates) {
        boolean valid = !old.getNotBefore().toInstant().isAfter(now) && old.getNotAfter().toInstant().isAfter(now);
        if (valid && old.getBasicConstraints() >= 0) {
          bundle.add(old);
        }
      }
    }
    return List.copyOf(bundle);
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
