package dev.buildcache.operator.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.testing.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** {@code buildcache demo}: one command, no cluster, no cloud; says what a user would look at, and exits 0. */
class DemoIT {

  static String run(Path samples) throws Exception {
    StringWriter text = new StringWriter();
    int exit = new Demo(new PrintWriter(text), samples, Clock.systemUTC()).run();
    assertThat(exit).as(text.toString()).isZero();
    return text.toString();
  }

  @Test
  void runsTheSamplesThroughTheRealOperatorAndCleansTheLocalRegistry() throws Exception {
    assertThat(LocalRegistry.installed()).as("docker-registry on PATH (scripts/test installs it)").isTrue();
    String out = run(Path.of(System.getProperty("buildcache.deploy.dir", "../deploy")).resolve("samples"));

    assertThat(out).contains("LOCAL DEMO")
        .contains("created BuildkitBuilder buildkite/shared")
        .contains("created CacheProfile buildkite/app")
        .contains("created CacheProfile buildkite/web")
        .containsPattern("StatefulSet +shared +owned by BuildkitBuilder/shared")
        .containsPattern("Service +shared-web +owned by CacheProfile/web +-> pod shared-[0-2] \\(sticky endpoint\\)")
        .contains("remote-address: tcp://shared-app.buildkite.svc:1234")
        .contains("remote-address: tcp://shared-web.buildkite.svc:1234")
        .contains("cache-to:       app:type=registry,ref=123456789012.dkr.ecr.us-east-1.amazonaws.com/buildkite/app-cache:cache-${BUILDCACHE_BRANCH_TAG?set by the buildcache agent environment hook},mode=max,image-manifest=true,oci-mediatypes=true,compression=zstd")
        .contains("driver: remote")
        .contains("result:    Succeeded")
        .contains("deleted:     [buildcache-feature-search, buildcache-fix-typo]")
        .contains("GcSucceeded=True")
        .contains("Try next");
    // the release image under a matching tag, the protected default branch and the cache also tagged latest survive
    String after = out.lines().filter(l -> l.contains("tags after:")).findFirst().orElseThrow();
    assertThat(after).contains("buildcache-v1").contains("buildcache-main").contains("buildcache-spike-grpc").contains("latest")
        .doesNotContain("buildcache-fix-typo");
    assertThat(out).containsPattern("reclaimed [0-9.]+ MiB");
  }

  @Test
  void theJarCarriesItsOwnSamples() throws Exception {
    String out = run(null);
    assertThat(out).contains("(the copy inside the jar)").contains("created CacheProfile buildkite/web").contains("result:    Succeeded");
  }

  @Test
  void aMissingSamplesDirectoryIsAUsageError() {
    Cli.Result result = Cli.run("demo", "--samples", "/nonexistent/samples");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("--samples: /nonexistent/samples is not a directory");
  }
}
