package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.kernel.AtMostEvery;
import dev.buildcache.operator.kernel.Failures;
import dev.buildcache.operator.kernel.ObjectNameTakenException;
import dev.buildcache.operator.kernel.OwnedKind;
import dev.buildcache.operator.kernel.OwnedObjectApplier;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.kernel.StatusWriter;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.tenancy.RepositoryAccess;
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
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observe, plan, apply, write for one repository's cache profile: reads the profile's builder, the builder's ready
 * pods, the profile's Services and its last GC run; lets {@link ProfilePlanner} decide; applies the endpoint Service,
 * starts the GC when due, and writes the status. Level-triggered: a pass over a converged profile writes nothing.
 *
 * <p>Not generation-aware: the {@code buildcache.dev/gc-now} annotation changes no generation and must still
 * trigger a pass.
 */
@ControllerConfiguration(name = CacheProfileReconciler.NAME, fieldManager = CacheProfileReconciler.FIELD_MANAGER,
    generationAwareEventProcessing = false)
public class CacheProfileReconciler implements Reconciler<CacheProfile> {
  public static final String NAME = "cacheprofile";
  public static final String FIELD_MANAGER = "buildcache-operator";
  private static final Logger LOG = LoggerFactory.getLogger(CacheProfileReconciler.class);
  static final String BY_BUILDER = "byBuilder";
  static final String BY_REPOSITORY = "byRepository";
  static final Duration HOUSEKEEPING_INTERVAL = Duration.ofMinutes(1);

  private final ProfilePlanner planner;
  private final OwnedKind<Service, CacheProfile> services =
      new OwnedKind<>(Service.class, CacheProfile.class, ProfileServiceFactory.SELECTOR);
  private final OwnedObjectApplier applier = new OwnedObjectApplier(FIELD_MANAGER);
  private final SimpleInboundEventSource<CacheProfile> gcFinished = new SimpleInboundEventSource<>("gc-finished");
  private final ProfileGcExecutor gc;
  private final StatusWriter<CacheProfileStatus, CacheProfile> status;
  private final ProfileMetrics metrics;
  private final Clock clock;
  private InformerEventSource<BuildkitBuilder, CacheProfile> builders;
  private InformerEventSource<Pod, CacheProfile> pods;
  private InformerEventSource<CacheProfile, CacheProfile> repositoryPeers;
  private final RepositoryPeers peerChanges = new RepositoryPeers();
  private final AtMostEvery housekeeping;

  /**
   * @param access which repositories each namespace's profiles may use
   * @param bundleSecrets names of the client bundles' secrets, which exposed builders publish
   */
  public CacheProfileReconciler(ProfileGcExecutor gc, EventPublisher events, ProfileMetrics metrics, Clock clock, Duration maxRequeue,
      RepositoryAccess access, dev.buildcache.operator.bundles.BundleSecretNames bundleSecrets) {
    this.planner = new ProfilePlanner(maxRequeue, access, bundleSecrets);
    this.gc = gc;
    // GC runs and lint findings announce themselves; the other conditions announce their changes.
    this.status = new StatusWriter<>(events, clock, CacheProfile::new, Set.of(ConditionType.GC_SUCCEEDED, ConditionType.LINT_CLEAN));
    this.metrics = metrics;
    this.clock = clock;
    this.housekeeping = new AtMostEvery(HOUSEKEEPING_INTERVAL, clock);
  }

