package dev.buildcache.operator.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {
        "A local demo in one command: the real operator against an in-process Kubernetes API loaded with",
        "deploy/samples, simulated builder pods, and a local registry (Debian's docker-registry) seeded with a",
        "cache history, then a GC run. No cluster, no cloud account."})
public final class DemoCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--samples", paramLabel = "DIR", description = "The samples to load. Default: deploy/samples when run from the repository, else the copy inside the jar.")
  Path samples;

  @Option(names = "--verbose", description = "Show the operator's log on stderr.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    Optional<DemoLauncher> launcher = ServiceLoader.load(DemoLauncher.class).findFirst();
    if (launcher.isEmpty()) {
      spec.commandLine().getErr().println("buildcache demo is not part of this build: the operator image carries no in-process "
          + "Kubernetes API. Run the demo from the CLI jar (devkit/target/buildcache.jar), e.g. ./scripts/demo");
      spec.commandLine().getErr().flush();
      return 2;
    }
    Path dir = samples;
    if (dir == null && Files.isDirectory(Path.of("deploy/samples"))) {
      dir = Path.of("deploy/samples");
    }
    if (dir != null && !Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--samples: " + dir + " is not a directory");
    }
    if (!verbose && LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
      // The demo's own output is the point; the operator's log is there with --verbose.
      root.setLevel(Level.WARN);
      ((Logger) LoggerFactory.getLogger("io.javaoperatorsdk")).setLevel(Level.ERROR);
      ((Logger) LoggerFactory.getLogger("io.fabric8")).setLevel(Level.ERROR);
    }
    return launcher.get().run(spec.commandLine().getOut(), dir, Clock.systemUTC());
  }
}
