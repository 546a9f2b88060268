package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code buildcache gc} through the real aws-sdk-java-v2 ECR and STS clients against the local ECR-protocol server,
 * which records the GC's manifest reads as pulls (unless its role is excluded) and evaluates the shipped IAM policy.
 */
class EcrGcIT {
  static final String REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  EcrProtocolServer ecr;
  MutableClock clock = new MutableClock(NOW);
  @TempDir
  Path stateHome;

  @BeforeAll
  static void credentials() {
    EcrProtocolServer.useTestCredentials();
  }

  @BeforeEach
  void start() throws Exception {
    ecr = new EcrProtocolServer().serveSts();
    ecr.clock(clock);
  }

  @AfterEach
  void stop() {
    EcrProtocolServer.clearSdkEndpoints();
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

  /** BuildKit's cache with image-manifest=false: an index whose entries are the layer blobs and the cacheconfig blob. */
  static String indexCache(String name) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":["
        + "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:base\",\"size\":4000,"
        + "\"annotations\":{\"buildkit/createdat\":\"2020-01-01T00:00:00Z\"}},"
        + "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:layer-" + name + "\",\"size\":1500},"
        + "{\"mediaType\":\"" + CACHE_CONFIG + "\",\"digest\":\"sha256:cacheconfig-" + name + "\",\"size\":300}]}";
  }

  String cache(String name, Duration age, String... tags) {
    return ecr.put(manifest(CACHE_CONFIG, name, "base", "layer-" + name), OCI_MANIFEST, CACHE_CONFIG, clock.instant().minus(age), null, tags);
  }

  String release(String name, String... tags) {
    return ecr.put(manifest("application/vnd.oci.image.config.v1+json", name, "base", "app-" + name), OCI_MANIFEST,
        "application/vnd.oci.image.config.v1+json", clock.instant().minus(Duration.ofDays(300)), null, tags);
  }

  record Result(int exit, JsonNode report, String err) {}

  /** One run of the CLI with this test's clock and state directory. */
  Result gc(String... extra) {
    List<String> args = new ArrayList<>(List.of("gc", "--repository", REPOSITORY, "--endpoint-url", ecr.endpoint().toString(),
        "--output", "json"));
    args.addAll(List.of(extra));
    Cli.Result result = new Cli(clock, stateHome).exec(args.toArray(String[]::new));
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
    assertThat(calls.path("GetCallerIdentity").asInt()).isEqualTo(1);
    assertThat(calls.path("ListPullTimeUpdateExclusions").asInt()).isEqualTo(1);
    assertThat(ecr.calls()).allSatisfy(c -> {
      assertThat(c.imageIds()).isLessThanOrEqualTo(100);
      if (c.maxResults() != null && !c.operation().equals("ListPullTimeUpdateExclusions")) {
        assertThat(c.maxResults()).isEqualTo(1000);
      }
    });
  }

  @Test
  void theGcsOwnReadsAreRecordedAsPullsButNeverKeepACacheAlive() {
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    String fresh = cache("fresh", Duration.ofDays(2), "cache-fresh");
    Result first = gc("--max-age", "14d");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(deleted(first.report())).containsExactly(expired);
    assertThat(ecr.lastRecordedPull(fresh)).as("ECR recorded the GC's read as a pull").isEqualTo(NOW);
    assertThat(first.report().path("pullTimes").asText()).isEqualTo("refreshed-by-gc");

    // 13 days later nobody has pulled 'fresh' (15 days since its push); ECR shows the GC's read of 13 days ago
    clock.advance(Duration.ofDays(13));
    String later = cache("later", Duration.ofDays(1), "cache-later");
    ecr.clearCalls();
    Result second = gc("--max-age", "14d");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(deleted(second.report())).as("the GC's own read 13 days ago is not a use").containsExactly(fresh);
    assertThat(second.report().path("manifestsRead").asInt()).as("only the new manifest is read").isEqualTo(1);
    assertThat(ecr.calls().stream().filter(c -> c.operation().equals("BatchGetImage")).mapToInt(EcrProtocolServer.Call::imageIds).sum())
        .isEqualTo(1);
    assertThat(ecr.tagsByDigest()).containsOnlyKeys(later);
  }

