package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.BuildkitdConfigFactory;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.kernel.DesiredHash;
import dev.buildcache.operator.builder.desired.KubernetesVersion;
import dev.buildcache.operator.builder.desired.NetworkPolicyFactory;
import dev.buildcache.operator.builder.desired.PodDisruptionBudgetFactory;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.builder.desired.ServiceFactory;
import dev.buildcache.operator.builder.desired.StatefulSetFactory;
import dev.buildcache.operator.tls.KeyAndCertificate;
import dev.buildcache.operator.tls.TlsMaterial;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The owned objects of a BuildkitBuilder, one dependent each, reconciled in dependency order. */
public final class BuilderDependents {
  static final String TLS_MATERIAL = "buildcache.dev/tls-material";

  private final KubernetesVersion version;

  /** @param version the API server's, which decides how some fields are said (AppArmor) */
  public BuilderDependents(KubernetesVersion version) {
    this.version = version;
  }

  public BuilderDependents() {
    this(KubernetesVersion.CURRENT);
  }

  final TlsSecretDependentResource caSecret = new TlsSecretDependentResource(BuilderNames::caSecret,
      "certificate-authority", tls -> Map.of(
          SecretFactory.CA_CERT, tls.authority().certificatePem(),
          SecretFactory.CA_KEY, tls.authority().keyPem(),
          SecretFactory.TRUST_BUNDLE, tls.trustBundle()));
  final TlsSecretDependentResource serverSecret = new TlsSecretDependentResource(BuilderNames::serverSecret,
      "server-tls", tls -> bundle(tls, tls.server()));
  final TlsSecretDependentResource clientSecret = new TlsSecretDependentResource(BuilderNames::clientSecret,
      "client-tls", tls -> bundle(tls, tls.client()));
  final ConfigMapDependentResource configMap = new ConfigMapDependentResource();
  final ServiceDependentResource service = new ServiceDependentResource();
  final HeadlessServiceDependentResource headlessService = new HeadlessServiceDependentResource();
  final StatefulSetDependentResource statefulSet = new StatefulSetDependentResource(this);
  final PodDisruptionBudgetDependentResource podDisruptionBudget = new PodDisruptionBudgetDependentResource();
  final NetworkPolicyDependentResource networkPolicy = new NetworkPolicyDependentResource();

  /** Secrets first (pods mount them), then config, Services, the StatefulSet, and the policies around it. */
  private List<BuilderDependentResource<?>> inOrder() {
    return List.of(caSecret, serverSecret, clientSecret, configMap, service, headlessService, statefulSet,
        podDisruptionBudget, networkPolicy);
  }

  /** One informer per kind: dependents of the same kind share it and pick their object by name. */
  public List<EventSource<?, BuildkitBuilder>> eventSources(EventSourceContext<BuildkitBuilder> context) {
    InformerEventSource<Secret, BuildkitBuilder> secrets = caSecret.eventSource(context).orElseThrow();
    serverSecret.setEventSource(secrets);
    clientSecret.setEventSource(secrets);
    InformerEventSource<Service, BuildkitBuilder> services = service.eventSource(context).orElseThrow();
    headlessService.setEventSource(services);
    return List.of(secrets, services,
        configMap.eventSource(context).orElseThrow(),
        statefulSet.eventSource(context).orElseThrow(),
        podDisruptionBudget.eventSource(context).orElseThrow(),
        networkPolicy.eventSource(context).orElseThrow());
  }

  public void reconcile(BuildkitBuilder builder, Context<BuildkitBuilder> context, TlsMaterial tls) {
    context.managedWorkflowAndDependentResourceContext().put(TLS_MATERIAL, tls);
    inOrder().forEach(dependent -> dependent.reconcile(builder, context));
  }

  public Optional<StatefulSet> observedStatefulSet(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    return statefulSet.getSecondaryResource(builder, context);
  }

  /** Secrets as stored now, for the certificate planner. */
  public Optional<Secret> storedSecret(BuildkitBuilder builder, Context<BuildkitBuilder> context, String name) {
    BuilderDependentResource<Secret> dependent = switch (name) {
      case "ca" -> caSecret;
      case "server" -> serverSecret;
      default -> clientSecret;
    };
    return dependent.getSecondaryResource(builder, context);
  }

