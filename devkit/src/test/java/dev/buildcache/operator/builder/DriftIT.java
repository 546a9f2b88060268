package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Someone edits what the operator owns (kubectl scale, kubectl label, a hand edit): the next pass puts back every
 * field the operator manages, while a converged pass still writes nothing (BuildkitBuilderIT, the steady-state ITs).
 */
class DriftIT {
  static final String NS = TestBuilders.NAMESPACE;
  KubernetesTestCluster cluster;
  KubernetesClient client;
  OperatorHarness operator;

  @BeforeEach
  void start() {
    cluster = new KubernetesTestCluster();
    client = cluster.client();
    operator = new OperatorHarness(cluster);
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(3))).create();
    TestPods.createReady(client, "shared", 3);
    client.resource(TestProfiles.profile("app", s -> {})).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> statefulSet() != null && service("shared-app") != null
        && client.secrets().inNamespace(NS).withName("shared-client-tls").get() != null);
  }

  @AfterEach
  void stop() {
    operator.close();
    cluster.close();
  }

  StatefulSet statefulSet() {
    return client.apps().statefulSets().inNamespace(NS).withName("shared").get();
  }

  Service service(String name) {
    return client.services().inNamespace(NS).withName(name).get();
  }

  @Test
  void aSecretNameSomeoneElseTookIsNeverOverwrittenAndTheBuilderSaysWhy() {
    client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("other-server-tls").withNamespace(NS)
        .endMetadata().addToStringData("mine", "keep me").build()).create();
    client.resource(TestBuilders.builder("other", s -> s.setReplicas(1))).create();
    dev.buildcache.operator.api.v1alpha1.BuildkitBuilder other = await().atMost(Duration.ofSeconds(30)).until(
        () -> client.resources(dev.buildcache.operator.api.v1alpha1.BuildkitBuilder.class).inNamespace(NS).withName("other").get(),
        b -> b.getStatus() != null && dev.buildcache.operator.api.status.Conditions.find(b.getStatus().getConditions(),
            dev.buildcache.operator.api.status.ConditionType.DEGRADED).map(c -> "ObjectNameTaken".equals(c.getReason())).orElse(false));
    assertThat(dev.buildcache.operator.api.status.Conditions.find(other.getStatus().getConditions(),
        dev.buildcache.operator.api.status.ConditionType.DEGRADED)).hasValueSatisfying(c ->
        assertThat(c.getMessage()).contains("Secret buildkite/other-server-tls exists and is not controlled by anything"));
    assertThat(client.secrets().inNamespace(NS).withName("other-server-tls").get().getData()).containsOnlyKeys("mine");
    await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(NS).list().getItems().stream()
        .anyMatch(e -> "other".equals(e.getInvolvedObject().getName()) && "ObjectNameTaken".equals(e.getReason()) && "Warning".equals(e.getType())));
  }

  @Test
  void aScaledStatefulSetIsScaledBack() {
    client.apps().statefulSets().inNamespace(NS).withName("shared").edit(s -> {
      s.getSpec().setReplicas(2);
      return s;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> statefulSet().getSpec().getReplicas() == 3);
  }

  @Test
  void aRepointedAndRelabelledProfileServiceIsPutBack() {
    Service before = service("shared-app");
    client.services().inNamespace(NS).withName("shared-app").edit(s -> {
      s.getSpec().getSelector().put("statefulset.kubernetes.io/pod-name", "elsewhere-0");
      s.getMetadata().getLabels().put(BuilderLabels.INSTANCE_KEY, "someone-else");
      return s;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Service now = service("shared-app");
      return now.getSpec().getSelector().equals(before.getSpec().getSelector())
          && now.getMetadata().getLabels().equals(before.getMetadata().getLabels());
    });
  }

  @Test
  void anOwnedSecretThatLostItsManagedByLabelGetsItBack() {
    client.secrets().inNamespace(NS).withName("shared-client-tls").edit(s -> {
      s.getMetadata().getLabels().remove(BuilderLabels.MANAGED_BY_KEY);
      return s;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Secret now = client.secrets().inNamespace(NS).withName("shared-client-tls").get();
      return BuilderLabels.MANAGED_BY_VALUE.equals(now.getMetadata().getLabels().get(BuilderLabels.MANAGED_BY_KEY));
    });
    // and the builder is none the worse for it
    client.apps().statefulSets().inNamespace(NS).withName("shared").edit(s -> {
      s.getSpec().setReplicas(1);
      return s;
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> statefulSet().getSpec().getReplicas() == 3);
  }
}
