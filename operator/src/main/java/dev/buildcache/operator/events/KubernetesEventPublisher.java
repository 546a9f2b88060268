package dev.buildcache.operator.events;

import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events (what {@code kubectl describe} shows), aggregated as client-go's EventCorrelator does: a
 * repeat of the same type and reason about the same object updates the Event already written (count, lastTimestamp,
 * latest message) instead of adding another. The operator remembers the last 4096 such Events; one the API server
 * has since expired (events live an hour by default) is written anew. An Event that cannot be written is logged and
 * dropped: Events are best-effort and must never fail a reconcile.
 */
public class KubernetesEventPublisher implements EventPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesEventPublisher.class);
  static final String COMPONENT = "buildcache-operator";

  private final KubernetesClient client;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();
  static final int REMEMBERED = 4096;

  private record Key(String namespace, String uid, String kind, String name, Type type, Reason reason) {}

  private record Recorded(String eventName, int count) {}

  @SuppressWarnings("serial")
  private final Map<Key, Recorded> recorded = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Recorded> eldest) {
      return size() > REMEMBERED;
    }
  });

  public KubernetesEventPublisher(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void publish(HasMetadata regarding, Type type, Reason reason, String message) {
    String now = Conditions.format(clock.instant());
    String namespace = regarding.getMetadata().getNamespace();
    Key key = new Key(namespace, regarding.getMetadata().getUid(), regarding.getKind(), regarding.getMetadata().getName(), type, reason);
    Recorded previous = recorded.get(key);
    if (previous != null && repeat(namespace, previous, message, now)) {
      recorded.put(key, new Recorded(previous.eventName(), previous.count() + 1));
      return;
    }
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
      recorded.put(key, new Recorded(name, 1));
    } catch (KubernetesClientException e) {
      LOG.warn("could not record event {} on {} {}/{}: {}", reason.value(), regarding.getKind(),
          regarding.getMetadata().getNamespace(), regarding.getMetadata().getName(), e.getMessage());
    }
  }

  /** Counts a repeat on the Event already written; false when that Event is gone (expired), so a new one is written. */
  private boolean repeat(String namespace, Recorded previous, String message, String now) {
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("count", previous.count() + 1);
    patch.put("lastTimestamp", now);
    patch.put("message", message);
    try {
      // on a resource given as an object: fabric8 would GET a name-only one first, which needs another verb
      client.v1().events().inNamespace(namespace).resource(new EventBuilder().withNewMetadata()
              .withName(previous.eventName()).withNamespace(namespace).endMetadata().build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        LOG.warn("could not update event {}/{}: {}", namespace, previous.eventName(), e.getMessage());
        return true; // best-effort: not worth a second Event
      }
      return false;
    }
  }
}
