package dev.buildcache.operator.builder.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.testing.Golden;
import dev.buildcache.operator.testing.TestBuilders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class BuildkitdConfigFactoryTest {

  static Stream<Arguments> gcCombinations() {
    return Stream.of(
        Arguments.of("defaults", (Consumer<BuildkitBuilderSpec>) s -> {}),
        Arguments.of("absolute-quantities", (Consumer<BuildkitBuilderSpec>) s -> {
          s.getGc().setReservedSpace("10Gi");
          s.getGc().setMaxUsedSpace("500M");
          s.getGc().setMinFreeSpace("20Gi");
        }),
        Arguments.of("keep-duration", (Consumer<BuildkitBuilderSpec>) s -> s.getGc().setKeepDuration("168h")),
        Arguments.of("only-max-used", (Consumer<BuildkitBuilderSpec>) s -> {
          s.getGc().setReservedSpace(null);
          s.getGc().setMinFreeSpace(null);
          s.getGc().setMaxUsedSpace("90%");
        }),
        Arguments.of("parallelism-and-mirrors", (Consumer<BuildkitBuilderSpec>) s -> {
          s.setMaxParallelism(8);
          Map<String, List<String>> mirrors = new LinkedHashMap<>();
          mirrors.put("docker.io", List.of("mirror.example:5000", "mirror2.example"));
          mirrors.put("ghcr.io", List.of("ghcr-mirror.example"));
          s.setRegistryMirrors(mirrors);
        }),
        Arguments.of("rootful", (Consumer<BuildkitBuilderSpec>) s -> s.setRootless(false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gcCombinations")
  void rendersEveryGcCombination(String name, Consumer<BuildkitBuilderSpec> customize) {
    Golden.assertText("buildkitd-" + name + ".toml", BuildkitdConfigFactory.toml(TestBuilders.builder("shared", customize)));
  }

  @Test
  void kubernetesQuantitiesBecomeExactByteCounts() {
    String toml = BuildkitdConfigFactory.toml(TestBuilders.builder("shared", s -> {
      s.getGc().setReservedSpace("10Gi");
      s.getGc().setMaxUsedSpace("500M");
    }));
    // BuildKit would read "500M" as MiB; Kubernetes means 10^6 bytes.
    assertThat(toml).contains("reservedSpace = \"10737418240\"").contains("maxUsedSpace = \"500000000\"");
  }

  @Test
  void tlsIsAlwaysOnAndMetricsAreServed() {
    String toml = BuildkitdConfigFactory.toml(TestBuilders.builder("shared"));
    assertThat(toml)
        .contains("[grpc.tls]")
        .contains("ca = \"/certs/ca.pem\"")
        .contains("debugAddress = \"0.0.0.0:6060\"")
        .contains("\"tcp://0.0.0.0:1234\"")
        .doesNotContain("gckeepstorage").doesNotContain("keepBytes");
  }

  @Test
  void keepDurationAddsExplicitPolicies() {
    String toml = BuildkitdConfigFactory.toml(TestBuilders.builder("shared", s -> s.getGc().setKeepDuration("168h")));
    assertThat(toml.split("\\[\\[worker.oci.gcpolicy]]", -1)).hasSize(3);
    assertThat(toml).contains("keepDuration = \"168h\"").contains("all = true");
  }

  @Test
  void sameSpecSameBytes() {
    assertThat(BuildkitdConfigFactory.toml(TestBuilders.builder("shared")))
        .isEqualTo(BuildkitdConfigFactory.toml(TestBuilders.builder("shared")));
  }

  @Test
  void quotesAreEscaped() {
    assertThat(BuildkitdConfigFactory.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
  }
}
