package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.testing.Cli;
import dev.buildcache.operator.testing.FakeRegistry;
import dev.buildcache.operator.testing.MutableClock;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code buildcache gc} against a registry that misbehaves, with a second host (127.0.0.2) playing the place a
 * hostile registry would send us: it records every request and the {@code Authorization} it carried. What cannot be
 * read or resolved is never deleted, and credentials stay on the registry's host.
 */
class MisbehavingRegistryIT {
  static final String REPO = "team/app";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
  static final Instant T = Instant.parse("2026-11-20T03:00:00Z");

  FakeRegistry registry;
  FakeRegistry foreign;
  MutableClock clock = new MutableClock(T.minus(Duration.ofDays(30)));
  @TempDir
  Path dir;
  Cli cli;
  /** What the GC waited for: waiting moves the clock on, so nothing sleeps. */
  final List<Duration> waited = new CopyOnWriteArrayList<>();
  Path dockerConfig;
  String shared;
  String expired;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry("127.0.0.1", REPO);
    foreign = new FakeRegistry("127.0.0.2", REPO);
    cli = new Cli(clock, dir.resolve("state"), d -> {
      waited.add(d);
      clock.advance(d);
    });
    dockerConfig = dir.resolve("config.json");
    String auth = Base64.getEncoder().encodeToString((FakeRegistry.USER + ":" + FakeRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8));
    Files.writeString(dockerConfig, "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
    // a cache manifest that a release tag shares, and an unrelated expired cache
    shared = registry.put("cache-x", OCI_MANIFEST, cache("x"));
    registry.tag(shared, "release-1");
    expired = registry.put("cache-old", OCI_MANIFEST, cache("old"));
  }

  @AfterEach
  void stop() {
    registry.close();
    foreign.close();
  }

  static String cache(String name) {
    String layer = "sha256:" + FakeRegistry.sha256(name.getBytes(StandardCharsets.UTF_8));
    String config = "sha256:" + FakeRegistry.sha256(("config-" + name).getBytes(StandardCharsets.UTF_8));
    return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + CACHE_CONFIG
        + "\",\"digest\":\"" + config + "\",\"size\":100},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
        + "\"digest\":\"" + layer + "\",\"size\":1000}]}";
  }

  /** The GC saw the repository 30 days ago (a dry run), and runs again now. */
  Cli.Result gcAfterAMonth(String... extra) {
    Cli.Result seen = run("--dry-run");
    assertThat(seen.exit()).as(seen.err()).isIn(0, 3);
    clock.advance(Duration.between(clock.instant(), T));
    return run(extra);
  }

  Cli.Result run(String... extra) {
    List<String> args = new ArrayList<>(List.of("gc", "--repository", registry.host() + "/" + REPO, "--insecure",
        "--docker-config", dockerConfig.toString(), "--max-age", "14d", "--output", "json"));
    args.addAll(List.of(extra));
    return cli.exec(args.toArray(String[]::new));
  }

  static List<String> deleted(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("deleted").forEach(d -> out.add(d.path("digest").asText()));
    return out;
  }

