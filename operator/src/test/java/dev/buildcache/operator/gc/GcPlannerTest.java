package dev.buildcache.operator.gc;

import static dev.buildcache.operator.gc.TestImages.NOW;
import static dev.buildcache.operator.gc.TestImages.cache;
import static dev.buildcache.operator.gc.TestImages.days;
import static dev.buildcache.operator.gc.TestImages.layer;
import static dev.buildcache.operator.gc.TestImages.policy;
import static dev.buildcache.operator.gc.TestImages.release;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One test per invariant of DESIGN.md's registry cache GC, then the accounting. */
class GcPlannerTest {

  static List<String> deleted(GcPlan plan) {
    return plan.deletions().stream().map(GcDecision::digest).toList();
  }

  static GcReason skipReason(GcPlan plan, String digest) {
    return plan.skipped().stream().filter(d -> d.digest().equals("sha256:" + digest)).map(GcDecision::reason).findFirst().orElse(null);
  }

  // Invariant 1: only BuildKit cache whose every tag matches is a candidate; a release image never is.
  @Test
  void releaseImageUnderAMatchingTagSurvives() {
    var release = release("rel", i -> i.tags("cache-main").age(days(400)).blobs(layer("base", 1000)));
    var oldCache = cache("old", i -> i.tags("cache-feature").age(days(400)).blobs(layer("x", 10)));
    GcPlan plan = GcPlanner.plan(List.of(release, oldCache), policy(p -> { p.maxAge = "1d"; p.maxSize = "0"; }), NOW);
    assertThat(deleted(plan)).containsExactly("sha256:old");
    assertThat(skipReason(plan, "rel")).isEqualTo(GcReason.NOT_CACHE);
  }