  @Test
  void aRealPullAfterTheGcsReadKeepsTheCache() {
    String branch = cache("branch", Duration.ofDays(10), "cache-branch");
    String idle = cache("idle", Duration.ofDays(10), "cache-idle");
    assertThat(gc("--max-age", "14d").exit()).isZero();
    clock.advance(Duration.ofDays(3));
    ecr.pullByBuild(branch);
    clock.advance(Duration.ofDays(5));
    Result result = gc("--max-age", "14d");
    assertThat(deleted(result.report())).as("both pushed 18 days ago; only branch was pulled, 5 days ago").containsExactly(idle);
    assertThat(ecr.tagsByDigest()).containsOnlyKeys(branch);
  }

  @Test
  void anExcludedRoleIsReportedAndItsReadsLeaveNoTrace() {
    ecr.exclude(EcrProtocolServer.GC_ROLE_ARN);
    String fresh = cache("fresh", Duration.ofDays(2), "cache-fresh");
    Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.report().path("pullTimes").asText()).isEqualTo("excluded");
    assertThat(result.report().path("pullTimesPrincipal").asText()).isEqualTo(EcrProtocolServer.GC_CALLER_ARN);
    assertThat(result.report().path("warnings")).isEmpty();
    assertThat(ecr.lastRecordedPull(fresh)).isNull();
  }

  @Test
  void aRoleThatIsNotExcludedGetsAOneLineWarningWithTheExactCommand() {
    cache("fresh", Duration.ofDays(2), "cache-fresh");
    Cli.Result text = new Cli(clock, stateHome).exec("gc", "--repository", REPOSITORY, "--endpoint-url", ecr.endpoint().toString());
    assertThat(text.exit()).as(text.err()).isZero();
    List<String> warnings = text.out().lines().filter(l -> l.startsWith("WARNING: ")).toList();
    assertThat(warnings).singleElement().asString()
        .contains("the GC's role buildcache-operator is not a pull-time update exclusion")
        .contains("aws ecr register-pull-time-update-exclusion --region us-east-1 --principal-arn "
            + "\"$(aws iam get-role --role-name buildcache-operator --query Role.Arn --output text)\"");
    Result json = gc();
    assertThat(json.report().path("pullTimes").asText()).isEqualTo("refreshed-by-gc");
    assertThat(json.err()).contains("warning: the GC's role buildcache-operator");
  }

  @Test
  void withoutPermissionToListExclusionsThePullTimesAreUnknownAndSaySo() {
    ecr.gcPolicy(EcrProtocolServer.policyAllowing("ecr:DescribeImages", "ecr:BatchGetImage", "ecr:BatchDeleteImage"));
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    assertThat(result.report().path("pullTimes").asText()).isEqualTo("unknown");
    assertThat(result.report().path("pullTimesReason").asText())
        .isEqualTo("the GC may not call ecr:ListPullTimeUpdateExclusions; grant it (deploy/eks/iam-policy.json)");
  }

  @Test
  void anUnreachableStsMakesThePullTimesUnknownNotTheRunFail() {
    System.setProperty("aws.endpointUrlSts", "http://127.0.0.1:1");
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    assertThat(result.report().path("pullTimes").asText()).isEqualTo("unknown");
    assertThat(result.report().path("pullTimesReason").asText()).startsWith("cannot tell who the GC runs as (STS GetCallerIdentity: ");
  }

  @Test
  void theIndexFormCacheIsCacheAndItsEntriesAreBlobs() {
    String index = ecr.put(indexCache("legacy"), OCI_INDEX, null, clock.instant().minus(Duration.ofDays(40)), null, "cache-legacy");
    String releaseDigest = release("v1", "cache-v1");
    Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(index);
    assertThat(result.report().path("deleted").get(0).path("uniqueBytes").asLong())
        .as("its layer, its cacheconfig and itself; the base layer a release image shares stays")
        .isEqualTo(1500 + 300 + indexCache("legacy").length());
    assertThat(ecr.tagsByDigest()).containsOnlyKeys(releaseDigest);
  }

  @Test
  void anUnreadableManifestIsKeptWithItsReasonAndTheRunGoesOn() {
    String broken = cache("broken", Duration.ofDays(40), "cache-broken");
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    ecr.failReads(broken, "KmsError");
    Result result = gc("--max-age", "14d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    assertThat(result.report().path("skipped").findValuesAsText("reason")).contains("Unreadable");
    assertThat(result.report().path("skipped").toString()).contains("KmsError");
    assertThat(ecr.tagsByDigest()).containsKey(broken);
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
    long started = System.nanoTime();
    Result result = gc("--max-age", "30d");
    long wallMs = (System.nanoTime() - started) / 1_000_000;
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(expired);
    int calls = 0;
    for (JsonNode count : result.report().path("apiCalls")) {
      calls += count.asInt();
    }
    // every request waited at least the injected latency: a lower bound, never flaky
    assertThat(wallMs).isGreaterThanOrEqualTo(50L * calls);
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
  void anImageSomeoneElseDeletedIsDoneButNotClaimed() throws Exception {
    String a = cache("a", Duration.ofDays(40), "cache-a");
    String b = cache("b", Duration.ofDays(40), "cache-b");
    // another GC run (or a person) deletes b after our re-read, before our delete
    ecr.beforeFirst("BatchDeleteImage", () -> ecr.remove(b));

    Result result = gc("--max-age", "30d");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.report())).containsExactly(a);
    assertThat(result.report().path("alreadyGone")).singleElement().satisfies(g -> assertThat(g.path("digest").asText()).isEqualTo(b));
    assertThat(result.report().path("deleted").get(0).path("uniqueBytes").asLong())
        .as("b's bytes are not this run's").isEqualTo(result.report().path("reclaimedBytes").asLong());
    assertThat(result.report().path("failed")).isEmpty();
    assertThat(ecr.tagsByDigest()).isEmpty();
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
  void aBuildPullingBetweenPlanAndDeleteSavesTheCache() {
    String old = cache("old", Duration.ofDays(40), "cache-feature");
    ecr.beforeFirst("DescribeImages:ids", () -> {
      clock.advance(Duration.ofMinutes(30));
      ecr.pullByBuild(old);
    });
    Result result = gc("--max-age", "30d");
    assertThat(deleted(result.report())).isEmpty();
    assertThat(result.report().path("skipped").toString()).contains("pulled since planning");
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

  @Test
  void theSdksOwnEndpointSettingsRouteEcrAndStsWithoutAFlag() {
    // aws.endpointUrlEcr / aws.endpointUrlSts are the system-property twins of AWS_ENDPOINT_URL_ECR / _STS
    ecr.serveEcrThroughSdkSetting();
    String expired = cache("old", Duration.ofDays(40), "cache-old");
    Cli.Result result = new Cli(clock, stateHome).exec("gc", "--repository", REPOSITORY, "--max-age", "14d", "--output", "json");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.json())).containsExactly(expired);
    assertThat(result.json().path("pullTimes").asText()).isEqualTo("refreshed-by-gc");
  }

  @Test
  void aRepositoryThatDoesNotExistIsOneLineNamingIt() {
    String missing = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other-cache";
    Cli.Result result = new Cli(clock, stateHome).exec("gc", "--repository", missing, "--endpoint-url", ecr.endpoint().toString());
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().lines().toList()).singleElement().asString()
        .isEqualTo("buildcache gc: ECR DescribeImages on " + missing + ": RepositoryNotFoundException: The repository with name "
            + "'other-cache' does not exist in the registry with id '123456789012'; check --repository (spec.repository): " + missing);
  }

  @Test
  void noAwsCredentialsIsOneLineWithTheFix() {
    String key = System.getProperty("aws.accessKeyId");
    String secret = System.getProperty("aws.secretAccessKey");
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    try {
      Cli.Result result = new Cli(clock, stateHome).exec("gc", "--repository", REPOSITORY, "--endpoint-url", ecr.endpoint().toString());
      assertThat(result.exit()).isEqualTo(1);
      String line = result.err().strip();
      assertThat(line).doesNotContain("\n").hasSizeLessThan(400)
          .startsWith("buildcache gc: ECR DescribeImages on " + REPOSITORY + ": no AWS credentials: ")
          .contains("AWS_PROFILE");
    } finally {
      System.setProperty("aws.accessKeyId", key);
      System.setProperty("aws.secretAccessKey", secret);
    }
  }
}
