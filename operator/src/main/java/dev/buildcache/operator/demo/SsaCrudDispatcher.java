package dev.buildcache.operator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's CRUD mock server plus what the operator needs from a real API server: server-side apply
 * ({@code application/apply-patch+yaml}: create when absent, otherwise merge with objects merged and lists
 * replaced), and a count of every write request, so tests can assert that a steady-state pass writes nothing.
 */
public class SsaCrudDispatcher extends KubernetesCrudDispatcher {
  private static final String APPLY = "application/apply-patch+yaml";

  /** A write the API server received. */
  public record Write(String method, String path, long nanoTime) {
    public Write(String method, String path) {
      this(method, path, System.nanoTime());
    }
  }

  private final List<Write> writes = new CopyOnWriteArrayList<>();

  /** Any request, with who sent it (User-Agent) and how (Content-Type): what RBAC would be asked to allow. */
  public record Request(String method, String path, String userAgent, String contentType) {}

  private final List<Request> requests = new CopyOnWriteArrayList<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String method = request.getMethod();
    requests.add(new Request(method, request.getPath(), request.getHeader("User-Agent"), request.getHeader("Content-Type")));
    if (request.getPath().endsWith("/selfsubjectrulesreviews")) {
      // JOSDK checks its Lease permissions before electing a leader; this API server grants them.
      return new MockResponse().setResponseCode(201).setBody("{\"apiVersion\":\"authorization.k8s.io/v1\","
          + "\"kind\":\"SelfSubjectRulesReview\",\"metadata\":{},\"spec\":{},\"status\":{\"incomplete\":false,"
          + "\"resourceRules\":[{\"verbs\":[\"get\",\"list\",\"watch\",\"create\",\"update\",\"patch\",\"delete\"],"
          + "\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"]}],\"nonResourceRules\":[]}}");
    }
    if (!"GET".equals(method)) {
      writes.add(new Write(method, request.getPath()));
    }
    return super.dispatch(request);
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    String contentType = request.getHeader("Content-Type");
    if (contentType == null || !contentType.startsWith(APPLY)) {
      return super.handlePatch(request);
    }
    synchronized (this) {
      return apply(request);
    }
  }

  private MockResponse apply(RecordedRequest request) {
    String path = stripQuery(request.getPath());
    String objectPath = path.endsWith("/status") ? path.substring(0, path.length() - "/status".length()) : path;
    JsonNode applied = Serialization.unmarshal(request.getBody().readUtf8(), JsonNode.class);
    MockResponse current = handleGet(objectPath);
    if (current.code() == 404) {
      if (!objectPath.equals(path)) {
        return current;
      }
      String collection = objectPath.substring(0, objectPath.lastIndexOf('/'));
      return handleCreate(new RecordedRequest("HTTP/1.1", HttpMethod.POST, collection,
          Headers.builder().add("Content-Type", "application/json").build(),
          new Buffer().writeUtf8(Serialization.asJson(applied))));
    }
    JsonNode existing = Serialization.unmarshal(current.getBody().readUtf8(), JsonNode.class);
    JsonNode merged = merge(existing.deepCopy(), applied);
    if (!applied.path("metadata").hasNonNull("resourceVersion") && merged.path("metadata") instanceof ObjectNode metadata) {
      // Server-side apply is not optimistic unless the applied object names a version (JOSDK's create-only apply).
      metadata.remove("resourceVersion");
    }
    boolean statusPath = !objectPath.equals(path);
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = merged.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      // As on a real API server, an apply to the main resource never changes status (and one to /status only
      // status): copying back the status read above could also erase a status written meanwhile.
      if (statusPath != field.getKey().equals("status")) {
        continue;
      }
      ops.addObject().put("op", "add").put("path", "/" + field.getKey()).set("value", field.getValue());
    }
    if (ops.isEmpty()) {
      return current;
    }
    return super.handlePatch(new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, path,
        Headers.builder().add("Content-Type", "application/json-patch+json").build(),
        new Buffer().writeUtf8(Serialization.asJson(ops))));
  }

  /** Objects merge key by key; lists and scalars are replaced, as for lists without merge keys. */
  static JsonNode merge(JsonNode target, JsonNode patch) {
    if (!(target instanceof ObjectNode) || !(patch instanceof ObjectNode)) {
      return patch;
    }
    ObjectNode result = (ObjectNode) target;
    patch.fields().forEachRemaining(e -> {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else if (result.has(e.getKey())) {
        result.set(e.getKey(), merge(result.get(e.getKey()), e.getValue()));
      } else {
        result.set(e.getKey(), e.getValue());
      }
    });
    return result;
  }

  private static String stripQuery(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public List<Write> writes() {
    return List.copyOf(writes);
  }

  /** Writes received after the first {@code count}. */
  public List<Write> writesSince(int count) {
    List<Write> all = writes();
    return all.subList(Math.min(count, all.size()), all.size());
  }

  public int writeCount() {
    return writes.size();
  }
}
