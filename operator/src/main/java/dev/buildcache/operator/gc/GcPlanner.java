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
 * an index references, a protected tag, anything younger than {@code minAge} or of unknown age, and the newest
 * {@code keepLatest} tagged caches stay. Then bytes: candidates go by {@code maxAge}, then untagged orphans past
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
    RepositoryImage[] images = repository.toArray(RepositoryImage[]::new);
    Arrays.sort(images, Comparator.comparing(RepositoryImage::digest));
    Accounting accounting = new Accounting(images);

    Set<String> referencedByIndex = new HashSet<>();
    for (RepositoryImage image : images) {
      referencedByIndex.addAll(image.children());
    }

    List<GcDecision> skipped = new ArrayList<>();
    List<Integer> evictable = new ArrayList<>();
    List<Integer> taggedCandidates = new ArrayList<>();
    int cacheImages = 0;
    for (int i = 0; i < images.length; i++) {
      RepositoryImage image = images[i];
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
        evictable.add(i);
        if (image.tagged()) {
          taggedCandidates.add(i);
        }
      }
    }

    Set<Integer> keepLatest = new HashSet<>();
    if (policy.keepLatest() > 0) {
      taggedCandidates.sort(Comparator.comparing((Integer i) -> images[i], LEAST_RECENTLY_USED).reversed());
      keepLatest.addAll(taggedCandidates.subList(0, Math.min(policy.keepLatest(), taggedCandidates.size())));
    }

    List<GcDecision> deletions = new ArrayList<>();
    List<Integer> remaining = new ArrayList<>();
    evictable.sort(Comparator.comparing((Integer i) -> images[i], LEAST_RECENTLY_USED));
    for (int i : evictable) {
      RepositoryImage image = images[i];
      if (keepLatest.contains(i)) {
        skipped.add(keep(image, GcReason.KEEP_LATEST, "one of the newest " + policy.keepLatest() + " cache images"));
      } else if (policy.maxAge() != null && image.lastUsed().isBefore(now.minus(policy.maxAge()))) {
        deletions.add(delete(image, GcReason.MAX_AGE, "unused for " + Durations.format(Duration.between(image.lastUsed(), now))
            + ", longer than max-age " + Durations.format(policy.maxAge()), accounting.remove(i)));
      } else {
        remaining.add(i);
      }
    }
    List<Integer> afterOrphans = new ArrayList<>();
    for (int i : remaining) {
      RepositoryImage image = images[i];
      if (policy.untaggedAfter() != null && !image.tagged() && image.pushedAt().isBefore(now.minus(policy.untaggedAfter()))) {
        deletions.add(delete(image, GcReason.UNTAGGED_ORPHAN, "untagged for up to " + Durations.format(Duration.between(image.pushedAt(), now))
            + ", longer than untagged-after " + Durations.format(policy.untaggedAfter()), accounting.remove(i)));
      } else {
        afterOrphans.add(i);
      }
    }
    for (int i : afterOrphans) {
      RepositoryImage image = images[i];
      if (policy.maxTotalSize() != null && accounting.cacheBytes > policy.maxTotalSize()) {
        long before = accounting.cacheBytes;
        deletions.add(delete(image, GcReason.OVER_BUDGET, "least recently used while cache held " + Quantities.humanBytes(before)
            + ", over max-size " + Quantities.humanBytes(policy.maxTotalSize()), accounting.remove(i)));
      } else {
        skipped.add(keep(image, GcReason.WITHIN_POLICY, "within max-age and max-size"));
      }
    }
    skipped.sort(Comparator.comparing(GcDecision::digest));
    return new GcPlan(deletions, skipped, images.length, cacheImages, accounting.cacheBytesBefore, accounting.cacheBytes,
        accounting.reclaimed);
  }

  /**
   * The plan as carried out: only {@code done} of its deletions happened (in plan order); bytes are recounted so
   * the report never claims what a skipped or failed deletion would have freed. {@code notDone} joins the skips.
   */
  public static GcPlan settle(List<RepositoryImage> repository, GcPlan plan, Set<String> done, List<GcDecision> notDone) {
    RepositoryImage[] images = repository.toArray(RepositoryImage[]::new);
    Arrays.sort(images, Comparator.comparing(RepositoryImage::digest));
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < images.length; i++) {
      index.put(images[i].digest(), i);
    }
    Accounting accounting = new Accounting(images);
    List<GcDecision> deletions = new ArrayList<>();
    for (GcDecision d : plan.deletions()) {
      if (done.contains(d.digest())) {
        deletions.add(new GcDecision(d.digest(), d.tags(), d.reason(), d.detail(), accounting.remove(index.get(d.digest()))));
      }
    }
    List<GcDecision> skipped = new ArrayList<>(plan.skipped());
    skipped.addAll(notDone);
    skipped.sort(Comparator.comparing(GcDecision::digest));
    return new GcPlan(deletions, skipped, plan.scannedImages(), plan.cacheImages(), accounting.cacheBytesBefore,
        accounting.cacheBytes, accounting.reclaimed);
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
   * Reference counts of every blob over all manifests and over cache manifests. A manifest's own bytes count as
   * a blob only it references.
   */
  private static final class Accounting {
    final int[][] refs;
    final long[] size;
    final int[] allRefs;
    final int[] cacheRefs;
    final boolean[] cache;
    final boolean[] removed;
    final long cacheBytesBefore;
    long cacheBytes;
    long reclaimed;

    Accounting(RepositoryImage[] images) {
      Map<String, Integer> ids = new HashMap<>(images.length * 8);
      List<Long> sizes = new ArrayList<>();
      refs = new int[images.length][];
      cache = new boolean[images.length];
      removed = new boolean[images.length];
      for (int i = 0; i < images.length; i++) {
        RepositoryImage image = images[i];
        cache[i] = image.cache();
        int[] r = new int[image.blobs().size() + 1];
        int n = 0;
        r[n++] = intern(ids, sizes, "manifest:" + image.digest(), image.manifestSize());
        for (Blob b : image.blobs()) {
          r[n++] = intern(ids, sizes, b.digest(), b.size());
        }
        refs[i] = Arrays.stream(r, 0, n).distinct().toArray();
      }
      size = sizes.stream().mapToLong(Long::longValue).toArray();
      allRefs = new int[size.length];
      cacheRefs = new int[size.length];
      long total = 0;
      for (int i = 0; i < refs.length; i++) {
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

    private static int intern(Map<String, Integer> ids, List<Long> sizes, String digest, long blobSize) {
      Integer id = ids.get(digest);
      if (id == null) {
        id = sizes.size();
        ids.put(digest, id);
        sizes.add(blobSize);
      }
      return id;
    }

    /** Removes image {@code i}; returns the bytes that no remaining manifest references any more. */
    long remove(int i) {
      removed[i] = true;
      long freed = 0;
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
