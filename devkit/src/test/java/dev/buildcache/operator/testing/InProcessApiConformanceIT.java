package dev.buildcache.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where the in-process API was shown to answer differently from a real kube-apiserver, it now answers the same; each
 * test cites the behaviour it follows.
 */
class InProcessApiConformanceIT {
  final KubernetesTestCluster cluster = new KubernetesTestCluster();
  final KubernetesClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  static PatchContext apply() {
    return new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("test").withForce(true).build();
  }

  CacheProfile statusApply(CacheProfile current, String resourceVersion, String replica) {
    CacheProfile patch = new CacheProfile();
    patch.setMetadata(new ObjectMetaBuilder().withName(current.getMetadata().getName())
        .withNamespace(current.getMetadata().getNamespace()).withResourceVersion(resourceVersion).build());
    patch.setSpec(null);
    CacheProfileStatus status = new CacheProfileStatus();
    status.setAssignedReplica(replica);
    patch.setStatus(status);
    return client.resource(patch).subresource("status").patch(apply());
  }

  /**
   * An apply that names a resourceVersion is a precondition, on the status subresource too: a stale one is 409
   * Conflict "the object has been modified" (apiserver's OptimisticLockErrorMsg; the same for apply as for update).
   */
  @Test
  void anApplyWithAStaleResourceVersionIsAConflict() {
    CacheProfile created = client.resource(TestProfiles.profile("app", s -> {})).create();
    CacheProfile first = statusApply(created, created.getMetadata().getResourceVersion(), "shared-0");
    assertThat(first.getStatus().getAssignedReplica()).isEqualTo("shared-0");

    assertThatThrownBy(() -> statusApply(created, created.getMetadata().getResourceVersion(), "shared-1"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(e.getStatus().getReason()).isEqualTo("Conflict");
          assertThat(e.getStatus().getMessage()).isEqualTo("Operation cannot be fulfilled on cacheprofiles.buildcache.dev \"app\": "
              + "the object has been modified; please apply your changes to the latest version and try again");
        });
    assertThat(client.resources(CacheProfile.class).inNamespace(created.getMetadata().getNamespace()).withName("app").get()
        .getStatus().getAssignedReplica()).isEqualTo("shared-0");
    // without a resourceVersion, apply is not optimistic
    assertThat(statusApply(created, null, "shared-2").getStatus().getAssignedReplica()).isEqualTo("shared-2");
  }
}
