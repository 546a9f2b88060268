package dev.buildcache.operator.registry;

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
}