  @Test
  void cacheManifestAlsoCarryingANonCacheTagSurvives() {
    var both = cache("both", i -> i.tags("cache-main", "v1.2.3").age(days(400)).blobs(layer("x", 10)));
    GcPlan plan = GcPlanner.plan(List.of(both), policy(p -> { p.maxAge = "1d"; p.maxSize = "0"; }), NOW);
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.skipped()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(GcReason.TAG_NOT_CACHE);
      assertThat(d.detail()).contains("v1.2.3");
    });
  }

  @Test
  void imageReferencedByAnIndexSurvives() {
    var child = cache("child", i -> i.age(days(400)).blobs(layer("x", 10)));
    var index = release("index", i -> i.tags("v1").children("sha256:child"));
    GcPlan plan = GcPlanner.plan(List.of(child, index), policy(p -> { p.maxAge = "1d"; p.untaggedAfter = "1h"; }), NOW);
    assertThat(plan.deletions()).isEmpty();
    assertThat(skipReason(plan, "child")).isEqualTo(GcReason.REFERENCED_BY_INDEX);
  }

  // Invariant 2: nothing younger than minAge, protected tags and the newest keepLatest stay.
  @Test
  void nothingYoungerThanMinAgeIsDeleted() {
    var fresh = cache("fresh", i -> i.tags("cache-a").age(Duration.ofMinutes(30)).blobs(layer("x", 100)));
    GcPlan plan = GcPlanner.plan(List.of(fresh), policy(p -> p.maxSize = "0"), NOW);
    assertThat(plan.deletions()).isEmpty();
    assertThat(skipReason(plan, "fresh")).isEqualTo(GcReason.TOO_YOUNG);
  }

  @Test
  void unknownAgeIsNeverDeleted() {
    var unknown = cache("unknown", i -> i.tags("cache-a").unknownAge().blobs(layer("x", 100)));
    GcPlan plan = GcPlanner.plan(List.of(unknown), policy(p -> p.maxSize = "0"), NOW);
    assertThat(skipReason(plan, "unknown")).isEqualTo(GcReason.AGE_UNKNOWN);
  }

  @Test
  void protectedTagsAndNewestKeepLatestStay() {
    var main = cache("main", i -> i.tags("cache-main").age(days(100)).blobs(layer("m", 100)));
    var a = cache("a", i -> i.tags("cache-a").age(days(50)).blobs(layer("a", 100)));
    var b = cache("b", i -> i.tags("cache-b").age(days(40)).blobs(layer("b", 100)));
    GcPlan plan = GcPlanner.plan(List.of(main, a, b), policy(p -> {
      p.protect = List.of("cache-main");
      p.keepLatest = 1;
      p.maxAge = "10d";
    }), NOW);
    assertThat(deleted(plan)).containsExactly("sha256:a");
    assertThat(skipReason(plan, "main")).isEqualTo(GcReason.PROTECTED);
    assertThat(skipReason(plan, "b")).isEqualTo(GcReason.KEEP_LATEST);
  }

  // Invariant 3: sizes are de-duplicated; a blob a release image shares is never reclaimed.
  @Test
  void sharedLayersCountOnceAndReleaseLayersAreNeverReclaimed() {
    var base = layer("base", 1_000);
    var release = release("rel", i -> i.tags("v1").blobs(base, layer("app", 50)).manifestSize(10));
    var c1 = cache("c1", i -> i.tags("cache-a").age(days(30)).blobs(base, layer("s1", 200)).manifestSize(10));
    var c2 = cache("c2", i -> i.tags("cache-b").age(days(20)).blobs(base, layer("s2", 300)).manifestSize(10));
    GcPlan plan = GcPlanner.plan(List.of(release, c1, c2), policy(p -> p.maxAge = "1d"), NOW);
    assertThat(plan.bytesBefore()).isEqualTo(1_000 + 200 + 300 + 10 + 10);
    assertThat(plan.bytesAfter()).isZero();
    // base stays: the release image still references it
    assertThat(plan.reclaimedBytes()).isEqualTo(200 + 300 + 10 + 10);
    assertThat(plan.deletions()).extracting(GcDecision::uniqueBytes).containsExactly(210L, 310L);
  }

  @Test
  void aBlobSharedByTwoCachesIsFreedWithTheLastOne() {
    var shared = layer("shared", 1_000);
    var c1 = cache("c1", i -> i.tags("cache-a").age(days(30)).blobs(shared).manifestSize(1));
    var c2 = cache("c2", i -> i.tags("cache-b").age(days(20)).blobs(shared).manifestSize(1));
    GcPlan plan = GcPlanner.plan(List.of(c1, c2), policy(p -> p.maxAge = "1d"), NOW);
    assertThat(plan.deletions()).extracting(GcDecision::uniqueBytes).containsExactly(1L, 1_001L);
  }

  // Invariant 4: maxAge first, then untagged orphans, then least recently used until under maxTotalSize.
  @Test
  void evictionOrderIsAgeThenOrphansThenLeastRecentlyUsed() {
    var expired = cache("expired", i -> i.tags("cache-old").age(days(30)).blobs(layer("e", 100)).manifestSize(0));
    var orphan = cache("orphan", i -> i.age(days(3)).blobs(layer("o", 100)).manifestSize(0));
    var lru = cache("lru", i -> i.tags("cache-a").age(days(5)).lastUsed(days(4)).blobs(layer("l", 100)).manifestSize(0));
    var recent = cache("recent", i -> i.tags("cache-b").age(days(5)).lastUsed(days(1)).blobs(layer("r", 100)).manifestSize(0));
    GcPlan plan = GcPlanner.plan(List.of(recent, lru, orphan, expired), policy(p -> {
      p.maxAge = "14d";
      p.untaggedAfter = "24h";
      p.maxSize = "150";
    }), NOW);
    assertThat(deleted(plan)).containsExactly("sha256:expired", "sha256:orphan", "sha256:lru");
    assertThat(plan.deletions()).extracting(GcDecision::reason)
        .containsExactly(GcReason.MAX_AGE, GcReason.UNTAGGED_ORPHAN, GcReason.OVER_BUDGET);
    assertThat(plan.bytesAfter()).isEqualTo(100);
    assertThat(skipReason(plan, "recent")).isEqualTo(GcReason.WITHIN_POLICY);
  }

  @Test
  void lastPullKeepsAnOldPushAlive() {
    var pulled = cache("pulled", i -> i.tags("cache-main").age(days(60)).lastUsed(days(1)).blobs(layer("p", 1)));
    GcPlan plan = GcPlanner.plan(List.of(pulled), policy(p -> p.maxAge = "14d"), NOW);
    assertThat(plan.deletions()).isEmpty();
  }

  @Test
  void budgetStopsAsSoonAsTheCacheFits() {
    List<RepositoryImage> images = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int n = i;
      images.add(cache("c" + n, b -> b.tags("cache-" + n).age(days(20 - n)).blobs(layer("l" + n, 100)).manifestSize(0)));
    }
    GcPlan plan = GcPlanner.plan(images, policy(p -> p.maxSize = "450"), NOW);
    assertThat(deleted(plan)).containsExactly("sha256:c0", "sha256:c1", "sha256:c2", "sha256:c3", "sha256:c4", "sha256:c5");
    assertThat(plan.bytesAfter()).isEqualTo(400);
  }

  @Test
  void lastUseWithinTheSameSecondIsOrderedByNanosThenDigest() {
    var a = cache("a", i -> i.tags("cache-a").age(days(5)).lastUsed(Duration.ofDays(4).minusNanos(10)).blobs(layer("a", 100)).manifestSize(0));
    var b = cache("b", i -> i.tags("cache-b").age(days(5)).lastUsed(Duration.ofDays(4)).blobs(layer("b", 100)).manifestSize(0));
    var c = cache("c", i -> i.tags("cache-c").age(days(5)).lastUsed(Duration.ofDays(4)).blobs(layer("c", 100)).manifestSize(0));
    GcPlan plan = GcPlanner.plan(List.of(a, c, b), policy(p -> p.maxSize = "0"), NOW);
    // b and c were used at the same instant, 10ns before a
    assertThat(deleted(plan)).containsExactly("sha256:b", "sha256:c", "sha256:a");
  }

  @Test
  void planDoesNotDependOnInputOrder() {
    List<RepositoryImage> images = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      images.add(cache("c" + n, b -> b.tags("cache-" + (n % 7)).age(days(3)).blobs(layer("shared", 50), layer("l" + n, 10))));
    }
    RetentionPolicy policy = policy(p -> p.maxSize = "100");
    GcPlan first = GcPlanner.plan(images, policy, NOW);
    Collections.reverse(images);
    assertThat(GcPlanner.plan(images, policy, NOW)).isEqualTo(first);
  }

  // Invariant 4c: what the scan could not read or resolve is never deleted.
  @Test
  void anImageTheScanHoldsStaysWhateverThePolicy() {
    var firstSeen = cache("new", i -> i.tags("cache-a").age(days(0)).hold(GcReason.FIRST_SEEN, "first seen").blobs(layer("a", 10)));
    var unreadable = release("broken", i -> i.tags("cache-b").age(days(400)).hold(GcReason.UNREADABLE, "KmsError"));
    var old = cache("old", i -> i.tags("cache-old").age(days(400)).blobs(layer("o", 10)));
    GcPlan plan = GcPlanner.plan(List.of(firstSeen, unreadable, old), policy(p -> { p.maxAge = "1d"; p.maxSize = "0"; p.minAge = "0s"; }), NOW);
    assertThat(deleted(plan)).containsExactly("sha256:old");
    assertThat(skipReason(plan, "new")).isEqualTo(GcReason.FIRST_SEEN);
    assertThat(skipReason(plan, "broken")).isEqualTo(GcReason.UNREADABLE);
    assertThat(plan.cacheImages()).as("a held cache is still cache").isEqualTo(2);
  }

  @Test
  void aBlockerKeepsEverythingAndSaysWhatWouldHaveGone() {
    var old = cache("old", i -> i.tags("cache-old").age(days(400)).blobs(layer("o", 10)));
    var release = release("rel", i -> i.tags("cache-v1").age(days(400)).blobs(layer("r", 10)));
    GcPlan plan = GcPlanner.plan(new RepositoryScan(List.of(old, release), List.of("tag 'latest' could not be resolved"), 0),
        policy(p -> p.maxAge = "1d"), NOW);
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.reclaimedBytes()).isZero();
    assertThat(plan.bytesAfter()).isEqualTo(plan.bytesBefore());
    assertThat(plan.skipped()).filteredOn(d -> d.digest().equals("sha256:old")).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(GcReason.UNRESOLVED);
      assertThat(d.detail()).startsWith("would go (MaxAge: unused for").endsWith("but tag 'latest' could not be resolved");
    });
    assertThat(skipReason(plan, "rel")).isEqualTo(GcReason.NOT_CACHE);
  }

  @Test
  void anUnmetBudgetIsSaid() {
    var main = cache("main", i -> i.tags("cache-main").age(days(3)).blobs(layer("m", 5000)));
    var release = release("rel", i -> i.tags("cache-v1").age(days(400)).blobs(layer("r", 10)));
    GcPlan plan = GcPlanner.plan(List.of(main, release), policy(p -> { p.maxSize = "1Ki"; p.protect = List.of("cache-main"); }), NOW);
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.budgetMet()).isFalse();
    assertThat(GcPlanner.plan(List.of(main), policy(p -> p.maxSize = "1Mi"), NOW).budgetMet()).isTrue();
    assertThat(GcPlanner.plan(List.of(main), policy(p -> {}), NOW).budgetMet()).as("no budget").isNull();
  }

  // Reports never claim another run's deletions.
  @Test
  void anImageSomeoneElseDeletedIsNotReclaimedByThisRun() {
    var a = cache("a", i -> i.tags("cache-a").age(days(400)).blobs(layer("shared", 100), layer("a", 10)));
    var b = cache("b", i -> i.tags("cache-b").age(days(400)).blobs(layer("shared", 100), layer("b", 20)));
    var release = release("rel", i -> i.tags("cache-v1").age(days(400)).blobs(layer("r", 10)));
    List<RepositoryImage> images = List.of(a, b, release);
    GcPlan plan = GcPlanner.plan(images, policy(p -> p.maxAge = "1d"), NOW);
    assertThat(deleted(plan)).containsExactlyInAnyOrder("sha256:a", "sha256:b");
    GcPlan settled = GcPlanner.settle(images, plan, java.util.Set.of("sha256:a"), java.util.Set.of("sha256:b"), List.of());
    assertThat(deleted(settled)).containsExactly("sha256:a");
    // b was gone before this run deleted a: a held the shared layer's last reference, so this run freed it
    long aBytes = 100 + 10 + 500;
    assertThat(settled.reclaimedBytes()).isEqualTo(aBytes);
    assertThat(settled.bytesAfter()).isZero();
  }

  @Test
  void policyErrorsNameTheFlag() {
    assertThatThrownBy(() -> policy(p -> p.maxAge = "two weeks")).hasMessageContaining("--max-age: 'two weeks' is not a duration");
    assertThatThrownBy(() -> policy(p -> p.maxSize = "lots")).hasMessageContaining("--max-size: 'lots' is not a size");
    assertThatThrownBy(() -> policy(p -> p.tagPatterns = List.of())).hasMessageContaining("--tag-pattern: at least one pattern");
    assertThatThrownBy(() -> policy(p -> p.tagPatterns = List.of("*"))).hasMessageContaining("--tag-pattern: '*' has no literal character, so it would treat every tag as cache");
    assertThatThrownBy(() -> policy(p -> p.keepLatest = -1)).hasMessageContaining("--keep-latest: must be 0 or more");
    assertThatThrownBy(() -> policy(p -> { p.maxAge = "30m"; p.minAge = "1h"; })).hasMessageContaining("--max-age: must not be shorter than --min-age");
  }
}
