package dev.buildcache.operator.validation;

/**
 * One invalid field of user input: its name as the user wrote it (a spec path such as {@code spec.tls.renewBefore}
 * or a flag such as {@code --max-age}) and what is wrong with it, including the fix.
 */
public record FieldError(String field, String message) {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
