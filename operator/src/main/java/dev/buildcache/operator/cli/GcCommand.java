package dev.buildcache.operator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.gc.GcReport;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.gc.state.FileGcStateStore;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.RepositoryBusyException;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.ecr.EcrRegistryClient;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.registry.oci.RegistryPacer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gc", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {
        "Delete BuildKit registry cache by age and by de-duplicated total size, in ECR or any OCI registry.",
        "Only manifests that are BuildKit cache and all of whose tags match --tag-pattern are ever deleted.",
        "",
        "What the GC remembers of each repository (manifests it read, when it read them, when it first saw each",
        "tag) is kept under --state-dir; it is what lets --max-age work on OCI registries and keeps the GC's own",
        "reads from counting as pulls on ECR.",
        "",
        "Exit codes: 0 done, 1 error, 2 usage error, 3 finished but incomplete (some deletions failed, or",
        "something could not be resolved and nothing was deleted), 4 another run is working on the repository."})
public final class GcCommand implements Callable<Integer> {
  static final int EXIT_INCOMPLETE = 3;
  static final int EXIT_BUSY = 4;

  private final CliEnvironment environment;

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

  @Option(names = "--max-age", paramLabel = "DUR", description = {"Delete cache unused for longer: 90m, 36h, 14d.",
      "ECR: since the last push or pull. OCI: since the GC first saw the tag at its digest (not re-pushed for)."})
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

  @Option(names = "--endpoint-url", paramLabel = "URL", description = "ECR API endpoint override (AWS_ENDPOINT_URL_ECR works too).")
  URI endpointUrl;

  @Option(names = "--region", paramLabel = "R", description = "AWS region. Default: from the ECR host, else the AWS default chain.")
  String region;

