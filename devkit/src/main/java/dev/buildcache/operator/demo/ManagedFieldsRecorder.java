package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code metadata.managedFields} as a real API server keeps it on every object it stores
 * (kubernetes.io/docs/reference/using-api/server-side-apply/#field-management): one entry per field manager,
 * operation ({@code Apply} or {@code Update}) and subresource, each with the fields that manager owns in the
 * {@code FieldsV1} format ({@code f:} for a field, {@code k:} for an item of a list keyed by a merge key, {@code .}
 * for the item itself; a list without a key is atomic: its field is owned whole).
 *
 * <ul>
 *   <li>An apply: the manager's {@code Apply} entry becomes exactly the fields of the applied configuration.</li>
 *   <li>Any other write (create, update, patch): the manager's {@code Update} entry gains the fields the write
 *       changed. A manager without a {@code fieldManager} parameter is named after its User-Agent, up to the first
 *       {@code /}, as the API server does.</li>
 *   <li>Fields a write changed leave every other manager's entry (ownership moves to the writer; a forced apply takes
 *       them); fields a write removed leave every entry; an entry left with no field is dropped.</li>
 *   <li>What a client sends in {@code managedFields} is not taken: the server's record is kept (a read-modify-write
 *       sends the same entries back, so this is what the API server ends up with).</li>
 *   <li>A write that changes nothing but the version keeps the entries as they were, timestamps included.</li>
 * </ul>
 *
 * Simplifications, none of which changes what a client sees in kind or in size: merge keys are guessed from the
 * item ({@code name}, {@code type}, {@code containerPort}, {@code mountPath}, {@code key}) rather than read from the
 * schema, scalar lists are atomic (the API server lists set items as {@code v:}), and an unchanged value set by two
 * appliers is kept by the last only when it changed.
 */
final class ManagedFieldsRecorder {
  /** Who writes and how: what the dispatcher knows of the request when the store is written. */
  record Write(String manager, boolean apply, String subresource, JsonNode applied) {}

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final Set<String> SERVER_METADATA = Set.of("name", "namespace", "uid", "resourceVersion", "generation",
      "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink");
  private static final List<String> MERGE_KEYS = List.of("name", "type", "containerPort", "mountPath", "key");

  private final Clock clock;

  ManagedFieldsRecorder(Clock clock) {
    this.clock = clock;
  }

  /** The manager a request writes as: its {@code fieldManager} parameter, else its User-Agent up to the first '/'. */
  static String managerOf(String fieldManager, String userAgent) {
    if (fieldManager != null && !fieldManager.isEmpty()) {
      return fieldManager;
    }
    if (userAgent == null || userAgent.isEmpty()) {
      return "unknown";
    }
    int slash = userAgent.indexOf('/');
    return slash < 0 ? userAgent : userAgent.substring(0, slash);
  }

