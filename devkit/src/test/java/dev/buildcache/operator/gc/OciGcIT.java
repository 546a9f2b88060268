package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.demo.LocalRegistry;
import dev.buildcache.operator.demo.OciPusher;
import dev.buildcache.operator.demo.OciPusher.Layer;
import dev.buildcache.operator.gc.state.FileGcStateStore;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code buildcache gc} against a real distribution registry seeded with BuildKit-shaped cache. The registry records
 * no times, so the history is lived through as the GC would: each push is followed by a dry run on that (simulated)
 * day, which is when the GC first sees the tag. Every {@code buildkit/createdat} annotation says 2020, as BuildKit
 * carries old ones forward: an age taken from them would delete everything.
 */
class OciGcIT {
  static final String REPO = "team/app";
  static final Instant T = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  static final Instant STALE_ANNOTATION = Instant.parse("2020-01-01T00:00:00Z");

  LocalRegistry registry;
  OciPusher pusher;
  MutableClock clock = new MutableClock(T.minus(Duration.ofDays(40)));
  @TempDir
  Path stateHome;
  Cli cli;
  Map<String, String> digests = new TreeMap<>();
  final Layer base = Layer.of("base", 4096);
  final Layer sharedAc = Layer.of("shared-ac", 3000);

  @BeforeEach
  void seed() throws Exception {
    assertThat(LocalRegistry.installed()).as("docker-registry on PATH (scripts/test installs it)").isTrue();
    registry = new LocalRegistry();
    pusher = new OciPusher(registry.url(), REPO);
    cli = new Cli(clock, stateHome);

    digests.put("c", pusher.pushCache("cache-feature-c", STALE_ANNOTATION, List.of(base, sharedAc, Layer.of("c", 1700))));
    observe(Duration.ofDays(40));
    // a moved tag: the first cache-feature-b manifest is left untagged at T-3d
    digests.put("b-old", pusher.pushCache("cache-feature-b", STALE_ANNOTATION, List.of(base, Layer.of("b-old", 1200))));
    // a release image under a tag that matches the cache pattern, sharing the base layer
    digests.put("release", pusher.pushImage("cache-v1", List.of(base, Layer.of("app", 2500))));
    // an old cache manifest that also carries a tag that is not cache
    digests.put("d", pusher.pushCache("cache-feature-d", STALE_ANNOTATION, List.of(base, Layer.of("d", 1000))));
    pusher.tag(digests.get("d"), "latest");
    observe(Duration.ofDays(30));
    digests.put("a", pusher.pushCache("cache-feature-a", STALE_ANNOTATION, List.of(base, sharedAc, Layer.of("a", 1500))));
    observe(Duration.ofDays(20));
    digests.put("b", pusher.pushCache("cache-feature-b", STALE_ANNOTATION, List.of(base, Layer.of("b-new", 1300))));
    observe(Duration.ofDays(3));
    digests.put("main", pusher.pushCache("cache-main", STALE_ANNOTATION, List.of(base, Layer.of("main", 2000))));
    observe(Duration.ofDays(2));
    clock.advance(Duration.between(clock.instant(), T));
  }

  /** The GC's run on day T minus {@code before}: a dry run, which is where it first sees what was pushed. */
  void observe(Duration before) {
    clock.advance(Duration.between(clock.instant(), T.minus(before)));
    Cli.Result r = cli.exec("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--dry-run", "--output", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("deleted")).isEmpty();
  }

  @AfterEach
  void stop() throws Exception {
    registry.close();
  }

  Cli.Result gc(String... extra) {
    List<String> args = new ArrayList<>(List.of("gc", "--repository", registry.host() + "/" + REPO, "--insecure",
        "--protect", "cache-main", "--output", "json"));
    args.addAll(List.of(extra));
    return cli.exec(args.toArray(String[]::new));
  }

