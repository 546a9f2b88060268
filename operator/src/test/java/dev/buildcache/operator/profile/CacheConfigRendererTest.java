package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.profile.lint.CacheLintRules;
import dev.buildcache.operator.profile.lint.PluginStep;
import dev.buildcache.operator.testing.Golden;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheConfigRendererTest {
  static final CacheConfigRenderer.Target TARGET = new CacheConfigRenderer.Target("shared",
      "tcp://shared-app.buildkite.svc:1234", "shared.buildkite.svc", "shared-1");

  static String all(CacheConfigRenderer.Rendered r) {
    return "cacheFrom:\n  " + String.join("\n  ", r.cacheFrom()) + "\ncacheTo: " + r.cacheTo()
        + "\n\nagentConfig:\n" + r.agentConfig() + "\n" + r.buildxCreate() + "\n" + r.buildxBuild() + "\n";
  }

  @Test
  void ecrProfile() {
    var rendered = CacheConfigRenderer.render(TestProfiles.profile("app", s -> {}), TARGET);
    Golden.assertText("render-ecr.txt", all(rendered));
    assertThat(rendered.cacheTo()).contains("mode=max,image-manifest=true,oci-mediatypes=true,compression=zstd");
    assertThat(rendered.cacheFrom()).last().asString().endsWith(":cache-main");
  }

  @Test
  void ociProfile() {
    var rendered = CacheConfigRenderer.render(TestProfiles.profile("web", s -> {
      s.setRepository("registry.example.com:5000/web/cache");
      s.getRegistry().setType(CacheProfileSpec.RegistryType.OCI);
      s.getCache().setTagTemplate("buildcache-{branch}");
      s.getCache().setDefaultBranch("release/2026.11");
      s.getCache().setCompression(CacheProfileSpec.Compression.GZIP);
      s.getAgent().setService("frontend");
      s.getAgent().setCertsDir("/buildkite/certs");
    }), TARGET);
    Golden.assertText("render-oci.txt", all(rendered));
    assertThat(rendered.cacheFrom().get(1)).endsWith(":buildcache-release-2026.11");
  }

  /**
   * The plugin reuses an existing builder of the same name (it creates one only when buildx inspect fails): the name
   * changes with anything the builder connects to, and differs between namespaces.
   */
  @Test
  void theBuilderNameChangesWithWhatItConnectsToAndIsPerNamespace() {
    var app = TestProfiles.profile("app", s -> {});
    String name = CacheConfigRenderer.render(app, TARGET).buildxCreate().split(" ")[4];
    assertThat(name).matches("buildcache-buildkite-app-[0-9a-f]{8}");
    assertThat(CacheConfigRenderer.render(app, TARGET).agentConfig()).contains("name: " + name);
    var otherNamespace = TestProfiles.profile("app", s -> {});
    otherNamespace.getMetadata().setNamespace("team-b");
    var movedReplica = new CacheConfigRenderer.Target("shared", "tcp://shared-app.buildkite.svc:1235", "shared.buildkite.svc", "shared-1");
    var otherServerName = new CacheConfigRenderer.Target("shared", TARGET.endpoint(), "other.buildkite.svc", "shared-1");
    var otherCerts = TestProfiles.profile("app", s -> s.getAgent().setCertsDir("/elsewhere"));
    assertThat(java.util.stream.Stream.of(
            CacheConfigRenderer.render(otherNamespace, TARGET), CacheConfigRenderer.render(app, movedReplica),
            CacheConfigRenderer.render(app, otherServerName), CacheConfigRenderer.render(otherCerts, TARGET))
        .map(r -> r.buildxCreate().split(" ")[4]))
        .doesNotContain(name).doesNotHaveDuplicates();
    assertThat(CacheConfigRenderer.render(app, TARGET).buildxCreate().split(" ")[4]).as("stable").isEqualTo(name);
  }

  /** The plugin drops a cache-from/cache-to entry without the SERVICE: prefix, so status shows them as it takes them. */
  @Test
  void pluginFormsCarryTheServicePrefix() {
    var rendered = CacheConfigRenderer.render(TestProfiles.profile("app", s -> s.getAgent().setService("frontend")), TARGET);
    assertThat(rendered.pluginCacheFrom()).allSatisfy(c -> assertThat(c).startsWith("frontend:type=registry,ref="));
    assertThat(rendered.pluginCacheTo()).startsWith("frontend:type=registry,ref=");
    assertThat(rendered.agentConfig()).contains("\"" + rendered.pluginCacheTo() + "\"");
  }

  @SuppressWarnings("unchecked")
  @Test
  void renderedSnippetIsValidYamlThatTheLintAccepts() {
    var rendered = CacheConfigRenderer.render(TestProfiles.profile("app", s -> {}), TARGET);
    Map<String, Object> root = Serialization.unmarshal(rendered.agentConfig(), Map.class);
    List<Map<String, Object>> plugins = (List<Map<String, Object>>) root.get("plugins");
    Map<String, Object> config = (Map<String, Object>) plugins.get(0).get(CacheConfigRenderer.PLUGIN);
    assertThat(config).containsOnlyKeys("build", "builder", "cache-from", "cache-to");
    assertThat((Map<String, Object>) config.get("builder"))
        .containsOnlyKeys("name", "create", "use", "driver", "remote-address", "driver-opt")
        .containsEntry("driver", "remote");
    assertThat(CacheLintRules.check(new PluginStep("rendered", "v5.10.0", config))).isEmpty();
  }
}
