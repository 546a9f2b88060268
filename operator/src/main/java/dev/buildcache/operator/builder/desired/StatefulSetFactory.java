package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.SchedulingSpec;
import dev.buildcache.operator.units.Durations;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ExecAction;
import io.fabric8.kubernetes.api.model.ExecActionBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The StatefulSet of buildkitd daemons: one PVC each, rootless, exec probes on the local socket, graceful drain. */
public final class StatefulSetFactory {
  public static final String CONTAINER = "buildkitd";
  public static final String STATE_VOLUME = "state";
  public static final String CONFIG_HASH_ANNOTATION = "buildcache.dev/config-hash";
  public static final String SAFE_TO_EVICT_ANNOTATION = "cluster-autoscaler.kubernetes.io/safe-to-evict";
  /** Karpenter ignores safe-to-evict; this is its equivalent (karpenter.sh/do-not-disrupt, Karpenter v1). */
  public static final String DO_NOT_DISRUPT_ANNOTATION = "karpenter.sh/do-not-disrupt";
  /** Time buildkitd gets after the drain gives up, to shut down before SIGKILL. */
  static final long SHUTDOWN_RESERVE_SECONDS = 15;

  private StatefulSetFactory() {}

  /**
   * @param configHash digest of everything mounted into the pods (buildkitd.toml, certificates); a change rolls
   *     the pods, one at a time
   */
  public static StatefulSet statefulSet(BuildkitBuilder builder, String configHash) {
    return statefulSet(builder, configHash, KubernetesVersion.CURRENT);
  }

  /** @param version the API server's: AppArmor is the pod annotation before 1.30, the field from 1.30 */
  public static StatefulSet statefulSet(BuildkitBuilder builder, String configHash, KubernetesVersion version) {
    BuildkitBuilderSpec spec = builder.getSpec();
    BuilderNames names = BuilderNames.of(builder);
    boolean rootless = !Boolean.FALSE.equals(spec.getRootless());
    long graceSeconds = Durations.parse(spec.getDrain().getTerminationGracePeriod()).toSeconds();
    SchedulingSpec scheduling = spec.getScheduling() == null ? new SchedulingSpec() : spec.getScheduling();
    Map<String, String> podLabels = BuilderLabels.common(names.name(), "builder");
    Map<String, String> podAnnotations = new LinkedHashMap<>();
    podAnnotations.put(SAFE_TO_EVICT_ANNOTATION, "false");
    podAnnotations.put(DO_NOT_DISRUPT_ANNOTATION, "true");
    podAnnotations.put(CONFIG_HASH_ANNOTATION, configHash);
    if (rootless && !version.hasAppArmorField()) {
      podAnnotations.put(APPARMOR_ANNOTATION_PREFIX + CONTAINER, "unconfined");
    }

    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName(names.statefulSet())
        .withNamespace(names.namespace())
        .withLabels(BuilderLabels.common(names.name(), "builder"))
        .endMetadata()
        .withNewSpec()
        .withReplicas(spec.getReplicas())
        .withServiceName(names.headlessService())
        // Daemons are independent: start and replace them in parallel, roll them one at a time.
        .withPodManagementPolicy("Parallel")
        .withNewUpdateStrategy().withType("RollingUpdate").endUpdateStrategy()
        .withNewSelector().withMatchLabels(BuilderLabels.selector(names.name())).endSelector()
        .withNewPersistentVolumeClaimRetentionPolicy()
        .withWhenDeleted(Boolean.FALSE.equals(spec.getStorage().getRetainOnDelete()) ? "Delete" : "Retain")
        .withWhenScaled("Retain")
        .endPersistentVolumeClaimRetentionPolicy()
        .withNewTemplate()
        .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
        .withNewSpec()
        .withTerminationGracePeriodSeconds(graceSeconds)
        .withEnableServiceLinks(false)
        .withAutomountServiceAccountToken(false)
        .withSecurityContext(podSecurityContext(rootless))
        .withNodeSelector(scheduling.getNodeSelector())
        .withTolerations(scheduling.getTolerations())
        .withPriorityClassName(scheduling.getPriorityClassName())
        .withAffinity(scheduling.getAffinity() != null ? scheduling.getAffinity() : spreadOverNodes(names.name()))
        .withContainers(container(spec, names, rootless, graceSeconds, version))
        .addNewVolume().withName("config").withNewConfigMap().withName(names.configMap()).endConfigMap().endVolume()
        .addNewVolume().withName("certs").withNewSecret()
        .withSecretName(names.serverSecret())
        .withDefaultMode(0440)
        .addNewItem().withKey("ca.pem").withPath("ca.pem").endItem()
        .addNewItem().withKey("cert.pem").withPath("cert.pem").endItem()
        .addNewItem().withKey("key.pem").withPath("key.pem").endItem()
        .endSecret().endVolume()
        .endSpec()
        .endTemplate()
        .withVolumeClaimTemplates(stateClaim(spec, names))
        .endSpec()
        .build();
  }

