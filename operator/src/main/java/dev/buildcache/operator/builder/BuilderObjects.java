package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.kernel.OwnedKind;
import dev.buildcache.operator.kernel.OwnedObjectApplier;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kinds of object a BuildkitBuilder owns, one informer each: what a pass observes of them (the stored TLS
 * material, the StatefulSet's status) and how the planned objects are applied, in the order the plan lists them.
 */
final class BuilderObjects {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BuilderObjects.class);

  private final OwnedKind<Secret, BuildkitBuilder> secrets = kind(Secret.class);
  private final OwnedKind<ConfigMap, BuildkitBuilder> configMaps = kind(ConfigMap.class);
  private final OwnedKind<Service, BuildkitBuilder> services = kind(Service.class);
  private final OwnedKind<StatefulSet, BuildkitBuilder> statefulSets = kind(StatefulSet.class);
  private final OwnedKind<PodDisruptionBudget, BuildkitBuilder> disruptionBudgets = kind(PodDisruptionBudget.class);
  private final OwnedKind<NetworkPolicy, BuildkitBuilder> networkPolicies = kind(NetworkPolicy.class);
  private final OwnedKind<Deployment, BuildkitBuilder> deployments = kind(Deployment.class);
  private final Map<Class<?>, OwnedKind<?, BuildkitBuilder>> byType = Map.of(
      Secret.class, secrets, ConfigMap.class, configMaps, Service.class, services, StatefulSet.class, statefulSets,
      PodDisruptionBudget.class, disruptionBudgets, NetworkPolicy.class, networkPolicies, Deployment.class, deployments);
  /** Each builder's CA, in the operator's namespace (out of its tenants' reach), owned by labels. */
  private final OwnedKind<Secret, BuildkitBuilder> caSecrets;
  private final String operatorNamespace;
  private final OwnedObjectApplier applier;

  BuilderObjects(String fieldManager, String operatorNamespace) {
    this.applier = new OwnedObjectApplier(fieldManager);
    this.operatorNamespace = operatorNamespace;
    this.caSecrets = OwnedKind.inNamespace(Secret.class, BuildkitBuilder.class,
        BuilderLabels.MANAGED_BY + "," + BuilderLabels.COMPONENT_KEY + "=certificate-authority", operatorNamespace);
  }

  private static <R extends HasMetadata> OwnedKind<R, BuildkitBuilder> kind(Class<R> type) {
    return new OwnedKind<>(type, BuildkitBuilder.class, BuilderLabels.MANAGED_BY);
  }

  List<EventSource<?, BuildkitBuilder>> eventSources(EventSourceContext<BuildkitBuilder> context) {
    return List.of(secrets.eventSource(context), caSecrets.eventSource(context), configMaps.eventSource(context),
        services.eventSource(context), statefulSets.eventSource(context), disruptionBudgets.eventSource(context),
        networkPolicies.eventSource(context), deployments.eventSource(context));
  }

  /**
   * The three TLS Secrets as stored now, for the certificate planner. A CA still where versions before 0.2 kept it
   * (in the builder's namespace) is read from there until it has been moved: never lose a CA.
   */
  TlsMaterialPlanner.Stored storedTls(BuilderNames names) {
    Secret ca = caSecrets.observed(operatorNamespace, names.caSecret())
        .orElseGet(() -> legacyCa(names).orElse(null));
    Secret server = secrets.observed(names.namespace(), names.serverSecret()).orElse(null);
    Secret client = secrets.observed(names.namespace(), names.clientSecret()).orElse(null);
    return new TlsMaterialPlanner.Stored(
        SecretFactory.value(ca, SecretFactory.CA_CERT), SecretFactory.value(ca, SecretFactory.CA_KEY),
        SecretFactory.value(ca, SecretFactory.TRUST_BUNDLE),
        SecretFactory.value(server, SecretFactory.BUNDLE_CERT), SecretFactory.value(server, SecretFactory.BUNDLE_KEY),
        SecretFactory.value(server, SecretFactory.BUNDLE_CA),
        SecretFactory.value(client, SecretFactory.BUNDLE_CERT), SecretFactory.value(client, SecretFactory.BUNDLE_KEY),
        SecretFactory.value(client, SecretFactory.BUNDLE_CA));
  }

  private Optional<Secret> legacyCa(BuilderNames names) {
    return secrets.observed(names.namespace(), names.legacyCaSecret());
  }

  /** The profile client Secrets this builder keeps, by profile, as stored. */
  java.util.Map<String, dev.buildcache.operator.tls.ProfileIdentities.Stored> profileClients(BuildkitBuilder builder) {
    java.util.Map<String, dev.buildcache.operator.tls.ProfileIdentities.Stored> out = new java.util.TreeMap<>();
    for (Secret secret : secrets.ownedBy(builder)) {
      Map<String, String> labels = secret.getMetadata().getLabels();
      if (labels != null && SecretFactory.PROFILE_CLIENT_COMPONENT.equals(labels.get(BuilderLabels.COMPONENT_KEY))
          && labels.get(SecretFactory.PROFILE_LABEL) != null) {
        out.put(labels.get(SecretFactory.PROFILE_LABEL), new dev.buildcache.operator.tls.ProfileIdentities.Stored(
            SecretFactory.value(secret, SecretFactory.BUNDLE_CERT), SecretFactory.value(secret, SecretFactory.BUNDLE_KEY)));
      }
    }
    return out;
  }

  Optional<StatefulSet> statefulSet(BuilderNames names) {
    return statefulSets.observed(names.namespace(), names.statefulSet());
  }

  /** The gateway's load balancer Service, whose status carries the load balancer's address. */
  Optional<Service> gatewayService(BuilderNames names) {
    return services.observed(names.namespace(), names.gateway());
  }

  /** Deletes what the plan no longer wants, when it exists and this builder controls it; anyone else's stays. */
  void remove(BuildkitBuilder builder, List<BuilderPlanner.Removal> removals, KubernetesClient client) {
    for (BuilderPlanner.Removal removal : removals) {
      OwnedKind<?, BuildkitBuilder> kind = byType.get(removal.type());
      if (kind == null) {
        throw new IllegalArgumentException("a builder does not own " + removal.type().getSimpleName() + " objects");
      }
      kind.observed(removal.namespace(), removal.name())
          .filter(object -> dev.buildcache.operator.kernel.ControllerReference.controls(builder, object))
          .ifPresent(object -> applier.delete(object, client));
    }
  }

  /**
   * Applies every planned object in order; the first failure stops the pass (the objects before it are in place).
   * Once the CA is stored in the operator's namespace, the copy an earlier version kept in the builder's is deleted.
   */
  void apply(BuildkitBuilder builder, List<HasMetadata> objects, KubernetesClient client) {
    for (HasMetadata object : objects) {
      applyOne(builder, object, client);
    }
    BuilderNames names = BuilderNames.of(builder);
    if (!objects.isEmpty() && caSecrets.observed(operatorNamespace, names.caSecret()).isPresent()) {
      legacyCa(names).filter(legacy -> dev.buildcache.operator.kernel.ControllerReference.controls(builder, legacy))
          .ifPresent(legacy -> applier.delete(legacy, client));
    }
  }

  /**
   * Deletes the CA Secrets of builders that no longer exist (no owner reference can do it across namespaces).
   * {@code exists} answers for the builders this operator watches; CAs of builders in namespaces it does not watch
   * ({@code watched} says which) are never touched, and the API server confirms the builder is gone (404) before its
   * CA is deleted: a CA is deleted only when its builder is known to be gone, never because a cache missed it. An API
   * error keeps the CA for the next round and fails no builder's pass: this is housekeeping.
   */
  void deleteOrphanedCas(java.util.function.Predicate<io.javaoperatorsdk.operator.processing.event.ResourceID> exists,
      java.util.function.Predicate<String> watched, KubernetesClient client) {
    caSecrets.all().forEach(ca -> {
      java.util.Map<String, String> labels = ca.getMetadata().getLabels();
      String namespace = labels.get(OwnedKind.OWNER_NAMESPACE);
      String name = labels.get(OwnedKind.OWNER_NAME);
      if (namespace == null || name == null || !watched.test(namespace)
          || exists.test(new io.javaoperatorsdk.operator.processing.event.ResourceID(name, namespace))) {
        return;
      }
      try {
        if (client.resources(BuildkitBuilder.class).inNamespace(namespace).withName(name).get() == null) {
          applier.delete(ca, client);
        }
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        LOG.warn("could not confirm that BuildkitBuilder {}/{} is gone, so its CA Secret {} stays until the next round: {}",
            namespace, name, ca.getMetadata().getName(), dev.buildcache.operator.kernel.Failures.oneLine(e));
      }
    });
  }

  @SuppressWarnings("unchecked")
  private <R extends HasMetadata> void applyOne(BuildkitBuilder builder, R object, KubernetesClient client) {
    boolean ca = object instanceof Secret && BuilderNames.of(builder).caSecret().equals(object.getMetadata().getName());
    OwnedKind<R, BuildkitBuilder> kind = (OwnedKind<R, BuildkitBuilder>) (ca ? caSecrets : byType.get(object.getClass()));
    if (kind == null) {
      throw new IllegalArgumentException("a builder does not own " + object.getKind() + " objects");
    }
    applier.apply(builder, object, kind, client);
  }
}
