package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.Kustomize;
import dev.buildcache.operator.testing.OperatorHarness;
import dev.buildcache.operator.demo.SsaCrudDispatcher;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestPods;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The operator's RBAC is exactly what its clients use. The real operator runs through every path that talks
 * to the API server (builders, profiles, failover, a builder change that deletes a profile Service, a GC that
 * reads a credentials Secret, Events, leader election); every request it sends is turned into the
 * (API group, resource, verb) that RBAC would check, and that set must equal the rules in deploy/base.
 */
class RbacIT {
  static final String LEASE_NS = "buildcache-system";
  /** What OwnerReferencesPermissionEnforcement checks for blockOwnerDeletion on the objects each kind owns. */
  static final Set<Permission> OWNER_REFERENCE_ADMISSION = Set.of(new Permission("buildcache.dev", "buildkitbuilders/finalizers", "update"),
      new Permission("buildcache.dev", "cacheprofiles/finalizers", "update"));
  static final Set<Permission> LEASE_ACCESS_CHECK = Set.of(new Permission("coordination.k8s.io", "leases", "create"),
      new Permission("coordination.k8s.io", "leases", "update"), new Permission("coordination.k8s.io", "leases", "get"));

  /** One permission, as RBAC checks it; {@code resource} includes a subresource ({@code cacheprofiles/status}). */
  record Permission(String group, String resource, String verb) implements Comparable<Permission> {
    @Override
    public int compareTo(Permission o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return (group.isEmpty() ? "core" : group) + " " + resource + " " + verb;
    }
  }

  @Test
  void grantedRulesAreExactlyTheRequestsTheOperatorMakes() throws Exception {
    Set<Permission> used = new TreeSet<>();
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      KubernetesClient client = cluster.client();
      OperatorRuntime.Settings settings = new OperatorRuntime.Settings(Set.of(), new OperatorRuntime.LeaderElection(
          "buildcache-operator", LEASE_NS, "replica-a", Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(250), false),
          2, 1, URI.create("http://127.0.0.1:1")).withRepositoryAccess(dev.buildcache.operator.tenancy.RepositoryAccess.any());
      OperatorHarness operator = new OperatorHarness(cluster, settings, new SimpleMeterRegistry());
      try {
        exercise(client);
      } finally {
        operator.close();
      }
      used.addAll(permissions(cluster.dispatcher().requests()));
    }
    // JOSDK's LeaderElectionManager.checkLeaseAccess refuses to start unless a SelfSubjectRulesReview shows create,
    // update and get on leases, although the Lease lock itself only gets, creates and patches.
    used.addAll(LEASE_ACCESS_CHECK);
    used.addAll(OWNER_REFERENCE_ADMISSION);
    Set<Permission> granted = granted(Kustomize.render("base"));

