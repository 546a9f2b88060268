package dev.buildcache.operator.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code buildcache}: the operator and its tools in one jar. */
@Command(
    name = "buildcache",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Shared BuildKit builders and bounded registry build cache for CI, on Kubernetes.",
    subcommands = {RunCommand.class, GcCommand.class, LintCommand.class, DemoCommand.class, VersionCommand.class,
        CommandLine.HelpCommand.class})
public final class BuildcacheCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  public static CommandLine newCommandLine() {
    return newCommandLine(CliEnvironment.system());
  }

  /** The command line with the machine's clock and environment replaced, for tests. */
  public static CommandLine newCommandLine(CliEnvironment environment) {
    CommandLine.IFactory defaults = CommandLine.defaultFactory();
    CommandLine commandLine = new CommandLine(new BuildcacheCommand(), new CommandLine.IFactory() {
      @Override
      @SuppressWarnings("unchecked")
      public <K> K create(Class<K> type) throws Exception {
        return type == GcCommand.class ? (K) new GcCommand(environment) : defaults.create(type);
      }
    });
    // A bad flag gets one line naming it, not the whole usage text.
    commandLine.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
      cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    });
    commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
      return 1;
    });
    return commandLine;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
