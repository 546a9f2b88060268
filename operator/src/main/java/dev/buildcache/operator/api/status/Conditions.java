package dev.buildcache.operator.api.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Merges freshly computed conditions into the previous ones, Kubernetes-style: conditions are keyed by type,
 * {@code lastTransitionTime} only moves when {@code status} flips, and every condition carries the generation it
 * was computed for. The output is sorted by type so that equal states serialise identically.
 */
public final class Conditions {

  private Conditions() {}

  /** A condition to set: status (null: Unknown), reason and one short human line. */
  public record Desired(ConditionType type, Boolean status, Reason reason, String message) {
    public String statusString() {
      return status == null ? "Unknown" : status ? "True" : "False";
    }
  }

  /**
   * A condition whose status or reason changed in {@link #merge} (only a status change moves
   * {@code lastTransitionTime}; a new reason is worth announcing too). Previous fields are null for a new condition.
   */
  public record Transition(Desired condition, String previousStatus, String previousReason) {}

  public record Merged(List<Condition> conditions, List<Transition> transitions) {}

  public static Merged merge(List<Condition> previous, List<Desired> desired, long generation, Instant now) {
    Map<String, Condition> byType = new LinkedHashMap<>();
    if (previous != null) {
      previous.forEach(c -> byType.put(c.getType(), c));
    }
    List<Transition> transitions = new ArrayList<>();
    for (Desired d : desired) {
      Condition old = byType.get(d.type().type());
      boolean flipped = old == null || !d.statusString().equals(old.getStatus());
      String transitionTime = flipped ? format(now) : old.getLastTransitionTime();
      if (flipped || !d.reason().value().equals(old.getReason())) {
        transitions.add(new Transition(d, old == null ? null : old.getStatus(), old == null ? null : old.getReason()));
      }
      byType.put(d.type().type(), new ConditionBuilder()
          .withType(d.type().type())
          .withStatus(d.statusString())
          .withReason(d.reason().value())
          .withMessage(d.message())
          .withObservedGeneration(generation)
          .withLastTransitionTime(transitionTime)
          .build());
    }
    List<Condition> sorted = new ArrayList<>(byType.values());
    sorted.sort(Comparator.comparing(Condition::getType));
    return new Merged(sorted, transitions);
  }

  public static Optional<Condition> find(List<Condition> conditions, ConditionType type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> type.type().equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, ConditionType type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** RFC 3339 at second precision, as the API server stores {@code metav1.Time}. */
  public static String format(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