  @Option(names = "--insecure", description = "OCI: plain HTTP instead of HTTPS.")
  boolean insecure;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "8",
      description = "OCI: requests in flight to the registry at a time (default ${DEFAULT-VALUE}; 1: one after another).")
  int concurrency;

  @Option(names = "--docker-config", paramLabel = "FILE", description = "OCI credentials, Docker config.json format. Default: $DOCKER_CONFIG/config.json or ~/.docker/config.json.")
  Path dockerConfig;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the GC remembers each repository. Default: $XDG_STATE_HOME/buildcache, else ~/.local/state/buildcache.")
  Path stateDir;

  @Option(names = "--no-state", description = "Remember nothing: every run starts afresh (OCI: nothing is old enough to delete by age).")
  boolean noState;

  public GcCommand(CliEnvironment environment) {
    this.environment = environment;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Settings settings = settings();
    try (RegistryClient client = client(settings)) {
      boolean terminal = System.console() != null;
      GcRunner runner = new GcRunner(environment.clock(), line -> {
        if (terminal) {
          System.err.println("gc: " + line);
        }
      }, store());
      GcReport report = runner.run(client, settings.reference().toString(), settings.policy(), settings.dryRun());
      out.print("json".equals(output) ? report.toJson() + System.lineSeparator() : report.toText());
      out.flush();
      if ("json".equals(output)) {
        report.warnings().forEach(w -> err.println("buildcache gc: warning: " + w));
        err.flush();
      }
      return report.complete() ? 0 : EXIT_INCOMPLETE;
    } catch (RepositoryBusyException e) {
      err.println("buildcache gc: " + e.getMessage());
      return EXIT_BUSY;
    } catch (RegistryException | UncheckedIOException e) {
      err.println("buildcache gc: " + e.getMessage());
      return 1;
    }
  }

  private GcStateStore store() {
    if (noState) {
      return FileGcStateStore.none();
    }
    return FileGcStateStore.in(stateDir != null ? stateDir : FileGcStateStore.defaultDirectory(environment.variables()));
  }

  record Settings(RepositoryReference reference, String type, RetentionPolicy policy, boolean dryRun, String region, boolean insecure) {}

  Settings settings() throws IOException {
    if (!List.of("text", "json").contains(output)) {
      throw usage("--output: '" + output + "' is not a format; use text or json");
    }
    if (noState && stateDir != null) {
      throw usage("--no-state and --state-dir: choose one");
    }
    ProfileFile profileFile = profile == null ? null : readProfile(profile);
    CacheProfileSpec profileSpec = profileFile == null ? null : profileFile.spec();
    String ref = repository != null ? repository : profileSpec != null ? profileSpec.getRepository() : null;
    if (ref == null) {
      throw usage(profileSpec != null ? "--profile: " + profile + " has no spec.repository" : "--repository: required (or --profile FILE)");
    }
    RepositoryReference reference;
    try {
      reference = RepositoryReference.parse(ref);
    } catch (IllegalArgumentException e) {
      throw usage((repository != null ? "--repository: " : "--profile " + profile + ": spec.repository: ") + e.getMessage());
    }
    String type = registryType != null ? registryType.toLowerCase(Locale.ROOT) : profileFile != null ? profileFile.registryType() : null;
    if (type == null) {
      type = reference.isEcr() ? "ecr" : "oci";
    }
    if (!List.of("ecr", "oci").contains(type)) {
      throw usage((registryType != null ? "--registry-type" : "--profile " + profile + ": spec.registry.type") + ": '" + type
          + "' is not a registry type; use ecr or oci");
    }
    RetentionPolicy policy;
    try {
      policy = RetentionPolicy.parse(raw(profileSpec), names(profileSpec != null));
    } catch (RetentionPolicy.InvalidPolicyException e) {
      throw usage((profileSpec != null && e.getMessage().startsWith("spec.") ? "--profile " + profile + ": " : "") + e.getMessage());
    }
    boolean dry = dryRun || (profileSpec != null && Boolean.TRUE.equals(profileSpec.getDryRun()));
    String reg = region != null ? region : profileSpec != null && profileSpec.getRegistry() != null ? profileSpec.getRegistry().getRegion() : null;
    boolean plain = insecure || (profileSpec != null && profileSpec.getRegistry() != null && Boolean.TRUE.equals(profileSpec.getRegistry().getInsecure()));
    return new Settings(reference, type, policy, dry, reg, plain);
  }

  /** Each value's error names where it came from: the flag, or the profile's field. */
  private RetentionPolicy.FieldNames names(boolean fromProfile) {
    RetentionPolicy.FieldNames cli = RetentionPolicy.FieldNames.CLI;
    RetentionPolicy.FieldNames profileNames = RetentionPolicy.FieldNames.SPEC;
    return new RetentionPolicy.FieldNames(
        tagPatterns == null && fromProfile ? profileNames.tagPatterns() : cli.tagPatterns(),
        protect == null && fromProfile ? profileNames.protectTags() : cli.protectTags(),
        maxAge == null && fromProfile ? profileNames.maxAge() : cli.maxAge(),
        maxSize == null && fromProfile ? profileNames.maxTotalSize() : cli.maxTotalSize(),
        keepLatest == null && fromProfile ? profileNames.keepLatest() : cli.keepLatest(),
        minAge == null && fromProfile ? profileNames.minAge() : cli.minAge(),
        untaggedAfter == null && fromProfile ? profileNames.untaggedAfter() : cli.untaggedAfter());
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

  /** A CacheProfile file and the registry type as written in it (null when absent: taken from the host). */
  private record ProfileFile(CacheProfileSpec spec, String registryType) {}

  private ProfileFile readProfile(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw usage("--profile: cannot read " + file);
    }
    String yaml = Files.readString(file);
    try {
      JsonNode tree = Serialization.yamlMapper().readTree(yaml);
      CacheProfile p = Serialization.unmarshal(yaml, CacheProfile.class);
      if (tree == null || p == null || p.getSpec() == null || !"CacheProfile".equals(tree.path("kind").asText())) {
        throw usage("--profile: " + file + " is not a CacheProfile");
      }
      JsonNode type = tree.path("spec").path("registry").path("type");
      return new ProfileFile(p.getSpec(), type.isTextual() ? type.asText().toLowerCase(Locale.ROOT) : null);
    } catch (RuntimeException | IOException e) {
      if (e instanceof CommandLine.ParameterException pe) {
        throw pe;
      }
      throw usage("--profile: " + file + " is not a CacheProfile: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  private RegistryClient client(Settings settings) throws IOException {
    if ("ecr".equals(settings.type())) {
      if (!settings.reference().isEcr() && endpointUrl == null && settings.region() == null) {
        throw usage("--registry-type ecr: " + settings.reference().host() + " is not an ECR host "
            + "(<account>.dkr.ecr.<region>.amazonaws.com); use --registry-type oci for other registries");
      }
      return EcrRegistryClient.create(settings.reference(), settings.region(), endpointUrl);
    }
    DockerCredentials credentials;
    try {
      credentials = dockerConfig != null ? DockerCredentials.parse(Files.readString(dockerConfig)) : DockerCredentials.fromDefaultLocation();
    } catch (IOException | IllegalArgumentException e) {
      throw usage("--docker-config: " + (dockerConfig != null ? dockerConfig : "the Docker config") + ": " + e.getMessage());
    }
    if (concurrency < 1 || concurrency > 64) {
      throw usage("--concurrency: must be between 1 and 64, got " + concurrency);
    }
    return new OciRegistryClient(settings.reference(), settings.insecure(), credentials,
        OciRegistryClient.Limits.DEFAULT.withConcurrency(concurrency), new RegistryPacer(environment.clock(), environment.sleeper()));
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
