package dev.buildcache.operator.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.gc.state.RepositoryState;
import dev.buildcache.operator.registry.ManifestFacts;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scanner over an in-memory registry: what it reads, remembers, holds and blocks. */
class GcScannerTest {
  static final Instant T0 = Instant.parse("2026-06-01T03:00:00Z");
  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String INDEX = "application/vnd.oci.image.index.v1+json";

  /** A registry of manifests and tags; {@code ecr} makes it one with times, untagged listing and pull-counting reads. */
  static final class FakeClient implements RegistryClient {
    final boolean ecr;
    final Map<String, ManifestFacts> manifests = new HashMap<>();
    final Map<String, String> failures = new HashMap<>();
    final List<ListedImage> listed = new ArrayList<>();
    final List<Unresolved> unresolved = new ArrayList<>();
    final List<String> reads = new ArrayList<>();

    FakeClient(boolean ecr) {
      this.ecr = ecr;
    }

    @Override public String registryType() { return ecr ? "ecr" : "oci"; }
    @Override public boolean listsUntagged() { return ecr; }
    @Override public boolean readsArePulls() { return ecr; }
    @Override public boolean refusesDeletingReferencedManifests() { return ecr; }
    @Override public Listing list() { return new Listing(listed, unresolved); }
    @Override public Listing reread(Collection<String> digests) { return list(); }
    final List<List<String>> deleteBatches = new ArrayList<>();

    @Override
    public List<DeleteOutcome> delete(List<String> digests) {
      deleteBatches.add(List.copyOf(digests));
      digests.forEach(d -> listed.removeIf(l -> l.digest().equals(d)));
      return digests.stream().map(DeleteOutcome::deleted).toList();
    }
    @Override public PullTimes pullTimes() { return PullTimes.notRecorded(); }
    @Override public Map<String, Integer> apiCalls() { return Map.of(); }
    @Override public void close() {}

    @Override
    public List<ManifestRead> read(List<String> digests) {
      reads.addAll(digests);
      return digests.stream().map(d -> failures.containsKey(d) ? ManifestRead.failed(d, failures.get(d))
          : manifests.containsKey(d) ? ManifestRead.read(d, manifests.get(d)) : ManifestRead.gone(d)).toList();
    }

    void image(String digest, String mediaType, boolean cache, List<String> children, String... tags) {
      manifests.put(digest, new ManifestFacts(mediaType, cache, 100, List.of(), children));
      listed.add(new ListedImage(digest, List.of(tags), ecr ? T0.minus(Duration.ofDays(10)) : null, null, mediaType));
    }
  }

  final MutableClock clock = new MutableClock(T0);
  final GcScanner scanner = new GcScanner(clock, line -> {});
  final RepositoryState state = new RepositoryState();

  static RepositoryImage find(RepositoryScan scan, String digest) {
    return scan.images().stream().filter(i -> i.digest().equals(digest)).findFirst().orElseThrow();
  }

  @Test
  void ociAgeIsWhenATagWasFirstSeenAtItsDigestAndFirstSightHolds() {
    FakeClient oci = new FakeClient(false);
    oci.image("sha256:a", MANIFEST, true, List.of(), "cache-a");
    RepositoryScan first = scanner.scan(oci, state, T0);
    assertThat(find(first, "sha256:a").hold().reason()).isEqualTo(GcReason.FIRST_SEEN);
    assertThat(find(first, "sha256:a").lastUsed()).isEqualTo(T0);

    Instant later = T0.plus(Duration.ofDays(9));
    RepositoryScan second = scanner.scan(oci, state, later);
    assertThat(find(second, "sha256:a").hold()).isNull();
    assertThat(find(second, "sha256:a").lastUsed()).isEqualTo(T0);
    assertThat(oci.reads).as("read once in its life").containsExactly("sha256:a");

    // the tag moves to a new manifest: a re-push, whose clock starts now
    oci.listed.clear();
    oci.image("sha256:a2", MANIFEST, true, List.of(), "cache-a");
    RepositoryScan third = scanner.scan(oci, state, later.plusSeconds(60));
    assertThat(find(third, "sha256:a2").hold().reason()).isEqualTo(GcReason.FIRST_SEEN);
    assertThat(state.manifest("sha256:a")).as("forgotten once gone").isNull();
  }

