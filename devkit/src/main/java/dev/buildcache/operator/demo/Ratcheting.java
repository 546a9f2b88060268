package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * Validation ratcheting (KEP-4008, feature {@code CRDValidationRatcheting}, beta and on by default from 1.30): on an
 * update, a schema violation is not an error when the part of the object it is about is unchanged from the stored
 * object. A "Required" violation is about the object that lacks the field. Elements of lists are correlated only
 * through their whole list here (the server also correlates {@code x-kubernetes-list-type: map} items by key), so
 * this errs on the side of refusing, never of letting a changed invalid value through.
 */
final class Ratcheting {
  private Ratcheting() {}

  /** Whether {@code violation}, found in {@code now}, is about a part that {@code old} holds unchanged. */
  static boolean unchanged(CrdSchemaValidator.Violation violation, JsonNode old, JsonNode now) {
    String field = violation.field();
    if ("<nil>".equals(field)) {
      return false; // a rule on the whole object: metadata changes on every write, never ratcheted here
    }
    if ("FieldValueRequired".equals(violation.reason())) {
      int dot = field.lastIndexOf('.');
      if (dot < 0) {
        return false;
      }
      field = field.substring(0, dot);
    }
    int bracket = field.indexOf('[');
    if (bracket >= 0) {
      field = field.substring(0, bracket);
    }
    JsonNode current = at(now, field);
    return !current.isMissingNode() && current.equals(at(old, field));
  }

  /** The node at a dotted field path ({@code spec.retention.maxAge}), or a missing node. */
  static JsonNode at(JsonNode root, String field) {
    JsonNode node = root;
    for (String key : field.split("\\.")) {
      if (node == null || !node.isObject()) {
        return MissingNode.getInstance();
      }
      node = node.get(key);
    }
    return node == null ? MissingNode.getInstance() : node;
  }
}
