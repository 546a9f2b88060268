package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CacheTagsTest {

  @Test
  void branchesBecomeValidTags() {
    assertThat(CacheTags.tag("cache-{branch}", "main")).isEqualTo("cache-main");
    assertThat(CacheTags.tag("cache-{branch}", "feature/JIRA-123 fix")).isEqualTo("cache-feature-JIRA-123-fix");
    assertThat(CacheTags.tag("{branch}-cache", ".hidden")).isEqualTo("_hidden-cache");
    assertThat(CacheTags.branchPart("")).isEqualTo("_");
    assertThat(CacheTags.branchPart("é")).as("a byte each, as tr sees it").isEqualTo("_-");
    String longBranch = "feature/" + "x".repeat(200);
    String tag = CacheTags.tag("cache-{branch}", longBranch);
    assertThat(CacheTags.branchPart(longBranch)).hasSize(100);
    assertThat(tag).hasSizeLessThanOrEqualTo(128).matches("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    assertThat(CacheTags.tag("cache-{branch}", longBranch + "y")).isNotEqualTo(tag);
    assertThat(CacheTags.tag("c".repeat(28) + "{branch}", "y".repeat(300))).hasSize(128);
  }

  /** A pipeline uploaded where the hook did not run fails, instead of every branch sharing one cache tag. */
  @Test
  void thePipelineRequiresTheHooksVariable() {
    assertThat(CacheTags.tagExpression("cache-{branch}"))
        .isEqualTo("cache-${BUILDCACHE_BRANCH_TAG?set by the buildcache agent environment hook}")
        .doesNotContain(":?").as("Buildkite's interpolation has ${VAR?msg}, not ${VAR:?msg}");
  }

  static Stream<String> branches() {
    return Stream.of("main", "feature/JIRA-123 fix", "dependabot/npm_and_yarn/lodash-4.17.21", "release/2026.11", "a:b@c",
        "", "-leading-dash", ".dotted", "fix/ünïcödé-ブランチ", "emoji-🚀", "x".repeat(100), "y".repeat(101),
        "feature/" + "long-".repeat(40), "ü".repeat(60), "a\nb", "tab\there", "quote\"and'apostrophe", "$(echo no)");
  }

  /**
   * The hook, run by /bin/sh, and the Java mapping agree byte for byte. The branch reaches the shell as octal
   * escapes of its UTF-8, so the test does not depend on the JVM's or the shell's locale.
   */
  @ParameterizedTest
  @MethodSource("branches")
  void theHookComputesExactlyTheJavaMapping(String branch) {
    StringBuilder octal = new StringBuilder();
    for (byte b : branch.getBytes(StandardCharsets.UTF_8)) {
      octal.append(String.format("\\%03o", b & 0xff));
    }
    String script = "BUILDKITE_BRANCH=\"$(printf '" + octal + "')\"\n" + CacheTags.HOOK + "\nprintf %s \"$" + CacheTags.BRANCH_TAG_VARIABLE + "\"";
    dev.buildcache.operator.testing.Commands.Result shell = dev.buildcache.operator.testing.Commands.run(
        java.nio.file.Path.of("."), java.util.Map.of(), null, java.time.Duration.ofSeconds(30), java.util.List.of("/bin/sh", "-c", script));
    assertThat(shell.exit()).as(shell.output()).isZero();
    assertThat(shell.output()).isEqualTo(CacheTags.branchPart(branch));
  }
}
