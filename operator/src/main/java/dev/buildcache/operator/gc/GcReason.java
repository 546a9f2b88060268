package dev.buildcache.operator.gc;

/** Why an image was deleted or kept. Every decision of the planner and runner carries one. */
public enum GcReason {
  MAX_AGE("MaxAge", true),
  UNTAGGED_ORPHAN("UntaggedOrphan", true),
  OVER_BUDGET("OverBudget", true),
  NOT_CACHE("NotCache", false),
  TAG_NOT_CACHE("TagNotCache", false),
  REFERENCED_BY_INDEX("ReferencedByIndex", false),
  PROTECTED("Protected", false),
  TOO_YOUNG("YoungerThanMinAge", false),
  AGE_UNKNOWN("AgeUnknown", false),
  /** OCI: the GC saw this tag at this digest for the first time in this run; its age starts now. */
  FIRST_SEEN("FirstSeen", false),
  /** Its manifest could not be read: what it is and what it references are unknown. */
  UNREADABLE("Unreadable", false),
  /** A manifest it references could not be read. */
  CHILD_UNREADABLE("ChildUnreadable", false),
  /** Something in the repository could not be resolved (a tag, a manifest) and might protect it. */
  UNRESOLVED("Unresolved", false),
  KEEP_LATEST("KeepLatest", false),
  WITHIN_POLICY("WithinPolicy", false),
  CHANGED_SINCE_PLANNING("ChangedSincePlanning", false),
  /** The run was stopped (the operator shutting down or losing leadership, the profile deleted) before this batch. */
  CANCELLED("Cancelled", false),
  DELETE_FAILED("DeleteFailed", false);

  private final String code;
  private final boolean deletes;

  GcReason(String code, boolean deletes) {
    this.code = code;
    this.deletes = deletes;
  }

  public String code() {
    return code;
  }

  public boolean deletes() {
    return deletes;
  }
}
