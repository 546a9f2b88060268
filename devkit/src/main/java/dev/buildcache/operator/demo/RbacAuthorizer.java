package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes RBAC as the API server evaluates it (kubernetes.io/docs/reference/access-authn-authz/rbac/): a request
 * is allowed when a ClusterRoleBinding, or a RoleBinding in the request's namespace, binds the user (or one of its
 * groups, or its ServiceAccount) to a Role or ClusterRole with a rule matching the verb, API group, resource (with
 * subresource, e.g. {@code leases} or {@code cacheprofiles/status}) and, where the rule names them, the object's
 * name. {@code *} matches anything where the API allows it. Every authenticated user has the rules of
 * {@code system:basic-user} (self-subject reviews). Pure: roles and bindings come in, decisions go out.
 */
public final class RbacAuthorizer {

  /** What RBAC is asked about one request. {@code namespace} is null at the cluster scope, {@code name} null for collections. */
  public record Attributes(String verb, String group, String resource, String subresource, String namespace, String name) {
    public String resourceWithSubresource() {
      return subresource == null ? resource : resource + "/" + subresource;
    }
  }

  /** A user and its groups: {@code system:serviceaccount:NS:NAME} with {@code system:serviceaccounts[:NS]}. */
  public record User(String name, List<String> groups) {
    public static User serviceAccount(String namespace, String name) {
      return new User("system:serviceaccount:" + namespace + ":" + name,
          List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"));
    }
  }

  /** One rule of a role, as a SelfSubjectRulesReview reports it. */
  public record Rule(List<String> verbs, List<String> apiGroups, List<String> resources, List<String> resourceNames) {}

  private static final List<Rule> BASIC_USER = List.of(new Rule(List.of("create"), List.of("authorization.k8s.io"),
      List.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"), List.of()));

  private final Map<String, List<Rule>> clusterRoles = new LinkedHashMap<>();
  private final Map<String, List<Rule>> roles = new LinkedHashMap<>();
  private final List<JsonNode> clusterRoleBindings = new ArrayList<>();
  private final List<JsonNode> roleBindings = new ArrayList<>();

  /** @param objects ClusterRoles, Roles, ClusterRoleBindings and RoleBindings (other kinds are ignored) */
  public RbacAuthorizer(List<JsonNode> objects) {
    for (JsonNode o : objects) {
      String name = o.path("metadata").path("name").asText();
      String namespace = o.path("metadata").path("namespace").asText("");
      switch (o.path("kind").asText()) {
        case "ClusterRole" -> clusterRoles.put(name, rules(o));
        case "Role" -> roles.put(namespace + "/" + name, rules(o));
        case "ClusterRoleBinding" -> clusterRoleBindings.add(o);
        case "RoleBinding" -> roleBindings.add(o);
        default -> { }
      }
    }
  }

  private static List<Rule> rules(JsonNode role) {
    List<Rule> out = new ArrayList<>();
    for (JsonNode r : role.path("rules")) {
      out.add(new Rule(texts(r.path("verbs")), texts(r.path("apiGroups")), texts(r.path("resources")), texts(r.path("resourceNames"))));
    }
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  public boolean allowed(User user, Attributes a) {
    return rulesFor(user, a.namespace()).stream().anyMatch(rule -> matches(rule, a));
  }

  /** The rules that apply to {@code user} in {@code namespace} (null: the cluster scope only). */
  public List<Rule> rulesFor(User user, String namespace) {
    List<Rule> out = new ArrayList<>(BASIC_USER);
    for (JsonNode binding : clusterRoleBindings) {
      if (binds(binding, user)) {
        out.addAll(clusterRoles.getOrDefault(binding.path("roleRef").path("name").asText(), List.of()));
      }
    }
    if (namespace != null) {
      for (JsonNode binding : roleBindings) {
        if (namespace.equals(binding.path("metadata").path("namespace").asText()) && binds(binding, user)) {
          JsonNode ref = binding.path("roleRef");
          out.addAll("ClusterRole".equals(ref.path("kind").asText())
              ? clusterRoles.getOrDefault(ref.path("name").asText(), List.of())
              : roles.getOrDefault(namespace + "/" + ref.path("name").asText(), List.of()));
        }
      }
    }
    return out;
  }

  private static boolean binds(JsonNode binding, User user) {
    String bindingNamespace = binding.path("metadata").path("namespace").asText("");
    for (JsonNode subject : binding.path("subjects")) {
      String kind = subject.path("kind").asText();
      String name = subject.path("name").asText();
      boolean matches = switch (kind) {
        case "User" -> name.equals(user.name());
        case "Group" -> user.groups().contains(name);
        case "ServiceAccount" -> user.name().equals("system:serviceaccount:"
            + subject.path("namespace").asText(bindingNamespace) + ":" + name);
        default -> false;
      };
      if (matches) {
        return true;
      }
    }
    return false;
  }

  static boolean matches(Rule rule, Attributes a) {
    return any(rule.verbs(), a.verb()) && any(rule.apiGroups(), a.group())
        && (any(rule.resources(), a.resourceWithSubresource())
            || (a.subresource() != null && rule.resources().contains("*/" + a.subresource()))
            || (a.subresource() == null && rule.resources().contains(a.resource() + "/*")))
        && (rule.resourceNames().isEmpty() || (a.name() != null && rule.resourceNames().contains(a.name())));
  }

  private static boolean any(List<String> allowed, String value) {
    return allowed.contains("*") || allowed.contains(value);
  }

  /** The API server's 403 message: what was refused, to whom, where. */
  public static String forbidden(User user, Attributes a) {
    String target = a.name() != null ? a.resource() + (a.group().isEmpty() ? "" : "." + a.group()) + " \"" + a.name() + "\""
        : a.resource() + (a.group().isEmpty() ? "" : "." + a.group());
    String scope = a.namespace() == null ? "at the cluster scope" : "in the namespace \"" + a.namespace() + "\"";
    return target + " is forbidden: User \"" + user.name() + "\" cannot " + a.verb() + " resource \"" + a.resourceWithSubresource()
        + "\" in API group \"" + a.group() + "\" " + scope;
  }
}
