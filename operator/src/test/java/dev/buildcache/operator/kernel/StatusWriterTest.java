package dev.buildcache.operator.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StatusWriterTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final List<String> published = new ArrayList<>();
  final EventPublisher events = (HasMetadata regarding, EventPublisher.Type type, Reason reason, String message) ->
      published.add(type + " " + reason.value());
  final StatusWriter<CacheProfileStatus, CacheProfile> writer = new StatusWriter<>(events, clock, CacheProfile::new, Set.of());
  final List<CacheProfile> patches = new ArrayList<>();

  CacheProfile profile(String resourceVersion, CacheProfileStatus status) {
    CacheProfile p = TestProfiles.profile("app", s -> {});
    p.getMetadata().setResourceVersion(resourceVersion);
    p.getMetadata().setGeneration(3L);
    p.setStatus(status);
    return p;
  }

  static final List<Conditions.Desired> NOT_FOUND = List.of(
      new Conditions.Desired(ConditionType.READY, false, Reason.BUILDER_NOT_FOUND, "BuildkitBuilder buildkite/shared does not exist"));

  @Test
  void writesTheStatusUnderTheResourceVersionItReadThenAnnounces() {
    CacheProfile read = profile("41", null);
    writer.write(read, writer.plan(read, new CacheProfileStatus(), NOT_FOUND, List.of()), patch -> {
      assertThat(published).as("nothing is announced before the write").isEmpty();
      patches.add(patch);
      return patch;
    });
    assertThat(patches).singleElement().satisfies(p -> {
      assertThat(p.getMetadata().getResourceVersion()).isEqualTo("41");
      assertThat(p.getSpec()).isNull();
      assertThat(p.getStatus().getObservedGeneration()).isEqualTo(3L);
      assertThat(p.getStatus().getConditions()).extracting(c -> c.getReason()).containsExactly("BuilderNotFound");
    });
    assertThat(published).containsExactly("Warning BuilderNotFound");
  }

  @Test
  void aStaleReadIsAConflictAndAnnouncesNothing() {
    CacheProfile stale = profile("41", null);
    StatusWriter.Target<CacheProfile> server = patch -> {
      throw new KubernetesClientException(new StatusBuilder().withCode(409).withReason("Conflict").build());
    };
    assertThatThrownBy(() -> writer.write(stale, writer.plan(stale, new CacheProfileStatus(), NOT_FOUND, List.of()), server))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(Failures.isConflict(e)).isTrue());
    assertThat(published).isEmpty();
  }

  /**
   * Before Kubernetes 1.30 the server validates the whole object on a status write, so a spec field that today's CRD
   * refuses (stored under an older one) makes every status write a 422: the pass's Events and a StatusRefused
   * Warning naming the field are all a user can see, and retrying cannot help.
   */
  @Test
  void aStatusTheServerRefusesIsAnnouncedWithTheFieldsToFix() {
    CacheProfile read = profile("41", null);
    List<String> messages = new ArrayList<>();
    StatusWriter<CacheProfileStatus, CacheProfile> recording = new StatusWriter<>(
        (regarding, type, reason, message) -> {
          published.add(type + " " + reason.value());
          messages.add(message);
        }, clock, CacheProfile::new, Set.of());
    StatusWriter.Target<CacheProfile> server = patch -> {
      throw new KubernetesClientException(new StatusBuilder().withCode(422).withReason("Invalid")
          .withMessage("CacheProfile.buildcache.dev \"app\" is invalid: spec.cache.compression: Unsupported value: \"ztsd\"")
          .withNewDetails().addNewCause().withField("spec.cache.compression").withReason("FieldValueNotSupported").endCause()
          .endDetails().build());
    };
    recording.write(read, recording.plan(read, new CacheProfileStatus(), NOT_FOUND, List.of()), server);
    assertThat(published).containsExactly("Warning BuilderNotFound", "Warning StatusRefused");
    assertThat(messages.get(1)).contains("because spec.cache.compression fails the installed CRD")
        .contains("correct it with kubectl edit").contains("Unsupported value: \"ztsd\"");
  }

  @Test
  void aConvergedStatusIsNotWrittenAndNotAnnounced() {
    CacheProfile read = profile("41", null);
    StatusWriter.Plan<CacheProfileStatus> first = writer.plan(read, new CacheProfileStatus(), NOT_FOUND, List.of());
    CacheProfile converged = profile("42", first.status());
    clock.advance(java.time.Duration.ofMinutes(5));
    StatusWriter.Plan<CacheProfileStatus> again = writer.plan(converged, new CacheProfileStatus(), NOT_FOUND, List.of());
    assertThat(again.changed()).isFalse();
    assertThat(again.events()).isEmpty();
    writer.write(converged, again, patch -> {
      throw new AssertionError("no write expected");
    });
    assertThat(published).isEmpty();
  }
}
