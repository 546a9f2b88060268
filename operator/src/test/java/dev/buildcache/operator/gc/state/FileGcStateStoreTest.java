package dev.buildcache.operator.gc.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.registry.Blob;
import dev.buildcache.operator.registry.ManifestFacts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileGcStateStoreTest {
  static final String REPO = "registry.example.com:5000/team/app";
  static final Blob BASE = new Blob("sha256:" + "b".repeat(64), 5000);

  @TempDir
  Path dir;

  @Test
  void whatARunRemembersTheNextRunReads() {
    FileGcStateStore store = FileGcStateStore.in(dir);
    Instant at = Instant.parse("2026-06-01T03:00:00Z");
    try (GcStateStore.Session s = store.open(REPO)) {
      assertThat(s.startedEmpty()).isTrue();
      s.state().remember("sha256:m1", new ManifestFacts("application/vnd.oci.image.manifest.v1+json", true, 400,
          List.of(BASE, new Blob("sha256:" + "1".repeat(64), 10)), List.of()));
      s.state().remember("sha256:m2", new ManifestFacts("application/vnd.oci.image.index.v1+json", false, 300, List.of(BASE),
          List.of("sha256:m1")));
      s.state().recordRead("sha256:m1", new RepositoryState.OwnRead(at, at.plusSeconds(1), null));
      s.state().recordRead("sha256:m2", new RepositoryState.OwnRead(at, at.plusSeconds(1), at.minusSeconds(3600)));
      s.state().replaceSightings(Map.of("cache-main", new RepositoryState.Sighting("sha256:m1", at)));
      s.save();
    }
    assertThat(dir.resolve("registry.example.com_5000/team/app/state.json.gz")).exists();
    try (GcStateStore.Session s = store.open(REPO)) {
      assertThat(s.startedEmpty()).isFalse();
      assertThat(s.state().manifest("sha256:m1").blobs()).containsExactly(BASE, new Blob("sha256:" + "1".repeat(64), 10));
      assertThat(s.state().manifest("sha256:m1").cache()).isTrue();
      assertThat(s.state().manifest("sha256:m2").children()).containsExactly("sha256:m1");
      assertThat(s.state().ownRead("sha256:m2").pullBefore()).isEqualTo(at.minusSeconds(3600));
      assertThat(s.state().ownRead("sha256:m1").pullBefore()).isNull();
      assertThat(s.state().sighting("cache-main")).isEqualTo(new RepositoryState.Sighting("sha256:m1", at));
    }
  }

  @Test
  void anUnreadableStateIsSetAsideAndTheRunStartsEmpty() throws Exception {
    Path file = dir.resolve("registry.example.com_5000/team/app/state.json.gz");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "not gzip");
    try (GcStateStore.Session s = FileGcStateStore.in(dir).open(REPO)) {
      assertThat(s.startedEmpty()).isTrue();
      assertThat(s.problem()).contains("could not be read").contains("keeps caches");
    }
    assertThat(file.resolveSibling("state.json.gz.unreadable")).exists();
  }

  @Test
  void theStateOfAnotherRepositoryIsNotTaken() throws Exception {
    FileGcStateStore store = FileGcStateStore.in(dir);
    try (GcStateStore.Session s = store.open(REPO)) {
      s.state().replaceSightings(Map.of("t", new RepositoryState.Sighting("sha256:x", Instant.EPOCH)));
      s.save();
    }
    Path other = dir.resolve("registry.example.com_5000/team/other/state.json.gz");
    Files.createDirectories(other.getParent());
    Files.copy(dir.resolve("registry.example.com_5000/team/app/state.json.gz"), other);
    try (GcStateStore.Session s = store.open("registry.example.com:5000/team/other")) {
      assertThat(s.startedEmpty()).isTrue();
      assertThat(s.problem()).contains("it is the state of " + REPO);
    }
  }

  @Test
  void oneRunAtATimePerRepository() {
    FileGcStateStore store = FileGcStateStore.in(dir);
    try (GcStateStore.Session first = store.open(REPO)) {
      assertThatThrownBy(() -> store.open(REPO)).isInstanceOf(RepositoryBusyException.class)
          .hasMessageContaining("another buildcache gc is working on " + REPO);
      try (GcStateStore.Session other = store.open("registry.example.com:5000/team/other")) {
        assertThat(other.state().isEmpty()).isTrue();
      }
    }
    try (GcStateStore.Session again = store.open(REPO)) {
      assertThat(again.location()).endsWith("state.json.gz");
    }
  }

  @Test
  void withoutStateNothingIsWrittenButTheLockHolds() {
    FileGcStateStore none = FileGcStateStore.none();
    try (GcStateStore.Session s = none.open(REPO)) {
      s.state().replaceSightings(Map.of("t", new RepositoryState.Sighting("sha256:x", Instant.EPOCH)));
      s.save();
      assertThat(s.location()).isEqualTo("none");
      assertThatThrownBy(() -> none.open(REPO)).isInstanceOf(RepositoryBusyException.class);
    }
    try (GcStateStore.Session s = none.open(REPO)) {
      assertThat(s.startedEmpty()).isTrue();
    }
  }

  @Test
  void theDefaultDirectoryFollowsXdg() {
    assertThat(FileGcStateStore.defaultDirectory(Map.of("XDG_STATE_HOME", "/var/lib/ci"))).isEqualTo(Path.of("/var/lib/ci/buildcache"));
    assertThat(FileGcStateStore.defaultDirectory(Map.of("XDG_STATE_HOME", "relative")))
        .as("XDG: a relative path is invalid and ignored")
        .isEqualTo(Path.of(System.getProperty("user.home"), ".local", "state", "buildcache"));
    assertThat(FileGcStateStore.defaultDirectory(Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".local", "state", "buildcache"));
  }
}
