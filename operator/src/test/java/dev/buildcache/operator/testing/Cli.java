package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.cli.BuildcacheCommand;
import dev.buildcache.operator.cli.CliEnvironment;
import dev.buildcache.operator.registry.oci.RegistryPacer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs {@code buildcache} in-process, as a user would from a shell, and captures what it prints. The static
 * {@link #run} gives every run a fresh {@code XDG_STATE_HOME}, so no test writes into the real home directory or
 * inherits another test's GC state; an instance keeps one state home and one clock across its runs.
 */
public final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final CliEnvironment environment;

  /** Runs that share {@code stateHome} (as {@code XDG_STATE_HOME}) and see time through {@code clock}. */
  public Cli(Clock clock, Path stateHome) {
    this(clock, stateHome, RegistryPacer.Sleeper.SYSTEM);
  }

  /** Runs that also wait (for a registry's {@code Retry-After}) through {@code sleeper}. */
  public Cli(Clock clock, Path stateHome, RegistryPacer.Sleeper sleeper) {
    Map<String, String> variables = new HashMap<>(System.getenv());
    variables.put("XDG_STATE_HOME", stateHome.toAbsolutePath().toString());
    this.environment = new CliEnvironment(clock, Map.copyOf(variables), sleeper);
  }

  public record Result(int exit, String out, String err) {
    public JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out + err, e);
      }
    }
  }

  public static Result run(String... args) {
    try {
      return new Cli(Clock.systemUTC(), Files.createTempDirectory("buildcache-state")).exec(args);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Result exec(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cmd = BuildcacheCommand.newCommandLine(environment);
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int exit = cmd.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
