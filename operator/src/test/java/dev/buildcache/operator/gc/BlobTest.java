package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BlobTest {
  static final String SHA = "sha256:0123456789abcdef0fedcba9876543210000000000000000ffffffffffffffff";

  @Test
  void sha256DigestsRoundTripThroughTheCompactForm() {
    Blob blob = new Blob(SHA, 42);
    assertThat(blob.digest()).isEqualTo(SHA);
    assertThat(blob).isEqualTo(new Blob(SHA, 42)).hasSameHashCodeAs(new Blob(SHA, 42));
    assertThat(blob.sameDigest(new Blob(SHA, 7))).isTrue();
  }

  @Test
  void otherDigestsAreKeptAsGiven() {
    for (String digest : new String[] {"sha256:short", "sha512:abc", SHA.toUpperCase().replace("SHA256", "sha256"), SHA + "0"}) {
      assertThat(new Blob(digest, 1).digest()).isEqualTo(digest);
    }
    assertThat(new Blob(SHA.replace("abcdef", "ABCDEF"), 1).sameDigest(new Blob(SHA, 1))).isFalse();
  }

  @Test
  void indexSeparatesDigestsThatShareAKey() {
    DigestIndex index = new DigestIndex(4);
    Blob a = new Blob("sha256:0123456789abcdef" + "1".repeat(48), 1);
    Blob b = new Blob("sha256:0123456789abcdef" + "2".repeat(48), 2);
    assertThat(a.key()).isEqualTo(b.key());
    assertThat(index.intern(a)).isZero();
    assertThat(index.intern(b)).isEqualTo(1);
    assertThat(index.intern(new Blob(a.digest(), 1))).isZero();
    for (int i = 0; i < 100; i++) {
      index.intern(new Blob("sha256:x" + i, i));
    }
    assertThat(index.size()).isEqualTo(102);
    assertThat(index.intern(b)).isEqualTo(1);
    assertThat(index.sizes()).hasSize(102).startsWith(1L, 2L);
  }
}
