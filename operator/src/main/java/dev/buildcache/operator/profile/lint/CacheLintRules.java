package dev.buildcache.operator.profile.lint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The classic cache mistakes of docker-compose-buildkite-plugin v5 users, one small rule each. */
public final class CacheLintRules {
  static final Set<String> COMPRESSIONS = Set.of("uncompressed", "gzip", "estargz", "zstd");

  private CacheLintRules() {}

  public static final List<LintRule> ALL = List.of(
      CacheLintRules::compression,
      CacheLintRules::ecrManifest,
      CacheLintRules::mode,
      CacheLintRules::inlineCache,
      CacheLintRules::cacheFromNothingExported,
      CacheLintRules::cacheRefIsPushedImage,
      CacheLintRules::registryCacheNeedsBuilder,
      CacheLintRules::removeSharedBuilder,
      CacheLintRules::servicePrefix,
      CacheLintRules::unpinnedPlugin,
      CacheLintRules::pluginV4);

  public static List<LintFinding> check(PluginStep step) {
    List<LintFinding> findings = new ArrayList<>();
    ALL.forEach(rule -> findings.addAll(rule.check(step)));
    return findings;
  }

  static List<LintFinding> compression(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    for (CacheSpec spec : step.cache("cache-to")) {
      String c = spec.attributes().get("compression");
      if (c != null && !COMPRESSIONS.contains(c)) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.ERROR, "compression",
            "compression=" + c + " is not a compression BuildKit knows: every build fails before it starts (unsupported compression type)",
            "use one of compression=zstd, gzip, estargz, uncompressed" + ("ztsd".equals(c) ? " (zstd, not ztsd)" : "")));
      }
    }
    return out;
  }

  static List<LintFinding> ecrManifest(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    for (CacheSpec spec : step.cache("cache-to")) {
      if (!spec.registry() || !spec.ecr()) {
        continue;
      }
      Map<String, String> a = spec.attributes();
      if ("false".equals(a.get("image-manifest")) || "false".equals(a.get("oci-mediatypes"))) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.ERROR, "ecr-image-manifest",
            "ECR rejects the OCI index that BuildKit writes without image-manifest=true and oci-mediatypes=true",
            "set image-manifest=true,oci-mediatypes=true"));
      } else if (!"true".equals(a.get("image-manifest")) || !"true".equals(a.get("oci-mediatypes"))) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.WARNING, "ecr-image-manifest",
            "ECR needs an image manifest; BuildKit writes one by default only since v0.21, and agents on Docker 25 run older",
            "set image-manifest=true,oci-mediatypes=true explicitly"));
      }
    }
    return out;
  }

  static List<LintFinding> mode(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    for (CacheSpec spec : step.cache("cache-to")) {
      if (!spec.registry()) {
        continue;
      }
      String mode = spec.attributes().get("mode");
      if (mode != null && !mode.equals("min") && !mode.equals("max")) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.ERROR, "cache-mode",
            "mode=" + mode + " is silently ignored and falls back to mode=min", "use mode=max"));
      } else if (!"max".equals(mode)) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.WARNING, "cache-mode",
            (mode == null ? "no mode: BuildKit defaults to mode=min," : "mode=min") + " which caches only the final stage of a multi-stage build",
            "add mode=max"));
      }
    }
    return out;
  }

  static List<LintFinding> inlineCache(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    for (CacheSpec spec : step.cache("cache-to")) {
      if ("inline".equals(spec.type())) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.WARNING, "inline-cache",
            "inline cache stores only the final stage (min mode)", "use type=registry,ref=<cache repository>:<tag>,mode=max"));
      }
    }
    if (Boolean.parseBoolean(String.valueOf(step.config().get("buildkit-inline-cache")))) {
      out.add(new LintFinding(step.label(), "buildkit-inline-cache", Severity.WARNING, "inline-cache",
          "buildkit-inline-cache: true adds BUILDKIT_INLINE_CACHE=1: an inline cache of the final stage only",
          "drop it and export a registry cache: cache-to type=registry,mode=max"));
    }
    for (String key : List.of("args", "env")) {
      if (step.strings(key).stream().anyMatch(v -> v.replace(" ", "").startsWith("BUILDKIT_INLINE_CACHE=1"))
          || (step.config().get(key) instanceof Map<?, ?> m && "1".equals(String.valueOf(m.get("BUILDKIT_INLINE_CACHE"))))) {
        out.add(new LintFinding(step.label(), key, Severity.WARNING, "inline-cache",
            "BUILDKIT_INLINE_CACHE=1 caches only the final stage of a multi-stage build",
            "drop it and export a registry cache: cache-to type=registry,mode=max"));
      }
    }
    return out;
  }

  /**
   * cache-from with no cache exported by the step: an image carries cache metadata only when it was built with a cache
   * export (inline or registry), so a plain image ref in cache-from, or a registry cache that no step writes, never
   * hits. The plugin's own README example of "reusing caches from images" is this case.
   */
  static List<LintFinding> cacheFromNothingExported(PluginStep step) {
    List<CacheSpec> from = step.cache("cache-from").stream().filter(CacheSpec::registry).toList();
    if (from.isEmpty() || !step.cache("cache-to").isEmpty()) {
      return List.of();
    }
    String refs = from.stream().map(CacheSpec::ref).filter(java.util.Objects::nonNull).collect(java.util.stream.Collectors.joining(", "));
    return List.of(new LintFinding(step.label(), "cache-from", Severity.WARNING, "cache-from-not-exported",
        "cache-from reads " + refs + " but the step exports no cache (no cache-to): an image holds cache metadata only if it was "
            + "built with a cache export, so unless another step writes that cache every build here is cold",
        "add cache-to: SERVICE:type=registry,ref=<cache repository>:<tag>,mode=max,image-manifest=true,oci-mediatypes=true "
            + "(a buildcache profile's status.cacheTo)"));
  }

  static List<LintFinding> cacheRefIsPushedImage(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    List<String> pushed = step.strings("push").stream().map(p -> p.contains(":") ? p.substring(p.indexOf(':') + 1) : p).toList();
    for (CacheSpec spec : step.cache("cache-to")) {
      if (spec.ref() != null && pushed.contains(spec.ref())) {
        out.add(new LintFinding(step.label(), "cache-to", Severity.ERROR, "cache-ref-is-image",
            "the cache ref " + spec.ref() + " is also the pushed image: the cache manifest and the image overwrite each other",
            "push the cache to its own tag or repository, e.g. <repository>-cache:cache-<branch>"));
      }
    }
    return out;
  }

  static List<LintFinding> registryCacheNeedsBuilder(PluginStep step) {
    boolean registryCacheTo = step.cache("cache-to").stream().anyMatch(CacheSpec::registry);
    Map<String, Object> builder = step.builder();
    // A builder given by name only (use: true, no driver) is whatever the agent already has under that name, and
    // `docker buildx create` without --driver makes a docker-container one: only no builder at all, or driver: docker,
    // is the plain docker driver.
    String driver = builder == null ? "docker" : String.valueOf(builder.getOrDefault("driver", "unknown"));
    if (registryCacheTo && "docker".equals(driver)) {
      return List.of(new LintFinding(step.label(), "cache-to", Severity.ERROR, "registry-cache-driver",
          "the default docker driver cannot export a registry cache",
          "add a builder: with driver: remote (a shared buildcache builder) or docker-container"));
    }
    return List.of();
  }

  static List<LintFinding> removeSharedBuilder(PluginStep step) {
    Map<String, Object> builder = step.builder();
    if (builder == null || !Boolean.parseBoolean(String.valueOf(builder.get("remove")))) {
      return List.of();
    }
    String driver = String.valueOf(builder.get("driver"));
    if ("kubernetes".equals(driver) && !Boolean.parseBoolean(String.valueOf(builder.get("keep-daemon")))) {
      return List.of(new LintFinding(step.label(), "builder.remove", Severity.ERROR, "remove-shared-builder",
          "remove: true on a kubernetes builder deletes its Deployment, and with it the warm cache every other job uses",
          "drop remove: true (or set keep-daemon: true)"));
    }
    if ("remote".equals(driver)) {
      return List.of(new LintFinding(step.label(), "builder.remove", Severity.WARNING, "remove-shared-builder",
          "remove: true on a remote builder removes this agent's builder entry after the step (the daemon and its cache "
              + "stay), so every job recreates it and re-reads the client certificates",
          "drop remove: true; keep create: true, which reuses the entry"));
    }
    return List.of();
  }

  /**
   * The plugin silently drops a cache-from / cache-to entry without the {@code SERVICE:} prefix, or naming a service
   * the step does not build.
   */
  static List<LintFinding> servicePrefix(PluginStep step) {
    List<LintFinding> out = new ArrayList<>();
    List<String> built = step.strings("build");
    for (String key : List.of("cache-from", "cache-to")) {
      for (CacheSpec spec : step.cache(key)) {
        if (spec.service().isEmpty()) {
          out.add(new LintFinding(step.label(), key, Severity.ERROR, "cache-service-prefix",
              "'" + spec.raw() + "' has no SERVICE: prefix: the plugin silently ignores it",
              "write it as <service>:" + spec.raw() + (built.isEmpty() ? "" : ", e.g. " + built.get(0) + ":" + spec.raw())));
        } else if (!built.isEmpty() && !built.contains(spec.service())) {
          out.add(new LintFinding(step.label(), key, Severity.ERROR, "cache-service-prefix",
              "'" + spec.raw() + "' names service " + spec.service() + ", which this step does not build (" + String.join(", ", built)
                  + "): the plugin silently ignores it", "prefix it with a service the step builds"));
        }
      }
    }
    return out;
  }

  /** {@code docker-compose:} with no version runs whatever the plugin's default branch is today. */
  static List<LintFinding> unpinnedPlugin(PluginStep step) {
    if (!step.pluginVersion().isEmpty()) {
      return List.of();
    }
    return List.of(new LintFinding(step.label(), "plugin", Severity.WARNING, "plugin-version",
        "the docker-compose plugin has no version: each build runs the plugin's latest code, and v4 or a future major "
            + "reads cache-from and cache-to differently", "pin it: docker-compose#v5.10.0"));
  }

  static List<LintFinding> pluginV4(PluginStep step) {
    if (step.majorVersion() >= 0 && step.majorVersion() < 5 && (step.config().containsKey("cache-from") || step.config().containsKey("cache-to"))) {
      return List.of(new LintFinding(step.label(), "plugin", Severity.WARNING, "plugin-version",
          "docker-compose plugin " + step.pluginVersion() + " pulls cache-from images instead of importing them, and ignores cache-to",
          "upgrade to docker-compose#v5"));
    }
    return List.of();
  }
}