    assertThat(new TreeSet<>(used)).as("used by the operator but not granted (it would get 403)").isSubsetOf(granted);
    assertThat(new TreeSet<>(granted)).as("granted but never used (least privilege)").isSubsetOf(used);
  }

  /**
   * OpenShift (and any cluster with the OwnerReferencesPermissionEnforcement admission plugin) refuses an owner
   * reference with {@code blockOwnerDeletion} unless the writer may update the owner's finalizers.
   */
  @Test
  void ownedObjectsAreAcceptedUnderOwnerReferencesPermissionEnforcement() {
    try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
      cluster.dispatcher().enforceOwnerReferencePermissions();
      KubernetesClient client = cluster.client();
      try (OperatorHarness operator = new OperatorHarness(cluster)) {
        String ns = TestBuilders.NAMESPACE;
        client.resource(TestBuilders.builder("shared", s -> s.setReplicas(1))).create();
        TestPods.createReady(client, "shared", 1);
        client.resource(TestProfiles.profile("app", s -> {})).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().statefulSets().inNamespace(ns).withName("shared").get() != null
            && client.network().v1().networkPolicies().inNamespace(ns).withName("shared").get() != null
            && client.services().inNamespace(ns).withName("shared-app").get() != null);
        assertThat(client.services().inNamespace(ns).withName("shared-app").get().getMetadata().getOwnerReferences())
            .singleElement().satisfies(ref -> assertThat(ref.getBlockOwnerDeletion()).isTrue());
      }
    }
  }

  /** Every path of the operator that talks to the API server. */
  static void exercise(KubernetesClient client) {
    String ns = TestBuilders.NAMESPACE;
    // the CA Secret of a builder deleted while the operator was away: the first pass deletes it
    client.secrets().inNamespace(OperatorHarness.NAMESPACE).resource(new SecretBuilder().withNewMetadata()
        .withName(ns + ".gone.ca").withNamespace(OperatorHarness.NAMESPACE)
        .addToLabels("app.kubernetes.io/managed-by", "buildcache-operator").addToLabels("app.kubernetes.io/component", "certificate-authority")
        .addToLabels("buildcache.dev/owner-namespace", ns).addToLabels("buildcache.dev/owner-name", "gone")
        .endMetadata().addToData("ca.crt", "eA==").build()).create();
    client.resource(TestBuilders.builder("shared", s -> s.setReplicas(2))).create();
    client.resource(TestBuilders.builder("other", s -> s.setReplicas(1))).create();
    TestPods.createReady(client, "shared", 2);
    TestPods.createReady(client, "other", 1);
    client.resource(new SecretBuilder().withNewMetadata().withName("creds").withNamespace(ns).endMetadata()
        .withType("kubernetes.io/dockerconfigjson").addToData(".dockerconfigjson", "e30=").build()).create();
    CacheProfile profile = TestProfiles.profile("app", s -> {
      s.setRepository("127.0.0.1:1/team/app");
      s.getRegistry().setType(CacheProfileSpec.RegistryType.OCI);
      s.getRegistry().setInsecure(true);
      s.getRegistry().setCredentialsSecret("creds");
    });
    profile.getMetadata().setAnnotations(new HashMap<>(Map.of("buildcache.dev/gc-now", "1")));
    client.resource(profile).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().statefulSets().inNamespace(ns).withName("shared").get() != null
        && client.services().inNamespace(ns).withName("shared-app").get() != null);
    TestPods.markStatefulSetReady(client, "shared", 2);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      CacheProfile p = client.resources(CacheProfile.class).inNamespace(ns).withName("app").get();
      return p.getStatus() != null && p.getStatus().getLastGc() != null;
    });
    // a second run fails the same way: its Event is counted on the first one (events patch)
    await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
        .until(() -> client.resources(CacheProfile.class).inNamespace(ns).withName("app").edit(p -> {
          p.getMetadata().getAnnotations().put("buildcache.dev/gc-now", "2");
          return p;
        }) != null);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(ns).list().getItems().stream()
        .anyMatch(e -> "GcFailed".equals(e.getReason()) && e.getCount() != null && e.getCount() == 2));
    // moving the profile to another builder deletes its old endpoint Service
    // the operator writes the profile's status meanwhile: an edit may meet a 409, as kubectl edit would, and retries
    await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
        .until(() -> client.resources(CacheProfile.class).inNamespace(ns).withName("app").edit(p -> {
          p.getSpec().setBuilderRef(new CacheProfileSpec.BuilderRef("other"));
          return p;
        }) != null);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.services().inNamespace(ns).withName("shared-app").get() == null
        && client.services().inNamespace(ns).withName("other-app").get() != null);
    // exposing a builder creates its gateway; taking the exposure away deletes it again
    setExposure(client, "other", true);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().deployments().inNamespace(ns).withName("other-gateway").get() != null
        && client.network().v1().networkPolicies().inNamespace(ns).withName("other-gateway").get() != null);
    setExposure(client, "other", false);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().deployments().inNamespace(ns).withName("other-gateway").get() == null
        && client.configMaps().inNamespace(ns).withName("other-gateway").get() == null
        && client.services().inNamespace(ns).withName("other-gateway").get() == null
        && client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("other-gateway").get() == null
        && client.network().v1().networkPolicies().inNamespace(ns).withName("other-gateway").get() == null);
  }

  static void setExposure(KubernetesClient client, String builder, boolean exposed) {
    BuildkitBuilder template = TestBuilders.exposed(builder, s -> {});
    dev.buildcache.operator.testing.Edits.retryingConflicts(client, BuildkitBuilder.class, TestBuilders.NAMESPACE, builder, b -> {
      b.getSpec().setExposure(exposed ? template.getSpec().getExposure() : null);
      b.getSpec().setClients(exposed ? template.getSpec().getClients() : null);
    });
  }

  static Set<Permission> permissions(List<SsaCrudDispatcher.Request> requests) {
    Set<Permission> out = new TreeSet<>();
    for (SsaCrudDispatcher.Request r : requests) {
      if (!OperatorHarness.USER.equals(r.user())) {
        continue;
      }
      String path = r.path().contains("?") ? r.path().substring(0, r.path().indexOf('?')) : r.path();
      String query = r.path().contains("?") ? r.path().substring(r.path().indexOf('?') + 1) : "";
      if (path.endsWith("/selfsubjectrulesreviews")) {
        continue; // every authenticated user may ask what it may do (system:basic-user); not ours to grant
      }
      String[] p = path.substring(1).split("/");
      int i;
      String group;
      if ("api".equals(p[0])) {
        group = "";
        i = 2;
      } else {
        group = p[1];
        i = 3;
      }
      if (i < p.length && "namespaces".equals(p[i]) && i + 2 < p.length) {
        i += 2;
      }
      String resource = p[i];
      String name = i + 1 < p.length ? p[i + 1] : null;
      if (i + 2 < p.length) {
        resource = resource + "/" + p[i + 2];
      }
      String verb = switch (r.method()) {
        case "GET" -> name == null ? (query.contains("watch=true") ? "watch" : "list") : "get";
        case "POST" -> "create";
        case "PUT" -> "update";
        case "PATCH" -> "patch";
        case "DELETE" -> name == null ? "deletecollection" : "delete";
        default -> r.method();
      };
      out.add(new Permission(group, resource, verb));
      // Server-side apply creates the object when it is missing, which the API server authorizes as create.
      if ("PATCH".equals(r.method()) && r.contentType() != null && r.contentType().startsWith("application/apply-patch")
          && !resource.contains("/")) {
        out.add(new Permission(group, resource, "create"));
      }
    }
    return out;
  }

  static Set<Permission> granted(List<JsonNode> docs) {
    Set<Permission> out = new TreeSet<>();
    for (JsonNode doc : docs) {
      String kind = doc.path("kind").asText();
      if (!kind.equals("ClusterRole") && !kind.equals("Role")) {
        continue;
      }
      for (JsonNode rule : doc.path("rules")) {
        for (JsonNode group : rule.path("apiGroups")) {
          for (JsonNode resource : rule.path("resources")) {
            for (JsonNode verb : rule.path("verbs")) {
              assertThat(verb.asText()).as("no wildcard verbs").isNotEqualTo("*");
              out.add(new Permission(group.asText(), resource.asText(), verb.asText()));
            }
          }
        }
      }
    }
    return out;
  }
}
