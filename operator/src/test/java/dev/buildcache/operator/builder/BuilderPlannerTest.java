package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.KubernetesVersion;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.testing.MutableClock;
import dev.buildcache.operator.testing.TestBuilders;
import dev.buildcache.operator.tls.CertificateIssuer;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The builder's decisions without any API server: what used to need an operator, an in-process API and await(). */
class BuilderPlannerTest {
  static final Duration RESYNC = Duration.ofMinutes(10);
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final BuilderPlanner planner = planner(KubernetesVersion.CURRENT);

  BuilderPlanner planner(KubernetesVersion version) {
    return new BuilderPlanner(new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock), version, clock, RESYNC,
        BuilderPlanner.DEFAULT_OPERATOR_NAMESPACE, BuilderPlanner.DEFAULT_CLUSTER_DOMAIN);
  }

  static BuilderPlanner.Observed fresh(BuildkitBuilder builder) {
    return new BuilderPlanner.Observed(builder, TlsMaterialPlanner.Stored.empty(), Optional.empty(), List.of(), Optional.empty(), Map.of(), List.of());
  }

  /** What the next pass reads after this plan was applied. */
  static TlsMaterialPlanner.Stored stored(BuilderPlanner.Plan plan) {
    Secret ca = secret(plan, ".ca");
    Secret server = secret(plan, "-server-tls");
    Secret client = secret(plan, "-client-tls");
    return new TlsMaterialPlanner.Stored(
        plain(ca, SecretFactory.CA_CERT), plain(ca, SecretFactory.CA_KEY), plain(ca, SecretFactory.TRUST_BUNDLE),
        plain(server, SecretFactory.BUNDLE_CERT), plain(server, SecretFactory.BUNDLE_KEY), plain(server, SecretFactory.BUNDLE_CA),
        plain(client, SecretFactory.BUNDLE_CERT), plain(client, SecretFactory.BUNDLE_KEY), plain(client, SecretFactory.BUNDLE_CA));
  }

  static Secret secret(BuilderPlanner.Plan plan, String suffix) {
    return plan.objects().stream().filter(o -> o instanceof Secret && o.getMetadata().getName().endsWith(suffix))
        .map(Secret.class::cast).findFirst().orElseThrow();
  }

  static String plain(Secret secret, String key) {
    String value = secret.getStringData() != null ? secret.getStringData().get(key) : null;
    return value != null ? value : SecretFactory.value(secret, key);
  }

  @Test
  void aNewBuilderGetsEveryObjectInApplyOrderAndOneEvent() {
    BuilderPlanner.Plan plan = planner.plan(fresh(TestBuilders.builder("shared", s -> s.setReplicas(3))));

    assertThat(plan.valid()).isTrue();
    assertThat(plan.objects()).extracting(o -> o.getKind() + "/" + o.getMetadata().getName()).containsExactly(
        "Secret/buildkite.shared.ca", "Secret/shared-server-tls", "Secret/shared-client-tls", "ConfigMap/shared-config",
        "Service/shared", "Service/shared-pods", "StatefulSet/shared", "PodDisruptionBudget/shared", "NetworkPolicy/shared");
    assertThat(plan.objects().get(0).getMetadata().getNamespace()).as("the CA, out of the tenants' namespace")
        .isEqualTo(BuilderPlanner.DEFAULT_OPERATOR_NAMESPACE, BuilderPlanner.DEFAULT_CLUSTER_DOMAIN);
    assertThat(plan.objects().subList(1, plan.objects().size())).allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("buildkite"));
    assertThat(plan.announcements()).singleElement().satisfies(a -> {
      assertThat(a.type()).isEqualTo(EventPublisher.Type.Normal);
      assertThat(a.reason()).isEqualTo(Reason.CERTIFICATES_ISSUED);
    });
    assertThat(plan.conditions()).extracting(Conditions.Desired::reason)
        .contains(Reason.REPLICAS_NOT_READY, Reason.ROLLING_OUT, Reason.AS_EXPECTED, Reason.CERTIFICATES_VALID);
    assertThat(plan.status().getEndpoint()).isEqualTo("tcp://shared.buildkite.svc:1234");
  }

  @Test
  void theNextPassOverWhatWasAppliedPlansTheSameObjectsAndIssuesNothing() {
    BuildkitBuilder builder = TestBuilders.builder("shared");
    BuilderPlanner.Plan first = planner.plan(fresh(builder));
    clock.advance(Duration.ofMinutes(30));
    BuilderPlanner.Plan second = planner.plan(new BuilderPlanner.Observed(builder, stored(first), Optional.empty(), List.of(), Optional.empty(), Map.of(), List.of()));

    assertThat(second.announcements()).isEmpty();
    assertThat(second.objects()).isEqualTo(first.objects());
  }

  @Test
  void anInvalidSpecPlansNoObjectsAndSaysWhy() {
    BuilderPlanner.Plan plan = planner.plan(fresh(TestBuilders.builder("shared", s -> s.setReplicas(1000))));
    assertThat(plan.valid()).isFalse();
    assertThat(plan.objects()).isEmpty();
    assertThat(plan.conditions()).extracting(Conditions.Desired::type, Conditions.Desired::reason).containsExactly(
        org.assertj.core.groups.Tuple.tuple(ConditionType.READY, Reason.INVALID_SPEC),
        org.assertj.core.groups.Tuple.tuple(ConditionType.DEGRADED, Reason.INVALID_SPEC));
    assertThat(plan.conditions().get(0).message()).contains("spec.replicas");
  }

  @Test
  void theNextPassIsAtTheNextRenewalWindowCappedAtTheResyncPeriod() {
    BuilderPlanner.Plan plan = planner.plan(fresh(TestBuilders.builder("shared")));
    assertThat(plan.requeue()).isEqualTo(RESYNC);
    BuilderPlanner longResync = new BuilderPlanner(new TlsMaterialPlanner(new CertificateIssuer(clock, new SecureRandom()), clock),
        KubernetesVersion.CURRENT, clock, Duration.ofDays(365), BuilderPlanner.DEFAULT_OPERATOR_NAMESPACE, BuilderPlanner.DEFAULT_CLUSTER_DOMAIN);
    // default certificates: 2160h, renewed 360h before they expire
    assertThat(longResync.plan(fresh(TestBuilders.builder("shared"))).requeue()).isEqualTo(Duration.ofHours(1800));
  }

  @Test
  void kubernetes128GetsAppArmorAsTheAnnotation() {
    BuilderPlanner.Plan plan = planner(KubernetesVersion.parse("1", "28")).plan(fresh(TestBuilders.builder("shared")));
    StatefulSet sts = plan.objects().stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast).findFirst().orElseThrow();
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("container.apparmor.security.beta.kubernetes.io/buildkitd", "unconfined");
  }

  @Test
  void readinessComesFromTheObservedStatefulSetAndProfilesAreCountedPerReplica() {
    BuildkitBuilder builder = TestBuilders.builder("shared", s -> s.setReplicas(2));
    StatefulSet observed = new StatefulSetBuilder().withNewMetadata().withName("shared").endMetadata()
        .withNewStatus().withReplicas(2).withReadyReplicas(2).withUpdatedReplicas(2).endStatus().build();
    BuilderPlanner.Plan plan = planner.plan(new BuilderPlanner.Observed(builder, TlsMaterialPlanner.Stored.empty(),
        Optional.of(observed), List.of("shared-1", "shared-1", "shared-0"), Optional.empty(), Map.of(), List.of()));
    assertThat(plan.conditions()).extracting(Conditions.Desired::reason).contains(Reason.ALL_REPLICAS_READY, Reason.ROLLOUT_COMPLETE);
    assertThat(plan.status().getProfilesPerReplica()).containsEntry("shared-0", 1).containsEntry("shared-1", 2);
  }

  @Test
  void anExposedBuilderOwnsAGatewayAndOneNoLongerExposedRemovesIt() {
    BuildkitBuilder exposed = TestBuilders.exposed("shared", s -> {});
    BuilderPlanner.Plan plan = planner.plan(fresh(exposed));
    assertThat(plan.objects()).extracting(o -> o.getMetadata().getName()).contains("shared-gateway");
    assertThat(plan.removals()).isEmpty();
    assertThat(plan.conditions()).anySatisfy(c -> assertThat(c.reason()).isEqualTo(Reason.LOAD_BALANCER_PENDING));
    assertThat(plan.status().getExternalEndpoint()).isNull();

    io.fabric8.kubernetes.api.model.Service lb = new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata()
        .withName("shared-gateway").endMetadata().withNewStatus().withNewLoadBalancer().addNewIngress()
        .withHostname("k8s-buildkit-shared-0123.elb.eu-west-1.amazonaws.com").endIngress().endLoadBalancer().endStatus().build();
    BuilderPlanner.Plan provisioned = planner.plan(new BuilderPlanner.Observed(exposed, stored(plan), Optional.empty(), List.of(),
        Optional.of(lb), Map.of(), List.of()));
    assertThat(provisioned.status().getExternalEndpoint()).isEqualTo("tcp://k8s-buildkit-shared-0123.elb.eu-west-1.amazonaws.com:1234");
    assertThat(provisioned.conditions()).anySatisfy(c -> assertThat(c.reason()).isEqualTo(Reason.LOAD_BALANCER_READY));

    BuilderPlanner.Plan internal = planner.plan(fresh(TestBuilders.builder("shared")));
    assertThat(internal.objects()).extracting(o -> o.getMetadata().getName()).doesNotContain("shared-gateway");
    assertThat(internal.removals()).extracting(BuilderPlanner.Removal::name).containsOnly("shared-gateway");
    assertThat(internal.removals()).hasSize(5);
    assertThat(internal.status().getExternalEndpoint()).isNull();
    assertThat(internal.conditions()).anySatisfy(c -> assertThat(c.reason()).isEqualTo(Reason.CLUSTER_INTERNAL));
  }
}
