package dev.buildcache.operator.gc;

import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.RepositoryState;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryClient.ListedImage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One GC run on one repository: lock its state → list and read what is new → plan → re-check the candidates →
 * delete → report. Idempotent: an image already gone counts as done (but is not claimed), so a run that crashed
 * half-way is completed by the next; what it read is kept even when it fails.
 */
public final class GcRunner {
  /** What "age" is measured from, by where the times come from. */
  public static final String AGE_PUSH_OR_PULL = "push-or-pull";
  public static final String AGE_FIRST_SEEN = "first-seen";

  private final Clock clock;
  private final Consumer<String> progress;
  private final GcStateStore store;
  private final GcScanner scanner;

  /**
   * @param progress receives one line per phase (the CLI prints it to a terminal's stderr)
   * @param store where each repository's state lives, and its lock
   */
  public GcRunner(Clock clock, Consumer<String> progress, GcStateStore store) {
    this.clock = clock;
    this.progress = progress;
    this.store = store;
    this.scanner = new GcScanner(clock, progress);
  }

  /**
   * @throws dev.buildcache.operator.gc.state.RepositoryBusyException another run holds the repository
   * @throws dev.buildcache.operator.registry.RegistryException the registry could not be listed
   */
  public GcReport run(RegistryClient client, String repository, RetentionPolicy policy, boolean dryRun) {
    return run(client, repository, policy, dryRun, () -> false);
  }

  /** Deletes in batches of {@value #DELETE_BATCH}, asking {@code cancelled} before each: a batch in flight finishes. */
  static final int DELETE_BATCH = 100;

  /**
   * @param cancelled asked before the re-read and before each delete batch; once true, the rest of the plan is
   *     kept as {@link GcReason#CANCELLED}
   */
  public GcReport run(RegistryClient client, String repository, RetentionPolicy policy, boolean dryRun, BooleanSupplier cancelled) {
    Instant started = clock.instant();
    try (GcStateStore.Session session = store.open(repository)) {
      RepositoryState state = session.state();
      PullTimes pullTimes = client.pullTimes();
      progress.accept("scanning " + repository);
      RepositoryScan scan;
      try {
        scan = scanner.scan(client, state, started);
      } finally {
        session.save(); // the reads happened: remember them, also when the scan failed half-way
      }
      progress.accept("planning over " + scan.images().size() + " images");
      GcPlan plan = GcPlanner.plan(scan, policy, started);
      List<GcReport.Failed> failed = new ArrayList<>();
      List<GcReport.Gone> gone = new ArrayList<>();
      if (!dryRun && !plan.deletions().isEmpty()) {
        plan = carryOut(client, state, scan.images(), plan, failed, gone, cancelled);
        session.save();
      }
      List<String> notes = notes(client, session);
      long durationMs = Duration.between(started, clock.instant()).toMillis();
      return GcReport.of(plan, new GcReport.Run(repository, client.registryType(), dryRun, gone, failed, pullTimes,
          client.readsArePulls() ? AGE_PUSH_OR_PULL : AGE_FIRST_SEEN, scan.manifestsRead(), session.location(),
          client.apiCalls(), durationMs, notes));
    }
  }

  private static List<String> notes(RegistryClient client, GcStateStore.Session session) {
    List<String> notes = new ArrayList<>();
    if (session.problem() != null) {
      notes.add(session.problem());
    }
    if (client.readsArePulls()) {
      notes.add("max-age counts from the last push or recorded pull (ECR records pulls to about a day); "
          + "the GC's own manifest reads are never counted as a use");
      if (session.startedEmpty()) {
        notes.add("nothing was remembered of this repository (a first run, a restart, or no state): pull times the GC "
            + "may have caused in earlier runs count as uses, which keeps caches until the next run");
      }
    } else {
      notes.add("max-age counts from when the GC first saw each tag at its digest (this registry records no push or pull "
          + "times): a cache goes when its tag has not been re-pushed for max-age; tags seen for the first time are kept");
      if ("none".equals(session.location())) {
        notes.add("without state (--no-state) every tag is seen for the first time, so max-age and max-size delete nothing here");
      }
    }
    if (!client.listsUntagged()) {
      notes.add("this registry's API cannot list untagged manifests (left behind by moved tags); remove them with the "
          + "registry's own garbage collection, e.g. `registry garbage-collect --delete-untagged`");
      notes.add("deleting manifests frees blob storage only when the registry's garbage collection runs");
    }
    return notes;
  }

