package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.builder.BuilderSpecValidator;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.tenancy.RepositoryAccess;
import dev.buildcache.operator.tenancy.RepositoryOwnership;
import dev.buildcache.operator.routing.RendezvousRouter;
import dev.buildcache.operator.validation.FieldError;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A profile's pass as a decision: from what was observed (the profile, its builder and which of its pods are ready,
 * the profile's Services, its last GC run) and the time, the endpoint Service it must have and the ones to delete,
 * its status and conditions, the Events worth publishing, the GC run to start and when to look again. No I/O.
 */
public final class ProfilePlanner {
  /** A run that is due but could not start (the pool was full, or a run is still going) is tried again this soon. */
  static final Duration GC_RETRY = Duration.ofMinutes(1);

  /**
   * What a pass observed. {@code serviceNameTaken} is set when applying the planned Service found its name held by
   * an object this profile does not control; the pass then plans again with it.
   */
  public record Observed(CacheProfile profile, Optional<BuildkitBuilder> builder, Set<String> readyPods,
      List<Service> services, Optional<ProfileGcExecutor.Run> lastRun, boolean gcRunning, Instant now,
      Optional<String> serviceNameTaken, List<CacheProfile> repositoryPeers) {
    public Observed withServiceNameTaken(String message) {
      return new Observed(profile, builder, readyPods, services, lastRun, gcRunning, now, Optional.of(message), repositoryPeers);
    }
  }

  /** A GC run to start. {@code request} is the {@code gc-now} value it answers, null for a scheduled run. */
  public record GcStart(RetentionPolicy policy, GcSchedulePlanner.Trigger trigger, String request) {}

  /**
   * What a pass does: apply {@code service} (if any), delete {@code staleServices}, start {@code gc} (if any), write
   * {@code status} with {@code conditions}, publish {@code announcements}, look again after {@code requeue}.
   */
  public record Plan(boolean valid, Optional<Service> service, List<Service> staleServices, CacheProfileStatus status,
      List<Conditions.Desired> conditions, List<Announcement> announcements, Optional<GcStart> gc,
      Optional<ReplicaAssignment> assignment, Duration requeue) {}

  private final Duration maxRequeue;
  private final RepositoryAccess access;
  private final dev.buildcache.operator.bundles.BundleSecretNames bundleSecrets;

  /**
   * @param maxRequeue the resync period: the longest a pass waits before the next one
   * @param access which repositories each namespace's profiles may use (the platform team's rules)
   * @param bundleSecrets names of the client bundles' secrets in AWS Secrets Manager
   */
  public ProfilePlanner(Duration maxRequeue, RepositoryAccess access, dev.buildcache.operator.bundles.BundleSecretNames bundleSecrets) {
    this.bundleSecrets = bundleSecrets;
    this.maxRequeue = maxRequeue;
    this.access = access;
  }

