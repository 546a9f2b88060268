package dev.buildcache.operator.registry;

import dev.buildcache.operator.gc.RepositoryImage;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One repository of a registry, as the GC needs it: scan, re-read, delete by digest. */
public interface RegistryClient extends AutoCloseable {

  /** {@code ecr} or {@code oci}. */
  String registryType();

  /** Every image of the repository with its manifest's blobs. Untagged images only where {@link #listsUntagged()}. */
  List<RepositoryImage> scan();

  /** Whether {@link #scan()} sees untagged manifests (ECR does; the OCI distribution API cannot list them). */
  boolean listsUntagged();

  /** The current state of these images, read again just before deleting; absent for an image that is gone. */
  Map<String, Optional<ImageState>> reread(Collection<RepositoryImage> images);

  /** Deletes manifests by digest; one outcome per digest. */
  List<DeleteOutcome> delete(List<String> digests);

  /** Requests made so far, by operation. */
  Map<String, Integer> apiCalls();

  @Override
  void close();

  /** What can change about an image between planning and deleting. */
  record ImageState(List<String> tags, java.time.Instant pushedAt, java.time.Instant lastUsed) {}

  /** The result of deleting one digest. {@code done} includes "already gone". */
  record DeleteOutcome(String digest, boolean done, String failureCode, String failureReason) {
    public static DeleteOutcome deleted(String digest) {
      return new DeleteOutcome(digest, true, null, null);
    }

    public static DeleteOutcome failed(String digest, String code, String reason) {
      return new DeleteOutcome(digest, false, code, reason);
    }
  }
}