  private GcPlan carryOut(RegistryClient client, RepositoryState state, List<RepositoryImage> images, GcPlan plan,
      List<GcReport.Failed> failed, List<GcReport.Gone> gone, BooleanSupplier cancelled) {
    Map<String, RepositoryImage> byDigest = new HashMap<>();
    images.forEach(i -> byDigest.put(i.digest(), i));
    List<String> candidates = plan.deletions().stream().map(GcDecision::digest).toList();
    if (cancelled.getAsBoolean()) {
      List<GcDecision> notDone = plan.deletions().stream().map(GcRunner::cancelled).toList();
      return GcPlanner.settle(images, plan, Set.of(), Set.of(), notDone);
    }
    progress.accept("re-reading " + candidates.size() + " candidates");
    RegistryClient.Listing now = client.reread(candidates);
    Map<String, ListedImage> current = new HashMap<>();
    now.images().forEach(i -> current.put(i.digest(), i));

    List<GcDecision> notDone = new ArrayList<>();
    List<String> toDelete = new ArrayList<>();
    Set<String> vanished = new HashSet<>();
    for (GcDecision d : plan.deletions()) {
      if (!now.unresolved().isEmpty()) {
        notDone.add(new GcDecision(d.digest(), d.tags(), GcReason.UNRESOLVED, "held at the re-check before deleting: tag '"
            + now.unresolved().get(0).tag() + "' could not be resolved (" + now.unresolved().get(0).reason() + ")", 0));
        continue;
      }
      ListedImage listed = current.get(d.digest());
      if (listed == null) {
        vanished.add(d.digest());
        continue;
      }
      String change = changed(byDigest.get(d.digest()), listed, state);
      if (change != null) {
        notDone.add(new GcDecision(d.digest(), d.tags(), GcReason.CHANGED_SINCE_PLANNING, change, 0));
      } else {
        toDelete.add(d.digest());
      }
    }
    progress.accept("deleting " + toDelete.size() + " images");
    Set<String> deleted = new HashSet<>();
    List<RegistryClient.DeleteOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < toDelete.size(); i += DELETE_BATCH) {
      List<String> batch = toDelete.subList(i, Math.min(toDelete.size(), i + DELETE_BATCH));
      if (cancelled.getAsBoolean()) {
        toDelete.subList(i, toDelete.size()).forEach(d -> notDone.add(cancelled(byDigest.get(d))));
        break;
      }
      outcomes.addAll(client.delete(batch));
    }
    for (RegistryClient.DeleteOutcome outcome : outcomes) {
      RepositoryImage image = byDigest.get(outcome.digest());
      switch (outcome.status()) {
        case DELETED -> deleted.add(outcome.digest());
        case ALREADY_GONE -> vanished.add(outcome.digest());
        case FAILED -> {
          failed.add(new GcReport.Failed(outcome.digest(), image.tags(), outcome.failureCode(), outcome.failureReason()));
          notDone.add(new GcDecision(outcome.digest(), image.tags(), GcReason.DELETE_FAILED,
              outcome.failureCode() + ": " + outcome.failureReason(), 0));
        }
      }
    }
    plan.deletions().stream().filter(d -> vanished.contains(d.digest())).forEach(d -> gone.add(new GcReport.Gone(d.digest(), d.tags())));
    state.forget(deleted);
    state.forget(vanished);
    return GcPlanner.settle(images, plan, deleted, vanished, notDone);
  }

  private static GcDecision cancelled(GcDecision d) {
    return new GcDecision(d.digest(), d.tags(), GcReason.CANCELLED, "the run was stopped before this deletion", 0);
  }

  private static GcDecision cancelled(RepositoryImage image) {
    return new GcDecision(image.digest(), image.tags(), GcReason.CANCELLED, "the run was stopped before this deletion", 0);
  }

  /** What changed since planning, or null: a new or removed tag, a new push, a pull that was not the GC's own. */
  static String changed(RepositoryImage planned, ListedImage current, RepositoryState state) {
    if (!new HashSet<>(planned.tags()).equals(new HashSet<>(current.tags()))) {
      return "tags changed from " + planned.tags() + " to " + current.tags() + " since planning";
    }
    if (current.pushedAt() != null && !Objects.equals(planned.pushedAt(), current.pushedAt())) {
      return "pushed again since planning";
    }
    Instant lastUsed = GcScanner.lastUsedNow(current, state);
    if (lastUsed != null && !Objects.equals(planned.lastUsed(), lastUsed)) {
      return "pulled since planning (" + lastUsed + ")";
    }
    return null;
  }
}
