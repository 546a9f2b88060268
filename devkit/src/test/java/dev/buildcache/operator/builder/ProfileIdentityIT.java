package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import dev.buildcache.operator.tls.KeyAndCertificate;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each profile gets a client certificate of its own; revoking or deleting the profile takes it away. */
class ProfileIdentityIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;

  @BeforeEach
  void start() {
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster);
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
  }

  Secret secret(String profile) {
    return client.secrets().inNamespace(NS).withName("shared." + profile + ".client-tls").get();
  }

  CacheProfile profile(String name) {
    return client.resources(CacheProfile.class).inNamespace(NS).withName(name).get();
  }

  @Test
  void eachProfileHasItsOwnCertificateAndLosesItWhenRevokedOrDeleted() throws Exception {
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    TestPods.createReady(client, "shared", 2);
    for (String name : new String[] {"web", "api"}) {
      client.resource(TestProfiles.profile(name, s -> {})).create();
    }
    await().atMost(WAIT).until(() -> secret("web") != null && secret("api") != null);
    KeyAndCertificate web = KeyAndCertificate.parse(SecretFactory.value(secret("web"), SecretFactory.BUNDLE_CERT),
        SecretFactory.value(secret("web"), SecretFactory.BUNDLE_KEY));
    assertThat(web.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + NS + "/web");
    assertThat(Duration.between(web.certificate().getNotBefore().toInstant(), web.notAfter())).isLessThanOrEqualTo(Duration.ofHours(25));
    assertThat(SecretFactory.value(secret("web"), SecretFactory.BUNDLE_CA))
        .isEqualTo(SecretFactory.value(client.secrets().inNamespace(NS).withName("shared-client-tls").get(), SecretFactory.BUNDLE_CA));
    await().atMost(WAIT).until(() -> profile("web").getStatus() != null
        && "shared.web.client-tls".equals(profile("web").getStatus().getClientSecretName()));
    assertThat(profile("web").getStatus().getAgentConfig()).contains("Secret shared.web.client-tls");

    // revoked: the Secret goes and is not renewed; the other profile keeps its own
    String webCertificate = SecretFactory.value(secret("web"), SecretFactory.BUNDLE_CERT);
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, CacheProfile.class, NS, "api",
        p -> p.getSpec().getAgent().setAccessRevoked(true));
    await().atMost(WAIT).until(() -> secret("api") == null && profile("api").getStatus().getClientSecretName() == null);
    assertThat(SecretFactory.value(secret("web"), SecretFactory.BUNDLE_CERT)).isEqualTo(webCertificate);

    // deleted: the same
    client.resources(CacheProfile.class).inNamespace(NS).withName("web").delete();
    await().atMost(WAIT).until(() -> secret("web") == null);
  }
}
