package dev.buildcache.operator.registry.oci;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * When a registry may be asked again. A {@code 429}, or any answer that carries {@code Retry-After}, pauses every
 * request sent through this pacer, not only the one that got it: with several requests in flight, the others would
 * otherwise go on at full rate into a registry that has just asked us to slow down (RFC 6585 section 4: "the user
 * has sent too many requests in a given amount of time"; RFC 9110 section 10.2.3: how long "the user agent ought to
 * wait before making a follow-up request"). One pacer per registry host: the operator shares it between the runs of
 * every profile on that host, {@code buildcache gc} has one for its run.
 *
 * <p>Time comes from an injected {@link Clock} and waiting from an injected {@link Sleeper}, so tests move through
 * the pauses without sleeping.
 */
public final class RegistryPacer {
  /** The longest a registry's {@code Retry-After} is honoured; a longer one is waited this long. */
  public static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);

  /** Waits. */
  @FunctionalInterface
  public interface Sleeper {
    /** {@link Thread#sleep}. */
    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis());

    void sleep(Duration duration) throws InterruptedException;
  }

  /** IMF-fixdate (a one-digit day is read too: java.time's RFC_1123_DATE_TIME writes one) and asctime. */
  private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss 'GMT'", Locale.US);
  private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private final Clock clock;
  private final Sleeper sleeper;
  private Instant resumeAt = Instant.EPOCH; // guarded by this

  public RegistryPacer(Clock clock, Sleeper sleeper) {
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** The machine's clock and {@link Thread#sleep}. */
  public static RegistryPacer system() {
    return new RegistryPacer(Clock.systemUTC(), Sleeper.SYSTEM);
  }

  /** No request goes out through this pacer for {@code duration} from now (a longer pause already set stands). */
  public synchronized void pause(Duration duration) {
    Instant until = clock.instant().plus(capped(duration));
    if (until.isAfter(resumeAt)) {
      resumeAt = until;
    }
  }

  /**
   * Returns when a request may go out: at once, or after the pause that is set. Waits once, at most
   * {@link #MAX_RETRY_AFTER}, so a clock that jumps back cannot hold a request for longer.
   */
  public void awaitTurn() throws InterruptedException {
    Duration wait;
    synchronized (this) {
      wait = Duration.between(clock.instant(), resumeAt);
    }
    if (!wait.isNegative() && !wait.isZero()) {
      sleep(capped(wait));
    }
  }

  private static Duration capped(Duration duration) {
    return duration.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : duration;
  }

  /** Waits {@code duration}: a backoff that concerns one request only. */
  public void sleep(Duration duration) throws InterruptedException {
    sleeper.sleep(duration);
  }

  /**
   * How long the registry asks us to wait, from a {@code Retry-After} value: delay-seconds or an HTTP-date in any of
   * the three forms a recipient must accept (RFC 9110 section 5.6.7: IMF-fixdate, the obsolete RFC 850 form and
   * asctime). Empty when the value is none of these or names a time already past.
   */
  public Optional<Duration> retryAfter(String value) {
    String text = value.trim();
    if (text.matches("\\d{1,9}")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
    }
    for (DateTimeFormatter form : httpDateForms()) {
      try {
        Duration wait = Duration.between(clock.instant(), LocalDateTime.parse(text, form).toInstant(ZoneOffset.UTC));
        return wait.isNegative() || wait.isZero() ? Optional.empty() : Optional.of(wait);
      } catch (DateTimeException e) {
        // not this form
      }
    }
    return Optional.empty();
  }

  /**
   * The three HTTP-date forms. The RFC 850 form's two-digit year is read as the one that is not more than 50 years in
   * the future (RFC 9110 section 5.6.7), so that one depends on today.
   */
  private List<DateTimeFormatter> httpDateForms() {
    int year = clock.instant().atZone(ZoneOffset.UTC).getYear();
    return List.of(IMF_FIXDATE, new DateTimeFormatterBuilder().appendPattern("EEEE, dd-MMM-")
        .appendValueReduced(ChronoField.YEAR, 2, 2, year - 49).appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US), ASCTIME);
  }
}
