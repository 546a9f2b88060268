package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.kernel.AtMostEvery;
import dev.buildcache.operator.kernel.Failures;
import dev.buildcache.operator.kernel.ObjectNameTakenException;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.kernel.StatusWriter;
import dev.buildcache.operator.metrics.BuilderMetrics;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observe, plan, apply, write: reads the builder's owned objects and the profiles routed onto it, lets
 * {@link BuilderPlanner} decide, applies the planned objects, and writes the status. Level-triggered: every pass
 * plans the full desired state, and a pass over a converged builder writes nothing.
 */
@ControllerConfiguration(name = BuildkitBuilderReconciler.NAME, fieldManager = BuildkitBuilderReconciler.FIELD_MANAGER)
public class BuildkitBuilderReconciler implements Reconciler<BuildkitBuilder> {
  public static final String NAME = "buildkitbuilder";
  public static final String FIELD_MANAGER = "buildcache-operator";
  private static final Logger LOG = LoggerFactory.getLogger(BuildkitBuilderReconciler.class);

  static final java.time.Duration HOUSEKEEPING_INTERVAL = java.time.Duration.ofMinutes(1);

  private final BuilderPlanner planner;
  private final BuilderObjects objects;
  private final java.util.function.Predicate<String> watched;
  private final AtMostEvery housekeeping;
  private final StatusWriter<BuildkitBuilderStatus, BuildkitBuilder> status;
  private final BuilderMetrics metrics;
  private final EventPublisher events;
  private final ClientBundlePublishing bundles;
  private InformerEventSource<CacheProfile, BuildkitBuilder> profiles;

  /**
   * @param operatorNamespace where the builders' CA Secrets are kept
   * @param namespaces the namespaces watched; empty: all
   * @param bundles publishes exposed builders' client bundles to AWS Secrets Manager
   */
  public BuildkitBuilderReconciler(BuilderPlanner planner, EventPublisher events, BuilderMetrics metrics, Clock clock,
      String operatorNamespace, Set<String> namespaces, ClientBundlePublishing bundles) {
    this.bundles = bundles;
    this.objects = new BuilderObjects(FIELD_MANAGER, operatorNamespace);
    this.watched = ns -> namespaces.isEmpty() || namespaces.contains(ns);
    this.housekeeping = new AtMostEvery(HOUSEKEEPING_INTERVAL, clock);
    this.planner = planner;
    this.status = new StatusWriter<>(events, clock, BuildkitBuilder::new, Set.of());
    this.metrics = metrics;
    this.events = events;
  }

  @Override
  public List<EventSource<?, BuildkitBuilder>> prepareEventSources(EventSourceContext<BuildkitBuilder> context) {
    // Profiles routed onto this builder: their assignments are counted per replica in the builder's status, and each
    // has a client certificate unless revoked, so only a change of a profile's builder, assigned replica or
    // revocation concerns the builder.
    profiles = new InformerEventSource<>(InformerEventSourceConfiguration.from(CacheProfile.class, BuildkitBuilder.class)
        .withName("profiles")
        .withSecondaryToPrimaryMapper(p -> builderOf(p) == null ? Set.of() : Set.of(new ResourceID(builderOf(p), p.getMetadata().getNamespace())))
        .withOnUpdateFilter((next, previous) -> !Objects.equals(builderOf(next), builderOf(previous))
            || !Objects.equals(assignedReplica(next), assignedReplica(previous)) || revoked(next) != revoked(previous))
        .build(), context);
    List<EventSource<?, BuildkitBuilder>> sources = new ArrayList<>(objects.eventSources(context));
    sources.add(profiles);
    return sources;
  }

  private static boolean revoked(CacheProfile p) {
    return p.getSpec() != null && p.getSpec().accessRevoked();
  }

  private static String builderOf(CacheProfile p) {
    return p.getSpec() == null || p.getSpec().getBuilderRef() == null ? null : p.getSpec().getBuilderRef().getName();
  }

  private static String assignedReplica(CacheProfile p) {
    return p.getStatus() == null ? null : p.getStatus().getAssignedReplica();
  }

