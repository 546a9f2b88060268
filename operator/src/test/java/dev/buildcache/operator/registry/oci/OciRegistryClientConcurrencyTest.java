package dev.buildcache.operator.registry.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.testing.FakeRegistry;
import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests to one registry overlap, at most {@code concurrency} at a time, and what the GC sees does not depend on it:
 * the same listing, reads and delete outcomes, in the same order, as one request after another.
 */
class OciRegistryClientConcurrencyTest {
  static final String CONFIG = "application/vnd.buildkit.cacheconfig.v0";

  FakeRegistry registry;

  @BeforeEach
  void start() throws Exception {
    registry = new FakeRegistry("127.0.0.1", "team/app");
    for (int i = 0; i < 40; i++) {
      registry.put("cache-" + i, "application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"mediaType\":"
          + "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"" + CONFIG + "\",\"digest\":\"sha256:"
          + "0".repeat(63) + (i % 10) + "\",\"size\":" + (100 + i) + "},\"layers\":[]}");
    }
    registry.latency(Duration.ofMillis(20));
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  OciRegistryClient client(int concurrency, DockerCredentials credentials) {
    return new OciRegistryClient(RepositoryReference.parse(registry.host() + "/team/app"), true, credentials,
        OciRegistryClient.Limits.DEFAULT.withBackoff(Duration.ofMillis(1)).withConcurrency(concurrency));
  }

  record Seen(RegistryClient.Listing listing, List<RegistryClient.ManifestRead> reads) {}

  Seen exercise(OciRegistryClient client) {
    RegistryClient.Listing listing = client.list();
    List<String> digests = new ArrayList<>(listing.images().stream().map(RegistryClient.ListedImage::digest).toList());
    java.util.Collections.reverse(digests);
    return new Seen(listing, client.read(digests));
  }

  @Test
  void overlappingRequestsSeeWhatOneAfterAnotherSees() {
    Seen sequential = exercise(client(1, DockerCredentials.none()));
    assertThat(registry.maxInFlight()).isEqualTo(1);
    Seen concurrent = exercise(client(8, DockerCredentials.none()));
    assertThat(registry.maxInFlight()).isBetween(2, 8);
    assertThat(concurrent.listing()).isEqualTo(sequential.listing());
    assertThat(concurrent.listing().images()).hasSize(40);
    assertThat(concurrent.reads()).extracting(RegistryClient.ManifestRead::digest)
        .as("reads come back in the order asked").containsExactlyElementsOf(sequential.reads().stream().map(RegistryClient.ManifestRead::digest).toList());
    assertThat(concurrent.reads()).allSatisfy(r -> assertThat(r.facts()).isNotNull());
  }

  @Test
  void theListingsGetsServeTheReadsSoNoManifestIsFetchedTwice() {
    Seen seen = exercise(client(8, DockerCredentials.none()));
    assertThat(seen.reads()).hasSize(40).allSatisfy(r -> assertThat(r.facts()).isNotNull());
    assertThat(registry.requests()).filteredOn(r -> r.path().contains("/manifests/")).extracting(FakeRegistry.Request::method)
        .as("one GET per tag, nothing by digest, no HEAD").containsOnly("GET").hasSize(40);
  }

  @Test
  void deleteOutcomesComeBackInTheOrderAskedWhateverOrderTheRegistryAnswers() {
    OciRegistryClient client = client(8, DockerCredentials.none());
    List<String> digests = client.list().images().stream().map(RegistryClient.ListedImage::digest).toList();
    List<String> asked = new ArrayList<>(digests.subList(0, 20));
    asked.add("sha256:" + "f".repeat(64));
    List<RegistryClient.DeleteOutcome> outcomes = client.delete(asked);
    assertThat(outcomes).extracting(RegistryClient.DeleteOutcome::digest).containsExactlyElementsOf(asked);
    assertThat(outcomes.subList(0, 20)).allSatisfy(o -> assertThat(o.status()).isEqualTo(RegistryClient.DeleteOutcome.Status.DELETED));
    assertThat(outcomes.get(20).status()).isEqualTo(RegistryClient.DeleteOutcome.Status.ALREADY_GONE);
    assertThat(registry.tags()).hasSize(20);
  }

  @Test
  void concurrentRequestsThatMeetTheSameBasicChallengeAllGetThrough() {
    registry.basicAuth();
    String auth = java.util.Base64.getEncoder().encodeToString((FakeRegistry.USER + ":" + FakeRegistry.PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    DockerCredentials credentials = DockerCredentials.parse("{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
    OciRegistryClient client = client(8, credentials);
    Seen seen = exercise(client);
    assertThat(seen.listing().unresolved()).isEmpty();
    assertThat(seen.listing().images()).hasSize(40);
    // the first requests of the delete scope go out together, all without an authorization yet
    List<RegistryClient.DeleteOutcome> outcomes = client.delete(seen.listing().images().stream()
        .map(RegistryClient.ListedImage::digest).toList());
    assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).as(o.failureReason()).isEqualTo(RegistryClient.DeleteOutcome.Status.DELETED));
  }

  /** A pacer on a clock of the test's: waiting moves it on, and nothing sleeps. */
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T10:00:00Z"));
  final List<Duration> waits = new CopyOnWriteArrayList<>();
  final RegistryPacer pacer = new RegistryPacer(clock, d -> {
    waits.add(d);
    clock.advance(d);
  });

  OciRegistryClient pacedClient(int concurrency) {
    return new OciRegistryClient(RepositoryReference.parse(registry.host() + "/team/app"), true, DockerCredentials.none(),
        OciRegistryClient.Limits.DEFAULT.withBackoff(Duration.ofMillis(1)).withConcurrency(concurrency), pacer);
  }

  /** {@link FakeRegistry#tooManyRequests}, noting when on the test's clock. */
  boolean tooManyRequests(HttpExchange exchange, String retryAfter, List<Instant> at) {
    at.add(clock.instant());
    return FakeRegistry.tooManyRequests(exchange, retryAfter);
  }

  @Test
  void aRegistryThatAsksForAPauseHoldsTheRequestsAfterTheOneItAnsweredNotOnlyItsRetries() {
    List<Instant> throttled = new CopyOnWriteArrayList<>();
    List<Instant> next = new CopyOnWriteArrayList<>();
    registry.fault("manifests/cache-3", exchange -> tooManyRequests(exchange, "7", throttled));
    registry.fault("manifests/cache-4", exchange -> next.add(clock.instant()) && false);
    registry.latency(Duration.ZERO);

    RegistryClient.Listing listing = pacedClient(1).list();

    // cache-3: a GET and then a HEAD, each tried four times, each attempt after the one before waited 7 s
    assertThat(throttled).hasSize(8);
    for (int i = 1; i < throttled.size(); i++) {
      assertThat(Duration.between(throttled.get(i - 1), throttled.get(i))).isGreaterThanOrEqualTo(Duration.ofSeconds(7));
    }
    // and the next request, for another tag, waited out the pause the last 429 asked for too
    assertThat(next).hasSize(1);
    assertThat(Duration.between(throttled.get(7), next.get(0))).isGreaterThanOrEqualTo(Duration.ofSeconds(7));
    assertThat(waits).hasSize(8).containsOnly(Duration.ofSeconds(7));
    // what could not be resolved is reported, not dropped
    assertThat(listing.unresolved()).singleElement().satisfies(u -> {
      assertThat(u.tag()).isEqualTo("cache-3");
      assertThat(u.reason()).contains("HTTP 429");
    });
    assertThat(listing.images()).hasSize(39);
  }

  @Test
  void aRegistryThatThrottlesOverlappingRequestsGetsTheSameAnswersReadInTheSameOrder() {
    Seen unthrottled = exercise(client(1, DockerCredentials.none()));
    List<Instant> throttled = new CopyOnWriteArrayList<>();
    for (String tag : registry.tags().keySet()) {
      // the first request for each tag is refused with a pause of 2 s, the next answered
      AtomicBoolean first = new AtomicBoolean(true);
      registry.fault("manifests/" + tag, exchange -> first.getAndSet(false) && tooManyRequests(exchange, "2", throttled));
    }

    Seen seen = exercise(pacedClient(8));

    assertThat(throttled).hasSize(40);
    assertThat(seen).isEqualTo(unthrottled);
    assertThat(waits).isNotEmpty().allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2)));
    assertThat(registry.maxInFlight()).isGreaterThan(1);
  }
}
