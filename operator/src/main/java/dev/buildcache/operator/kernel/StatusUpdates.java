package dev.buildcache.operator.kernel;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.function.Supplier;

/** Status values as data: a pass computes the new status in a detached copy; {@link StatusWriter} writes it. */
public final class StatusUpdates {
  private StatusUpdates() {}

  /** A detached copy of a resource's status to compute the new one in, or an empty one. */
  public static <T> T copy(T status, Supplier<T> empty) {
    if (status == null) {
      return empty.get();
    }
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) status.getClass();
    return Serialization.jsonMapper().convertValue(status, type);
  }
}