  /** {@code stored}, the object about to be stored, with its managedFields after {@code write}; {@code old} may be null. */
  void record(ObjectNode stored, JsonNode old, Write write) {
    ObjectNode metadata = stored.with("metadata");
    ArrayNode before = old != null && old.path("metadata").path("managedFields").isArray()
        ? (ArrayNode) old.path("metadata").path("managedFields").deepCopy() : JSON.arrayNode();
    if (old != null && sameContent(old, stored)) {
      setOrRemove(metadata, before);
      return;
    }
    boolean status = "status".equals(write.subresource());
    ObjectNode changed = old == null ? fields(stored, true, status) : changed(old, stored, status);
    ObjectNode removed = old == null ? JSON.objectNode() : changed(stored, old, status);
    retainOnlyMissing(removed, stored, status);
    String operation = write.apply() ? "Apply" : "Update";
    ObjectNode owned = write.apply() ? fields(write.applied(), true, status) : null;
    ArrayNode after = JSON.arrayNode();
    boolean found = false;
    for (JsonNode entry : before) {
      ObjectNode e = (ObjectNode) entry.deepCopy();
      ObjectNode set = e.path("fieldsV1").isObject() ? (ObjectNode) e.get("fieldsV1") : JSON.objectNode();
      boolean mine = write.manager().equals(e.path("manager").asText()) && operation.equals(e.path("operation").asText())
          && Objects.equals(write.subresource(), e.path("subresource").asText(null));
      if (mine) {
        found = true;
        set = write.apply() ? owned : union(set, changed);
        e.put("time", now());
        e.put("apiVersion", stored.path("apiVersion").asText());
      } else {
        set = subtract(subtract(set, changed), removed);
      }
      if (set != null && set.size() > 0) {
        e.set("fieldsV1", sorted(set));
        after.add(e);
      }
    }
    ObjectNode first = write.apply() ? owned : changed;
    if (!found && first != null && first.size() > 0) {
      ObjectNode e = after.addObject();
      e.put("manager", write.manager());
      e.put("operation", operation);
      e.put("apiVersion", stored.path("apiVersion").asText());
      e.put("time", now());
      e.put("fieldsType", "FieldsV1");
      e.set("fieldsV1", sorted(first));
      if (write.subresource() != null) {
        e.put("subresource", write.subresource());
      }
    }
    setOrRemove(metadata, after);
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static void setOrRemove(ObjectNode metadata, ArrayNode entries) {
    if (entries.isEmpty()) {
      metadata.remove("managedFields");
    } else {
      metadata.set("managedFields", entries);
    }
  }

  /** Equal but for the version and managedFields. */
  private static boolean sameContent(JsonNode a, JsonNode b) {
    ObjectNode x = a.deepCopy();
    ObjectNode y = b.deepCopy();
    for (ObjectNode o : List.of(x, y)) {
      if (o.get("metadata") instanceof ObjectNode m) {
        m.remove("resourceVersion");
        m.remove("managedFields");
      }
    }
    return x.equals(y);
  }

  /** The FieldsV1 set of every field in {@code node}. At the root, what the server sets and the other half (status or not) are left out. */
  static ObjectNode fields(JsonNode node, boolean root, boolean status) {
    ObjectNode out = JSON.objectNode();
    if (!(node instanceof ObjectNode object)) {
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (root && !counts(field.getKey(), status)) {
        continue;
      }
      JsonNode value = field.getValue();
      if (root && field.getKey().equals("metadata")) {
        ObjectNode meta = JSON.objectNode();
        value.fields().forEachRemaining(m -> {
          if (!SERVER_METADATA.contains(m.getKey())) {
            meta.set("f:" + m.getKey(), valueFields(m.getValue()));
          }
        });
        if (meta.size() > 0) {
          out.set("f:metadata", meta);
        }
        continue;
      }
      out.set("f:" + field.getKey(), valueFields(value));
    }
    return out;
  }

  private static boolean counts(String key, boolean status) {
    if (key.equals("apiVersion") || key.equals("kind")) {
      return false;
    }
    // a write to the status subresource owns status fields only; one to the object, everything else
    return status == key.equals("status");
  }

  private static JsonNode valueFields(JsonNode value) {
    if (value instanceof ObjectNode && value.size() > 0) {
      return fields(value, false, false);
    }
    if (value instanceof ArrayNode array && keyed(array)) {
      ObjectNode items = JSON.objectNode();
      for (JsonNode item : array) {
        ObjectNode f = fields(item, false, false);
        ObjectNode withDot = JSON.objectNode();
        withDot.set(".", JSON.objectNode());
        withDot.setAll(f);
        items.set(itemKey(item), withDot);
      }
      return items;
    }
    return JSON.objectNode();
  }

  private static boolean keyed(ArrayNode array) {
    if (array.isEmpty()) {
      return false;
    }
    for (JsonNode item : array) {
      if (!item.isObject() || mergeKey(item) == null) {
        return false;
      }
    }
    return true;
  }

  private static String mergeKey(JsonNode item) {
    return MERGE_KEYS.stream().filter(k -> item.has(k) && item.get(k).isValueNode()).findFirst().orElse(null);
  }

  private static String itemKey(JsonNode item) {
    String key = mergeKey(item);
    ObjectNode k = JSON.objectNode();
    k.set(key, item.get(key));
    return "k:" + k;
  }

  /** The fields of {@code after} that {@code before} lacks or holds with another value. */
  private static ObjectNode changed(JsonNode before, JsonNode after, boolean status) {
    ObjectNode all = fields(after, true, status);
    ObjectNode out = JSON.objectNode();
    diff(before, after, all, out, true, status);
    return out;
  }

  private static void diff(JsonNode before, JsonNode after, ObjectNode afterFields, ObjectNode out, boolean root, boolean status) {
    if (!(after instanceof ObjectNode object)) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String f = "f:" + field.getKey();
      if (!afterFields.has(f)) {
        continue;
      }
      JsonNode was = before == null ? null : before.get(field.getKey());
      if (was != null && was.equals(field.getValue())) {
        continue;
      }
      JsonNode sub = afterFields.get(f);
      if (was instanceof ObjectNode && field.getValue() instanceof ObjectNode && sub.size() > 0) {
        ObjectNode nested = JSON.objectNode();
        diff(was, field.getValue(), (ObjectNode) sub, nested, false, status);
        if (nested.size() > 0) {
          out.set(f, nested);
        }
      } else {
        out.set(f, sub.deepCopy());
      }
    }
  }