  public Plan plan(Observed o) {
    CacheProfile profile = o.profile();
    CacheProfileStatus fields = StatusUpdates.copy(profile.getStatus(), CacheProfileStatus::new);
    List<Conditions.Desired> conditions = new ArrayList<>();
    recordFinishedGc(o.lastRun(), profile.getStatus(), fields);
    if (fields.getLastGc() != null) {
      conditions.add(ProfileStatusFactory.gcCondition(fields.getLastGc()));
      Conditions.Desired pullTimes = ProfileStatusFactory.pullTimeCondition(fields.getLastGc());
      if (pullTimes != null) {
        conditions.add(pullTimes);
      }
    }

    List<FieldError> errors = CacheProfileValidator.validate(profile);
    if (!errors.isEmpty()) {
      return refused(fields, conditions, Reason.INVALID_SPEC, errors.stream().map(Object::toString).collect(Collectors.joining("; ")));
    }
    String namespace = profile.getMetadata().getNamespace();
    RepositoryReference repository = RepositoryReference.parse(profile.getSpec().getRepository());
    if (!access.allows(namespace, repository)) {
      return refused(fields, conditions, Reason.REPOSITORY_NOT_ALLOWED, "spec.repository: namespace " + namespace
          + " may not use " + repository + " (the operator's --repository-access rules for it: " + access.rulesFor(namespace)
          + "); use a repository those rules allow, or ask the platform team for a rule that covers it");
    }
    Optional<CacheProfile> owner = RepositoryOwnership.ownerOtherThan(profile, repository, o.repositoryPeers(), access);
    if (owner.isPresent()) {
      return refused(fields, conditions, Reason.REPOSITORY_CONFLICT, "spec.repository: " + repository + " belongs to CacheProfile "
          + owner.get().getMetadata().getNamespace() + "/" + owner.get().getMetadata().getName()
          + " (created first); one repository has one profile, whose retention alone decides what is pruned: give this"
          + " profile a repository of its own, or delete one of the two");
    }
    String maxAge = CacheProfileValidator.maxAgeMeaning(profile.getSpec());
    conditions.add(new Conditions.Desired(ConditionType.VALID, true, Reason.SPEC_VALID,
        "the spec is valid" + (maxAge == null ? "" : "; " + maxAge)));

    Routing routing = route(o, fields, conditions);
    GcDecision gc = scheduleGc(o, fields);
    List<Announcement> announcements = lintAnnouncements(profile, conditions, routing.findings());
    return new Plan(true, routing.service(), routing.stale(), fields, conditions, announcements, gc.start(),
        routing.assignment(), gc.requeue());
  }

  /**
   * A profile the operator will not act on: the existing endpoint Service stays (agents keep building); no GC; the
   * registry is not touched.
   */
  private Plan refused(CacheProfileStatus fields, List<Conditions.Desired> conditions, Reason reason, String message) {
    conditions.add(new Conditions.Desired(ConditionType.VALID, false, reason, message));
    conditions.add(new Conditions.Desired(ConditionType.READY, false, reason, "the spec is invalid; see the Valid condition"));
    fields.setNextGcTime(null);
    return new Plan(false, Optional.empty(), List.of(), fields, conditions, List.of(), Optional.empty(), Optional.empty(), maxRequeue);
  }

  private record Routing(Optional<Service> service, List<Service> stale, Optional<ReplicaAssignment> assignment,
      List<LintFinding> findings) {}

