package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Admits objects against a CRD's structural {@code openAPIV3Schema} the way the API server does for what our CRDs
 * use, in its order: unknown fields are pruned (and listed: the server warns about them, or refuses them under
 * {@code fieldValidation=Strict}), defaults applied, then type, required, enum, pattern, minimum/maximum, minLength,
 * items, additionalProperties, int-or-string, preserve-unknown-fields and the {@code x-kubernetes-validations} CEL
 * rules (cel-java) are checked. Violations carry the field path, cause reason and message the API server uses
 * ({@code k8s.io/apimachinery/pkg/util/validation/field}, {@code kube-openapi}'s validate errors).
 */
public final class CrdSchemaValidator {
  private static final CelCompiler CEL = CelCompilerFactory.standardCelCompilerBuilder()
      .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
      .addVar("self", SimpleType.DYN)
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  /**
   * One invalid field, as a {@code StatusCause}: {@code field} without a leading dot ({@code spec.replicas}),
   * {@code reason} one of {@code FieldValueInvalid}, {@code FieldValueRequired}, {@code FieldValueNotSupported},
   * {@code FieldValueTypeInvalid}, and {@code message} as the server words it ({@code Invalid value: -1: ...}).
   */
  public record Violation(String field, String reason, String message) {
    /** As the server prints a field error inside the Status message: {@code spec.replicas: Invalid value: ...}. */
    @Override
    public String toString() {
      return field + ": " + message;
    }
  }

  /** The object as it would be stored (pruned, defaulted), the fields pruned, and what makes it invalid. */
  public record Admission(ObjectNode object, List<String> unknownFields, List<Violation> violations) {}

  private static final java.util.Set<String> SERVER_FIELDS = java.util.Set.of("apiVersion", "kind", "metadata");

  private final JsonNode schema;

  public CrdSchemaValidator(JsonNode schema) {
    this.schema = schema;
  }

  public static CrdSchemaValidator fromCrdFile(Path crd) throws IOException {
    try (InputStream in = Files.newInputStream(crd)) {
      return fromCrd(Serialization.unmarshal(in, CustomResourceDefinition.class));
    }
  }

  /** From the CRD as stored in an API server: its first version's schema (our CRDs serve one version). */
  public static CrdSchemaValidator fromCrd(CustomResourceDefinition definition) {
    return new CrdSchemaValidator(Serialization.jsonMapper().valueToTree(
        definition.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()));
  }

  /**
   * For review of a manifest before it is applied: every unknown field ({@code unknown field "spec.replica"}: a typo
   * the server would silently prune is what a user wants to hear about) and every violation.
   */
  public List<String> validate(JsonNode object) {
    Admission admission = admit(object);
    List<String> errors = new ArrayList<>();
    admission.unknownFields().forEach(f -> errors.add("unknown field \"" + f + "\""));
    admission.violations().forEach(v -> errors.add(v.toString()));
    return errors;
  }

  /** What the API server does with {@code object} on create, update or apply; {@code object} is not modified. */
  public Admission admit(JsonNode object) {
    ObjectNode copy = object.deepCopy();
    List<String> unknown = new ArrayList<>();
    List<Violation> violations = new ArrayList<>();
    pruneAndDefault(schema, copy, "", unknown);
    check(schema, copy, "", violations);
    return new Admission(copy, List.copyOf(unknown), List.copyOf(violations));
  }

  private static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Removes fields the schema does not declare (noting their paths) and fills in defaults, depth first. */
  private static void pruneAndDefault(JsonNode s, JsonNode v, String path, List<String> unknown) {
    if (v instanceof ObjectNode obj) {
      JsonNode properties = s.path("properties");
      JsonNode additional = s.get("additionalProperties");
      boolean preserve = s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
      for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String child = child(path, field.getKey());
        if (path.isEmpty() && SERVER_FIELDS.contains(field.getKey())) {
          continue; // the API server's own (TypeMeta, ObjectMeta): validated by it, never pruned by a CRD schema
        }
        if (properties.has(field.getKey())) {
          pruneAndDefault(properties.get(field.getKey()), field.getValue(), child, unknown);
        } else if (additional != null && additional.isObject()) {
          pruneAndDefault(additional, field.getValue(), child, unknown);
        } else if (!preserve && (additional == null || !additional.asBoolean(false))) {
          unknown.add(child);
          it.remove();
        }
      }
      properties.fields().forEachRemaining(p -> {
        if (!obj.has(p.getKey()) && p.getValue().has("default")) {
          JsonNode value = p.getValue().get("default").deepCopy();
          obj.set(p.getKey(), value);
          pruneAndDefault(p.getValue(), value, child(path, p.getKey()), unknown);
        }
      });
    } else if (v instanceof ArrayNode array && s.has("items")) {
      for (int i = 0; i < array.size(); i++) {
        pruneAndDefault(s.get("items"), array.get(i), path + "[" + i + "]", unknown);
      }
    }
  }

  private void check(JsonNode s, JsonNode v, String path, List<Violation> violations) {
    if (v == null || v.isNull()) {
      return;
    }
    String type = s.path("type").asText("");
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!v.isIntegralNumber() && !v.isTextual()) {
        violations.add(new Violation(path, "FieldValueTypeInvalid", "Invalid value: " + render(v) + ": " + path
            + " in body must be of type integer,string: " + render(v)));
        return;
      }
    } else if (!type.isEmpty() && !typeMatches(type, v)) {
      violations.add(new Violation(path, "FieldValueTypeInvalid", "Invalid value: " + render(v) + ": " + path
          + " in body must be of type " + type + ": " + render(v)));
      return;
    }
    if (s.has("enum")) {
      boolean found = false;
      List<String> allowed = new ArrayList<>();
      for (JsonNode a : s.get("enum")) {
        found |= a.equals(v);
        allowed.add(render(a));
      }
      if (!found) {
        violations.add(new Violation(path, "FieldValueNotSupported", "Unsupported value: " + render(v)
            + ": supported values: " + String.join(", ", allowed)));
      }
    }
    if (s.has("pattern") && v.isTextual() && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
      invalid(violations, path, v, "should match '" + s.get("pattern").asText() + "'");
    }
    if (s.has("minLength") && v.isTextual() && v.asText().codePointCount(0, v.asText().length()) < s.get("minLength").asInt()) {
      invalid(violations, path, v, "should be at least " + s.get("minLength").asInt() + " chars long");
    }
    if (s.has("maxLength") && v.isTextual() && v.asText().codePointCount(0, v.asText().length()) > s.get("maxLength").asInt()) {
      violations.add(new Violation(path, "FieldValueTooLong", "Too long: may not be more than " + s.get("maxLength").asInt()
          + " bytes"));
    }
    if (s.has("minimum") && v.isNumber() && v.asDouble() < s.get("minimum").asDouble()) {
      invalid(violations, path, v, "should be greater than or equal to " + number(s.get("minimum")));
    }
    if (s.has("maximum") && v.isNumber() && v.asDouble() > s.get("maximum").asDouble()) {
      invalid(violations, path, v, "should be less than or equal to " + number(s.get("maximum")));
    }
    if (v.isObject()) {
      JsonNode properties = s.path("properties");
      for (JsonNode required : s.path("required")) {
        if (!v.has(required.asText())) {
          violations.add(new Violation(child(path, required.asText()), "FieldValueRequired", "Required value"));
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String childPath = child(path, field.getKey());
        if (path.isEmpty() && SERVER_FIELDS.contains(field.getKey())) {
          continue;
        }
        if (properties.has(field.getKey())) {
          check(properties.get(field.getKey()), field.getValue(), childPath, violations);
        } else if (s.has("additionalProperties") && s.get("additionalProperties").isObject()) {
          check(s.get("additionalProperties"), field.getValue(), childPath, violations);
        }
      }
    }
    if (v.isArray() && s.has("items")) {
      for (int i = 0; i < v.size(); i++) {
        check(s.get("items"), v.get(i), path + "[" + i + "]", violations);
      }
    }
    for (JsonNode rule : s.path("x-kubernetes-validations")) {
      if (!evaluate(rule.get("rule").asText(), v)) {
        String message = rule.path("message").asText("failed rule: " + rule.get("rule").asText());
        violations.add(new Violation(path.isEmpty() ? "<nil>" : path, "FieldValueInvalid", "Invalid value: " + render(v) + ": " + message));
      }
    }
  }

  private static void invalid(List<Violation> violations, String path, JsonNode v, String should) {
    violations.add(new Violation(path, "FieldValueInvalid", "Invalid value: " + render(v) + ": " + path + " in body " + should));
  }

  /** A bound as Go's {@code %v} prints a float64: {@code 0}, not {@code 0.0}. */
  private static String number(JsonNode n) {
    double d = n.asDouble();
    return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString((long) d) : Double.toString(d);
  }

  /** A value as field errors print it: strings quoted, numbers and booleans as they are, compound values by type. */
  static String render(JsonNode v) {
    if (v.isTextual()) {
      return Serialization.asJson(v.asText());
    }
    if (v.isObject()) {
      return "\"object\"";
    }
    if (v.isArray()) {
      return "\"array\"";
    }
    return v.asText();
  }

  static boolean evaluate(String rule, JsonNode self) {
    try {
      CelAbstractSyntaxTree ast = CEL.compile(rule).getAst();
      Object result = RUNTIME.createProgram(ast).eval(Map.of("self", toCel(self)));
      return Boolean.TRUE.equals(result);
    } catch (CelValidationException | CelEvaluationException e) {
      throw new IllegalStateException("CEL rule '" + rule + "' cannot be evaluated: " + e.getMessage(), e);
    }
  }

  static Object toCel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.fields().forEachRemaining(e -> map.put(e.getKey(), toCel(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(n -> list.add(toCel(n)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.asText();
  }

  private static boolean typeMatches(String type, JsonNode v) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      default -> true;
    };
  }
}