  /** Keeps in {@code removed} only what {@code stored} no longer has (a changed value is not a removal). */
  private static void retainOnlyMissing(ObjectNode removed, JsonNode stored, boolean status) {
    ObjectNode present = fields(stored, true, status);
    ObjectNode gone = subtract(removed, present);
    removed.removeAll();
    if (gone != null) {
      removed.setAll(gone);
    }
  }

  /** Keys in order, as the API server serializes a field set. */
  private static ObjectNode sorted(ObjectNode set) {
    ObjectNode out = JSON.objectNode();
    new java.util.TreeMap<String, JsonNode>(toMap(set)).forEach((k, v) -> out.set(k, v instanceof ObjectNode o ? sorted(o) : v));
    return out;
  }

  private static Map<String, JsonNode> toMap(ObjectNode node) {
    Map<String, JsonNode> map = new java.util.LinkedHashMap<>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue()));
    return map;
  }

  static ObjectNode union(ObjectNode a, ObjectNode b) {
    ObjectNode out = a.deepCopy();
    b.fields().forEachRemaining(e -> {
      JsonNode mine = out.get(e.getKey());
      if (mine instanceof ObjectNode m && e.getValue() instanceof ObjectNode o && m.size() > 0 && o.size() > 0) {
        out.set(e.getKey(), union(m, o));
      } else if (mine == null || e.getValue().size() == 0) {
        out.set(e.getKey(), e.getValue().deepCopy());
      }
    });
    return out;
  }

  /** {@code a} without the fields of {@code b}; null when nothing is left of a set that had fields. */
  static ObjectNode subtract(ObjectNode a, ObjectNode b) {
    if (a == null) {
      return null;
    }
    ObjectNode out = JSON.objectNode();
    a.fields().forEachRemaining(e -> {
      JsonNode other = b.get(e.getKey());
      if (other == null) {
        out.set(e.getKey(), e.getValue().deepCopy());
      } else if (other.size() > 0 && e.getValue().size() > 0) {
        ObjectNode rest = subtract((ObjectNode) e.getValue(), (ObjectNode) other);
        if (rest != null) {
          out.set(e.getKey(), rest);
        }
      }
      // other is a whole field: gone with all it held
    });
    return out.size() == 0 && a.size() > 0 ? null : out;
  }
}
