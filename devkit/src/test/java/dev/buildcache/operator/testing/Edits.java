package dev.buildcache.operator.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.function.Consumer;
import org.awaitility.Awaitility;

/**
 * A test's edit of an object the operator writes too (its status, on every pass): the edit reads, changes and
 * patches with the version it read, and the operator's write can land in between (409). Retried as kubectl would.
 */
public final class Edits {
  static final Duration RETRY_FOR = Duration.ofSeconds(10);

  private Edits() {}

  public static <T extends HasMetadata> void retryingConflicts(KubernetesClient client, Class<T> type, String namespace,
      String name, Consumer<T> change) {
    Awaitility.await().atMost(RETRY_FOR).ignoreExceptionsInstanceOf(KubernetesClientException.class)
        .until(() -> client.resources(type).inNamespace(namespace).withName(name).edit(object -> {
          change.accept(object);
          return object;
        }) != null);
  }
}
