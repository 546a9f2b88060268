package dev.buildcache.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class BuildkitBuilderStatus implements dev.buildcache.operator.api.status.ConditionedStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;
  @StatusReplicas
  @JsonPropertyDescription("buildkitd pods the StatefulSet runs.")
  private Integer replicas;
  @JsonPropertyDescription("Of those, ready to build.")
  private Integer readyReplicas;
  @LabelSelector
  @JsonPropertyDescription("Label selector of the builder pods (scale subresource).")
  private String selector;
  @JsonPropertyDescription("Address for buildx's remote driver; the Service balances over all replicas.")
  private String endpoint;
  @JsonPropertyDescription("Name the server certificate is issued for; pass it as the remote driver's servername.")
  private String serverName;
  @JsonPropertyDescription("With spec.exposure.type LoadBalancer, the load balancer's address for agents outside the cluster, "
      + "tcp://<host>:1234, once the cloud has provisioned it; each profile is reached there by its own server name.")
  private String externalEndpoint;
  @JsonPropertyDescription("Secret with ca.pem, cert.pem and key.pem for CI agents.")
  private String clientSecretName;
  @JsonPropertyDescription("When the builder's certificates expire; the operator renews them before spec.tls.renewBefore.")
  private CertificatesStatus certificates;
  @JsonPropertyDescription("How many CacheProfiles each replica's sticky endpoint serves, by pod name.")
  private Map<String, Integer> profilesPerReplica;
  @JsonPropertyDescription("Ready, Progressing, Degraded, CertificatesReady; each with a reason and a message that says what to do.")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
  public Integer getReplicas() { return replicas; }
  public void setReplicas(Integer replicas) { this.replicas = replicas; }
  public Integer getReadyReplicas() { return readyReplicas; }
  public void setReadyReplicas(Integer readyReplicas) { this.readyReplicas = readyReplicas; }
  public String getSelector() { return selector; }
  public void setSelector(String selector) { this.selector = selector; }
  public String getEndpoint() { return endpoint; }
  public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
  public String getServerName() { return serverName; }
  public void setServerName(String serverName) { this.serverName = serverName; }
  public String getExternalEndpoint() { return externalEndpoint; }
  public void setExternalEndpoint(String externalEndpoint) { this.externalEndpoint = externalEndpoint; }
  public String getClientSecretName() { return clientSecretName; }
  public void setClientSecretName(String clientSecretName) { this.clientSecretName = clientSecretName; }
  public CertificatesStatus getCertificates() { return certificates; }
  public void setCertificates(CertificatesStatus certificates) { this.certificates = certificates; }
  public Map<String, Integer> getProfilesPerReplica() { return profilesPerReplica; }
  public void setProfilesPerReplica(Map<String, Integer> profilesPerReplica) { this.profilesPerReplica = profilesPerReplica; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CertificatesStatus {
    @JsonPropertyDescription("Expiry of the builder's certificate authority (RFC 3339, UTC).")
    private String caNotAfter;
    @JsonPropertyDescription("Expiry of the buildkitd server certificate (RFC 3339, UTC).")
    private String serverNotAfter;
    @JsonPropertyDescription("Expiry of the client certificate agents use (RFC 3339, UTC).")
    private String clientNotAfter;

    public CertificatesStatus() {}

    public CertificatesStatus(String caNotAfter, String serverNotAfter, String clientNotAfter) {
      this.caNotAfter = caNotAfter;
      this.serverNotAfter = serverNotAfter;
      this.clientNotAfter = clientNotAfter;
    }

    public String getCaNotAfter() { return caNotAfter; }
    public void setCaNotAfter(String caNotAfter) { this.caNotAfter = caNotAfter; }
    public String getServerNotAfter() { return serverNotAfter; }
    public void setServerNotAfter(String serverNotAfter) { this.serverNotAfter = serverNotAfter; }
    public String getClientNotAfter() { return clientNotAfter; }
    public void setClientNotAfter(String clientNotAfter) { this.clientNotAfter = clientNotAfter; }
  }
}
