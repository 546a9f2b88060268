package dev.buildcache.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.demo.CrdSchemaValidator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The committed CRDs accept every sample we ship and reject the classic mistakes, as the API server would. */
class CrdSchemaTest {
  static final Path CRDS = Path.of(System.getProperty("buildcache.crds.dir", "../crds"));
  static final Path SAMPLES = Path.of(System.getProperty("buildcache.deploy.dir", "../deploy")).resolve("samples");
  static final Map<String, String> CRD_FILE_BY_KIND = Map.of(
      "BuildkitBuilder", "buildkitbuilders.buildcache.dev-v1.yml",
      "CacheProfile", "cacheprofiles.buildcache.dev-v1.yml");

  static CrdSchemaValidator validatorFor(JsonNode object) throws IOException {
    String kind = object.path("kind").asText();
    assertThat(CRD_FILE_BY_KIND).as("known kind").containsKey(kind);
    return CrdSchemaValidator.fromCrdFile(CRDS.resolve(CRD_FILE_BY_KIND.get(kind)));
  }

  static Stream<Path> samples() throws IOException {
    return Files.list(SAMPLES).filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml")).sorted();
  }

  static Stream<Path> invalidManifests() throws IOException {
    return Files.list(Path.of("src/test/resources/crd-invalid")).sorted();
  }

  @ParameterizedTest
  @MethodSource("samples")
  void samplesValidate(Path sample) throws IOException {
    JsonNode object = read(sample);
    assertThat(validatorFor(object).validate(object)).as(sample.toString()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("invalidManifests")
  void badManifestsAreRejectedWithTheFieldNamed(Path manifest) throws IOException {
    String expected = Files.readAllLines(manifest).get(0).replaceFirst("^# expect: ", "");
    JsonNode object = read(manifest);
    assertThat(validatorFor(object).validate(object)).as(manifest.toString()).anySatisfy(e -> assertThat(e).startsWith(expected));
  }

  @Test
  void samplesExistForEveryKind() throws IOException {
    List<String> kinds = samples().map(p -> read(p).path("kind").asText()).distinct().sorted().toList();
    assertThat(kinds).containsExactly("BuildkitBuilder", "CacheProfile");
  }

  @Test
  void crdsHaveStatusScalePrinterColumnsAndShortNames() throws IOException {
    CustomResourceDefinition builder = crd("buildkitbuilders.buildcache.dev-v1.yml");
    assertThat(builder.getSpec().getNames().getShortNames()).containsExactly("bkb");
    var version = builder.getSpec().getVersions().get(0);
    assertThat(version.getSubresources().getStatus()).isNotNull();
    assertThat(version.getSubresources().getScale().getSpecReplicasPath()).isEqualTo(".spec.replicas");
    assertThat(version.getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .contains("Ready", "Desired", "Available", "Endpoint", "Age");

    CustomResourceDefinition profile = crd("cacheprofiles.buildcache.dev-v1.yml");
    assertThat(profile.getSpec().getNames().getShortNames()).containsExactly("cachep");
    assertThat(profile.getSpec().getVersions().get(0).getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .contains("Ready", "Endpoint", "Last GC", "Reclaimed", "Age");
  }

  @Test
  void defaultsAreAppliedLikeTheApiServer() throws IOException {
    JsonNode object = Serialization.jsonMapper().readTree("{\"apiVersion\":\"buildcache.dev/v1alpha1\",\"kind\":\"BuildkitBuilder\",\"spec\":{\"tls\":{}}}");
    CrdSchemaValidator validator = validatorFor(object);
    assertThat(validator.validate(object)).isEmpty();
    CrdSchemaValidator.Admission admitted = validator.admit(object);
    assertThat(admitted.object().at("/spec/tls/certificateDuration").asText()).isEqualTo("2160h");
    assertThat(admitted.object().at("/spec/tls/renewBefore").asText()).isEqualTo("360h");
    assertThat(object.at("/spec/tls/certificateDuration").isMissingNode()).as("the input is not modified").isTrue();
  }

  @Test
  void unknownFieldsArePrunedAndNamedAsTheServerNamesThem() throws IOException {
    JsonNode object = Serialization.jsonMapper().readTree("{\"apiVersion\":\"buildcache.dev/v1alpha1\",\"kind\":\"BuildkitBuilder\","
        + "\"metadata\":{\"name\":\"b\",\"labels\":{\"x\":\"y\"}},\"spec\":{\"replica\":3,\"tls\":{\"renewbefore\":\"1h\"}},\"extra\":1}");
    CrdSchemaValidator.Admission admitted = validatorFor(object).admit(object);
    assertThat(admitted.unknownFields()).containsExactlyInAnyOrder("spec.replica", "spec.tls.renewbefore", "extra");
    assertThat(admitted.object().has("extra")).isFalse();
    assertThat(admitted.object().at("/spec/replica").isMissingNode()).isTrue();
    assertThat(admitted.object().at("/metadata/labels/x").asText()).as("metadata is the server's, never pruned").isEqualTo("y");
    assertThat(admitted.violations()).isEmpty();
  }

  @Test
  void ecrRegionMayComeFromTheRepositoryHost() throws IOException {
    JsonNode object = Serialization.jsonMapper().readTree("{\"apiVersion\":\"buildcache.dev/v1alpha1\",\"kind\":\"CacheProfile\","
        + "\"spec\":{\"repository\":\"123456789012.dkr.ecr.eu-west-2.amazonaws.com/app\",\"builderRef\":{\"name\":\"shared\"}}}");
    assertThat(validatorFor(object).validate(object)).isEmpty();
  }

  static CustomResourceDefinition crd(String file) throws IOException {
    try (InputStream in = Files.newInputStream(CRDS.resolve(file))) {
      return Serialization.unmarshal(in, CustomResourceDefinition.class);
    }
  }

  static JsonNode read(Path path) {
    try {
      return Serialization.yamlMapper().readTree(Files.readString(path));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
