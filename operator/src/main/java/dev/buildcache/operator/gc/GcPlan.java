package dev.buildcache.operator.gc;

import java.util.List;

/**
 * The planner's output. Byte figures are de-duplicated: each blob counts once per repository.
 *
 * @param bytesBefore unique bytes referenced by cache manifests before the plan
 * @param bytesAfter unique bytes referenced by the cache manifests that remain
 * @param reclaimedBytes bytes no remaining manifest (cache or not) references: what the registry can free
 * @param blockers what the scan could not resolve; non-empty means nothing is deleted in this run
 * @param maxTotalSize the budget the plan worked to, or null
 */
public record GcPlan(
    List<GcDecision> deletions,
    List<GcDecision> skipped,
    int scannedImages,
    int cacheImages,
    long bytesBefore,
    long bytesAfter,
    long reclaimedBytes,
    List<String> blockers,
    Long maxTotalSize) {

  public GcPlan {
    deletions = List.copyOf(deletions);
    skipped = List.copyOf(skipped);
    blockers = List.copyOf(blockers);
  }

  /** Whether the cache that remains fits the budget; null without one. */
  public Boolean budgetMet() {
    return maxTotalSize == null ? null : bytesAfter <= maxTotalSize;
  }
}
