package dev.buildcache.operator.gc;

import dev.buildcache.operator.registry.RegistryClient;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * list → fetch manifests → plan → re-verify candidates → delete → report. Idempotent: an image already gone
 * counts as deleted, so a run that crashed half-way is completed by the next.
 */
public final class GcRunner {
  private final Clock clock;
  private final Consumer<String> progress;

  /** @param progress receives one line per phase (the CLI prints it to a terminal's stderr) */
  public GcRunner(Clock clock, Consumer<String> progress) {
    this.clock = clock;
    this.progress = progress;
  }

  public GcReport run(RegistryClient client, String repository, RetentionPolicy policy, boolean dryRun) {
    Instant started = clock.instant();
    progress.accept("scanning " + repository);
    List<RepositoryImage> images = client.scan();
    progress.accept("planning over " + images.size() + " images");
    GcPlan plan = GcPlanner.plan(images, policy, started);
    List<GcReport.Failed> failed = new ArrayList<>();
    if (!dryRun && !plan.deletions().isEmpty()) {
      plan = carryOut(client, images, plan, failed);
    }
    List<String> notes = new ArrayList<>();
    if (!client.listsUntagged()) {
      notes.add("this registry's API cannot list untagged manifests (left behind by moved tags); remove them with the "
          + "registry's own garbage collection, e.g. `registry garbage-collect --delete-untagged`");
      notes.add("deleting manifests frees blob storage only when the registry's garbage collection runs");
    }
    long durationMs = java.time.Duration.between(started, clock.instant()).toMillis();
    return GcReport.of(repository, client.registryType(), dryRun, plan, policy.maxTotalSize(), failed, client.apiCalls(),
        durationMs, notes);
  }

  private GcPlan carryOut(RegistryClient client, List<RepositoryImage> images, GcPlan plan, List<GcReport.Failed> failed) {
    Map<String, RepositoryImage> byDigest = new java.util.HashMap<>();
    images.forEach(i -> byDigest.put(i.digest(), i));
    List<RepositoryImage> candidates = plan.deletions().stream().map(d -> byDigest.get(d.digest())).toList();
    progress.accept("re-reading " + candidates.size() + " candidates");
    Map<String, Optional<RegistryClient.ImageState>> now = client.reread(candidates);

    List<GcDecision> notDone = new ArrayList<>();
    List<String> toDelete = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (GcDecision d : plan.deletions()) {
      RepositoryImage planned = byDigest.get(d.digest());
      Optional<RegistryClient.ImageState> current = now.getOrDefault(d.digest(), Optional.empty());
      if (current.isEmpty()) {
        done.add(d.digest());
        continue;
      }
      String change = changed(planned, current.get());
      if (change != null) {
        notDone.add(new GcDecision(d.digest(), d.tags(), GcReason.CHANGED_SINCE_PLANNING, change, 0));
      } else {
        toDelete.add(d.digest());
      }
    }
    progress.accept("deleting " + toDelete.size() + " images");
    for (RegistryClient.DeleteOutcome outcome : client.delete(toDelete)) {
      if (outcome.done()) {
        done.add(outcome.digest());
      } else {
        RepositoryImage image = byDigest.get(outcome.digest());
        failed.add(new GcReport.Failed(outcome.digest(), image.tags(), outcome.failureCode(), outcome.failureReason()));
        notDone.add(new GcDecision(outcome.digest(), image.tags(), GcReason.DELETE_FAILED,
            outcome.failureCode() + ": " + outcome.failureReason(), 0));
      }
    }
    return GcPlanner.settle(images, plan, done, notDone);
  }

  /** What changed since planning, or null: a new or removed tag, a new push, a new pull. */
  static String changed(RepositoryImage planned, RegistryClient.ImageState current) {
    if (!new HashSet<>(planned.tags()).equals(new HashSet<>(current.tags()))) {
      return "tags changed from " + planned.tags() + " to " + current.tags() + " since planning";
    }
    if (!java.util.Objects.equals(planned.pushedAt(), current.pushedAt())) {
      return "pushed again since planning";
    }
    if (!java.util.Objects.equals(planned.lastUsed(), current.lastUsed())) {
      return "pulled since planning";
    }
    return null;
  }
}
