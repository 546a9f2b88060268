package dev.buildcache.operator.cli;

import dev.buildcache.operator.registry.oci.RegistryPacer;
import java.time.Clock;
import java.util.Map;

/**
 * What the CLI takes from the machine it runs on: the time, the environment variables and the way it waits (for a
 * registry's {@code Retry-After}). Injected, so a test can run {@code buildcache gc} over simulated days, with its own
 * {@code XDG_STATE_HOME}, and through a registry's pauses without sleeping.
 */
public record CliEnvironment(Clock clock, Map<String, String> variables, RegistryPacer.Sleeper sleeper) {
  /** Waits with {@link Thread#sleep}. */
  public CliEnvironment(Clock clock, Map<String, String> variables) {
    this(clock, variables, RegistryPacer.Sleeper.SYSTEM);
  }

  public static CliEnvironment system() {
    return new CliEnvironment(Clock.systemUTC(), System.getenv());
  }
}
