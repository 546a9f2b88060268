package dev.buildcache.operator.cli;

import java.time.Clock;
import java.util.Map;

/**
 * What the CLI takes from the machine it runs on: the time and the environment variables. Injected, so a test can
 * run {@code buildcache gc} over simulated days and with its own {@code XDG_STATE_HOME}.
 */
public record CliEnvironment(Clock clock, Map<String, String> variables) {
  public static CliEnvironment system() {
    return new CliEnvironment(Clock.systemUTC(), System.getenv());
  }
}
