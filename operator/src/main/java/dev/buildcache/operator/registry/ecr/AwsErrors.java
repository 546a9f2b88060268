package dev.buildcache.operator.registry.ecr;

import dev.buildcache.operator.registry.RepositoryReference;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * One line a user can act on from an AWS SDK failure. The SDK's own messages run to a dump of every credential
 * provider it tried (1,500 characters for "no credentials") or end in request ids; what matters is which call,
 * which error code, and what to do.
 */
public final class AwsErrors {
  private AwsErrors() {}

  static String describe(String operation, RepositoryReference repository, SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      String code = service.awsErrorDetails().errorCode();
      String message = firstLine(service.awsErrorDetails().errorMessage());
      String fix = switch (code == null ? "" : code) {
        case "AccessDeniedException" -> "; grant ecr:" + operation + " to the GC's IAM role (deploy/eks/iam-policy.json)";
        case "RepositoryNotFoundException" -> "; check --repository (spec.repository): " + repository;
        case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException" ->
            "; the AWS credentials are not valid here: check AWS_PROFILE, the keys, or the role's session";
        default -> "";
      };
      return "ECR " + operation + " on " + repository + ": " + code + ": " + message + fix;
    }
    return "ECR " + operation + " on " + repository + ": " + clientProblem(e);
  }

  /** What went wrong on our side of the wire, with the fix. */
  public static String clientProblem(SdkException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.startsWith("Unable to load credentials")) {
      return "no AWS credentials: none of the default chain's sources has any (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
          + "AWS_PROFILE and ~/.aws, IRSA's web identity token, EKS Pod Identity, an instance role); set one";
    }
    if (message.startsWith("Unable to load region")) {
      return "no AWS region: pass --region (spec.registry.region) or use an ECR host that names it "
          + "(<account>.dkr.ecr.<region>.amazonaws.com)";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String rootMessage = root == e ? firstLine(message) : root.getClass().getSimpleName() + ": " + firstLine(String.valueOf(root.getMessage()));
    return "cannot reach AWS: " + rootMessage;
  }

  public static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    String line = text.lines().findFirst().orElse("").trim();
    // "... (Service: Ecr, Status Code: 400, Request ID: ...)" says nothing a user can act on
    int service = line.indexOf(" (Service: ");
    return service > 0 ? line.substring(0, service) : line;
  }
}
