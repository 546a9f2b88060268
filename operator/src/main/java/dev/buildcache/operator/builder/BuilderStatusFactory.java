package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.tls.TlsMaterial;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/** Computes a BuildkitBuilder's status from what was observed. Pure: no client, no clock. */
public final class BuilderStatusFactory {

  private BuilderStatusFactory() {}

  /** Status fields and the conditions to merge, for a valid spec. */
  public record Observed(BuildkitBuilderStatus fields, List<Conditions.Desired> conditions) {}

  /**
   * How many profiles each replica serves: every replica appears, with 0 when it serves none, plus any pod that
   * profiles still report during a scale-down.
   */
  public static Map<String, Integer> profilesPerReplica(BuilderNames names, int replicas, Collection<String> assignedReplicas) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < replicas; i++) {
      counts.put(names.pod(i), 0);
    }
    assignedReplicas.forEach(pod -> counts.merge(pod, 1, Integer::sum));
    return counts;
  }

  /** @param gatewayService the load balancer Service of an exposed builder, as observed */
  public static Observed observe(BuildkitBuilder builder, Optional<StatefulSet> statefulSet, TlsMaterial tls,
      Collection<String> assignedReplicas, Optional<io.fabric8.kubernetes.api.model.Service> gatewayService) {
    BuilderNames names = BuilderNames.of(builder);
    int desired = builder.getSpec().getReplicas();
    StatefulSetStatus sts = statefulSet.map(StatefulSet::getStatus).orElse(null);
    int current = sts == null || sts.getReplicas() == null ? 0 : sts.getReplicas();
    int ready = sts == null || sts.getReadyReplicas() == null ? 0 : sts.getReadyReplicas();
    int updated = sts == null || sts.getUpdatedReplicas() == null ? ready : sts.getUpdatedReplicas();
    boolean revisionPending = sts != null && sts.getUpdateRevision() != null && sts.getCurrentRevision() != null
        && !sts.getUpdateRevision().equals(sts.getCurrentRevision());

    BuildkitBuilderStatus fields = new BuildkitBuilderStatus();
    fields.setReplicas(current);
    fields.setReadyReplicas(ready);
    fields.setSelector(BuilderLabels.selectorString(names.name()));
    fields.setEndpoint(names.endpoint());
    fields.setServerName(names.serverName());
    fields.setClientSecretName(names.clientSecret());
    fields.setProfilesPerReplica(profilesPerReplica(names, desired, assignedReplicas));
    fields.setCertificates(new BuildkitBuilderStatus.CertificatesStatus(
        Conditions.format(tls.authority().notAfter()),
        Conditions.format(tls.server().notAfter()),
        Conditions.format(tls.client().notAfter())));

    Conditions.Desired readyCondition;
    if (desired == 0) {
      readyCondition = new Conditions.Desired(ConditionType.READY, false, Reason.SCALED_TO_ZERO, "scaled to 0 replicas");
    } else if (ready >= desired) {
      readyCondition = new Conditions.Desired(ConditionType.READY, true, Reason.ALL_REPLICAS_READY,
          ready + "/" + desired + " replicas ready at " + names.endpoint());
    } else {
      readyCondition = new Conditions.Desired(ConditionType.READY, false, Reason.REPLICAS_NOT_READY,
          ready + "/" + desired + " replicas ready");
    }
    boolean progressing = ready < desired || current != desired || updated < desired || revisionPending;
    Conditions.Desired progressingCondition = progressing
        ? new Conditions.Desired(ConditionType.PROGRESSING, true, Reason.ROLLING_OUT,
            "rolling out: " + updated + "/" + desired + " updated, " + ready + "/" + desired + " ready")
        : new Conditions.Desired(ConditionType.PROGRESSING, false, Reason.ROLLOUT_COMPLETE, "all replicas run the current configuration");
    Conditions.Desired certificates = new Conditions.Desired(ConditionType.CERTIFICATES_READY, true, Reason.CERTIFICATES_VALID,
        "server certificate valid until " + fields.getCertificates().getServerNotAfter()
            + ", client certificate until " + fields.getCertificates().getClientNotAfter());
    Conditions.Desired degraded = new Conditions.Desired(ConditionType.DEGRADED, false, Reason.AS_EXPECTED, "no problems found");
    Conditions.Desired external = external(builder, gatewayService, fields);
    return new Observed(fields, List.of(readyCondition, progressingCondition, degraded, certificates, external));
  }

  /** The load balancer's address once the cloud has provisioned it (its Service's status), and the condition saying so. */
  static Conditions.Desired external(BuildkitBuilder builder, Optional<io.fabric8.kubernetes.api.model.Service> gateway,
      BuildkitBuilderStatus fields) {
    if (!builder.getSpec().exposed()) {
      return new Conditions.Desired(ConditionType.EXTERNALLY_REACHABLE, false, Reason.CLUSTER_INTERNAL,
          "in-cluster clients only; set spec.exposure.type LoadBalancer for agents outside the cluster");
    }
    Optional<String> host = gateway.map(io.fabric8.kubernetes.api.model.Service::getStatus)
        .map(io.fabric8.kubernetes.api.model.ServiceStatus::getLoadBalancer)
        .map(io.fabric8.kubernetes.api.model.LoadBalancerStatus::getIngress)
        .flatMap(ingress -> ingress.stream()
            .map(i -> i.getHostname() != null && !i.getHostname().isBlank() ? i.getHostname() : i.getIp())
            .filter(h -> h != null && !h.isBlank()).findFirst());
    if (host.isEmpty()) {
      return new Conditions.Desired(ConditionType.EXTERNALLY_REACHABLE, false, Reason.LOAD_BALANCER_PENDING,
          "Service " + BuilderNames.of(builder).gateway() + " has no load balancer address yet; if this lasts, check that a "
              + "load balancer controller (on EKS, the AWS Load Balancer Controller) runs, and the Service's Events");
    }
    String endpoint = "tcp://" + (host.get().contains(":") ? "[" + host.get() + "]" : host.get()) + ":" + BuilderNames.GRPC_PORT;
    fields.setExternalEndpoint(endpoint);
    return new Conditions.Desired(ConditionType.EXTERNALLY_REACHABLE, true, Reason.LOAD_BALANCER_READY,
        "agents outside the cluster connect to " + endpoint + " with servername <profile>." + BuilderNames.of(builder).externalDomain());
  }

  /** Conditions for a spec the operator refuses to act on; owned objects are left as they are. */
  public static List<Conditions.Desired> invalid(String message) {
    return List.of(
        new Conditions.Desired(ConditionType.READY, false, Reason.INVALID_SPEC, message),
        new Conditions.Desired(ConditionType.DEGRADED, true, Reason.INVALID_SPEC, message));
  }

  /** Conditions after a reconcile failed with an error the operator will retry. */
  public static List<Conditions.Desired> failed(String message) {
    return failed(Reason.RECONCILE_ERROR, message);
  }

  public static List<Conditions.Desired> failed(Reason reason, String message) {
    return List.of(new Conditions.Desired(ConditionType.DEGRADED, true, reason, message));
  }
}
