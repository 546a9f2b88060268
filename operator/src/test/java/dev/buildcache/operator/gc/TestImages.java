package dev.buildcache.operator.gc;

import dev.buildcache.operator.registry.Blob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Fixture builder: {@code TestImages.cache("d1", i -> i.tags("cache-main").age(days(3)).blobs(layer("a", 100)))}. */
final class TestImages {
  static final Instant NOW = Instant.parse("2026-06-15T12:00:00Z");

  private String digest;
  private List<String> tags = new ArrayList<>();
  private boolean cache;
  private Instant pushedAt = NOW.minus(Duration.ofDays(1));
  private Instant lastUsed;
  private long manifestSize = 500;
  private List<Blob> blobs = new ArrayList<>();
  private List<String> children = new ArrayList<>();
  private RepositoryImage.Hold hold;

  static RepositoryImage cache(String digest, Consumer<TestImages> customize) {
    return image(digest, true, customize);
  }

  static RepositoryImage release(String digest, Consumer<TestImages> customize) {
    return image(digest, false, customize);
  }

  private static RepositoryImage image(String digest, boolean cache, Consumer<TestImages> customize) {
    TestImages b = new TestImages();
    b.digest = "sha256:" + digest;
    b.cache = cache;
    customize.accept(b);
    return b.build();
  }

  static Blob layer(String name, long size) {
    return new Blob("sha256:" + name, size);
  }

  static Duration days(long d) {
    return Duration.ofDays(d);
  }

  TestImages tags(String... t) {
    tags = List.of(t);
    return this;
  }

  /** Pushed and last used this long before {@link #NOW}. */
  TestImages age(Duration age) {
    pushedAt = NOW.minus(age);
    return this;
  }

  TestImages lastUsed(Duration ago) {
    lastUsed = NOW.minus(ago);
    return this;
  }

  TestImages unknownAge() {
    pushedAt = null;
    return this;
  }

  TestImages blobs(Blob... b) {
    blobs = List.of(b);
    return this;
  }

  TestImages manifestSize(long size) {
    manifestSize = size;
    return this;
  }

  TestImages hold(GcReason reason, String detail) {
    hold = new RepositoryImage.Hold(reason, detail);
    return this;
  }

  TestImages children(String... digests) {
    children = List.of(digests);
    return this;
  }

  private RepositoryImage build() {
    Instant used = lastUsed != null ? lastUsed : pushedAt;
    return new RepositoryImage(digest, tags, cache, pushedAt, used, manifestSize, blobs, children, hold);
  }

  static RetentionPolicy policy(Consumer<RetentionPolicyFixture> customize) {
    RetentionPolicyFixture f = new RetentionPolicyFixture();
    customize.accept(f);
    return RetentionPolicy.parse(new RetentionPolicy.Raw(f.tagPatterns, f.protect, f.maxAge, f.maxSize, f.keepLatest,
        f.minAge, f.untaggedAfter), RetentionPolicy.FieldNames.CLI);
  }

  static final class RetentionPolicyFixture {
    List<String> tagPatterns = List.of("cache-*");
    List<String> protect = List.of();
    String maxAge;
    String maxSize;
    Integer keepLatest;
    String minAge;
    String untaggedAfter;
  }
}
