package dev.buildcache.operator.runtime;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Recognises an optimistic-locking conflict (HTTP 409) however deeply JOSDK wrapped it. */
public final class Conflicts {
  private Conflicts() {}

  /**
   * A conflict means another writer, or our own cache, was a version behind; the retry reads the new version.
   * It is not a fault and must not mark the resource degraded.
   */
  public static boolean isConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 409) {
        return true;
      }
    }
    return false;
  }
}
