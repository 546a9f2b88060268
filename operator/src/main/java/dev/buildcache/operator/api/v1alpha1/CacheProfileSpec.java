package dev.buildcache.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "(has(self.registry) && (self.registry.type == 'oci' || has(self.registry.region)))"
        + " || self.repository.matches('^[0-9]{12}\\\\.dkr\\\\.ecr\\\\.[a-z0-9-]+\\\\.amazonaws\\\\.com(\\\\.cn)?/')",
    message = "registry.region is required for ECR unless the repository host names it (<account>.dkr.ecr.<region>.amazonaws.com)")
public class CacheProfileSpec {

  @Required
  @Pattern("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9]+([._/-][a-z0-9]+)*$")
  @JsonPropertyDescription("Cache repository, host[:port]/name, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache.")
  private String repository;

  @JsonPropertyDescription("The registry's API (ECR or any OCI registry) and, for OCI, its credentials and transport.")
  private RegistrySpec registry = new RegistrySpec();

  @Required
  @JsonPropertyDescription("The BuildkitBuilder (same namespace) this repository's builds run on.")
  private BuilderRef builderRef;

  @JsonPropertyDescription("How builds write and read the cache: the branch tag, the default branch's fallback, layer compression.")
  private CacheSpec cache = new CacheSpec();

  @JsonPropertyDescription("How CI agents use this profile: the compose service built and where the builder's client certificates are mounted.")
  private AgentSpec agent = new AgentSpec();

  @JsonPropertyDescription("What the registry cache GC keeps: which tags are cache, which are protected, how old and how large the cache may grow.")
  private RetentionSpec retention = new RetentionSpec();

  @Default("0 3 * * *")
  @JsonPropertyDescription("Cron schedule of the registry cache GC, in UTC.")
  private String schedule = "0 3 * * *";

  @Default("false")
  @JsonPropertyDescription("Plan GC runs and report them, delete nothing.")
  private Boolean dryRun = false;

  @Default("false")
  @JsonPropertyDescription("Skip scheduled GC runs.")
  private Boolean suspend = false;

  public String getRepository() { return repository; }
  public void setRepository(String repository) { this.repository = repository; }
  public RegistrySpec getRegistry() { return registry; }
  public void setRegistry(RegistrySpec registry) { this.registry = registry; }
  public BuilderRef getBuilderRef() { return builderRef; }
  public void setBuilderRef(BuilderRef builderRef) { this.builderRef = builderRef; }
  public CacheSpec getCache() { return cache; }
  public void setCache(CacheSpec cache) { this.cache = cache; }
  public AgentSpec getAgent() { return agent; }

  /** Whether this profile's client certificate is revoked (spec.agent.accessRevoked). */
  public boolean accessRevoked() {
    return agent != null && Boolean.TRUE.equals(agent.getAccessRevoked());
  }
  public void setAgent(AgentSpec agent) { this.agent = agent; }
  public RetentionSpec getRetention() { return retention; }
  public void setRetention(RetentionSpec retention) { this.retention = retention; }
  public String getSchedule() { return schedule; }
  public void setSchedule(String schedule) { this.schedule = schedule; }
  public Boolean getDryRun() { return dryRun; }
  public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
  public Boolean getSuspend() { return suspend; }
  public void setSuspend(Boolean suspend) { this.suspend = suspend; }

  public enum RegistryType {
    @JsonProperty("ecr") ECR,
    @JsonProperty("oci") OCI
  }

