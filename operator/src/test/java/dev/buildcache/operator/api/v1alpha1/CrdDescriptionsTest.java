package dev.buildcache.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kubectl explain} prints every field of the committed CRDs with a description. Inside embedded Kubernetes
 * types (label selectors, resources, affinity, tolerations, conditions) the fields are Kubernetes' own, explained by
 * {@code kubectl explain pod.spec...}; the field that embeds one must say which it is.
 */
class CrdDescriptionsTest {
  static final Path CRDS = Path.of(System.getProperty("buildcache.crds.dir", "../crds"));
  static final Set<String> KUBERNETES_TYPES = Set.of("spec.clients.namespaceSelector", "spec.clients.podSelector", "spec.metrics.scrapers",
      "spec.resources", "spec.exposure.gatewayResources", "spec.scheduling.affinity", "spec.scheduling.tolerations", "status.conditions");

  @ParameterizedTest
  @ValueSource(strings = {"buildkitbuilders.buildcache.dev-v1.yml", "cacheprofiles.buildcache.dev-v1.yml"})
  void everyFieldHasADescription(String file) throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(CRDS.resolve(file).toFile());
    JsonNode schema = crd.path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema");
    List<String> undescribed = new ArrayList<>();
    schema.path("properties").fields().forEachRemaining(e -> {
      if (!Set.of("apiVersion", "kind", "metadata").contains(e.getKey())) {
        walk(e.getKey(), e.getValue(), undescribed);
      }
    });
    assertThat(undescribed).as("fields of %s without a description", file).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"buildkitbuilders.buildcache.dev-v1.yml", "cacheprofiles.buildcache.dev-v1.yml"})
  void everyDurationSaysItsUnits(String file) throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(CRDS.resolve(file).toFile());
    List<String> silent = new ArrayList<>();
    crd.findParents("pattern").forEach(field -> {
      String pattern = field.path("pattern").asText();
      if ((pattern.equals(ApiGroup.DURATION_PATTERN) || pattern.equals(ApiGroup.RETENTION_DURATION_PATTERN))
          && !field.path("description").asText().matches("(?s).*(a|A) (Go )?duration in (d, )?h, m, s, ms.*")) {
        silent.add(field.path("description").asText());
      }
    });
    assertThat(silent).isEmpty();
  }

  static void walk(String path, JsonNode field, List<String> undescribed) {
    if (!field.hasNonNull("description") || field.path("description").asText().isBlank()) {
      undescribed.add(path);
    }
    if (KUBERNETES_TYPES.contains(path)) {
      return;
    }
    field.path("properties").fields().forEachRemaining(e -> walk(path + "." + e.getKey(), e.getValue(), undescribed));
    if (field.has("items")) {
      field.path("items").path("properties").fields().forEachRemaining(e -> walk(path + "[]." + e.getKey(), e.getValue(), undescribed));
    }
  }

  /** The CLI and a CacheProfile's retention take the same durations: what one accepts, the other does too. */
  @org.junit.jupiter.api.Test
  void retentionDurationsAreTheOnesTheCliTakes() throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(CRDS.resolve("cacheprofiles.buildcache.dev-v1.yml").toFile());
    JsonNode retention = crd.path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema")
        .path("properties").path("spec").path("properties").path("retention").path("properties");
    for (String field : List.of("maxAge", "minAge", "untaggedAfter")) {
      java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(retention.path(field).path("pattern").asText());
      for (String value : List.of("14d", "1d12h", "336h", "90m", "1.5h")) {
        assertThat(pattern.matcher(value).matches()).as("%s accepts %s", field, value).isTrue();
        assertThat(dev.buildcache.operator.units.Durations.parse(value)).isPositive();
      }
      assertThat(pattern.matcher("2w").matches()).isFalse();
    }
  }
}
