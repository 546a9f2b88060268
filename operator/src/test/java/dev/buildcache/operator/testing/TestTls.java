package dev.buildcache.operator.testing;

import dev.buildcache.operator.tls.KeyAndCertificate;
import dev.buildcache.operator.tls.Pem;
import java.net.Socket;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** TLS the way buildx and buildkitd speak it: TLS 1.3, a certificate each side, the server name checked. */
public final class TestTls {
  private TestTls() {}

  /** A context presenting {@code identity} and trusting the CAs of {@code trustBundle}. */
  public static SSLContext context(KeyAndCertificate identity, String trustBundle) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trustStore(trustBundle));
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyManagers(identity), tmf.getTrustManagers(), new SecureRandom());
    return context;
  }

  private static javax.net.ssl.KeyManager[] keyManagers(KeyAndCertificate identity) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("identity", identity.key(), new char[0], new Certificate[] {identity.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    return kmf.getKeyManagers();
  }

  private static KeyStore trustStore(String trustBundle) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate ca : Pem.certificates(trustBundle)) {
      trust.setCertificateEntry("ca" + i++, ca);
    }
    return trust;
  }

  /**
   * A server context that, like buildkitd (Go's crypto/tls with ClientCAs), requires a client certificate of the CAs in
   * {@code trustBundle} and checks its validity at {@code at} instead of the wall clock: a test's clock for expiry.
   */
  public static SSLContext serverContextAt(KeyAndCertificate identity, String trustBundle, java.time.Instant at) throws Exception {
    java.security.cert.PKIXBuilderParameters pkix = new java.security.cert.PKIXBuilderParameters(trustStore(trustBundle),
        new java.security.cert.X509CertSelector());
    pkix.setRevocationEnabled(false);
    pkix.setDate(java.util.Date.from(at));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(new javax.net.ssl.CertPathTrustManagerParameters(pkix));
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyManagers(identity), tmf.getTrustManagers(), new SecureRandom());
    return context;
  }

  /**
   * A client over {@code plain} as buildx's remote driver connects: SNI = {@code serverName}, and the server's
   * certificate must be issued for that name.
   */
  public static SSLSocket client(SSLContext context, Socket plain, String serverName) throws Exception {
    SSLSocket client = (SSLSocket) context.getSocketFactory().createSocket(plain, serverName, plain.getPort(), true);
    SSLParameters params = client.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    params.setServerNames(List.of(new SNIHostName(serverName)));
    client.setSSLParameters(params);
    return client;
  }

  /**
   * One request over mutual TLS: the server (needing a client certificate) answers "pong" to "ping". Returns the
   * answer; throws when the handshake fails or the server closes the connection instead of answering (TLS 1.3 reports
   * a refused client certificate only then).
   */
  public static String pingPong(SSLContext server, SSLContext client, String serverName) throws Exception {
    try (javax.net.ssl.SSLServerSocket socket = (javax.net.ssl.SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setNeedClientAuth(true);
      java.util.concurrent.CompletableFuture<Void> served = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try (Socket s = socket.accept(); java.io.InputStream in = s.getInputStream(); java.io.OutputStream out = s.getOutputStream()) {
          in.readNBytes(4);
          out.write("pong".getBytes());
        } catch (java.io.IOException e) {
          // the client sees the failure
        }
      });
      Socket plain = new Socket();
      plain.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), socket.getLocalPort()), 5000);
      plain.setSoTimeout(5000);
      try (SSLSocket tls = client(client, plain, serverName)) {
        tls.startHandshake();
        tls.getOutputStream().write("ping".getBytes());
        String answer = new String(tls.getInputStream().readNBytes(4));
        served.get(5, java.util.concurrent.TimeUnit.SECONDS);
        if (answer.length() < 4) {
          throw new java.io.IOException("server closed the connection: client certificate rejected");
        }
        return answer;
      }
    }
  }
}
