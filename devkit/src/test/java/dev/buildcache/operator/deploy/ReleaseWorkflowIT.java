package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.buildcache.operator.testing.Commands;
import org.junit.jupiter.api.Test;

/**
 * .github/workflows/release.yml, which cannot run here: what it runs is what the build and these tests use, the
 * assets it attaches are what the build makes, and its manifest step, run here as written, renders installs that
 * name the released image.
 */
class ReleaseWorkflowIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  static List<JsonNode> steps() throws Exception {
    JsonNode workflow = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve(".github/workflows/release.yml").toFile());
    List<JsonNode> steps = new ArrayList<>();
    workflow.path("jobs").path("release").path("steps").forEach(steps::add);
    return steps;
  }

  static String run(String name) throws Exception {
    return steps().stream().filter(s -> name.equals(s.path("name").asText())).findFirst().orElseThrow().path("run").asText();
  }

  @Test
  void itTestsThenBuildsTheImageWithTheImageProfileAndAttachesWhatTheBuildMakes() throws Exception {
    List<String> names = steps().stream().map(s -> s.path("name").asText()).toList();
    assertThat(names.indexOf("Test (the README's test command)")).isLessThan(names.indexOf("Build and push the image"));
    assertThat(run("Test (the README's test command)").trim()).isEqualTo("./scripts/test");
    assertThat(run("Build and push the image")).contains("-Pimage").contains("jib:build").contains("-Djib.to.image=\"$IMAGE\"");
    Matcher asset = Pattern.compile("operator/target/\\S+").matcher(run("GitHub release with the CLI"));
    List<String> assets = new ArrayList<>();
    while (asset.find()) {
      assets.add(asset.group());
    }
    assertThat(assets).containsExactlyInAnyOrder("operator/target/buildcache", "operator/target/buildcache.jar")
        .allSatisfy(a -> assertThat(ROOT.resolve(a)).as("built by package").isRegularFile());
  }

  @Test
  void itsManifestStepRendersInstallsThatNameTheReleasedImage() throws Exception {
    Commands.Result result = Commands.run(ROOT, java.util.Map.of("IMAGE", "registry.example/ops/buildcache-operator:9.9.9",
        "VERSION", "9.9.9"), null, java.time.Duration.ofMinutes(2),
        List.of("bash", "-euo", "pipefail", "-c", run("Install manifests naming this image")));
    assertThat(result.exit()).as(result.output()).isZero();
    for (String overlay : List.of("base", "eks")) {
      String rendered = Files.readString(ROOT.resolve("target/release/buildcache-operator-" + overlay + ".yaml"));
      assertThat(rendered).contains("image: registry.example/ops/buildcache-operator:9.9.9")
          .doesNotContain("ghcr.io/buildcache-dev/buildcache-operator");
    }
  }
}
