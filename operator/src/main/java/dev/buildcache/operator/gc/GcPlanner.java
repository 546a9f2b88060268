package dev.buildcache.operator.gc;

import dev.buildcache.operator.units.Durations;
import dev.buildcache.operator.units.Quantities;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which cache images to delete. Pure and deterministic: the same repository, policy and {@code now} give
 * the same plan, whatever the order of the input.
 *
 * <p>Safety first: only BuildKit cache manifests all of whose tags match the tag patterns are candidates; an image
 * the scan holds (unreadable, first seen, an unreadable child), an image an index references, a protected tag,
 * anything younger than {@code minAge} or of unknown age, and the newest {@code keepLatest} tagged caches stay; and
 * when the scan could not resolve something that might protect any image, nothing at all is deleted. Then bytes: candidates go by {@code maxAge}, then untagged orphans past
 * {@code untaggedAfter}, then least recently used first until the unique bytes referenced by cache manifests fit
 * {@code maxTotalSize}. Blobs are reference-counted over every manifest, so a layer a release image shares is
 * never counted as reclaimed.
 */
public final class GcPlanner {

  private GcPlanner() {}

  /** Oldest use first; digest breaks ties so the order never depends on the input's. */
  private static final Comparator<RepositoryImage> LEAST_RECENTLY_USED =
      Comparator.comparing(RepositoryImage::lastUsed).thenComparing(RepositoryImage::digest);

  public static GcPlan plan(List<RepositoryImage> repository, RetentionPolicy policy, Instant now) {
    return plan(RepositoryScan.of(repository), policy, now);
  }

  public static GcPlan plan(RepositoryScan scan, RetentionPolicy policy, Instant now) {
    // No sort of the whole repository: every ordering below ends in a digest comparison, so the plan does not
    // depend on the input order.
    RepositoryImage[] images = scan.images().toArray(RepositoryImage[]::new);
    Accounting accounting = new Accounting(images);

    Set<String> referencedByIndex = new HashSet<>();
    for (RepositoryImage image : images) {
      referencedByIndex.addAll(image.children());
    }

    List<GcDecision> skipped = new ArrayList<>();
    int[] evictable = new int[images.length];
    int evictableCount = 0;
    int cacheImages = 0;
    for (int i = 0; i < images.length; i++) {
      RepositoryImage image = images[i];
      if (image.hold() != null) {
        cacheImages += image.cache() ? 1 : 0;
        skipped.add(keep(image, image.hold().reason(), image.hold().detail()));
        continue;
      }
      if (!image.cache()) {
        if (image.tags().stream().anyMatch(t -> policy.tagPatterns().stream().anyMatch(p -> p.matches(t)))) {
          skipped.add(keep(image, GcReason.NOT_CACHE, "not a BuildKit cache manifest, although a tag matches the cache patterns"));
        }
        continue;
      }
      cacheImages++;
      GcDecision kept = safetyCheck(image, policy, now, referencedByIndex);
      if (kept != null) {
        skipped.add(kept);
      } else {
        evictable[evictableCount++] = i;
      }
    }
    int[] order = leastRecentlyUsedFirst(images, Arrays.copyOf(evictable, evictableCount));

    boolean[] keepLatest = new boolean[images.length];
    for (int k = order.length - 1, kept = 0; k >= 0 && kept < policy.keepLatest(); k--) {
      if (images[order[k]].tagged()) {
        keepLatest[order[k]] = true;
        kept++;
      }
    }

    List<GcDecision> deletions = new ArrayList<>();
    int[] remaining = new int[order.length];
    int remainingCount = 0;
    for (int i : order) {
      RepositoryImage image = images[i];
      if (keepLatest[i]) {
        skipped.add(keep(image, GcReason.KEEP_LATEST, "one of the newest " + policy.keepLatest() + " cache images"));
      } else if (policy.maxAge() != null && image.lastUsed().isBefore(now.minus(policy.maxAge()))) {
        deletions.add(delete(image, GcReason.MAX_AGE, "unused for " + Durations.format(Duration.between(image.lastUsed(), now))
            + ", longer than max-age " + Durations.format(policy.maxAge()), accounting.remove(i)));
      } else {
        remaining[remainingCount++] = i;
      }
    }
    int[] afterOrphans = new int[remainingCount];
    int afterOrphansCount = 0;
    for (int r = 0; r < remainingCount; r++) {
      int i = remaining[r];
      RepositoryImage image = images[i];
      if (policy.untaggedAfter() != null && !image.tagged() && image.pushedAt().isBefore(now.minus(policy.untaggedAfter()))) {
        deletions.add(delete(image, GcReason.UNTAGGED_ORPHAN, "untagged for up to " + Durations.format(Duration.between(image.pushedAt(), now))
            + ", longer than untagged-after " + Durations.format(policy.untaggedAfter()), accounting.remove(i)));
      } else {
        afterOrphans[afterOrphansCount++] = i;
      }
    }
    for (int r = 0; r < afterOrphansCount; r++) {
      int i = afterOrphans[r];
      RepositoryImage image = images[i];
      if (policy.maxTotalSize() != null && accounting.cacheBytes > policy.maxTotalSize()) {
        long before = accounting.cacheBytes;
        deletions.add(delete(image, GcReason.OVER_BUDGET, "least recently used while cache held " + Quantities.humanBytes(before)
            + ", over max-size " + Quantities.humanBytes(policy.maxTotalSize()), accounting.remove(i)));
      } else {
        skipped.add(keep(image, GcReason.WITHIN_POLICY, "within max-age and max-size"));
      }
    }
    if (!scan.blockers().isEmpty()) {
      // Fail closed: what could not be resolved might protect any of these.
      String why = scan.blockers().get(0) + (scan.blockers().size() > 1 ? " (and " + (scan.blockers().size() - 1) + " more)" : "");
      deletions.forEach(d -> skipped.add(new GcDecision(d.digest(), d.tags(), GcReason.UNRESOLVED,
          "would go (" + d.reason().code() + ": " + d.detail() + "), but " + why, 0)));
      skipped.sort(Comparator.comparing(GcDecision::digest));
      return new GcPlan(List.of(), skipped, images.length, cacheImages, accounting.cacheBytesBefore, accounting.cacheBytesBefore,
          0, scan.blockers(), policy.maxTotalSize());
    }
    skipped.sort(Comparator.comparing(GcDecision::digest));
    return new GcPlan(deletions, skipped, images.length, cacheImages, accounting.cacheBytesBefore, accounting.cacheBytes,
        accounting.reclaimed, scan.blockers(), policy.maxTotalSize());
  }

