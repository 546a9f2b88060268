package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.Golden;
import org.junit.jupiter.api.Test;

class ProfileEndpointTest {

  @Test
  void serviceAndEndpointNames() {
    ProfileEndpoint e = new ProfileEndpoint("shared", "app", "buildkite");
    assertThat(e.service()).isEqualTo("shared-app");
    assertThat(e.endpoint()).isEqualTo("tcp://shared-app.buildkite.svc:1234");
    assertThat(e.invalidServiceName()).isNull();
  }

  @Test
  void namesThatCannotBeAServiceAreExplained() {
    assertThat(new ProfileEndpoint("shared", "app.v2", "ns").invalidServiceName())
        .contains("shared-app.v2").contains("not a DNS label").contains("without dots");
    assertThat(new ProfileEndpoint("shared", "a".repeat(60), "ns").invalidServiceName())
        .contains("67 characters").contains("at most 63").contains("shorter CacheProfile name");
    assertThat(new ProfileEndpoint("shared", "a".repeat(56), "ns").invalidServiceName()).isNull();
  }

  @Test
  void serviceSelectsExactlyTheAssignedPodOfTheBuilder() {
    Golden.assertYaml("service-profile.yaml",
        ProfileServiceFactory.service(new ProfileEndpoint("shared", "app", "buildkite"), "shared-2"));
  }
}
