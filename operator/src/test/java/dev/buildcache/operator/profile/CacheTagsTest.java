package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CacheTagsTest {

  @Test
  void branchesBecomeValidTags() {
    assertThat(CacheTags.tag("cache-{branch}", "main")).isEqualTo("cache-main");
    assertThat(CacheTags.tag("cache-{branch}", "feature/JIRA-123 fix")).isEqualTo("cache-feature-JIRA-123-fix");
    assertThat(CacheTags.tag("{branch}-cache", ".hidden")).isEqualTo("_hidden-cache");
    String longBranch = "feature/" + "x".repeat(200);
    String tag = CacheTags.tag("cache-{branch}", longBranch);
    assertThat(tag).hasSizeLessThanOrEqualTo(128).matches("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    assertThat(CacheTags.tag("cache-{branch}", longBranch + "y")).isNotEqualTo(tag);
    assertThat(CacheTags.tagExpression("cache-{branch}")).isEqualTo("cache-${BUILDCACHE_BRANCH_TAG}");
  }

  /** The agent hook's shell line and the Java mapping agree, so the default branch's tag matches what agents push. */
  @ParameterizedTest
  @ValueSource(strings = {"main", "feature/JIRA-123 fix", "dependabot/npm_and_yarn/lodash-4.17.21", "release/2026.11", "a:b@c"})
  void hookLineMatchesTheJavaMapping(String branch) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", CacheTags.HOOK_LINE + "; printf %s \"$" + CacheTags.BRANCH_TAG_VARIABLE + "\"");
    pb.environment().put("BUILDKITE_BRANCH", branch);
    Process process = pb.start();
    String shell = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).isZero();
    assertThat(shell).isEqualTo(CacheTags.branchPart(branch));
  }
}