  /**
   * Indexes ordered by last use, oldest first, ties by digest. Sorted as primitives: each long packs the second of
   * last use above the index, so no boxing and no comparator calls; equal seconds are then ordered by
   * {@link #LEAST_RECENTLY_USED} (nanoseconds, then digest).
   */
  static int[] leastRecentlyUsedFirst(RepositoryImage[] images, int[] indexes) {
    if (images.length > INDEX_MASK) {
      throw new IllegalArgumentException("a repository of more than " + INDEX_MASK + " images is beyond the planner");
    }
    long[] packed = new long[indexes.length];
    for (int k = 0; k < indexes.length; k++) {
      // Before 1970 sorts as 1970; the tie-break below still orders such images exactly.
      long second = Math.max(0, images[indexes[k]].lastUsed().getEpochSecond());
      packed[k] = (second << INDEX_BITS) | indexes[k];
    }
    Arrays.sort(packed);
    int[] order = new int[indexes.length];
    for (int k = 0; k < packed.length; k++) {
      order[k] = (int) (packed[k] & INDEX_MASK);
    }
    for (int start = 0; start < order.length; ) {
      int end = start + 1;
      long second = packed[start] >>> INDEX_BITS;
      while (end < order.length && (packed[end] >>> INDEX_BITS) == second) {
        end++;
      }
      if (end - start > 1) {
        Integer[] run = new Integer[end - start];
        for (int k = start; k < end; k++) {
          run[k - start] = order[k];
        }
        Arrays.sort(run, Comparator.comparing((Integer i) -> images[i], LEAST_RECENTLY_USED));
        for (int k = start; k < end; k++) {
          order[k] = run[k - start];
        }
      }
      start = end;
    }
    return order;
  }

  private static final int INDEX_BITS = 26;
  private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

