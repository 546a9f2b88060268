package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.gc.GcReport;
import dev.buildcache.operator.gc.GcRunner;
import dev.buildcache.operator.gc.RetentionPolicy;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.RepositoryBusyException;
import dev.buildcache.operator.metrics.ProfileMetrics;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.kernel.Failures;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs profiles' registry GC on a small bounded pool, off the reconcile threads: a scan of a large repository takes
 * minutes and must not hold up routing. At most one run per profile at a time.
 *
 * <p>The reconciler is the only writer of status. It learns of a finished run from {@link #lastRun}, which keeps
 * the newest run of each profile for the operator's lifetime (a few hundred bytes each, no report). The reconciler
 * merges it into the status whenever it is newer than what the status shows, so a pass that reads a stale copy of
 * the profile still knows the run happened and never starts it again.
 *
 * <p>Runs only start from reconciles, and only the leader reconciles; a replica that loses the lease exits.
 */
public class ProfileGcExecutor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProfileGcExecutor.class);

  /**
   * A finished run, as the status and the Event report it. {@code report} is null when the run failed outright;
   * the kept copy drops it ({@link #compact}).
   */
  public record Run(GcSchedulePlanner.Trigger trigger, String request, boolean dryRun, Instant started,
      Instant completed, Result result, String message, GcReport report, Summary summary) {

    Run compact() {
      return new Run(trigger, request, dryRun, started, completed, result, message, null, summary);
    }
  }

  /**
   * The numbers of a run's report, without its per-image lists. Null fields: the run failed before planning.
   *
   * @param pullTimes ECR's verdict on the GC's own reads ({@code excluded}, {@code refreshed-by-gc}, {@code unknown});
   *     null for registries without pull times
   * @param pullTimesMessage why, and the command that registers the exclusion
   */
  public record Summary(int scannedImages, int cacheImages, int deletedImages, long reclaimedBytes, long bytesBefore,
      long bytesAfter, Map<String, Integer> apiCalls, Boolean budgetMet, int manifestsRead, String pullTimes,
      String pullTimesMessage) {
    static Summary of(GcReport r) {
      String message = r.pullTimesReason() == null ? null
          : r.pullTimesReason() + (r.pullTimesFix() == null ? "" : "; register it once: " + r.pullTimesFix());
      return new Summary(r.scannedImages(), r.cacheImages(), r.deleted().size(), r.reclaimedBytes(), r.bytesBefore(),
          r.bytesAfter(), Map.copyOf(r.apiCalls()), r.budgetMet(), r.manifestsRead(), r.pullTimes(), message);
    }
  }

  public enum Result {
    SUCCEEDED("Succeeded", "succeeded"), PARTIALLY_FAILED("PartiallyFailed", "partially_failed"), BLOCKED("Blocked", "blocked"),
    FAILED("Failed", "failed");

    private final String value;
    private final String metric;

    Result(String value, String metric) {
      this.value = value;
      this.metric = metric;
    }

    public String value() {
      return value;
    }
  }

  private final RegistryClients clients;
  private final GcStateStore state;
  private final EventPublisher events;
  private final ProfileMetrics metrics;
  private final Clock clock;
  private final ThreadPoolExecutor pool;
  private final Set<ResourceID> running = ConcurrentHashMap.newKeySet();
  /** Per running profile: set to stop the run before its next batch. */
  private final Map<ResourceID, java.util.concurrent.atomic.AtomicBoolean> cancels = new ConcurrentHashMap<>();
  private volatile java.util.function.Predicate<ResourceID> exists = id -> true;
  /** How long {@link #close} lets a run finish the delete batch it is in. */
  static final Duration BATCH_GRACE = Duration.ofSeconds(2);
  private final Map<ResourceID, Run> last = new ConcurrentHashMap<>();
  private volatile Consumer<ResourceID> onFinished = id -> {};

  /**
   * @param threads runs at the same time, across all profiles
   * @param queued runs waiting for a thread; beyond that a due run waits for the next reconcile
   */
  public ProfileGcExecutor(RegistryClients clients, GcStateStore state, EventPublisher events, ProfileMetrics metrics, Clock clock,
      int threads, int queued) {
    this.clients = clients;
    this.state = state;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    AtomicInteger counter = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queued), r -> {
      Thread t = new Thread(r, "buildcache-gc-" + counter.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Who to tell that a run finished: the reconciler's event source, which triggers a reconcile of the profile. */
  public void onFinished(Consumer<ResourceID> listener) {
    this.onFinished = listener;
  }

  /** Whether a profile still exists (the reconciler's cache): a run stops before its next batch once it does not. */
  public void profilesExist(java.util.function.Predicate<ResourceID> exists) {
    this.exists = exists;
  }

  /** Stops every running GC before its next batch (leadership lost): the next leader runs them. */
  public void cancelAll() {
    cancels.values().forEach(c -> c.set(true));
  }

  public boolean isRunning(ResourceID profile) {
    return running.contains(profile);
  }

  /** The newest finished run of the profile since the operator started. */
  public Optional<Run> lastRun(ResourceID profile) {
    return Optional.ofNullable(last.get(profile));
  }

  /** Forgets the last runs of profiles that no longer exist. */
  public void retainProfiles(Set<ResourceID> existing) {
    last.keySet().retainAll(existing);
  }

  /** Forgets what the GC remembers of repositories no profile names any more. */
  public void retainRepositories(Set<String> repositories) {
    state.retain(repositories);
  }

  /**
   * Starts a run unless one is running.
   *
   * @param profile a snapshot of the profile; the run uses this spec even if the profile changes meanwhile
   * @return whether a run was started
   */
  public boolean submit(CacheProfile profile, RetentionPolicy policy, GcSchedulePlanner.Trigger trigger, String request) {
    ResourceID id = ResourceID.fromResource(profile);
    if (!running.add(id)) {
      return false;
    }
    java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean();
    cancels.put(id, cancel);
    try {
      pool.execute(() -> run(id, profile, policy, trigger, request, () -> cancel.get() || !exists.test(id)));
      return true;
    } catch (RejectedExecutionException e) {
      cancels.remove(id);
      running.remove(id);
      LOG.warn("GC of CacheProfile {} not started: {} runs already queued; it will be retried", id, pool.getQueue().size());
      return false;
    }
  }

  private void run(ResourceID id, CacheProfile profile, RetentionPolicy policy, GcSchedulePlanner.Trigger trigger, String request,
      java.util.function.BooleanSupplier cancelled) {
    Instant started = clock.instant();
    boolean dryRun = Boolean.TRUE.equals(profile.getSpec().getDryRun());
    CacheProfileSpec.RegistryType registryType = ProfileRegistry.type(profile.getSpec());
    String type = registryType == null ? "unknown" : registryType.name().toLowerCase(java.util.Locale.ROOT);
    Run run;
    try {
      LOG.info("GC of CacheProfile {} started ({}{})", id, trigger.value(), dryRun ? ", dry run" : "");
      GcReport report;
      try (RegistryClient client = clients.open(profile)) {
        report = new GcRunner(clock, line -> LOG.debug("GC of CacheProfile {}: {}", id, line), state)
            .run(client, RepositoryReference.parse(profile.getSpec().getRepository()).toString(), policy, dryRun, cancelled);
      }
      Result result = !report.failed().isEmpty() ? Result.PARTIALLY_FAILED
          : !report.blockers().isEmpty() ? Result.BLOCKED : Result.SUCCEEDED;
      run = new Run(trigger, request, dryRun, started, clock.instant(), result, report.summary(), report, Summary.of(report));
    } catch (RepositoryBusyException e) {
      run = new Run(trigger, request, dryRun, started, clock.instant(), Result.FAILED, e.getMessage(), null, null);
    } catch (RuntimeException e) {
      run = new Run(trigger, request, dryRun, started, clock.instant(), Result.FAILED, Failures.oneLine(e), null, null);
    }
    try {
      record(profile, type, run);
    } finally {
      // Recorded before no longer running: a reconcile in between sees one or the other, never neither.
      last.put(id, run.compact());
      cancels.remove(id);
      running.remove(id);
      onFinished.accept(id);
    }
  }

  private void record(CacheProfile profile, String type, Run run) {
    String namespace = profile.getMetadata().getNamespace();
    String name = profile.getMetadata().getName();
    GcReport report = run.report();
    metrics.gcRun(namespace, name, type, run.result().metric, Duration.between(run.started(), run.completed()),
        report == null ? null : report.dryRun() ? report.bytesBefore() : report.bytesAfter(),
        report == null ? null : report.maxTotalSize(), report == null ? 0 : report.reclaimedBytes(), run.dryRun(),
        run.completed());
    if (run.summary() != null && run.summary().pullTimes() != null) {
      metrics.pullTimes(namespace, name, run.summary().pullTimes());
    }
    switch (run.result()) {
      case SUCCEEDED -> events.publish(profile, EventPublisher.Type.Normal, Reason.GC_COMPLETED, run.message());
      case PARTIALLY_FAILED -> events.publish(profile, EventPublisher.Type.Warning, Reason.GC_PARTIALLY_FAILED, run.message());
      case BLOCKED -> events.publish(profile, EventPublisher.Type.Warning, Reason.GC_BLOCKED, run.message());
      case FAILED -> events.publish(profile, EventPublisher.Type.Warning, Reason.GC_FAILED, "registry cache GC failed: " + run.message());
    }
    LOG.info("GC of CacheProfile {}/{} {}: {}", namespace, name, run.result().value(), run.message());
  }

  /** Stops every run before its next batch, lets a batch in flight finish for {@link #BATCH_GRACE}, then interrupts. */
  @Override
  public void close() {
    cancelAll();
    pool.shutdown();
    try {
      if (!pool.awaitTermination(BATCH_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("GC runs did not finish their batch within {}; interrupting them", BATCH_GRACE);
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
