package dev.buildcache.operator.demo;

import dev.buildcache.operator.demo.OciPusher.Layer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import dev.buildcache.operator.gc.state.RepositoryState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A registry cache as a few weeks of CI leave it: the default branch's cache, fresh and stale branch caches over
 * shared base layers, a branch pushed twice (its first cache manifest left untagged), a cache that someone also
 * tagged {@code latest}, and a release image under a tag the cache pattern matches. Small layers, so seeding
 * takes a moment.
 */
public final class CacheHistory {
  private final OciPusher pusher;
  private final Map<String, Long> uniqueLayers = new HashMap<>();
  private final Map<String, RepositoryState.Sighting> sightings = new TreeMap<>();
  private int cacheManifests;

  private CacheHistory(OciPusher pusher) {
    this.pusher = pusher;
  }

  /**
   * What was pushed, for the demo's commentary; and when each tag was pushed at the digest it has now, which is what
   * the GC would remember had it watched these weeks (an OCI registry records no times).
   */
  public record Seeded(int cacheManifests, int images, long uniqueLayerBytes, Map<String, RepositoryState.Sighting> sightings) {}

  public static Seeded seed(OciPusher pusher, String prefix, Instant now) throws IOException, InterruptedException {
    CacheHistory h = new CacheHistory(pusher);
    Layer base = Layer.of("debian-bookworm-base", 2 * 1024 * 1024);
    Layer deps = Layer.of("npm-ci-node-modules", 1024 * 1024);
    Layer depsOld = Layer.of("npm-ci-node-modules-before-upgrade", 1024 * 1024);
    h.cache(prefix + "main", now.minus(Duration.ofDays(1)), base, deps, Layer.of("main-app", 512 * 1024));
    h.cache(prefix + "feature-login", now.minus(Duration.ofDays(3)), base, deps, Layer.of("login", 400 * 1024));
    h.cache(prefix + "feature-search", now.minus(Duration.ofDays(15)), base, depsOld, Layer.of("search", 600 * 1024));
    h.cache(prefix + "fix-typo", now.minus(Duration.ofDays(25)), base, depsOld, Layer.of("typo", 300 * 1024));
    // feature-payments was built twice: the tag moved and its first manifest is now untagged
    h.cache(prefix + "feature-payments", now.minus(Duration.ofDays(12)), base, depsOld, Layer.of("payments-v1", 500 * 1024));
    h.cache(prefix + "feature-payments", now.minus(Duration.ofDays(2)), base, deps, Layer.of("payments-v2", 500 * 1024));
    // an old cache that someone also tagged latest: a tag that is not cache protects it
    String spike = h.cache(prefix + "spike-grpc", now.minus(Duration.ofDays(30)), base, Layer.of("grpc", 700 * 1024));
    pusher.tag(spike, "latest");
    h.sightings.put("latest", new RepositoryState.Sighting(spike, now.minus(Duration.ofDays(30))));
    // a release image pushed under a tag the cache pattern matches: never deleted, whatever its tag
    List<Layer> release = List.of(base, Layer.of("release-v1-app", 800 * 1024));
    release.forEach(l -> h.uniqueLayers.put(l.digest(), l.size()));
    String v1 = pusher.pushImage(prefix + "v1", release);
    h.sightings.put(prefix + "v1", new RepositoryState.Sighting(v1, now.minus(Duration.ofDays(60))));
    return new Seeded(h.cacheManifests, 1, h.uniqueLayers.values().stream().mapToLong(Long::longValue).sum(), Map.copyOf(h.sightings));
  }

  private String cache(String tag, Instant at, Layer... layers) throws IOException, InterruptedException {
    for (Layer l : layers) {
      uniqueLayers.put(l.digest(), l.size());
    }
    cacheManifests++;
    String digest = pusher.pushCache(tag, at, List.of(layers));
    sightings.put(tag, new RepositoryState.Sighting(digest, at));
    return digest;
  }
}
