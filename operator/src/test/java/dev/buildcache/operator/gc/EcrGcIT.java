package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.EcrProtocolServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code buildcache gc} through the real aws-sdk-java-v2 ECR client against the local ECR-protocol server. */
class EcrGcIT {
  static final String REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final Instant NOW = Instant.now();

  EcrProtocolServer ecr;

  @BeforeAll
  static void credentials() {
    EcrProtocolServer.useTestCredentials();
  }

  @BeforeEach
  void start() throws Exception {
    ecr = new EcrProtocolServer();
  }

  @AfterEach
  void stop() {
    ecr.close();
  }

  static String manifest(String configMediaType, String name, String... layers) {
    StringBuilder l = new StringBuilder();
    for (String layer : layers) {
      l.append(l.length() == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:")
          .append(layer).append("\",\"size\":").append(1000 + Math.abs(layer.hashCode() % 1000)).append('}');
    }
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + configMediaType
        + "\",\"digest\":\"sha256:config-" + name + "\",\"size\":200},\"layers\":[" + l + "]}";
  }

  String cache(String name, Duration age, String... tags) {
    return ecr.put(manifest(CACHE_CONFIG, name, "base", "layer-" + name), OCI_MANIFEST, CACHE_CONFIG, NOW.minus(age), null, tags);
  }

  String release(String name, String... tags) {
    return ecr.put(manifest("application/vnd.oci.image.config.v1+json", name, "base", "app-" + name), OCI_MANIFEST,
        "application/vnd.oci.image.config.v1+json", NOW.minus(Duration.ofDays(300)), null, tags);
  }

  record Result(int exit, JsonNode report, String err) {}

  Result gc(String... extra) {
    List<String> args = new ArrayList<>(List.of("gc", "--repository", REPOSITORY, "--endpoint-url", ecr.endpoint().toString(),
        "--output", "json"));
    args.addAll(List.of(extra));
    Cli.Result result = Cli.run(args.toArray(String[]::new));
    return new Result(result.exit(), result.out().isBlank() ? null : result.json(), result.err());
  }

  static List<String> deleted(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("deleted").forEach(d -> out.add(d.path("digest").asText()));
    return out;
  }

  static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  @Test
  void pagesOverThousandsOfImagesInMinimalBatches() throws Exception {
    int n = 2_500;
    int old = 0;
    for (int i = 0; i < n; i++) {
      boolean expired = i % 3 == 0;
      old += expired ? 1 : 0;
      cache("c" + i, Duration.ofDays(expired ? 40 : 5), "cache-branch-" + i);
    }
    String releaseDigest = release("v1", "cache-v1");

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).hasSize(old).doesNotContain(releaseDigest);
    assertThat(ecr.tagsByDigest()).containsKey(releaseDigest);
    assertThat(ecr.tagsByDigest()).hasSize(n + 1 - old);

    int total = n + 1;
    JsonNode calls = result.report().path("apiCalls");
    // list in pages of 1000, manifests in batches of 100, re-verify and delete the candidates in batches of 100
    assertThat(calls.path("DescribeImages").asInt()).isEqualTo(ceilDiv(total, 1000) + ceilDiv(old, 100));
    assertThat(calls.path("BatchGetImage").asInt()).isEqualTo(ceilDiv(total, 100));
    assertThat(calls.path("BatchDeleteImage").asInt()).isEqualTo(ceilDiv(old, 100));
    assertThat(ecr.calls()).allSatisfy(c -> {
      assertThat(c.imageIds()).isLessThanOrEqualTo(100);
      if (c.maxResults() != null) {
        assertThat(c.maxResults()).isEqualTo(1000);
      }
    });
  }

  @Test
  void throttlingAndServerErrorsAreRetried() throws Exception {
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    cache("fresh", Duration.ofDays(1), "cache-fresh");
    ecr.throttleNext("DescribeImages", 2);
    ecr.failNext("BatchGetImage", 1);
    ecr.failNext("BatchDeleteImage", 1);

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    JsonNode calls = result.report().path("apiCalls");
    assertThat(calls.path("DescribeImages").asInt()).as("1 list + 1 re-read + 2 throttled").isEqualTo(4);
    assertThat(calls.path("BatchGetImage").asInt()).as("1 + 1 retried 500").isEqualTo(2);
    assertThat(calls.path("BatchDeleteImage").asInt()).isEqualTo(2);
  }

