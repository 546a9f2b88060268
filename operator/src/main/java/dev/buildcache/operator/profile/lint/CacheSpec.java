package dev.buildcache.operator.profile.lint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code cache-from} / {@code cache-to} entry of the docker-compose plugin: {@code SERVICE:SPEC}, split on the
 * first ':'. SPEC is either BuildKit's CSV ({@code type=registry,ref=…,mode=max}) or, for cache-from, a plain image
 * reference, which BuildKit reads as {@code type=registry,ref=…}.
 */
public record CacheSpec(String raw, String service, Map<String, String> attributes) {

  /** What a compose service name can be; anything else before the first ':' means the entry has no SERVICE: prefix. */
  private static final java.util.regex.Pattern SERVICE = java.util.regex.Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");

  public static CacheSpec parse(String raw) {
    int colon = raw.indexOf(':');
    boolean prefixed = colon > 0 && SERVICE.matcher(raw.substring(0, colon)).matches();
    String service = prefixed ? raw.substring(0, colon) : "";
    String spec = prefixed ? raw.substring(colon + 1) : raw;
    Map<String, String> attributes = new LinkedHashMap<>();
    String first = spec.split(",", 2)[0];
    if (!first.contains("=")) {
      attributes.put("type", "registry");
      attributes.put("ref", first);
      spec = spec.contains(",") ? spec.substring(spec.indexOf(',') + 1) : "";
    }
    for (String part : spec.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      attributes.put(eq < 0 ? part.trim() : part.substring(0, eq).trim(), eq < 0 ? "" : part.substring(eq + 1).trim());
    }
    attributes.putIfAbsent("type", attributes.containsKey("ref") ? "registry" : "");
    return new CacheSpec(raw, service, attributes);
  }

  public String type() {
    return attributes.getOrDefault("type", "");
  }

  public String ref() {
    return attributes.get("ref");
  }

  public boolean registry() {
    return "registry".equals(type());
  }

  /** Whether the ref's registry is AWS ECR. */
  public boolean ecr() {
    String ref = ref();
    return ref != null && ref.matches("^[0-9]{12}\\.dkr\\.ecr(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/.*");
  }
}
