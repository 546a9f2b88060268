package dev.buildcache.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CLI as a user installs it: {@code operator/target/buildcache}, one executable file (sh stub + shaded jar),
 * copied onto the PATH under any name and run from any directory.
 */
class CliExecutableIT {
  static final Path EXECUTABLE = Path.of("../operator/target/buildcache").toAbsolutePath().normalize();

  @Test
  void theExecutableRunsFromThePathWithItsVersion() throws Exception {
    assertThat(Files.isExecutable(EXECUTABLE)).as("%s built by the operator module's package phase", EXECUTABLE).isTrue();
    Path bin = Files.createTempDirectory("bin");
    Path installed = Files.copy(EXECUTABLE, bin.resolve("buildcache"));
    installed.toFile().setExecutable(true);

    Commands.Result result = Commands.run(Files.createTempDirectory("anywhere"), Map.of("PATH", bin + ":" + System.getenv("PATH")),
        null, Duration.ofSeconds(60), List.of("sh", "-c", "buildcache --version"));
    String output = result.output();
    assertThat(result.exit()).as(output).isZero();
    assertThat(output).startsWith("buildcache ").doesNotContain("development"); // the version comes from the jar's manifest
  }

  /** The stub starts Java as the image does (C1, serial GC); BUILDCACHE_JAVA_OPTS comes after, so it wins. */
  @Test
  void theExecutableStartsJavaWithTheImagesCompilerAndCollectorUnlessTheUserSaysOtherwise() throws Exception {
    Commands.Result shipped = Commands.run(EXECUTABLE.getParent(), Map.of("BUILDCACHE_JAVA_OPTS", "-XX:+PrintCommandLineFlags"), null,
        Duration.ofSeconds(60), List.of(EXECUTABLE.toString(), "--version"));
    assertThat(shipped.exit()).as(shipped.output()).isZero();
    assertThat(shipped.output()).contains("-XX:TieredStopAtLevel=1").contains("-XX:+UseSerialGC");

    Commands.Result overridden = Commands.run(EXECUTABLE.getParent(),
        Map.of("BUILDCACHE_JAVA_OPTS", "-XX:TieredStopAtLevel=4 -XX:-UseSerialGC -XX:+UseParallelGC -XX:+PrintCommandLineFlags"), null,
        Duration.ofSeconds(60), List.of(EXECUTABLE.toString(), "--version"));
    assertThat(overridden.exit()).as(overridden.output()).isZero();
    assertThat(overridden.output()).contains("-XX:TieredStopAtLevel=4").contains("-XX:+UseParallelGC").contains("-XX:-UseSerialGC");
  }

  /** A generated pipeline, linted without a file: {@code ./pipeline.sh | buildcache lint -}. */
  @Test
  void lintReadsThePipelineFromStandardInput() throws Exception {
    String pipeline = "steps:\n  - label: build\n    plugins:\n      - docker-compose#v5.10.0:\n          build: app\n"
        + "          builder: {name: ci, use: true}\n"
        + "          cache-to: \"app:type=registry,ref=registry.example.com/app-cache:cache-main,mode=max,compression=ztsd\"\n";
    Commands.Result result = Commands.run(EXECUTABLE.getParent(), Map.of(), pipeline, Duration.ofSeconds(60),
        List.of(EXECUTABLE.toString(), "lint", "-"));
    String output = result.output();
    assertThat(result.exit()).as(output).isEqualTo(1);
    assertThat(output).contains("<stdin>: step 'build', cache-to: error: compression=ztsd")
        .doesNotContain("registry-cache-driver").contains("1 docker-compose plugin steps checked: 1 errors, 0 warnings");
  }
}
