package dev.buildcache.operator.gc;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.units.Quantities;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a GC run did, as a table for people and JSON for machines.
 *
 * @param budgetMet whether the cache left fits {@code maxTotalSize}; null without a budget
 * @param alreadyGone candidates someone else deleted before this run could: done, but not this run's deletions
 * @param blockers what could not be resolved; while there are any, nothing is deleted
 * @param pullTimes ECR: {@code excluded}, {@code refreshed-by-gc} or {@code unknown}; null where the registry records
 *     no pull times
 * @param ageBasis what "age" means here: {@code push-or-pull} (ECR's push and recorded pull times) or
 *     {@code first-seen} (how long the GC has seen each tag at its digest: not re-pushed for)
 * @param manifestsRead manifests read from the registry in this run; the rest were remembered from earlier runs
 * @param state where the GC's memory of the repository lives: a file, {@code memory}, or {@code none}
 */
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
    Boolean budgetMet,
    List<Deleted> deleted,
    List<Gone> alreadyGone,
    List<Skipped> skipped,
    List<Failed> failed,
    List<String> blockers,
    String pullTimes,
    String pullTimesPrincipal,
    String pullTimesReason,
    String pullTimesFix,
    String ageBasis,
    int manifestsRead,
    String state,
    Map<String, Integer> apiCalls,
    long durationMs,
    List<String> warnings,
    List<String> notes) {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public record Deleted(String digest, List<String> tags, long uniqueBytes, String reason, String detail) {}

  public record Gone(String digest, List<String> tags) {}

  public record Skipped(String digest, List<String> tags, String reason, String detail) {}

  public record Failed(String digest, List<String> tags, String code, String reason) {}

  /** What the runner knows besides the plan. */
  public record Run(String repository, String registryType, boolean dryRun, List<Gone> alreadyGone, List<Failed> failed,
      PullTimes pullTimes, String ageBasis, int manifestsRead, String state, Map<String, Integer> apiCalls, long durationMs,
      List<String> notes) {}

  public static GcReport of(GcPlan plan, Run run) {
    List<Skipped> skipped = plan.skipped().stream().map(d -> new Skipped(d.digest(), d.tags(), d.reason().code(), d.detail())).toList();
    List<String> warnings = new ArrayList<>();
    PullTimes p = run.pullTimes();
    boolean recorded = p != null && p.state() != PullTimes.State.NOT_RECORDED;
    if (recorded && p.state() == PullTimes.State.REFRESHED_BY_GC) {
      warnings.add(p.reason() + ". The GC discounts its own reads, but a build pulling a new cache within minutes of the GC's "
          + "first read of it is not seen. Register the exclusion once: " + p.fix());
    } else if (recorded && p.state() == PullTimes.State.UNKNOWN) {
      warnings.add("cannot tell whether ECR records this GC's manifest reads as pulls: " + p.reason());
    }
    if (!plan.blockers().isEmpty()) {
      warnings.add("nothing is deleted in this run: " + plan.blockers().get(0)
          + (plan.blockers().size() > 1 ? " (and " + (plan.blockers().size() - 1) + " more, listed under blockers)" : ""));
    }
    if (Boolean.FALSE.equals(plan.budgetMet())) {
      warnings.add("the budget of " + Quantities.humanBytes(plan.maxTotalSize()) + " is not met: " + Quantities.humanBytes(plan.bytesAfter())
          + " of cache remain, held by caches that may not go (" + heldBy(skipped) + ")");
    }
    return new GcReport(run.repository(), run.registryType(), run.dryRun(), plan.scannedImages(), plan.cacheImages(),
        plan.bytesBefore(), plan.bytesAfter(), plan.reclaimedBytes(), plan.maxTotalSize(), plan.budgetMet(),
        plan.deletions().stream().map(d -> new Deleted(d.digest(), d.tags(), d.uniqueBytes(), d.reason().code(), d.detail())).toList(),
        List.copyOf(run.alreadyGone()), skipped, List.copyOf(run.failed()), plan.blockers(),
        recorded ? p.state().value() : null, recorded ? p.principal() : null, recorded ? p.reason() : null,
        recorded ? p.fix() : null, run.ageBasis(), run.manifestsRead(), run.state(), new TreeMap<>(run.apiCalls()),
        run.durationMs(), warnings, List.copyOf(run.notes()));
  }

  private static String heldBy(List<Skipped> skipped) {
    Map<String, Long> byReason = skipped.stream().filter(s -> !GcReason.NOT_CACHE.code().equals(s.reason()))
        .collect(Collectors.groupingBy(Skipped::reason, TreeMap::new, Collectors.counting()));
    return byReason.isEmpty() ? "none" : byReason.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", "));
  }

  /** Whether everything the run set out to do was done: no failed deletion and nothing held back by a blocker. */
  @JsonIgnore
  public boolean complete() {
    return failed.isEmpty() && blockers.isEmpty();
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
    String budget = maxTotalSize == null ? "" : " of " + Quantities.humanBytes(maxTotalSize) + " budget"
        + (Boolean.FALSE.equals(budgetMet) ? " (not met)" : "");
    String verb = dryRun ? "dry run: would delete " : "deleted ";
    String failures = failed.isEmpty() ? "" : "; " + failed.size() + " deletions failed";
    String blocked = blockers.isEmpty() ? "" : "; nothing deleted: " + blockers.get(0);
    return String.format(Locale.ROOT, "%s%d of %d cache images, %s %s; cache now %s%s%s%s", verb, deleted.size(), cacheImages,
        dryRun ? "would reclaim" : "reclaimed", Quantities.humanBytes(reclaimedBytes),
        Quantities.humanBytes(dryRun ? bytesBefore : bytesAfter), budget, failures, blocked);
  }

  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "Registry cache GC of %s (%s)%s%n", repository, registryType,
        dryRun ? " -- DRY RUN, nothing deleted" : ""));
    warnings.forEach(w -> out.append("WARNING: ").append(w).append(System.lineSeparator()));
    out.append(String.format(Locale.ROOT, "Scanned %d images, %d of them BuildKit cache; read %d manifests, the rest remembered (state: %s).%n",
        scannedImages, cacheImages, manifestsRead, state));
    out.append(String.format(Locale.ROOT, "Cache bytes (unique): %s -> %s%s; %s %s.%n",
        Quantities.humanBytes(bytesBefore), Quantities.humanBytes(bytesAfter),
        maxTotalSize == null ? "" : " (budget " + Quantities.humanBytes(maxTotalSize) + (Boolean.FALSE.equals(budgetMet) ? ", NOT MET" : "") + ")",
        dryRun ? "would reclaim" : "reclaimed", Quantities.humanBytes(reclaimedBytes)));
    if (!deleted.isEmpty()) {
      out.append(String.format(Locale.ROOT, "%n%s %d images:%n", dryRun ? "Would delete" : "Deleted", deleted.size()));
      out.append(String.format(Locale.ROOT, "  %-19s  %-28s  %10s  %s%n", "DIGEST", "TAGS", "FREES", "WHY"));
      for (Deleted d : deleted) {
        out.append(String.format(Locale.ROOT, "  %-19s  %-28s  %10s  %s%n", shortDigest(d.digest()), tags(d.tags()),
            Quantities.humanBytes(d.uniqueBytes()), d.detail()));
      }
    }
    if (!alreadyGone.isEmpty()) {
      out.append(String.format(Locale.ROOT, "%n%d candidates were already gone (deleted by someone else), not counted as reclaimed.%n",
          alreadyGone.size()));
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
