package dev.buildcache.operator.profile;

import dev.buildcache.operator.gc.CronSchedule;
import java.time.Instant;

/**
 * Whether a profile's GC should start now, and when the next scheduled run is. Pure: the clock's reading comes in.
 *
 * <p>A scheduled run is due at the first cron time after the last run started (or, before any run, after the
 * profile was created). So an operator that was down at 03:00 runs once when it comes back, not once per missed
 * day, and a run that was lost with its leader is run again by the next one. A request is the value of the
 * {@code buildcache.dev/gc-now} annotation: any value other than the last one acted on asks for a run, in the
 * manner of Flux's {@code reconcile.fluxcd.io/requestedAt}. Requests are honoured while suspended: suspend stops
 * the schedule, not a person who asks.
 */
public final class GcSchedulePlanner {
  public static final String GC_NOW_ANNOTATION = "buildcache.dev/gc-now";

  private GcSchedulePlanner() {}

  public enum Trigger {
    SCHEDULE("Schedule"), REQUEST("Request");

    private final String value;

    Trigger(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  /**
   * @param lastRunStart when the last run started, null before the first
   * @param requested the gc-now annotation's value, null when absent
   * @param lastHandledRequest the request value the last requested run carried
   */
  public record Input(String schedule, boolean suspend, Instant created, Instant lastRunStart, String requested,
      String lastHandledRequest) {}

  /**
   * @param trigger what to start now, null for nothing
   * @param nextRun the next scheduled run, null when suspended
   */
  public record Decision(Trigger trigger, Instant nextRun) {}

  public static Decision decide(Input in, Instant now) {
    CronSchedule cron = CronSchedule.parse(in.schedule());
    Instant base = in.lastRunStart() != null && in.lastRunStart().isAfter(in.created()) ? in.lastRunStart() : in.created();
    Instant due = cron.next(base);
    boolean scheduledNow = !in.suspend() && !due.isAfter(now);
    boolean requested = in.requested() != null && !in.requested().isBlank() && !in.requested().equals(in.lastHandledRequest());
    Trigger trigger = requested ? Trigger.REQUEST : scheduledNow ? Trigger.SCHEDULE : null;
    Instant next = in.suspend() ? null : trigger != null || !due.isAfter(now) ? cron.next(now) : due;
    return new Decision(trigger, next);
  }
}
