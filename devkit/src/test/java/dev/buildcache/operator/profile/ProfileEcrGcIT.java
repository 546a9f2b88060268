package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An ECR profile's GC through the operator: region from the repository host, the AWS default credential chain,
 * the ECR protocol server standing in for the regional endpoint ({@code --ecr-endpoint-url}).
 */
class ProfileEcrGcIT {
  static final String NS = TestBuilders.NAMESPACE;
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final String IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
  static final Instant NOW = Instant.now();

  EcrProtocolServer ecr;
  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;

  @BeforeAll
  static void credentials() {
    EcrProtocolServer.useTestCredentials();
  }

  @BeforeEach
  void start() throws Exception {
    ecr = new EcrProtocolServer().serveSts();
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster, OperatorHarness.SETTINGS.withEcrEndpoint(ecr.endpoint()));
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
    ecr.close();
    EcrProtocolServer.clearSdkEndpoints();
  }

  static String manifest(String config, String name) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + config
        + "\",\"digest\":\"sha256:config-" + name + "\",\"size\":200},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
        + "\"digest\":\"sha256:base\",\"size\":5000},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:layer-"
        + name + "\",\"size\":1500}]}";
  }

  @Test
  void scheduledPolicyAppliedOnRequestAndTheReleaseImageSurvives() {
    String expired = ecr.put(manifest(CACHE_CONFIG, "old"), OCI_MANIFEST, CACHE_CONFIG, NOW.minus(Duration.ofDays(40)), null, "cache-feature-old");
    String fresh = ecr.put(manifest(CACHE_CONFIG, "fresh"), OCI_MANIFEST, CACHE_CONFIG, NOW.minus(Duration.ofDays(2)), null, "cache-feature-new");
    String main = ecr.put(manifest(CACHE_CONFIG, "main"), OCI_MANIFEST, CACHE_CONFIG, NOW.minus(Duration.ofDays(60)), null, "cache-main");
    String release = ecr.put(manifest(IMAGE_CONFIG, "v1"), OCI_MANIFEST, IMAGE_CONFIG, NOW.minus(Duration.ofDays(300)), null, "cache-v1");

    CacheProfile profile = TestProfiles.profile("app", s -> {
      s.getRegistry().setRegion(null); // from the host: us-east-1
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
    });
    profile.getMetadata().setAnnotations(new HashMap<>(java.util.Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "first")));
    client.resource(profile).create();

    CacheProfileStatus status = await().atMost(Duration.ofSeconds(60)).until(
        () -> client.resources(CacheProfile.class).inNamespace(NS).withName("app").get().getStatus(),
        s -> s != null && s.getLastGc() != null);
    assertThat(status.getLastGc().getResult()).as(status.getLastGc().getMessage()).isEqualTo("Succeeded");
    assertThat(status.getLastGc().getDeletedImages()).isEqualTo(1);
    assertThat(status.getLastGc().getApiCalls()).containsEntry("BatchDeleteImage", 1).containsKey("DescribeImages");
    assertThat(ecr.tagsByDigest()).containsOnlyKeys(fresh, main, release).doesNotContainKey(expired);
    assertThat(Conditions.isTrue(status.getConditions(), ConditionType.GC_SUCCEEDED)).isTrue();
    assertThat(operator.meters().counter("buildcache_gc_runs_total", "registry_type", "ecr", "result", "succeeded").count()).isEqualTo(1);

    // The operator's role is not a pull-time update exclusion: status, a condition, a Warning Event and a metric say so.
    assertThat(status.getLastGc().getPullTimes()).isEqualTo("refreshed-by-gc");
    assertThat(Conditions.find(status.getConditions(), ConditionType.PULL_TIME_UPDATE_EXCLUDED)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("RefreshedByGc");
      assertThat(c.getMessage()).contains("register it once: aws ecr register-pull-time-update-exclusion --region us-east-1");
    });
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("RefreshedByGc");
      assertThat(e.getType()).isEqualTo("Warning");
    });
    assertThat(operator.meters().get("buildcache_gc_pull_time_exclusion")
        .tags("namespace", NS, "profile", "app", "state", "refreshed-by-gc").gauge().value()).isEqualTo(1);
    assertThat(Conditions.find(status.getConditions(), ConditionType.VALID)).hasValueSatisfying(c ->
        assertThat(c.getMessage()).contains("maxAge counts from the last push or recorded pull (ECR)"));
  }

  @Test
  void anExcludedRoleIsATrueCondition() {
    ecr.exclude(EcrProtocolServer.GC_ROLE_ARN);
    ecr.put(manifest(CACHE_CONFIG, "old"), OCI_MANIFEST, CACHE_CONFIG, NOW.minus(Duration.ofDays(40)), null, "cache-feature-old");
    CacheProfile profile = TestProfiles.profile("app", s -> s.getRetention().setMaxAge("336h"));
    profile.getMetadata().setAnnotations(new HashMap<>(java.util.Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "first")));
    client.resource(profile).create();
    CacheProfileStatus status = await().atMost(Duration.ofSeconds(60)).until(
        () -> client.resources(CacheProfile.class).inNamespace(NS).withName("app").get().getStatus(),
        s -> s != null && s.getLastGc() != null);
    assertThat(status.getLastGc().getDeletedImages()).isEqualTo(1);
    assertThat(Conditions.find(status.getConditions(), ConditionType.PULL_TIME_UPDATE_EXCLUDED)).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getReason()).isEqualTo("Excluded");
    });
    assertThat(operator.meters().get("buildcache_gc_pull_time_exclusion")
        .tags("namespace", NS, "profile", "app", "state", "excluded").gauge().value()).isEqualTo(1);
  }
}
