package dev.buildcache.operator.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;

/** A certificate with its private key, decoded, plus the PEM they were read from or written as. */
public record KeyAndCertificate(X509Certificate certificate, PrivateKey key, String certificatePem, String keyPem) {

  public static KeyAndCertificate of(X509Certificate certificate, PrivateKey key) {
    return new KeyAndCertificate(certificate, key, Pem.encode(certificate), Pem.encode(key));
  }

  public static KeyAndCertificate parse(String certificatePem, String keyPem) throws Pem.InvalidPemException {
    return new KeyAndCertificate(Pem.certificate(certificatePem), Pem.privateKey(keyPem), certificatePem, keyPem);
  }

  public Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }
}
