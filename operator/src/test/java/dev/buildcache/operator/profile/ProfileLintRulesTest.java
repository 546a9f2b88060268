package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.profile.lint.Severity;
import dev.buildcache.operator.testing.TestProfiles;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileLintRulesTest {

  static CacheProfile bounded() {
    return TestProfiles.profile("app", s -> {
      s.getRetention().setMaxTotalSize("100Gi");
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
    });
  }

  static String rendered(CacheProfile profile) {
    return CacheConfigRenderer.render(profile, new CacheConfigRenderer.Target("shared", "tcp://shared-app.buildkite.svc:1234",
        "shared.buildkite.svc", "shared-0")).agentConfig();
  }

  static List<String> rules(CacheProfile profile) {
    return ProfileLintRules.check(profile, rendered(profile)).stream().map(LintFinding::rule).toList();
  }

  @Test
  void aBoundedProtectedProfileAndItsRenderedSnippetHaveNoFindings() {
    assertThat(ProfileLintRules.check(bounded(), rendered(bounded()))).isEmpty();
  }

  @Test
  void unboundedRetention() {
    CacheProfile p = TestProfiles.profile("app", s -> {});
    List<LintFinding> findings = ProfileLintRules.unboundedRetention(p);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.severity()).isEqualTo(Severity.WARNING);
      assertThat(f.key()).isEqualTo("spec.retention");
      assertThat(f.fix()).contains("maxTotalSize");
    });
    assertThat(ProfileLintRules.unboundedRetention(bounded())).isEmpty();
    assertThat(ProfileLintRules.unboundedRetention(TestProfiles.profile("app", s -> s.getRetention().setMaxAge("7d")))).isEmpty();
  }

  @Test
  void defaultBranchUnprotected() {
    CacheProfile p = TestProfiles.profile("app", s -> s.getRetention().setMaxTotalSize("10Gi"));
    assertThat(ProfileLintRules.defaultBranchUnprotected(p)).singleElement()
        .satisfies(f -> assertThat(f.fix()).isEqualTo("add cache-main to spec.retention.protectTags"));
    assertThat(ProfileLintRules.defaultBranchUnprotected(bounded())).isEmpty();
    CacheProfile glob = TestProfiles.profile("app", s -> {
      s.getRetention().setMaxTotalSize("10Gi");
      s.getRetention().setProtectTags(List.of("cache-ma*"));
    });
    assertThat(ProfileLintRules.defaultBranchUnprotected(glob)).isEmpty();
    CacheProfile trunk = TestProfiles.profile("app", s -> {
      s.getRetention().setMaxTotalSize("10Gi");
      s.getCache().setDefaultBranch("release/2.x");
      s.getRetention().setProtectTags(List.of("cache-main"));
    });
    assertThat(ProfileLintRules.defaultBranchUnprotected(trunk)).singleElement()
        .satisfies(f -> assertThat(f.message()).contains("cache-release-2.x"));
  }

  @Test
  void minAgeTooShort() {
    CacheProfile p = TestProfiles.profile("app", s -> s.getRetention().setMinAge("2m"));
    assertThat(ProfileLintRules.minAgeTooShort(p)).singleElement()
        .satisfies(f -> assertThat(f.key()).isEqualTo("spec.retention.minAge"));
    assertThat(ProfileLintRules.minAgeTooShort(TestProfiles.profile("app", s -> s.getRetention().setMinAge("10m")))).isEmpty();
    assertThat(ProfileLintRules.minAgeTooShort(bounded())).isEmpty();
  }

  @Test
  void pluginRulesRunOverTheRenderedSnippet() {
    String broken = rendered(bounded()).replace("compression=zstd", "compression=ztsd").replace("mode=max", "mode=min");
    assertThat(ProfileLintRules.renderedConfig("CacheProfile buildkite/app", broken)).extracting(LintFinding::rule)
        .containsExactlyInAnyOrder("compression", "cache-mode");
  }

  @Test
  void everyProfileRuleReportsWhereItIs() {
    CacheProfile p = TestProfiles.profile("app", s -> s.getRetention().setMinAge("1m"));
    assertThat(ProfileLintRules.check(p, rendered(p))).isNotEmpty()
        .allSatisfy(f -> assertThat(f.step()).isEqualTo("CacheProfile buildkite/app"));
    assertThat(rules(p)).containsExactlyInAnyOrder("unbounded-retention", "min-age-too-short");
  }

  @Test
  void shippedSamplesHaveNoFindings() throws Exception {
    java.nio.file.Path samples = java.nio.file.Path.of(System.getProperty("buildcache.deploy.dir", "../deploy")).resolve("samples");
    for (String file : List.of("cacheprofile-ecr.yaml", "cacheprofile-oci.yaml")) {
      CacheProfile profile = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
          java.nio.file.Files.readString(samples.resolve(file)), CacheProfile.class);
      assertThat(ProfileLintRules.check(profile, rendered(profile))).as(file).isEmpty();
    }
  }
}
