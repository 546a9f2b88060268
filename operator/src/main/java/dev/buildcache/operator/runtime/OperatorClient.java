package dev.buildcache.operator.runtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The operator's Kubernetes client: reads every object without {@code metadata.managedFields}.
 *
 * <p>The API server sends every object with its managedFields, the field sets of each manager that wrote it
 * (about 1.5 KB of JSON on a CacheProfile, decoded into nested maps), and the informers keep each object they watch,
 * some kinds in more than one informer. The operator never reads them: it compares the fields it sets
 * ({@code kernel.ManagedFields}) and writes by server-side apply, where the server keeps ownership. Dropping them
 * when a response is decoded is what controller-runtime's {@code TransformStripManagedFields} does for Go
 * controllers; fabric8 has no informer transform, and an informer item store is shared by JOSDK between the
 * informers of every watched namespace, so the decoder is the one place. An update sent back without them keeps the
 * server's (kubernetes.io/docs/reference/using-api/server-side-apply: managedFields are reset only by an explicit
 * {@code [{}]}).
 */
public final class OperatorClient {
  private OperatorClient() {}

  public static KubernetesClient create(Config config) {
    ObjectMapper mapper = new ObjectMapper();
    mapper.addMixIn(ObjectMeta.class, WithoutManagedFields.class);
    return new KubernetesClientBuilder().withConfig(config).withKubernetesSerialization(new KubernetesSerialization(mapper, true)).build();
  }

  /** From the environment: in-cluster service account, or KUBECONFIG. */
  public static KubernetesClient create() {
    return create(Config.autoConfigure(null));
  }

  @JsonIgnoreProperties({"managedFields"})
  private abstract static class WithoutManagedFields {}
}
