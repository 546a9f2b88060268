package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.builder.desired.BuildkitdConfigFactory;
import dev.buildcache.operator.builder.desired.GatewayFactory;
import dev.buildcache.operator.builder.desired.KubernetesVersion;
import dev.buildcache.operator.builder.desired.NetworkPolicyFactory;
import dev.buildcache.operator.builder.desired.PodDisruptionBudgetFactory;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.builder.desired.ServiceFactory;
import dev.buildcache.operator.builder.desired.StatefulSetFactory;
import dev.buildcache.operator.events.Announcement;
import dev.buildcache.operator.kernel.DesiredHash;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.tls.KeyAndCertificate;
import dev.buildcache.operator.tls.ProfileIdentities;
import dev.buildcache.operator.tls.TlsMaterial;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import dev.buildcache.operator.units.Durations;
import dev.buildcache.operator.validation.FieldError;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A builder's pass as a decision: from what was observed (the builder, its stored TLS Secrets, its StatefulSet, the
 * profiles routed onto it) and the time, the objects it must own, its status and conditions, the Events worth
 * publishing and when to look again. No I/O; certificates are issued by the TLS planner only when its policy says so.
 */
public final class BuilderPlanner {
  static final Duration MIN_REQUEUE = Duration.ofMinutes(1);
  static final Duration DEFAULT_CA_PUBLISH_DELAY = Duration.ofHours(1);

  /** What a pass observed. */
  public record Observed(BuildkitBuilder builder, TlsMaterialPlanner.Stored storedTls, Optional<StatefulSet> statefulSet,
      List<String> assignedReplicas, Optional<io.fabric8.kubernetes.api.model.Service> gatewayService,
      Map<String, ProfileIdentities.Stored> profileClients, List<String> authorizedProfiles) {}

  /**
   * What a pass does: apply {@code objects} in order (none when the spec is invalid: its objects are left alone),
   * publish {@code announcements} once they are applied (they say what applying them did, such as issuing
   * certificates, so they stand whatever the status write does), write {@code status} with {@code conditions},
   * look again after {@code requeue}. {@code tls} is null for an invalid spec.
   */
  public record Plan(List<HasMetadata> objects, List<Removal> removals, BuildkitBuilderStatus status,
      List<Conditions.Desired> conditions, List<Announcement> announcements, Duration requeue, TlsMaterial tls,
      ProfileIdentities profiles) {
    public boolean valid() {
      return tls != null;
    }
  }

  /** An object the builder no longer wants (its gateway, once unexposed): deleted if it exists and the builder controls it. */
  public record Removal(Class<? extends HasMetadata> type, String namespace, String name) {}

  /** The cluster DNS domain unless the operator is told otherwise. */
  public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

  /** The namespace the operator runs in when no other is given: deploy/'s. */
  public static final String DEFAULT_OPERATOR_NAMESPACE = "buildcache-system";

  private final TlsMaterialPlanner tlsPlanner;
  private final KubernetesVersion version;
  private final Clock clock;
  private final Duration maxRequeue;
  private final String operatorNamespace;
  private final String clusterDomain;

  /**
   * @param version the API server's, which decides how some fields are said (AppArmor)
   * @param maxRequeue the resync period: the longest a pass waits before the next one
   * @param operatorNamespace where each builder's CA Secret is kept, out of its tenants' reach
   * @param clusterDomain the cluster's DNS domain, which the gateway resolves profile Services in
   */
  public BuilderPlanner(TlsMaterialPlanner tlsPlanner, KubernetesVersion version, Clock clock, Duration maxRequeue,
      String operatorNamespace, String clusterDomain) {
    this.operatorNamespace = operatorNamespace;
    this.clusterDomain = clusterDomain;
    this.tlsPlanner = tlsPlanner;
    this.version = version;
    this.clock = clock;
    this.maxRequeue = maxRequeue;
  }

