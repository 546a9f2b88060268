package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.kernel.Failures;
import dev.buildcache.operator.kernel.ObjectNameTakenException;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.kernel.StatusWriter;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.validation.FieldError;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observe, validate, reconcile for one repository's cache profile: routes it to a builder replica through its own
 * Service, renders the agent config into status, lints it, and starts its registry GC when due. Level-triggered:
 * a pass over a converged profile writes nothing.
 *
 * <p>Not generation-aware: the {@code buildcache.dev/gc-now} annotation changes no generation and must still
 * trigger a pass. Our own status writes trigger one more pass each, which finds nothing to change.
 */
@ControllerConfiguration(name = CacheProfileReconciler.NAME, fieldManager = CacheProfileReconciler.FIELD_MANAGER,
    generationAwareEventProcessing = false)
public class CacheProfileReconciler implements Reconciler<CacheProfile> {
  public static final String NAME = "cacheprofile";
  public static final String FIELD_MANAGER = "buildcache-operator";
  private static final Logger LOG = LoggerFactory.getLogger(CacheProfileReconciler.class);
  static final String BY_BUILDER = "byBuilder";
  /** The longest a pass schedules the next one: the resync period (drift is repaired at least this often). */
  private final Duration maxRequeue;
  static final Duration HOUSEKEEPING_INTERVAL = Duration.ofMinutes(1);

  private final ProfileServiceDependentResource service = new ProfileServiceDependentResource();
  private final SimpleInboundEventSource<CacheProfile> gcFinished = new SimpleInboundEventSource<>("gc-finished");
  private final ProfileGcExecutor gc;
  private final StatusWriter<CacheProfileStatus, CacheProfile> status;
  private final ProfileMetrics metrics;
  private final Clock clock;
  private InformerEventSource<BuildkitBuilder, CacheProfile> builders;
  private InformerEventSource<Pod, CacheProfile> pods;
  private volatile Instant lastHousekeeping = Instant.EPOCH;

