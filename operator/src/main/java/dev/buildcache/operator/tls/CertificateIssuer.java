package dev.buildcache.operator.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues the CA, server and client certificates of a builder: ECDSA P-256 keys (fast to generate, read by Go's
 * crypto/tls), SHA-256 signatures, five minutes of back-dating for clock skew. Uses the JDK's own crypto providers.
 */
public class CertificateIssuer {
  static final Duration BACKDATE = Duration.ofMinutes(5);

  private final Clock clock;
  private final SecureRandom random;

  public CertificateIssuer(Clock clock, SecureRandom random) {
    this.clock = clock;
    this.random = random;
  }

  public KeyAndCertificate issueAuthority(String commonName, Duration lifetime) {
    KeyPair keys = newKeyPair();
    Instant now = clock.instant();
    X500Principal subject = new X500Principal("CN=" + commonName + ",O=buildcache-operator");
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(lifetime)), subject, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return KeyAndCertificate.of(sign(b, keys), keys.getPrivate());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("could not issue CA certificate: " + e.getMessage(), e);
    }
  }

  public KeyAndCertificate issueServer(KeyAndCertificate ca, String commonName, List<String> dnsNames, Instant notAfter) {
    GeneralName[] names = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
    return issueLeaf(ca, commonName, notAfter, KeyPurposeId.id_kp_serverAuth, new GeneralNames(names));
  }

  public KeyAndCertificate issueClient(KeyAndCertificate ca, String commonName, Instant notAfter) {
    return issueLeaf(ca, commonName, notAfter, KeyPurposeId.id_kp_clientAuth, null);
  }

  private KeyAndCertificate issueLeaf(KeyAndCertificate ca, String commonName, Instant notAfter,
      KeyPurposeId purpose, GeneralNames subjectAltNames) {
    KeyPair keys = newKeyPair();
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
          Date.from(now.minus(BACKDATE)), Date.from(notAfter), new X500Principal("CN=" + commonName),
          keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      if (subjectAltNames != null) {
        b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames);
      }
      return KeyAndCertificate.of(sign(b, new KeyPair(ca.certificate().getPublicKey(), ca.key())), keys.getPrivate());
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("could not issue certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  private X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JVM", e);
    }
  }

  private BigInteger serial() {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }
}
