package dev.buildcache.operator.registry;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code host[:port]/name}, and what the host says about the registry. */
public record RepositoryReference(String host, String name) {
  private static final Pattern REF = Pattern.compile("^([a-zA-Z0-9.-]+(?::[0-9]+)?)/([a-z0-9]+(?:[._/-][a-z0-9]+)*)$");
  private static final Pattern ECR_HOST = Pattern.compile("^([0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?$");

  public static RepositoryReference parse(String text) {
    Matcher m = text == null ? null : REF.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a repository; use host[:port]/name, e.g. "
          + "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache or registry.example.com/team/app");
    }
    return new RepositoryReference(m.group(1), m.group(2));
  }

  public boolean isEcr() {
    return ECR_HOST.matcher(host).matches();
  }

  /** The AWS account of an ECR host, or null. */
  public String ecrAccount() {
    Matcher m = ECR_HOST.matcher(host);
    return m.matches() ? m.group(1) : null;
  }

  /** The AWS region of an ECR host, or null. */
  public String ecrRegion() {
    Matcher m = ECR_HOST.matcher(host);
    return m.matches() ? m.group(2) : null;
  }

  @Override
  public String toString() {
    return host + "/" + name;
  }
}
