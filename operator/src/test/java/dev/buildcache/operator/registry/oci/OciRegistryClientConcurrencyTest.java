package dev.buildcache.operator.registry.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.testing.FakeRegistry;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  @Test
  void aRetryAfterLongerThanTheBackoffIsHonouredUpToACap() {
    RegistryHttp.Response asks = new RegistryHttp.Response(429,
        HttpHeaders.of(Map.of("Retry-After", List.of("3")), (a, b) -> true), new byte[0], null);
    assertThat(RegistryHttp.retryDelay(asks, Duration.ofMillis(200))).isEqualTo(Duration.ofSeconds(3));
    RegistryHttp.Response tooLong = new RegistryHttp.Response(503,
        HttpHeaders.of(Map.of("Retry-After", List.of("3600")), (a, b) -> true), new byte[0], null);
    assertThat(RegistryHttp.retryDelay(tooLong, Duration.ofMillis(200))).isEqualTo(RegistryHttp.MAX_RETRY_AFTER);
    RegistryHttp.Response date = new RegistryHttp.Response(429,
        HttpHeaders.of(Map.of("Retry-After", List.of("Wed, 21 Oct 2015 07:28:00 GMT")), (a, b) -> true), new byte[0], null);
    assertThat(RegistryHttp.retryDelay(date, Duration.ofMillis(400))).isEqualTo(Duration.ofMillis(400));
  }
}
