package dev.buildcache.operator.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Rendezvous (highest random weight) hashing of keys onto replica ordinals. Every key ranks every replica by a
 * hash of (key, replica); a key goes to the first replica of its ranking that can take it. Adding a replica moves
 * only the keys that now rank it first (about 1/n of them); removing one moves only its own keys; a replica that
 * is not ready hands its keys to each key's next choice and gets them back when it recovers. Pure: no state.
 */
public final class RendezvousRouter {

  /** The most replicas a builder may have (its validator's bound): the router never works for more. */
  public static final int MAX_REPLICAS = 64;

  private RendezvousRouter() {}

  private static void check(int replicas) {
    if (replicas > MAX_REPLICAS) {
      throw new IllegalArgumentException(replicas + " replicas is more than the " + MAX_REPLICAS + " a builder may have");
    }
  }

  /** Replica ordinals 0..replicas-1, best first, for {@code key}. */
  public static List<Integer> ranking(String key, int replicas) {
    check(replicas);
    List<Integer> ordinals = new ArrayList<>(replicas);
    for (int i = 0; i < replicas; i++) {
      ordinals.add(i);
    }
    long keyHash = hash64(key);
    ordinals.sort(Comparator.comparingLong((Integer i) -> weight(keyHash, i)).reversed().thenComparing(i -> i));
    return ordinals;
  }

  /**
   * The replica {@code key} goes to: the first of its ranking that is {@code ready}; when none is ready, its first
   * choice (the Service then has no endpoint until it is, rather than flapping between unready pods).
   *
   * @return -1 when there are no replicas
   */
  public static int assign(String key, int replicas, IntPredicate ready) {
    if (replicas <= 0) {
      return -1;
    }
    check(replicas);
    int best = firstChoice(key, replicas);
    long keyHash = hash64(key);
    int bestReady = -1;
    for (int i = 0; i < replicas; i++) {
      if (ready.test(i) && (bestReady < 0 || before(keyHash, i, bestReady))) {
        bestReady = i;
      }
    }
    return bestReady >= 0 ? bestReady : best;
  }

  /** The top of {@code key}'s ranking, in one pass without allocating. */
  public static int firstChoice(String key, int replicas) {
    check(replicas);
    long keyHash = hash64(key);
    int best = 0;
    for (int i = 1; i < replicas; i++) {
      if (before(keyHash, i, best)) {
        best = i;
      }
    }
    return best;
  }

  /** Whether replica {@code a} ranks before {@code b}: higher weight, then lower ordinal (as {@link #ranking}). */
  private static boolean before(long keyHash, int a, int b) {
    long wa = weight(keyHash, a);
    long wb = weight(keyHash, b);
    return wa > wb || (wa == wb && a < b);
  }

  static long weight(long keyHash, int replica) {
    return mix(keyHash ^ mix(0x9E3779B97F4A7C15L * (replica + 1)));
  }

  /** FNV-1a over UTF-8, then a finaliser: stable across JVMs and releases, unlike String.hashCode's spread. */
  static long hash64(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