  @Override
  public List<EventSource<?, CacheProfile>> prepareEventSources(EventSourceContext<CacheProfile> context) {
    IndexedResourceCache<CacheProfile> profiles = context.getPrimaryCache();
    context.getPrimaryCache().addIndexer(BY_BUILDER, p -> builderKey(p).map(List::of).orElse(List.of()));
    // A builder changed what profiles are routed over (its spec, or its observed replicas) or where agents outside
    // the cluster reach it (its load balancer's address): every profile routed onto it is reconciled. Its other status fields (the per-replica profile counts) concern no profile, and
    // reacting to them would bounce every assignment from the builder back to all of its profiles.
    builders = new InformerEventSource<>(InformerEventSourceConfiguration.from(BuildkitBuilder.class, CacheProfile.class)
        .withName("builders")
        .withSecondaryToPrimaryMapper(b -> profilesOf(profiles, b.getMetadata().getNamespace(), b.getMetadata().getName()))
        .withPrimaryToSecondaryMapper((CacheProfile p) -> builderRef(p)
            .map(name -> Set.of(new ResourceID(name, p.getMetadata().getNamespace()))).orElse(Set.of()))
        .withOnUpdateFilter(CacheProfileReconciler::routingChanged)
        .build(), context);
    // A builder pod became ready or stopped being ready: the profiles of that builder may fail over or back.
    pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, CacheProfile.class)
        .withName("builder-pods")
        .withLabelSelector(BuilderLabels.MANAGED_BY + "," + BuilderLabels.NAME_KEY + "=buildkitd")
        .withSecondaryToPrimaryMapper(pod -> profilesOf(profiles, pod.getMetadata().getNamespace(),
            pod.getMetadata().getLabels().get(BuilderLabels.INSTANCE_KEY)))
        .withOnUpdateFilter(CacheProfileReconciler::readinessChanged)
        .build(), context);
    // Profiles on one repository decide together who owns it: a profile that arrives, leaves or changes repository
    // concerns the others on its old and its new repository. Their ownership is read from this source's own cache,
    // which holds the change before the event is delivered (the primary cache may not yet).
    repositoryPeers = new InformerEventSource<>(InformerEventSourceConfiguration.from(CacheProfile.class, CacheProfile.class)
        .withName("repository-peers")
        .withSecondaryToPrimaryMapper(peerChanges::concerned)
        .withOnUpdateFilter((next, previous) -> !Objects.equals(repositoryKey(next), repositoryKey(previous)))
        .build(), context);
    repositoryPeers.addIndexers(java.util.Map.of(BY_REPOSITORY, p -> Optional.ofNullable(repositoryKey(p)).map(List::of).orElse(List.of())));
    peerChanges.lookUp(key -> repositoryPeers.byIndex(BY_REPOSITORY, key));
    gc.onFinished(gcFinished::propagateEvent);
    // a profile deleted while its GC runs: the run stops before its next batch
    gc.profilesExist(id -> profiles.get(id).isPresent());
    return List.of(builders, pods, repositoryPeers, services.eventSource(context), gcFinished);
  }

  @Override
  public UpdateControl<CacheProfile> reconcile(CacheProfile profile, Context<CacheProfile> context) {
    forgetDeletedProfiles(context);
    ProfilePlanner.Observed observed = observe(profile);
    ProfilePlanner.Plan plan = planner.plan(observed);
    if (!plan.valid()) {
      LOG.info("CacheProfile {}/{} has an invalid spec, leaving its endpoint and registry alone: {}",
          profile.getMetadata().getNamespace(), profile.getMetadata().getName(), plan.conditions().stream()
              .filter(c -> c.type() == ConditionType.VALID).findFirst().map(Conditions.Desired::message).orElse(""));
    }
    if (plan.service().isPresent()) {
      try {
        applier.apply(profile, plan.service().get(), services, context.getClient());
      } catch (ObjectNameTakenException e) {
        plan = planner.plan(observed.withServiceNameTaken(e.getMessage()));
      }
    }
    plan.staleServices().forEach(stale -> applier.delete(stale, context.getClient()));
    plan.gc().ifPresent(start -> gc.submit(profile, start.policy(), start.trigger(), start.request()));
    status.write(profile, plan.status(), plan.conditions(), plan.announcements(), context);
    plan.assignment().ifPresent(a -> metrics.failedOver(profile.getMetadata().getNamespace(), profile.getMetadata().getName(), a.failedOver()));
    metrics.reconciled(plan.valid() ? "applied" : "invalid");
    return UpdateControl.<CacheProfile>noUpdate().rescheduleAfter(plan.requeue());
  }

  private ProfilePlanner.Observed observe(CacheProfile profile) {
    String namespace = profile.getMetadata().getNamespace();
    ResourceID id = ResourceID.fromResource(profile);
    Optional<BuildkitBuilder> builder = builderRef(profile).flatMap(name -> builders.get(new ResourceID(name, namespace)));
    Set<String> readyPods = builderRef(profile).map(name -> pods.list(namespace,
            pod -> name.equals(pod.getMetadata().getLabels().get(BuilderLabels.INSTANCE_KEY)) && isReady(pod))
        .map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet())).orElse(Set.of());
    String repository = repositoryKey(profile);
    List<CacheProfile> peers = repository == null ? List.of() : repositoryPeers.byIndex(BY_REPOSITORY, repository).stream()
        .filter(p -> !ResourceID.fromResource(p).equals(id)).toList();
    return new ProfilePlanner.Observed(profile, builder, readyPods, List.copyOf(services.ownedBy(profile)), gc.lastRun(id),
        gc.isRunning(id), clock.instant(), Optional.empty(), peers);
  }

  /**
   * Drops the kept GC runs and per-profile metric series of deleted profiles, at most once a minute. Without a
   * finalizer there is no callback on deletion; this runs on any other profile's pass instead.
   */
  private void forgetDeletedProfiles(Context<CacheProfile> context) {
    if (!housekeeping.due()) {
      return;
    }
    List<CacheProfile> existing = context.getPrimaryCache().list().toList();
    gc.retainProfiles(existing.stream().map(ResourceID::fromResource).collect(Collectors.toSet()));
    gc.retainRepositories(existing.stream().map(p -> repositoryKey(p)).filter(Objects::nonNull).collect(Collectors.toSet()));
    metrics.retainProfiles(existing.stream().map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
        .collect(Collectors.toSet()));
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

  /**
   * Whether a builder's update changes what its profiles are routed over: its spec (a new generation), or, while its
   * spec is one its validator refuses, the replicas observed on its StatefulSet ({@link ProfilePlanner#routableReplicas}).
   */
  static boolean routingChanged(BuildkitBuilder next, BuildkitBuilder previous) {
    return !Objects.equals(next.getMetadata().getGeneration(), previous.getMetadata().getGeneration())
        || ProfilePlanner.routableReplicas(next) != ProfilePlanner.routableReplicas(previous)
        || !Objects.equals(externalEndpoint(next), externalEndpoint(previous));
  }

  private static String externalEndpoint(BuildkitBuilder builder) {
    return builder.getStatus() == null ? null : builder.getStatus().getExternalEndpoint();
  }

  /** Whether a builder pod's update is one its profiles care about: it became ready, or stopped being ready. */
  static boolean readinessChanged(Pod next, Pod previous) {
    return isReady(next) != isReady(previous);
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
  static String repositoryKey(CacheProfile profile) {
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
