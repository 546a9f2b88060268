package dev.buildcache.operator.profile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.gc.GlobPattern;
import dev.buildcache.operator.profile.lint.CacheLintRules;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.profile.lint.PluginStep;
import dev.buildcache.operator.profile.lint.Severity;
import dev.buildcache.operator.units.Durations;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The cache mistakes a valid CacheProfile can still make, as warnings: a policy that lets the cache grow without
 * bound, a default-branch cache that the GC may evict, a {@code minAge} short enough to race in-flight builds.
 * And the plugin rules of {@link CacheLintRules} over the profile's own rendered snippet, which keeps the renderer
 * honest. Pure; runs on a spec that passed validation.
 */
public final class ProfileLintRules {
  static final Duration SHORTEST_SAFE_MIN_AGE = Duration.ofMinutes(10);

  private ProfileLintRules() {}

  public static final List<Function<CacheProfile, List<LintFinding>>> ALL = List.of(
      ProfileLintRules::unboundedRetention,
      ProfileLintRules::defaultBranchUnprotected,
      ProfileLintRules::minAgeTooShort);

  public static List<LintFinding> check(CacheProfile profile, String renderedAgentConfig) {
    List<LintFinding> findings = new ArrayList<>();
    ALL.forEach(rule -> findings.addAll(rule.apply(profile)));
    findings.addAll(renderedConfig(where(profile), renderedAgentConfig));
    return findings;
  }

  static List<LintFinding> unboundedRetention(CacheProfile profile) {
    CacheProfileSpec.RetentionSpec r = profile.getSpec().getRetention();
    if (r != null && (r.getMaxAge() != null || r.getMaxTotalSize() != null)) {
      return List.of();
    }
    return List.of(new LintFinding(where(profile), "spec.retention", Severity.WARNING, "unbounded-retention",
        "neither maxAge nor maxTotalSize is set: the GC deletes nothing but orphans and the cache grows without bound",
        "set spec.retention.maxTotalSize (e.g. 200Gi) and spec.retention.maxAge (e.g. 336h)"));
  }

  static List<LintFinding> defaultBranchUnprotected(CacheProfile profile) {
    CacheProfileSpec spec = profile.getSpec();
    CacheProfileSpec.RetentionSpec r = spec.getRetention();
    if (r == null || (r.getMaxAge() == null && r.getMaxTotalSize() == null)) {
      return List.of();
    }
    String tag = CacheTags.tag(spec.getCache().getTagTemplate(), spec.getCache().getDefaultBranch());
    List<String> protect = r.getProtectTags() == null ? List.of() : r.getProtectTags();
    if (protect.stream().anyMatch(p -> GlobPattern.of(p).matches(tag))) {
      return List.of();
    }
    return List.of(new LintFinding(where(profile), "spec.retention.protectTags", Severity.WARNING, "default-branch-unprotected",
        "the default branch's cache " + tag + " is every build's fallback, and the GC may evict it",
        "add " + tag + " to spec.retention.protectTags"));
  }

  static List<LintFinding> minAgeTooShort(CacheProfile profile) {
    CacheProfileSpec.RetentionSpec r = profile.getSpec().getRetention();
    if (r == null || r.getMinAge() == null || Durations.parse(r.getMinAge()).compareTo(SHORTEST_SAFE_MIN_AGE) >= 0) {
      return List.of();
    }
    return List.of(new LintFinding(where(profile), "spec.retention.minAge", Severity.WARNING, "min-age-too-short",
        "minAge " + r.getMinAge() + " is shorter than a long build: the GC can delete cache a running build is still exporting",
        "set minAge to at least 10m; 1h is the default"));
  }

  /** The plugin rules over the rendered snippet ({@code plugins: [ {docker-compose#vX: {...}} ]}). */
  static List<LintFinding> renderedConfig(String label, String agentConfig) {
    JsonNode root;
    try {
      root = Serialization.yamlMapper().readTree(agentConfig);
    } catch (IOException e) {
      throw new IllegalStateException("the rendered agent config is not YAML", e);
    }
    List<LintFinding> findings = new ArrayList<>();
    for (JsonNode entry : root.path("plugins")) {
      for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> plugin = it.next();
        String version = plugin.getKey().substring(plugin.getKey().indexOf('#') + 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> config = Serialization.jsonMapper().convertValue(plugin.getValue(), Map.class);
        findings.addAll(CacheLintRules.check(new PluginStep(label, version, config)));
      }
    }
    return findings;
  }

  private static String where(CacheProfile profile) {
    return "CacheProfile " + profile.getMetadata().getNamespace() + "/" + profile.getMetadata().getName();
  }
}
