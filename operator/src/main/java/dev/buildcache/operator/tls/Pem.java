package dev.buildcache.operator.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM encoding and decoding of certificates and PKCS#8 private keys. */
public final class Pem {
  private Pem() {}

  public static String encode(X509Certificate certificate) {
    return write(certificate);
  }

  /** PKCS#8 ("PRIVATE KEY"), which Go's crypto/tls and Java both read. */
  public static String encode(PrivateKey key) {
    try {
      return write(new JcaPKCS8Generator(key, null).generate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<X509Certificate> certificates(String pem) throws InvalidPemException {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object item;
      while ((item = parser.readObject()) != null) {
        if (item instanceof X509CertificateHolder holder) {
          out.add(new JcaX509CertificateConverter().getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException e) {
      throw new InvalidPemException("unreadable certificate: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new InvalidPemException("no certificate in PEM data");
    }
    return out;
  }

  public static X509Certificate certificate(String pem) throws InvalidPemException {
    return certificates(pem).get(0);
  }

  public static PrivateKey privateKey(String pem) throws InvalidPemException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object item = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (item instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (item instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
    } catch (IOException e) {
      throw new InvalidPemException("unreadable private key: " + e.getMessage());
    }
    throw new InvalidPemException("no private key in PEM data");
  }

  private static String write(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** PEM data that cannot be used; the caller re-issues. */
  public static final class InvalidPemException extends Exception {
    public InvalidPemException(String message) {
      super(message);
    }
  }
}
