package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.builder.desired.NetworkPolicyFactory;
import dev.buildcache.operator.profile.CacheConfigRenderer;
import dev.buildcache.operator.profile.CacheTags;
import dev.buildcache.operator.testing.Kustomize;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/agent-stack-k8s/values.yaml, read as agent-stack-k8s does (its scheduler copies {@code default-metadata} labels
 * onto the Job's pod template, and merges {@code pod-spec-patch} into the PodSpec by container name), against what
 * the operator renders for deploy/samples: the job pods' labels pass the builder's NetworkPolicy, the client Secret is
 * mounted where the profile's rendered driver-opt reads it, and the hooks ConfigMap carries the hook the Java tag
 * mapping is pinned to.
 */
class AgentStackK8sValuesTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Path DIR = Kustomize.DEPLOY.resolve("agent-stack-k8s");
  /** The namespace the chart and its jobs run in, as in the values' comment. */
  static final String JOBS_NAMESPACE = "buildkite";

  static BuildkitBuilder sampleBuilder() throws Exception {
    return Serialization.unmarshal(Files.readString(Kustomize.DEPLOY.resolve("samples/buildkitbuilder.yaml")), BuildkitBuilder.class);
  }

  static JsonNode values() throws Exception {
    return YAML.readTree(DIR.resolve("values.yaml").toFile()).path("config");
  }

  /** A job pod's labels as the controller sets them: default-metadata, plus its own job label. */
  static Map<String, String> jobPodLabels(JsonNode config) {
    Map<String, String> labels = new HashMap<>();
    config.path("default-metadata").path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    labels.put("buildkite.com/job-uuid", "0190d2a6-0000-0000-0000-000000000000");
    return labels;
  }

  @Test
  void jobPodsAreAdmittedByTheBuildersNetworkPolicyAndOthersAreNot() throws Exception {
    NetworkPolicy policy = NetworkPolicyFactory.networkPolicy(sampleBuilder());
    NetworkPolicyIngressRule grpc = policy.getSpec().getIngress().stream()
        .filter(r -> r.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == BuilderNames.GRPC_PORT)).findFirst().orElseThrow();
    Map<String, String> namespaceLabels = Map.of("kubernetes.io/metadata.name", JOBS_NAMESPACE);

    assertThat(admits(grpc, policy.getMetadata().getNamespace(), JOBS_NAMESPACE, namespaceLabels, jobPodLabels(values()))).isTrue();
    Map<String, String> unlabelled = new HashMap<>(Map.of("buildkite.com/job-uuid", "x"));
    assertThat(admits(grpc, policy.getMetadata().getNamespace(), JOBS_NAMESPACE, namespaceLabels, unlabelled))
        .as("a pod without the label must be refused, or this test proves nothing").isFalse();
    assertThat(values().path("pod-spec-patch").has("metadata"))
        .as("labels under pod-spec-patch land nowhere: the controller patches the PodSpec only").isFalse();
  }

  @Test
  void theClientSecretIsMountedWhereTheRenderedDriverOptReadsIt() throws Exception {
    JsonNode patch = values().path("pod-spec-patch");
    BuildkitBuilder builder = sampleBuilder();
    JsonNode volume = patch.path("volumes").get(0);
    assertThat(volume.path("secret").path("secretName").asText()).isEqualTo(BuilderNames.of(builder).clientSecret());
    JsonNode mount = patch.path("containers").get(0).path("volumeMounts").get(0);
    assertThat(mount.path("name").asText()).isEqualTo(volume.path("name").asText());
    assertThat(patch.path("containers").get(0).path("name").asText()).isEqualTo("container-0");

    CacheProfile profile = Serialization.unmarshal(Files.readString(Kustomize.DEPLOY.resolve("samples/cacheprofile-ecr.yaml")),
        CacheProfile.class);
    String rendered = CacheConfigRenderer.render(profile, new CacheConfigRenderer.Target("shared",
        "tcp://shared-app.buildkite.svc:1234", BuilderNames.of(builder).serverName(), "shared-0")).agentConfig();
    assertThat(rendered).contains("cacert=" + mount.path("mountPath").asText() + "/ca.pem");
  }

  @Test
  void theHooksConfigMapCarriesTheHookTheJavaMappingIsPinnedTo() throws Exception {
    Path hook = DIR.resolve("hooks/environment");
    String expected = "#!/bin/sh\n" + CacheTags.HOOK + "\n";
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(hook, expected);
    }
    assertThat(Files.readString(hook)).as("deploy/agent-stack-k8s/hooks/environment (regenerate with -Dgolden.update=true)")
        .isEqualTo(expected);
    JsonNode hooksVolume = values().path("agent-config").path("hooksVolume");
    JsonNode kustomization = YAML.readTree(DIR.resolve("kustomization.yaml").toFile());
    assertThat(hooksVolume.path("configMap").path("name").asText())
        .isEqualTo(kustomization.path("configMapGenerator").get(0).path("name").asText());
    assertThat(hooksVolume.path("configMap").path("defaultMode").asInt()).as("hooks must be executable").isEqualTo(0755);
    assertThat(kustomization.path("generatorOptions").path("disableNameSuffixHash").asBoolean())
        .as("the values name the ConfigMap without kustomize's hash suffix").isTrue();
  }

  /** NetworkPolicy semantics for one ingress rule: any peer admits the pod (ipBlocks never match a pod here). */
  static boolean admits(NetworkPolicyIngressRule rule, String policyNamespace, String podNamespace, Map<String, String> namespaceLabels,
      Map<String, String> podLabels) {
    for (NetworkPolicyPeer peer : rule.getFrom()) {
      if (peer.getIpBlock() != null) {
        continue;
      }
      boolean namespaceMatches = peer.getNamespaceSelector() == null ? policyNamespace.equals(podNamespace)
          : matches(peer.getNamespaceSelector(), namespaceLabels);
      boolean podMatches = peer.getPodSelector() == null || matches(peer.getPodSelector(), podLabels);
      if (namespaceMatches && podMatches) {
        return true;
      }
    }
    return false;
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = labels.get(r.getKey());
        boolean ok = switch (r.getOperator()) {
          case "In" -> value != null && r.getValues().contains(value);
          case "NotIn" -> value == null || !r.getValues().contains(value);
          case "Exists" -> value != null;
          case "DoesNotExist" -> value == null;
          default -> throw new IllegalArgumentException("unknown operator " + r.getOperator());
        };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
