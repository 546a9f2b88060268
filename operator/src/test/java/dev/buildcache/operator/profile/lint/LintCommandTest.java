package dev.buildcache.operator.profile.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.Cli;
import org.junit.jupiter.api.Test;

/** {@code buildcache lint} on pipeline files. */
class LintCommandTest {
  static final String PIPELINES = "src/test/resources/pipelines/";

  @Test
  void fieldNotesPipelineFailsWithTheTypoAndTheSharedTag() {
    Cli.Result result = Cli.run("lint", PIPELINES + "field-notes.yml");
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.out())
        .contains("step ':docker: Build app', cache-to: error: compression=ztsd is not a compression BuildKit knows")
        .contains("fix: use one of compression=zstd")
        .contains("1 docker-compose plugin steps checked: 1 errors, 0 warnings");
  }

  @Test
  void goodPipelineInAGroupPasses() {
    Cli.Result result = Cli.run("lint", PIPELINES + "good.yml");
    assertThat(result.exit()).as(result.out()).isZero();
    assertThat(result.out()).contains("1 docker-compose plugin steps checked: 0 errors, 0 warnings");
  }

  @Test
  void jsonListsEveryFindingWithStepKeySeverityMessageAndFix() {
    Cli.Result result = Cli.run("lint", PIPELINES + "field-notes.yml", "--output", "json");
    assertThat(result.exit()).isEqualTo(1);
    var finding = result.json().path("findings").get(0);
    assertThat(finding.path("step").asText()).isEqualTo(":docker: Build app");
    assertThat(finding.path("key").asText()).isEqualTo("cache-to");
    assertThat(finding.path("severity").asText()).isEqualTo("ERROR");
    assertThat(finding.path("message").asText()).contains("ztsd");
    assertThat(finding.path("fix").asText()).contains("zstd");
    assertThat(result.json().path("errors").asInt()).isEqualTo(1);
  }

  @Test
  void missingFileIsAUsageError() {
    Cli.Result result = Cli.run("lint", "/nonexistent/pipeline.yml");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).startsWith("buildcache lint: PIPELINE.yml: cannot read");
  }
}
