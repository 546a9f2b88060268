package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.oci.RegistryPacer;
import dev.buildcache.operator.testing.FakeRegistry;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * OCI credentials come from the profile's kubernetes.io/dockerconfigjson Secret, read through the API; the clients of
 * one registry host share its pauses.
 */
class RegistryClientsIT {
  final KubernetesTestCluster cluster = new KubernetesTestCluster();
  final RegistryClients clients = new RegistryClients(cluster.client(), null);

  @AfterEach
  void stop() {
    cluster.close();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void dockerConfigJsonSecretGivesTheHostsCredentials() {
    String config = "{\"auths\":{\"registry.example.com:5000\":{\"auth\":\"" + b64("ci:s3cret") + "\"}}}";
    cluster.client().resource(new SecretBuilder().withNewMetadata().withName("registry-credentials").withNamespace(TestBuilders.NAMESPACE)
        .endMetadata().withType("kubernetes.io/dockerconfigjson").addToData(".dockerconfigjson", b64(config)).build()).create();

    assertThat(clients.credentials(TestBuilders.NAMESPACE, "registry-credentials").userAndPassword("registry.example.com:5000"))
        .contains("ci:s3cret");
  }

  @Test
  void missingSecretOrKeyIsNamedWithTheFix() {
    assertThatThrownBy(() -> clients.credentials(TestBuilders.NAMESPACE, "absent"))
        .isInstanceOf(RegistryException.class)
        .hasMessage("spec.registry.credentialsSecret: Secret buildkite/absent does not exist");
    cluster.client().resource(new SecretBuilder().withNewMetadata().withName("opaque").withNamespace(TestBuilders.NAMESPACE)
        .endMetadata().addToData("password", b64("x")).build()).create();
    assertThatThrownBy(() -> clients.credentials(TestBuilders.NAMESPACE, "opaque"))
        .hasMessageContaining("has no .dockerconfigjson key").hasMessageContaining("kubectl create secret docker-registry");
  }

  @Test
  void noSecretMeansAnonymous() {
    assertThat(clients.credentials(TestBuilders.NAMESPACE, null).userAndPassword("registry.example.com")).isEmpty();
  }

  static CacheProfile profileOn(String name, String repository) {
    return TestProfiles.profile(name, spec -> {
      spec.setRepository(repository);
      CacheProfileSpec.RegistrySpec registry = new CacheProfileSpec.RegistrySpec();
      registry.setInsecure(true);
      spec.setRegistry(registry);
    });
  }

  @Test
  void aPauseOneRegistryAsksOfOneProfilesRunHoldsTheOtherProfilesOnThatHostOnly() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-03T10:00:00Z"));
    List<Duration> waits = new CopyOnWriteArrayList<>();
    RegistryClients paced = new RegistryClients(cluster.client(), null, () -> new RegistryPacer(clock, d -> {
      waits.add(d);
      clock.advance(d);
    }));
    try (FakeRegistry registry = new FakeRegistry("127.0.0.1", "team/app"); FakeRegistry other = new FakeRegistry("127.0.0.2", "team/app")) {
      registry.fault("tags/list", exchange -> FakeRegistry.tooManyRequests(exchange, "9"));
      try (RegistryClient app = paced.open(profileOn("app", registry.host() + "/team/app"))) {
        assertThatThrownBy(app::list).isInstanceOf(RegistryException.class).hasMessageContaining("HTTP 429");
      }
      assertThat(waits).containsExactly(Duration.ofSeconds(9), Duration.ofSeconds(9), Duration.ofSeconds(9));
      waits.clear();

      // another profile's repository on the same host waits out the pause the last 429 asked for (four waits, not
      // three); one on another host does not wait for the pause web's last 429 has just set
      try (RegistryClient web = paced.open(profileOn("web", registry.host() + "/team/app"))) {
        assertThatThrownBy(web::list).hasMessageContaining("HTTP 429");
      }
      assertThat(waits).hasSize(4).containsOnly(Duration.ofSeconds(9));
      waits.clear();
      try (RegistryClient elsewhere = paced.open(profileOn("elsewhere", other.host() + "/team/app"))) {
        assertThat(elsewhere.list().images()).isEmpty();
      }
      assertThat(waits).isEmpty();
    }
  }
}
