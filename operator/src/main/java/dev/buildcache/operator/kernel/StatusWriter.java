package dev.buildcache.operator.kernel;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.ConditionedStatus;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of every pass of both controllers: merge the planned conditions into the stored ones, stamp
 * {@code observedGeneration}, write the status when it changed, and only then announce the pass's Events.
 *
 * <p>The write is a server-side apply of the status alone that names the resourceVersion the pass read, so it is
 * optimistic: a pass that worked from a stale cache gets a 409 (a conflict, retried with a fresh read) instead of
 * overwriting a newer status, and its Events, computed from that stale status, are never published. That is what
 * keeps a stale read from announcing a transition twice. The written object goes into JOSDK's recent-update cache,
 * so the next pass reads it even before the watch delivers it.
 */
public final class StatusWriter<S extends ConditionedStatus, R extends CustomResource<?, S>> {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);

  /** Where a status patch goes: the API server in the operator, a recorder in tests. */
  @FunctionalInterface
  public interface Target<R> {
    /** Applies {@code patch} to the status subresource; throws the API's 409 when its resourceVersion is stale. */
    R apply(R patch);
  }

  /** What a pass writes and announces, computed without I/O. */
  public record Plan<S>(S status, boolean changed, List<Announcement> events) {}

  private final EventPublisher events;
  private final Clock clock;
  private final Supplier<R> empty;
  private final Set<ConditionType> selfAnnounced;

  /**
   * @param empty a new, empty resource of the kind, to carry the status patch
   * @param selfAnnounced condition types whose changes are announced by whoever sets them
   */
  public StatusWriter(EventPublisher events, Clock clock, Supplier<R> empty, Set<ConditionType> selfAnnounced) {
    this.events = events;
    this.clock = clock;
    this.empty = empty;
    this.selfAnnounced = selfAnnounced;
  }

  /** The status to write (fields plus merged conditions and observedGeneration) and the Events it is worth. */
  public Plan<S> plan(R primary, S fields, List<Conditions.Desired> conditions, List<Announcement> announcements) {
    S previous = primary.getStatus();
    long generation = primary.getMetadata().getGeneration() == null ? 0 : primary.getMetadata().getGeneration();
    Conditions.Merged merged = Conditions.merge(previous == null ? null : previous.getConditions(), conditions, generation,
        clock.instant());
    fields.setConditions(merged.conditions());
    fields.setObservedGeneration(primary.getMetadata().getGeneration());
    boolean changed = previous == null
        || !Serialization.jsonMapper().valueToTree(previous).equals(Serialization.jsonMapper().valueToTree(fields));
    List<Announcement> all = new ArrayList<>(TransitionEvents.of(merged.transitions(), selfAnnounced));
    all.addAll(announcements);
    return new Plan<>(fields, changed, all);
  }

  /** Writes the plan's status if it changed, then publishes its Events. A stale read throws the 409 and announces nothing. */
  public void write(R primary, Plan<S> plan, Target<R> target) {
    if (plan.changed()) {
      R patch = empty.get();
      patch.setMetadata(new ObjectMetaBuilder()
          .withName(primary.getMetadata().getName())
          .withNamespace(primary.getMetadata().getNamespace())
          .withResourceVersion(primary.getMetadata().getResourceVersion())
          .build());
      patch.setSpec(null);
      patch.setStatus(plan.status());
      try {
        target.apply(patch);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 422) {
          throw e;
        }
        // Not a stale read: the server validates the whole object on a status write, so a field that today's CRD
        // refuses (stored under an older one) blocks every status write before Kubernetes 1.30's ratcheting. The
        // status cannot say what is wrong, so the Events must: the pass's own, and why the status stays as it is.
        // No retry: nothing changes until someone edits the object, and that edit starts a new pass.
        plan.events().forEach(a -> events.publish(primary, a.type(), a.reason(), a.message()));
        events.publish(primary, EventPublisher.Type.Warning, Reason.STATUS_REFUSED, refusal(e));
        LOG.warn("the API server refused the status of {} {}/{}: {}", primary.getKind(), primary.getMetadata().getNamespace(),
            primary.getMetadata().getName(), Failures.oneLine(e));
        return;
      }
    }
    plan.events().forEach(e -> events.publish(primary, e.type(), e.reason(), e.message()));
  }

  /** What a user reads when the server refuses a status: the fields it named, and what to do about them. */
  static String refusal(KubernetesClientException e) {
    List<String> fields = e.getStatus() == null || e.getStatus().getDetails() == null
        || e.getStatus().getDetails().getCauses() == null ? List.of()
        : e.getStatus().getDetails().getCauses().stream().map(c -> c.getField()).filter(Objects::nonNull).distinct().toList();
    String server = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
    List<String> outsideStatus = fields.stream().filter(f -> !f.equals("status") && !f.startsWith("status.")).toList();
    if (!outsideStatus.isEmpty()) {
      return "the API server refuses to store this object's status because " + String.join(", ", outsideStatus)
          + " fails the installed CRD (the object was stored under an older CRD, and before Kubernetes 1.30 every status"
          + " write validates the whole object): correct " + (outsideStatus.size() == 1 ? "it" : "them")
          + " with kubectl edit; the status stays as it is until then. Server said: " + server;
    }
    return "the API server refuses the status the operator computed (a bug in the operator or a CRD older than the"
        + " operator: apply the CRDs of this release). Server said: " + server;
  }

  public void write(R primary, S fields, List<Conditions.Desired> conditions, List<Announcement> announcements,
      Context<R> context) {
    write(primary, plan(primary, fields, conditions, announcements), target(primary, context));
  }

  /**
   * The error path's write: a failure condition, never an exception (a conflict means a newer pass is coming; any
   * other error is logged, and the retry that follows writes again).
   */
  public void writeFailure(R primary, S fields, List<Conditions.Desired> conditions, Context<R> context) {
    try {
      write(primary, fields, conditions, List.of(), context);
    } catch (KubernetesClientException e) {
      if (Failures.isConflict(e)) {
        LOG.debug("status of {}/{} changed meanwhile; the retry writes the failure", primary.getMetadata().getNamespace(),
            primary.getMetadata().getName());
      } else {
        LOG.warn("could not write the failure status of {}/{}: {}", primary.getMetadata().getNamespace(),
            primary.getMetadata().getName(), Failures.oneLine(e));
      }
    }
  }

  /** Server-side apply to the status subresource with the controller's field manager; the result fills JOSDK's cache. */
  public static <R extends CustomResource<?, ?>> Target<R> target(R primary, Context<R> context) {
    return patch -> {
      R updated = context.getClient().resource(patch).subresource("status").patch(new PatchContext.Builder()
          .withPatchType(PatchType.SERVER_SIDE_APPLY)
          .withFieldManager(context.getControllerConfiguration().fieldManager())
          .withForce(true)
          .build());
      if (updated != null && !Objects.equals(updated.getMetadata().getResourceVersion(), primary.getMetadata().getResourceVersion())) {
        context.eventSourceRetriever().getControllerEventSource()
            .handleRecentResourceUpdate(ResourceID.fromResource(primary), updated, primary);
      }
      return updated;
    };
  }
}
