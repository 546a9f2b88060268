package dev.buildcache.operator.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Whether a live object still carries everything the operator set on it: every field of the desired object is in
 * the live one with the same value. What the API server adds (defaults, status, uid, managedFields) is allowed;
 * quantities compare by value ({@code 1000m} is {@code 1}); an empty list or map the operator set may be absent. So a
 * hand edit of a managed field ({@code kubectl scale}, a relabel) is a mismatch and gets re-applied, while a
 * converged object is not rewritten. Pure.
 */
public final class ManagedFields {
  private static final List<String> METADATA = List.of("labels", "annotations", "ownerReferences", "name", "namespace");

  private ManagedFields() {}

  public static boolean present(HasMetadata desired, HasMetadata actual) {
    JsonNode want = Serialization.jsonMapper().valueToTree(desired);
    JsonNode have = Serialization.jsonMapper().valueToTree(actual);
    for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals("status")) {
        continue;
      }
      JsonNode actualValue = have.path(field.getKey());
      if (field.getKey().equals("metadata")) {
        for (String key : METADATA) {
          if (field.getValue().has(key) && !contains(field.getValue().get(key), actualValue.path(key))) {
            return false;
          }
        }
      } else if (!contains(field.getValue(), actualValue)) {
        return false;
      }
    }
    return true;
  }

  static boolean contains(JsonNode desired, JsonNode actual) {
    if (desired == null || desired.isNull()) {
      return true;
    }
    if (desired.isObject()) {
      if (desired.isEmpty()) {
        return actual.isMissingNode() || actual.isNull() || actual.isObject();
      }
      if (!actual.isObject()) {
        return false;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (!contains(field.getValue(), actual.path(field.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (desired.isArray()) {
      if (desired.isEmpty()) {
        return actual.isMissingNode() || actual.isNull() || (actual.isArray() && actual.isEmpty());
      }
      if (!actual.isArray() || actual.size() != desired.size()) {
        return false;
      }
      for (int i = 0; i < desired.size(); i++) {
        if (!contains(desired.get(i), actual.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (desired.equals(actual)) {
      return true;
    }
    return desired.isTextual() && actual.isTextual() && sameQuantity(desired.asText(), actual.asText());
  }

  private static boolean sameQuantity(String a, String b) {
    if (!a.matches("^[0-9.]+[A-Za-z]*$") || !b.matches("^[0-9.]+[A-Za-z]*$")) {
      return false;
    }
    try {
      return Quantity.getAmountInBytes(new Quantity(a)).compareTo(Quantity.getAmountInBytes(new Quantity(b))) == 0;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
