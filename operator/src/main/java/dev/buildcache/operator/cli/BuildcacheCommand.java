package dev.buildcache.operator.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code buildcache}: the operator and its tools in one jar. */
@Command(
    name = "buildcache",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Shared BuildKit builders and bounded registry build cache for CI, on Kubernetes.",
    subcommands = {RunCommand.class, VersionCommand.class, CommandLine.HelpCommand.class})
public final class BuildcacheCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  public static CommandLine newCommandLine() {
    return new CommandLine(new BuildcacheCommand());
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
