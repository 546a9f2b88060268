package dev.buildcache.operator.registry.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pause a registry asks for holds every request through the pacer, for as long as it asked, within a cap. */
class RegistryPacerTest {
  static final Instant T = Instant.parse("1994-11-06T08:49:30Z");

  final MutableClock clock = new MutableClock(T);
  final List<Duration> slept = new ArrayList<>();
  final RegistryPacer pacer = new RegistryPacer(clock, d -> {
    slept.add(d);
    clock.advance(d);
  });

  @Test
  void withoutAPauseARequestGoesAtOnce() throws InterruptedException {
    pacer.awaitTurn();
    assertThat(slept).isEmpty();
  }

  @Test
  void aPauseHoldsTheNextRequestForWhatIsLeftOfItAndThenNoLonger() throws InterruptedException {
    pacer.pause(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(2));
    pacer.awaitTurn();
    pacer.awaitTurn();
    assertThat(slept).containsExactly(Duration.ofSeconds(3));
  }

  @Test
  void aShorterPauseDoesNotCutALongerOneShort() throws InterruptedException {
    pacer.pause(Duration.ofSeconds(10));
    pacer.pause(Duration.ofSeconds(1));
    pacer.awaitTurn();
    assertThat(slept).containsExactly(Duration.ofSeconds(10));
  }

  @Test
  void aPauseIsCappedAndSoIsAWaitAfterTheClockWentBack() throws InterruptedException {
    pacer.pause(Duration.ofHours(1));
    pacer.awaitTurn();
    assertThat(slept).containsExactly(RegistryPacer.MAX_RETRY_AFTER);
    pacer.pause(Duration.ofSeconds(20));
    clock.advance(Duration.ofHours(-2));
    pacer.awaitTurn();
    assertThat(slept).containsExactly(RegistryPacer.MAX_RETRY_AFTER, RegistryPacer.MAX_RETRY_AFTER);
  }

  @Test
  void retryAfterIsReadInSecondsAndInEachHttpDateForm() {
    // RFC 9110 section 5.6.7's own examples of the three forms, all 7 s after T
    assertThat(pacer.retryAfter("3")).contains(Duration.ofSeconds(3));
    assertThat(pacer.retryAfter(" 120 ")).contains(Duration.ofSeconds(120));
    assertThat(pacer.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT")).contains(Duration.ofSeconds(7));
    assertThat(pacer.retryAfter("Sunday, 06-Nov-94 08:49:37 GMT")).contains(Duration.ofSeconds(7));
    assertThat(pacer.retryAfter("Sun Nov  6 08:49:37 1994")).contains(Duration.ofSeconds(7));
    // java.time's RFC_1123_DATE_TIME writes a one-digit day unpadded; such a sender is understood too
    assertThat(pacer.retryAfter("Sun, 6 Nov 1994 08:49:37 GMT")).contains(Duration.ofSeconds(7));
  }

  @Test
  void aRetryAfterThatIsPastOrNotAValueAsksForNothing() {
    assertThat(pacer.retryAfter("Sun, 06 Nov 1994 08:49:00 GMT")).isEmpty();
    assertThat(pacer.retryAfter("Sun, 06 Nov 1994 08:49:30 GMT")).isEmpty();
    assertThat(pacer.retryAfter("-1")).isEmpty();
    assertThat(pacer.retryAfter("1.5")).isEmpty();
    assertThat(pacer.retryAfter("soon")).isEmpty();
    assertThat(pacer.retryAfter("")).isEmpty();
    assertThat(pacer.retryAfter("9".repeat(40))).isEmpty();
  }
}
