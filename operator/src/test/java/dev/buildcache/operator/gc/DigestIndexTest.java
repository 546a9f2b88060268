package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.registry.Blob;
import org.junit.jupiter.api.Test;

class DigestIndexTest {
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