  public CacheProfileReconciler(ProfileGcExecutor gc, EventPublisher events, ProfileMetrics metrics, Clock clock, Duration maxRequeue) {
    this.maxRequeue = maxRequeue;
    this.gc = gc;
    // GC runs and lint findings announce themselves; the other conditions announce their changes.
    this.status = new StatusWriter<>(events, clock, CacheProfile::new, Set.of(ConditionType.GC_SUCCEEDED, ConditionType.LINT_CLEAN));
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, CacheProfile>> prepareEventSources(EventSourceContext<CacheProfile> context) {
    IndexedResourceCache<CacheProfile> profiles = context.getPrimaryCache();
    context.getPrimaryCache().addIndexer(BY_BUILDER, p -> builderKey(p).map(List::of).orElse(List.of()));
    // A builder or one of its pods changed: every profile routed onto that builder is reconciled.
    builders = new InformerEventSource<>(InformerEventSourceConfiguration.from(BuildkitBuilder.class, CacheProfile.class)
        .withName("builders")
        .withSecondaryToPrimaryMapper(b -> profilesOf(profiles, b.getMetadata().getNamespace(), b.getMetadata().getName()))
        .withPrimaryToSecondaryMapper((CacheProfile p) -> builderRef(p)
            .map(name -> Set.of(new ResourceID(name, p.getMetadata().getNamespace()))).orElse(Set.of()))
        .build(), context);
    pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, CacheProfile.class)
        .withName("builder-pods")
        .withLabelSelector(BuilderLabels.MANAGED_BY + "," + BuilderLabels.NAME_KEY + "=buildkitd")
        .withSecondaryToPrimaryMapper(pod -> profilesOf(profiles, pod.getMetadata().getNamespace(),
            pod.getMetadata().getLabels().get(BuilderLabels.INSTANCE_KEY)))
        .build(), context);
    gc.onFinished(gcFinished::propagateEvent);
    // a profile deleted while its GC runs: the run stops before its next batch
    gc.profilesExist(id -> profiles.get(id).isPresent());
    return List.of(builders, pods, service.eventSource(context).orElseThrow(), gcFinished);
  }

  @Override
  public UpdateControl<CacheProfile> reconcile(CacheProfile profile, Context<CacheProfile> context) {
    ResourceID id = ResourceID.fromResource(profile);
    forgetDeletedProfiles(context);
    CacheProfileStatus fields = StatusUpdates.copy(profile.getStatus(), CacheProfileStatus::new);
    List<Conditions.Desired> conditions = new ArrayList<>();
    recordFinishedGc(id, profile.getStatus(), fields);
    if (fields.getLastGc() != null) {
      conditions.add(ProfileStatusFactory.gcCondition(fields.getLastGc()));
      Conditions.Desired pullTimes = ProfileStatusFactory.pullTimeCondition(fields.getLastGc());
      if (pullTimes != null) {
        conditions.add(pullTimes);
      }
    }

    List<FieldError> errors = CacheProfileValidator.validate(profile);
    if (!errors.isEmpty()) {
      String message = errors.stream().map(Object::toString).collect(Collectors.joining("; "));
      LOG.info("CacheProfile {} has an invalid spec, leaving its endpoint and registry alone: {}", id, message);
      conditions.add(new Conditions.Desired(ConditionType.VALID, false, Reason.INVALID_SPEC, message));
      conditions.add(new Conditions.Desired(ConditionType.READY, false, Reason.INVALID_SPEC, "the spec is invalid; see the Valid condition"));
      fields.setNextGcTime(null);
      metrics.reconciled("invalid");
      return writeStatus(profile, fields, conditions, List.of(), context);
    }
    String maxAge = CacheProfileValidator.maxAgeMeaning(profile.getSpec());
    conditions.add(new Conditions.Desired(ConditionType.VALID, true, Reason.SPEC_VALID,
        "the spec is valid" + (maxAge == null ? "" : "; " + maxAge)));

    List<LintFinding> findings = route(profile, context, fields, conditions);
    Duration requeue = scheduleGc(profile, id, fields);
    metrics.reconciled("applied");
    UpdateControl<CacheProfile> update = writeStatus(profile, fields, conditions, findings, context);
    return requeue == null ? update : update.rescheduleAfter(requeue);
  }

  /**
   * Points the profile's Service at its replica and renders the agent config; returns the lint findings. Without
   * a builder (missing, or scaled to zero) there is no Service and no endpoint.
   */
  private List<LintFinding> route(CacheProfile profile, Context<CacheProfile> context, CacheProfileStatus fields,
      List<Conditions.Desired> conditions) {
    String namespace = profile.getMetadata().getNamespace();
    String builderName = profile.getSpec().getBuilderRef().getName();
    Optional<BuildkitBuilder> builder = builders.get(new ResourceID(builderName, namespace));
    BuilderNames names = new BuilderNames(builderName, namespace);
    int replicas = builder.map(CacheProfileReconciler::routableReplicas).orElse(0);
    Set<String> readyPods = pods.list(namespace, pod -> builderName.equals(pod.getMetadata().getLabels().get(BuilderLabels.INSTANCE_KEY)) && isReady(pod))
        .map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
    Optional<ReplicaAssignment> assignment = builder.isEmpty() ? Optional.empty()
        : ReplicaAssignment.assign(ReplicaAssignment.key(namespace, profile.getMetadata().getName()), names, replicas, readyPods);
    ProfileEndpoint endpoint = new ProfileEndpoint(builderName, profile.getMetadata().getName(), namespace);

    if (assignment.isEmpty()) {
      deleteServicesOtherThan(null, context);
      fields.setEndpoint(null);
      fields.setAssignedReplica(null);
      fields.setAgentConfig(null);
      fields.setBuildx(null);
      Reason reason = builder.isEmpty() ? Reason.BUILDER_NOT_FOUND : Reason.NO_REPLICAS;
      String message = builder.isEmpty()
          ? "BuildkitBuilder " + namespace + "/" + builderName + " does not exist: create it, or fix spec.builderRef.name"
          : "BuildkitBuilder " + namespace + "/" + builderName + " has no replicas: scale it up";
      conditions.add(new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, false, reason, message));
      conditions.add(new Conditions.Desired(ConditionType.READY, false, reason, message));
      return List.of();
    }
    ReplicaAssignment a = assignment.get();
    context.managedWorkflowAndDependentResourceContext().put(ProfileServiceDependentResource.DESIRED,
        ProfileServiceFactory.service(endpoint, a.pod()));
    try {
      service.reconcile(profile, context);
    } catch (RuntimeException e) {
      ObjectNameTakenException taken = Failures.find(e, ObjectNameTakenException.class).orElseThrow(() -> e);
      // another profile's (or anyone's) Service: never overwritten; the profile says so until one is renamed
      fields.setEndpoint(null);
      fields.setAssignedReplica(null);
      conditions.add(new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, false, Reason.OBJECT_NAME_TAKEN, taken.getMessage()));
      conditions.add(new Conditions.Desired(ConditionType.READY, false, Reason.OBJECT_NAME_TAKEN, taken.getMessage()));
      return List.of();
    }
    deleteServicesOtherThan(endpoint.service(), context);

    CacheConfigRenderer.Rendered rendered = CacheConfigRenderer.render(profile,
        new CacheConfigRenderer.Target(builderName, endpoint.endpoint(), names.serverName(), a.firstChoicePod()));
    fields.setEndpoint(endpoint.endpoint());
    fields.setAssignedReplica(a.pod());
    fields.setCacheFrom(rendered.cacheFrom());
    fields.setCacheTo(rendered.cacheTo());
    fields.setAgentConfig(rendered.agentConfig());
    fields.setBuildx(new CacheProfileStatus.BuildxCommands(rendered.buildxCreate(), rendered.buildxBuild()));
    conditions.add(ProfileStatusFactory.assigned(a));
    conditions.add(ProfileStatusFactory.ready(a));
    metrics.failedOver(namespace, profile.getMetadata().getName(), a.failedOver());

    List<LintFinding> findings = ProfileLintRules.check(profile, rendered.agentConfig());
    conditions.add(ProfileStatusFactory.lintCondition(findings));
    return findings;
  }

  /**
   * Drops the kept GC runs and per-profile metric series of deleted profiles, at most once a minute. Without a
   * finalizer there is no callback on deletion; this runs on any other profile's pass instead.
   */
  private void forgetDeletedProfiles(Context<CacheProfile> context) {
    Instant now = clock.instant();
    if (Duration.between(lastHousekeeping, now).compareTo(HOUSEKEEPING_INTERVAL) < 0) {
      return;
    }
    lastHousekeeping = now;
    List<CacheProfile> existing = context.getPrimaryCache().list().toList();
    gc.retainProfiles(existing.stream().map(ResourceID::fromResource).collect(Collectors.toSet()));
    gc.retainRepositories(existing.stream().map(p -> repositoryKey(p)).filter(Objects::nonNull).collect(Collectors.toSet()));
    metrics.retainProfiles(existing.stream().map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
        .collect(Collectors.toSet()));
  }

  /** A profile renamed its builder, or lost it: its old Services go. */
  private void deleteServicesOtherThan(String keep, Context<CacheProfile> context) {
    for (Service stale : context.getSecondaryResources(Service.class)) {
      if (!stale.getMetadata().getName().equals(keep)) {
        LOG.info("deleting Service {}/{}: no longer this profile's endpoint", stale.getMetadata().getNamespace(), stale.getMetadata().getName());
        context.getClient().resource(stale).delete();
      }
    }
  }

  /** Starts the GC when due; returns how long until the next scheduled run, null when none is scheduled. */
  private Duration scheduleGc(CacheProfile profile, ResourceID id, CacheProfileStatus fields) {
    Instant now = clock.instant();
    GcSchedulePlanner.Decision decision = GcSchedulePlanner.decide(new GcSchedulePlanner.Input(
        profile.getSpec().getSchedule(),
        Boolean.TRUE.equals(profile.getSpec().getSuspend()),
        // The API server always sets it; an object from elsewhere without one starts its schedule now.
        profile.getMetadata().getCreationTimestamp() == null ? now : Instant.parse(profile.getMetadata().getCreationTimestamp()),
        fields.getLastGc() == null ? null : Instant.parse(fields.getLastGc().getStartTime()),
        profile.getMetadata().getAnnotations() == null ? null : profile.getMetadata().getAnnotations().get(GcSchedulePlanner.GC_NOW_ANNOTATION),
        fields.getLastHandledGcRequest()), now);
    if (decision.trigger() != null && !gc.isRunning(id)) {
      String request = decision.trigger() == GcSchedulePlanner.Trigger.REQUEST
          ? profile.getMetadata().getAnnotations().get(GcSchedulePlanner.GC_NOW_ANNOTATION) : null;
      gc.submit(profile, CacheProfileValidator.policy(profile.getSpec()), decision.trigger(), request);
    }
    fields.setNextGcTime(decision.nextRun() == null ? null : Conditions.format(decision.nextRun()));
    if (decision.nextRun() == null) {
      return null;
    }
    // A run that is due but could not start (the pool was full) is retried within a minute.
    Duration wait = Duration.between(now, decision.nextRun());
    Duration floor = Duration.ofSeconds(1);
    if (decision.trigger() != null && !gc.isRunning(id)) {
      wait = Duration.ofMinutes(1);
    }
    return wait.compareTo(floor) < 0 ? floor : wait.compareTo(maxRequeue) > 0 ? maxRequeue : wait;
  }

  /**
   * A finished GC run is part of what is true: the newest one goes into the status, also when this pass reads a
   * copy of the profile older than the status that already shows it.
   */
  private void recordFinishedGc(ResourceID id, CacheProfileStatus stored, CacheProfileStatus fields) {
    gc.lastRun(id).ifPresent(run -> {
      if (ProfileStatusFactory.newerThanShown(stored, run)) {
        fields.setLastGc(ProfileStatusFactory.lastGc(run));
      }
      // Two requested runs in one second with the same outcome read the same in lastGc; the request is still handled.
      if (run.trigger() == GcSchedulePlanner.Trigger.REQUEST && !ProfileStatusFactory.olderThanShown(stored, run)) {
        fields.setLastHandledGcRequest(run.request());
      }
    });
  }

  @Override
  public ErrorStatusUpdateControl<CacheProfile> updateErrorStatus(CacheProfile profile, Context<CacheProfile> context, Exception e) {
    if (Failures.isConflict(e)) {
      LOG.debug("conflict reconciling CacheProfile {}/{}, retrying", profile.getMetadata().getNamespace(), profile.getMetadata().getName());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    String message = Failures.oneLine(Failures.rootCause(e));
    LOG.warn("reconcile of CacheProfile {}/{} failed: {}", profile.getMetadata().getNamespace(), profile.getMetadata().getName(), message);
    status.writeFailure(profile, StatusUpdates.copy(profile.getStatus(), CacheProfileStatus::new), List.of(
        new Conditions.Desired(ConditionType.READY, false, Reason.RECONCILE_ERROR, message)), context);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  private UpdateControl<CacheProfile> writeStatus(CacheProfile profile, CacheProfileStatus fields,
      List<Conditions.Desired> conditions, List<LintFinding> findings, Context<CacheProfile> context) {
    // Lint findings announce themselves, in one Warning that lists them all, when the set of findings changed.
    String previousLint = profile.getStatus() == null ? null
        : Conditions.find(profile.getStatus().getConditions(), ConditionType.LINT_CLEAN).map(c -> c.getMessage()).orElse(null);
    Optional<Conditions.Desired> lint = conditions.stream().filter(c -> c.type() == ConditionType.LINT_CLEAN).findFirst();
    List<Announcement> announcements = findings.isEmpty() || lint.isEmpty() || Objects.equals(previousLint, lint.get().message())
        ? List.of()
        : List.of(new Announcement(EventPublisher.Type.Warning, lint.get().reason(), ProfileStatusFactory.lintEventMessage(findings)));
    status.write(profile, fields, conditions, announcements, context);
    return UpdateControl.noUpdate();
  }

  /**
   * The replicas profiles are routed over: the spec's, when the builder's own validator accepts it; otherwise the
   * replicas last observed on its StatefulSet (status), which an invalid spec never changes. So a bad edit of a
   * builder moves no profile, and fixing it needs nothing more.
   */
  static int routableReplicas(BuildkitBuilder builder) {
    if (builder.getSpec() != null && dev.buildcache.operator.builder.BuilderSpecValidator.validate(builder).isEmpty()) {
      return builder.getSpec().getReplicas();
    }
    Integer observed = builder.getStatus() == null ? null : builder.getStatus().getReplicas();
    return observed == null ? 0 : Math.max(0, Math.min(observed, dev.buildcache.operator.routing.RendezvousRouter.MAX_REPLICAS));
  }

  static boolean isReady(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    return pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static Set<ResourceID> profilesOf(IndexedResourceCache<CacheProfile> profiles, String namespace, String builder) {
    if (builder == null) {
      return Set.of();
    }
    return profiles.byIndex(BY_BUILDER, namespace + "/" + builder).stream().map(ResourceID::fromResource).collect(Collectors.toSet());
  }

  private static Optional<String> builderRef(CacheProfile profile) {
    return profile.getSpec() == null || profile.getSpec().getBuilderRef() == null
        ? Optional.empty() : Optional.ofNullable(profile.getSpec().getBuilderRef().getName());
  }

  /** The key the GC remembers a profile's repository by, or null when the spec names none. */
  private static String repositoryKey(CacheProfile profile) {
    try {
      return profile.getSpec() == null ? null : RepositoryReference.parse(profile.getSpec().getRepository()).toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Optional<String> builderKey(CacheProfile profile) {
    return builderRef(profile).map(name -> profile.getMetadata().getNamespace() + "/" + name);
  }
}
