package dev.buildcache.operator.registry;

/**
 * Whether the GC's own manifest reads move the registry's last-pull times. On ECR a manifest read is a pull, and ECR
 * records it unless the reader is registered as a pull-time update exclusion.
 *
 * @param state what was found
 * @param principal who the GC runs as (an ARN), when known
 * @param reason one line: why, for {@link State#UNKNOWN}; what it means otherwise
 * @param fix the command that registers the exclusion, for {@link State#REFRESHED_BY_GC}; else null
 */
public record PullTimes(State state, String principal, String reason, String fix) {

  public enum State {
    EXCLUDED("excluded"),
    REFRESHED_BY_GC("refreshed-by-gc"),
    UNKNOWN("unknown"),
    /** The registry records no pull times (OCI). */
    NOT_RECORDED("not-recorded");

    private final String value;

    State(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  public static PullTimes notRecorded() {
    return new PullTimes(State.NOT_RECORDED, null, "the registry records no pull times", null);
  }

  public static PullTimes unknown(String principal, String reason) {
    return new PullTimes(State.UNKNOWN, principal, reason, null);
  }
}
