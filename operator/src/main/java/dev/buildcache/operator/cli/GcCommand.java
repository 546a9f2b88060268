package dev.buildcache.operator.cli;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.gc.GcReport;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.ecr.EcrRegistryClient;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gc", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {
        "Delete BuildKit registry cache by age and by de-duplicated total size, in ECR or any OCI registry.",
        "Only manifests that are BuildKit cache and all of whose tags match --tag-pattern are ever deleted.",
        "",
        "Exit codes: 0 done, 1 error, 2 usage error, 3 finished but some deletions failed."})
public final class GcCommand implements Callable<Integer> {
  static final int EXIT_PARTIAL = 3;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--repository", paramLabel = "REF", description = "Cache repository, host[:port]/name.")
  String repository;

  @Option(names = "--profile", paramLabel = "FILE", description = "Take repository, registry and retention from a CacheProfile YAML.")
  Path profile;

  @Option(names = "--registry-type", paramLabel = "TYPE", description = "ecr or oci. Default: ecr for *.dkr.ecr.*.amazonaws.com hosts, else oci.")
  String registryType;

  @Option(names = "--tag-pattern", paramLabel = "GLOB", description = "Tags that are cache (repeatable). Default: cache-*.")
  List<String> tagPatterns;

  @Option(names = "--protect", paramLabel = "GLOB", description = "Cache tags never deleted (repeatable).")
  List<String> protect;

  @Option(names = "--max-age", paramLabel = "DUR", description = "Delete cache unused for longer: 90m, 36h, 14d.")
  String maxAge;

  @Option(names = "--max-size", paramLabel = "SIZE", description = "Budget of unique cache bytes: 200Gi, 512Mi, 10GB.")
  String maxSize;

  @Option(names = "--keep-latest", paramLabel = "N", description = "Always keep the newest N cache images (default 0).")
  Integer keepLatest;

  @Option(names = "--min-age", paramLabel = "DUR", description = "Never delete anything younger (default 1h).")
  String minAge;

  @Option(names = "--untagged-after", paramLabel = "DUR", description = "Delete untagged cache manifests older than this (ECR).")
  String untaggedAfter;

  @Option(names = "--dry-run", description = "Plan and report, delete nothing.")
  boolean dryRun;

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json (default ${DEFAULT-VALUE}).")
  String output;

  @Option(names = "--endpoint-url", paramLabel = "URL", description = "ECR API endpoint override.")
  URI endpointUrl;

  @Option(names = "--region", paramLabel = "R", description = "AWS region. Default: from the ECR host, else the AWS default chain.")
  String region;

  @Option(names = "--insecure", description = "OCI: plain HTTP instead of HTTPS.")
  boolean insecure;

