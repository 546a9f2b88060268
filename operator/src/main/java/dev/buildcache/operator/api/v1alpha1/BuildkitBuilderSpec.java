package dev.buildcache.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.registryMirrors) || self.registryMirrors.all(k, size(self.registryMirrors[k]) > 0)",
    message = "registryMirrors: every registry needs at least one mirror")
public class BuildkitBuilderSpec {

  /** The default image; pinned, rootless. Changing it is an operator release. */
  public static final String DEFAULT_IMAGE = "moby/buildkit:v0.23.2-rootless";

  @SpecReplicas
  @Min(0)
  @Max(64)
  @Default("1")
  @JsonPropertyDescription("Number of buildkitd daemons; each has its own PersistentVolumeClaim and warm local cache.")
  private Integer replicas = 1;

  @Default(DEFAULT_IMAGE)
  @Size(min = 1)
  @JsonPropertyDescription("buildkitd image. Use a -rootless tag when rootless is true.")
  private String image = DEFAULT_IMAGE;

  @Default("true")
  @JsonPropertyDescription("Run buildkitd rootless (uid 1000, no privileged container). Strongly recommended.")
  private Boolean rootless = true;

  @JsonPropertyDescription("Compute resources of the buildkitd container (kubectl explain pod.spec.containers.resources).")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Persistent local cache, one PersistentVolumeClaim per replica.")
  private StorageSpec storage = new StorageSpec();

  @JsonPropertyDescription("Local cache garbage collection (BuildKit >= 0.17 names).")
  private LocalGcSpec gc = new LocalGcSpec();

  @Min(1)
  @JsonPropertyDescription("Caps parallel build steps across all builds on one daemon (max-parallelism). Unset: no cap.")
  private Integer maxParallelism;

  @JsonPropertyDescription("Certificate lifetimes. mTLS is always on.")
  private TlsSpec tls = new TlsSpec();

  @JsonPropertyDescription("Which pods may reach the builders; the NetworkPolicy admits only these. Unset: pods of this namespace.")
  private ClientsSpec clients;

  @JsonPropertyDescription("Who may scrape buildkitd's metrics port (6060, which also serves BuildKit's /debug/pprof). "
      + "Unset: the namespace named monitoring and namespaces labelled buildcache.dev/metrics-scraper=true.")
  private MetricsSpec metrics;

  @JsonPropertyDescription("Graceful drain of running builds before a daemon stops.")
  private DrainSpec drain = new DrainSpec();

  @JsonPropertyDescription("Pod placement.")
  private SchedulingSpec scheduling;

  @JsonPropertyDescription("Registry mirrors, by registry host: {\"docker.io\": [\"mirror.example:5000\"]}.")
  private Map<String, List<String>> registryMirrors = new LinkedHashMap<>();

  @JsonPropertyDescription("Who outside the cluster reaches the builders. Unset: in-cluster clients only. LoadBalancer: one "
      + "TCP load balancer and a TLS-passthrough gateway that routes each profile's server name to its sticky endpoint.")
  private ExposureSpec exposure;

  public Integer getReplicas() { return replicas; }
  public void setReplicas(Integer replicas) { this.replicas = replicas; }
  public String getImage() { return image; }
  public void setImage(String image) { this.image = image; }
  public Boolean getRootless() { return rootless; }
  public void setRootless(Boolean rootless) { this.rootless = rootless; }
  public ResourceRequirements getResources() { return resources; }
  public void setResources(ResourceRequirements resources) { this.resources = resources; }
  public StorageSpec getStorage() { return storage; }
  public void setStorage(StorageSpec storage) { this.storage = storage; }
  public LocalGcSpec getGc() { return gc; }
  public void setGc(LocalGcSpec gc) { this.gc = gc; }
  public Integer getMaxParallelism() { return maxParallelism; }
  public void setMaxParallelism(Integer maxParallelism) { this.maxParallelism = maxParallelism; }
  public TlsSpec getTls() { return tls; }
  public void setTls(TlsSpec tls) { this.tls = tls; }
  public ClientsSpec getClients() { return clients; }
  public void setClients(ClientsSpec clients) { this.clients = clients; }
  public MetricsSpec getMetrics() { return metrics; }
  public void setMetrics(MetricsSpec metrics) { this.metrics = metrics; }
  public DrainSpec getDrain() { return drain; }
  public void setDrain(DrainSpec drain) { this.drain = drain; }
  public SchedulingSpec getScheduling() { return scheduling; }
  public void setScheduling(SchedulingSpec scheduling) { this.scheduling = scheduling; }
  public Map<String, List<String>> getRegistryMirrors() { return registryMirrors; }
  public void setRegistryMirrors(Map<String, List<String>> registryMirrors) { this.registryMirrors = registryMirrors; }
  public ExposureSpec getExposure() { return exposure; }
  public void setExposure(ExposureSpec exposure) { this.exposure = exposure; }

