package dev.buildcache.operator.registry;

import java.util.Objects;

/**
 * A content-addressed blob (config or layer), as stored once per repository. A {@code sha256:} digest is held as
 * four longs rather than a 71-character string: a repository of 100k cache images references millions of blobs,
 * and the strings alone would outweigh everything the planner computes. Digests of any other form are kept as
 * given.
 */
public final class Blob {
  private static final String SHA256 = "sha256:";
  private final long d0;
  private final long d1;
  private final long d2;
  private final long d3;
  private final String other;
  private final long size;

  public Blob(String digest, long size) {
    this.size = size;
    long[] words = sha256Words(digest);
    if (words != null) {
      d0 = words[0];
      d1 = words[1];
      d2 = words[2];
      d3 = words[3];
      other = null;
    } else {
      d0 = d1 = d2 = d3 = 0;
      other = Objects.requireNonNull(digest, "digest");
    }
  }

  public long size() {
    return size;
  }

  public String digest() {
    if (other != null) {
      return other;
    }
    return SHA256 + hex(d0) + hex(d1) + hex(d2) + hex(d3);
  }

  /** 32 well-mixed bits of the digest, for {@link DigestIndex}. */
  public int key() {
    return other != null ? other.hashCode() : (int) (d0 >>> 32);
  }

  public boolean sameDigest(Blob that) {
    return d0 == that.d0 && d1 == that.d1 && d2 == that.d2 && d3 == that.d3 && Objects.equals(other, that.other);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Blob that && sameDigest(that) && size == that.size;
  }

  @Override
  public int hashCode() {
    return Objects.hash(d0, d1, d2, d3, other, size);
  }

  @Override
  public String toString() {
    return "Blob[digest=" + digest() + ", size=" + size + "]";
  }

  private static long[] sha256Words(String digest) {
    if (digest == null || digest.length() != SHA256.length() + 64 || !digest.startsWith(SHA256)) {
      return null;
    }
    long[] words = new long[4];
    for (int w = 0; w < 4; w++) {
      long value = 0;
      for (int i = 0; i < 16; i++) {
        int v = Character.digit(digest.charAt(SHA256.length() + w * 16 + i), 16);
        if (v < 0 || Character.isUpperCase(digest.charAt(SHA256.length() + w * 16 + i))) {
          return null;
        }
        value = (value << 4) | v;
      }
      words[w] = value;
    }
    return words;
  }

  private static String hex(long value) {
    String h = Long.toHexString(value);
    return "0".repeat(16 - h.length()) + h;
  }
}
