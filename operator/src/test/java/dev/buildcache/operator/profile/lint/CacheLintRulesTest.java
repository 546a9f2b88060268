package dev.buildcache.operator.profile.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every rule with its bad form and its good form. */
class CacheLintRulesTest {
  static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache";
  static final String GOOD_TO = "app:type=registry,ref=" + ECR + ":cache-main,mode=max,image-manifest=true,oci-mediatypes=true,compression=zstd";

  static PluginStep step(Map<String, Object> config) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("build", "app");
    c.put("builder", Map.of("driver", "remote", "remote-address", "tcp://shared.buildkite.svc:1234"));
    c.putAll(config);
    return new PluginStep("Build", "v5.10.0", c);
  }

  static List<String> rules(LintRule rule, Map<String, Object> config) {
    return rule.check(step(config)).stream().map(f -> f.severity() + " " + f.rule()).toList();
  }

  @Test
  void goodConfigurationHasNoFindings() {
    assertThat(CacheLintRules.check(step(Map.of("cache-to", GOOD_TO, "push", "app:" + ECR.replace("-cache", "") + ":latest")))).isEmpty();
  }

  @Test
  void compressionTypo() {
    assertThat(rules(CacheLintRules::compression, Map.of("cache-to", GOOD_TO.replace("zstd", "ztsd")))).containsExactly("ERROR compression");
    assertThat(CacheLintRules.compression(step(Map.of("cache-to", GOOD_TO.replace("zstd", "ztsd"))))).singleElement()
        .satisfies(f -> assertThat(f.fix()).contains("zstd, not ztsd"));
    assertThat(rules(CacheLintRules::compression, Map.of("cache-to", GOOD_TO))).isEmpty();
  }

  @Test
  void ecrNeedsAnImageManifest() {
    assertThat(rules(CacheLintRules::ecrManifest, Map.of("cache-to", GOOD_TO.replace("image-manifest=true", "image-manifest=false"))))
        .containsExactly("ERROR ecr-image-manifest");
    assertThat(rules(CacheLintRules::ecrManifest, Map.of("cache-to", GOOD_TO.replace(",image-manifest=true,oci-mediatypes=true", ""))))
        .containsExactly("WARNING ecr-image-manifest");
    assertThat(rules(CacheLintRules::ecrManifest, Map.of("cache-to", GOOD_TO))).isEmpty();
    assertThat(rules(CacheLintRules::ecrManifest, Map.of("cache-to", "app:type=registry,ref=ghcr.io/org/app:cache,mode=max"))).isEmpty();
  }

  @Test
  void modeMinOrMissingOrInvalid() {
    assertThat(rules(CacheLintRules::mode, Map.of("cache-to", GOOD_TO.replace("mode=max", "mode=min")))).containsExactly("WARNING cache-mode");
    assertThat(rules(CacheLintRules::mode, Map.of("cache-to", GOOD_TO.replace("mode=max,", "")))).containsExactly("WARNING cache-mode");
    assertThat(rules(CacheLintRules::mode, Map.of("cache-to", GOOD_TO.replace("mode=max", "mode=maximum")))).containsExactly("ERROR cache-mode");
    assertThat(rules(CacheLintRules::mode, Map.of("cache-to", GOOD_TO))).isEmpty();
  }

  @Test
  void cacheFromWithoutAnyExportIsCold() {
    assertThat(rules(CacheLintRules::cacheFromNothingExported, Map.of("cache-from", List.of("app:myregistry:5000/myapp:latest"))))
        .containsExactly("WARNING cache-from-not-exported");
    assertThat(rules(CacheLintRules::cacheFromNothingExported, Map.of("cache-from", List.of("app:type=registry,ref=r/app-cache:main"),
        "cache-to", GOOD_TO))).isEmpty();
    assertThat(rules(CacheLintRules::cacheFromNothingExported, Map.of("build", "app"))).isEmpty();
  }

  @Test
  void inlineCache() {
    assertThat(rules(CacheLintRules::inlineCache, Map.of("cache-to", "app:type=inline"))).containsExactly("WARNING inline-cache");
    assertThat(rules(CacheLintRules::inlineCache, Map.of("args", List.of("BUILDKIT_INLINE_CACHE=1")))).containsExactly("WARNING inline-cache");
    assertThat(rules(CacheLintRules::inlineCache, Map.of("args", Map.of("BUILDKIT_INLINE_CACHE", 1)))).containsExactly("WARNING inline-cache");
    assertThat(rules(CacheLintRules::inlineCache, Map.of("cache-to", GOOD_TO, "args", List.of("VERSION=1")))).isEmpty();
  }

  @Test
  void cacheRefEqualToPushedImage() {
    assertThat(rules(CacheLintRules::cacheRefIsPushedImage, Map.of("cache-to", GOOD_TO, "push", "app:" + ECR + ":cache-main")))
        .containsExactly("ERROR cache-ref-is-image");
    assertThat(rules(CacheLintRules::cacheRefIsPushedImage, Map.of("cache-to", GOOD_TO, "push", List.of("app:" + ECR + ":v1"))))
        .isEmpty();
  }

  @Test
  void registryCacheOnThePlainDockerDriver() {
    Map<String, Object> noBuilder = new LinkedHashMap<>(Map.of("cache-to", GOOD_TO));
    PluginStep plain = new PluginStep("Build", "v5.10.0", noBuilder);
    assertThat(CacheLintRules.registryCacheNeedsBuilder(plain)).extracting(LintFinding::rule).containsExactly("registry-cache-driver");
    assertThat(rules(CacheLintRules::registryCacheNeedsBuilder, Map.of("cache-to", GOOD_TO, "builder", Map.of("driver", "docker"))))
        .containsExactly("ERROR registry-cache-driver");
    assertThat(rules(CacheLintRules::registryCacheNeedsBuilder, Map.of("cache-to", GOOD_TO))).isEmpty();
  }

  @Test
  void removeOnASharedBuilder() {
    assertThat(rules(CacheLintRules::removeSharedBuilder, Map.of("builder", Map.of("driver", "kubernetes", "remove", true))))
        .containsExactly("ERROR remove-shared-builder");
    assertThat(rules(CacheLintRules::removeSharedBuilder, Map.of("builder", Map.of("driver", "remote", "remove", true))))
        .containsExactly("WARNING remove-shared-builder");
    assertThat(rules(CacheLintRules::removeSharedBuilder, Map.of("builder", Map.of("driver", "kubernetes", "remove", true, "keep-daemon", true))))
        .isEmpty();
    assertThat(rules(CacheLintRules::removeSharedBuilder, Map.of())).isEmpty();
  }

  @Test
  void pluginV4IgnoresCacheTo() {
    PluginStep v4 = new PluginStep("Build", "v4.16.0", Map.of("cache-from", "app:" + ECR + ":cache-main"));
    assertThat(CacheLintRules.pluginV4(v4)).extracting(LintFinding::rule).containsExactly("plugin-version");
    assertThat(CacheLintRules.pluginV4(step(Map.of("cache-to", GOOD_TO)))).isEmpty();
  }

  @Test
  void cacheSpecsParseBothForms() {
    CacheSpec plain = CacheSpec.parse("app:" + ECR + ":cache-main");
    assertThat(plain.service()).isEqualTo("app");
    assertThat(plain.ref()).isEqualTo(ECR + ":cache-main");
    assertThat(plain.registry()).isTrue();
    assertThat(plain.ecr()).isTrue();
    CacheSpec csv = CacheSpec.parse("app:ref=" + ECR + ":cache-main,type=registry,mode=max");
    assertThat(csv.ref()).isEqualTo(ECR + ":cache-main");
    assertThat(csv.attributes()).containsEntry("mode", "max");
  }

  /** A builder by name only is whatever the agent has (the plugin passes --builder NAME): not the docker driver. */
  @Test
  void aBuilderGivenByNameOnlyIsNotThePlainDockerDriver() {
    assertThat(rules(CacheLintRules::registryCacheNeedsBuilder, Map.of("cache-to", GOOD_TO, "builder", Map.of("name", "ci", "use", true))))
        .isEmpty();
    assertThat(rules(CacheLintRules::registryCacheNeedsBuilder, Map.of("cache-to", GOOD_TO, "builder", Map.of("name", "ci", "driver", "docker"))))
        .containsExactly("ERROR registry-cache-driver");
  }

  @Test
  void buildkitInlineCacheOptionIsAnInlineCache() {
    assertThat(rules(CacheLintRules::inlineCache, Map.of("buildkit-inline-cache", true))).containsExactly("WARNING inline-cache");
    assertThat(rules(CacheLintRules::inlineCache, Map.of("buildkit-inline-cache", false, "cache-to", GOOD_TO))).isEmpty();
  }

  /** remove: true on a remote builder is not "no effect": the agent's builder entry goes, every job recreates it. */
  @Test
  void removeOnARemoteBuilderSaysWhatItDoes() {
    assertThat(CacheLintRules.removeSharedBuilder(step(Map.of("builder", Map.of("driver", "remote", "remove", true))))).singleElement()
        .satisfies(f -> assertThat(f.message()).contains("removes this agent's builder entry").doesNotContain("no effect"));
  }

  /** The plugin drops a cache entry without SERVICE:, or naming a service the step does not build, silently. */
  @Test
  void cacheEntriesNeedTheServicePrefixOfABuiltService() {
    assertThat(rules(CacheLintRules::servicePrefix, Map.of("cache-to", GOOD_TO.substring("app:".length()))))
        .containsExactly("ERROR cache-service-prefix");
    assertThat(rules(CacheLintRules::servicePrefix, Map.of("cache-from", List.of(ECR + ":cache-main"))))
        .as("a plain image ref with a registry host is no service").containsExactly("ERROR cache-service-prefix");
    assertThat(rules(CacheLintRules::servicePrefix, Map.of("cache-from", List.of("web:" + ECR + ":cache-main"))))
        .containsExactly("ERROR cache-service-prefix");
    assertThat(rules(CacheLintRules::servicePrefix, Map.of("cache-to", GOOD_TO, "cache-from", List.of("app:" + ECR + ":cache-main"))))
        .isEmpty();
    assertThat(CacheSpec.parse(GOOD_TO.substring("app:".length())).attributes()).containsEntry("mode", "max")
        .as("an unprefixed entry still parses for the other rules").containsEntry("ref", ECR + ":cache-main");
  }

  @Test
  void anUnversionedPluginIsLintedAndFlagged() {
    var result = PipelineLinter.lint("""
        steps:
          - label: build
            plugins:
              - docker-compose:
                  build: app
                  cache-to: "app:type=registry,ref=%s:cache-main,mode=max,image-manifest=true,oci-mediatypes=true,compression=ztsd"
        """.formatted(ECR));
    assertThat(result.pluginSteps()).isEqualTo(1);
    assertThat(result.findings()).extracting(LintFinding::rule).contains("plugin-version", "compression");
    assertThat(PipelineLinter.lint("""
        steps:
          - plugins:
              - docker-compose#v5.10.0: {build: app}
        """).findings()).extracting(LintFinding::rule).doesNotContain("plugin-version");
  }

  @Test
  void aYamlErrorNamesItsLine() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PipelineLinter.lint("steps:\n  - label: a\n    plugins: [\n"))
        .hasMessageStartingWith("not a YAML pipeline at line ").hasMessageContaining("column");
  }
}
