package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.routing.RendezvousRouter;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The profile's decisions without any API server: what used to need an operator, an in-process API and await(). */
class ProfilePlannerTest {
  static final Instant NOW = Instant.parse("2026-03-04T10:00:00Z");
  static final Duration RESYNC = Duration.ofMinutes(10);
  final ProfilePlanner planner = new ProfilePlanner(RESYNC, dev.buildcache.operator.tenancy.RepositoryAccess.any(),
      dev.buildcache.operator.bundles.BundleSecretNames.of(dev.buildcache.operator.bundles.BundleSecretNames.DEFAULT_TEMPLATE));

  static CacheProfile profile(String name) {
    CacheProfile p = TestProfiles.profile(name, s -> {
      s.getRetention().setMaxTotalSize("100Gi");
      s.getRetention().setMaxAge("336h");
      s.getRetention().setProtectTags(List.of("cache-main"));
    });
    p.getMetadata().setCreationTimestamp("2026-03-04T09:00:00Z");
    return p;
  }

  static ProfilePlanner.Observed observed(CacheProfile profile, Optional<BuildkitBuilder> builder, Set<String> ready) {
    return new ProfilePlanner.Observed(profile, builder, ready, List.of(), Optional.empty(), false, NOW, Optional.empty(), List.of());
  }

  static final BuildkitBuilder SHARED = TestBuilders.builder("shared", s -> s.setReplicas(3));
  static final Set<String> ALL_READY = Set.of("shared-0", "shared-1", "shared-2");

  @Test
  void aProfileIsRoutedToItsFirstChoiceThroughItsOwnService() {
    ProfilePlanner.Plan plan = planner.plan(observed(profile("app"), Optional.of(SHARED), ALL_READY));
    String expected = "shared-" + RendezvousRouter.ranking("buildkite/app", 3).get(0);

    assertThat(plan.service()).hasValueSatisfying(s -> {
      assertThat(s.getMetadata().getName()).isEqualTo("shared-app");
      assertThat(s.getSpec().getSelector()).containsEntry(BuilderLabels.POD_NAME_KEY, expected);
    });
    assertThat(plan.status().getEndpoint()).isEqualTo("tcp://shared-app.buildkite.svc:1234");
    assertThat(plan.status().getAssignedReplica()).isEqualTo(expected);
    assertThat(plan.conditions()).extracting(Conditions.Desired::type, Conditions.Desired::reason).contains(
        tuple(ConditionType.VALID, Reason.SPEC_VALID), tuple(ConditionType.BUILDER_ASSIGNED, Reason.ASSIGNED),
        tuple(ConditionType.READY, Reason.AS_EXPECTED), tuple(ConditionType.LINT_CLEAN, Reason.NO_FINDINGS));
    assertThat(plan.gc()).isEmpty();
    assertThat(plan.status().getNextGcTime()).isEqualTo("2026-03-05T03:00:00Z");
    assertThat(plan.requeue()).isEqualTo(RESYNC);
  }

  @Test
  void aProfileMovedToAnotherBuilderDropsItsOldService() {
    Service old = new ServiceBuilder().withNewMetadata().withName("other-app").withNamespace("buildkite").endMetadata().build();
    ProfilePlanner.Plan plan = planner.plan(new ProfilePlanner.Observed(profile("app"), Optional.of(SHARED), ALL_READY,
        List.of(old), Optional.empty(), false, NOW, Optional.empty(), List.of()));
    assertThat(plan.staleServices()).containsExactly(old);
  }

