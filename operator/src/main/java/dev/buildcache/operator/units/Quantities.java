package dev.buildcache.operator.units;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes: Kubernetes quantities ({@code 4608Ki}, {@code 512Mi}, {@code 200Gi}, {@code 500M}) and the
 * {@code 10GB}/{@code 10GiB} style people type on command lines. Decimal suffixes are powers of 1000, binary ones
 * of 1024, exactly as Kubernetes defines them.
 */
public final class Quantities {
  private static final Pattern SIZE = Pattern.compile("^([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)$");
  private static final Map<String, Long> MULTIPLIERS = Map.ofEntries(
      Map.entry("", 1L), Map.entry("B", 1L),
      Map.entry("k", 1000L), Map.entry("K", 1000L), Map.entry("KB", 1000L), Map.entry("kB", 1000L),
      Map.entry("M", 1000L * 1000), Map.entry("MB", 1000L * 1000),
      Map.entry("G", 1000L * 1000 * 1000), Map.entry("GB", 1000L * 1000 * 1000),
      Map.entry("T", 1000L * 1000 * 1000 * 1000), Map.entry("TB", 1000L * 1000 * 1000 * 1000),
      Map.entry("P", 1000L * 1000 * 1000 * 1000 * 1000), Map.entry("PB", 1000L * 1000 * 1000 * 1000 * 1000),
      Map.entry("Ki", 1L << 10), Map.entry("KiB", 1L << 10),
      Map.entry("Mi", 1L << 20), Map.entry("MiB", 1L << 20),
      Map.entry("Gi", 1L << 30), Map.entry("GiB", 1L << 30),
      Map.entry("Ti", 1L << 40), Map.entry("TiB", 1L << 40),
      Map.entry("Pi", 1L << 50), Map.entry("PiB", 1L << 50));

  private Quantities() {}

  public static long parseBytes(String text) {
    if (text == null) {
      throw new IllegalArgumentException("empty size; use a value like 512Mi, 200Gi or 10GB");
    }
    Matcher m = SIZE.matcher(text.trim());
    Long multiplier = m.matches() ? MULTIPLIERS.get(m.group(2)) : null;
    if (multiplier == null) {
      throw new IllegalArgumentException("'" + text + "' is not a size; use a value like 512Mi, 200Gi or 10GB");
    }
    try {
      return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(multiplier))
          .setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too large; sizes go up to 8Ei (" + Long.MAX_VALUE + " bytes)");
    }
  }

  /** Human rendering with binary units, for reports: {@code 1.5 GiB}. */
  public static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
