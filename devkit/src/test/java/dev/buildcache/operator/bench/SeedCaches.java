package dev.buildcache.operator.bench;

import dev.buildcache.operator.demo.OciPusher;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Seeds a registry for {@code bench/oci-vs-script.sh}. {@code seed}: {@code caches} BuildKit cache manifests
 * ({@code cache-0} … , image-manifest form, a shared 4 KiB base layer and one 256-byte layer of their own) and 10
 * release images under matching tags ({@code cache-release-0} …, which no GC may delete). {@code repush}: every
 * third cache is pushed again with new content, so its tag moves to a new digest (a cache still in use). Usage:
 * registry-url repository seed|repush caches.
 */
public final class SeedCaches {
  public static void main(String[] args) throws Exception {
    OciPusher pusher = new OciPusher(URI.create(args[0]), args[1]);
    String mode = args[2];
    int caches = Integer.parseInt(args[3]);
    OciPusher.Layer base = OciPusher.Layer.of("base", 4096);
    Instant created = Instant.parse("2026-11-01T00:00:00Z");
    switch (mode) {
      case "seed" -> {
        for (int i = 0; i < caches; i++) {
          pusher.pushCache("cache-" + i, created, List.of(base, OciPusher.Layer.of("layer-" + i, 256)));
        }
        for (int i = 0; i < 10; i++) {
          pusher.pushImage("cache-release-" + i, List.of(base, OciPusher.Layer.of("release-" + i, 512)));
        }
      }
      case "repush" -> {
        for (int i = 0; i < caches; i += 3) {
          pusher.pushCache("cache-" + i, created.plus(Duration.ofDays(20)), List.of(base, OciPusher.Layer.of("layer-new-" + i, 256)));
        }
      }
      default -> throw new IllegalArgumentException("mode: seed or repush, got " + mode);
    }
  }
}
