package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.testing.FakeRegistry;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One operator, several teams: under the default rules ({@code --repository-access} unset) a namespace prunes only
 * the repositories under a path element named after it, and a repository has one profile. On the in-process API with
 * RBAC enforced (the operator runs as its ServiceAccount), against a registry that records every request.
 */
class TenancyIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;
  FakeRegistry registry;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry("127.0.0.1", "team-a/app-cache");
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster, OperatorRuntime.Settings.defaults());
    for (String namespace : List.of("team-a", "team-b")) {
      BuildkitBuilder builder = TestBuilders.builder("shared", s -> s.setReplicas(1));
      builder.getMetadata().setNamespace(namespace);
      client.resource(builder).create();
    }
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
    registry.close();
  }

  CacheProfile profile(String namespace, String name, String repository) {
    CacheProfile p = TestProfiles.profile(name, s -> {
      s.setRepository(repository);
      s.getRegistry().setType(CacheProfileSpec.RegistryType.OCI);
      s.getRegistry().setInsecure(true);
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
    });
    p.getMetadata().setNamespace(namespace);
    p.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "2026-12-02T10:00:00Z")));
    return client.resource(p).create();
  }

  CacheProfile get(String namespace, String name) {
    return client.resources(CacheProfile.class).inNamespace(namespace).withName(name).get();
  }

  /** The profile's Valid condition, or null before its first status. */
  io.fabric8.kubernetes.api.model.Condition valid(String namespace, String name) {
    CacheProfile p = get(namespace, name);
    return p.getStatus() == null ? null : Conditions.find(p.getStatus().getConditions(), ConditionType.VALID).orElse(null);
  }

  List<Event> events(String namespace, String name) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
  }

  @Test
  void aProfileNamingAnotherTeamsRepositoryIsRefusedAndNeverReachesTheRegistry() {
    String teamARepository = registry.host() + "/team-a/app-cache";
    profile("team-b", "app", teamARepository);

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(valid("team-b", "app")).isNotNull().satisfies(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("RepositoryNotAllowed");
        assertThat(c.getMessage()).contains("namespace team-b may not use " + teamARepository).contains("*=**/{namespace}/*");
      });
      assertThat(events("team-b", "app")).anySatisfy(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getReason()).isEqualTo("RepositoryNotAllowed");
      });
    });
    assertThat(get("team-b", "app").getStatus().getLastGc()).as("its gc-now request runs nothing").isNull();

    // the rightful owner, created later, is not blocked by the refused one, and its GC does reach the registry
    profile("team-a", "app", teamARepository);
    await().atMost(WAIT).until(() -> get("team-a", "app").getStatus() != null && get("team-a", "app").getStatus().getLastGc() != null);
    assertThat(valid("team-a", "app").getStatus()).isEqualTo("True");
    assertThat(registry.requests()).as("team-a's run").isNotEmpty();
    int byTeamA = registry.requests().size();
    assertThat(get("team-b", "app").getStatus().getLastGc()).isNull();
    assertThat(registry.requests()).as("nothing more").hasSize(byTeamA);
  }

  @Test
  void aSecondProfileOnARepositoryIsAConflictUntilTheFirstIsGone() {
    String repository = registry.host() + "/team-a/app-cache";
    profile("team-a", "app", repository);
    await().atMost(WAIT).until(() -> valid("team-a", "app") != null && "True".equals(valid("team-a", "app").getStatus()));
    profile("team-a", "app-nightly", repository);

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(valid("team-a", "app-nightly")).isNotNull().satisfies(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("RepositoryConflict");
        assertThat(c.getMessage()).contains("belongs to CacheProfile team-a/app (created first)");
      });
      assertThat(events("team-a", "app-nightly")).anySatisfy(e -> assertThat(e.getReason()).isEqualTo("RepositoryConflict"));
    });
    assertThat(get("team-a", "app-nightly").getStatus().getLastGc()).isNull();

    client.resources(CacheProfile.class).inNamespace("team-a").withName("app").delete();
    await().atMost(WAIT).untilAsserted(() -> assertThat(valid("team-a", "app-nightly").getStatus())
        .as("the remaining profile owns the repository now, without waiting for a resync").isEqualTo("True"));
  }
}
