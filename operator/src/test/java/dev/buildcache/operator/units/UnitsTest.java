package dev.buildcache.operator.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UnitsTest {

  @ParameterizedTest
  @CsvSource({"90m,5400", "36h,129600", "14d,1209600", "1h30m,5400", "45s,45", "1.5h,5400", "2160h,7776000"})
  void parsesDurations(String text, long seconds) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofSeconds(seconds));
  }

  @Test
  void rejectsBadDurations() {
    for (String bad : new String[] {"", "10", "h", "10x", "1h 30m", "-1h", "10hm"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("90m, 36h or 14d");
    }
  }

  @Test
  void formatsDurations() {
    assertThat(Durations.format(Duration.ofHours(2160))).isEqualTo("2160h");
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
  }

  @ParameterizedTest
  @CsvSource({"4608Ki,4718592", "512Mi,536870912", "200Gi,214748364800", "10GB,10000000000", "500M,500000000",
      "1Ti,1099511627776", "1024,1024", "1.5Gi,1610612736", "10GiB,10737418240", "0.5k,500"})
  void parsesSizes(String text, long bytes) {
    assertThat(Quantities.parseBytes(text)).isEqualTo(bytes);
  }

  @Test
  void rejectsBadSizes() {
    for (String bad : new String[] {"", "Gi", "10Gx", "-5Gi", "ten"}) {
      assertThatThrownBy(() -> Quantities.parseBytes(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void humanBytes() {
    assertThat(Quantities.humanBytes(512)).isEqualTo("512 B");
    assertThat(Quantities.humanBytes(1536L * 1024 * 1024)).isEqualTo("1.5 GiB");
  }
}
