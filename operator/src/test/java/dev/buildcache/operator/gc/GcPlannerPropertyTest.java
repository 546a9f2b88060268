package dev.buildcache.operator.gc;

import dev.buildcache.operator.registry.Blob;
import static dev.buildcache.operator.gc.TestImages.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** Randomized repositories: the invariants hold for every one, and the accounting equals a brute-force recount. */
class GcPlannerPropertyTest {
  static final List<String> TAGS = List.of("cache-main", "cache-a", "cache-b", "cache-c", "cache-d", "v1", "latest", "cache-e", "release-1");

  record Case(List<RepositoryImage> images, RetentionPolicy policy) {}

  static Case generate(long seed) {
    Random r = new Random(seed);
    int blobCount = 5 + r.nextInt(40);
    List<Blob> blobs = new ArrayList<>();
    for (int i = 0; i < blobCount; i++) {
      blobs.add(new Blob("sha256:b" + i, 1 + r.nextInt(10_000)));
    }
    List<RepositoryImage> images = new ArrayList<>();
    Set<String> usedTags = new HashSet<>();
    int n = 1 + r.nextInt(40);
    for (int i = 0; i < n; i++) {
      List<String> tags = new ArrayList<>();
      int tagCount = r.nextInt(3);
      for (int t = 0; t < tagCount; t++) {
        String tag = TAGS.get(r.nextInt(TAGS.size()));
        if (usedTags.add(tag)) {
          tags.add(tag);
        }
      }
      List<Blob> refs = new ArrayList<>();
      int layers = 1 + r.nextInt(6);
      for (int l = 0; l < layers; l++) {
        refs.add(blobs.get(r.nextInt(blobs.size())));
      }
      Instant pushed = r.nextInt(20) == 0 ? null : NOW.minus(Duration.ofMinutes(r.nextInt(60 * 24 * 60)));
      Instant used = pushed == null ? null : pushed.plus(Duration.ofMinutes(r.nextInt(60 * 24 * 10)));
      if (used != null && used.isAfter(NOW)) {
        used = NOW;
      }
      images.add(new RepositoryImage("sha256:i" + i, tags, r.nextInt(5) != 0, pushed, used, r.nextInt(2_000), refs, List.of()));
    }
    RetentionPolicy policy = RetentionPolicy.parse(new RetentionPolicy.Raw(
        r.nextBoolean() ? List.of("cache-*") : List.of("cache-a", "cache-b", "cache-m*"),
        r.nextBoolean() ? List.of("cache-main") : List.of(),
        r.nextBoolean() ? (2 + r.nextInt(40)) + "d" : null,
        r.nextBoolean() ? Integer.toString(r.nextInt(100_000)) : null,
        r.nextInt(3),
        (1 + r.nextInt(48)) + "h",
        r.nextBoolean() ? (1 + r.nextInt(72)) + "h" : null), RetentionPolicy.FieldNames.CLI);
    return new Case(images, policy);
  }

  @RepeatedTest(500)
  void invariantsHold(RepetitionInfo repetition) {
    Case c = generate(repetition.getCurrentRepetition() * 7919L);
    GcPlan plan = GcPlanner.plan(c.images(), c.policy(), NOW);
    Map<String, RepositoryImage> byDigest = c.images().stream().collect(Collectors.toMap(RepositoryImage::digest, i -> i));

    for (GcDecision d : plan.deletions()) {
      RepositoryImage image = byDigest.get(d.digest());
      assertThat(image.cache()).as("only cache is deleted: %s", d).isTrue();
      assertThat(c.policy().allTagsAreCacheTags(image.tags())).as("every tag matches: %s", d).isTrue();
      assertThat(c.policy().protectedBy(image.tags())).as("protected: %s", d).isNull();
      assertThat(image.pushedAt()).as("age known: %s", d).isNotNull();
      assertThat(image.pushedAt()).as("older than minAge: %s", d).isBefore(NOW.minus(c.policy().minAge()).plusNanos(1));
      assertThat(d.reason().deletes()).isTrue();
    }
    assertThat(plan.deletions().size() + plan.skipped().stream().filter(s -> byDigest.get(s.digest()).cache()).count())
        .as("every cache image has exactly one decision").isEqualTo(plan.cacheImages());

    Set<String> deleted = plan.deletions().stream().map(GcDecision::digest).collect(Collectors.toSet());
    List<RepositoryImage> remaining = c.images().stream().filter(i -> !deleted.contains(i.digest())).toList();
    assertThat(plan.bytesBefore()).as("bytesBefore").isEqualTo(cacheBytes(c.images()));
    assertThat(plan.bytesAfter()).as("bytesAfter").isEqualTo(cacheBytes(remaining));
    assertThat(plan.reclaimedBytes()).as("reclaimed").isEqualTo(allBytes(c.images()) - allBytes(remaining));
    assertThat(plan.deletions().stream().mapToLong(GcDecision::uniqueBytes).sum()).isEqualTo(plan.reclaimedBytes());

    if (c.policy().maxTotalSize() != null && plan.bytesAfter() > c.policy().maxTotalSize()) {
      // Over budget only when nothing evictable is left.
      assertThat(plan.skipped()).noneMatch(s -> s.reason() == GcReason.WITHIN_POLICY);
    }
  }

  /** Unique bytes of blobs and manifests referenced by cache manifests, recounted from scratch. */
  static long cacheBytes(List<RepositoryImage> images) {
    return uniqueBytes(images.stream().filter(RepositoryImage::cache).toList());
  }

  static long allBytes(List<RepositoryImage> images) {
    return uniqueBytes(images);
  }

  static long uniqueBytes(List<RepositoryImage> images) {
    Map<String, Long> blobs = new HashMap<>();
    for (RepositoryImage i : images) {
      blobs.put("manifest:" + i.digest(), i.manifestSize());
      i.blobs().forEach(b -> blobs.put(b.digest(), b.size()));
    }
    return blobs.values().stream().mapToLong(Long::longValue).sum();
  }
}
