package dev.buildcache.operator.gc.state;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The operator's store: state for the process's lifetime. After a restart it is empty, and the GC errs on the side
 * of keeping caches (ECR: a pull time it cannot attribute to its own read is a use; OCI: every tag is seen for the
 * first time, so nothing is deleted by age in that run).
 */
public final class InMemoryGcStateStore implements GcStateStore {
  private final Map<String, RepositoryState> states = new ConcurrentHashMap<>();
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  @Override
  public Session open(String repository) {
    ReentrantLock lock = locks.computeIfAbsent(repository, r -> new ReentrantLock());
    if (!lock.tryLock()) {
      throw new RepositoryBusyException("another GC run is working on " + repository + " in this operator; this run is skipped");
    }
    RepositoryState state = states.computeIfAbsent(repository, r -> new RepositoryState());
    boolean empty = state.isEmpty();
    return new Session() {
      @Override
      public RepositoryState state() {
        return state;
      }

      @Override
      public void save() {
        // kept in memory already
      }

      @Override
      public String location() {
        return "memory";
      }

      @Override
      public boolean startedEmpty() {
        return empty;
      }

      @Override
      public void close() {
        lock.unlock();
      }
    };
  }

  /** Forgets repositories no profile cleans any more; a run there later starts empty. */
  @Override
  public void retain(java.util.Set<String> repositories) {
    states.keySet().retainAll(repositories);
    locks.keySet().retainAll(repositories);
  }

  /** How many repositories are remembered. */
  public int size() {
    return states.size();
  }
}
