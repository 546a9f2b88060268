package dev.buildcache.operator.kernel;

/**
 * An object the operator would create exists already and is not controlled by the custom resource that wants it:
 * another builder's, another profile's, or someone's own. The operator never overwrites it.
 */
public class ObjectNameTakenException extends RuntimeException {
  public ObjectNameTakenException(String message) {
    super(message);
  }
}