  @Test
  void withoutItsBuilderAProfileHasNoEndpointAndSaysWhatToDo() {
    Service old = new ServiceBuilder().withNewMetadata().withName("shared-app").withNamespace("buildkite").endMetadata().build();
    ProfilePlanner.Plan plan = planner.plan(new ProfilePlanner.Observed(profile("app"), Optional.empty(), Set.of(),
        List.of(old), Optional.empty(), false, NOW, Optional.empty(), List.of()));
    assertThat(plan.service()).isEmpty();
    assertThat(plan.staleServices()).containsExactly(old);
    assertThat(plan.status().getEndpoint()).isNull();
    assertThat(plan.conditions()).filteredOn(c -> c.type() == ConditionType.READY).singleElement().satisfies(c -> {
      assertThat(c.reason()).isEqualTo(Reason.BUILDER_NOT_FOUND);
      assertThat(c.message()).contains("create it, or fix spec.builderRef.name");
    });
  }

  @Test
  void aTakenServiceNameIsAConditionAndNothingIsTouched() {
    ProfilePlanner.Plan plan = planner.plan(observed(profile("app"), Optional.of(SHARED), ALL_READY)
        .withServiceNameTaken("Service buildkite/shared-app exists and is controlled by CacheProfile x; rename one of them"));
    assertThat(plan.service()).isEmpty();
    assertThat(plan.staleServices()).isEmpty();
    assertThat(plan.conditions()).extracting(Conditions.Desired::type, Conditions.Desired::reason).contains(
        tuple(ConditionType.BUILDER_ASSIGNED, Reason.OBJECT_NAME_TAKEN), tuple(ConditionType.READY, Reason.OBJECT_NAME_TAKEN));
  }

