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
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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

  /**
   * Any request, with who sent it (User-Agent, and the user its bearer token names: null for the admin client) and
   * how (Content-Type): what RBAC was asked to allow.
   */
  public record Request(String method, String path, String userAgent, String contentType, String user, long nanoTime) {
    public Request(String method, String path, String userAgent, String contentType, String user) {
      this(method, path, userAgent, contentType, user, System.nanoTime());
    }
  }

  private final List<Request> requests = new CopyOnWriteArrayList<>();

  public SsaCrudDispatcher() {
    indexStore();
  }
  private final Map<String, RbacAuthorizer.User> tokens = new ConcurrentHashMap<>();
  /**
   * Custom resources are decoded, defaulted and validated against the CRDs stored here, as the API server does (a CRD
   * replaced by an older, looser one admits by that one: {@link InProcessKubernetes#underOlderCrd}).
   */
  private final CustomResourceAdmission admission = new CustomResourceAdmission(this::stored);
  /** {@code CRDValidationRatcheting}: beta and on by default from 1.30, so on for the versions this API plays from there. */
  private boolean ratcheting() {
    return minorVersion >= 30;
  }
  private volatile RbacAuthorizer rbac;
  private volatile boolean ownerReferencesPermissionEnforcement;

  /**
   * A bearer token that authenticates as the ServiceAccount: its requests are authorized by the RBAC objects stored
   * in this API. Requests without a known token are the cluster admin's (the tests' own client), as with a kubeconfig
   * of {@code system:masters}.
   */
  public String serviceAccountToken(String namespace, String name) {
    String token = "sa." + namespace + "." + name;
    tokens.put(token, RbacAuthorizer.User.serviceAccount(namespace, name));
    return token;
  }

  /**
   * The admission plugin OwnerReferencesPermissionEnforcement (on by default on OpenShift): setting
   * {@code blockOwnerDeletion} on an owner reference needs {@code update} on the owner's {@code finalizers}.
   */
  public void enforceOwnerReferencePermissions() {
    ownerReferencesPermissionEnforcement = true;
  }

  /** Who requests without a token are: the tests' own client, as with a kubeconfig of system:masters. */
  private static final RbacAuthorizer.User ADMIN = new RbacAuthorizer.User("kubernetes-admin", List.of("system:masters", "system:authenticated"));

  /** A failure armed for the next {@code left} requests of {@code methods} to one path. */
  private record Fault(java.util.Set<String> methods, java.util.concurrent.atomic.AtomicInteger left,
      java.util.function.Function<RbacAuthorizer.User, MockResponse> answer) {}

  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  /**
   * Server-side apply's field ownership, per object, subresource and field manager: the leaf paths the manager's last
   * apply set. "If a field is removed from the configuration [a manager applies] and no other manager owns it, the field
   * is removed" (kubernetes.io/docs/reference/using-api/server-side-apply, Field management); lists are atomic here,
   * as for lists without merge keys.
   */
  private final Map<String, Map<String, java.util.Set<String>>> appliedFields = new ConcurrentHashMap<>();

  /**
   * The next {@code count} writes (PUT or PATCH) to exactly {@code path} lose a race to another writer: 409 Conflict,
   * the object unchanged, as the real server answers a write whose resourceVersion went stale in the meantime.
   */
  public void conflictOnNextWrites(String path, int count) {
    String[] segments = path.split("/");
    String name = path.endsWith("/status") ? segments[segments.length - 2] : segments[segments.length - 1];
    faults.put(path, new Fault(java.util.Set.of("PUT", "PATCH"), new java.util.concurrent.atomic.AtomicInteger(count),
        user -> conflict(path, name)));
  }

  /**
   * The next {@code count} reads (GET) of exactly {@code path} are refused as by an RBAC rule the caller lacks: the
   * real 403 body, naming the caller (clients do not retry a 403).
   */
  public void forbidNextReads(String path, int count) {
    RbacAuthorizer.Attributes a = attributes("GET", path);
    faults.put(path, new Fault(java.util.Set.of("GET"), new java.util.concurrent.atomic.AtomicInteger(count),
        user -> forbidden(RbacAuthorizer.forbidden(user, a), a)));
  }

  /** How many of the failures armed for {@code path} are still to come. */
  public int faultsPending(String path) {
    Fault fault = faults.get(path);
    return fault == null ? 0 : fault.left().get();
  }

  /** The armed failure this request meets, if any (each request uses one up). */
  private MockResponse fault(String method, String path, RbacAuthorizer.User user) {
    Fault fault = faults.get(path);
    return fault != null && fault.methods().contains(method) && fault.left().getAndUpdate(n -> Math.max(0, n - 1)) > 0
        ? fault.answer().apply(user != null ? user : ADMIN) : null;
  }

  private volatile int minorVersion = 32;

  /** The Kubernetes version this API plays (1.MINOR): what {@code /version} says and which fields apply knows. */
  public void serverVersion(int minor) {
    this.minorVersion = minor;
  }

  /**
   * Fields of built-in kinds and the minor version that added them to the schema. A server-side apply that sets one
   * on an older server fails as the real one does: HTTP 500 "failed to create typed patch object ... field not
   * declared in schema" (kubernetes/kubernetes#122480).
   */
  static final Map<String, Integer> FIELDS_SINCE = Map.of("appArmorProfile", 30);

  private final java.util.concurrent.atomic.LongAdder servedNanos = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder served = new java.util.concurrent.atomic.LongAdder();

  /** Requests answered so far, and the time spent answering them: this server's own cost, for the benches. */
  public record Cost(long requests, long nanos) {
    public double microsPerRequest() {
      return requests == 0 ? 0 : nanos / 1e3 / requests;
    }
  }

  public Cost cost() {
    return new Cost(served.sum(), servedNanos.sum());
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    long start = System.nanoTime();
    try {
      if ("GET".equals(request.getMethod())) {
        return answer(request);
      }
      // a write: the store records who wrote which fields (processEvent), and answers with what it stored
      writing.set(write(request));
      MockResponse response = answer(request);
      String state = storedState.get();
      if (state != null && response.code() / 100 == 2) {
        response.setBody(state);
      }
      return response;
    } finally {
      writing.remove();
      storedState.remove();
      servedNanos.add(System.nanoTime() - start);
      served.increment();
    }
  }

  private final ManagedFieldsRecorder managedFields = new ManagedFieldsRecorder(java.time.Clock.systemUTC());
  private final ThreadLocal<ManagedFieldsRecorder.Write> writing = new ThreadLocal<>();
  private final ThreadLocal<String> storedState = new ThreadLocal<>();

  private static ManagedFieldsRecorder.Write write(RecordedRequest request) {
    String path = stripQuery(request.getPath());
    String contentType = request.getHeader("Content-Type");
    boolean apply = "PATCH".equals(request.getMethod()) && contentType != null && contentType.startsWith(APPLY);
    JsonNode applied = null;
    if (apply) {
      try {
        applied = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
      } catch (RuntimeException e) {
        applied = null; // the apply itself answers for its body
      }
    }
    String query = query(request.getPath());
    String fieldManager = query == null || !query.contains("fieldManager=") ? null : managerOf(request.getPath());
    return new ManagedFieldsRecorder.Write(ManagedFieldsRecorder.managerOf(fieldManager, request.getHeader("User-Agent")),
        apply && applied != null, path.endsWith("/status") ? "status" : null, applied);
  }

  /** Every stored object carries managedFields, as on a real API server ({@link ManagedFieldsRecorder}). */
  @Override
  public void processEvent(String path, io.fabric8.mockwebserver.crud.AttributeSet pathAttributes,
      io.fabric8.mockwebserver.crud.AttributeSet oldAttributes, io.fabric8.kubernetes.api.model.GenericKubernetesResource resource,
      String newState) {
    ManagedFieldsRecorder.Write write = writing.get();
    if (newState != null && write != null) {
      JsonNode parsed = Serialization.unmarshal(newState, JsonNode.class);
      if (parsed instanceof ObjectNode object && object.get("metadata") instanceof ObjectNode) {
        Map.Entry<io.fabric8.mockwebserver.crud.AttributeSet, String> old = oldAttributes == null ? null : findResource(oldAttributes);
        managedFields.record(object, old == null ? null : Serialization.unmarshal(old.getValue(), JsonNode.class), write);
        newState = Serialization.asJson(object);
        storedState.set(newState);
      }
    }
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
  }

  private MockResponse answer(RecordedRequest request) {
    String method = request.getMethod();
    if ("GET".equals(method) && "/version".equals(stripQuery(request.getPath()))) {
      return new MockResponse().setResponseCode(200).setBody("{\"major\":\"1\",\"minor\":\"" + minorVersion + "\",\"gitVersion\":\"v1."
          + minorVersion + ".0\",\"platform\":\"linux/amd64\"}");
    }
    RbacAuthorizer.User user = user(request);
    requests.add(new Request(method, request.getPath(), request.getHeader("User-Agent"), request.getHeader("Content-Type"),
        user == null ? null : user.name()));
    String path = stripQuery(request.getPath());
    if (path.endsWith("/selfsubjectrulesreviews")) {
      return rulesReview(request, user);
    }
    if (path.endsWith("/selfsubjectaccessreviews")) {
      return accessReview(request, user);
    }
    if (user != null) {
      MockResponse refused = authorize(request, user);
      if (refused != null) {
        return refused;
      }
    }
    MockResponse fault = fault(method, path, user);
    if (fault != null) {
      return fault;
    }
    if (!"GET".equals(method)) {
      writes.add(new Write(method, request.getPath()));
      if (path.startsWith("/apis/rbac.authorization.k8s.io/")) {
        rbac = null; // read again at the next authorization
      }
      if (path.startsWith(CRDS)) {
        admission.crdsChanged();
        try {
          return super.dispatch(request);
        } finally {
          admission.crdsChanged(); // and after: a write admitted meanwhile may have read the old one
        }
      }
    }
    return super.dispatch(request);
  }

  private static final String CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

  private RbacAuthorizer.User user(RecordedRequest request) {
    String authorization = request.getHeader("Authorization");
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return null;
    }
    return tokens.get(authorization.substring("Bearer ".length()).trim());
  }

  /** The request's RBAC attributes, or null for a non-resource URL ({@code /version}, discovery). */
  static RbacAuthorizer.Attributes attributes(String method, String pathAndQuery) {
    String path = stripQuery(pathAndQuery);
    String query = pathAndQuery.contains("?") ? pathAndQuery.substring(pathAndQuery.indexOf('?') + 1) : "";
    String[] p = path.substring(1).split("/");
    int i;
    String group;
    if (p.length >= 3 && "api".equals(p[0])) {
      group = "";
      i = 2;
    } else if (p.length >= 4 && "apis".equals(p[0])) {
      group = p[1];
      i = 3;
    } else {
      return null;
    }
    String namespace = null;
    if ("namespaces".equals(p[i]) && i + 2 < p.length) {
      namespace = p[i + 1];
      i += 2;
    }
    String resource = p[i];
    String name = i + 1 < p.length ? p[i + 1] : null;
    String subresource = i + 2 < p.length ? p[i + 2] : null;
    String verb = switch (method) {
      case "GET" -> name == null ? (query.contains("watch=true") || query.contains("watch=1") ? "watch" : "list") : "get";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name == null ? "deletecollection" : "delete";
      default -> method.toLowerCase(java.util.Locale.ROOT);
    };
    return new RbacAuthorizer.Attributes(verb, group, resource, subresource, namespace, name);
  }

  /** Null when allowed; otherwise the API server's 403. */
  private MockResponse authorize(RecordedRequest request, RbacAuthorizer.User user) {
    RbacAuthorizer.Attributes a = attributes(request.getMethod(), request.getPath());
    if (a == null) {
      return null; // non-resource URLs: system:discovery and system:public-info-viewer allow every authenticated user
    }
    RbacAuthorizer authorizer = authorizer();
    if (!authorizer.allowed(user, a)) {
      return forbidden(RbacAuthorizer.forbidden(user, a), a);
    }
    String contentType = request.getHeader("Content-Type");
    boolean apply = "PATCH".equals(request.getMethod()) && contentType != null && contentType.startsWith(APPLY);
    if (apply && a.subresource() == null && handleGet(stripQuery(request.getPath())).code() == 404) {
      // server-side apply of a missing object creates it, which RBAC checks as create
      RbacAuthorizer.Attributes create = new RbacAuthorizer.Attributes("create", a.group(), a.resource(), null, a.namespace(), a.name());
      if (!authorizer.allowed(user, create)) {
        return forbidden(RbacAuthorizer.forbidden(user, create), create);
      }
    }
    if (ownerReferencesPermissionEnforcement && List.of("create", "update", "patch").contains(a.verb()) && a.subresource() == null) {
      return ownerReferences(request, user, a, authorizer);
    }
    return null;
  }

  /**
   * OwnerReferencesPermissionEnforcement: an owner reference with {@code blockOwnerDeletion: true} that is new (or
   * newly blocking) needs {@code update} on {@code <owner resource>/finalizers} of that owner.
   */
  private MockResponse ownerReferences(RecordedRequest request, RbacAuthorizer.User user, RbacAuthorizer.Attributes a,
      RbacAuthorizer authorizer) {
    JsonNode body;
    try {
      body = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
    } catch (RuntimeException e) {
      return null; // a JSON patch of some other shape: not ours to judge here
    }
    if (body == null) {
      return null;
    }
    JsonNode existing = null;
    if (a.name() != null) {
      MockResponse current = handleGet(stripQuery(request.getPath()));
      if (current.code() == 200) {
        existing = Serialization.unmarshal(utf8(current.getBody()), JsonNode.class);
      }
    }
    for (JsonNode ref : body.path("metadata").path("ownerReferences")) {
      if (!ref.path("blockOwnerDeletion").asBoolean(false) || alreadyBlocking(existing, ref)) {
        continue;
      }
      String apiVersion = ref.path("apiVersion").asText();
      String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
      String plural = ref.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + "s";
      RbacAuthorizer.Attributes finalizers = new RbacAuthorizer.Attributes("update", group, plural, "finalizers", a.namespace(),
          ref.path("name").asText());
      if (!authorizer.allowed(user, finalizers)) {
        String target = a.resource() + (a.group().isEmpty() ? "" : "." + a.group()) + " \"" + body.path("metadata").path("name").asText() + "\"";
        return forbidden(target + " is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you "
            + "can't set finalizers on: " + RbacAuthorizer.forbidden(user, finalizers).replaceFirst("^.* is forbidden: ", ""), a);
      }
    }
    return null;
  }

  private static boolean alreadyBlocking(JsonNode existing, JsonNode ref) {
    if (existing == null) {
      return false;
    }
    for (JsonNode r : existing.path("metadata").path("ownerReferences")) {
      if (r.path("uid").asText().equals(ref.path("uid").asText()) && r.path("blockOwnerDeletion").asBoolean(false)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A write whose resourceVersion precondition failed: the API server's 409 (OptimisticLockErrorMsg in
   * k8s.io/apiserver/pkg/registry/generic/registry/store.go), for apply as for update.
   */
  static MockResponse conflict(String path, String name) {
    RbacAuthorizer.Attributes a = attributes("PATCH", path);
    String resource = a.resource() + (a.group().isEmpty() ? "" : "." + a.group());
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status").put("apiVersion", "v1").putObject("metadata");
    status.put("status", "Failure").put("message", "Operation cannot be fulfilled on " + resource + " \"" + name
        + "\": the object has been modified; please apply your changes to the latest version and try again");
    status.put("reason", "Conflict");
    status.putObject("details").put("name", name).put("group", a.group()).put("kind", a.resource());
    status.put("code", 409);
    return new MockResponse().setResponseCode(409).setBody(Serialization.asJson(status));
  }

  private static MockResponse forbidden(String message, RbacAuthorizer.Attributes a) {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status").put("apiVersion", "v1").putObject("metadata");
    status.put("status", "Failure").put("message", message).put("reason", "Forbidden");
    ObjectNode details = status.putObject("details");
    if (a.name() != null) {
      details.put("name", a.name());
    }
    details.put("group", a.group()).put("kind", a.resource());
    status.put("code", 403);
    return new MockResponse().setResponseCode(403).setBody(Serialization.asJson(status));
  }

  /** The RBAC objects stored in this API, read again after any RBAC write. */
  private RbacAuthorizer authorizer() {
    RbacAuthorizer current = rbac;
    if (current == null) {
      List<JsonNode> objects = new java.util.ArrayList<>();
      for (String kind : List.of("clusterroles", "roles", "clusterrolebindings", "rolebindings")) {
        MockResponse list = handleGet("/apis/rbac.authorization.k8s.io/v1/" + kind);
        if (list.code() == 200) {
          JsonNode items = Serialization.unmarshal(utf8(list.getBody()), JsonNode.class).path("items");
          String singular = switch (kind) {
            case "clusterroles" -> "ClusterRole";
            case "roles" -> "Role";
            case "clusterrolebindings" -> "ClusterRoleBinding";
            default -> "RoleBinding";
          };
          items.forEach(item -> objects.add(((ObjectNode) item.deepCopy()).put("kind", singular)));
        }
      }
      current = new RbacAuthorizer(objects);
      rbac = current;
    }
    return current;
  }

  /** SelfSubjectRulesReview: the rules of the caller in the namespace it asks about, from the same RBAC. */
  private MockResponse rulesReview(RecordedRequest request, RbacAuthorizer.User user) {
    JsonNode review = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
    String namespace = review.path("spec").path("namespace").asText(null);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("apiVersion", "authorization.k8s.io/v1").put("kind", "SelfSubjectRulesReview").putObject("metadata");
    out.set("spec", review.path("spec"));
    ObjectNode status = out.putObject("status");
    status.put("incomplete", false);
    ArrayNode rules = status.putArray("resourceRules");
    List<RbacAuthorizer.Rule> granted = user == null
        ? List.of(new RbacAuthorizer.Rule(List.of("*"), List.of("*"), List.of("*"), List.of()))
        : authorizer().rulesFor(user, namespace);
    for (RbacAuthorizer.Rule rule : granted) {
      ObjectNode r = rules.addObject();
      rule.verbs().forEach(r.putArray("verbs")::add);
      rule.apiGroups().forEach(r.putArray("apiGroups")::add);
      rule.resources().forEach(r.putArray("resources")::add);
      if (!rule.resourceNames().isEmpty()) {
        rule.resourceNames().forEach(r.putArray("resourceNames")::add);
      }
    }
    status.putArray("nonResourceRules");
    return new MockResponse().setResponseCode(201).setBody(Serialization.asJson(out));
  }

  /** SelfSubjectAccessReview: whether the caller may do what {@code spec.resourceAttributes} says. */
  private MockResponse accessReview(RecordedRequest request, RbacAuthorizer.User user) {
    JsonNode review = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
    JsonNode ra = review.path("spec").path("resourceAttributes");
    RbacAuthorizer.Attributes a = new RbacAuthorizer.Attributes(ra.path("verb").asText(), ra.path("group").asText(""),
        ra.path("resource").asText(), ra.hasNonNull("subresource") && !ra.path("subresource").asText().isEmpty() ? ra.path("subresource").asText() : null,
        ra.hasNonNull("namespace") && !ra.path("namespace").asText().isEmpty() ? ra.path("namespace").asText() : null,
        ra.hasNonNull("name") && !ra.path("name").asText().isEmpty() ? ra.path("name").asText() : null);
    boolean allowed = user == null || authorizer().allowed(user, a);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("apiVersion", "authorization.k8s.io/v1").put("kind", "SelfSubjectAccessReview").putObject("metadata");
    out.set("spec", review.path("spec"));
    out.putObject("status").put("allowed", allowed);
    return new MockResponse().setResponseCode(201).setBody(Serialization.asJson(out));
  }

  /** fabric8 scans its whole store for every request; this one is indexed (see {@link IndexedObjectMap}). */
  private void indexStore() {
    try {
      java.lang.reflect.Field field = io.fabric8.mockwebserver.crud.CrudDispatcher.class.getDeclaredField("map");
      field.setAccessible(true);
      field.set(this, new IndexedObjectMap());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("fabric8's CrudDispatcher changed: no field 'map' to index", e);
    }
  }

  /** The resource (and object) a path names, which is all a request for it can match. */
  static IndexedObjectMap.Scope scope(String path, String bodyName) {
    RbacAuthorizer.Attributes a = attributes("GET", stripQuery(path));
    if (a == null) {
      return null;
    }
    String name = a.name() != null ? a.name() : bodyName;
    return new IndexedObjectMap.Scope(a.resource(), a.namespace(), name);
  }

  private static String bodyName(RecordedRequest request) {
    try {
      JsonNode body = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
      return body == null ? null : body.path("metadata").path("name").asText(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public MockResponse handleGet(String path) {
    return IndexedObjectMap.scoped(scope(path, null), () -> super.handleGet(path));
  }

  @Override
  public MockResponse handleWatch(String path) {
    return IndexedObjectMap.scoped(scope(path, null), () -> super.handleWatch(path));
  }

  @Override
  public MockResponse handleDelete(String path) {
    String object = stripQuery(path);
    appliedFields.keySet().removeIf(k -> k.equals(object) || k.equals(object + "/status"));
    return IndexedObjectMap.scoped(scope(path, null), () -> super.handleDelete(path));
  }

  @Override
  public MockResponse handlePatch(RecordedRequest request) {
    String contentType = request.getHeader("Content-Type");
    if (contentType == null || !contentType.startsWith(APPLY)) {
      synchronized (this) {
        return patch(request, contentType == null ? "" : contentType);
      }
    }
    synchronized (this) {
      return apply(request);
    }
  }

  /**
   * A JSON patch or JSON merge patch. On a custom resource the result is admitted first (a refused result stores
   * nothing), and strategic merge patch is refused, as the API server refuses it for custom resources (415).
   */
  private MockResponse patch(RecordedRequest request, String contentType) {
    String path = stripQuery(request.getPath());
    if (!admission.governs(objectPath(path))) {
      return IndexedObjectMap.scoped(scope(request.getPath(), null), () -> super.handlePatch(request));
    }
    if (contentType.startsWith("application/strategic-merge-patch+json")) {
      return CustomResourceAdmission.status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
          + "accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", null);
    }
    String objectPath = path.endsWith("/status") ? path.substring(0, path.length() - "/status".length()) : path;
    Optional<JsonNode> current = stored(objectPath);
    if (current.isEmpty()) {
      return IndexedObjectMap.scoped(scope(request.getPath(), null), () -> super.handlePatch(request));
    }
    String body = request.getBody().readUtf8();
    RecordedRequest original = new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(),
        new Buffer().writeUtf8(body));
    JsonNode patched;
    try {
      JsonNode patch = Serialization.unmarshal(body, JsonNode.class);
      patched = contentType.startsWith("application/json-patch+json") ? io.fabric8.zjsonpatch.JsonPatch.apply(patch, current.get())
          : CustomResourceAdmission.mergePatch(current.get(), patch);
    } catch (RuntimeException e) {
      return IndexedObjectMap.scoped(scope(request.getPath(), null), () -> super.handlePatch(original)); // its own error
    }
    CustomResourceAdmission.Decision decision = admission.admit(path, query(request.getPath()), patched, current.get(), ratcheting());
    if (decision.refused()) {
      return decision.refusal();
    }
    if (decision.object().equals(patched)) {
      return decision.warn(IndexedObjectMap.scoped(scope(request.getPath(), null), () -> super.handlePatch(original)));
    }
    // defaults filled in or unknown fields pruned: store the admitted object
    RecordedRequest update = new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path,
        Headers.builder().add("Content-Type", "application/json").build(), new Buffer().writeUtf8(Serialization.asJson(decision.object())));
    return decision.warn(IndexedObjectMap.scoped(scope(path, null), () -> super.handleUpdate(update)));
  }

  private MockResponse apply(RecordedRequest request) {
    String path = stripQuery(request.getPath());
    String objectPath = path.endsWith("/status") ? path.substring(0, path.length() - "/status".length()) : path;
    JsonNode applied = Serialization.unmarshal(request.getBody().readUtf8(), JsonNode.class);
    String undeclared = undeclaredField(applied, "", minorVersion);
    if (undeclared != null) {
      String apiVersion = applied.path("apiVersion").asText();
      String gvk = (apiVersion.contains("/") ? apiVersion : "/" + apiVersion) + ", Kind=" + applied.path("kind").asText();
      String message = "failed to create typed patch object (" + applied.path("metadata").path("namespace").asText() + "/"
          + applied.path("metadata").path("name").asText() + "; " + gvk + "): " + undeclared + ": field not declared in schema";
      return new MockResponse().setResponseCode(500).setBody(Serialization.asJson(Map.of("kind", "Status", "apiVersion", "v1",
          "metadata", Map.of(), "status", "Failure", "message", message, "code", 500)));
    }
    MockResponse current = handleGet(objectPath);
    if (current.code() == 404) {
      if (!objectPath.equals(path)) {
        return current;
      }
      String collection = objectPath.substring(0, objectPath.lastIndexOf('/'));
      String query = query(request.getPath());
      appliedFields.remove(objectPath);
      removeDisownedFields(path, managerOf(request.getPath()), applied, applied.deepCopy());
      return handleCreate(new RecordedRequest("HTTP/1.1", HttpMethod.POST, query == null ? collection : collection + "?" + query,
          Headers.builder().add("Content-Type", "application/json").build(),
          new Buffer().writeUtf8(Serialization.asJson(applied))));
    }
    JsonNode existing = Serialization.unmarshal(current.getBody().readUtf8(), JsonNode.class);
    String precondition = applied.path("metadata").path("resourceVersion").asText(null);
    if (precondition != null && !precondition.equals(existing.path("metadata").path("resourceVersion").asText())) {
      return conflict(request.getPath(), existing.path("metadata").path("name").asText());
    }
    JsonNode merged = merge(existing.deepCopy(), applied);
    removeDisownedFields(path, managerOf(request.getPath()), applied, merged);
    if (!applied.path("metadata").hasNonNull("resourceVersion") && merged.path("metadata") instanceof ObjectNode metadata) {
      // Server-side apply is not optimistic unless the applied object names a version (JOSDK's create-only apply).
      metadata.remove("resourceVersion");
    }
    CustomResourceAdmission.Decision decision = admission.governs(objectPath)
        ? admission.admit(path, query(request.getPath()), merged, existing, ratcheting()) : null;
    if (decision != null && decision.refused()) {
      return decision.refusal();
    }
    if (decision != null) {
      merged = decision.object();
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
    MockResponse patched = IndexedObjectMap.scoped(scope(path, null), () -> super.handlePatch(new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, path,
        Headers.builder().add("Content-Type", "application/json-patch+json").build(),
        new Buffer().writeUtf8(Serialization.asJson(ops)))));
    return decision == null ? patched : decision.warn(patched);
  }

  /**
   * Secrets: {@code stringData} is write-only; the API server merges it into {@code data}, base64-encoded, and never
   * stores it (kubernetes.io/docs/concepts/configuration/secret). fabric8's mock stores it as given.
   */
  @Override
  public MockResponse handleCreate(RecordedRequest request) {
    RecordedRequest decoded = secretStringData(request);
    CustomResourceAdmission.Decision decision = admit(decoded, false);
    if (decision != null && decision.refused()) {
      return decision.refusal();
    }
    RecordedRequest stored = decision == null ? decoded : withBody(decoded, decision.object());
    MockResponse created = IndexedObjectMap.scoped(scope(stored.getPath(), bodyName(stored)), () -> super.handleCreate(stored));
    return decision == null ? created : decision.warn(created);
  }

  @Override
  public MockResponse handleUpdate(RecordedRequest request) {
    RecordedRequest decoded = secretStringData(request);
    CustomResourceAdmission.Decision decision = admit(decoded, true);
    if (decision != null && decision.refused()) {
      return decision.refusal();
    }
    RecordedRequest stored = decision == null ? decoded : withBody(decoded, decision.object());
    MockResponse updated = IndexedObjectMap.scoped(scope(stored.getPath(), null), () -> super.handleUpdate(stored));
    return decision == null ? updated : decision.warn(updated);
  }

  /**
   * The admission of a create's or update's body; null when no stored CRD governs the path. An update is admitted
   * against the stored object (status strategy, ratcheting).
   */
  private CustomResourceAdmission.Decision admit(RecordedRequest request, boolean update) {
    String path = stripQuery(request.getPath());
    JsonNode body = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
    String objectPath = update ? objectPath(path) : path + "/" + body.path("metadata").path("name").asText();
    if (!admission.governs(objectPath)) {
      return null;
    }
    JsonNode old = update ? stored(objectPath).orElse(null) : null;
    return admission.admit(path, query(request.getPath()), body, old, ratcheting());
  }

  private static String objectPath(String path) {
    return path.endsWith("/status") ? path.substring(0, path.length() - "/status".length()) : path;
  }

  private static RecordedRequest withBody(RecordedRequest request, JsonNode body) {
    return new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(),
        new Buffer().writeUtf8(Serialization.asJson(body)));
  }

  /** The object stored at a path, as the API server reads its own store. */
  private Optional<JsonNode> stored(String path) {
    MockResponse response = handleGet(path);
    return response.code() == 200 ? Optional.of(Serialization.unmarshal(response.getBody().readUtf8(), JsonNode.class))
        : Optional.empty();
  }

  private static String query(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    return q < 0 ? null : pathAndQuery.substring(q + 1);
  }

  private static RecordedRequest secretStringData(RecordedRequest request) {
    String path = stripQuery(request.getPath());
    if (!path.matches("^/api/v1/namespaces/[^/]+/secrets(/[^/]+)?$")) {
      return request;
    }
    JsonNode body = Serialization.unmarshal(utf8(request.getBody()), JsonNode.class);
    if (!(body instanceof ObjectNode secret) || !secret.path("stringData").isObject()) {
      return request;
    }
    ObjectNode data = secret.path("data").isObject() ? (ObjectNode) secret.get("data") : secret.putObject("data");
    secret.get("stringData").fields().forEachRemaining(e -> data.put(e.getKey(),
        java.util.Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    secret.remove("stringData");
    return new RecordedRequest(request.getHttpVersion(), request.method(), request.getPath(), request.getHeaders(),
        new Buffer().writeUtf8(Serialization.asJson(secret)));
  }

  /** The SSA path of the first field the server's version does not know, or null; list items by their name key. */
  static String undeclaredField(JsonNode node, String path, int minor) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        Integer since = FIELDS_SINCE.get(field.getKey());
        if (since != null && minor < since) {
          return path + "." + field.getKey();
        }
        String found = undeclaredField(field.getValue(), path + "." + field.getKey(), minor);
        if (found != null) {
          return found;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        JsonNode item = node.get(i);
        String key = item.hasNonNull("name") ? "[name=\"" + item.get("name").asText() + "\"]" : "[" + i + "]";
        String found = undeclaredField(item, path + key, minor);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static String managerOf(String pathWithQuery) {
    String query = query(pathWithQuery);
    if (query != null) {
      for (String part : query.split("&")) {
        if (part.startsWith("fieldManager=")) {
          return java.net.URLDecoder.decode(part.substring("fieldManager=".length()), java.nio.charset.StandardCharsets.UTF_8);
        }
      }
    }
    return "";
  }

  /**
   * The fields {@code manager} set with its previous apply of this object (or subresource) and leaves out of this one
   * are removed from {@code merged}, unless another manager's apply set them too; then this apply's fields are what
   * the manager owns.
   */
  private void removeDisownedFields(String path, String manager, JsonNode applied, JsonNode merged) {
    String object = stripQuery(path);
    boolean status = object.endsWith("/status");
    java.util.Set<String> now = new java.util.TreeSet<>();
    leafPaths(applied, "", now);
    now.removeIf(p -> status != (p.equals("status") || p.startsWith("status.")) || p.startsWith("metadata.resourceVersion")
        || p.equals("apiVersion") || p.equals("kind") || p.equals("metadata.name") || p.equals("metadata.namespace"));
    Map<String, java.util.Set<String>> owners = appliedFields.computeIfAbsent(object, k -> new ConcurrentHashMap<>());
    java.util.Set<String> before = owners.getOrDefault(manager, java.util.Set.of());
    for (String gone : before) {
      if (now.contains(gone) || owners.entrySet().stream().anyMatch(e -> !e.getKey().equals(manager) && e.getValue().contains(gone))) {
        continue;
      }
      removePath(merged, gone);
    }
    owners.put(manager, now);
  }

  private static void leafPaths(JsonNode node, String prefix, java.util.Set<String> out) {
    if (node instanceof ObjectNode object && object.size() > 0) {
      object.fields().forEachRemaining(e -> leafPaths(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out));
    } else if (!prefix.isEmpty()) {
      out.add(prefix);
    }
  }

  /** Removes the field at a dotted path; map keys may hold dots (labels), so the whole rest is tried as a key first. */
  private static void removePath(JsonNode root, String path) {
    if (!(root instanceof ObjectNode object)) {
      return;
    }
    if (object.has(path)) {
      object.remove(path);
      return;
    }
    for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
      String key = path.substring(0, dot);
      if (object.has(key)) {
        removePath(object.get(key), path.substring(dot + 1));
        return;
      }
    }
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

  /** The body as text, without consuming it (the request is dispatched on afterwards). */
  private static String utf8(io.fabric8.mockwebserver.http.Buffer body) {
    return body == null ? "" : new String(body.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
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
