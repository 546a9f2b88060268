package dev.buildcache.operator.demo;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real CNCF distribution registry (Debian's {@code docker-registry}, 2.8) on a free loopback port, with delete
 * enabled and no blob descriptor cache (a running registry would otherwise keep serving collected blobs).
 * {@code scripts/test} and {@code scripts/demo} install the package.
 */
public final class LocalRegistry implements AutoCloseable {
  private final Path root;
  private final Path config;
  private final int port;
  private Process process;

  public LocalRegistry() throws IOException {
    root = Files.createTempDirectory("registry");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    config = root.resolve("config.yml");
    Files.writeString(config, """
        version: 0.1
        log:
          level: error
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:%d
        """.formatted(root.resolve("data"), port));
    start();
  }

  public static boolean installed() {
    return Stream.of(System.getenv("PATH").split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, "docker-registry")));
  }

  public String host() {
    return "127.0.0.1:" + port;
  }

  public URI url() {
    return URI.create("http://" + host());
  }

  private void start() throws IOException {
    process = new ProcessBuilder("docker-registry", "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(root.resolve("registry.log").toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited: " + Files.readString(root.resolve("registry.log")));
      }
      try {
        process.waitFor(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    throw new IOException("docker-registry did not answer on " + url());
  }

  private void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  /** Runs the registry's own garbage collection (registry stopped meanwhile, as its docs require). */
  public String garbageCollect(boolean deleteUntagged) throws IOException, InterruptedException {
    stop();
    ProcessBuilder pb = deleteUntagged
        ? new ProcessBuilder("docker-registry", "garbage-collect", "--delete-untagged", config.toString())
        : new ProcessBuilder("docker-registry", "garbage-collect", config.toString());
    Process gc = pb.redirectErrorStream(true).start();
    String output = new String(gc.getInputStream().readAllBytes());
    if (gc.waitFor() != 0) {
      throw new IOException("garbage-collect failed: " + output);
    }
    start();
    return output;
  }

  /** Bytes of every blob the registry stores (layers, configs and manifests). */
  public long blobBytes() throws IOException {
    Path blobs = root.resolve("data/docker/registry/v2/blobs");
    if (!Files.exists(blobs)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(blobs)) {
      return files.filter(p -> p.getFileName().toString().equals("data")).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).sum();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
