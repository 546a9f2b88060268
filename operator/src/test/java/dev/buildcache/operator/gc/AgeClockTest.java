package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.gc.state.RepositoryState.OwnRead;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AgeClockTest {
  static final Instant PUSHED = Instant.parse("2026-06-01T10:00:00Z");
  static final Instant READ = Instant.parse("2026-06-02T03:00:00Z");
  static final OwnRead OWN = new OwnRead(READ, READ.plusSeconds(2), null);

  @Test
  void aPullRecordedInsideTheGcsOwnReadIsNotAUse() {
    assertThat(AgeClock.lastUsed(PUSHED, READ.plusSeconds(1), OWN)).isEqualTo(PUSHED);
    assertThat(AgeClock.lastUsed(PUSHED, READ.plus(AgeClock.TOLERANCE), OWN)).as("within the clock tolerance").isEqualTo(PUSHED);
  }

  @Test
  void theGcsReadFallsBackToThePullTimeBeforeIt() {
    Instant build = Instant.parse("2026-06-01T18:00:00Z");
    assertThat(AgeClock.lastUsed(PUSHED, READ, new OwnRead(READ, READ, build))).isEqualTo(build);
  }

  @Test
  void anyOtherPullIsAUse() {
    Instant later = READ.plus(Duration.ofHours(7));
    assertThat(AgeClock.lastUsed(PUSHED, later, OWN)).isEqualTo(later);
    Instant earlier = READ.minus(Duration.ofHours(1));
    assertThat(AgeClock.lastUsed(PUSHED, earlier, OWN)).isEqualTo(earlier);
  }

  @Test
  void withoutMemoryOfAReadAPullTimeIsAUseWhichKeepsCaches() {
    assertThat(AgeClock.lastUsed(PUSHED, READ, null)).isEqualTo(READ);
  }

  @Test
  void neverPulledIsThePush() {
    assertThat(AgeClock.lastUsed(PUSHED, null, OWN)).isEqualTo(PUSHED);
    assertThat(AgeClock.lastUsed(PUSHED, PUSHED.minusSeconds(5), null)).as("a pull before the push (a re-push)").isEqualTo(PUSHED);
  }
}
