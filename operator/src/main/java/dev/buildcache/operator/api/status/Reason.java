package dev.buildcache.operator.api.status;

/**
 * Every condition and Event reason the operator writes. PascalCase, as Kubernetes expects; the same constant names
 * the condition's reason and the Event that announced its transition.
 */
public enum Reason {
  ALL_REPLICAS_READY("AllReplicasReady"),
  REPLICAS_NOT_READY("ReplicasNotReady"),
  SCALED_TO_ZERO("ScaledToZero"),
  ROLLING_OUT("RollingOut"),
  ROLLOUT_COMPLETE("RolloutComplete"),
  AS_EXPECTED("AsExpected"),
  INVALID_SPEC("InvalidSpec"),
  RECONCILE_ERROR("ReconcileError"),
  OBJECT_NAME_TAKEN("ObjectNameTaken"),
  CERTIFICATES_VALID("CertificatesValid"),
  CERTIFICATES_ISSUED("CertificatesIssued"),
  CERTIFICATE_AUTHORITY_ROTATED("CertificateAuthorityRotated"),
  CERTIFICATE_AUTHORITY_LOST("CertificateAuthorityLost"),
  SPEC_VALID("SpecValid"),
  BUILDER_NOT_FOUND("BuilderNotFound"),
  BUILDER_NOT_READY("BuilderNotReady"),
  ASSIGNED("Assigned"),
  FAILED_OVER("FailedOver"),
  NO_REPLICAS("NoReplicas"),
  NO_FINDINGS("NoFindings"),
  LINT_WARNINGS("LintWarnings"),
  LINT_ERRORS("LintErrors"),
  GC_COMPLETED("GcCompleted"),
  GC_FAILED("GcFailed"),
  GC_PARTIALLY_FAILED("GcPartiallyFailed"),
  GC_BLOCKED("GcBlocked"),
  EXCLUDED("Excluded"),
  REFRESHED_BY_GC("RefreshedByGc"),
  EXCLUSION_UNKNOWN("ExclusionUnknown");

  private final String value;

  Reason(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }
}
