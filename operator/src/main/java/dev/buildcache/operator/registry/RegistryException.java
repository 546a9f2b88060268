package dev.buildcache.operator.registry;

/** A registry refused or could not be reached; the message says which and why, in one line. */
public class RegistryException extends RuntimeException {
  public RegistryException(String message) {
    super(message);
  }

  public RegistryException(String message, Throwable cause) {
    super(message, cause);
  }
}
