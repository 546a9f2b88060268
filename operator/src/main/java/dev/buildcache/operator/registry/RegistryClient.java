package dev.buildcache.operator.registry;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * One repository of a registry, as the GC needs it: list, read manifests, list again just before deleting, delete
 * by digest. Clients only talk to the registry; what to make of the answers (ages, what is cache, what may go) is
 * the GC's. Whatever the registry answers is treated as possibly wrong: a listing says what it could not resolve
 * instead of leaving it out.
 */
public interface RegistryClient extends AutoCloseable {

  /** {@code ecr} or {@code oci}. */
  String registryType();

  /** Whether {@link #list()} sees untagged manifests (ECR does; the OCI distribution API cannot list them). */
  boolean listsUntagged();

  /**
   * Whether reading a manifest is a pull the registry records (ECR: it moves {@code lastRecordedPullTime} unless
   * the reader is a pull-time update exclusion).
   */
  boolean readsArePulls();

  /**
   * Whether the registry itself refuses to delete a manifest another manifest references (ECR:
   * {@code ImageReferencedByManifestList}). Where it does not, an unreadable manifest that might be an index keeps
   * everything in that run.
   */
  boolean refusesDeletingReferencedManifests();

  /** Every manifest the registry lists, with its tags and the times it records; and the tags it could not resolve. */
  Listing list();

  /** Reads manifests by digest, one outcome each, in the order given. */
  List<ManifestRead> read(List<String> digests);

  /** The current state of these manifests, just before deleting: absent from the listing means gone. */
  Listing reread(Collection<String> digests);

  /** Deletes manifests by digest; one outcome per digest. */
  List<DeleteOutcome> delete(List<String> digests);

  /** Whether the GC's own reads move the registry's pull times; {@link PullTimes#notRecorded()} where none exist. */
  PullTimes pullTimes();

  /** Requests made so far, by operation. */
  Map<String, Integer> apiCalls();

  @Override
  void close();

  /**
   * A manifest as listed.
   *
   * @param pushedAt when the registry says it was pushed; null where it does not say (OCI)
   * @param lastPull the registry's last recorded pull; null when never pulled or not recorded
   * @param mediaType the manifest's media type where the listing says it, else null
   */
  record ListedImage(String digest, List<String> tags, Instant pushedAt, Instant lastPull, String mediaType) {
    public ListedImage {
      tags = List.copyOf(tags);
    }
  }

  /** A listed tag the registry would not resolve to a digest, and why. */
  record Unresolved(String tag, String reason) {}

  record Listing(List<ListedImage> images, List<Unresolved> unresolved) {
    public Listing {
      images = List.copyOf(images);
      unresolved = List.copyOf(unresolved);
    }
  }

  /**
   * One manifest read: {@code facts} when read, else {@code failure} (why it could not be read), else neither: the
   * manifest is gone.
   */
  record ManifestRead(String digest, ManifestFacts facts, String failure) {
    public static ManifestRead read(String digest, ManifestFacts facts) {
      return new ManifestRead(digest, facts, null);
    }

    public static ManifestRead failed(String digest, String failure) {
      return new ManifestRead(digest, null, failure);
    }

    public static ManifestRead gone(String digest) {
      return new ManifestRead(digest, null, null);
    }

    public boolean isGone() {
      return facts == null && failure == null;
    }
  }

  /** The result of deleting one digest. */
  record DeleteOutcome(String digest, Status status, String failureCode, String failureReason) {
    public enum Status { DELETED, ALREADY_GONE, FAILED }

    public static DeleteOutcome deleted(String digest) {
      return new DeleteOutcome(digest, Status.DELETED, null, null);
    }

    /** Not there to delete: someone else deleted it. Done, but not this run's deletion. */
    public static DeleteOutcome alreadyGone(String digest) {
      return new DeleteOutcome(digest, Status.ALREADY_GONE, null, null);
    }

    public static DeleteOutcome failed(String digest, String code, String reason) {
      return new DeleteOutcome(digest, Status.FAILED, code, reason);
    }
  }
}
