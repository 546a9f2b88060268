package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import java.util.List;
import java.util.Locale;

/**
 * Renders what a pipeline needs from a CacheProfile: cache-from (the branch's cache, then the default branch's),
 * cache-to, the docker-compose-buildkite-plugin v5 snippet (only keys the plugin accepts) and the equivalent
 * buildx lines. Pure.
 *
 * <p>Every registry gets {@code mode=max} (all stages of a multi-stage build), {@code image-manifest=true} and
 * {@code oci-mediatypes=true}: ECR requires them, and an image manifest is also what lets the GC recognise the
 * cache by its config media type on any registry.
 */
public final class CacheConfigRenderer {
  static final String PLUGIN = "docker-compose#v5.10.0";

  private CacheConfigRenderer() {}

  /**
   * Where the profile's builds go.
   *
   * @param endpoint the profile's sticky endpoint, {@code tcp://<builder>-<profile>.<ns>.svc:1234}
   * @param serverName the name the builder's certificate is issued for
   * @param assignedReplica the pod the endpoint points at, for the comment
   * @param certsDir where the agent keeps the client bundle; null: the profile's spec.agent.certsDir
   */
  public record Target(String builderName, String endpoint, String serverName, String assignedReplica, String certsDir) {
    public Target(String builderName, String endpoint, String serverName, String assignedReplica) {
      this(builderName, endpoint, serverName, assignedReplica, null);
    }
  }

  /**
   * Everything rendered. {@code cacheFrom} and {@code cacheTo} are BuildKit specs (what buildx takes); the plugin takes
   * them prefixed with the compose service ({@link #pluginCacheFrom}), and silently drops an entry without it.
   */
  public record Rendered(List<String> cacheFrom, String cacheTo, String agentConfig, String buildxCreate, String buildxBuild,
      String service) {
    /** cache-from as the docker-compose plugin takes it: {@code SERVICE:type=registry,...}. */
    public List<String> pluginCacheFrom() {
      return cacheFrom.stream().map(c -> service + ":" + c).toList();
    }

    /** cache-to as the docker-compose plugin takes it. */
    public String pluginCacheTo() {
      return service + ":" + cacheTo;
    }
  }

  /**
   * The buildx builder's name on the agent. The plugin creates a builder only when {@code docker buildx inspect NAME}
   * fails, so on a long-lived agent an existing builder of that name is reused as it is: the name must change
   * whenever what the builder connects to does (address, servername, certificate paths), and two namespaces' profiles
   * of one name must not share one.
   */
  static String builderName(CacheProfile profile, String endpoint, String driverOpt) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest((endpoint + "\n" + driverOpt).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "buildcache-" + profile.getMetadata().getNamespace() + "-" + profile.getMetadata().getName() + "-"
          + java.util.HexFormat.of().formatHex(digest).substring(0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Where the profile's agents keep the client bundle (spec.agent.certsDir, by default /etc/buildcache/certs). */
  public static String certsDir(CacheProfileSpec spec) {
    return spec.getAgent() == null || spec.getAgent().getCertsDir() == null ? "/etc/buildcache/certs" : spec.getAgent().getCertsDir();
  }

  public static Rendered render(CacheProfile profile, Target target) {
    CacheProfileSpec spec = profile.getSpec();
    CacheProfileSpec.CacheSpec cache = spec.getCache();
    String repository = spec.getRepository();
    String branchTag = CacheTags.tagExpression(cache.getTagTemplate());
    String defaultTag = CacheTags.tag(cache.getTagTemplate(), cache.getDefaultBranch());
    String compression = cache.getCompression().name().toLowerCase(Locale.ROOT);

    List<String> cacheFrom = List.of(
        "type=registry,ref=" + repository + ":" + branchTag,
        "type=registry,ref=" + repository + ":" + defaultTag);
    String cacheTo = "type=registry,ref=" + repository + ":" + branchTag
        + ",mode=max,image-manifest=true,oci-mediatypes=true,compression=" + compression;
    String certs = target.certsDir() != null ? target.certsDir() : certsDir(spec);
    var builderNames = new dev.buildcache.operator.builder.desired.BuilderNames(target.builderName(), profile.getMetadata().getNamespace());
    String driverOpt = "cacert=" + certs + "/ca.pem,cert=" + certs + "/cert.pem,key=" + certs + "/key.pem,servername=" + target.serverName();
    String builderName = builderName(profile, target.endpoint(), driverOpt);
    String service = spec.getAgent() == null || spec.getAgent().getService() == null ? profile.getMetadata().getName() : spec.getAgent().getService();

    String agentConfig = """
        # Rendered by buildcache-operator for CacheProfile %s/%s: builder %s, replica %s (sticky).
        # Client certificate: Secret %s (this profile's own; or the builder-wide %s), mounted at %s.
        # %s must be set when the pipeline is uploaded (the upload fails otherwise); an agent environment hook exports it:
        %s
        plugins:
          - %s:
              build: %s
              builder:
                name: %s
                create: true
                use: true
                driver: remote
                remote-address: %s
                driver-opt: %s
              cache-from:
                - "%s:%s"
                - "%s:%s"
              cache-to: "%s:%s"
        """.formatted(profile.getMetadata().getNamespace(), profile.getMetadata().getName(), target.builderName(),
        target.assignedReplica(), builderNames.profileClientSecret(profile.getMetadata().getName()), builderNames.clientSecret(),
        certs, CacheTags.BRANCH_TAG_VARIABLE,
        CacheTags.HOOK.lines().map(l -> "#   " + l).collect(java.util.stream.Collectors.joining("\n")), PLUGIN, service, builderName,
        target.endpoint(), driverOpt, service, cacheFrom.get(0), service, cacheFrom.get(1), service, cacheTo);
    String buildxCreate = "docker buildx create --name " + builderName + " --driver remote --driver-opt " + driverOpt + " " + target.endpoint();
    String buildxBuild = "docker buildx build --builder " + builderName + " --cache-from " + cacheFrom.get(0)
        + " --cache-from " + cacheFrom.get(1) + " --cache-to " + cacheTo + " .";
    return new Rendered(cacheFrom, cacheTo, agentConfig, buildxCreate, buildxBuild, service);
  }
}
