package dev.buildcache.operator.gc;

import dev.buildcache.operator.gc.state.RepositoryState;
import dev.buildcache.operator.gc.state.RepositoryState.Sighting;
import dev.buildcache.operator.registry.ManifestFacts;
import dev.buildcache.operator.registry.ManifestParser;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryClient.ListedImage;
import dev.buildcache.operator.registry.RegistryClient.ManifestRead;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Turns what a registry lists into what the planner needs, with what the GC remembers of the repository:
 *
 * <ul>
 *   <li>manifests are read only when not remembered: a digest's content never changes, and on ECR every read is a
 *       pull. Each read is remembered with when it happened ({@link AgeClock});
 *   <li>an index's children (manifest or index entries only, never its blobs) are read too where the registry does
 *       not list them (OCI), to a bounded depth;
 *   <li>ages: where the registry records push and pull times (ECR), {@link AgeClock}; where it records none (OCI),
 *       when the GC first saw each tag at its digest. First sight starts a tag's clock and holds the image;
 *   <li>fail closed: an unresolved tag, and an unreadable manifest that might be an index on a registry that would
 *       let its children be deleted, block every deletion of the run; an unreadable child holds its parent.
 * </ul>
 */
public final class GcScanner {
  static final int READ_BATCH = 100;
  static final int MAX_INDEX_DEPTH = 4;

  private final Clock clock;
  private final Consumer<String> progress;

  public GcScanner(Clock clock, Consumer<String> progress) {
    this.clock = clock;
    this.progress = progress;
  }

  /** @param now the run's start: the first sighting of a tag seen for the first time */
  public RepositoryScan scan(RegistryClient client, RepositoryState state, Instant now) {
    RegistryClient.Listing listing = client.list();
    Map<String, ListedImage> listed = new LinkedHashMap<>();
    listing.images().forEach(i -> listed.putIfAbsent(i.digest(), i));
    List<String> blockers = new ArrayList<>();
    listing.unresolved().forEach(u -> blockers.add("tag '" + u.tag() + "' could not be resolved (" + u.reason()
        + "); it might point at any manifest"));

    Map<String, String> failures = new HashMap<>();
    Set<String> gone = new HashSet<>();
    List<String> unknown = listed.keySet().stream().filter(d -> state.manifest(d) == null).sorted().toList();
    if (!unknown.isEmpty()) {
      progress.accept("reading " + unknown.size() + " manifests not read before (" + state.manifestCount() + " remembered)");
    }
    int reads = read(client, state, unknown, listed, failures, gone);
    listed.keySet().removeAll(gone);

    // Children the registry does not list (OCI) are read by digest; their facts are remembered like any manifest.
    Set<String> children = new TreeSet<>();
    Set<String> frontier = childrenOf(listed.keySet(), state, listed.keySet());
    for (int depth = 0; !frontier.isEmpty() && depth < MAX_INDEX_DEPTH; depth++) {
      children.addAll(frontier);
      List<String> toRead = frontier.stream().filter(d -> state.manifest(d) == null).sorted().toList();
      reads += read(client, state, toRead, Map.of(), failures, gone);
      Set<String> known = new HashSet<>(listed.keySet());
      known.addAll(children);
      frontier = childrenOf(frontier, state, known);
    }
    frontier.forEach(d -> failures.putIfAbsent(d, "nested deeper than " + MAX_INDEX_DEPTH + " indexes"));
    children.addAll(frontier);

    List<RepositoryImage> images = new ArrayList<>();
    Map<String, Sighting> sightings = new HashMap<>();
    for (ListedImage l : listed.values()) {
      ManifestFacts facts = state.manifest(l.digest());
      Times times = times(l, state, now, sightings);
      if (facts == null) {
        String why = failures.getOrDefault(l.digest(), "not read");
        images.add(new RepositoryImage(l.digest(), l.tags(), false, times.pushedAt, times.lastUsed, 0, List.of(), List.of(),
            new RepositoryImage.Hold(GcReason.UNREADABLE, "its manifest could not be read: " + why)));
        if (!client.refusesDeletingReferencedManifests() && ManifestParser.mayHaveChildren(l.mediaType())) {
          blockers.add("manifest " + l.digest() + " " + l.tags() + " could not be read (" + why
              + ") and might be an index of other manifests");
        }
        continue;
      }
      RepositoryImage image = new RepositoryImage(l.digest(), l.tags(), facts.cache(), times.pushedAt, times.lastUsed,
          facts.size(), facts.blobs(), facts.children(), times.hold);
      String unreadableChild = unreadableDescendant(facts, state, failures, gone, 0);
      if (unreadableChild != null) {
        image = image.withHold(new RepositoryImage.Hold(GcReason.CHILD_UNREADABLE, unreadableChild));
      }
      images.add(image);
    }
    for (String child : children) {
      ManifestFacts facts = state.manifest(child);
      if (facts != null && !listed.containsKey(child)) {
        images.add(new RepositoryImage(child, List.of(), facts.cache(), null, null, facts.size(), facts.blobs(), facts.children()));
      }
    }

    if (listed.values().stream().anyMatch(l -> l.pushedAt() == null)) {
      // Tags the registry would not resolve keep their clocks: an unresolved tag is not a re-push.
      listing.unresolved().forEach(u -> {
        Sighting previous = state.sighting(u.tag());
        if (previous != null) {
          sightings.put(u.tag(), previous);
        }
      });
      state.replaceSightings(sightings);
    }
    Set<String> present = new HashSet<>(listed.keySet());
    present.addAll(children);
    state.retainDigests(present);
    images.sort(Comparator.comparing(RepositoryImage::digest));
    return new RepositoryScan(images, blockers, reads);
  }

