package dev.buildcache.operator.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real program, run to completion: its exit code and its output (stdout and stderr together, as UTF-8). */
public final class Commands {
  private Commands() {}

  public record Result(int exit, String output) {}

  /**
   * Runs {@code command} in {@code directory} with {@code environment} added to this process's, feeding it
   * {@code stdin} (null: none); fails the test when it does not finish within {@code timeout}.
   */
  public static Result run(Path directory, Map<String, String> environment, String stdin, java.time.Duration timeout,
      List<String> command) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
      builder.environment().putAll(environment);
      Process process = builder.start();
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish within " + timeout + "; it printed:\n" + output);
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code command} and requires exit code 0; returns its output. */
  public static String succeed(Path directory, java.time.Duration timeout, List<String> command) {
    Result result = run(directory, Map.of(), null, timeout, command);
    if (result.exit() != 0) {
      throw new AssertionError(command + " exited " + result.exit() + "; it printed:\n" + result.output());
    }
    return result.output();
  }

  /**
   * The prefix that runs a command with {@code root} as its root directory and a private /proc (java finds its
   * libraries through /proc/self/exe), as scripts/cds-archive does: unshare, in a user namespace unless root.
   */
  public static List<String> chroot(Path root) {
    try {
      java.nio.file.Files.createDirectories(root.resolve("proc"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    boolean isRoot = "0".equals(succeed(Path.of("."), java.time.Duration.ofSeconds(10), List.of("id", "-u")).trim());
    List<String> isolate = List.of("unshare", "--mount", "--pid", "--fork", "--mount-proc", "--root=" + root);
    return isRoot ? isolate : java.util.stream.Stream.concat(java.util.stream.Stream.of("unshare", "--user", "--map-root-user"),
        isolate.stream().skip(1)).toList();
  }
}
