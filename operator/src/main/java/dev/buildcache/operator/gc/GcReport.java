package dev.buildcache.operator.gc;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.buildcache.operator.units.Quantities;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** What a GC run did, as a table for people and JSON for machines. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GcReport(
    String repository,
    String registryType,
    boolean dryRun,
    int scannedImages,
    int cacheImages,
    long bytesBefore,
    long bytesAfter,
    long reclaimedBytes,
    Long maxTotalSize,
    List<Deleted> deleted,
    List<Skipped> skipped,
    List<Failed> failed,
    Map<String, Integer> apiCalls,
    long durationMs,
    List<String> notes) {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public record Deleted(String digest, List<String> tags, long uniqueBytes, String reason, String detail) {}

  public record Skipped(String digest, List<String> tags, String reason, String detail) {}

  public record Failed(String digest, List<String> tags, String code, String reason) {}

  public static GcReport of(String repository, String registryType, boolean dryRun, GcPlan plan, Long maxTotalSize,
      List<Failed> failed, Map<String, Integer> apiCalls, long durationMs, List<String> notes) {
    return new GcReport(repository, registryType, dryRun, plan.scannedImages(), plan.cacheImages(), plan.bytesBefore(),
        plan.bytesAfter(), plan.reclaimedBytes(), maxTotalSize,
        plan.deletions().stream().map(d -> new Deleted(d.digest(), d.tags(), d.uniqueBytes(), d.reason().code(), d.detail())).toList(),
        plan.skipped().stream().map(d -> new Skipped(d.digest(), d.tags(), d.reason().code(), d.detail())).toList(),
        List.copyOf(failed), new TreeMap<>(apiCalls), durationMs, List.copyOf(notes));
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One line for an Event or a status message. */
  public String summary() {
    String budget = maxTotalSize == null ? "" : " of " + Quantities.humanBytes(maxTotalSize) + " budget";
    String verb = dryRun ? "dry run: would delete " : "deleted ";
    String failures = failed.isEmpty() ? "" : "; " + failed.size() + " deletions failed";
    return String.format(Locale.ROOT, "%s%d of %d cache images, %s %s; cache now %s%s%s", verb, deleted.size(), cacheImages,
        dryRun ? "would reclaim" : "reclaimed", Quantities.humanBytes(reclaimedBytes),
        Quantities.humanBytes(dryRun ? bytesBefore : bytesAfter), budget, failures);
  }

  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "Registry cache GC of %s (%s)%s%n", repository, registryType,
        dryRun ? " -- DRY RUN, nothing deleted" : ""));
    out.append(String.format(Locale.ROOT, "Scanned %d images, %d of them BuildKit cache.%n", scannedImages, cacheImages));
    out.append(String.format(Locale.ROOT, "Cache bytes (unique): %s -> %s%s; %s %s.%n",
        Quantities.humanBytes(bytesBefore), Quantities.humanBytes(bytesAfter),
        maxTotalSize == null ? "" : " (budget " + Quantities.humanBytes(maxTotalSize) + ")",
        dryRun ? "would reclaim" : "reclaimed", Quantities.humanBytes(reclaimedBytes)));
    if (!deleted.isEmpty()) {
      out.append(String.format(Locale.ROOT, "%n%s %d images:%n", dryRun ? "Would delete" : "Deleted", deleted.size()));
      out.append(String.format(Locale.ROOT, "  %-19s  %-28s  %10s  %s%n", "DIGEST", "TAGS", "FREES", "WHY"));
      for (Deleted d : deleted) {
        out.append(String.format(Locale.ROOT, "  %-19s  %-28s  %10s  %s%n", shortDigest(d.digest()), tags(d.tags()),
            Quantities.humanBytes(d.uniqueBytes()), d.detail()));
      }
    }
    if (!failed.isEmpty()) {
      out.append(String.format(Locale.ROOT, "%nFailed to delete %d images:%n", failed.size()));
      for (Failed f : failed) {
        out.append(String.format(Locale.ROOT, "  %-19s  %-28s  %s: %s%n", shortDigest(f.digest()), tags(f.tags()), f.code(), f.reason()));
      }
    }
    if (!skipped.isEmpty()) {
      Map<String, Long> byReason = skipped.stream().collect(Collectors.groupingBy(Skipped::reason, TreeMap::new, Collectors.counting()));
      out.append(String.format(Locale.ROOT, "%nKept %d images: %s%n", skipped.size(),
          byReason.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
    }
    out.append(String.format(Locale.ROOT, "%nAPI calls: %s; took %d ms.%n",
        apiCalls.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")), durationMs));
    notes.forEach(n -> out.append("Note: ").append(n).append(System.lineSeparator()));
    return out.toString();
  }

  private static String shortDigest(String digest) {
    return digest.length() > 19 ? digest.substring(0, 19) : digest;
  }

  private static String tags(List<String> tags) {
    String joined = tags.isEmpty() ? "<untagged>" : String.join(",", tags);
    return joined.length() > 28 ? joined.substring(0, 25) + "..." : joined;
  }
}