  List<String> tags() {
    try (OciRegistryClient client = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true, DockerCredentials.none())) {
      return client.list().images().stream().flatMap(i -> i.tags().stream()).sorted().toList();
    }
  }

  static List<String> deletedDigests(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("deleted").forEach(d -> out.add(d.path("digest").asText()));
    return out;
  }

  @Test
  void deletesExactlyTheCacheNotRepushedForMaxAgeAndTheRegistryFreesWhatTheReportSays() throws Exception {
    long before = registry.blobBytes();
    Cli.Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode report = result.json();

    // a (first seen 20 days ago) and c (40); b was re-pushed 3 days ago; d is also 'latest'; main is protected
    assertThat(deletedDigests(report)).containsExactlyInAnyOrder(digests.get("a"), digests.get("c"));
    assertThat(tags()).containsExactly("cache-feature-b", "cache-feature-d", "cache-main", "cache-v1", "latest");
    assertThat(report.path("registryType").asText()).isEqualTo("oci");
    assertThat(report.path("ageBasis").asText()).isEqualTo("first-seen");
    assertThat(report.path("scannedImages").asInt()).isEqualTo(6);
    assertThat(report.path("cacheImages").asInt()).isEqualTo(5);
    assertThat(report.path("manifestsRead").asInt()).as("all remembered from the earlier runs").isZero();
    assertThat(report.path("skipped").findValuesAsText("reason"))
        .contains("NotCache", "TagNotCache", "Protected", "WithinPolicy");
    assertThat(report.path("notes").toString()).contains("garbage-collect --delete-untagged").contains("first saw each tag");
    assertThat(report.path("apiCalls").path("DeleteManifest").asInt()).isEqualTo(2);

    long reclaimed = report.path("reclaimedBytes").asLong();
    assertThat(reclaimed).isPositive();
    registry.garbageCollect(false);
    assertThat(before - registry.blobBytes()).as("bytes the registry's GC freed").isEqualTo(reclaimed);

    // The untagged leftover of the moved tag is invisible to the OCI API; the registry's own GC removes it.
    long afterOurs = registry.blobBytes();
    registry.garbageCollect(true);
    assertThat(registry.blobBytes()).isLessThan(afterOurs);
  }

  @Test
  void atFirstSightNothingIsOldWhateverTheLayerAnnotationsSay() throws Exception {
    Cli.Result result = new Cli(clock, Files.createTempDirectory(stateHome, "fresh"))
        .exec("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--max-age", "1d", "--max-size", "1Ki", "--output", "json");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.json().path("deleted")).isEmpty();
    assertThat(result.json().path("skipped").findValuesAsText("reason")).contains("FirstSeen").doesNotContain("MaxAge");
    assertThat(result.json().path("budgetMet").asBoolean(true)).isFalse();
    assertThat(tags()).hasSize(7);
  }

  @Test
  void withoutStateEveryRunIsAFirstSightAndSaysSo() {
    Cli.Result result = cli.exec("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--max-age", "1d", "--no-state",
        "--output", "json");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.json().path("deleted")).isEmpty();
    assertThat(result.json().path("state").asText()).isEqualTo("none");
    assertThat(result.json().path("notes").toString()).contains("without state (--no-state) every tag is seen for the first time");
  }

  @Test
  void theStateLivesUnderXdgStateHomeOrStateDir(@TempDir Path elsewhere) throws Exception {
    Path state = stateHome.resolve("buildcache").resolve(registry.host().replace(':', '_')).resolve(REPO).resolve("state.json.gz");
    assertThat(state).exists();
    Cli.Result result = gc("--max-age", "14d", "--state-dir", elsewhere.toString(), "--dry-run");
    assertThat(result.json().path("state").asText()).startsWith(elsewhere.toString());
    assertThat(result.json().path("deleted")).as("a state dir with no memory: first sight").isEmpty();
  }

  @Test
  void aSecondRunOnTheSameRepositoryExitsFourAndTouchesNothing() throws Exception {
    String repository = RepositoryReference.parse(registry.host() + "/" + REPO).toString();
    try (GcStateStore.Session first = FileGcStateStore.in(stateHome.resolve("buildcache")).open(repository)) {
      Cli.Result second = gc("--max-age", "14d");
      assertThat(second.exit()).isEqualTo(4);
      assertThat(second.err().lines().toList()).singleElement().asString()
          .startsWith("buildcache gc: another buildcache gc is working on " + repository).contains("try again when it has finished");
      assertThat(second.out()).isEmpty();
    }
    assertThat(tags()).hasSize(7);
  }

  @Test
  void dryRunChangesNothingAndPlansTheSame() throws Exception {
    long before = registry.blobBytes();
    List<String> tagsBefore = tags();
    Cli.Result dry = gc("--max-age", "14d", "--dry-run");
    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.json().path("dryRun").asBoolean()).isTrue();
    assertThat(tags()).isEqualTo(tagsBefore);
    registry.garbageCollect(false);
    assertThat(registry.blobBytes()).isEqualTo(before);

    Cli.Result real = gc("--max-age", "14d");
    assertThat(deletedDigests(real.json())).isEqualTo(deletedDigests(dry.json()));
    assertThat(real.json().path("reclaimedBytes").asLong()).isEqualTo(dry.json().path("reclaimedBytes").asLong());
  }

  @Test
  void sizeBudgetEvictsTheLongestUnchangedFirst() throws Exception {
    Cli.Result result = gc("--max-age", "365d", "--max-size", "12Ki");
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode report = result.json();
    // first seen longest ago first: c (40d), then a (20d); b (3d) and the protected main stay
    assertThat(deletedDigests(report)).containsExactly(digests.get("c"), digests.get("a"));
    assertThat(report.path("bytesAfter").asLong()).isLessThanOrEqualTo(12 * 1024);
    assertThat(report.path("budgetMet").asBoolean()).isTrue();
    assertThat(tags()).contains("cache-feature-b", "cache-main", "cache-v1");
  }

  @Test
  void aBudgetThatCannotBeMetSaysSoAndExitsZero() {
    Cli.Result result = gc("--max-size", "1Ki");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.json().path("budgetMet").asBoolean(true)).isFalse();
    assertThat(result.json().path("warnings").toString()).contains("the budget of 1.0 KiB is not met").contains("Protected 1");
    Cli.Result text = cli.exec("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--protect", "cache-main",
        "--max-size", "1Ki", "--dry-run");
    assertThat(text.out()).contains("NOT MET").contains("WARNING: the budget of 1.0 KiB is not met");
  }

  @Test
  void bothLayoutsOfIndexFormCacheAreCacheAndTheirEntriesAreNeverFetchedAsManifests() throws Exception {
    clock.advance(Duration.between(clock.instant(), T.minus(Duration.ofDays(20))));
    Layer legacy = Layer.of("legacy-layer", 2200);
    String ociIndex = pusher.pushIndexCache("cache-legacy-oci", STALE_ANNOTATION, List.of(base, legacy), true);
    String dockerList = pusher.pushIndexCache("cache-legacy-docker", STALE_ANNOTATION, List.of(base, Layer.of("docker-layer", 1800)), false);
    String multiPlatform = pusher.pushImageIndex("cache-v2", List.of(base, Layer.of("amd64", 900)), List.of(base, Layer.of("arm64", 800)));
    observe(Duration.ofDays(20));
    clock.advance(Duration.between(clock.instant(), T));

    long before = registry.blobBytes();
    Cli.Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode report = result.json();
    assertThat(deletedDigests(report)).contains(ociIndex, dockerList).doesNotContain(multiPlatform);
    assertThat(report.path("blockers")).isEmpty();
    assertThat(report.path("skipped").findValuesAsText("reason")).doesNotContain("Unreadable", "ChildUnreadable", "Unresolved");
    assertThat(report.path("scannedImages").asInt()).as("6 + 2 index caches + the release index and its 2 platform images")
        .isEqualTo(11);
    assertThat(tags()).contains("cache-v2").doesNotContain("cache-legacy-oci", "cache-legacy-docker");
    registry.garbageCollect(false);
    assertThat(before - registry.blobBytes()).as("the registry frees exactly what the report claims")
        .isEqualTo(report.path("reclaimedBytes").asLong());
  }

  @Test
  void profileSuppliesRepositoryAndRetentionAndAnUnsetTypeFollowsTheHost() throws Exception {
    Path profile = stateHome.resolve("cacheprofile.yaml");
    Files.writeString(profile, """
        apiVersion: buildcache.dev/v1alpha1
        kind: CacheProfile
        metadata: {name: app, namespace: ci}
        spec:
          repository: %s/%s
          registry: {insecure: true}
          builderRef: {name: shared}
          retention:
            tagPatterns: ["cache-*"]
            protectTags: ["cache-main"]
            maxAge: 336h
        """.formatted(registry.host(), REPO));
    Cli.Result result = cli.exec("gc", "--profile", profile.toString(), "--output", "json");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.json().path("registryType").asText()).isEqualTo("oci");
    assertThat(deletedDigests(result.json())).containsExactlyInAnyOrder(digests.get("a"), digests.get("c"));
    assertThat(tags()).contains("cache-main", "cache-v1", "latest");
  }

  @Test
  void profileErrorsNameTheProfilesFieldAndFlagErrorsTheFlag() throws Exception {
    Path profile = stateHome.resolve("bad.yaml");
    Files.writeString(profile, """
        apiVersion: buildcache.dev/v1alpha1
        kind: CacheProfile
        metadata: {name: app, namespace: ci}
        spec:
          repository: %s/%s
          builderRef: {name: shared}
          retention: {maxTotalSize: lots}
        """.formatted(registry.host(), REPO));
    Cli.Result result = cli.exec("gc", "--profile", profile.toString(), "--max-age", "14d");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err().lines().findFirst().orElseThrow())
        .isEqualTo("buildcache gc: --profile " + profile + ": spec.retention.maxTotalSize: 'lots' is not a size; use a value like 512Mi, 200Gi or 10GB");
    Cli.Result flag = cli.exec("gc", "--profile", profile.toString(), "--max-size", "huge");
    assertThat(flag.err().lines().findFirst().orElseThrow()).startsWith("buildcache gc: --max-size: 'huge' is not a size");
  }

  @Test
  void textReportIsReadable() {
    Cli.Result result = cli.exec("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--protect", "cache-main",
        "--max-age", "14d", "--dry-run");
    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains("DRY RUN")
        .contains("Would delete 2 images")
        .contains("cache-feature-a")
        .contains("longer than max-age 336h")
        .contains("API calls: GetManifest=");
  }

  @Test
  void aRepositoryThatDoesNotExistIsAnErrorNamingIt() {
    Cli.Result result = cli.exec("gc", "--repository", registry.host() + "/team/missing", "--insecure");
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().lines().toList()).singleElement().asString()
        .isEqualTo("buildcache gc: repository " + registry.host() + "/team/missing does not exist (tags list: HTTP 404 "
            + "NAME_UNKNOWN: repository name not known to registry); check --repository (spec.repository)");
  }

  @Test
  void aPlainHttpRegistryWithoutInsecureSaysToPassIt() {
    Cli.Result result = cli.exec("gc", "--repository", registry.host() + "/" + REPO);
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().lines().toList()).singleElement().asString()
        .startsWith("buildcache gc: GET https://" + registry.host() + "/v2/" + REPO + "/tags/list?n=1000: TLS with " + registry.host() + " failed (")
        .endsWith("if " + registry.host() + " is a plain-HTTP registry, pass --insecure (spec.registry.insecure: true)");
  }

  @Test
  void aRegistryThatIsNotListeningSaysConnectionRefused() {
    Cli.Result result = cli.exec("gc", "--repository", "127.0.0.1:1/" + REPO, "--insecure");
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().strip()).isEqualTo("buildcache gc: GET http://127.0.0.1:1/v2/" + REPO
        + "/tags/list?n=1000: cannot reach 127.0.0.1:1: connection refused (is the registry running, and is the port right?)");
  }
}
