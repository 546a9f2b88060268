package dev.buildcache.operator.kernel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Housekeeping without a thread of its own: a reconciler asks on each pass whether its chore is due, and exactly one
 * of the passes running concurrently gets yes once per interval (the first pass always does).
 */
public final class AtMostEvery {
  private final Clock clock;
  private final Duration interval;
  private final AtomicReference<Instant> last = new AtomicReference<>(Instant.EPOCH);

  public AtMostEvery(Duration interval, Clock clock) {
    this.clock = clock;
    this.interval = interval;
  }

  /** Whether the chore is due now; if so, it counts as done from now on. */
  public boolean due() {
    Instant now = clock.instant();
    Instant before = last.get();
    return Duration.between(before, now).compareTo(interval) >= 0 && last.compareAndSet(before, now);
  }
}
