package dev.buildcache.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

/** Unknown enum values must reach the validator as null, also after JOSDK clones the resource through JSON. */
class CacheProfileSerializationTest {
  static final String YAML = """
      apiVersion: buildcache.dev/v1alpha1
      kind: CacheProfile
      metadata: {name: app, namespace: buildkite}
      spec:
        repository: registry.example.com/app-cache
        registry: {type: harbor}
        builderRef: {name: shared}
        cache: {compression: ztsd}
      """;

  @Test
  void unknownValuesReadAsNullAndStayNullThroughAClone() {
    CacheProfile read = Serialization.unmarshal(YAML, CacheProfile.class);
    assertThat(read.getSpec().getCache().getCompression()).isNull();
    assertThat(read.getSpec().getRegistry().getType()).isNull();

    CacheProfile cloned = Serialization.clone(read);
    assertThat(cloned.getSpec().getCache().getCompression()).as("not silently zstd").isNull();
    assertThat(cloned.getSpec().getRegistry().getType()).as("not silently ecr").isNull();
  }

  @Test
  void omittedValuesTakeTheDefaults() {
    CacheProfile read = Serialization.unmarshal(YAML.replace("  registry: {type: harbor}\n", "")
        .replace("  cache: {compression: ztsd}\n", ""), CacheProfile.class);
    assertThat(read.getSpec().getCache().getCompression()).isEqualTo(CacheProfileSpec.Compression.ZSTD);
    assertThat(read.getSpec().getRegistry().getType()).as("unset: the profile's host decides").isNull();
  }
}
