package dev.buildcache.operator.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.registry.RepositoryReference;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepositoryAccessTest {
  static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

  static RepositoryReference repo(String path) {
    return RepositoryReference.parse(ECR + "/" + path);
  }

  @Test
  void byDefaultANamespaceUsesTheRepositoriesUnderAPathElementNamedAfterIt() {
    RepositoryAccess access = RepositoryAccess.parse(List.of());
    assertThat(access.allows("team-a", repo("team-a/app-cache"))).isTrue();
    assertThat(access.allows("team-a", repo("ci/team-a/app-cache"))).isTrue();
    assertThat(access.allows("team-b", repo("team-a/app-cache"))).as("another team's").isFalse();
    assertThat(access.allows("team-a", repo("team-a-old/app-cache"))).as("a prefix is not the element").isFalse();
    assertThat(access.allows("team-a", repo("app-cache"))).as("no team element").isFalse();
    assertThat(access.allows("team-a", repo("team-a/nested/app-cache"))).as("the element right above the name").isFalse();
    assertThat(access.rulesFor("team-b")).isEqualTo("*=**/{namespace}/*");
  }

  @Test
  void thePlatformTeamCanOpenEverythingOrGrantASharedPrefix() {
    assertThat(RepositoryAccess.any().allows("anyone", repo("app-cache"))).isTrue();
    RepositoryAccess access = RepositoryAccess.parse(List.of(RepositoryAccess.DEFAULT_RULE, "platform-*=" + ECR + "/shared/*"));
    assertThat(access.allows("platform-ci", repo("shared/base-cache"))).isTrue();
    assertThat(access.allows("team-a", repo("shared/base-cache"))).isFalse();
    assertThat(access.allows("platform-ci", repo("shared/x/base-cache"))).as("* stays within one element").isFalse();
    assertThat(access.rulesFor("team-a")).isEqualTo("*=**/{namespace}/*");
    assertThat(access.rulesFor("platform-ci")).isEqualTo("*=**/{namespace}/*, platform-*=" + ECR + "/shared/*");
  }

  @Test
  void patternCharactersOfTheRegistryAreLiteral() {
    RepositoryAccess access = RepositoryAccess.parse(List.of("*=registry.example.com:5000/{namespace}/*"));
    assertThat(access.allows("team-a", RepositoryReference.parse("registry.example.com:5000/team-a/cache"))).isTrue();
    assertThat(access.allows("team-a", RepositoryReference.parse("registryXexample.com:5000/team-a/cache"))).as("'.' is a dot").isFalse();
  }

  @Test
  void aRuleThatIsNotNamespaceEqualsPatternIsRefusedWithAnExample() {
    assertThatThrownBy(() -> RepositoryAccess.parse(List.of("team-a")))
        .hasMessageContaining("--repository-access 'team-a' is not NAMESPACE=PATTERN").hasMessageContaining("team-a=");
    assertThatThrownBy(() -> RepositoryAccess.parse(List.of("team-a="))).hasMessageContaining("is not NAMESPACE=PATTERN");
  }
}