  public enum Compression {
    @JsonProperty("uncompressed") UNCOMPRESSED,
    @JsonProperty("gzip") GZIP,
    @JsonProperty("estargz") ESTARGZ,
    @JsonProperty("zstd") ZSTD
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistrySpec {
    @JsonPropertyDescription("ecr: AWS ECR through the AWS API; oci: any registry through the OCI distribution API. "
        + "Unset: ecr for <account>.dkr.ecr.<region>.amazonaws.com repositories, oci for every other host.")
    // An unknown value (an old or bypassed CRD; the API server's enum check refuses it otherwise) reads as null,
    // like an unset type, instead of failing to deserialize.
    @JsonFormat(with = JsonFormat.Feature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
    // Written even when null: JOSDK clones resources through JSON, and an omitted field must come back unset.
    @JsonInclude(JsonInclude.Include.ALWAYS)
    private RegistryType type;
    @Pattern("^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    @JsonPropertyDescription("ECR only: the AWS region. Unset: taken from the repository host.")
    private String region;
    @JsonPropertyDescription("OCI only: a kubernetes.io/dockerconfigjson Secret with credentials for the repository.")
    private String credentialsSecret;
    @Default("false")
    @JsonPropertyDescription("OCI only: plain HTTP instead of HTTPS.")
    private Boolean insecure = false;

    public RegistryType getType() { return type; }
    public void setType(RegistryType type) { this.type = type; }
    public String getRegion() { return region; }
    public void setRegion(String region) { this.region = region; }
    public String getCredentialsSecret() { return credentialsSecret; }
    public void setCredentialsSecret(String credentialsSecret) { this.credentialsSecret = credentialsSecret; }
    public Boolean getInsecure() { return insecure; }
    public void setInsecure(Boolean insecure) { this.insecure = insecure; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class BuilderRef {
    @Required
    @JsonPropertyDescription("Name of the BuildkitBuilder, in the profile's namespace.")
    private String name;

    public BuilderRef() {}

    public BuilderRef(String name) {
      this.name = name;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CacheSpec {
    @Default("cache-{branch}")
    @Pattern("^([A-Za-z0-9_.-]+\\{branch\\}[A-Za-z0-9_.-]*|\\{branch\\}[A-Za-z0-9_.-]+)$")
    @JsonPropertyDescription("Tag of a branch's cache; {branch} plus a literal prefix or suffix, so a cache tag never equals an image tag named after a branch.")
    private String tagTemplate = "cache-{branch}";
    @Default("main")
    @JsonPropertyDescription("Branch whose cache every build imports as a fallback.")
    private String defaultBranch = "main";
    @Default("zstd")
    @JsonPropertyDescription("Compression of the exported cache layers (cache-to compression=).")
    @JsonFormat(with = JsonFormat.Feature.READ_UNKNOWN_ENUM_VALUES_AS_NULL)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    private Compression compression = Compression.ZSTD;

    public String getTagTemplate() { return tagTemplate; }
    public void setTagTemplate(String tagTemplate) { this.tagTemplate = tagTemplate; }
    public String getDefaultBranch() { return defaultBranch; }
    public void setDefaultBranch(String defaultBranch) { this.defaultBranch = defaultBranch; }
    public Compression getCompression() { return compression; }
    public void setCompression(Compression compression) { this.compression = compression; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AgentSpec {
    @Pattern("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
    @JsonPropertyDescription("docker-compose service the plugin builds (the SERVICE: prefix of cache-from/cache-to). Unset: the profile's name.")
    private String service;
    @Pattern("^/.*")
    @Default("/etc/buildcache/certs")
    @JsonPropertyDescription("Absolute path where agents mount the builder's client Secret (ca.pem, cert.pem, key.pem).")
    private String certsDir = "/etc/buildcache/certs";

    @Default("false")
    @JsonPropertyDescription("Revoke this profile's client certificate: the operator deletes its Secret and renews it no more (nor its "
        + "bundle in Secrets Manager), so it stops working within the builder's spec.tls.profileCertificateDuration.")
    private Boolean accessRevoked = false;

    public Boolean getAccessRevoked() { return accessRevoked; }
    public void setAccessRevoked(Boolean accessRevoked) { this.accessRevoked = accessRevoked; }

    public String getService() { return service; }
    public void setService(String service) { this.service = service; }
    public String getCertsDir() { return certsDir; }
    public void setCertsDir(String certsDir) { this.certsDir = certsDir; }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RetentionSpec {
    @Default("[\"cache-*\"]")
    @JsonPropertyDescription("Globs of the tags that are cache. An image with any other tag is never touched.")
    private List<String> tagPatterns = new ArrayList<>(List.of("cache-*"));
    @JsonPropertyDescription("Globs of cache tags that are never deleted.")
    private List<String> protectTags = new ArrayList<>();
    @Pattern(ApiGroup.RETENTION_DURATION_PATTERN)
    @JsonPropertyDescription("Cache unused for this long is deleted (a duration in d, h, m, s, ms, as buildcache gc takes it: "
        + "14d, 336h, 1d12h). ECR: since the last "
        + "push or recorded pull (the GC's own reads never count). OCI registries record neither: since the GC first saw "
        + "the tag at its digest, i.e. not re-pushed for this long; a tag seen for the first time starts its clock.")
    private String maxAge;
    @Pattern(ApiGroup.QUANTITY_PATTERN)
    @JsonPropertyDescription("Budget of unique stored cache bytes; least recently used cache is evicted above it.")
    private String maxTotalSize;
    @Min(0)
    @Default("0")
    @JsonPropertyDescription("The newest N cache images are always kept.")
    private Integer keepLatest = 0;
    @Pattern(ApiGroup.RETENTION_DURATION_PATTERN)
    @Default("1h")
    @JsonPropertyDescription("Nothing younger is ever deleted (protects in-flight builds); a duration in d, h, m, s, ms.")
    private String minAge = "1h";
    @Pattern(ApiGroup.RETENTION_DURATION_PATTERN)
    @JsonPropertyDescription("Untagged cache manifests (left behind by moved tags) older than this are deleted; a duration in d, h, m, s, ms.")
    private String untaggedAfter;

    public List<String> getTagPatterns() { return tagPatterns; }
    public void setTagPatterns(List<String> tagPatterns) { this.tagPatterns = tagPatterns; }
    public List<String> getProtectTags() { return protectTags; }
    public void setProtectTags(List<String> protectTags) { this.protectTags = protectTags; }
    public String getMaxAge() { return maxAge; }
    public void setMaxAge(String maxAge) { this.maxAge = maxAge; }
    public String getMaxTotalSize() { return maxTotalSize; }
    public void setMaxTotalSize(String maxTotalSize) { this.maxTotalSize = maxTotalSize; }
    public Integer getKeepLatest() { return keepLatest; }
    public void setKeepLatest(Integer keepLatest) { this.keepLatest = keepLatest; }
    public String getMinAge() { return minAge; }
    public void setMinAge(String minAge) { this.minAge = minAge; }
    public String getUntaggedAfter() { return untaggedAfter; }
    public void setUntaggedAfter(String untaggedAfter) { this.untaggedAfter = untaggedAfter; }
  }
}