  @Test
  void anInvalidSpecTouchesNothingAndRunsNoGc() {
    CacheProfile bad = profile("app");
    bad.getSpec().getRetention().setMaxAge("forever");
    bad.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "1")));
    ProfilePlanner.Plan plan = planner.plan(observed(bad, Optional.of(SHARED), ALL_READY));
    assertThat(plan.valid()).isFalse();
    assertThat(plan.service()).isEmpty();
    assertThat(plan.staleServices()).isEmpty();
    assertThat(plan.gc()).isEmpty();
    assertThat(plan.conditions()).filteredOn(c -> c.type() == ConditionType.VALID).singleElement()
        .satisfies(c -> assertThat(c.message()).contains("spec.retention.maxAge"));
  }

  /** Another namespace's repository, under the default rules: refused before anything reaches the registry. */
  @Test
  void aRepositoryTheNamespaceMayNotUseTouchesNothingAndRunsNoGc() {
    ProfilePlanner tenants = new ProfilePlanner(RESYNC, dev.buildcache.operator.tenancy.RepositoryAccess.byNamespace(),
        dev.buildcache.operator.bundles.BundleSecretNames.of(dev.buildcache.operator.bundles.BundleSecretNames.DEFAULT_TEMPLATE));
    CacheProfile squatter = profile("app");
    squatter.getSpec().setRepository("123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/app-cache");
    squatter.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "1")));
    ProfilePlanner.Plan plan = tenants.plan(observed(squatter, Optional.of(SHARED), ALL_READY));
    assertThat(plan.valid()).isFalse();
    assertThat(plan.gc()).isEmpty();
    assertThat(plan.service()).isEmpty();
    assertThat(plan.conditions()).filteredOn(c -> c.type() == ConditionType.VALID).singleElement().satisfies(c -> {
      assertThat(c.reason()).isEqualTo(Reason.REPOSITORY_NOT_ALLOWED);
      assertThat(c.message()).contains("namespace buildkite may not use 123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/app-cache")
          .contains("*=**/{namespace}/*");
    });
  }

  /** One repository, one profile: the second names the first, and runs no GC on the first one's repository. */
  @Test
  void aSecondProfileOnARepositoryIsAConflictNamingTheOwner() {
    CacheProfile owner = profile("app");
    CacheProfile second = profile("app-nightly");
    second.getSpec().setRepository(owner.getSpec().getRepository());
    second.getMetadata().setCreationTimestamp("2026-03-04T09:30:00Z");
    second.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "1")));
    ProfilePlanner.Plan plan = planner.plan(new ProfilePlanner.Observed(second, Optional.of(SHARED), ALL_READY, List.of(),
        Optional.empty(), false, NOW, Optional.empty(), List.of(owner)));
    assertThat(plan.valid()).isFalse();
    assertThat(plan.gc()).isEmpty();
    assertThat(plan.conditions()).filteredOn(c -> c.type() == ConditionType.VALID).singleElement().satisfies(c -> {
      assertThat(c.reason()).isEqualTo(Reason.REPOSITORY_CONFLICT);
      assertThat(c.message()).contains("belongs to CacheProfile buildkite/app (created first)");
    });
    ProfilePlanner.Plan ownerPlan = planner.plan(new ProfilePlanner.Observed(owner, Optional.of(SHARED), ALL_READY, List.of(),
        Optional.empty(), false, NOW, Optional.empty(), List.of(second)));
    assertThat(ownerPlan.valid()).isTrue();
  }

  @Test
  void aBuilderSpecItsValidatorRefusesRoutesByTheObservedReplicas() {
    BuildkitBuilder broken = TestBuilders.builder("shared", s -> s.setReplicas(1000));
    BuildkitBuilderStatus status = new BuildkitBuilderStatus();
    status.setReplicas(3);
    broken.setStatus(status);
    ProfilePlanner.Plan plan = planner.plan(observed(profile("app"), Optional.of(broken), ALL_READY));
    assertThat(plan.status().getAssignedReplica()).isEqualTo("shared-" + RendezvousRouter.ranking("buildkite/app", 3).get(0));
  }

  @Test
  void aGcRequestStartsOneRunAndIsRecordedAsHandled() {
    CacheProfile requested = profile("app");
    requested.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "1")));
    ProfilePlanner.Plan plan = planner.plan(observed(requested, Optional.of(SHARED), ALL_READY));
    assertThat(plan.gc()).hasValueSatisfying(g -> {
      assertThat(g.trigger()).isEqualTo(GcSchedulePlanner.Trigger.REQUEST);
      assertThat(g.request()).isEqualTo("1");
    });
    assertThat(plan.requeue()).isEqualTo(ProfilePlanner.GC_RETRY);

    // while a run is going, none starts; the pass looks again within a minute
    ProfilePlanner.Plan busy = planner.plan(new ProfilePlanner.Observed(requested, Optional.of(SHARED), ALL_READY, List.of(),
        Optional.empty(), true, NOW, Optional.empty(), List.of()));
    assertThat(busy.gc()).isEmpty();
    assertThat(busy.requeue()).isEqualTo(ProfilePlanner.GC_RETRY);
  }

  /** The loop RbacIT found: a second request answered within the same second by an identical outcome. */
  @Test
  void aRequestAnsweredInTheSameSecondAsTheLastRunIsStillHandled() {
    ProfileGcExecutor.Run first = failedRun("1", NOW.plusMillis(100));
    CacheProfile shown = profile("app");
    shown.setStatus(new dev.buildcache.operator.api.v1alpha1.CacheProfileStatus());
    shown.getStatus().setLastGc(ProfileStatusFactory.lastGc(first));
    shown.getStatus().setLastHandledGcRequest("1");
    shown.getMetadata().setAnnotations(new HashMap<>(Map.of(GcSchedulePlanner.GC_NOW_ANNOTATION, "2")));
    ProfileGcExecutor.Run second = failedRun("2", NOW.plusMillis(600));

    ProfilePlanner.Plan plan = planner.plan(new ProfilePlanner.Observed(shown, Optional.of(SHARED), ALL_READY, List.of(),
        Optional.of(second), false, NOW.plusSeconds(1), Optional.empty(), List.of()));
    assertThat(plan.status().getLastHandledGcRequest()).isEqualTo("2");
    assertThat(plan.gc()).isEmpty();
  }

  static ProfileGcExecutor.Run failedRun(String request, Instant started) {
    return new ProfileGcExecutor.Run(GcSchedulePlanner.Trigger.REQUEST, request, false, started, started.plusMillis(200),
        ProfileGcExecutor.Result.FAILED, "registry unreachable", null, null);
  }
}
