package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource({
      "0 3 * * *,      2026-11-28T02:59:59Z, 2026-11-28T03:00:00Z",
      "0 3 * * *,      2026-11-28T03:00:00Z, 2026-11-29T03:00:00Z",
      "0 3 * * *,      2026-12-31T04:00:00Z, 2027-01-01T03:00:00Z",
      "30 2 31 * *,    2026-11-01T00:00:00Z, 2026-12-31T02:30:00Z",
      "0 0 29 2 *,     2026-03-01T00:00:00Z, 2028-02-29T00:00:00Z",
      "0 0 1 * *,      2027-01-31T23:59:00Z, 2027-02-01T00:00:00Z",
      "*/15 * * * *,   2026-11-28T10:14:00Z, 2026-11-28T10:15:00Z",
      "*/15 * * * *,   2026-11-28T23:59:00Z, 2026-11-29T00:00:00Z",
      "0 9 * * 1-5,    2026-11-27T10:00:00Z, 2026-11-30T09:00:00Z",
      "0 9 * * 7,      2026-11-28T10:00:00Z, 2026-11-29T09:00:00Z",
      "0 12 1 * 1,     2026-11-25T00:00:00Z, 2026-11-30T12:00:00Z",
      "0 3 * * *,      2026-03-29T00:30:00Z, 2026-03-29T03:00:00Z",
      "0 3 * * *,      2026-10-25T02:30:00Z, 2026-10-25T03:00:00Z"})
  void nextRunAcrossMonthEndsLeapDaysAndEuropeanDstDatesInUtc(String cron, String after, String expected) {
    assertThat(CronSchedule.parse(cron).next(Instant.parse(after))).isEqualTo(Instant.parse(expected));
  }

  @Test
  void invalidSchedulesSayWhy() {
    assertThatThrownBy(() -> CronSchedule.parse("0 3 * *")).hasMessageContaining("five-field");
    assertThatThrownBy(() -> CronSchedule.parse("0 24 * * *")).hasMessageContaining("hour 24 is outside 0-23");
    assertThatThrownBy(() -> CronSchedule.parse("0 3 x * *")).hasMessageContaining("'x' is not a day of month");
    assertThatThrownBy(() -> CronSchedule.parse("0 3 5-1 * *")).hasMessageContaining("runs backwards");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 30 2 *").next(Instant.parse("2026-01-01T00:00:00Z"))).hasMessageContaining("never fires");
  }
}
