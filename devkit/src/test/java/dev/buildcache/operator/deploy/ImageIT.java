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
  static String firstDigest;
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
    firstDigest = jibBuild(base + "@" + baseDigest, image);
    config = JSON.readTree(run(List.of("skopeo", "inspect", "--tls-verify=false", "--config", "docker://" + image)));
    layout = Files.createTempDirectory("image");
    run(List.of("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + image, "oci:" + layout.resolve("oci")));
  }

  /** Builds and pushes with the image profile, as the release workflow does; returns the pushed digest. */
  static String jibBuild(String base, String to) throws Exception {
    run(List.of("./mvnw", "-B", "-ntp", "-q", "-Pimage", "-pl", "operator", "jib:build", "-Dimage.base=" + base,
        "-Djib.to.image=" + to, "-Djib.allowInsecureRegistries=true"));
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

  /** Same sources, same base digest: the same image digest (Jib's fixed timestamps and layer order). */
  @Test
  void aSecondBuildIsTheSameImage() throws Exception {
    String base = config.path("config").path("Labels").path("org.opencontainers.image.base.name").asText();
    assertThat(base).contains("@sha256:");
    assertThat(jibBuild(base, registry.host() + "/buildcache-operator:again")).isEqualTo(firstDigest).startsWith("sha256:");
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