  /**
   * Points the profile's Service at its replica and renders the agent config. Without a builder (missing, or scaled
   * to zero) there is no Service and no endpoint; with its name taken, nothing is touched and the profile says so.
   */
  private Routing route(Observed o, CacheProfileStatus fields, List<Conditions.Desired> conditions) {
    CacheProfile profile = o.profile();
    String namespace = profile.getMetadata().getNamespace();
    String builderName = profile.getSpec().getBuilderRef().getName();
    BuilderNames names = new BuilderNames(builderName, namespace);
    int replicas = o.builder().map(ProfilePlanner::routableReplicas).orElse(0);
    Optional<ReplicaAssignment> assignment = o.builder().isEmpty() ? Optional.empty()
        : ReplicaAssignment.assign(ReplicaAssignment.key(namespace, profile.getMetadata().getName()), names, replicas, o.readyPods());
    ProfileEndpoint endpoint = new ProfileEndpoint(builderName, profile.getMetadata().getName(), namespace);

    if (assignment.isEmpty()) {
      clearEndpoint(fields);
      Reason reason = o.builder().isEmpty() ? Reason.BUILDER_NOT_FOUND : Reason.NO_REPLICAS;
      String message = o.builder().isEmpty()
          ? "BuildkitBuilder " + namespace + "/" + builderName + " does not exist: create it, or fix spec.builderRef.name"
          : "BuildkitBuilder " + namespace + "/" + builderName + " has no replicas: scale it up";
      conditions.add(new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, false, reason, message));
      conditions.add(new Conditions.Desired(ConditionType.READY, false, reason, message));
      return new Routing(Optional.empty(), o.services(), Optional.empty(), List.of());
    }
    if (o.serviceNameTaken().isPresent()) {
      // another profile's (or anyone's) Service: never overwritten; the profile says so until one is renamed
      fields.setEndpoint(null);
      fields.setExternal(null);
      fields.setAssignedReplica(null);
      String message = o.serviceNameTaken().get();
      conditions.add(new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, false, Reason.OBJECT_NAME_TAKEN, message));
      conditions.add(new Conditions.Desired(ConditionType.READY, false, Reason.OBJECT_NAME_TAKEN, message));
      return new Routing(Optional.empty(), List.of(), Optional.empty(), List.of());
    }
    ReplicaAssignment a = assignment.get();
    CacheConfigRenderer.Rendered rendered = CacheConfigRenderer.render(profile,
        new CacheConfigRenderer.Target(builderName, endpoint.endpoint(), names.serverName(), a.firstChoicePod()));
    fields.setEndpoint(endpoint.endpoint());
    fields.setAssignedReplica(a.pod());
    fields.setClientSecretName(profile.getSpec().accessRevoked() ? null : names.profileClientSecret(profile.getMetadata().getName()));
    fields.setCacheFrom(rendered.pluginCacheFrom());
    fields.setCacheTo(rendered.pluginCacheTo());
    fields.setAgentConfig(rendered.agentConfig());
    fields.setBuildx(new CacheProfileStatus.BuildxCommands(rendered.buildxCreate(), rendered.buildxBuild()));
    fields.setExternal(external(profile, o.builder().get(), names, a).orElse(null));
    conditions.add(ProfileStatusFactory.assigned(a));
    conditions.add(ProfileStatusFactory.ready(a));
    List<LintFinding> findings = ProfileLintRules.check(profile, rendered.agentConfig());
    conditions.add(ProfileStatusFactory.lintCondition(findings));
    // a profile moved to another builder: its old Service goes
    List<Service> stale = o.services().stream().filter(s -> !s.getMetadata().getName().equals(endpoint.service())).toList();
    return new Routing(Optional.of(ProfileServiceFactory.service(endpoint, a.pod())), stale, assignment, findings);
  }

  /**
   * What agents outside the cluster use, once the builder is exposed and its load balancer has an address: the same
   * step, dialling the load balancer with the profile's own server name, which the gateway routes to this profile's
   * Service (so to the same replica as in-cluster agents).
   */
  Optional<CacheProfileStatus.ExternalAccess> external(CacheProfile profile, BuildkitBuilder builder, BuilderNames names,
      ReplicaAssignment a) {
    String endpoint = builder.getStatus() == null ? null : builder.getStatus().getExternalEndpoint();
    if (builder.getSpec() == null || !builder.getSpec().exposed() || endpoint == null) {
      return Optional.empty();
    }
    String name = profile.getMetadata().getName();
    String namespace = profile.getMetadata().getNamespace();
    String serverName = names.externalServerName(name);
    // outside the cluster one agent holds the bundles of many profiles: each in its own directory
    String certs = BundleHook.directory(CacheConfigRenderer.certsDir(profile.getSpec()), namespace, name);
    CacheConfigRenderer.Rendered rendered = CacheConfigRenderer.render(profile,
        new CacheConfigRenderer.Target(names.name(), endpoint, serverName, a.firstChoicePod(), certs));
    CacheProfileStatus.ExternalAccess access =
        new CacheProfileStatus.ExternalAccess(endpoint, serverName, rendered.agentConfig(), rendered.buildxCreate());
    var secretsManager = builder.getSpec().getExposure().getSecretsManager();
    if (secretsManager != null) {
      String secret = bundleSecrets.name(namespace, names.name(), name);
      access.setClientBundleSecret(secret);
      access.setEnvironmentHook(BundleHook.render(secret, secretsManager.getRegion(), certs) + "\n" + CacheTags.HOOK + "\n");
    }
    return Optional.of(access);
  }

  private static void clearEndpoint(CacheProfileStatus fields) {
    fields.setClientSecretName(null);
    fields.setExternal(null);
    fields.setEndpoint(null);
    fields.setAssignedReplica(null);
    fields.setAgentConfig(null);
    fields.setBuildx(null);
  }

  /**
   * The replicas profiles are routed over: the spec's, when the builder's own validator accepts it; otherwise the
   * replicas last observed on its StatefulSet (status), which an invalid spec never changes. So a bad edit of a
   * builder moves no profile, and fixing it needs nothing more.
   */
  static int routableReplicas(BuildkitBuilder builder) {
    if (builder.getSpec() != null && BuilderSpecValidator.validate(builder).isEmpty()) {
      return builder.getSpec().getReplicas();
    }
    Integer observed = builder.getStatus() == null ? null : builder.getStatus().getReplicas();
    return observed == null ? 0 : Math.max(0, Math.min(observed, RendezvousRouter.MAX_REPLICAS));
  }

  private record GcDecision(Optional<GcStart> start, Duration requeue) {}

  /** Whether a GC run starts now, and how long until the next scheduled one. */
  private GcDecision scheduleGc(Observed o, CacheProfileStatus fields) {
    CacheProfile profile = o.profile();
    Instant now = o.now();
    String requested = profile.getMetadata().getAnnotations() == null ? null
        : profile.getMetadata().getAnnotations().get(GcSchedulePlanner.GC_NOW_ANNOTATION);
    GcSchedulePlanner.Decision decision = GcSchedulePlanner.decide(new GcSchedulePlanner.Input(
        profile.getSpec().getSchedule(),
        Boolean.TRUE.equals(profile.getSpec().getSuspend()),
        // The API server always sets it; an object from elsewhere without one starts its schedule now.
        profile.getMetadata().getCreationTimestamp() == null ? now : Instant.parse(profile.getMetadata().getCreationTimestamp()),
        fields.getLastGc() == null ? null : Instant.parse(fields.getLastGc().getStartTime()),
        requested,
        fields.getLastHandledGcRequest()), now);
    fields.setNextGcTime(decision.nextRun() == null ? null : Conditions.format(decision.nextRun()));
    Optional<GcStart> start = Optional.empty();
    Duration wait = decision.nextRun() == null ? maxRequeue : Duration.between(now, decision.nextRun());
    if (decision.trigger() != null) {
      if (!o.gcRunning()) {
        start = Optional.of(new GcStart(CacheProfileValidator.policy(profile.getSpec()), decision.trigger(),
            decision.trigger() == GcSchedulePlanner.Trigger.REQUEST ? requested : null));
      }
      wait = wait.compareTo(GC_RETRY) < 0 ? wait : GC_RETRY;
    }
    Duration floor = Duration.ofSeconds(1);
    return new GcDecision(start, wait.compareTo(floor) < 0 ? floor : wait.compareTo(maxRequeue) > 0 ? maxRequeue : wait);
  }

  /**
   * A finished GC run is part of what is true: the newest one goes into the status, also when this pass reads a
   * copy of the profile older than the status that already shows it.
   */
  private static void recordFinishedGc(Optional<ProfileGcExecutor.Run> lastRun, CacheProfileStatus stored, CacheProfileStatus fields) {
    lastRun.ifPresent(run -> {
      if (ProfileStatusFactory.newerThanShown(stored, run)) {
        fields.setLastGc(ProfileStatusFactory.lastGc(run));
      }
      // Two requested runs in one second with the same outcome read the same in lastGc; the request is still handled.
      if (run.trigger() == GcSchedulePlanner.Trigger.REQUEST && !ProfileStatusFactory.olderThanShown(stored, run)) {
        fields.setLastHandledGcRequest(run.request());
      }
    });
  }

  /** Lint findings announce themselves, in one Warning that lists them all, when the set of findings changed. */
  private static List<Announcement> lintAnnouncements(CacheProfile profile, List<Conditions.Desired> conditions,
      List<LintFinding> findings) {
    String previous = profile.getStatus() == null ? null
        : Conditions.find(profile.getStatus().getConditions(), ConditionType.LINT_CLEAN).map(c -> c.getMessage()).orElse(null);
    Optional<Conditions.Desired> lint = conditions.stream().filter(c -> c.type() == ConditionType.LINT_CLEAN).findFirst();
    if (findings.isEmpty() || lint.isEmpty() || Objects.equals(previous, lint.get().message())) {
      return List.of();
    }
    return List.of(new Announcement(EventPublisher.Type.Warning, lint.get().reason(), ProfileStatusFactory.lintEventMessage(findings)));
  }
}
