package dev.buildcache.operator.units;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations the way users write them: Go-style {@code 1h30m}, {@code 90m}, {@code 36h}, plus {@code d} for
 * days ({@code 14d}) where the caller allows it. CRD fields allow only what CEL's {@code duration()} accepts, so the
 * API server can compare them; the CLI also accepts days.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d)");

  private Durations() {}

  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty duration; use a value like 90m, 36h or 14d");
    }
    Matcher m = PART.matcher(text.trim());
    int end = 0;
    double millis = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      double value = Double.parseDouble(m.group(1));
      millis += value * switch (m.group(2)) {
        case "ms" -> 1d;
        case "s" -> 1_000d;
        case "m" -> 60_000d;
        case "h" -> 3_600_000d;
        default -> 86_400_000d;
      };
      end = m.end();
    }
    if (end == 0 || end != text.trim().length()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration; use a value like 90m, 36h or 14d");
    }
    return Duration.ofMillis(Math.round(millis));
  }

  /** Shortest Go-style rendering: {@code 2160h}, {@code 1h30m}, {@code 45s}. */
  public static String format(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long hours = seconds / 3600;
    long minutes = (seconds % 3600) / 60;
    long secs = seconds % 60;
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (minutes > 0) {
      out.append(minutes).append('m');
    }
    if (secs > 0) {
      out.append(secs).append('s');
    }
    return out.toString();
  }
}
