package dev.buildcache.operator.api.status;

/**
 * Every condition and Event reason the operator writes. PascalCase, as Kubernetes expects; the same constant names
 * the condition's reason and the Event that announced its transition. Each reason says how much it is worth
 * announcing, which is what decides an Event's type: a failure is always a {@code Warning}, never {@code Normal}.
 */
public enum Reason {
  ALL_REPLICAS_READY("AllReplicasReady", Severity.NOTICE),
  REPLICAS_NOT_READY("ReplicasNotReady", Severity.DEGRADATION),
  SCALED_TO_ZERO("ScaledToZero", Severity.NOTICE),
  ROLLING_OUT("RollingOut", Severity.QUIET),
  ROLLOUT_COMPLETE("RolloutComplete", Severity.QUIET),
  AS_EXPECTED("AsExpected", Severity.QUIET),
  INVALID_SPEC("InvalidSpec", Severity.FAILURE),
  REPOSITORY_NOT_ALLOWED("RepositoryNotAllowed", Severity.FAILURE),
  REPOSITORY_CONFLICT("RepositoryConflict", Severity.FAILURE),
  RECONCILE_ERROR("ReconcileError", Severity.FAILURE),
  OBJECT_NAME_TAKEN("ObjectNameTaken", Severity.FAILURE),
  STATUS_REFUSED("StatusRefused", Severity.FAILURE),
  CERTIFICATES_VALID("CertificatesValid", Severity.QUIET),
  CERTIFICATES_ISSUED("CertificatesIssued", Severity.NOTICE),
  CERTIFICATE_AUTHORITY_ROTATED("CertificateAuthorityRotated", Severity.NOTICE),
  CERTIFICATE_AUTHORITY_LOST("CertificateAuthorityLost", Severity.FAILURE),
  SPEC_VALID("SpecValid", Severity.QUIET),
  CLUSTER_INTERNAL("ClusterInternal", Severity.QUIET),
  LOAD_BALANCER_READY("LoadBalancerReady", Severity.NOTICE),
  LOAD_BALANCER_PENDING("LoadBalancerPending", Severity.DEGRADATION),
  NOT_CONFIGURED("NotConfigured", Severity.QUIET),
  BUNDLES_CURRENT("BundlesCurrent", Severity.QUIET),
  BUNDLES_PUBLISHED("BundlesPublished", Severity.NOTICE),
  BUNDLE_PUBLISH_FAILED("BundlePublishFailed", Severity.FAILURE),
  BUILDER_NOT_FOUND("BuilderNotFound", Severity.FAILURE),
  BUILDER_NOT_READY("BuilderNotReady", Severity.DEGRADATION),
  ASSIGNED("Assigned", Severity.NOTICE),
  FAILED_OVER("FailedOver", Severity.FAILURE),
  NO_REPLICAS("NoReplicas", Severity.FAILURE),
  NO_FINDINGS("NoFindings", Severity.QUIET),
  LINT_WARNINGS("LintWarnings", Severity.FAILURE),
  LINT_ERRORS("LintErrors", Severity.FAILURE),
  GC_COMPLETED("GcCompleted", Severity.NOTICE),
  GC_FAILED("GcFailed", Severity.FAILURE),
  GC_PARTIALLY_FAILED("GcPartiallyFailed", Severity.FAILURE),
  GC_BLOCKED("GcBlocked", Severity.FAILURE),
  EXCLUDED("Excluded", Severity.QUIET),
  REFRESHED_BY_GC("RefreshedByGc", Severity.FAILURE),
  EXCLUSION_UNKNOWN("ExclusionUnknown", Severity.FAILURE);

  /** How a condition entering this reason is announced. */
  public enum Severity {
    /** Something is wrong and a user must act: a Warning Event whenever a condition enters it. */
    FAILURE,
    /** Wrong only after it was right (not ready after being ready): a Warning then, silent on the way up. */
    DEGRADATION,
    /** A change a user acts on (ready, assigned, certificates issued): a Normal Event. */
    NOTICE,
    /** Routine; announced (Normal) only as the recovery from a failure. */
    QUIET
  }

  private final String value;
  private final Severity severity;

  Reason(String value, Severity severity) {
    this.value = value;
    this.severity = severity;
  }

  public Severity severity() {
    return severity;
  }

  public boolean failure() {
    return severity == Severity.FAILURE || severity == Severity.DEGRADATION;
  }

  public String value() {
    return value;
  }
}