  @Test
  void slowResponsesChangeNothingButTheDuration() {
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    ecr.latency(Duration.ofMillis(50));

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    int calls = 0;
    for (JsonNode count : result.report().path("apiCalls")) {
      calls += count.asInt();
    }
    // every request waited at least the injected latency: a lower bound, never flaky
    assertThat(result.report().path("durationMs").asLong()).isGreaterThanOrEqualTo(50L * calls);
  }

  @Test
  void partialBatchFailuresExitThreeAndAreListed() throws Exception {
    String a = cache("a", Duration.ofDays(40), "cache-a");
    String b = cache("b", Duration.ofDays(40), "cache-b");
    ecr.failDeletes(b, "ImageReferencedByManifestList");

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).isEqualTo(3);
    assertThat(deleted(result.report())).containsExactly(a);
    assertThat(result.report().path("failed")).singleElement().satisfies(f -> {
      assertThat(f.path("digest").asText()).isEqualTo(b);
      assertThat(f.path("code").asText()).isEqualTo("ImageReferencedByManifestList");
    });
    assertThat(ecr.tagsByDigest()).containsKey(b).doesNotContainKey(a);
  }

  @Test
  void imageAlreadyGoneCountsAsDone() throws Exception {
    String a = cache("a", Duration.ofDays(40), "cache-a");
    String b = cache("b", Duration.ofDays(40), "cache-b");
    // another GC run (or a person) deletes b after our re-read, before our delete
    ecr.beforeFirst("BatchDeleteImage", () -> ecr.remove(b));

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactlyInAnyOrder(a, b);
    assertThat(result.report().path("failed")).isEmpty();
  }

  @Test
  void tagMovedBetweenPlanAndDeleteIsSkipped() throws Exception {
    String old = cache("old", Duration.ofDays(40), "cache-feature");
    String other = cache("other", Duration.ofDays(40), "cache-other");
    // a build pushes and re-tags between planning and deleting: the re-read sees the new tag
    ecr.beforeFirst("DescribeImages:ids", () -> ecr.tag(old, "cache-main"));

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(other);
    assertThat(result.report().path("skipped").findValuesAsText("reason")).contains("ChangedSincePlanning");
    assertThat(ecr.tagsByDigest()).containsKey(old);
  }

  @Test
  void untaggedOrphansPastUntaggedAfterAreDeleted() throws Exception {
    String orphan = cache("orphan", Duration.ofDays(3));
    String freshOrphan = cache("fresh-orphan", Duration.ofMinutes(30));
    String tagged = cache("tagged", Duration.ofDays(3), "cache-main");
    String releaseDigest = release("v2", "cache-v2");

    Result result = gc("--untagged-after", "24h");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(orphan);
    assertThat(result.report().path("deleted").get(0).path("reason").asText()).isEqualTo("UntaggedOrphan");
    assertThat(ecr.tagsByDigest()).containsKeys(freshOrphan, tagged, releaseDigest);
  }

  @Test
  void dryRunDeletesNothing() throws Exception {
    cache("old", Duration.ofDays(40), "cache-old");
    Result result = gc("--max-age", "30d", "--dry-run");
    assertThat(result.exit()).isZero();
    assertThat(deleted(result.report())).hasSize(1);
    assertThat(ecr.tagsByDigest()).hasSize(1);
    assertThat(result.report().path("apiCalls").has("BatchDeleteImage")).isFalse();
  }

  @Test
  void lastPullKeepsOldPushesAlive() throws Exception {
    String pulled = ecr.put(manifest(CACHE_CONFIG, "pulled", "base", "p"), OCI_MANIFEST, CACHE_CONFIG,
        NOW.minus(Duration.ofDays(60)), NOW.minus(Duration.ofDays(1)), "cache-main");
    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).isZero();
    assertThat(deleted(result.report())).isEmpty();
    assertThat(ecr.tagsByDigest()).containsKey(pulled);
  }
}
