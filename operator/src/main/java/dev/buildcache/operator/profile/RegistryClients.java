package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.ecr.EcrRegistryClient;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.registry.oci.RegistryPacer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Opens the registry client a profile's GC runs with. ECR: the operator pod's AWS identity through the default
 * credential chain (IRSA's web identity token or EKS Pod Identity), so no AWS secret is ever stored. OCI: the
 * {@code kubernetes.io/dockerconfigjson} Secret named by {@code spec.registry.credentialsSecret}, read at the start
 * of each run so a rotated password is picked up. The OCI clients of one registry host share a {@link RegistryPacer}:
 * when that registry answers one run with 429, every run on it waits.
 */
public class RegistryClients {
  static final String DOCKER_CONFIG_KEY = ".dockerconfigjson";

  private final KubernetesClient kubernetes;
  private final URI ecrEndpoint;
  /** One per registry host a profile has named: a handful. */
  private final Map<String, RegistryPacer> pacers = new ConcurrentHashMap<>();
  private final Supplier<RegistryPacer> newPacer;

  /** @param ecrEndpoint ECR API endpoint override (a VPC endpoint, a test server); null for the regional default */
  public RegistryClients(KubernetesClient kubernetes, URI ecrEndpoint) {
    this(kubernetes, ecrEndpoint, RegistryPacer::system);
  }

  /** @param newPacer makes the pacer of a registry host the first time a profile names it */
  public RegistryClients(KubernetesClient kubernetes, URI ecrEndpoint, Supplier<RegistryPacer> newPacer) {
    this.kubernetes = kubernetes;
    this.ecrEndpoint = ecrEndpoint;
    this.newPacer = newPacer;
  }

  public RegistryClient open(CacheProfile profile) {
    CacheProfileSpec spec = profile.getSpec();
    RepositoryReference reference = RepositoryReference.parse(spec.getRepository());
    CacheProfileSpec.RegistrySpec registry = spec.getRegistry() == null ? new CacheProfileSpec.RegistrySpec() : spec.getRegistry();
    if (ProfileRegistry.type(spec) == CacheProfileSpec.RegistryType.ECR) {
      return EcrRegistryClient.create(reference, registry.getRegion(), ecrEndpoint);
    }
    return new OciRegistryClient(reference, Boolean.TRUE.equals(registry.getInsecure()),
        credentials(profile.getMetadata().getNamespace(), registry.getCredentialsSecret()), OciRegistryClient.Limits.DEFAULT,
        pacers.computeIfAbsent(reference.host().toLowerCase(Locale.ROOT), host -> newPacer.get()));
  }

  DockerCredentials credentials(String namespace, String secretName) {
    if (secretName == null) {
      return DockerCredentials.none();
    }
    Secret secret = kubernetes.secrets().inNamespace(namespace).withName(secretName).get();
    if (secret == null) {
      throw new RegistryException("spec.registry.credentialsSecret: Secret " + namespace + "/" + secretName + " does not exist");
    }
    String encoded = secret.getData() == null ? null : secret.getData().get(DOCKER_CONFIG_KEY);
    if (encoded == null) {
      throw new RegistryException("spec.registry.credentialsSecret: Secret " + namespace + "/" + secretName + " has no "
          + DOCKER_CONFIG_KEY + " key; create it with kubectl create secret docker-registry");
    }
    return DockerCredentials.parse(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
  }
}
