package dev.buildcache.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheProfileStatus implements dev.buildcache.operator.api.status.ConditionedStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;
  @JsonPropertyDescription("The profile's sticky endpoint, tcp://<builder>-<profile>.<namespace>.svc:1234: one builder replica, so its local cache stays warm.")
  private String endpoint;
  @JsonPropertyDescription("The Secret with this profile's own client certificate (ca.pem, cert.pem, key.pem, CN <namespace>/<profile>), "
      + "in the builder's namespace; unset while the access is revoked.")
  private String clientSecretName;
  @JsonPropertyDescription("The builder pod the endpoint leads to now (its home replica, or the next one while that is not ready).")
  private String assignedReplica;
  @JsonPropertyDescription("cache-from entries of the docker-compose plugin, SERVICE:-prefixed: this branch's cache, then the default branch's.")
  private List<String> cacheFrom;
  @JsonPropertyDescription("cache-to entry of the docker-compose plugin, SERVICE:-prefixed (mode=max, image-manifest, OCI media types).")
  private String cacheTo;
  @JsonPropertyDescription("The docker-compose-buildkite-plugin v5 step (YAML) that builds on this profile's endpoint with its cache.")
  private String agentConfig;
  @JsonPropertyDescription("The same, for buildx by hand: the docker buildx create and docker buildx build lines.")
  private BuildxCommands buildx;
  @JsonPropertyDescription("For agents outside the cluster, when the builder is exposed (spec.exposure) and its load balancer "
      + "has an address: where they connect, the server name that routes them to this profile's replica, and their step.")
  private ExternalAccess external;
  @JsonPropertyDescription("The last registry cache GC run: when, what started it, what it found and deleted.")
  private GcRunStatus lastGc;
  @JsonPropertyDescription("When the next scheduled GC run is due (RFC 3339, UTC); unset while suspended or invalid.")
  private String nextGcTime;
  @JsonPropertyDescription("Value of the buildcache.dev/gc-now annotation last acted on; a different value asks for another run.")
  private String lastHandledGcRequest;
  @JsonPropertyDescription("Valid, BuilderAssigned, Ready, LintClean, GcSucceeded, PullTimeUpdateExcluded; each with a reason and a message that says what to do.")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
  public String getEndpoint() { return endpoint; }
  public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
  public String getClientSecretName() { return clientSecretName; }
  public void setClientSecretName(String clientSecretName) { this.clientSecretName = clientSecretName; }
  public String getAssignedReplica() { return assignedReplica; }
  public void setAssignedReplica(String assignedReplica) { this.assignedReplica = assignedReplica; }
  public List<String> getCacheFrom() { return cacheFrom; }
  public void setCacheFrom(List<String> cacheFrom) { this.cacheFrom = cacheFrom; }
  public String getCacheTo() { return cacheTo; }
  public void setCacheTo(String cacheTo) { this.cacheTo = cacheTo; }
  public String getAgentConfig() { return agentConfig; }
  public void setAgentConfig(String agentConfig) { this.agentConfig = agentConfig; }
  public BuildxCommands getBuildx() { return buildx; }
  public void setBuildx(BuildxCommands buildx) { this.buildx = buildx; }
  public ExternalAccess getExternal() { return external; }
  public void setExternal(ExternalAccess external) { this.external = external; }
  public GcRunStatus getLastGc() { return lastGc; }
  public void setLastGc(GcRunStatus lastGc) { this.lastGc = lastGc; }
  public String getNextGcTime() { return nextGcTime; }
  public void setNextGcTime(String nextGcTime) { this.nextGcTime = nextGcTime; }
  public String getLastHandledGcRequest() { return lastHandledGcRequest; }
  public void setLastHandledGcRequest(String lastHandledGcRequest) { this.lastHandledGcRequest = lastHandledGcRequest; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ExternalAccess {
    @JsonPropertyDescription("The builder's load balancer, tcp://<host>:1234, shared by all its profiles.")
    private String endpoint;
    @JsonPropertyDescription("This profile's server name, <profile>.<builder>.<namespace>.buildcache.internal: sent as SNI, it "
        + "routes to this profile's replica; the server certificate covers it. Not resolvable: agents dial the endpoint.")
    private String serverName;
    @JsonPropertyDescription("The docker-compose-buildkite-plugin v5 step for agents outside the cluster.")
    private String agentConfig;
    @JsonPropertyDescription("The docker buildx create line for agents outside the cluster.")
    private String buildxCreate;
    @JsonPropertyDescription("With spec.exposure.secretsManager on the builder: the AWS Secrets Manager secret holding this profile's "
        + "client bundle (JSON: ca.pem, cert.pem, key.pem), kept current by the operator.")
    private String clientBundleSecret;
    @JsonPropertyDescription("With spec.exposure.secretsManager on the builder: the agent environment hook (POSIX sh) that fetches "
        + "the bundle with the instance role into <certsDir>/<namespace>/<profile>, mode 0600, and sets the branch's cache tag.")
    private String environmentHook;

    public ExternalAccess() {}

    public ExternalAccess(String endpoint, String serverName, String agentConfig, String buildxCreate) {
      this.endpoint = endpoint;
      this.serverName = serverName;
      this.agentConfig = agentConfig;
      this.buildxCreate = buildxCreate;
    }

    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public String getServerName() { return serverName; }
    public void setServerName(String serverName) { this.serverName = serverName; }
    public String getAgentConfig() { return agentConfig; }
    public void setAgentConfig(String agentConfig) { this.agentConfig = agentConfig; }
    public String getClientBundleSecret() { return clientBundleSecret; }
    public void setClientBundleSecret(String clientBundleSecret) { this.clientBundleSecret = clientBundleSecret; }
    public String getEnvironmentHook() { return environmentHook; }
    public void setEnvironmentHook(String environmentHook) { this.environmentHook = environmentHook; }
    public String getBuildxCreate() { return buildxCreate; }
    public void setBuildxCreate(String buildxCreate) { this.buildxCreate = buildxCreate; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class GcRunStatus {
    @JsonPropertyDescription("When the run started (RFC 3339, UTC).")
    private String startTime;
    @JsonPropertyDescription("When the run finished (RFC 3339, UTC).")
    private String completionTime;
    @JsonPropertyDescription("Succeeded; PartiallyFailed (some deletions failed); Blocked (something in the repository could "
        + "not be resolved, so nothing was deleted: see message); Failed (the run could not finish).")
    private String result;
    @JsonPropertyDescription("What started the run: Schedule or Request (the buildcache.dev/gc-now annotation).")
    private String trigger;
    @JsonPropertyDescription("One line: the summary, or why the run failed.")
    private String message;
    @JsonPropertyDescription("Whether the run only planned (spec.dryRun): nothing was deleted.")
    private Boolean dryRun;
    @JsonPropertyDescription("Images listed in the repository.")
    private Integer scannedImages;
    @JsonPropertyDescription("Of those, BuildKit cache images under spec.retention.tagPatterns (the only ones the GC may delete).")
    private Integer cacheImages;
    @JsonPropertyDescription("Cache images deleted (or, in a dry run, that would have been).")
    private Integer deletedImages;
    @JsonPropertyDescription("Unique bytes freed: layers no image left in the repository still uses.")
    private Long reclaimedBytes;
    @JsonPropertyDescription("reclaimedBytes for people (binary units, e.g. 38.4 GiB): the Reclaimed column of kubectl get.")
    private String reclaimed;
    @JsonPropertyDescription("Unique cache bytes stored before the run.")
    private Long bytesBefore;
    @JsonPropertyDescription("Unique cache bytes stored after the run.")
    private Long bytesAfter;
    @JsonPropertyDescription("Registry API calls the run made, by operation.")
    private Map<String, Integer> apiCalls;
    @JsonPropertyDescription("Whether the remaining cache fits spec.retention.maxTotalSize; unset without a budget.")
    private Boolean budgetMet;
    @JsonPropertyDescription("Manifests read from the registry in this run; the others were remembered from earlier runs.")
    private Integer manifestsRead;
    @JsonPropertyDescription("ECR: excluded (the GC's role is a pull-time update exclusion), refreshed-by-gc (ECR records the "
        + "GC's manifest reads as pulls) or unknown. Unset for registries that record no pull times.")
    private String pullTimes;
    @JsonPropertyDescription("Why pullTimes says what it says, and for refreshed-by-gc the command that registers the exclusion.")
    private String pullTimesMessage;

    public String getStartTime() { return startTime; }
    public void setStartTime(String startTime) { this.startTime = startTime; }
    public String getCompletionTime() { return completionTime; }
    public void setCompletionTime(String completionTime) { this.completionTime = completionTime; }
    public String getResult() { return result; }
    public void setResult(String result) { this.result = result; }
    public String getTrigger() { return trigger; }
    public void setTrigger(String trigger) { this.trigger = trigger; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public Boolean getDryRun() { return dryRun; }
    public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
    public Integer getScannedImages() { return scannedImages; }
    public void setScannedImages(Integer scannedImages) { this.scannedImages = scannedImages; }
    public Integer getCacheImages() { return cacheImages; }
    public void setCacheImages(Integer cacheImages) { this.cacheImages = cacheImages; }
    public Integer getDeletedImages() { return deletedImages; }
    public void setDeletedImages(Integer deletedImages) { this.deletedImages = deletedImages; }
    public Long getReclaimedBytes() { return reclaimedBytes; }
    public void setReclaimedBytes(Long reclaimedBytes) { this.reclaimedBytes = reclaimedBytes; }
    public String getReclaimed() { return reclaimed; }
    public void setReclaimed(String reclaimed) { this.reclaimed = reclaimed; }
    public Long getBytesBefore() { return bytesBefore; }
    public void setBytesBefore(Long bytesBefore) { this.bytesBefore = bytesBefore; }
    public Long getBytesAfter() { return bytesAfter; }
    public void setBytesAfter(Long bytesAfter) { this.bytesAfter = bytesAfter; }
    public Map<String, Integer> getApiCalls() { return apiCalls; }
    public void setApiCalls(Map<String, Integer> apiCalls) { this.apiCalls = apiCalls; }
    public Boolean getBudgetMet() { return budgetMet; }
    public void setBudgetMet(Boolean budgetMet) { this.budgetMet = budgetMet; }
    public Integer getManifestsRead() { return manifestsRead; }
    public void setManifestsRead(Integer manifestsRead) { this.manifestsRead = manifestsRead; }
    public String getPullTimes() { return pullTimes; }
    public void setPullTimes(String pullTimes) { this.pullTimes = pullTimes; }
    public String getPullTimesMessage() { return pullTimesMessage; }
    public void setPullTimesMessage(String pullTimesMessage) { this.pullTimesMessage = pullTimesMessage; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class BuildxCommands {
    @JsonPropertyDescription("docker buildx create for this profile's endpoint, with the client certificate paths.")
    private String create;
    @JsonPropertyDescription("docker buildx build with this profile's cache-from and cache-to.")
    private String build;

    public BuildxCommands() {}

    public BuildxCommands(String create, String build) {
      this.create = create;
      this.build = build;
    }

    public String getCreate() { return create; }
    public void setCreate(String create) { this.create = create; }
    public String getBuild() { return build; }
    public void setBuild(String build) { this.build = build; }
  }
}