  /** What buildkitd and buildx read: the trust bundle, a certificate and its key. */
  private static Map<String, String> bundle(TlsMaterial tls, KeyAndCertificate identity) {
    return Map.of(SecretFactory.BUNDLE_CA, tls.trustBundle(),
        SecretFactory.BUNDLE_CERT, identity.certificatePem(),
        SecretFactory.BUNDLE_KEY, identity.keyPem());
  }

  static TlsMaterial tls(Context<BuildkitBuilder> context) {
    return context.managedWorkflowAndDependentResourceContext().getMandatory(TLS_MATERIAL, TlsMaterial.class);
  }

  /** Everything mounted into the pods; its digest on the pod template rolls the pods when any of it changes. */
  static String configHash(BuildkitBuilder builder, TlsMaterial tls) {
    return DesiredHash.sha256(BuildkitdConfigFactory.toml(builder), tls.trustBundle(), tls.server().certificatePem());
  }

  /** One of the builder's three TLS Secrets: which one is a name and a rendering of the planned material. */
  static final class TlsSecretDependentResource extends BuilderDependentResource<Secret> {
    private final Function<BuilderNames, String> name;
    private final String component;
    private final Function<TlsMaterial, Map<String, String>> data;

    TlsSecretDependentResource(Function<BuilderNames, String> name, String component,
        Function<TlsMaterial, Map<String, String>> data) {
      super(Secret.class);
      this.name = name;
      this.component = component;
      this.data = data;
    }

    @Override
    protected String objectName(BuilderNames names) { return name.apply(names); }

    @Override
    protected Secret render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      BuilderNames names = BuilderNames.of(builder);
      return SecretFactory.secret(names, objectName(names), component, data.apply(tls(context)));
    }
  }

  static final class ConfigMapDependentResource extends BuilderDependentResource<ConfigMap> {
    ConfigMapDependentResource() { super(ConfigMap.class); }

    @Override
    protected String objectName(BuilderNames names) { return names.configMap(); }

    @Override
    protected ConfigMap render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return BuildkitdConfigFactory.configMap(builder);
    }
  }

  static final class ServiceDependentResource extends BuilderDependentResource<Service> {
    ServiceDependentResource() { super(Service.class); }

    @Override
    protected String objectName(BuilderNames names) { return names.service(); }

    @Override
    protected Service render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return ServiceFactory.clusterIp(builder);
    }
  }

  static final class HeadlessServiceDependentResource extends BuilderDependentResource<Service> {
    HeadlessServiceDependentResource() { super(Service.class); }

    @Override
    protected String objectName(BuilderNames names) { return names.headlessService(); }

    @Override
    protected Service render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return ServiceFactory.headless(builder);
    }
  }

  static final class StatefulSetDependentResource extends BuilderDependentResource<StatefulSet> {
    private final BuilderDependents owner;

    StatefulSetDependentResource(BuilderDependents owner) {
      super(StatefulSet.class);
      this.owner = owner;
    }

    @Override
    protected String objectName(BuilderNames names) { return names.statefulSet(); }

    @Override
    protected StatefulSet render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return StatefulSetFactory.statefulSet(builder, configHash(builder, tls(context)), owner.version);
    }
  }

  static final class PodDisruptionBudgetDependentResource extends BuilderDependentResource<PodDisruptionBudget> {
    PodDisruptionBudgetDependentResource() { super(PodDisruptionBudget.class); }

    @Override
    protected String objectName(BuilderNames names) { return names.podDisruptionBudget(); }

    @Override
    protected PodDisruptionBudget render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return PodDisruptionBudgetFactory.podDisruptionBudget(builder);
    }
  }

  static final class NetworkPolicyDependentResource extends BuilderDependentResource<NetworkPolicy> {
    NetworkPolicyDependentResource() { super(NetworkPolicy.class); }

    @Override
    protected String objectName(BuilderNames names) { return names.networkPolicy(); }

    @Override
    protected NetworkPolicy render(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
      return NetworkPolicyFactory.networkPolicy(builder);
    }
  }
}
