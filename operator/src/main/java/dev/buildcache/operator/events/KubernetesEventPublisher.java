package dev.buildcache.operator.events;

import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events (what {@code kubectl describe} shows). An Event that cannot be written is logged and
 * dropped: Events are best-effort and must never fail a reconcile.
 */
public class KubernetesEventPublisher implements EventPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesEventPublisher.class);
  static final String COMPONENT = "buildcache-operator";

  private final KubernetesClient client;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();

  public KubernetesEventPublisher(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void publish(HasMetadata regarding, Type type, Reason reason, String message) {
    String now = Conditions.format(clock.instant());
    String name = regarding.getMetadata().getName() + "."
        + Long.toHexString(clock.millis()) + Long.toHexString(sequence.incrementAndGet());
    try {
      client.v1().events().inNamespace(regarding.getMetadata().getNamespace()).resource(new EventBuilder()
          .withNewMetadata().withName(name).withNamespace(regarding.getMetadata().getNamespace()).endMetadata()
          .withNewInvolvedObject()
          .withApiVersion(regarding.getApiVersion())
          .withKind(regarding.getKind())
          .withName(regarding.getMetadata().getName())
          .withNamespace(regarding.getMetadata().getNamespace())
          .withUid(regarding.getMetadata().getUid())
          .endInvolvedObject()
          .withType(type.name())
          .withReason(reason.value())
          .withMessage(message)
          .withNewSource().withComponent(COMPONENT).endSource()
          .withReportingComponent(COMPONENT)
          .withFirstTimestamp(now)
          .withLastTimestamp(now)
          .withCount(1)
          .build()).create();
    } catch (KubernetesClientException e) {
      LOG.warn("could not record event {} on {} {}/{}: {}", reason.value(), regarding.getKind(),
          regarding.getMetadata().getNamespace(), regarding.getMetadata().getName(), e.getMessage());
    }
  }
}
