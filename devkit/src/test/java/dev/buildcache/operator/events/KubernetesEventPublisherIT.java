package dev.buildcache.operator.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KubernetesEventPublisherIT {
  final KubernetesTestCluster cluster = new KubernetesTestCluster();
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final KubernetesEventPublisher publisher = new KubernetesEventPublisher(cluster.client(), clock);
  final CacheProfile profile = cluster.client().resource(TestProfiles.profile("app", s -> {})).create();

  @AfterEach
  void close() {
    cluster.close();
  }

  List<Event> events() {
    return cluster.client().v1().events().inNamespace(profile.getMetadata().getNamespace()).list().getItems();
  }

  @Test
  void aRepeatOfTheSameReasonAboutTheSameObjectIsCountedOnOneEvent() {
    publisher.publish(profile, EventPublisher.Type.Warning, Reason.GC_FAILED, "registry answered 503");
    clock.advance(Duration.ofMinutes(10));
    publisher.publish(profile, EventPublisher.Type.Warning, Reason.GC_FAILED, "registry answered 429");
    publisher.publish(profile, EventPublisher.Type.Normal, Reason.GC_COMPLETED, "deleted 3 images");

    assertThat(events()).hasSize(2);
    Event failed = events().stream().filter(e -> e.getReason().equals("GcFailed")).findFirst().orElseThrow();
    assertThat(failed.getCount()).isEqualTo(2);
    assertThat(failed.getFirstTimestamp()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(failed.getLastTimestamp()).isEqualTo("2026-01-01T00:10:00Z");
    assertThat(failed.getMessage()).isEqualTo("registry answered 429");
    assertThat(failed.getInvolvedObject().getUid()).isEqualTo(profile.getMetadata().getUid());
  }

  @Test
  void anExpiredEventIsWrittenAnew() {
    publisher.publish(profile, EventPublisher.Type.Warning, Reason.GC_FAILED, "registry answered 503");
    // the API server deletes Events after --event-ttl (1h by default)
    cluster.client().v1().events().inNamespace(profile.getMetadata().getNamespace()).delete();
    clock.advance(Duration.ofHours(2));
    publisher.publish(profile, EventPublisher.Type.Warning, Reason.GC_FAILED, "registry answered 503 again");

    assertThat(events()).singleElement().satisfies(e -> {
      assertThat(e.getCount()).isEqualTo(1);
      assertThat(e.getMessage()).isEqualTo("registry answered 503 again");
    });
  }
}
