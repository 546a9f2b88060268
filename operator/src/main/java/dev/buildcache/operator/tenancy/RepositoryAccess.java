package dev.buildcache.operator.tenancy;

import dev.buildcache.operator.registry.RepositoryReference;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which repositories a namespace's CacheProfiles may prune with the operator's registry credentials: the platform
 * team's rules, {@code NAMESPACE=PATTERN} ({@code buildcache run --repository-access}, repeatable). A profile may use
 * a repository when any rule whose namespace glob matches its namespace has a pattern that matches the repository.
 *
 * <p>Patterns are over {@code host/path/name}: {@code *} is any run of characters within one path element, {@code **}
 * any run across elements, {@code {namespace}} the profile's namespace. The default, {@code *=**}{@code /{namespace}/*},
 * lets a namespace use the repositories under a path element named after it
 * ({@code 123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/app-cache} for namespace {@code team-a}), so no team can
 * name another's. {@code *=**} lets every namespace use every repository: only when the platform team says so.
 */
public final class RepositoryAccess {
  public static final String DEFAULT_RULE = "*=**/{namespace}/*";

  /** One rule: namespaces matching {@code namespaces} may use repositories matching {@code repositories}. */
  public record Rule(String namespaces, String repositories) {
    boolean covers(String namespace) {
      return glob(namespaces, null).matcher(namespace).matches();
    }

    boolean allows(String namespace, RepositoryReference repository) {
      return covers(namespace) && glob(repositories, namespace).matcher(repository.toString()).matches();
    }

    @Override
    public String toString() {
      return namespaces + "=" + repositories;
    }
  }

  private final List<Rule> rules;

  private RepositoryAccess(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The default: each namespace uses the repositories under a path element named after it. */
  public static RepositoryAccess byNamespace() {
    return parse(List.of(DEFAULT_RULE));
  }

  /** Every namespace may use every repository (a single-team cluster, or tests that are not about tenancy). */
  public static RepositoryAccess any() {
    return parse(List.of("*=**"));
  }

  /** Rules as given on the command line; an empty list is the default. */
  public static RepositoryAccess parse(List<String> rules) {
    if (rules.isEmpty()) {
      return byNamespace();
    }
    List<Rule> parsed = new ArrayList<>();
    for (String rule : rules) {
      int eq = rule.indexOf('=');
      if (eq <= 0 || eq == rule.length() - 1) {
        throw new IllegalArgumentException("--repository-access '" + rule + "' is not NAMESPACE=PATTERN, e.g. team-a="
            + "123456789012.dkr.ecr.us-east-1.amazonaws.com/team-a/* or " + DEFAULT_RULE);
      }
      parsed.add(new Rule(rule.substring(0, eq).trim(), rule.substring(eq + 1).trim()));
    }
    return new RepositoryAccess(parsed);
  }

  public boolean allows(String namespace, RepositoryReference repository) {
    return rules.stream().anyMatch(r -> r.allows(namespace, repository));
  }

  /** The rules that apply to {@code namespace}, as a user reads them in a refusal. */
  public String rulesFor(String namespace) {
    List<Rule> covering = rules.stream().filter(r -> r.covers(namespace)).toList();
    return covering.isEmpty() ? "none" : covering.stream().map(Rule::toString).collect(Collectors.joining(", "));
  }

  public List<Rule> rules() {
    return rules;
  }

  /** {@code **} any characters, {@code *} any characters but '/', {@code {namespace}} the namespace, the rest literal. */
  static Pattern glob(String glob, String namespace) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); ) {
      if (glob.startsWith("**", i)) {
        regex.append(".*");
        i += 2;
      } else if (glob.charAt(i) == '*') {
        regex.append("[^/]*");
        i++;
      } else if (namespace != null && glob.startsWith("{namespace}", i)) {
        regex.append(Pattern.quote(namespace));
        i += "{namespace}".length();
      } else {
        regex.append(Pattern.quote(String.valueOf(glob.charAt(i))));
        i++;
      }
    }
    return Pattern.compile(regex.toString());
  }
}
