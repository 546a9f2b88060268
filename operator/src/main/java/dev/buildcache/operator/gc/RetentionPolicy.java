package dev.buildcache.operator.gc;

import dev.buildcache.operator.units.Durations;
import dev.buildcache.operator.validation.FieldError;
import dev.buildcache.operator.units.Quantities;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What may be deleted and what must stay. Only images that are BuildKit cache and all of whose tags match
 * {@code tagPatterns} are ever candidates; everything else in the repository is never touched.
 *
 * @param maxAge cache unused for longer is deleted; null: no age limit
 * @param maxTotalSize budget of unique bytes referenced by cache manifests; null: no size limit
 * @param untaggedAfter untagged cache manifests pushed longer ago are deleted; null: they follow the other rules
 */
public record RetentionPolicy(
    List<GlobPattern> tagPatterns,
    List<GlobPattern> protectTags,
    Duration maxAge,
    Long maxTotalSize,
    int keepLatest,
    Duration minAge,
    Duration untaggedAfter) {

  public static final Duration DEFAULT_MIN_AGE = Duration.ofHours(1);

  public RetentionPolicy {
    tagPatterns = List.copyOf(tagPatterns);
    protectTags = List.copyOf(protectTags);
  }

  /** Thrown by {@link #parse} with every invalid field. */
  public static final class InvalidPolicyException extends IllegalArgumentException {
    private final List<FieldError> errors;

    public InvalidPolicyException(List<FieldError> errors) {
      super(String.join("; ", errors.stream().map(FieldError::toString).toList()));
      this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
      return errors;
    }
  }

  /** Values as written by a user; field names in {@code names} are used in error messages (CLI flags or spec paths). */
  public record Raw(List<String> tagPatterns, List<String> protectTags, String maxAge, String maxTotalSize,
      Integer keepLatest, String minAge, String untaggedAfter) {}

  /** Field names to report errors with. */
  public record FieldNames(String tagPatterns, String protectTags, String maxAge, String maxTotalSize,
      String keepLatest, String minAge, String untaggedAfter) {
    public static final FieldNames CLI = new FieldNames("--tag-pattern", "--protect", "--max-age", "--max-size",
        "--keep-latest", "--min-age", "--untagged-after");
    public static final FieldNames SPEC = new FieldNames("spec.retention.tagPatterns", "spec.retention.protectTags",
        "spec.retention.maxAge", "spec.retention.maxTotalSize", "spec.retention.keepLatest", "spec.retention.minAge",
        "spec.retention.untaggedAfter");
  }

  public static RetentionPolicy parse(Raw raw, FieldNames names) {
    List<FieldError> errors = new ArrayList<>();
    List<GlobPattern> patterns = globs(raw.tagPatterns(), names.tagPatterns(), errors);
    if (patterns.isEmpty() && errors.isEmpty()) {
      errors.add(new FieldError(names.tagPatterns(), "at least one pattern is required, e.g. 'cache-*': only tags matching it are ever deleted"));
    }
    for (GlobPattern p : patterns) {
      if (p.glob().chars().allMatch(c -> c == '*' || c == '?')) {
        // '*', '**', '?*', '*?'...: without a literal character a pattern matches every (or nearly every) tag
        errors.add(new FieldError(names.tagPatterns(), "'" + p.glob() + "' has no literal character, so it would treat "
            + "every tag as cache; name the cache tags, e.g. 'cache-*'"));
      }
    }
    List<GlobPattern> protect = globs(raw.protectTags(), names.protectTags(), errors);
    Duration maxAge = duration(raw.maxAge(), names.maxAge(), errors);
    Long maxSize = null;
    if (raw.maxTotalSize() != null) {
      try {
        maxSize = Quantities.parseBytes(raw.maxTotalSize());
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError(names.maxTotalSize(), e.getMessage()));
      }
    }
    int keepLatest = raw.keepLatest() == null ? 0 : raw.keepLatest();
    if (keepLatest < 0) {
      errors.add(new FieldError(names.keepLatest(), "must be 0 or more, got " + keepLatest));
    }
    Duration minAge = raw.minAge() == null ? DEFAULT_MIN_AGE : duration(raw.minAge(), names.minAge(), errors);
    Duration untaggedAfter = duration(raw.untaggedAfter(), names.untaggedAfter(), errors);
    if (maxAge != null && minAge != null && maxAge.compareTo(minAge) < 0) {
      errors.add(new FieldError(names.maxAge(), "must not be shorter than " + names.minAge() + " (" + Durations.format(minAge) + ")"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidPolicyException(errors);
    }
    return new RetentionPolicy(patterns, protect, maxAge, maxSize, keepLatest, minAge, untaggedAfter);
  }

  private static List<GlobPattern> globs(List<String> values, String field, List<FieldError> errors) {
    List<GlobPattern> out = new ArrayList<>();
    if (values == null) {
      return out;
    }
    for (String v : values) {
      if (v == null || v.isBlank()) {
        errors.add(new FieldError(field, "empty pattern"));
      } else if (!v.matches("[A-Za-z0-9_.*?-]+")) {
        errors.add(new FieldError(field, "'" + v + "' is not a tag glob; tags use letters, digits, '_', '.', '-' with '*' and '?'"));
      } else {
        out.add(GlobPattern.of(v));
      }
    }
    return out;
  }

  private static Duration duration(String value, String field, List<FieldError> errors) {
    if (value == null) {
      return null;
    }
    try {
      Duration d = Durations.parse(value);
      if (d.isNegative()) {
        errors.add(new FieldError(field, "must not be negative"));
      }
      return d;
    } catch (IllegalArgumentException e) {
      errors.add(new FieldError(field, e.getMessage()));
      return null;
    }
  }

  public boolean allTagsAreCacheTags(List<String> tags) {
    return tags.stream().allMatch(t -> tagPatterns.stream().anyMatch(p -> p.matches(t)));
  }

  public GlobPattern protectedBy(List<String> tags) {
    for (String t : tags) {
      for (GlobPattern p : protectTags) {
        if (p.matches(t)) {
          return p;
        }
      }
    }
    return null;
  }
}
