package dev.buildcache.operator.bundles;

import java.util.regex.Pattern;

/**
 * Names of the client bundles' secrets, from the operator's template: the platform team's choice (its IAM policy covers
 * the names, and agents' roles are granted theirs), never a tenant's. The template names the namespace, the builder
 * and the profile, so no two profiles share a secret and no tenant can name another's.
 */
public final class BundleSecretNames {
  public static final String DEFAULT_TEMPLATE = "buildcache/{namespace}/{builder}/{profile}";
  /** Secrets Manager's name characters (API reference, CreateSecret Name). */
  private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9/_+=.@-]{1,512}$");

  private final String template;

  private BundleSecretNames(String template) {
    this.template = template;
  }

  /** @throws IllegalArgumentException naming what is wrong with {@code template} */
  public static BundleSecretNames of(String template) {
    for (String placeholder : new String[] {"{namespace}", "{builder}", "{profile}"}) {
      if (!template.contains(placeholder)) {
        throw new IllegalArgumentException("the client bundle secret template " + template + " lacks " + placeholder
            + ": it must name the namespace, the builder and the profile, e.g. " + DEFAULT_TEMPLATE);
      }
    }
    String sample = template.replace("{namespace}", "a").replace("{builder}", "b").replace("{profile}", "c");
    if (!NAME.matcher(sample).matches()) {
      throw new IllegalArgumentException("the client bundle secret template " + template + " makes names Secrets Manager "
          + "refuses: use letters, digits and /_+=.@- only");
    }
    return new BundleSecretNames(template);
  }

  public String name(String namespace, String builder, String profile) {
    return template.replace("{namespace}", namespace).replace("{builder}", builder).replace("{profile}", profile);
  }

  public String template() {
    return template;
  }
}
