package dev.buildcache.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.demo.LocalRegistry;
import dev.buildcache.operator.testing.Commands;
import dev.buildcache.operator.testing.Kustomize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator image as a user gets it: built by the {@code image} Maven profile (Jib, no Docker daemon) on a base
 * image built here ({@code scripts/base-image}: production uses distroless Java 17, which no registry here serves),
 * pushed to a real registry (Debian's docker-registry), read back with skopeo, and checked against the Deployment
 * that runs it.
 */
class ImageIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final ObjectMapper JSON = new ObjectMapper();
  static LocalRegistry registry;
  static String image;
  static JsonNode config;
  static Path layout;

  @BeforeAll
  static void buildAndPush() throws Exception {
    assertThat(LocalRegistry.installed()).as("docker-registry on PATH (scripts/test installs it)").isTrue();
    registry = new LocalRegistry();
    String base = registry.host() + "/buildcache-base:test";
    run(List.of("scripts/base-image", base));
    String baseDigest = run(List.of("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + base)).trim();
    image = registry.host() + "/buildcache-operator:test";
    jibBuild(base + "@" + baseDigest, image);
    config = JSON.readTree(run(List.of("skopeo", "inspect", "--tls-verify=false", "--config", "docker://" + image)));
    layout = Files.createTempDirectory("image");
    run(List.of("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + image, "oci:" + layout.resolve("oci")));
  }

  /**
   * Builds and pushes with the image profile, as the release workflow does ({@code package} dumps the class-data
   * sharing archive with the image's own JVM first); returns the pushed digest.
   */
  static String jibBuild(String base, String to) throws Exception {
    run(List.of("./mvnw", "-B", "-ntp", "-q", "-Pimage", "-pl", "operator", "package", "jib:build", "-DskipTests",
        "-Dimage.base=" + base, "-Djib.to.image=" + to, "-Djib.allowInsecureRegistries=true"));
    return JSON.readTree(ROOT.resolve("operator/target/jib-image.json").toFile()).path("imageDigest").asText();
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  static String run(List<String> command) {
    return Commands.succeed(ROOT, java.time.Duration.ofMinutes(10), command);
  }

  static JsonNode operatorContainer(JsonNode deployment) {
    return StreamSupport.stream(deployment.path("spec").path("template").path("spec").path("containers").spliterator(), false)
        .filter(c -> "operator".equals(c.path("name").asText())).findFirst().orElseThrow();
  }

  @Test
  void theImageRunsAsTheDeploymentExpects() throws Exception {
    JsonNode deployment = Kustomize.find(Kustomize.render("base"), "Deployment", "buildcache-operator");
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    JsonNode container = operatorContainer(deployment);
    JsonNode c = config.path("config");

    // non-root, and the same uid:gid the pod's securityContext asserts (runAsNonRoot needs a numeric user)
    assertThat(c.path("User").asText())
        .isEqualTo(pod.path("securityContext").path("runAsUser").asInt() + ":" + pod.path("securityContext").path("runAsGroup").asInt());
    // java with the CLI's main class; the Deployment's args replace the image's Cmd, and both start with "run"
    List<String> entrypoint = JSON.convertValue(c.path("Entrypoint"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    assertThat(entrypoint).startsWith("java").endsWith("dev.buildcache.operator.cli.BuildcacheCommand");
    assertThat(c.path("Cmd").get(0).asText()).isEqualTo("run").isEqualTo(container.path("args").get(0).asText());
    // the JVM flags are the image's and match its class-data sharing archive: the Deployment adds none (a flag such
    // as -XX:-UseCompressedOops in JAVA_TOOL_OPTIONS would quietly turn the archive off), and it sets the memory
    // limit the image's heap percentage is taken of
    assertThat(container.path("env").findValuesAsText("name")).doesNotContain("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");
    assertThat(entrypoint).anyMatch(f -> f.startsWith("-XX:MaxRAMPercentage="));
    assertThat(container.path("resources").path("limits").path("memory").asText()).isNotBlank();
    // the port the probes and the Service use is the one the image exposes
    assertThat(c.path("ExposedPorts").has(container.path("ports").get(0).path("containerPort").asInt() + "/tcp")).isTrue();
    // a read-only root filesystem: the working directory is the emptyDir the Deployment mounts
    assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).contains(c.path("WorkingDir").asText());
    assertThat(c.path("Labels").path("org.opencontainers.image.title").asText()).isEqualTo("buildcache-operator");
    assertThat(c.path("Labels").path("org.opencontainers.image.source").asText()).startsWith("https://github.com/");
    assertThat(c.path("Labels").path("org.opencontainers.image.version").asText()).isNotBlank();
    // the Deployment names the repository the profile pushes to by default (a kustomize images: override changes both)
    assertThat(container.path("image").asText()).startsWith("ghcr.io/buildcache-dev/buildcache-operator:");
  }

  @Test
  void noShellAndNoDemoInAnyLayer() throws Exception {
    List<String> files = new ArrayList<>();
    Path extracted = layout.resolve("rootfs");
    Files.createDirectories(extracted);
    for (Path layer : layers()) {
      files.addAll(run(List.of("tar", "-tzf", layer.toString())).lines().filter(l -> !l.startsWith("tar: ")).toList());
      run(List.of("tar", "-xzf", layer.toString(), "-C", extracted.toString()));
    }
    assertThat(files).as("no shell").noneMatch(f -> f.matches("(\\./)?(usr/)?s?bin/(sh|bash|dash|busybox)$"));
    assertThat(files).as("the operator jar").contains("app/classpath/buildcache-operator.jar");
    assertThat(files).as("no mock server, Vert.x or devkit").noneMatch(f -> f.contains("mockwebserver") || f.contains("vertx")
        || f.contains("devkit") || f.contains("kubernetes-server-mock"));
    try (JarFile jar = new JarFile(extracted.resolve("app/classpath/buildcache-operator.jar").toFile())) {
      assertThat(jar.stream().map(e -> e.getName()).toList())
          .contains("dev/buildcache/operator/cli/BuildcacheCommand.class")
          .noneMatch(n -> n.startsWith("dev/buildcache/operator/demo/"));
      assertThat(jar.getManifest().getMainAttributes().getValue("Implementation-Version")).as("buildcache --version").isNotBlank();
    }
  }

  /**
   * The image's JVM maps the class-data sharing archive the build put in the image, with the image's own
   * entrypoint (its flags and class path): run in a chroot of the image's file system with -Xshare:on, which
   * refuses to start when the archive does not match the JVM, the class path or the flags, the operator's own
   * classes load from it.
   */
  @Test
  void theImagesJvmUsesTheArchiveTheBuildPutInTheImage() throws Exception {
    Path root = Files.createTempDirectory("image-root");
    for (Path layer : layers()) {
      run(List.of("tar", "-xzf", layer.toString(), "-C", root.toString()));
    }
    assertThat(root.resolve("app/buildcache.jsa")).isRegularFile();
    List<String> entrypoint = JSON.convertValue(config.path("config").path("Entrypoint"),
        JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    assertThat(entrypoint).contains("-XX:SharedArchiveFile=/app/buildcache.jsa", "-XX:+UseSerialGC");
    List<String> command = new ArrayList<>();
    command.addAll(Commands.chroot(root));
    command.add("/usr/bin/java");
    entrypoint.subList(1, entrypoint.size() - 1).stream().map(f -> f.equals("-Xshare:auto") ? "-Xshare:on" : f).forEach(command::add);
    command.addAll(List.of("-Xlog:class+load=info", "-Xlog:cds=warning", entrypoint.get(entrypoint.size() - 1), "--version"));
    String out = run(command);
    assertThat(out).contains("dev.buildcache.operator.cli.BuildcacheCommand source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file");
    long shared = out.lines().filter(l -> l.contains("source: shared objects file")).count();
    long fromJars = out.lines().filter(l -> l.contains("source: file:") || l.contains("source: jar:")).count();
    assertThat(shared).as("classes from the archive vs " + fromJars + " read from jars").isGreaterThan(fromJars * 3);
  }

  /**
   * Same sources, same base digest: the same layers (Jib's fixed timestamps and layer order), all but the last,
   * which holds only the class-data sharing archive: HotSpot 17 does not dump byte-identical archives (about 0.2%
   * of the bytes differ from one dump to the next), so the image digest changes with every build.
   */
  @Test
  void aSecondBuildHasTheSameLayersButTheArchive() throws Exception {
    String base = config.path("config").path("Labels").path("org.opencontainers.image.base.name").asText();
    assertThat(base).contains("@sha256:");
    String again = registry.host() + "/buildcache-operator:again";
    assertThat(jibBuild(base, again)).startsWith("sha256:");
    List<String> first = layerDigests(image);
    List<String> second = layerDigests(again);
    assertThat(second).hasSameSizeAs(first);
    assertThat(second.subList(0, second.size() - 1)).isEqualTo(first.subList(0, first.size() - 1));
    List<String> archiveLayer = run(List.of("tar", "-tzf", layers().get(layers().size() - 1).toString())).lines()
        .filter(l -> !l.startsWith("tar: ") && !l.endsWith("/")).toList();
    assertThat(archiveLayer).containsExactly("app/buildcache.jsa");
  }

  static List<String> layerDigests(String reference) {
    JsonNode manifest;
    try {
      manifest = JSON.readTree(run(List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference)));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<String> digests = new ArrayList<>();
    manifest.path("layers").forEach(l -> digests.add(l.path("digest").asText()));
    return digests;
  }

  List<Path> layers() throws IOException {
    Path oci = layout.resolve("oci");
    JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
    JsonNode manifest = JSON.readTree(oci.resolve("blobs/sha256/" + index.path("manifests").get(0).path("digest").asText().substring(7)).toFile());
    List<Path> layers = new ArrayList<>();
    manifest.path("layers").forEach(l -> layers.add(oci.resolve("blobs/sha256/" + l.path("digest").asText().substring(7))));
    assertThat(layers).hasSize(config.path("rootfs").path("diff_ids").size());
    return layers;
  }
}
