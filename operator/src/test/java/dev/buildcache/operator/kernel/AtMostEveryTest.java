package dev.buildcache.operator.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AtMostEveryTest {
  @Test
  void dueOnTheFirstPassThenOncePerInterval() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    AtMostEvery chore = new AtMostEvery(Duration.ofMinutes(1), clock);
    assertThat(chore.due()).isTrue();
    assertThat(chore.due()).as("the same instant").isFalse();
    clock.advance(Duration.ofSeconds(59));
    assertThat(chore.due()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(chore.due()).isTrue();
    assertThat(chore.due()).isFalse();
  }
}
