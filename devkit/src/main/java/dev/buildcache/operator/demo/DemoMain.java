package dev.buildcache.operator.demo;

import dev.buildcache.operator.cli.DemoLauncher;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;

/** {@code buildcache demo} in the CLI jar: registered for {@link java.util.ServiceLoader}. */
public final class DemoMain implements DemoLauncher {
  @Override
  public int run(PrintWriter out, Path samples, Clock clock) throws Exception {
    return new Demo(out, samples, clock).run();
  }
}
