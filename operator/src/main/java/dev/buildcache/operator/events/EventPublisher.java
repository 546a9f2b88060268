package dev.buildcache.operator.events;

import dev.buildcache.operator.api.status.Reason;
import io.fabric8.kubernetes.api.model.HasMetadata;

/** Publishes Kubernetes Events about our custom resources. */
public interface EventPublisher {
  enum Type { Normal, Warning }

  void publish(HasMetadata regarding, Type type, Reason reason, String message);
}
