package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.demo.LocalRegistry;
import dev.buildcache.operator.demo.OciPusher;
import dev.buildcache.operator.demo.OciPusher.Layer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code buildcache gc} against a real distribution registry seeded with BuildKit-shaped cache. */
class OciGcIT {
  static final String REPO = "team/app";

  LocalRegistry registry;
  OciPusher pusher;
  Map<String, String> digests = new TreeMap<>();

  @BeforeEach
  void seed() throws Exception {
    assertThat(LocalRegistry.installed()).as("docker-registry on PATH (scripts/test installs it)").isTrue();
    registry = new LocalRegistry();
    pusher = new OciPusher(registry.url(), REPO);
    Instant now = Instant.now();
    Layer base = Layer.of("base", 4096);
    Layer sharedAc = Layer.of("shared-ac", 3000);
    digests.put("main", pusher.pushCache("cache-main", now.minus(Duration.ofDays(2)), List.of(base, Layer.of("main", 2000))));
    digests.put("a", pusher.pushCache("cache-feature-a", now.minus(Duration.ofDays(20)), List.of(base, sharedAc, Layer.of("a", 1500))));
    digests.put("c", pusher.pushCache("cache-feature-c", now.minus(Duration.ofDays(40)), List.of(base, sharedAc, Layer.of("c", 1700))));
    // a moved tag: the first cache-feature-b manifest is left untagged
    digests.put("b-old", pusher.pushCache("cache-feature-b", now.minus(Duration.ofDays(30)), List.of(base, Layer.of("b-old", 1200))));
    digests.put("b", pusher.pushCache("cache-feature-b", now.minus(Duration.ofDays(3)), List.of(base, Layer.of("b-new", 1300))));
    // a release image under a tag that matches the cache pattern, sharing the base layer
    digests.put("release", pusher.pushImage("cache-v1", List.of(base, Layer.of("app", 2500))));
    // an old cache manifest that also carries a tag that is not cache
    digests.put("d", pusher.pushCache("cache-feature-d", now.minus(Duration.ofDays(30)), List.of(base, Layer.of("d", 1000))));
    pusher.tag(digests.get("d"), "latest");
  }

  @AfterEach
  void stop() throws Exception {
    registry.close();
  }

  Cli.Result gc(String... extra) {
    List<String> args = new ArrayList<>(List.of("gc", "--repository", registry.host() + "/" + REPO, "--insecure",
        "--protect", "cache-main", "--output", "json"));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  List<String> tags() {
    try (OciRegistryClient client = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true, DockerCredentials.none())) {
      return client.scan().stream().flatMap(i -> i.tags().stream()).sorted().toList();
    }
  }

  static List<String> deletedDigests(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("deleted").forEach(d -> out.add(d.path("digest").asText()));
    return out;
  }

  @Test
  void deletesExactlyTheExpiredCacheAndTheRegistryFreesWhatTheReportSays() throws Exception {
    long before = registry.blobBytes();
    Cli.Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode report = result.json();

    assertThat(deletedDigests(report)).containsExactlyInAnyOrder(digests.get("a"), digests.get("c"));
    assertThat(tags()).containsExactly("cache-feature-b", "cache-feature-d", "cache-main", "cache-v1", "latest");
    assertThat(report.path("registryType").asText()).isEqualTo("oci");
    assertThat(report.path("scannedImages").asInt()).isEqualTo(6);
    assertThat(report.path("cacheImages").asInt()).isEqualTo(5);
    assertThat(report.path("skipped").findValuesAsText("reason"))
        .contains("NotCache", "TagNotCache", "Protected", "WithinPolicy");
    assertThat(report.path("notes").toString()).contains("garbage-collect --delete-untagged");
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
  void sizeBudgetEvictsLeastRecentlyUsedFirst() throws Exception {
    Cli.Result result = gc("--max-age", "365d", "--max-size", "12Ki");
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode report = result.json();
    // oldest first: c (40d), then a (20d); b (3d) and the protected main stay
    assertThat(deletedDigests(report)).containsExactly(digests.get("c"), digests.get("a"));
    assertThat(report.path("bytesAfter").asLong()).isLessThanOrEqualTo(12 * 1024);
    assertThat(tags()).contains("cache-feature-b", "cache-main", "cache-v1");
  }

  @Test
  void profileSuppliesRepositoryAndRetention(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path profile = dir.resolve("cacheprofile.yaml");
    java.nio.file.Files.writeString(profile, """
        apiVersion: buildcache.dev/v1alpha1
        kind: CacheProfile
        metadata: {name: app, namespace: ci}
        spec:
          repository: %s/%s
          registry: {type: oci, insecure: true}
          builderRef: {name: shared}
          retention:
            tagPatterns: ["cache-*"]
            protectTags: ["cache-main"]
            maxAge: 336h
        """.formatted(registry.host(), REPO));
    Cli.Result result = Cli.run("gc", "--profile", profile.toString(), "--output", "json");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deletedDigests(result.json())).containsExactlyInAnyOrder(digests.get("a"), digests.get("c"));
    assertThat(tags()).contains("cache-main", "cache-v1", "latest");
  }

  @Test
  void textReportIsReadable() {
    Cli.Result result = Cli.run("gc", "--repository", registry.host() + "/" + REPO, "--insecure", "--max-age", "14d", "--dry-run");
    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains("DRY RUN")
        .contains("Would delete 2 images")
        .contains("cache-feature-a")
        .contains("longer than max-age 336h")
        .contains("API calls: GetManifest=");
  }
}
