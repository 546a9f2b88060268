package dev.buildcache.operator.gc;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;

/**
 * A five-field cron schedule ({@code minute hour day-of-month month day-of-week}) evaluated in UTC, so there are
 * no daylight-saving gaps or repeats. Fields take {@code *}, numbers, ranges {@code a-b}, steps {@code /n} and
 * lists; day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day matches if
 * either does. Pure: the caller passes the instant to start from (from its injected {@code Clock}).
 */
public final class CronSchedule {
  private final String expression;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean dayOfMonthRestricted;
  private final boolean dayOfWeekRestricted;

  private CronSchedule(String expression, String[] f) {
    this.expression = expression;
    minutes = field(f[0], 0, 59, "minute");
    hours = field(f[1], 0, 23, "hour");
    daysOfMonth = field(f[2], 1, 31, "day of month");
    months = field(f[3], 1, 12, "month");
    BitSet dow = field(f[4], 0, 7, "day of week");
    if (dow.get(7)) {
      dow.set(0);
    }
    daysOfWeek = dow;
    dayOfMonthRestricted = !f[2].equals("*");
    dayOfWeekRestricted = !f[4].equals("*");
  }

  public static CronSchedule parse(String expression) {
    String[] fields = expression == null ? new String[0] : expression.trim().split("\\s+");
    if (fields.length != 5) {
      throw new IllegalArgumentException("'" + expression + "' is not a five-field cron schedule, e.g. 0 3 * * *");
    }
    return new CronSchedule(expression.trim(), fields);
  }

  /** The first scheduled minute strictly after {@code after}. */
  public Instant next(Instant after) {
    LocalDateTime t = LocalDateTime.ofInstant(after, ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    // Bounded: every valid schedule fires within 4 years (Feb 29 at worst needs up to 8).
    LocalDate limit = t.toLocalDate().plusYears(8);
    while (t.toLocalDate().isBefore(limit)) {
      if (!months.get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
        continue;
      }
      if (!dayMatches(t.toLocalDate())) {
        t = t.withHour(0).withMinute(0).plusDays(1);
        continue;
      }
      if (!hours.get(t.getHour())) {
        t = t.withMinute(0).plusHours(1);
        continue;
      }
      if (!minutes.get(t.getMinute())) {
        t = t.plusMinutes(1);
        continue;
      }
      return t.toInstant(ZoneOffset.UTC);
    }
    throw new IllegalArgumentException("'" + expression + "' never fires (e.g. February 30)");
  }

  private boolean dayMatches(LocalDate date) {
    boolean dom = daysOfMonth.get(date.getDayOfMonth());
    boolean dow = daysOfWeek.get(date.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : date.getDayOfWeek().getValue());
    if (dayOfMonthRestricted && dayOfWeekRestricted) {
      return dom || dow;
    }
    return dom && dow;
  }

  private static BitSet field(String text, int min, int max, String name) {
    BitSet bits = new BitSet(max + 1);
    for (String part : text.split(",")) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), 1, max, name);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else if (range.contains("-")) {
        from = number(range.substring(0, range.indexOf('-')), min, max, name);
        to = number(range.substring(range.indexOf('-') + 1), min, max, name);
        if (from > to) {
          throw new IllegalArgumentException(name + " range " + range + " runs backwards");
        }
      } else {
        from = number(range, min, max, name);
        to = slash >= 0 ? max : from;
      }
      for (int v = from; v <= to; v += step) {
        bits.set(v);
      }
    }
    return bits;
  }

  private static int number(String text, int min, int max, String name) {
    try {
      int n = Integer.parseInt(text);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " " + n + " is outside " + min + "-" + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a " + name, e);
    }
  }

  @Override
  public String toString() {
    return expression;
  }
}