  public Plan plan(Observed observed) {
    BuildkitBuilder builder = observed.builder();
    List<FieldError> errors = BuilderSpecValidator.validate(builder);
    if (!errors.isEmpty()) {
      String message = errors.stream().map(Object::toString).collect(Collectors.joining("; "));
      return new Plan(List.of(), List.of(), StatusUpdates.copy(builder.getStatus(), BuildkitBuilderStatus::new),
          BuilderStatusFactory.invalid(message), List.of(), maxRequeue, null, null);
    }
    TlsMaterial tls = tlsPlanner.plan(tlsRequest(builder), observed.storedTls());
    BuilderStatusFactory.Observed status = BuilderStatusFactory.observe(builder, observed.statefulSet(), tls,
        observed.assignedReplicas(), observed.gatewayService());
    List<HasMetadata> objects = new java.util.ArrayList<>(objects(builder, tls, version, operatorNamespace));
    List<Removal> removals = new java.util.ArrayList<>();
    BuilderNames names = BuilderNames.of(builder);
    ProfileIdentities profiles = tlsPlanner.planProfiles(tls,
        Durations.parse(builder.getSpec().getTls().getProfileCertificateDuration()), names.namespace(),
        observed.profileClients(), observed.authorizedProfiles());
    // after the builder's Secrets, before the pods: each profile's own client certificate
    objects.addAll(3, profiles.identities().entrySet().stream()
        .map(e -> SecretFactory.profileClientSecret(names, e.getKey(), bundle(tls, e.getValue()))).toList());
    // a profile deleted, revoked or moved away: its certificate is not renewed, and its Secret goes
    observed.profileClients().keySet().stream().filter(p -> !profiles.identities().containsKey(p))
        .forEach(p -> removals.add(new Removal(io.fabric8.kubernetes.api.model.Secret.class, names.namespace(),
            names.profileClientSecret(p))));
    if (builder.getSpec().exposed()) {
      objects.addAll(GatewayFactory.objects(builder, clusterDomain));
    } else {
      GatewayFactory.names(names).forEach((type, name) -> removals.add(new Removal(type, names.namespace(), name)));
    }
    return new Plan(objects, removals, status.fields(), status.conditions(),
        CertificateEvents.of(names, tls).stream().toList(),
        untilNextChange(profiles.nextChange().filter(p -> p.isBefore(tls.nextChange())).orElse(tls.nextChange())), tls, profiles);
  }

  /** Everything a valid builder owns, in the order it is applied: Secrets (pods mount them), config, Services, pods, policies. */
  static List<HasMetadata> objects(BuildkitBuilder builder, TlsMaterial tls, KubernetesVersion version, String operatorNamespace) {
    BuilderNames names = BuilderNames.of(builder);
    return List.of(
        SecretFactory.secret(names, operatorNamespace, names.caSecret(), "certificate-authority", Map.of(
            SecretFactory.CA_CERT, tls.authority().certificatePem(),
            SecretFactory.CA_KEY, tls.authority().keyPem(),
            SecretFactory.TRUST_BUNDLE, tls.trustBundle())),
        SecretFactory.secret(names, names.serverSecret(), "server-tls", bundle(tls, tls.server())),
        SecretFactory.secret(names, names.clientSecret(), "client-tls", bundle(tls, tls.client())),
        BuildkitdConfigFactory.configMap(builder),
        ServiceFactory.clusterIp(builder),
        ServiceFactory.headless(builder),
        StatefulSetFactory.statefulSet(builder, configHash(builder, tls), version),
        PodDisruptionBudgetFactory.podDisruptionBudget(builder),
        NetworkPolicyFactory.networkPolicy(builder));
  }

  /** What buildkitd and buildx read: the trust bundle, a certificate and its key. */
  private static Map<String, String> bundle(TlsMaterial tls, KeyAndCertificate identity) {
    return Map.of(SecretFactory.BUNDLE_CA, tls.trustBundle(),
        SecretFactory.BUNDLE_CERT, identity.certificatePem(),
        SecretFactory.BUNDLE_KEY, identity.keyPem());
  }

  /** Everything mounted into the pods; its digest on the pod template rolls the pods when any of it changes. */
  static String configHash(BuildkitBuilder builder, TlsMaterial tls) {
    return DesiredHash.sha256(BuildkitdConfigFactory.toml(builder), tls.trustBundle(), tls.server().certificatePem());
  }

  static TlsMaterialPlanner.Request tlsRequest(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    BuildkitBuilderSpec.TlsSpec tls = builder.getSpec().getTls();
    return new TlsMaterialPlanner.Request(
        "buildcache " + names.namespace() + "/" + names.name() + " CA",
        names.serverName(),
        names.serverDnsNames(),
        "buildcache client " + names.namespace() + "/" + names.name(),
        Durations.parse(tls.getCertificateDuration()),
        Durations.parse(tls.getRenewBefore()),
        Durations.parse(tls.getCaDuration()),
        tls.getCaPublishDelay() == null ? DEFAULT_CA_PUBLISH_DELAY : Durations.parse(tls.getCaPublishDelay()));
  }

  /** The next moment a certificate changes (a renewal window opens, leaves switch CA), so it happens on time. */
  private Duration untilNextChange(java.time.Instant next) {
    Duration wait = Duration.between(clock.instant(), next);
    if (wait.compareTo(MIN_REQUEUE) < 0) {
      return MIN_REQUEUE;
    }
    return wait.compareTo(maxRequeue) > 0 ? maxRequeue : wait;
  }
}
