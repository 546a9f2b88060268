package dev.buildcache.operator.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;

/**
 * What {@code buildcache demo} runs, found with {@link java.util.ServiceLoader}: the demo and the in-process
 * Kubernetes API it runs on live in the devkit module, which the CLI jar carries and the operator image does not.
 */
public interface DemoLauncher {
  /** Runs the demo; the exit code. {@code samples} is deploy/samples to load, or null for the copy inside the jar. */
  int run(PrintWriter out, Path samples, Clock clock) throws Exception;
}
