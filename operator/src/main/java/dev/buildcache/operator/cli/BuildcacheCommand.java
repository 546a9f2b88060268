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
      boolean debug = parseResult.asCommandLineList().stream().anyMatch(c -> c.getParseResult() != null
          && c.getParseResult().hasMatchedOption("--debug"));
      causeChain(e).forEach(line -> cmd.getErr().println(line.startsWith("  ") ? line : cmd.getCommandSpec().qualifiedName() + ": " + line));
      if (debug) {
        e.printStackTrace(cmd.getErr());
      }
      return 1;
    });
    return commandLine;
  }

  /**
   * The failure and what caused it, one line each: the first line is the failure, then {@code "  caused by: "} lines
   * down to the root. A cause whose message only repeats its wrapper's is left out, and so are wrappers without a
   * message of their own.
   */
  static java.util.List<String> causeChain(Throwable e) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    String previous = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse("").trim();
      if (previous != null && (previous.contains(message) || message.isEmpty())) {
        continue;
      }
      lines.add(lines.isEmpty() ? message : "  caused by: " + message);
      previous = message;
    }
    return lines;
  }

  /** Every command takes it: print the stack trace of a failure after its causes. */
  @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "On failure, print the stack trace too.")
  boolean debug;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
