package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.profile.GcSchedulePlanner.Decision;
import dev.buildcache.operator.profile.GcSchedulePlanner.Input;
import dev.buildcache.operator.profile.GcSchedulePlanner.Trigger;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GcSchedulePlannerTest {
  static final Instant CREATED = Instant.parse("2026-11-01T10:00:00Z");
  static final String DAILY = "0 3 * * *";

  static Input input(Instant lastStart, String requested, String handled, boolean suspend) {
    return new Input(DAILY, suspend, CREATED, lastStart, requested, handled);
  }

  @Test
  void newProfileWaitsForTheFirstScheduledTimeAfterCreation() {
    Decision d = GcSchedulePlanner.decide(input(null, null, null, false), Instant.parse("2026-11-01T12:00:00Z"));
    assertThat(d.trigger()).isNull();
    assertThat(d.nextRun()).isEqualTo(Instant.parse("2026-11-02T03:00:00Z"));
  }

  @Test
  void dueAtTheScheduledTimeAndThenScheduledForTheNextDay() {
    Decision d = GcSchedulePlanner.decide(input(null, null, null, false), Instant.parse("2026-11-02T03:00:00Z"));
    assertThat(d.trigger()).isEqualTo(Trigger.SCHEDULE);
    assertThat(d.nextRun()).isEqualTo(Instant.parse("2026-11-03T03:00:00Z"));
  }

  @Test
  void notDueAgainAfterTheRunStarted() {
    Decision d = GcSchedulePlanner.decide(input(Instant.parse("2026-11-02T03:00:01Z"), null, null, false),
        Instant.parse("2026-11-02T09:00:00Z"));
    assertThat(d.trigger()).isNull();
    assertThat(d.nextRun()).isEqualTo(Instant.parse("2026-11-03T03:00:00Z"));
  }

  @Test
  void anOperatorDownForDaysRunsOnceNotOncePerMissedDay() {
    Instant lastStart = Instant.parse("2026-11-02T03:00:01Z");
    Instant back = Instant.parse("2026-11-06T15:00:00Z");
    Decision d = GcSchedulePlanner.decide(input(lastStart, null, null, false), back);
    assertThat(d.trigger()).isEqualTo(Trigger.SCHEDULE);
    assertThat(d.nextRun()).isEqualTo(Instant.parse("2026-11-07T03:00:00Z"));
    // once that catch-up run has started, nothing is due until the next scheduled time
    Decision after = GcSchedulePlanner.decide(input(back.plusSeconds(1), null, null, false), back.plusSeconds(60));
    assertThat(after.trigger()).isNull();
  }

  @Test
  void aNewRequestValueRunsOnceAndTheSameValueDoesNotRunAgain() {
    Instant now = Instant.parse("2026-11-01T12:00:00Z");
    assertThat(GcSchedulePlanner.decide(input(null, "2026-11-01T12:00", null, false), now).trigger()).isEqualTo(Trigger.REQUEST);
    assertThat(GcSchedulePlanner.decide(input(now, "2026-11-01T12:00", "2026-11-01T12:00", false), now.plusSeconds(5)).trigger()).isNull();
    assertThat(GcSchedulePlanner.decide(input(now, "again", "2026-11-01T12:00", false), now.plusSeconds(5)).trigger()).isEqualTo(Trigger.REQUEST);
    assertThat(GcSchedulePlanner.decide(input(now, "  ", null, false), now.plusSeconds(5)).trigger()).isNull();
  }

  @Test
  void suspendStopsTheScheduleButNotARequest() {
    Instant due = Instant.parse("2026-11-02T03:00:00Z");
    Decision scheduled = GcSchedulePlanner.decide(input(null, null, null, true), due);
    assertThat(scheduled.trigger()).isNull();
    assertThat(scheduled.nextRun()).isNull();
    assertThat(GcSchedulePlanner.decide(input(null, "now", null, true), due).trigger()).isEqualTo(Trigger.REQUEST);
  }

  @Test
  void aRequestWinsOverADueScheduledRunSoOneRunServesBoth() {
    Decision d = GcSchedulePlanner.decide(input(null, "x", null, false), Instant.parse("2026-11-02T03:00:00Z"));
    assertThat(d.trigger()).isEqualTo(Trigger.REQUEST);
  }

  @Test
  void aRunBeforeCreationTimeIsIgnoredAsBase() {
    // a profile deleted and re-created under the same name keeps no schedule from its predecessor
    Decision d = GcSchedulePlanner.decide(input(Instant.parse("2026-10-01T03:00:00Z"), null, null, false),
        Instant.parse("2026-11-01T12:00:00Z"));
    assertThat(d.trigger()).isNull();
    assertThat(d.nextRun()).isEqualTo(Instant.parse("2026-11-02T03:00:00Z"));
  }
}
