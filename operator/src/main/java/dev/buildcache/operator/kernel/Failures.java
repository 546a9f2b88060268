package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** What a failure means for status and Events: a conflict to retry quietly, or one short line to show. */
public final class Failures {
  static final int MAX_MESSAGE = 240;

  private Failures() {}

  /**
   * An optimistic-locking conflict (HTTP 409), however deeply JOSDK wrapped it. Another writer, or our own cache,
   * was a version behind; the retry reads the new version. It is not a fault and must not mark a resource degraded.
   */
  public static boolean isConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 409) {
        return true;
      }
    }
    return false;
  }

  /** The first throwable of {@code type} in the cause chain, however deeply the framework wrapped it. */
  public static <T extends Throwable> java.util.Optional<T> find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return java.util.Optional.of(type.cast(t));
      }
    }
    return java.util.Optional.empty();
  }

  /** The innermost cause: what actually went wrong beneath the framework's wrappers. */
  public static Throwable rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  /** {@code e}'s own message on one line, at most 240 characters: for a condition message or an Event, never a trace. */
  public static String oneLine(Throwable e) {
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    text = text.replaceAll("\\s+", " ").trim();
    return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE - 3) + "..." : text;
  }
}
