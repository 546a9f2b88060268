package dev.buildcache.operator.builder.desired;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/** Secrets holding PEM material. Written as base64 {@code data}, never {@code stringData}, so what is read back equals what was written. */
public final class SecretFactory {
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";
  public static final String TRUST_BUNDLE = "trust-bundle.pem";
  public static final String BUNDLE_CA = "ca.pem";
  public static final String BUNDLE_CERT = "cert.pem";
  public static final String BUNDLE_KEY = "key.pem";

  private SecretFactory() {}

  public static Secret secret(BuilderNames names, String secretName, String component, Map<String, String> data) {
    return secret(names, names.namespace(), secretName, component, data);
  }

  /** A Secret of the builder kept in {@code namespace} (the CA, in the operator's). */
  public static Secret secret(BuilderNames names, String namespace, String secretName, String component, Map<String, String> data) {
    Map<String, String> encoded = new TreeMap<>();
    data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(secretName)
        .withNamespace(namespace)
        .withLabels(BuilderLabels.common(names.name(), component))
        .endMetadata()
        .withType("Opaque")
        .withData(encoded)
        .build();
  }

  public static final String PROFILE_CLIENT_COMPONENT = "profile-client-tls";
  /** The profile a profile client Secret belongs to. */
  public static final String PROFILE_LABEL = "buildcache.dev/cache-profile";

  /** One profile's own client certificate, labelled with the profile so the builder finds every one it keeps. */
  public static Secret profileClientSecret(BuilderNames names, String profile, Map<String, String> data) {
    Secret secret = secret(names, names.profileClientSecret(profile), PROFILE_CLIENT_COMPONENT, data);
    secret.getMetadata().getLabels().put(PROFILE_LABEL, profile);
    return secret;
  }

  /** Decoded value of {@code key}, or null when the Secret or the key is absent. */
  public static String value(Secret secret, String key) {
    if (secret == null || secret.getData() == null || secret.getData().get(key) == null) {
      return null;
    }
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