  @Test
  void anUnresolvedTagBlocksAndKeepsItsClock() {
    FakeClient oci = new FakeClient(false);
    oci.image("sha256:a", MANIFEST, true, List.of(), "cache-a", "release-1");
    scanner.scan(oci, state, T0);
    oci.listed.clear();
    oci.image("sha256:a", MANIFEST, true, List.of(), "cache-a");
    oci.unresolved.add(new RegistryClient.Unresolved("release-1", "HEAD answered HTTP 404"));
    RepositoryScan scan = scanner.scan(oci, state, T0.plus(Duration.ofDays(1)));
    assertThat(scan.blockers()).singleElement().asString().startsWith("tag 'release-1' could not be resolved (HEAD answered HTTP 404)");
    assertThat(state.sighting("release-1")).isEqualTo(new RepositoryState.Sighting("sha256:a", T0));
  }

  @Test
  void anUnreadableChildHoldsItsParentAndAnUnreadableIndexBlocksOnOci() {
    FakeClient oci = new FakeClient(false);
    oci.image("sha256:idx", INDEX, false, List.of("sha256:child"), "v1");
    oci.failures.put("sha256:child", "HTTP 500");
    oci.image("sha256:broken", INDEX, false, List.of(), "v2");
    oci.failures.put("sha256:broken", "HTTP 500");
    oci.image("sha256:plain", MANIFEST, true, List.of(), "cache-plain");
    oci.failures.put("sha256:plain", "too large");
    RepositoryScan scan = scanner.scan(oci, state, T0);
    assertThat(find(scan, "sha256:idx").hold().reason()).isEqualTo(GcReason.CHILD_UNREADABLE);
    assertThat(find(scan, "sha256:broken").hold().reason()).isEqualTo(GcReason.UNREADABLE);
    assertThat(find(scan, "sha256:plain").hold().detail()).contains("too large");
    assertThat(scan.blockers()).as("only the manifest that might be an index blocks").singleElement().asString()
        .contains("sha256:broken").contains("might be an index");
  }

  @Test
  void onEcrAnUnreadableManifestIsHeldButDoesNotBlockBecauseEcrProtectsReferencedManifests() {
    FakeClient ecr = new FakeClient(true);
    ecr.image("sha256:broken", INDEX, false, List.of(), "v2");
    ecr.failures.put("sha256:broken", "KmsError: ...");
    RepositoryScan scan = scanner.scan(ecr, state, T0);
    assertThat(find(scan, "sha256:broken").hold().reason()).isEqualTo(GcReason.UNREADABLE);
    assertThat(scan.blockers()).isEmpty();
  }

  @Test
  void onEcrEachReadIsRememberedWithThePullTimeBeforeIt() {
    FakeClient ecr = new FakeClient(true);
    Instant pulled = T0.minus(Duration.ofDays(2));
    ecr.manifests.put("sha256:a", new ManifestFacts(MANIFEST, true, 100, List.of(), List.of()));
    ecr.listed.add(new RegistryClient.ListedImage("sha256:a", List.of("cache-a"), T0.minus(Duration.ofDays(10)), pulled, MANIFEST));
    scanner.scan(ecr, state, T0);
    assertThat(state.ownRead("sha256:a")).isEqualTo(new RepositoryState.OwnRead(T0, T0, pulled));

    // ECR now shows the GC's read as the last pull: it is discounted
    ecr.listed.clear();
    ecr.listed.add(new RegistryClient.ListedImage("sha256:a", List.of("cache-a"), T0.minus(Duration.ofDays(10)), T0, MANIFEST));
    RepositoryScan next = scanner.scan(ecr, state, T0.plus(Duration.ofDays(1)));
    assertThat(find(next, "sha256:a").lastUsed()).isEqualTo(pulled);
    assertThat(ecr.reads).containsExactly("sha256:a");
  }

  @Test
  void aManifestGoneSinceListedIsLeftOut() {
    FakeClient ecr = new FakeClient(true);
    ecr.listed.add(new RegistryClient.ListedImage("sha256:gone", List.of("cache-x"), T0, null, MANIFEST));
    RepositoryScan scan = scanner.scan(ecr, state, T0);
    assertThat(scan.images()).isEmpty();
    assertThat(scan.blockers()).isEmpty();
  }
}
