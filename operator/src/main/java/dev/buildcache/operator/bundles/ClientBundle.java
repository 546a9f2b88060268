package dev.buildcache.operator.bundles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an agent needs to connect: the trust bundle and a client certificate with its key, the three files buildx's
 * remote driver reads ({@code cacert}, {@code cert}, {@code key}). Published as one JSON object whose keys are the file
 * names, so the agent hook writes each value to the file of that name.
 */
public record ClientBundle(String caPem, String certPem, String keyPem) {
  public static final String CA = "ca.pem";
  public static final String CERT = "cert.pem";
  public static final String KEY = "key.pem";
  private static final ObjectMapper JSON = new ObjectMapper();

  public String json() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(CA, caPem);
    files.put(CERT, certPem);
    files.put(KEY, keyPem);
    try {
      return JSON.writeValueAsString(files);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Identifies this bundle by its public parts (a new key always comes with a new certificate): stored as a tag beside
   * the secret, it says whether the published value is current without reading the secret.
   */
  public String digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(caPem.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(certPem.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
