package dev.buildcache.operator.gc;

import java.util.List;

/**
 * One image's fate. {@code uniqueBytes} is what deleting it frees in the order of the plan: blobs (and the
 * manifest) that no manifest remaining at that point references; zero for images that are kept.
 */
public record GcDecision(String digest, List<String> tags, GcReason reason, String detail, long uniqueBytes) {
  public GcDecision {
    tags = List.copyOf(tags);
  }
}
