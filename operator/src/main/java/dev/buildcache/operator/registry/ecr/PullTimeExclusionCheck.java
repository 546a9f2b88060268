package dev.buildcache.operator.registry.ecr;

import dev.buildcache.operator.registry.PullTimes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.ListPullTimeUpdateExclusionsResponse;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Finds out whether the GC's AWS identity is a pull-time update exclusion of the registry, so that its manifest
 * reads do not move {@code lastRecordedPullTime}. STS names the caller as an assumed role
 * ({@code arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION}) without the role's path, while an exclusion names the
 * IAM role ({@code arn:aws:iam::ACCOUNT:role/PATH/ROLE}); role names are unique in an account whatever their path,
 * so account and name identify it.
 */
final class PullTimeExclusionCheck {
  private static final Pattern ASSUMED_ROLE = Pattern.compile("^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([^/]+)/.*$");
  private static final Pattern IAM_PRINCIPAL = Pattern.compile("^arn:(aws[a-z-]*):iam::([0-9]{12}):(role|user)/(?:.*/)?([^/]+)$");

  private PullTimeExclusionCheck() {}

  /** Who the caller is, as an exclusion would name it. */
  record Caller(String arn, String partition, String account, String kind, String name) {
    static Caller of(String arn) {
      Matcher role = ASSUMED_ROLE.matcher(arn);
      if (role.matches()) {
        return new Caller(arn, role.group(1), role.group(2), "role", role.group(3));
      }
      Matcher iam = IAM_PRINCIPAL.matcher(arn);
      if (iam.matches()) {
        return new Caller(arn, iam.group(1), iam.group(2), iam.group(3), iam.group(4));
      }
      return null;
    }

    boolean isNamedBy(String exclusionArn) {
      Matcher m = IAM_PRINCIPAL.matcher(exclusionArn);
      return m.matches() && m.group(1).equals(partition) && m.group(2).equals(account) && m.group(3).equals(kind)
          && m.group(4).equals(name);
    }

    /** The command an administrator runs once; the role's ARN comes from IAM because STS does not give its path. */
    String registerCommand(String region) {
      String principal = "role".equals(kind)
          ? "\"$(aws iam get-role --role-name " + name + " --query Role.Arn --output text)\""
          : arn;
      return "aws ecr register-pull-time-update-exclusion --region " + region + " --principal-arn " + principal;
    }
  }

  static PullTimes check(StsClient sts, EcrClient ecr, String region) {
    String arn;
    try {
      arn = sts.getCallerIdentity().arn();
    } catch (SdkException e) {
      return PullTimes.unknown(null, "cannot tell who the GC runs as (STS GetCallerIdentity: " + oneLine(e) + ")");
    }
    Caller caller = Caller.of(arn);
    if (caller == null) {
      return PullTimes.unknown(arn, "the GC runs as " + arn + ", which cannot be a pull-time update exclusion (only IAM roles and users can)");
    }
    List<String> exclusions = new ArrayList<>();
    try {
      String next = null;
      do {
        String token = next;
        ListPullTimeUpdateExclusionsResponse page = ecr.listPullTimeUpdateExclusions(b -> b.maxResults(1000).nextToken(token));
        exclusions.addAll(page.pullTimeUpdateExclusions());
        next = page.nextToken();
      } while (next != null && !next.isEmpty());
    } catch (AwsServiceException e) {
      if (e.awsErrorDetails() != null && "AccessDeniedException".equals(e.awsErrorDetails().errorCode())) {
        return PullTimes.unknown(arn, "the GC may not call ecr:ListPullTimeUpdateExclusions; grant it (deploy/eks/iam-policy.json)");
      }
      return PullTimes.unknown(arn, "ecr:ListPullTimeUpdateExclusions failed: " + oneLine(e));
    } catch (SdkException e) {
      return PullTimes.unknown(arn, "ecr:ListPullTimeUpdateExclusions failed: " + oneLine(e));
    }
    if (exclusions.stream().anyMatch(caller::isNamedBy)) {
      return new PullTimes(PullTimes.State.EXCLUDED, arn, "the GC's " + caller.kind() + " " + caller.name()
          + " is a pull-time update exclusion: its manifest reads leave last-pull times alone", null);
    }
    return new PullTimes(PullTimes.State.REFRESHED_BY_GC, arn, "the GC's " + caller.kind() + " " + caller.name()
        + " is not a pull-time update exclusion, so ECR records its manifest reads as pulls", caller.registerCommand(region));
  }

  private static String oneLine(SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      return service.awsErrorDetails().errorCode() + ": " + AwsErrors.firstLine(service.awsErrorDetails().errorMessage());
    }
    return AwsErrors.clientProblem(e);
  }
}
