package dev.buildcache.operator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input to {@code buildcache gc}: exit 2 and one line that names the flag; no registry is contacted. */
class GcCommandTest {

  static Stream<Arguments> usageErrors() {
    return Stream.of(
        Arguments.of(new String[] {"gc"}, "--repository: required"),
        Arguments.of(new String[] {"gc", "--repository", "not a ref"}, "--repository: 'not a ref' is not a repository"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--max-age", "2 weeks"}, "--max-age: '2 weeks' is not a duration"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--max-size", "huge"}, "--max-size: 'huge' is not a size"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--keep-latest", "-1"}, "--keep-latest: must be 0 or more"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--keep-latest", "x"}, "--keep-latest"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--tag-pattern", "*"}, "--tag-pattern: '*' has no literal character, so it would treat every tag as cache"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--tag-pattern", "**"}, "--tag-pattern: '**' has no literal character"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--tag-pattern", "cache-*", "--tag-pattern", "?*"}, "--tag-pattern: '?*' has no literal character"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--tag-pattern", "*?"}, "--tag-pattern: '*?' has no literal character"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--max-size", "99999999999999999999"}, "--max-size: '99999999999999999999' is too large; sizes go up to 8Ei"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--registry-type", "ecr"}, "--registry-type ecr: r.example is not an ECR host"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--no-state", "--state-dir", "/tmp/x"}, "--no-state and --state-dir: choose one"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--output", "yaml"}, "--output: 'yaml' is not a format"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--registry-type", "gcr"}, "--registry-type: 'gcr' is not a registry type"),
        Arguments.of(new String[] {"gc", "--repository", "r.example/app", "--frobnicate"}, "Unknown option: '--frobnicate'"),
        Arguments.of(new String[] {"gc", "--profile", "/nonexistent/profile.yaml"}, "--profile: cannot read"));
  }

  @ParameterizedTest
  @MethodSource("usageErrors")
  void usageErrorsExitTwoWithOneLineNamingTheFlag(String[] args, String expected) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cmd = BuildcacheCommand.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    assertThat(cmd.execute(args)).isEqualTo(2);
    String[] lines = err.toString().split("\\R");
    assertThat(lines[0]).startsWith("buildcache gc: ").contains(expected);
    assertThat(lines).hasSizeLessThanOrEqualTo(2);
    assertThat(out.toString()).isEmpty();
  }
}
