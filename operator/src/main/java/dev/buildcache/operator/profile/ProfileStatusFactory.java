package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.profile.lint.Severity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/** What a CacheProfile's status says, from what the reconciler observed. Pure. */
final class ProfileStatusFactory {
  private ProfileStatusFactory() {}

  static CacheProfileStatus.GcRunStatus lastGc(ProfileGcExecutor.Run run) {
    CacheProfileStatus.GcRunStatus s = new CacheProfileStatus.GcRunStatus();
    s.setStartTime(Conditions.format(run.started()));
    s.setCompletionTime(Conditions.format(run.completed()));
    s.setResult(run.result().value());
    s.setTrigger(run.trigger().value());
    s.setMessage(run.message());
    s.setDryRun(run.dryRun());
    ProfileGcExecutor.Summary summary = run.summary();
    if (summary != null) {
      s.setScannedImages(summary.scannedImages());
      s.setCacheImages(summary.cacheImages());
      s.setDeletedImages(summary.deletedImages());
      s.setReclaimedBytes(summary.reclaimedBytes());
      s.setReclaimed(dev.buildcache.operator.units.Quantities.humanBytes(summary.reclaimedBytes()));
      s.setBytesBefore(summary.bytesBefore());
      s.setBytesAfter(summary.bytesAfter());
      s.setApiCalls(new java.util.TreeMap<>(summary.apiCalls()));
      s.setBudgetMet(summary.budgetMet());
      s.setManifestsRead(summary.manifestsRead());
      s.setPullTimes(summary.pullTimes());
      s.setPullTimesMessage(summary.pullTimesMessage());
    }
    return s;
  }

  /**
   * Whether the status should show {@code run} instead of the run it shows: it shows another run, and not a later
   * one (a later run can only come from another leader). Start times compare at the API server's second precision.
   */
  static boolean newerThanShown(CacheProfileStatus status, ProfileGcExecutor.Run run) {
    if (status == null || status.getLastGc() == null || status.getLastGc().getStartTime() == null) {
      return true;
    }
    CacheProfileStatus.GcRunStatus mine = lastGc(run);
    if (Serialization.jsonMapper().valueToTree(mine).equals(Serialization.jsonMapper().valueToTree(status.getLastGc()))) {
      return false;
    }
    return !Instant.parse(mine.getStartTime()).isBefore(Instant.parse(status.getLastGc().getStartTime()));
  }

  /** Whether the status shows a run that started after {@code run} (seconds, as the status records them). */
  static boolean olderThanShown(CacheProfileStatus status, ProfileGcExecutor.Run run) {
    if (status == null || status.getLastGc() == null || status.getLastGc().getStartTime() == null) {
      return false;
    }
    return Instant.parse(lastGc(run).getStartTime()).isBefore(Instant.parse(status.getLastGc().getStartTime()));
  }

  static Conditions.Desired gcCondition(CacheProfileStatus.GcRunStatus lastGc) {
    return switch (lastGc.getResult()) {
      case "Succeeded" -> new Conditions.Desired(ConditionType.GC_SUCCEEDED, true, Reason.GC_COMPLETED, lastGc.getMessage());
      case "PartiallyFailed" -> new Conditions.Desired(ConditionType.GC_SUCCEEDED, false, Reason.GC_PARTIALLY_FAILED, lastGc.getMessage());
      case "Blocked" -> new Conditions.Desired(ConditionType.GC_SUCCEEDED, false, Reason.GC_BLOCKED, lastGc.getMessage());
      default -> new Conditions.Desired(ConditionType.GC_SUCCEEDED, false, Reason.GC_FAILED, lastGc.getMessage());
    };
  }

  /**
   * ECR: whether the GC's own manifest reads move pull times, from the last run that could tell. Null where the
   * registry records none, or no run has looked yet.
   */
  static Conditions.Desired pullTimeCondition(CacheProfileStatus.GcRunStatus lastGc) {
    if (lastGc == null || lastGc.getPullTimes() == null) {
      return null;
    }
    String message = lastGc.getPullTimesMessage() == null ? lastGc.getPullTimes() : lastGc.getPullTimesMessage();
    return switch (lastGc.getPullTimes()) {
      case "excluded" -> new Conditions.Desired(ConditionType.PULL_TIME_UPDATE_EXCLUDED, true, Reason.EXCLUDED, message);
      case "refreshed-by-gc" -> new Conditions.Desired(ConditionType.PULL_TIME_UPDATE_EXCLUDED, false, Reason.REFRESHED_BY_GC, message);
      default -> new Conditions.Desired(ConditionType.PULL_TIME_UPDATE_EXCLUDED, null, Reason.EXCLUSION_UNKNOWN, message);
    };
  }

  static Conditions.Desired lintCondition(List<LintFinding> findings) {
    if (findings.isEmpty()) {
      return new Conditions.Desired(ConditionType.LINT_CLEAN, true, Reason.NO_FINDINGS, "no cache mistakes found");
    }
    boolean errors = findings.stream().anyMatch(f -> f.severity() == Severity.ERROR);
    String message = findings.size() + (findings.size() == 1 ? " finding: " : " findings: ")
        + findings.stream().map(f -> f.rule() + " (" + f.key() + ")").collect(Collectors.joining(", "));
    return new Conditions.Desired(ConditionType.LINT_CLEAN, false, errors ? Reason.LINT_ERRORS : Reason.LINT_WARNINGS, message);
  }

  static String lintEventMessage(LintFinding finding) {
    return finding.severity().name().toLowerCase(java.util.Locale.ROOT) + " " + finding.rule() + " at " + finding.key()
        + ": " + finding.message() + "; fix: " + finding.fix();
  }

  /** All findings in one Event (Events are aggregated by reason): numbered, each with its fix. */
  static String lintEventMessage(List<LintFinding> findings) {
    if (findings.size() == 1) {
      return lintEventMessage(findings.get(0));
    }
    StringBuilder out = new StringBuilder(findings.size() + " findings:");
    for (int i = 0; i < findings.size(); i++) {
      out.append(" (").append(i + 1).append(") ").append(lintEventMessage(findings.get(i)));
    }
    return out.toString();
  }

  static Conditions.Desired assigned(ReplicaAssignment a) {
    if (a.failedOver()) {
      return new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, true, Reason.FAILED_OVER,
          "endpoint points at " + a.pod() + " while " + a.firstChoicePod() + ", which holds the warm cache, is not ready");
    }
    return new Conditions.Desired(ConditionType.BUILDER_ASSIGNED, true, Reason.ASSIGNED, "endpoint points at " + a.pod());
  }

  static Conditions.Desired ready(ReplicaAssignment a) {
    return a.ready()
        ? new Conditions.Desired(ConditionType.READY, true, Reason.AS_EXPECTED, "endpoint serves from " + a.pod())
        : new Conditions.Desired(ConditionType.READY, false, Reason.BUILDER_NOT_READY,
            "no replica of the builder is ready; the endpoint waits for " + a.pod());
  }
}
