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
}
