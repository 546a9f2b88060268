package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Validates objects against a CRD's structural {@code openAPIV3Schema} the way the API server does for what our
 * CRDs use: defaulting first, then type, required, enum, pattern, minimum/maximum, minLength, items,
 * additionalProperties, int-or-string, preserve-unknown-fields, pruning of unknown fields (reported as errors,
 * since a typo that the server would silently drop is exactly what a user wants to hear about), and the
 * {@code x-kubernetes-validations} CEL rules, evaluated with cel-java.
 */
public final class CrdSchemaValidator {
  private static final CelCompiler CEL = CelCompilerFactory.standardCelCompilerBuilder()
      .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
      .addVar("self", SimpleType.DYN)
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private final JsonNode schema;

  public CrdSchemaValidator(JsonNode schema) {
    this.schema = schema;
  }

  public static CrdSchemaValidator fromCrdFile(Path crd) throws IOException {
    try (InputStream in = Files.newInputStream(crd)) {
      CustomResourceDefinition definition = Serialization.unmarshal(in, CustomResourceDefinition.class);
      JsonNode schema = Serialization.jsonMapper().valueToTree(definition.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema());
      return new CrdSchemaValidator(schema);
    }
  }

  /** Errors for {@code object}, each starting with the JSON path of the offending field. Defaults are applied in place. */
  public List<String> validate(JsonNode object) {
    List<String> errors = new ArrayList<>();
    ObjectNode copy = object.deepCopy();
    // apiVersion, kind and metadata are validated by the API server itself, not by the CRD schema.
    copy.remove(List.of("apiVersion", "kind", "metadata"));
    validate(schema, copy, "", errors);
    return errors;
  }

  private void validate(JsonNode s, JsonNode v, String path, List<String> errors) {
    if (v == null || v.isNull()) {
      return;
    }
    String type = s.path("type").asText("");
    boolean intOrString = s.path("x-kubernetes-int-or-string").asBoolean(false);
    if (intOrString) {
      if (!v.isIntegralNumber() && !v.isTextual()) {
        errors.add(path + ": must be an integer or a string");
        return;
      }
    } else if (!type.isEmpty() && !typeMatches(type, v)) {
      errors.add(path + ": must be of type " + type + ", got " + v.getNodeType().name().toLowerCase());
      return;
    }
    if (s.has("enum")) {
      boolean found = false;
      for (JsonNode allowed : s.get("enum")) {
        found |= allowed.equals(v);
      }
      if (!found) {
        errors.add(path + ": unsupported value " + v + ", allowed: " + s.get("enum"));
      }
    }
    if (s.has("pattern") && v.isTextual() && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
      errors.add(path + ": '" + v.asText() + "' does not match " + s.get("pattern").asText());
    }
    if (s.has("minLength") && v.isTextual() && v.asText().length() < s.get("minLength").asInt()) {
      errors.add(path + ": must be at least " + s.get("minLength").asInt() + " characters");
    }
    if (s.has("minimum") && v.isNumber() && v.asDouble() < s.get("minimum").asDouble()) {
      errors.add(path + ": must be greater than or equal to " + s.get("minimum").asText());
    }
    if (s.has("maximum") && v.isNumber() && v.asDouble() > s.get("maximum").asDouble()) {
      errors.add(path + ": must be less than or equal to " + s.get("maximum").asText());
    }
    if (v.isObject()) {
      ObjectNode obj = (ObjectNode) v;
      JsonNode properties = s.path("properties");
      properties.fields().forEachRemaining(p -> {
        if (!obj.has(p.getKey()) && p.getValue().has("default")) {
          obj.set(p.getKey(), p.getValue().get("default").deepCopy());
        }
      });
      for (JsonNode required : s.path("required")) {
        if (!obj.has(required.asText())) {
          errors.add(path + "." + required.asText() + ": Required value");
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String childPath = path + "." + field.getKey();
        if (properties.has(field.getKey())) {
          validate(properties.get(field.getKey()), field.getValue(), childPath, errors);
        } else if (s.has("additionalProperties") && s.get("additionalProperties").isObject()) {
          validate(s.get("additionalProperties"), field.getValue(), childPath, errors);
        } else if (!s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false) && !s.has("additionalProperties")) {
          errors.add(childPath + ": unknown field");
        }
      }
    }
    if (v.isArray() && s.has("items")) {
      for (int i = 0; i < v.size(); i++) {
        validate(s.get("items"), v.get(i), path + "[" + i + "]", errors);
      }
    }
    for (JsonNode rule : s.path("x-kubernetes-validations")) {
      if (!evaluate(rule.get("rule").asText(), v)) {
        errors.add((path.isEmpty() ? "<root>" : path) + ": " + rule.path("message").asText(rule.get("rule").asText()));
      }
    }
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
