package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Digest of a desired object, stamped on it as an annotation. An owned object is re-applied only when it is
 * missing or its stamped digest differs from the freshly computed one: comparing our own intent, not the API
 * server's normalised copy (defaults, quantity formats), is what makes a steady-state pass free of writes.
 */
public final class DesiredHash {
  public static final String ANNOTATION = "buildcache.dev/desired-hash";

  private DesiredHash() {}

  public static <R extends HasMetadata> R stamp(R desired) {
    Map<String, String> annotations = desired.getMetadata().getAnnotations() == null
        ? new LinkedHashMap<>() : new LinkedHashMap<>(desired.getMetadata().getAnnotations());
    annotations.remove(ANNOTATION);
    desired.getMetadata().setAnnotations(annotations.isEmpty() ? null : annotations);
    String digest = sha256(Serialization.asJson(desired));
    annotations.put(ANNOTATION, digest);
    desired.getMetadata().setAnnotations(annotations);
    return desired;
  }

  public static boolean matches(HasMetadata actual, HasMetadata desired) {
    return actual != null
        && actual.getMetadata().getAnnotations() != null
        && desired.getMetadata().getAnnotations() != null
        && desired.getMetadata().getAnnotations().get(ANNOTATION) != null
        && desired.getMetadata().getAnnotations().get(ANNOTATION).equals(actual.getMetadata().getAnnotations().get(ANNOTATION));
  }

  public static String sha256(String... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(part.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