  /**
   * The plan as carried out: only {@code deleted} of its deletions happened (in plan order); bytes are recounted so
   * the report never claims what a skipped or failed deletion would have freed, nor what someone else deleted
   * ({@code vanished}: gone from the cache, not reclaimed by this run). {@code notDone} joins the skips.
   */
  public static GcPlan settle(List<RepositoryImage> repository, GcPlan plan, Set<String> deleted, Set<String> vanished,
      List<GcDecision> notDone) {
    RepositoryImage[] images = repository.toArray(RepositoryImage[]::new);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < images.length; i++) {
      index.put(images[i].digest(), i);
    }
    Accounting accounting = new Accounting(images);
    // What vanished was gone before this run's deletes: out of the accounting first, so a blob this run's delete
    // removed the last reference to is this run's.
    plan.deletions().stream().filter(d -> vanished.contains(d.digest())).forEach(d -> accounting.drop(index.get(d.digest())));
    List<GcDecision> deletions = new ArrayList<>();
    for (GcDecision d : plan.deletions()) {
      if (deleted.contains(d.digest())) {
        deletions.add(new GcDecision(d.digest(), d.tags(), d.reason(), d.detail(), accounting.remove(index.get(d.digest()))));
      }
    }
    List<GcDecision> skipped = new ArrayList<>(plan.skipped());
    skipped.addAll(notDone);
    skipped.sort(Comparator.comparing(GcDecision::digest));
    return new GcPlan(deletions, skipped, plan.scannedImages(), plan.cacheImages(), accounting.cacheBytesBefore,
        accounting.cacheBytes, accounting.reclaimed, plan.blockers(), plan.maxTotalSize());
  }

  private static GcDecision safetyCheck(RepositoryImage image, RetentionPolicy policy, Instant now, Set<String> referencedByIndex) {
    if (!policy.allTagsAreCacheTags(image.tags())) {
      List<String> foreign = image.tags().stream()
          .filter(t -> policy.tagPatterns().stream().noneMatch(p -> p.matches(t))).toList();
      return keep(image, GcReason.TAG_NOT_CACHE, "also tagged " + foreign + ", which no cache tag pattern matches");
    }
    if (referencedByIndex.contains(image.digest())) {
      return keep(image, GcReason.REFERENCED_BY_INDEX, "referenced by an image index");
    }
    GlobPattern protectedBy = policy.protectedBy(image.tags());
    if (protectedBy != null) {
      return keep(image, GcReason.PROTECTED, "tag protected by '" + protectedBy + "'");
    }
    if (image.pushedAt() == null || image.lastUsed() == null) {
      return keep(image, GcReason.AGE_UNKNOWN, "the registry does not say when it was pushed");
    }
    if (image.pushedAt().isAfter(now.minus(policy.minAge()))) {
      return keep(image, GcReason.TOO_YOUNG, "pushed " + Durations.format(Duration.between(image.pushedAt(), now))
          + " ago, younger than min-age " + Durations.format(policy.minAge()));
    }
    return null;
  }

  private static GcDecision keep(RepositoryImage image, GcReason reason, String detail) {
    return new GcDecision(image.digest(), image.tags(), reason, detail, 0);
  }

  private static GcDecision delete(RepositoryImage image, GcReason reason, String detail, long freed) {
    return new GcDecision(image.digest(), image.tags(), reason, detail, freed);
  }

  /**
   * Reference counts of every blob over all manifests and over cache manifests. Each manifest's own bytes belong
   * to it alone and are counted with it.
   */
  private static final class Accounting {
    final int[][] refs;
    final long[] size;
    final long[] manifestSize;
    final int[] allRefs;
    final int[] cacheRefs;
    final boolean[] cache;
    final long cacheBytesBefore;
    long cacheBytes;
    long reclaimed;

    Accounting(RepositoryImage[] images) {
      long references = 0;
      for (RepositoryImage image : images) {
        references += image.blobs().size();
      }
      // BuildKit caches share base layers: start at three quarters of the references, grow if fewer are shared.
      DigestIndex index = new DigestIndex((int) Math.min(Integer.MAX_VALUE / 8, Math.max(16, references * 3 / 4)));
      refs = new int[images.length][];
      cache = new boolean[images.length];
      manifestSize = new long[images.length];
      for (int i = 0; i < images.length; i++) {
        RepositoryImage image = images[i];
        cache[i] = image.cache();
        manifestSize[i] = image.manifestSize();
        int[] r = new int[image.blobs().size()];
        for (int b = 0; b < r.length; b++) {
          r[b] = index.intern(image.blobs().get(b));
        }
        refs[i] = distinct(r);
      }
      size = index.sizes();
      allRefs = new int[size.length];
      cacheRefs = new int[size.length];
      long total = 0;
      for (int i = 0; i < refs.length; i++) {
        if (cache[i]) {
          total += manifestSize[i];
        }
        for (int b : refs[i]) {
          allRefs[b]++;
          if (cache[i] && cacheRefs[b]++ == 0) {
            total += size[b];
          }
        }
      }
      cacheBytesBefore = total;
      cacheBytes = total;
    }

    /** Sorts in place and drops repeats; copies only when a manifest names a blob twice. */
    private static int[] distinct(int[] ids) {
      Arrays.sort(ids);
      int n = 0;
      for (int i = 0; i < ids.length; i++) {
        if (i == 0 || ids[i] != ids[i - 1]) {
          ids[n++] = ids[i];
        }
      }
      return n == ids.length ? ids : Arrays.copyOf(ids, n);
    }

    /** Takes out image {@code i}, which someone else deleted: its bytes leave the cache but are not this run's. */
    void drop(int i) {
      long claimed = reclaimed;
      remove(i);
      reclaimed = claimed;
    }

    /** Removes image {@code i}; returns the bytes that no remaining manifest references any more. */
    long remove(int i) {
      long freed = manifestSize[i];
      if (cache[i]) {
        cacheBytes -= manifestSize[i];
      }
      for (int b : refs[i]) {
        if (--allRefs[b] == 0) {
          freed += size[b];
        }
        if (cache[i] && --cacheRefs[b] == 0) {
          cacheBytes -= size[b];
        }
      }
      reclaimed += freed;
      return freed;
    }
  }
}
