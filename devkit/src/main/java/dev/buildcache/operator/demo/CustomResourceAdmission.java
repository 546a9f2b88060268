package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the API server does with a custom resource before it stores it, from the CRD it stores: decode (unknown
 * fields are refused under {@code fieldValidation=Strict}, else pruned with a {@code Warning} header: the default
 * since 1.27, "Warn"), default, validate against the structural schema and the CEL rules (422 Invalid with one
 * cause per field). The shapes are the API server's: {@code apiextensions-apiserver}'s strict decoding error, and
 * {@code StatusError} for {@code field.ErrorList} (kubernetes.io/docs/reference/using-api/api-concepts, "Field
 * validation"). A path that is no custom resource of a stored CRD is left alone.
 */
final class CustomResourceAdmission {
  /** {@code /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME[/status]]}. */
  private static final Pattern PATH = Pattern.compile(
      "^/apis/([^/]+\\.[^/]+)/([^/]+)/(?:namespaces/[^/]+/)?([^/]+)(?:/([^/]+)(/status)?)?$");

  /** Reads a stored object by path: the CRD, as the API server reads it from its own store. */
  private final Function<String, Optional<JsonNode>> store;
  private final Map<String, Cached> validators = new ConcurrentHashMap<>();

  private record Cached(CrdSchemaValidator validator, String kind) {}

  /** The outcome: either the object to store (and the warnings to send with it), or the refusal to answer with. */
  record Decision(JsonNode object, List<String> warnings, MockResponse refusal) {
    boolean refused() {
      return refusal != null;
    }

    /** Adds the warnings to a successful answer, as {@code Warning: 299 - "..."} headers. */
    MockResponse warn(MockResponse response) {
      for (String warning : warnings) {
        response.addHeader("Warning", "299 - " + Serialization.asJson(warning));
      }
      return response;
    }
  }

  CustomResourceAdmission(Function<String, Optional<JsonNode>> store) {
    this.store = store;
  }

  /** Whether the path names a custom resource of a stored CRD. */
  boolean governs(String path) {
    return validator(path) != null;
  }

  /** Admits a new object (create): nothing to ratchet against. */
  Decision admit(String path, String query, JsonNode object) {
    return admit(path, query, object, null, false);
  }

  /**
   * Admits {@code object}, about to be stored at {@code path}; null when no stored CRD governs the path.
   * {@code query} is the request's query string (for {@code fieldValidation}). On an update, {@code old} is the
   * stored object: a write to {@code /status} is validated as the whole object it makes, the stored one with the
   * new status (the status strategy keeps spec and metadata as stored, and validates the whole object:
   * apiextensions-apiserver's {@code customResourceValidator.ValidateStatusUpdate}); with {@code ratcheting} (the
   * {@code CRDValidationRatcheting} feature, on by default from 1.30) a violation in a part of the object the update
   * did not change is let through, so an object stored under an older, looser CRD can still have its status written
   * and its other fields edited.
   */
  Decision admit(String path, String query, JsonNode object, JsonNode old, boolean ratcheting) {
    Cached cached = validator(path);
    if (cached == null) {
      return null;
    }
    String group = PATH.matcher(path).results().findFirst().map(m -> m.group(1)).orElseThrow();
    String version = PATH.matcher(path).results().findFirst().map(m -> m.group(2)).orElseThrow();
    if (old != null && path.endsWith("/status")) {
      object = statusOnto(old, object);
    }
    CrdSchemaValidator.Admission admitted = cached.validator().admit(object);
    CrdSchemaValidator.Admission admission = old == null || !ratcheting ? admitted
        : new CrdSchemaValidator.Admission(admitted.object(), admitted.unknownFields(), admitted.violations().stream()
            .filter(v -> !Ratcheting.unchanged(v, old, admitted.object())).toList());
    String validation = fieldValidation(query);
    if (!admission.unknownFields().isEmpty() && validation.equals("Strict")) {
      String unknown = String.join(", ", admission.unknownFields().stream().map(f -> "unknown field \"" + f + "\"").toList());
      return new Decision(null, List.of(), status(400, "BadRequest", cached.kind() + " in version \"" + version
          + "\" cannot be handled as a " + cached.kind() + ": strict decoding error: " + unknown, null));
    }
    if (!admission.violations().isEmpty()) {
      String name = object.path("metadata").path("name").asText();
      List<CrdSchemaValidator.Violation> violations = admission.violations();
      String errors = violations.size() == 1 ? violations.get(0).toString()
          : "[" + String.join(", ", violations.stream().map(Object::toString).toList()) + "]";
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("name", name);
      details.put("group", group);
      details.put("kind", cached.kind());
      details.put("causes", violations.stream().map(v -> Map.of("reason", v.reason(), "message", v.message(), "field", v.field())).toList());
      return new Decision(null, List.of(), status(422, "Invalid", cached.kind() + "." + group + " \"" + name + "\" is invalid: " + errors,
          details));
    }
    List<String> warnings = validation.equals("Ignore") ? List.of()
        : admission.unknownFields().stream().map(f -> "unknown field \"" + f + "\"").toList();
    return new Decision(admission.object(), warnings, null);
  }

  /**
   * What a write to {@code /status} makes of the stored object: its status replaced (or removed), everything else as
   * stored, except the resourceVersion the writer named, so a stale write still meets its 409.
   */
  static JsonNode statusOnto(JsonNode stored, JsonNode written) {
    ObjectNode result = stored.deepCopy();
    if (written.has("status")) {
      result.set("status", written.get("status").deepCopy());
    } else {
      result.remove("status");
    }
    String writtenVersion = written.path("metadata").path("resourceVersion").asText(null);
    if (result.path("metadata") instanceof ObjectNode metadata) {
      if (writtenVersion == null) {
        metadata.remove("resourceVersion");
      } else {
        metadata.put("resourceVersion", writtenVersion);
      }
    }
    return result;
  }

  /** {@code Strict}, {@code Warn} (the default when the request names none) or {@code Ignore}. */
  static String fieldValidation(String query) {
    if (query != null) {
      Matcher m = Pattern.compile("(?:^|&)fieldValidation=([A-Za-z]+)").matcher(query);
      if (m.find()) {
        return m.group(1);
      }
    }
    return "Warn";
  }

  /** No CRD governs the path: remembered too, so writes of built-in kinds do not read the store each time. */
  private static final Cached NONE = new Cached(null, "");

  /** Forget what was read of the CRDs: the dispatcher calls it around every write of a CRD. */
  void crdsChanged() {
    validators.clear();
  }

  private Cached validator(String path) {
    Matcher m = PATH.matcher(path);
    if (!m.matches()) {
      return null;
    }
    String crdName = m.group(3) + "." + m.group(1);
    Cached cached = validators.computeIfAbsent(crdName, name ->
        store.apply("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name).map(stored -> {
          CustomResourceDefinition crd = Serialization.jsonMapper().convertValue(stored, CustomResourceDefinition.class);
          return new Cached(CrdSchemaValidator.fromCrd(crd), crd.getSpec().getNames().getKind());
        }).orElse(NONE));
    return cached == NONE ? null : cached;
  }

  static MockResponse status(int code, String reason, String message, Map<String, Object> details) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.put("metadata", Map.of());
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    if (details != null) {
      status.put("details", details);
    }
    status.put("code", code);
    return new MockResponse().setResponseCode(code).setBody(Serialization.asJson(status));
  }

  /** RFC 7386 JSON merge patch: objects merge, {@code null} removes, anything else replaces. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target instanceof ObjectNode o ? o.deepCopy() : Serialization.jsonMapper().createObjectNode();
    patch.fields().forEachRemaining(e -> {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.path(e.getKey()), e.getValue()));
      }
    });
    return result;
  }
}
