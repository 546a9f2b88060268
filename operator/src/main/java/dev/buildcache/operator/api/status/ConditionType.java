package dev.buildcache.operator.api.status;

/** Condition types of both kinds. */
public enum ConditionType {
  READY("Ready"),
  PROGRESSING("Progressing"),
  DEGRADED("Degraded", false),
  CERTIFICATES_READY("CertificatesReady"),
  /** Builders: whether agents outside the cluster have an address (spec.exposure); False while in-cluster only. */
  EXTERNALLY_REACHABLE("ExternallyReachable"),
  /** Builders: whether every routed profile's client bundle is current in AWS Secrets Manager (spec.exposure.secretsManager). */
  CLIENT_BUNDLES_PUBLISHED("ClientBundlesPublished"),
  VALID("Valid"),
  BUILDER_ASSIGNED("BuilderAssigned"),
  GC_SUCCEEDED("GcSucceeded"),
  LINT_CLEAN("LintClean"),
  /** ECR: whether the GC's role is a pull-time update exclusion, so its manifest reads are not recorded as pulls. */
  PULL_TIME_UPDATE_EXCLUDED("PullTimeUpdateExcluded");

  private final String type;
  private final boolean trueIsGood;

  ConditionType(String type) {
    this(type, true);
  }

  /** @param trueIsGood the polarity: False is the good state of {@code Degraded}, True of every other type */
  ConditionType(String type, boolean trueIsGood) {
    this.type = type;
    this.trueIsGood = trueIsGood;
  }

  /** Whether {@code status} ("True", "False", "Unknown", or null) is this type's good state. */
  public boolean good(String status) {
    return (trueIsGood ? "True" : "False").equals(status);
  }

  public String type() {
    return type;
  }
}