  @Option(names = "--docker-config", paramLabel = "FILE", description = "OCI credentials, Docker config.json format. Default: $DOCKER_CONFIG/config.json or ~/.docker/config.json.")
  Path dockerConfig;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Settings settings = settings();
    try (RegistryClient client = client(settings)) {
      boolean terminal = System.console() != null;
      GcRunner runner = new GcRunner(Clock.systemUTC(), line -> {
        if (terminal) {
          System.err.println("gc: " + line);
        }
      });
      GcReport report = runner.run(client, settings.reference().toString(), settings.policy(), settings.dryRun());
      out.print("json".equals(output) ? report.toJson() + System.lineSeparator() : report.toText());
      out.flush();
      return report.failed().isEmpty() ? 0 : EXIT_PARTIAL;
    } catch (RegistryException e) {
      spec.commandLine().getErr().println("buildcache gc: " + e.getMessage());
      return 1;
    }
  }

  record Settings(RepositoryReference reference, String type, RetentionPolicy policy, boolean dryRun, String region, boolean insecure) {}

  Settings settings() throws IOException {
    if (!List.of("text", "json").contains(output)) {
      throw usage("--output: '" + output + "' is not a format; use text or json");
    }
    CacheProfileSpec profileSpec = profile == null ? null : readProfile(profile);
    String ref = repository != null ? repository : profileSpec != null ? profileSpec.getRepository() : null;
    if (ref == null) {
      throw usage("--repository: required (or --profile FILE)");
    }
    RepositoryReference reference;
    try {
      reference = RepositoryReference.parse(ref);
    } catch (IllegalArgumentException e) {
      throw usage((repository != null ? "--repository: " : "--profile spec.repository: ") + e.getMessage());
    }
    String type = registryType;
    if (type == null && profileSpec != null && profileSpec.getRegistry() != null && profileSpec.getRegistry().getType() != null) {
      type = profileSpec.getRegistry().getType().name().toLowerCase();
    }
    if (type == null) {
      type = reference.isEcr() ? "ecr" : "oci";
    }
    if (!List.of("ecr", "oci").contains(type)) {
      throw usage("--registry-type: '" + type + "' is not a registry type; use ecr or oci");
    }
    RetentionPolicy policy;
    try {
      policy = RetentionPolicy.parse(raw(profileSpec), profileSpec != null && flagsAbsent() ? RetentionPolicy.FieldNames.SPEC : RetentionPolicy.FieldNames.CLI);
    } catch (RetentionPolicy.InvalidPolicyException e) {
      throw usage(e.getMessage());
    }
    boolean dry = dryRun || (profileSpec != null && Boolean.TRUE.equals(profileSpec.getDryRun()));
    String reg = region != null ? region : profileSpec != null && profileSpec.getRegistry() != null ? profileSpec.getRegistry().getRegion() : null;
    boolean plain = insecure || (profileSpec != null && profileSpec.getRegistry() != null && Boolean.TRUE.equals(profileSpec.getRegistry().getInsecure()));
    return new Settings(reference, type, policy, dry, reg, plain);
  }

  private boolean flagsAbsent() {
    return tagPatterns == null && protect == null && maxAge == null && maxSize == null && keepLatest == null
        && minAge == null && untaggedAfter == null;
  }

  /** Flags win over the profile's retention, field by field. */
  private RetentionPolicy.Raw raw(CacheProfileSpec profileSpec) {
    CacheProfileSpec.RetentionSpec r = profileSpec == null || profileSpec.getRetention() == null ? null : profileSpec.getRetention();
    List<String> patterns = tagPatterns != null ? tagPatterns : r != null ? r.getTagPatterns() : List.of("cache-*");
    return new RetentionPolicy.Raw(patterns,
        protect != null ? protect : r != null ? r.getProtectTags() : new ArrayList<>(),
        maxAge != null ? maxAge : r != null ? r.getMaxAge() : null,
        maxSize != null ? maxSize : r != null ? r.getMaxTotalSize() : null,
        keepLatest != null ? keepLatest : r != null ? r.getKeepLatest() : null,
        minAge != null ? minAge : r != null ? r.getMinAge() : null,
        untaggedAfter != null ? untaggedAfter : r != null ? r.getUntaggedAfter() : null);
  }

  private CacheProfileSpec readProfile(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw usage("--profile: cannot read " + file);
    }
    try (InputStream in = Files.newInputStream(file)) {
      CacheProfile p = Serialization.unmarshal(in, CacheProfile.class);
      if (p == null || p.getSpec() == null) {
        throw usage("--profile: " + file + " is not a CacheProfile");
      }
      return p.getSpec();
    } catch (RuntimeException e) {
      if (e instanceof CommandLine.ParameterException) {
        throw e;
      }
      throw usage("--profile: " + file + " is not a CacheProfile: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  private RegistryClient client(Settings settings) throws IOException {
    if ("ecr".equals(settings.type())) {
      return EcrRegistryClient.create(settings.reference(), settings.region(), endpointUrl);
    }
    DockerCredentials credentials = dockerConfig != null
        ? DockerCredentials.parse(Files.readString(dockerConfig))
        : DockerCredentials.fromDefaultLocation();
    return new OciRegistryClient(settings.reference(), settings.insecure(), credentials);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
