package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fourteen daily GC runs against ECR's pull clock, replayed: branch caches of the last week, a third of the branches
 * active (their builds pull the branch's cache every day) and the rest abandoned after their push, three new branches
 * pushed daily, the default branch built daily, the GC at 03:00 with {@code --max-age 7d}.
 * Whatever ECR records, the survivors must be those of a GC whose reads leave no trace, computed here from the
 * simulation's own record of pushes and build pulls. Without state the GC cannot tell its earlier reads from uses,
 * and keeps caches: that world is checked for safety (never deletes what the model keeps) and reported.
 */
class EcrPullClockReplayIT {
  static final String REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final Instant START = Instant.parse("2026-06-01T03:00:00Z");
  static final Duration MAX_AGE = Duration.ofDays(7);
  static final int DAYS = 14;

  @BeforeAll
  static void credentials() {
    EcrProtocolServer.useTestCredentials();
  }

  @AfterAll
  static void endpoints() {
    EcrProtocolServer.clearSdkEndpoints();
  }

  /** One simulated world: the registry, its clock, and the GC's state directory. */
  static final class World implements AutoCloseable {
    final EcrProtocolServer ecr;
    final MutableClock clock = new MutableClock(START);
    final Cli cli;
    final boolean stateless;
    final Map<String, Instant> lastRealUse = new HashMap<>();
    final Map<String, String> digestOfTag = new HashMap<>();
    final Set<String> modelSurvivors = new TreeSet<>();
    int deletedByGc;
    int deletedByModel;
    final List<JsonNode> reports = new ArrayList<>();

    World(boolean excluded, boolean stateless) throws Exception {
      ecr = new EcrProtocolServer().serveSts();
      ecr.clock(clock);
      if (excluded) {
        ecr.exclude(EcrProtocolServer.GC_ROLE_ARN);
      }
      this.stateless = stateless;
      cli = new Cli(clock, Files.createTempDirectory("replay-state"));
    }

    void push(String tag, Instant at, boolean cache) {
      String config = cache ? CACHE_CONFIG : "application/vnd.oci.image.config.v1+json";
      String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + config
          + "\",\"digest\":\"sha256:config-" + tag + "\",\"size\":200},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
          + "\"digest\":\"sha256:base\",\"size\":5000},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:layer-"
          + tag + "\",\"size\":1500}]}";
      String digest = ecr.put(manifest, OCI_MANIFEST, config, at, null, tag);
      digestOfTag.put(tag, digest);
      lastRealUse.put(digest, at);
      modelSurvivors.add(digest);
    }

    void buildPulls(String tag) {
      String digest = digestOfTag.get(tag);
      if (ecr.tagsByDigest().containsKey(digest)) {
        ecr.pullByBuild(digest);
        lastRealUse.put(digest, clock.instant());
      }
    }

    /** The trace-free GC: deletes unprotected cache whose last real use is older than max-age. */
    void modelRun() {
      Instant cutoff = clock.instant().minus(MAX_AGE);
      for (String digest : List.copyOf(modelSurvivors)) {
        boolean protectedTag = digest.equals(digestOfTag.get("cache-main")) || digest.equals(digestOfTag.get("cache-v1"));
        if (!protectedTag && lastRealUse.get(digest).isBefore(cutoff)) {
          modelSurvivors.remove(digest);
          deletedByModel++;
        }
      }
    }

    JsonNode gcRun() {
      List<String> args = new ArrayList<>(List.of("gc", "--repository", REPOSITORY, "--endpoint-url", ecr.endpoint().toString(),
          "--max-age", "7d", "--protect", "cache-main", "--output", "json"));
      if (stateless) {
        args.add("--no-state");
      }
      Cli.Result result = cli.exec(args.toArray(String[]::new));
      assertThat(result.exit()).as(result.err()).isZero();
      JsonNode report = result.json();
      deletedByGc += report.path("deleted").size();
      reports.add(report);
      return report;
    }

    Set<String> stored() {
      return new TreeSet<>(ecr.tagsByDigest().keySet());
    }

    @Override
    public void close() {
      ecr.close();
    }
  }

  /** The same fortnight of builds in a world: the same pushes and pulls, in the same order, from the same seed. */
  static World replay(boolean excluded, boolean stateless, boolean assertEqualToModel) throws Exception {
    World w = new World(excluded, stateless);
    Random random = new Random(42);
    w.push("cache-v1", START.minus(Duration.ofDays(90)), false); // a release image under a cache tag
    w.push("cache-main", START.minus(Duration.ofDays(20)), true);
    List<String> active = new ArrayList<>();
    for (int k = 0; k < 45; k++) {
      String tag = "cache-branch-" + k;
      // all younger than max-age at the first run: every deletion depends on how the days' pulls are read
      w.push(tag, START.minus(Duration.ofDays(k % 7)).minus(Duration.ofHours(5)), true);
      if (random.nextInt(3) == 0) {
        active.add(tag);
      }
    }
    for (int day = 0; day < DAYS; day++) {
      Instant dayStart = START.plus(Duration.ofDays(day));
      w.clock.advance(Duration.between(w.clock.instant(), dayStart));
      JsonNode report = w.gcRun();
      w.modelRun();
      if (assertEqualToModel) {
        assertThat(w.stored()).as("day %d: survivors equal the trace-free model's (%s)", day, report.path("pullTimes").asText())
            .isEqualTo(w.modelSurvivors);
      } else {
        assertThat(w.modelSurvivors).as("day %d: the stateless GC never deletes what the model keeps", day).isSubsetOf(w.stored());
      }
      assertThat(w.stored()).contains(w.digestOfTag.get("cache-v1"), w.digestOfTag.get("cache-main"));
      // builds from 10:00: the default branch and every active branch pull their caches
      w.clock.advance(Duration.ofHours(7));
      w.buildPulls("cache-main");
      for (String tag : active) {
        w.clock.advance(Duration.ofSeconds(30 + random.nextInt(600)));
        w.buildPulls(tag);
      }
      // three new branches in the afternoon, a third of them kept active
      w.clock.advance(Duration.ofHours(4));
      for (int n = 0; n < 3; n++) {
        String tag = "cache-new-" + day + "-" + n;
        w.push(tag, w.clock.instant(), true);
        if (random.nextInt(3) == 0) {
          active.add(tag);
        }
      }
    }
    return w;
  }

  @Test
  void fourteenDailyRunsDeleteExactlyWhatATraceFreeGcWouldWithOrWithoutTheExclusion() throws Exception {
    try (World excluded = replay(true, false, true);
         World refreshed = replay(false, false, true);
         World stateless = replay(false, true, false)) {
      assertThat(excluded.reports.get(0).path("deleted")).as("nothing is old at the first run").isEmpty();
      assertThat(excluded.deletedByGc).isEqualTo(excluded.deletedByModel).isGreaterThan(40);
      assertThat(refreshed.deletedByGc).isEqualTo(refreshed.deletedByModel);
      assertThat(refreshed.reports).allSatisfy(r -> assertThat(r.path("pullTimes").asText()).isEqualTo("refreshed-by-gc"));
      assertThat(excluded.reports).allSatisfy(r -> assertThat(r.path("pullTimes").asText()).isEqualTo("excluded"));
      // after the first run, a daily run reads only the manifests pushed since the day before
      assertThat(refreshed.reports.subList(1, DAYS)).allSatisfy(r -> assertThat(r.path("manifestsRead").asInt()).isEqualTo(3));
      assertThat(stateless.reports.get(1).path("warnings").toString()).contains("register-pull-time-update-exclusion");
      assertThat(stateless.deletedByGc).as("without state the GC's own earlier reads look like uses").isLessThan(excluded.deletedByModel / 4);
      System.out.printf("14-day replay: trace-free model deletes %d; GC with the exclusion %d; without it %d; without it and "
              + "without state %d%n", excluded.deletedByModel, excluded.deletedByGc, refreshed.deletedByGc, stateless.deletedByGc);
    }
  }
}
