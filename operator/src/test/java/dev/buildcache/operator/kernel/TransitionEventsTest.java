package dev.buildcache.operator.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransitionEventsTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static List<Announcement> events(List<Condition> before, Conditions.Desired... after) {
    return TransitionEvents.of(Conditions.merge(before, List.of(after), 1, NOW).transitions(), Set.of(ConditionType.LINT_CLEAN));
  }

  static List<Condition> stored(Conditions.Desired... conditions) {
    return Conditions.merge(null, List.of(conditions), 1, NOW).conditions();
  }

  static Conditions.Desired c(ConditionType type, boolean status, Reason reason) {
    return new Conditions.Desired(type, status, reason, reason.value() + " message");
  }

  @Test
  void aNewObjectThatIsFineAnnouncesOnlyWhatAUserActsOn() {
    assertThat(events(null,
        c(ConditionType.VALID, true, Reason.SPEC_VALID),
        c(ConditionType.BUILDER_ASSIGNED, true, Reason.ASSIGNED),
        c(ConditionType.READY, false, Reason.BUILDER_NOT_READY),
        c(ConditionType.DEGRADED, false, Reason.AS_EXPECTED),
        c(ConditionType.PROGRESSING, true, Reason.ROLLING_OUT)))
        .containsExactly(new Announcement(EventPublisher.Type.Normal, Reason.ASSIGNED, "Assigned message"));
  }

  @Test
  void everyFailureReasonIsAWarningAndNeverNormal() {
    for (Reason reason : Reason.values()) {
      for (ConditionType type : ConditionType.values()) {
        for (boolean status : new boolean[] {true, false}) {
          for (List<Condition> before : List.of(List.<Condition>of(), stored(c(type, !status, Reason.AS_EXPECTED)),
              stored(c(type, status, Reason.AS_EXPECTED)))) {
            List<Announcement> announced = TransitionEvents.of(
                Conditions.merge(before, List.of(c(type, status, reason)), 1, NOW).transitions(), Set.of());
            if (reason.failure()) {
              assertThat(announced).as("%s on %s=%s", reason, type, status).allSatisfy(a -> assertThat(a.type()).isEqualTo(EventPublisher.Type.Warning));
            }
            if (reason.severity() == Reason.Severity.FAILURE) {
              assertThat(announced).as("%s on %s=%s", reason, type, status).isNotEmpty();
            }
          }
        }
      }
    }
  }

  @Test
  void aDegradationIsAWarningOnlyAfterItWasGood() {
    assertThat(events(null, c(ConditionType.READY, false, Reason.REPLICAS_NOT_READY))).isEmpty();
    assertThat(events(stored(c(ConditionType.READY, true, Reason.ALL_REPLICAS_READY)), c(ConditionType.READY, false, Reason.REPLICAS_NOT_READY)))
        .extracting(Announcement::type, Announcement::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(EventPublisher.Type.Warning, Reason.REPLICAS_NOT_READY));
  }

  @Test
  void aQuietReasonIsAnnouncedOnlyAsARecovery() {
    assertThat(events(stored(c(ConditionType.VALID, false, Reason.INVALID_SPEC)), c(ConditionType.VALID, true, Reason.SPEC_VALID)))
        .containsExactly(new Announcement(EventPublisher.Type.Normal, Reason.SPEC_VALID, "SpecValid message"));
    assertThat(events(stored(c(ConditionType.DEGRADED, true, Reason.OBJECT_NAME_TAKEN)), c(ConditionType.DEGRADED, false, Reason.AS_EXPECTED)))
        .extracting(Announcement::type).containsExactly(EventPublisher.Type.Normal);
    assertThat(events(stored(c(ConditionType.PROGRESSING, true, Reason.ROLLING_OUT)), c(ConditionType.PROGRESSING, false, Reason.ROLLOUT_COMPLETE)))
        .isEmpty();
  }

  @Test
  void aNewFailureReasonOnAnAlreadyFailedConditionIsAnnounced() {
    assertThat(events(stored(c(ConditionType.READY, false, Reason.BUILDER_NOT_READY)), c(ConditionType.READY, false, Reason.BUILDER_NOT_FOUND)))
        .extracting(Announcement::type, Announcement::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(EventPublisher.Type.Warning, Reason.BUILDER_NOT_FOUND));
    // the same reason with a new message is not a change worth an Event
    assertThat(events(stored(c(ConditionType.READY, false, Reason.BUILDER_NOT_FOUND)),
        new Conditions.Desired(ConditionType.READY, false, Reason.BUILDER_NOT_FOUND, "other words"))).isEmpty();
  }

  @Test
  void oneEventForOneReasonOnTwoConditions() {
    assertThat(events(null,
        new Conditions.Desired(ConditionType.READY, false, Reason.INVALID_SPEC, "spec.replicas: must be between 0 and 64"),
        new Conditions.Desired(ConditionType.DEGRADED, true, Reason.INVALID_SPEC, "spec.replicas: must be between 0 and 64")))
        .hasSize(1);
  }

  /** A profile's Ready points at Valid; the Event must carry Valid's message, which names the fields to fix. */
  @Test
  void oneReasonWithTwoMessagesIsAnnouncedWithTheFirstConditionsMessage() {
    assertThat(events(null,
        new Conditions.Desired(ConditionType.VALID, false, Reason.INVALID_SPEC, "spec.cache.compression: ztsd is a common typo"),
        new Conditions.Desired(ConditionType.READY, false, Reason.INVALID_SPEC, "the spec is invalid; see the Valid condition")))
        .singleElement().satisfies(a -> assertThat(a.message()).isEqualTo("spec.cache.compression: ztsd is a common typo"));
  }

  @Test
  void selfAnnouncedConditionsAreLeftToTheirOwner() {
    assertThat(events(null, c(ConditionType.LINT_CLEAN, false, Reason.LINT_ERRORS))).isEmpty();
  }
}
