package dev.buildcache.operator.bundles;

/** A client bundle could not be published; the message says why and what to do. */
public class BundlePublishException extends RuntimeException {
  public BundlePublishException(String message) {
    super(message);
  }

  public BundlePublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