  private static Container container(BuildkitBuilderSpec spec, BuilderNames names, boolean rootless, long graceSeconds,
      KubernetesVersion version) {
    BuildkitdPaths paths = BuildkitdPaths.of(rootless);
    List<String> args = new ArrayList<>(List.of("--config", BuildkitdPaths.CONFIG_FILE));
    if (rootless) {
      // Rootless buildkitd cannot create a PID namespace inside an unprivileged pod.
      args.add("--oci-worker-no-process-sandbox");
    }
    ExecAction workers = new ExecActionBuilder()
        .withCommand("buildctl", "--addr", paths.socket(), "debug", "workers")
        .build();
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(spec.getImage())
        .withArgs(args)
        .addNewPort().withName("grpc").withContainerPort(BuilderNames.GRPC_PORT).withProtocol("TCP").endPort()
        .addNewPort().withName("metrics").withContainerPort(BuilderNames.METRICS_PORT).withProtocol("TCP").endPort()
        .withResources(spec.getResources())
        .withReadinessProbe(probe(workers, 5, 10, 3))
        .withLivenessProbe(probe(workers, 30, 20, 6))
        .withNewLifecycle().withNewPreStop().withNewExec()
        .withCommand("/bin/sh", "-c", drainScript(graceSeconds))
        .endExec().endPreStop().endLifecycle()
        .withSecurityContext(containerSecurityContext(rootless, version))
        .addNewVolumeMount().withName(STATE_VOLUME).withMountPath(paths.stateDir()).endVolumeMount()
        .addNewVolumeMount().withName("config").withMountPath(BuildkitdPaths.CONFIG_DIR).withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("certs").withMountPath(BuildkitdPaths.CERTS_DIR).withReadOnly(true).endVolumeMount()
        .build();
  }

  /**
   * buildkitd cuts off running builds on SIGTERM. The pod has already left the Service endpoints when preStop
   * runs, so no new build arrives; wait while any client still holds a connection to the gRPC port (0x04D2 in
   * /proc/net/tcp, state 01 = established), at most until shortly before the grace period ends.
   */
  static String drainScript(long graceSeconds) {
    long budget = Math.max(0, graceSeconds - SHUTDOWN_RESERVE_SECONDS);
    return "end=$(( $(date +%s) + " + budget + " )); "
        + "while [ \"$(date +%s)\" -lt \"$end\" ]; do "
        + "n=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$2 ~ /:04D2$/ && $4 == \"01\"' | wc -l); "
        + "[ \"$n\" -eq 0 ] && exit 0; sleep 5; done; exit 0";
  }

  private static Probe probe(ExecAction exec, int initialDelay, int period, int failureThreshold) {
    return new ProbeBuilder()
        .withExec(exec)
        .withInitialDelaySeconds(initialDelay)
        .withPeriodSeconds(period)
        .withTimeoutSeconds(5)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  private static PodSecurityContext podSecurityContext(boolean rootless) {
    if (!rootless) {
      return null;
    }
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(1000L)
        .withRunAsGroup(1000L)
        .withFsGroup(1000L)
        .withFsGroupChangePolicy("OnRootMismatch")
        .build();
  }

  private static SecurityContext containerSecurityContext(boolean rootless, KubernetesVersion version) {
    if (!rootless) {
      return new SecurityContextBuilder().withPrivileged(true).build();
    }
    // Rootless BuildKit needs user namespaces and mounts that the default seccomp and AppArmor profiles forbid.
    SecurityContextBuilder context = new SecurityContextBuilder()
        .withRunAsUser(1000L)
        .withRunAsGroup(1000L)
        .withNewSeccompProfile().withType("Unconfined").endSeccompProfile();
    if (version.hasAppArmorField()) {
      context.withNewAppArmorProfile().withType("Unconfined").endAppArmorProfile();
    }
    return context.build();
  }

  /** Before 1.30 AppArmor is set per container by annotation; servers that old refuse the field. */
  static final String APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

  private static Affinity spreadOverNodes(String builderName) {
    return new AffinityBuilder()
        .withNewPodAntiAffinity()
        .withPreferredDuringSchedulingIgnoredDuringExecution(new WeightedPodAffinityTermBuilder()
            .withWeight(100)
            .withNewPodAffinityTerm()
            .withTopologyKey("kubernetes.io/hostname")
            .withNewLabelSelector().withMatchLabels(BuilderLabels.selector(builderName)).endLabelSelector()
            .endPodAffinityTerm()
            .build())
        .endPodAntiAffinity()
        .build();
  }

  private static PersistentVolumeClaim stateClaim(BuildkitBuilderSpec spec, BuilderNames names) {
    return new PersistentVolumeClaimBuilder()
        .withNewMetadata()
        .withName(STATE_VOLUME)
        .withLabels(BuilderLabels.common(names.name(), "builder-cache"))
        .endMetadata()
        .withNewSpec()
        .withAccessModes("ReadWriteOnce")
        .withStorageClassName(spec.getStorage().getStorageClassName())
        .withNewResources().addToRequests("storage", new Quantity(spec.getStorage().getSize())).endResources()
        .endSpec()
        .build();
  }
}
