package dev.buildcache.operator.gc;

import dev.buildcache.operator.gc.state.RepositoryState.OwnRead;
import java.time.Duration;
import java.time.Instant;

/**
 * When a cache was last used, on a registry that records pushes and pulls (ECR). Pure.
 *
 * <p>ECR records the GC's own manifest reads as pulls unless the GC's role is a pull-time update exclusion. The GC
 * remembers when it read each manifest and what pull time ECR showed just before; a recorded pull inside that read
 * (give or take {@link #TOLERANCE} for clock skew) is the GC's own, so the pull time before it stands. Any other
 * recorded pull is a use. A pull time the GC has no memory of reading at is a use too: after a restart, or
 * without state, that errs on the side of keeping caches.
 */
public final class AgeClock {
  /** How far apart the GC's clock and ECR's may be. */
  public static final Duration TOLERANCE = Duration.ofMinutes(5);

  private AgeClock() {}

  public static Instant lastUsed(Instant pushedAt, Instant recordedPull, OwnRead ownRead) {
    Instant pull = recordedPull;
    if (pull != null && ownRead != null && isOwn(pull, ownRead)) {
      pull = ownRead.pullBefore();
    }
    if (pull == null) {
      return pushedAt;
    }
    return pushedAt == null || pull.isAfter(pushedAt) ? pull : pushedAt;
  }

  static boolean isOwn(Instant pull, OwnRead read) {
    return !pull.isBefore(read.from().minus(TOLERANCE)) && !pull.isAfter(read.to().plus(TOLERANCE));
  }
}