  @Override
  public UpdateControl<BuildkitBuilder> reconcile(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    deleteOrphanedCas(context);
    BuilderNames names = BuilderNames.of(builder);
    // the profiles routed onto this builder: their replicas are counted, and those not revoked have a certificate
    List<CacheProfile> routed = profiles.list(names.namespace(), p -> names.name().equals(builderOf(p)) && assignedReplica(p) != null)
        .toList();
    List<String> assigned = routed.stream().map(BuildkitBuilderReconciler::assignedReplica).toList();
    List<String> authorized = routed.stream().filter(p -> !revoked(p)).map(p -> p.getMetadata().getName()).sorted().toList();
    BuilderPlanner.Plan plan = planner.plan(new BuilderPlanner.Observed(builder, objects.storedTls(names),
        objects.statefulSet(names), assigned, objects.gatewayService(names), objects.profileClients(builder), authorized));
    if (!plan.valid()) {
      LOG.info("BuildkitBuilder {}/{} has an invalid spec, leaving its objects alone: {}", names.namespace(), names.name(),
          plan.conditions().get(0).message());
    }
    objects.apply(builder, plan.objects(), context.getClient());
    objects.remove(builder, plan.removals(), context.getClient());
    // What the apply did (a CA re-issued, certificates renewed) happened, whatever the status write below meets: a
    // 409 there must not swallow it, and the next pass, seeing the new Secrets, has nothing to say about it.
    plan.announcements().forEach(a -> events.publish(builder, a.type(), a.reason(), a.message()));
    List<dev.buildcache.operator.api.status.Conditions.Desired> conditions = new ArrayList<>(plan.conditions());
    ClientBundlePublishing.Result published = ClientBundlePublishing.notConfigured();
    if (plan.valid()) {
      published = bundles.publish(builder, plan.tls(), plan.profiles());
      conditions.add(published.condition());
    }
    status.write(builder, plan.status(), conditions, List.of(), context);
    if (plan.valid()) {
      metrics.observe(builder, plan.status(), plan.tls());
    }
    metrics.reconciled(plan.valid() ? "applied" : "invalid");
    // a bundle that could not be published is tried again soon, not at the next certificate change
    java.time.Duration requeue = published.failed() && plan.requeue().compareTo(BuilderPlanner.MIN_REQUEUE) > 0
        ? BuilderPlanner.MIN_REQUEUE : plan.requeue();
    return UpdateControl.<BuildkitBuilder>noUpdate().rescheduleAfter(requeue);
  }

  /**
   * A deleted builder's CA Secret, kept in the operator's namespace where no owner reference reaches, is deleted by
   * the next pass of any builder, at most once a minute. Without a finalizer: an uninstalled operator never leaves a
   * builder stuck in deletion.
   */
  private void deleteOrphanedCas(Context<BuildkitBuilder> context) {
    if (!housekeeping.due()) {
      return;
    }
    objects.deleteOrphanedCas(id -> context.getPrimaryCache().get(id).isPresent(), watched, context.getClient());
  }

  @Override
  public ErrorStatusUpdateControl<BuildkitBuilder> updateErrorStatus(BuildkitBuilder builder,
      Context<BuildkitBuilder> context, Exception e) {
    if (Failures.isConflict(e)) {
      // Someone else wrote first (or our cache was behind); the retry will see the new version. Not a fault.
      LOG.debug("conflict reconciling BuildkitBuilder {}/{}, retrying", builder.getMetadata().getNamespace(),
          builder.getMetadata().getName());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    String message = Failures.oneLine(Failures.rootCause(e));
    LOG.warn("reconcile of BuildkitBuilder {}/{} failed: {}", builder.getMetadata().getNamespace(),
        builder.getMetadata().getName(), message);
    Reason reason = Failures.find(e, ObjectNameTakenException.class).isPresent() ? Reason.OBJECT_NAME_TAKEN : Reason.RECONCILE_ERROR;
    status.writeFailure(builder, StatusUpdates.copy(builder.getStatus(), BuildkitBuilderStatus::new),
        BuilderStatusFactory.failed(reason, message), context);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }
}
