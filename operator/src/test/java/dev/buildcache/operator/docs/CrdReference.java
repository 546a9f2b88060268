package dev.buildcache.operator.docs;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Renders docs/crd-reference.md from the committed CRDs: one table of fields per kind, spec and status. */
final class CrdReference {
  private CrdReference() {}

  static String render(List<Path> crds) throws IOException {
    StringBuilder out = new StringBuilder();
    out.append("# CRD reference\n\n");
    out.append("Generated from `crds/` by `CrdReferenceTest` (regenerate: `./mvnw -q test -Dtest=CrdReferenceTest -Dgolden.update=true`);\n");
    out.append("the build fails when this page and the CRDs disagree. Defaults are applied by the API server.\n");
    for (Path crd : crds) {
      JsonNode root = Serialization.yamlMapper().readTree(Files.readString(crd));
      JsonNode spec = root.path("spec");
      String kind = spec.path("names").path("kind").asText();
      JsonNode version = spec.path("versions").get(0);
      out.append("\n## ").append(kind).append("\n\n");
      out.append("`").append(spec.path("group").asText()).append("/").append(version.path("name").asText()).append("`, ")
          .append(spec.path("scope").asText().toLowerCase()).append(", plural `").append(spec.path("names").path("plural").asText())
          .append("`");
      if (spec.path("names").has("shortNames")) {
        out.append(", short name `").append(spec.path("names").path("shortNames").get(0).asText()).append("`");
      }
      out.append(".\n");
      JsonNode schema = version.path("schema").path("openAPIV3Schema").path("properties");
      for (String part : List.of("spec", "status")) {
        out.append("\n### ").append(kind).append(" ").append(part).append("\n\n");
        out.append("| Field | Type | Default | Constraints | Description |\n|---|---|---|---|---|\n");
        fields(out, part, schema.path(part));
        rules(out, schema.path(part), part);
      }
    }
    return out.toString();
  }

  private static void fields(StringBuilder out, String path, JsonNode node) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String p = path + "." + field.getKey();
      JsonNode f = field.getValue();
      if (isKubernetesType(p)) {
        out.append(row(p, "object", "", "", "Kubernetes' own type: " + description(f)));
        continue;
      }
      String type = f.path("type").asText(f.has("x-kubernetes-int-or-string") ? "int-or-string" : "");
      if ("array".equals(type)) {
        type = "[]" + f.path("items").path("type").asText();
      } else if ("object".equals(type) && f.has("additionalProperties")) {
        type = "map[string]" + f.path("additionalProperties").path("type").asText(
            f.path("additionalProperties").has("anyOf") ? "int-or-string" : "");
      }
      out.append(row(p, type, f.has("default") ? f.path("default").toString() : "", constraints(f), description(f)));
      if (f.has("properties") && !"conditions".equals(field.getKey())) {
        fields(out, p, f);
      }
      rules(out, f, p);
    }
  }

  /** Kubernetes' own types (resources, selectors, affinity, tolerations): documented upstream, not here. */
  private static boolean isKubernetesType(String path) {
    return path.endsWith(".resources") || path.endsWith("Selector") || path.endsWith(".affinity") || path.endsWith(".tolerations")
        || path.endsWith(".conditions");
  }

  private static void rules(StringBuilder out, JsonNode node, String path) {
    node.path("x-kubernetes-validations").forEach(r -> out.append(row(path, "", "", "rule: `" + r.path("rule").asText().replace("|", "\\|") + "`",
        r.path("message").asText())));
  }

  private static String constraints(JsonNode f) {
    StringBuilder c = new StringBuilder();
    if (f.has("enum")) {
      List<String> values = new java.util.ArrayList<>();
      f.path("enum").forEach(v -> values.add(v.asText()));
      c.append("one of ").append(String.join(", ", values));
    }
    if (f.has("pattern")) {
      c.append(c.length() > 0 ? "; " : "").append("pattern `").append(f.path("pattern").asText().replace("|", "\\|")).append("`");
    }
    if (f.has("minimum")) {
      c.append(c.length() > 0 ? "; " : "").append(">= ").append(f.path("minimum").asLong());
    }
    if (f.has("maximum")) {
      c.append(c.length() > 0 ? "; " : "").append("<= ").append(f.path("maximum").asLong());
    }
    if (f.has("minLength")) {
      c.append(c.length() > 0 ? "; " : "").append("min length ").append(f.path("minLength").asLong());
    }
    return c.toString();
  }

  private static String description(JsonNode f) {
    return f.path("description").asText("").replace("|", "\\|").replace("\n", " ");
  }

  private static String row(String path, String type, String def, String constraints, String description) {
    return "| `" + path + "` | " + type + " | " + (def.isEmpty() ? "" : "`" + def + "`") + " | " + constraints + " | " + description + " |\n";
  }
}