  /** Whether agents outside the cluster reach this builder through its gateway. */
  public boolean exposed() {
    return exposure != null && exposure.getType() == ExposureSpec.Type.LoadBalancer;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ExposureSpec {
    public enum Type { ClusterInternal, LoadBalancer }

    /** The gateway's default image: HAProxy's long-term-support branch, which the rendered configuration is tested on. */
    public static final String DEFAULT_GATEWAY_IMAGE = "docker.io/library/haproxy:3.0";

    @Default("ClusterInternal")
    @JsonPropertyDescription("ClusterInternal: only the in-cluster Services. LoadBalancer: also a TCP load balancer in front of "
        + "a TLS-passthrough gateway; each profile is reached by its own server name, and TLS stays end to end.")
    private Type type = Type.ClusterInternal;

    @Default("internal")
    @Pattern("^(internal|internet-facing)$")
    @JsonPropertyDescription("The load balancer's scheme: internal (reachable from the VPC and its peers only) or internet-facing.")
    private String scheme = "internal";

    @JsonPropertyDescription("More annotations of the load balancer Service, e.g. service.beta.kubernetes.io/aws-load-balancer-subnets; "
        + "they are added to the AWS Load Balancer Controller NLB annotations the operator sets.")
    private Map<String, String> serviceAnnotations;

    @Min(1)
    @Max(10)
    @Default("2")
    @JsonPropertyDescription("Gateway pods (HAProxy). Two or more keep the load balancer served while one is replaced.")
    private Integer gatewayReplicas = 2;

    @Default(DEFAULT_GATEWAY_IMAGE)
    @Size(min = 1)
    @JsonPropertyDescription("Gateway image: HAProxy 2.6 or later.")
    private String gatewayImage = DEFAULT_GATEWAY_IMAGE;

    @JsonPropertyDescription("Compute resources of the gateway container. Unset: 50m CPU, 64Mi memory requested, 256Mi limit.")
    private ResourceRequirements gatewayResources;

    @JsonPropertyDescription("Publish each profile's client bundle (ca.pem, cert.pem, key.pem as JSON) to AWS Secrets Manager, "
        + "kept current on every renewal, for agents outside the cluster to fetch with their instance role. Unset: not published.")
    private SecretsManagerSpec secretsManager;

    public Type getType() { return type; }
    public void setType(Type type) { this.type = type; }
    public String getScheme() { return scheme; }
    public void setScheme(String scheme) { this.scheme = scheme; }
    public Map<String, String> getServiceAnnotations() { return serviceAnnotations; }
    public void setServiceAnnotations(Map<String, String> serviceAnnotations) { this.serviceAnnotations = serviceAnnotations; }
    public Integer getGatewayReplicas() { return gatewayReplicas; }
    public void setGatewayReplicas(Integer gatewayReplicas) { this.gatewayReplicas = gatewayReplicas; }
    public String getGatewayImage() { return gatewayImage; }
    public void setGatewayImage(String gatewayImage) { this.gatewayImage = gatewayImage; }
    public ResourceRequirements getGatewayResources() { return gatewayResources; }
    public void setGatewayResources(ResourceRequirements gatewayResources) { this.gatewayResources = gatewayResources; }
    public SecretsManagerSpec getSecretsManager() { return secretsManager; }
    public void setSecretsManager(SecretsManagerSpec secretsManager) { this.secretsManager = secretsManager; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretsManagerSpec {
    @Pattern("^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    @JsonPropertyDescription("AWS region of the secrets, e.g. eu-west-1: the agents' region. Unset: the operator's own (AWS_REGION).")
    private String region;

    @JsonPropertyDescription("KMS key (id, alias or ARN) that encrypts the secrets. Unset: the account's aws/secretsmanager key; "
        + "agents in another account need a customer managed key.")
    private String kmsKeyId;

    public String getRegion() { return region; }
    public void setRegion(String region) { this.region = region; }
    public String getKmsKeyId() { return kmsKeyId; }
    public void setKmsKeyId(String kmsKeyId) { this.kmsKeyId = kmsKeyId; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class StorageSpec {
    @Pattern(ApiGroup.QUANTITY_PATTERN)
    @Default("100Gi")
    @JsonPropertyDescription("Size of each replica's PersistentVolumeClaim, a Kubernetes quantity.")
    private String size = "100Gi";

    @JsonPropertyDescription("StorageClass of the claims. Unset: the cluster default.")
    private String storageClassName;

    @Default("true")
    @JsonPropertyDescription("Keep the claims (and the warm cache) when the builder is deleted.")
    private Boolean retainOnDelete = true;

    public String getSize() { return size; }
    public void setSize(String size) { this.size = size; }
    public String getStorageClassName() { return storageClassName; }
    public void setStorageClassName(String storageClassName) { this.storageClassName = storageClassName; }
    public Boolean getRetainOnDelete() { return retainOnDelete; }
    public void setRetainOnDelete(Boolean retainOnDelete) { this.retainOnDelete = retainOnDelete; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LocalGcSpec {
    @Pattern(ApiGroup.DISK_THRESHOLD_PATTERN)
    @Default("10%")
    @JsonPropertyDescription("Space BuildKit never gives back to GC; a quantity or a percentage of the disk.")
    private String reservedSpace = "10%";

    @Pattern(ApiGroup.DISK_THRESHOLD_PATTERN)
    @Default("80%")
    @JsonPropertyDescription("GC runs when the cache uses more than this; a quantity or a percentage of the disk.")
    private String maxUsedSpace = "80%";

    @Pattern(ApiGroup.DISK_THRESHOLD_PATTERN)
    @Default("15%")
    @JsonPropertyDescription("GC runs when less than this is free on the disk; a quantity or a percentage.")
    private String minFreeSpace = "15%";

    @Pattern(ApiGroup.DURATION_PATTERN)
    @JsonPropertyDescription("Cache records unused for longer are collected first; a Go duration in h, m, s, ms (buildkitd reads it; no d), e.g. 168h.")
    private String keepDuration;

    public String getReservedSpace() { return reservedSpace; }
    public void setReservedSpace(String reservedSpace) { this.reservedSpace = reservedSpace; }
    public String getMaxUsedSpace() { return maxUsedSpace; }
    public void setMaxUsedSpace(String maxUsedSpace) { this.maxUsedSpace = maxUsedSpace; }
    public String getMinFreeSpace() { return minFreeSpace; }
    public void setMinFreeSpace(String minFreeSpace) { this.minFreeSpace = minFreeSpace; }
    public String getKeepDuration() { return keepDuration; }
    public void setKeepDuration(String keepDuration) { this.keepDuration = keepDuration; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "duration(self.renewBefore) < duration(self.certificateDuration)",
      message = "tls.renewBefore must be shorter than tls.certificateDuration")
  @ValidationRule(
      value = "duration(self.certificateDuration) <= duration(self.caDuration)",
      message = "tls.certificateDuration must not exceed tls.caDuration")
  public static class TlsSpec {
    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("2160h")
    @JsonPropertyDescription("Lifetime of the server and client certificates; a duration in h, m, s, ms (no d: CEL compares it), e.g. 2160h.")
    private String certificateDuration = "2160h";

    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("360h")
    @JsonPropertyDescription("Certificates are re-issued this long before they expire; a duration in h, m, s, ms, e.g. 360h.")
    private String renewBefore = "360h";

    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("43800h")
    @JsonPropertyDescription("Lifetime of the builder's own certificate authority; a duration in h, m, s, ms, e.g. 43800h.")
    private String caDuration = "43800h";

    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("1h")
    @JsonPropertyDescription("How long a new CA is in every trust bundle (ca.pem of both Secrets) before the server "
        + "and client certificates switch to it. Agents that copy the client Secret must refresh it at least this often. A duration in h, m, s, ms, e.g. 1h.")
    private String caPublishDelay = "1h";

    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("24h")
    @JsonPropertyDescription("Lifetime of each CacheProfile's own client certificate (Secret <builder>.<profile>.client-tls), "
        + "a duration in h, m, s, ms, re-issued when a third of it is left. Revoking a profile (deleting it, or spec.agent.accessRevoked) stops the "
        + "renewals, so its certificate stops working within this time: buildkitd reads no revocation list. At least 1h.")
    private String profileCertificateDuration = "24h";


    public String getProfileCertificateDuration() { return profileCertificateDuration; }
    public void setProfileCertificateDuration(String profileCertificateDuration) { this.profileCertificateDuration = profileCertificateDuration; }

    public String getCertificateDuration() { return certificateDuration; }
    public void setCertificateDuration(String certificateDuration) { this.certificateDuration = certificateDuration; }
    public String getRenewBefore() { return renewBefore; }
    public void setRenewBefore(String renewBefore) { this.renewBefore = renewBefore; }
    public String getCaDuration() { return caDuration; }
    public void setCaDuration(String caDuration) { this.caDuration = caDuration; }
    public String getCaPublishDelay() { return caPublishDelay; }
    public void setCaPublishDelay(String caPublishDelay) { this.caPublishDelay = caPublishDelay; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ClientsSpec {
    @JsonPropertyDescription("Namespaces whose pods may connect (a Kubernetes label selector). Unset: this namespace only.")
    private io.fabric8.kubernetes.api.model.LabelSelector namespaceSelector;

    @JsonPropertyDescription("Pods that may connect (a Kubernetes label selector). Unset: every pod of the selected namespaces.")
    private io.fabric8.kubernetes.api.model.LabelSelector podSelector;

    @JsonPropertyDescription("Address ranges (CIDR) whose hosts may connect, e.g. the VPC of EC2 agents: the daemons and, with "
        + "spec.exposure.type LoadBalancer, the gateway and the load balancer's source ranges. Required with LoadBalancer.")
    private List<String> ipBlocks;

    public io.fabric8.kubernetes.api.model.LabelSelector getNamespaceSelector() { return namespaceSelector; }
    public void setNamespaceSelector(io.fabric8.kubernetes.api.model.LabelSelector namespaceSelector) { this.namespaceSelector = namespaceSelector; }
    public io.fabric8.kubernetes.api.model.LabelSelector getPodSelector() { return podSelector; }
    public void setPodSelector(io.fabric8.kubernetes.api.model.LabelSelector podSelector) { this.podSelector = podSelector; }
    public List<String> getIpBlocks() { return ipBlocks; }
    public void setIpBlocks(List<String> ipBlocks) { this.ipBlocks = ipBlocks; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MetricsSpec {
    @JsonPropertyDescription("Namespaces whose pods may scrape the metrics port (a Kubernetes label selector), e.g. your "
        + "Prometheus's. Unset: the default of spec.metrics.")
    private io.fabric8.kubernetes.api.model.LabelSelector scrapers;

    public io.fabric8.kubernetes.api.model.LabelSelector getScrapers() { return scrapers; }
    public void setScrapers(io.fabric8.kubernetes.api.model.LabelSelector scrapers) { this.scrapers = scrapers; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class DrainSpec {
    @Pattern(ApiGroup.DURATION_PATTERN)
    @Default("15m")
    @JsonPropertyDescription("How long a stopping daemon waits for running builds before it is killed; a duration in h, m, s, ms, at most 24h.")
    private String terminationGracePeriod = "15m";

    public String getTerminationGracePeriod() { return terminationGracePeriod; }
    public void setTerminationGracePeriod(String terminationGracePeriod) { this.terminationGracePeriod = terminationGracePeriod; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SchedulingSpec {
    @JsonPropertyDescription("Node labels the buildkitd pods require (a pod's nodeSelector).")
    private Map<String, String> nodeSelector;
    @JsonPropertyDescription("Taints the buildkitd pods tolerate (kubectl explain pod.spec.tolerations).")
    private List<io.fabric8.kubernetes.api.model.Toleration> tolerations;
    @JsonPropertyDescription("Replaces the default preferred anti-affinity that spreads replicas over nodes (kubectl explain pod.spec.affinity).")
    private io.fabric8.kubernetes.api.model.Affinity affinity;
    @JsonPropertyDescription("PriorityClass of the buildkitd pods.")
    private String priorityClassName;

    public Map<String, String> getNodeSelector() { return nodeSelector; }
    public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
    public List<io.fabric8.kubernetes.api.model.Toleration> getTolerations() { return tolerations; }
    public void setTolerations(List<io.fabric8.kubernetes.api.model.Toleration> tolerations) { this.tolerations = tolerations; }
    public io.fabric8.kubernetes.api.model.Affinity getAffinity() { return affinity; }
    public void setAffinity(io.fabric8.kubernetes.api.model.Affinity affinity) { this.affinity = affinity; }
    public String getPriorityClassName() { return priorityClassName; }
    public void setPriorityClassName(String priorityClassName) { this.priorityClassName = priorityClassName; }
  }
}
