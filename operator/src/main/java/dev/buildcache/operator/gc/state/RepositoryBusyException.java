package dev.buildcache.operator.gc.state;

/** Another GC run is working on the repository. */
public class RepositoryBusyException extends RuntimeException {
  public RepositoryBusyException(String message) {
    super(message);
  }
}
