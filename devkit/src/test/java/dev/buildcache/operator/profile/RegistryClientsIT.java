package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.TestBuilders;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** OCI credentials come from the profile's kubernetes.io/dockerconfigjson Secret, read through the API. */
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
}
