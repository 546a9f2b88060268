package dev.buildcache.operator.api.status;

/** Condition types of both kinds. */
public enum ConditionType {
  READY("Ready"),
  PROGRESSING("Progressing"),
  DEGRADED("Degraded"),
  CERTIFICATES_READY("CertificatesReady"),
  VALID("Valid"),
  BUILDER_ASSIGNED("BuilderAssigned"),
  GC_SUCCEEDED("GcSucceeded"),
  LINT_CLEAN("LintClean"),
  /** ECR: whether the GC's role is a pull-time update exclusion, so its manifest reads are not recorded as pulls. */
  PULL_TIME_UPDATE_EXCLUDED("PullTimeUpdateExcluded");

  private final String type;

  ConditionType(String type) {
    this.type = type;
  }

  public String type() {
    return type;
  }
}