  static boolean respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body, Map<String, String> headers) {
    try {
      FakeRegistry.respond(exchange, status, "application/json", body, headers);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aWellBehavedRegistryLosesTheExpiredCacheAndKeepsTheSharedOne() {
    registry.basicAuth();
    Cli.Result result = gcAfterAMonth();
    assertThat(result.exit()).as(result.out() + result.err()).isZero();
    assertThat(deleted(result.json())).containsExactly(expired);
    assertThat(registry.tags()).containsKeys("cache-x", "release-1").doesNotContainKey("cache-old");
  }

  @Test
  void credentialsNeverGoToAPlainHttpTokenRealmOnAnotherHost() {
    registry.bearerRealm(foreign.url() + "/token");
    Cli.Result result = run();
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().lines().toList()).singleElement().asString()
        .contains("sends us for a token to " + foreign.url() + " over plain http, another host: refusing to send the credentials for "
            + registry.host() + " there");
    assertThat(foreign.requests()).as("the foreign host heard nothing").isEmpty();
  }

  @Test
  void withoutCredentialsAForeignRealmMayBeAskedAnonymously() throws Exception {
    registry.bearerRealm(foreign.url() + "/token");
    Files.writeString(dockerConfig, "{\"auths\":{}}");
    run();
    assertThat(foreign.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
  }

  @Test
  void aLinkToAnotherHostIsAnErrorAndNothingOfItIsMerged() {
    registry.basicAuth();
    registry.fault("tags/list", exchange -> respond(exchange, 200, "{\"name\":\"team/app\",\"tags\":[\"cache-old\"]}",
        Map.of("Link", "<" + foreign.url() + "/v2/team/app/tags/list?n=1000&last=cache-old>; rel=\"next\"")));
    Cli.Result result = run();
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().strip()).contains("the Link header points at " + foreign.url() + "/v2/team/app/tags/list, outside this repository; refusing to follow it");
    assertThat(foreign.requests()).isEmpty();
    assertThat(registry.tags()).containsKey("cache-old");
  }

  @Test
  void aRedirectToAnotherHostCarriesNoCredentials() {
    registry.basicAuth();
    foreign.put("cache-x", OCI_MANIFEST, cache("x"));
    registry.fault("manifests/cache-x", exchange -> respond(exchange, 307, "",
        Map.of("Location", foreign.url() + "/v2/team/app/manifests/cache-x")));
    Cli.Result result = gcAfterAMonth();
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(foreign.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
    assertThat(deleted(result.json())).containsExactly(expired);
  }

  @Test
  void aTagWhoseHeadHasNoDigestIsResolvedByGetSoTheReleaseTagStillProtectsTheManifest() {
    registry.fault("manifests/release-1", exchange -> "HEAD".equals(exchange.getRequestMethod())
        && respond(exchange, 200, "", Map.of("Content-Type", OCI_MANIFEST)));
    Cli.Result result = gcAfterAMonth();
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.json())).containsExactly(expired);
    assertThat(result.json().path("skipped").toString()).contains("TagNotCache").contains("release-1");
    assertThat(registry.tags()).containsEntry("release-1", shared);
  }

  @Test
  void aTagThatAnswers404KeepsEverythingInThatRun() {
    registry.fault("manifests/release-1", exchange -> respond(exchange, 404,
        "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}", Map.of()));
    Cli.Result result = gcAfterAMonth();
    assertThat(result.exit()).as("finished, incomplete").isEqualTo(3);
    assertThat(deleted(result.json())).isEmpty();
    assertThat(result.json().path("blockers").get(0).asText()).startsWith("tag 'release-1' could not be resolved (listed, but its manifest answers HTTP 404");
    assertThat(result.json().path("skipped").findValuesAsText("reason")).contains("Unresolved");
    assertThat(registry.tags()).containsKeys("cache-x", "cache-old", "release-1");
    assertThat(result.err()).contains("warning: nothing is deleted in this run: tag 'release-1' could not be resolved");
  }

  @Test
  void aTagThatStopsResolvingAtTheRecheckKeepsEverything() {
    AtomicInteger heads = new AtomicInteger();
    registry.fault("manifests/release-1", exchange -> heads.incrementAndGet() > 2
        && respond(exchange, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}", Map.of()));
    Cli.Result result = gcAfterAMonth();
    assertThat(deleted(result.json())).isEmpty();
    assertThat(result.json().path("skipped").toString()).contains("held at the re-check before deleting: tag 'release-1'");
    assertThat(registry.tags()).containsKey("cache-old");
  }

  @Test
  void aLinkLoopIsAnError() {
    registry.fault("tags/list", exchange -> respond(exchange, 200, "{\"name\":\"team/app\",\"tags\":[\"cache-old\"]}",
        Map.of("Link", "</v2/team/app/tags/list?n=1000>; rel=\"next\"")));
    Cli.Result result = run();
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().strip()).contains("leads back to").contains("(a pagination loop)");
  }

  @Test
  void pagesThatBringNothingNewAreAnError() {
    AtomicInteger page = new AtomicInteger();
    registry.fault("tags/list", exchange -> respond(exchange, 200, "{\"name\":\"team/app\",\"tags\":[\"cache-old\"]}",
        Map.of("Link", "</v2/team/app/tags/list?n=1000&last=p" + page.incrementAndGet() + ">; rel=\"next\"")));
    Cli.Result result = run();
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().strip()).contains("page 2 brought no new tag but links to another page");
  }

  @Test
  void aTagsListThatIsNotJsonIsOneLineNamingTheRequest() {
    registry.fault("tags/list", exchange -> {
      try {
        FakeRegistry.respond(exchange, 200, "text/html", "<html>\n<body>Service temporarily in maintenance</body>", Map.of());
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Cli.Result result = run();
    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err().lines().toList()).singleElement().asString()
        .isEqualTo("buildcache gc: tags list of " + registry.host() + "/" + REPO + " (GET " + registry.url() + "/v2/" + REPO
            + "/tags/list?n=1000): the registry's answer is not a JSON object: <html> <body>Service temporarily in maintenance</body>");
  }

  @Test
  void anOversizedManifestIsKeptAsUnreadableAndTheRunGoesOn() {
    // by digest and by each of its tags (the listing GETs tags, and reads what they serve)
    for (String path : List.of(shared, "cache-x", "release-1")) {
      registry.fault("manifests/" + path, exchange -> "GET".equals(exchange.getRequestMethod())
          && respond(exchange, 200, "x".repeat(5 * 1024 * 1024), Map.of()));
    }
    Cli.Result result = gcAfterAMonth();
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(deleted(result.json())).containsExactly(expired);
    assertThat(result.json().path("skipped").toString()).contains("Unreadable").contains("larger than 4194304 bytes");
    assertThat(registry.tags()).containsKeys("cache-x", "release-1");
  }

  @Test
  void contentThatDoesNotHashToItsDigestIsUnreadable() {
    registry.fault("manifests/" + shared, exchange -> "GET".equals(exchange.getRequestMethod())
        && respond(exchange, 200, cache("impostor"), Map.of("Content-Type", OCI_MANIFEST)));
    // its tags serve the impostor too, under the real digest's header
    for (String tag : List.of("cache-x", "release-1")) {
      registry.fault("manifests/" + tag, exchange -> "GET".equals(exchange.getRequestMethod())
          && respond(exchange, 200, cache("impostor"), Map.of("Content-Type", OCI_MANIFEST, "Docker-Content-Digest", shared)));
    }
    Cli.Result result = gcAfterAMonth();
    assertThat(result.json().path("skipped").toString()).contains("Unreadable").contains("the registry served content that hashes to");
    assertThat(registry.tags()).containsKeys("cache-x", "release-1");
  }

  @Test
  void aDrippingBodyIsCutOffAtTheDeadline() {
    registry.fault("tags/list", exchange -> {
      try {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < 100; i++) {
          out.write(' ');
          out.flush();
          Thread.sleep(100);
        }
        return true;
      } catch (IOException | InterruptedException e) {
        return true; // the client hung up, as it should
      }
    });
    OciRegistryClient client = new OciRegistryClient(RepositoryReference.parse(registry.host() + "/" + REPO), true,
        DockerCredentials.none(), OciRegistryClient.Limits.DEFAULT.withDeadline(Duration.ofSeconds(1)).withBackoff(Duration.ofMillis(1)));
    // Without a deadline the body would end after ~10 s as spaces, and the error would be "not JSON".
    assertThatThrownBy(client::list).isInstanceOf(RegistryException.class)
        .hasMessage("GET " + registry.url() + "/v2/" + REPO + "/tags/list?n=1000: no complete answer within 1 s; "
            + "the registry is too slow or the response never ends");
  }

  @Test
  void aRegistryThatThrottlesEveryRequestOnceIsWaitedForAndLosesOnlyTheExpiredCache() {
    // a release image under a tag the cache pattern matches, as old as the expired cache: not cache, so it stays
    String release = registry.put("cache-release", OCI_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + "c".repeat(64)
        + "\",\"size\":10},\"layers\":[]}");
    Cli.Result seen = run("--dry-run");
    assertThat(seen.exit()).as(seen.err()).isIn(0, 3);
    clock.advance(Duration.between(clock.instant(), T));
    List<String> paths = new ArrayList<>(List.of("tags/list", "manifests/" + shared, "manifests/" + expired, "manifests/" + release));
    registry.tags().keySet().forEach(tag -> paths.add("manifests/" + tag));
    AtomicInteger throttled = new AtomicInteger();
    int before = registry.requests().size();
    for (String path : paths) {
      AtomicInteger requests = new AtomicInteger();
      // the first request on each path is refused, with a pause in seconds or as an HTTP date (RFC 9110 10.2.3)
      registry.fault(path, exchange -> requests.getAndIncrement() == 0 && throttled.incrementAndGet() > 0
          && FakeRegistry.tooManyRequests(exchange, throttled.get() % 2 == 0 ? "4"
              : DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(4).atOffset(ZoneOffset.UTC))));
    }

    Cli.Result result = run();

    assertThat(result.exit()).as(result.out() + result.err()).isZero();
    assertThat(deleted(result.json())).containsExactly(expired);
    assertThat(registry.tags()).containsKeys("cache-x", "release-1").containsEntry("cache-release", release).doesNotContainKey("cache-old");
    assertThat(result.json().path("skipped").toString()).contains("NotCache").contains("cache-release");
    // every path the run asked for was refused once, and asked again
    List<String> asked = registry.requests().subList(before, registry.requests().size()).stream()
        .map(r -> r.path().replaceFirst("^/v2/" + REPO + "/", "").replaceFirst("\\?.*", "")).distinct().toList();
    assertThat(asked).contains("tags/list", "manifests/release-1", "manifests/" + expired);
    assertThat(throttled.get()).isEqualTo(asked.size());
    // the tags list, asked first and alone, waited the 4 s its HTTP date asked for; the others no longer than that
    assertThat(waited.get(0)).isEqualTo(Duration.ofSeconds(4));
    assertThat(waited).allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(4)));
  }

  @Test
  void aRegistryThatThrottlesADeleteBeyondItsRetriesKeepsItAndSaysSo() {
    Cli.Result seen = run("--dry-run");
    assertThat(seen.exit()).as(seen.err()).isIn(0, 3);
    clock.advance(Duration.between(clock.instant(), T));
    AtomicInteger deletes = new AtomicInteger();
    registry.fault("manifests/" + expired, exchange -> "DELETE".equals(exchange.getRequestMethod()) && deletes.incrementAndGet() > 0
        && FakeRegistry.tooManyRequests(exchange, "2"));

    Cli.Result result = run();

    assertThat(result.exit()).as(result.out() + result.err()).isEqualTo(3);
    assertThat(deletes.get()).isEqualTo(OciRegistryClient.Limits.DEFAULT.maxAttempts());
    assertThat(waited).hasSize(deletes.get() - 1).containsOnly(Duration.ofSeconds(2));
    assertThat(deleted(result.json())).isEmpty();
    assertThat(result.json().path("failed").toString()).contains(expired).contains("HTTP429").contains("TOOMANYREQUESTS");
    assertThat(registry.tags()).containsKeys("cache-x", "release-1", "cache-old");
  }
}
