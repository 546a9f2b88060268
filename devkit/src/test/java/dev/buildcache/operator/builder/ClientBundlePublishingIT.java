package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.bundles.SecretsManagerPublisher;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.SecretsManagerProtocolServer;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator publishes an exposed builder's client bundles to Secrets Manager (the real SDK against the local JSON
 * 1.1 server, which checks deploy/eks's IAM policy) and publishes the renewed bundle in the pass that renews it.
 */
class ClientBundlePublishingIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  final MutableClock clock = new MutableClock(Instant.now());
  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;
  SecretsManagerProtocolServer aws;

  @BeforeEach
  void start() throws Exception {
    EcrProtocolServer.useTestCredentials();
    aws = new SecretsManagerProtocolServer(Clock.systemUTC());
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    OperatorRuntime.Settings settings = OperatorHarness.SETTINGS.withExternalAgents(
        OperatorRuntime.ExternalAgents.defaults().withSecretsManagerEndpoint(aws.endpoint()));
    operator = new OperatorHarness(cluster, settings, new SimpleMeterRegistry(), clock);
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
    aws.close();
  }

  static BuildkitBuilder builder() {
    return TestBuilders.exposed("shared", s -> {
      s.setReplicas(2);
      BuildkitBuilderSpec.SecretsManagerSpec secrets = new BuildkitBuilderSpec.SecretsManagerSpec();
      secrets.setRegion("eu-west-1");
      s.getExposure().setSecretsManager(secrets);
    });
  }

  @Test
  void eachProfilesBundleIsPublishedAndTheRenewedOneInThePassThatRenewsIt() throws Exception {
    client.resource(builder()).create();
    TestPods.createReady(client, "shared", 2);
    for (String name : List.of("web", "api")) {
      client.resource(TestProfiles.profile(name, s -> {})).create();
    }
    await().atMost(WAIT).until(() -> aws.secret("buildcache/" + NS + "/shared/web").isPresent()
        && aws.secret("buildcache/" + NS + "/shared/api").isPresent());
    await().atMost(WAIT).until(() -> bundle("web").equals(clientSecret("web")) && bundle("api").equals(clientSecret("api")));
    assertThat(bundle("web").get("cert.pem")).as("each profile its own identity").isNotEqualTo(bundle("api").get("cert.pem"));
    assertThat(aws.secret("buildcache/" + NS + "/shared/web").orElseThrow().tags())
        .containsEntry(SecretsManagerPublisher.OWNER_TAG, NS + "/shared").containsEntry(SecretsManagerPublisher.PROFILE_TAG, NS + "/web");
    BuildkitBuilder published = await().atMost(WAIT).until(() -> client.resources(BuildkitBuilder.class).inNamespace(NS).withName("shared").get(),
        b -> b.getStatus() != null && Conditions.isTrue(b.getStatus().getConditions(), ConditionType.CLIENT_BUNDLES_PUBLISHED));
    assertThat(Conditions.find(published.getStatus().getConditions(), ConditionType.CLIENT_BUNDLES_PUBLISHED).orElseThrow().getMessage())
        .startsWith("2 client bundle(s) current in Secrets Manager as buildcache/" + NS + "/shared/<profile> in eu-west-1");

    // the profile tells agents outside the cluster where their bundle is and how to fetch it
    client.services().inNamespace(NS).withName("shared-gateway").editStatus(s -> {
      s.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer().addNewIngress()
          .withHostname("nlb.example").endIngress().endLoadBalancer().build());
      return s;
    });
    CacheProfile web = await().atMost(WAIT).until(() -> client.resources(CacheProfile.class).inNamespace(NS).withName("web").get(),
        p -> p.getStatus() != null && p.getStatus().getExternal() != null && p.getStatus().getExternal().getEnvironmentHook() != null);
    assertThat(web.getStatus().getExternal().getClientBundleSecret()).isEqualTo("buildcache/" + NS + "/shared/web");
    assertThat(web.getStatus().getExternal().getEnvironmentHook())
        .contains("--region eu-west-1 --secret-id \"$buildcache_secret\"", "buildcache_bundle /etc/buildcache/certs/" + NS + "/web buildcache/" + NS + "/shared/web")
        .contains("export BUILDCACHE_BRANCH_TAG=");
    assertThat(web.getStatus().getExternal().getAgentConfig()).contains("cert=/etc/buildcache/certs/" + NS + "/web/cert.pem");

    // Renewal: once the client certificate is inside its renewal window, the pass that renews it publishes it.
    String before = clientSecret("web").get("cert.pem");
    clock.advance(Duration.ofHours(2160 - 360 + 1));
    long started = System.nanoTime();
    // a change of the builder makes the pass happen now instead of at its scheduled time
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, BuildkitBuilder.class, NS, "shared",
        b -> b.getSpec().setMaxParallelism(8));
    await().atMost(WAIT).until(() -> !bundle("web").get("cert.pem").equals(before));
    long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
    assertThat(bundle("web")).isEqualTo(clientSecret("web"));
    assertThat(aws.secret("buildcache/" + NS + "/shared/web").orElseThrow().versions()).hasSizeGreaterThanOrEqualTo(2);
    System.out.println("renewed client bundle reached Secrets Manager " + millis + " ms after the pass was triggered");
  }

  @Test
  void aSecretThatIsNotTheBuildersIsLeftAloneAndSaidSoWhileTheRestOfTheBuilderWorks() {
    aws.putForeign("buildcache/" + NS + "/shared/web", "not ours");
    client.resource(builder()).create();
    TestPods.createReady(client, "shared", 2);
    client.resource(TestProfiles.profile("web", s -> {})).create();
    BuildkitBuilder failed = await().atMost(WAIT).until(() -> client.resources(BuildkitBuilder.class).inNamespace(NS).withName("shared").get(),
        b -> b.getStatus() != null && Conditions.find(b.getStatus().getConditions(), ConditionType.CLIENT_BUNDLES_PUBLISHED)
            .map(c -> "BundlePublishFailed".equals(c.getReason())).orElse(false));
    assertThat(Conditions.find(failed.getStatus().getConditions(), ConditionType.CLIENT_BUNDLES_PUBLISHED).orElseThrow().getMessage())
        .contains("exists and is not one the operator created, so it is left alone");
    assertThat(aws.secret("buildcache/" + NS + "/shared/web").orElseThrow().current()).isEqualTo("not ours");
    assertThat(client.apps().deployments().inNamespace(NS).withName("shared-gateway").get()).isNotNull();
    await().atMost(WAIT).until(() -> client.v1().events().inNamespace(NS).list().getItems().stream()
        .anyMatch(e -> "BundlePublishFailed".equals(e.getReason()) && "Warning".equals(e.getType())));
  }

  private Map<String, String> bundle(String profile) throws Exception {
    return JSON.readValue(aws.secret("buildcache/" + NS + "/shared/" + profile).orElseThrow().current(),
        new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
  }

  private Map<String, String> clientSecret(String profile) {
    Secret secret = client.secrets().inNamespace(NS).withName("shared." + profile + ".client-tls").get();
    return Map.of("ca.pem", SecretFactory.value(secret, SecretFactory.BUNDLE_CA), "cert.pem", SecretFactory.value(secret, SecretFactory.BUNDLE_CERT),
        "key.pem", SecretFactory.value(secret, SecretFactory.BUNDLE_KEY));
  }
}
