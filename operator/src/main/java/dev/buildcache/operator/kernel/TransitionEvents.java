package dev.buildcache.operator.kernel;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which condition changes are worth an Event, and of which type, from the reason's {@link Reason.Severity}: every
 * failure is a Warning; a degradation is a Warning when the condition was good before; a notice is Normal; a quiet
 * reason is announced only as the recovery from a failure (not from a degradation, whose start may not have been
 * announced: a profile waiting for its new builder's pods is not news, and neither is their arrival). So {@code kubectl describe} shows what a user acts on,
 * and nothing of the routine (no {@code SpecValid} on creation, no {@code RolloutComplete} on every roll).
 */
public final class TransitionEvents {
  private TransitionEvents() {}

  /**
   * @param selfAnnounced condition types whose changes are announced by whoever sets them (the GC run, lint
   *     findings), so they are not announced twice
   */
  public static List<Announcement> of(List<Conditions.Transition> transitions, Set<ConditionType> selfAnnounced) {
    // One Event per reason, the first condition's message: an invalid spec sets Valid (with the fields to fix) and
    // Ready (pointing at Valid) to the same reason, and the publisher folds Events of one reason into one, so a
    // second message would overwrite the useful one in `kubectl describe`.
    Map<Reason, Announcement> events = new LinkedHashMap<>();
    for (Conditions.Transition t : transitions) {
      Conditions.Desired c = t.condition();
      if (selfAnnounced.contains(c.type())) {
        continue;
      }
      EventPublisher.Type type = switch (c.reason().severity()) {
        case FAILURE -> EventPublisher.Type.Warning;
        case DEGRADATION -> t.previousStatus() != null && c.type().good(t.previousStatus()) ? EventPublisher.Type.Warning : null;
        case NOTICE -> EventPublisher.Type.Normal;
        case QUIET -> recovered(t) ? EventPublisher.Type.Normal : null;
      };
      if (type != null) {
        events.putIfAbsent(c.reason(), new Announcement(type, c.reason(), c.message()));
      }
    }
    return new ArrayList<>(events.values());
  }

  private static boolean recovered(Conditions.Transition t) {
    if (t.previousReason() == null) {
      return false;
    }
    for (Reason r : Reason.values()) {
      if (r.value().equals(t.previousReason())) {
        return r.severity() == Reason.Severity.FAILURE && !t.condition().type().good(t.previousStatus())
            && t.condition().type().good(t.condition().statusString());
      }
    }
    return false;
  }
}
