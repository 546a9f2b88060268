package dev.buildcache.operator.gc.state;

/**
 * Where the GC keeps each repository's {@link RepositoryState}, and the lock that lets one run at a time work on a
 * repository: a second run finds it busy, so no two runs plan over the same images or claim each other's
 * deletions.
 */
public interface GcStateStore {

  /**
   * The repository's state for one run, locked until the session is closed.
   *
   * @throws RepositoryBusyException another run holds the repository
   */
  Session open(String repository);

  /** Forgets the repositories not in {@code repositories} (no profile cleans them any more); a no-op where state is on disk. */
  default void retain(java.util.Set<String> repositories) {}

  /** One run's hold on a repository's state. */
  interface Session extends AutoCloseable {
    RepositoryState state();

    /** Keeps the state as it is now (a file store writes it; memory keeps it anyway). */
    void save();

    /** Where the state lives, for the report: a path, "memory", or "none". */
    String location();

    /** Whether this state was empty when the run began (nothing remembered: a first run, a restart, --no-state). */
    boolean startedEmpty();

    /** Why the remembered state could not be used, or null. */
    default String problem() {
      return null;
    }

    @Override
    void close();
  }
}