  /**
   * Reads {@code digests} in batches and remembers them; when reads are pulls, remembers when each batch was read
   * and the pull time the listing showed before.
   */
  private int read(RegistryClient client, RepositoryState state, List<String> digests, Map<String, ListedImage> listed,
      Map<String, String> failures, Set<String> gone) {
    int count = 0;
    for (int i = 0; i < digests.size(); i += READ_BATCH) {
      List<String> batch = digests.subList(i, Math.min(digests.size(), i + READ_BATCH));
      Instant from = clock.instant();
      List<ManifestRead> results = client.read(batch);
      Instant to = clock.instant();
      for (ManifestRead r : results) {
        if (r.facts() != null) {
          state.remember(r.digest(), r.facts());
          count++;
        } else if (r.isGone()) {
          gone.add(r.digest());
        } else {
          failures.put(r.digest(), r.failure());
        }
        if (client.readsArePulls() && r.facts() != null) {
          ListedImage l = listed.get(r.digest());
          state.recordRead(r.digest(), new RepositoryState.OwnRead(from, to, l == null ? null : l.lastPull()));
        }
      }
    }
    return count;
  }

  private static Set<String> childrenOf(Set<String> parents, RepositoryState state, Set<String> known) {
    Set<String> out = new TreeSet<>();
    for (String parent : parents) {
      ManifestFacts facts = state.manifest(parent);
      if (facts != null) {
        facts.children().stream().filter(c -> !known.contains(c)).forEach(out::add);
      }
    }
    return out;
  }

  /** The first manifest under {@code facts} that could not be read, described, or null. */
  private static String unreadableDescendant(ManifestFacts facts, RepositoryState state, Map<String, String> failures,
      Set<String> gone, int depth) {
    for (String child : facts.children()) {
      ManifestFacts childFacts = state.manifest(child);
      if (childFacts == null) {
        if (gone.contains(child)) {
          continue; // deleted since the index was listed: nothing left to protect
        }
        return "it references manifest " + child + ", which could not be read: " + failures.getOrDefault(child, "not read");
      }
      if (depth < MAX_INDEX_DEPTH) {
        String deeper = unreadableDescendant(childFacts, state, failures, gone, depth + 1);
        if (deeper != null) {
          return deeper;
        }
      }
    }
    return null;
  }

  private record Times(Instant pushedAt, Instant lastUsed, RepositoryImage.Hold hold) {}

  /**
   * The registry's clock where it has one; else the GC's sightings of the image's tags, the newest of which is
   * both its push and its last use.
   */
  private static Times times(ListedImage l, RepositoryState state, Instant now, Map<String, Sighting> sightings) {
    if (l.pushedAt() != null) {
      return new Times(l.pushedAt(), AgeClock.lastUsed(l.pushedAt(), l.lastPull(), state.ownRead(l.digest())), null);
    }
    Instant newest = null;
    String firstSeen = null;
    for (String tag : l.tags()) {
      Sighting previous = state.sighting(tag);
      boolean seenHere = previous != null && previous.digest().equals(l.digest());
      Sighting sighting = seenHere ? previous : new Sighting(l.digest(), now);
      sightings.put(tag, sighting);
      if (!seenHere && firstSeen == null) {
        firstSeen = tag;
      }
      if (newest == null || sighting.since().isAfter(newest)) {
        newest = sighting.since();
      }
    }
    RepositoryImage.Hold hold = firstSeen == null ? null : new RepositoryImage.Hold(GcReason.FIRST_SEEN,
        "the GC sees tag '" + firstSeen + "' at this digest for the first time; on this registry age counts from now");
    return new Times(newest, newest, hold);
  }

  /** The ages the same rules give a manifest listed again just before deleting, for the re-check. */
  static Instant lastUsedNow(ListedImage l, RepositoryState state) {
    return l.pushedAt() == null ? null : AgeClock.lastUsed(l.pushedAt(), l.lastPull(), state.ownRead(l.digest()));
  }
}
