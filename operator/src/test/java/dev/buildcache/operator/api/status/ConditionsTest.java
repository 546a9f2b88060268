package dev.buildcache.operator.api.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123Z");
  static final Instant T1 = T0.plusSeconds(600);

  @Test
  void transitionTimeMovesOnlyWhenStatusFlips() {
    var first = Conditions.merge(null,
        List.of(new Conditions.Desired(ConditionType.READY, false, Reason.REPLICAS_NOT_READY, "0/3 ready")), 1, T0);
    assertThat(first.transitions()).hasSize(1);
    assertThat(first.conditions().get(0).getLastTransitionTime()).isEqualTo("2026-03-01T10:00:00Z");

    var sameStatusNewMessage = Conditions.merge(first.conditions(),
        List.of(new Conditions.Desired(ConditionType.READY, false, Reason.REPLICAS_NOT_READY, "1/3 ready")), 2, T1);
    Condition c = sameStatusNewMessage.conditions().get(0);
    assertThat(sameStatusNewMessage.transitions()).isEmpty();
    assertThat(c.getLastTransitionTime()).isEqualTo("2026-03-01T10:00:00Z");
    assertThat(c.getMessage()).isEqualTo("1/3 ready");
    assertThat(c.getObservedGeneration()).isEqualTo(2L);

    var flipped = Conditions.merge(sameStatusNewMessage.conditions(),
        List.of(new Conditions.Desired(ConditionType.READY, true, Reason.ALL_REPLICAS_READY, "3/3 ready")), 2, T1);
    assertThat(flipped.transitions()).singleElement().satisfies(t -> assertThat(t.previousStatus()).isEqualTo("False"));
    assertThat(flipped.conditions().get(0).getLastTransitionTime()).isEqualTo("2026-03-01T10:10:00Z");
    assertThat(flipped.conditions().get(0).getReason()).isEqualTo("AllReplicasReady");
  }

  @Test
  void keepsUntouchedConditionsAndSortsByType() {
    var first = Conditions.merge(null, List.of(
        new Conditions.Desired(ConditionType.READY, true, Reason.ALL_REPLICAS_READY, "ok"),
        new Conditions.Desired(ConditionType.DEGRADED, false, Reason.AS_EXPECTED, "ok")), 1, T0);
    var second = Conditions.merge(first.conditions(),
        List.of(new Conditions.Desired(ConditionType.DEGRADED, true, Reason.RECONCILE_ERROR, "boom")), 1, T1);
    assertThat(second.conditions()).extracting(Condition::getType).containsExactly("Degraded", "Ready");
    assertThat(Conditions.isTrue(second.conditions(), ConditionType.READY)).isTrue();
    assertThat(Conditions.isTrue(second.conditions(), ConditionType.DEGRADED)).isTrue();
    assertThat(Conditions.find(second.conditions(), ConditionType.VALID)).isEmpty();
  }
}
