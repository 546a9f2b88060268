package dev.buildcache.operator.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An in-process registry for one repository that behaves as the OCI distribution spec and CNCF distribution do —
 * tags list with {@code n}/{@code last} and a {@code Link} header, {@code HEAD}/{@code GET} manifests with
 * {@code Docker-Content-Digest} and {@code Content-Type}, {@code DELETE} by digest (202; every tag on it goes), 404
 * {@code NAME_UNKNOWN} for another repository, Basic auth or a Bearer challenge — until a test tells it to misbehave:
 * drop a header, answer 404, redirect, link elsewhere or in a loop, drip a body, serve something else.
 *
 * <p>Bound to {@code address}, so that {@code 127.0.0.2} can play another host: every request it receives is
 * recorded with its {@code Authorization} header.
 */
public final class FakeRegistry implements AutoCloseable {
  public static final String USER = "ci";
  public static final String PASSWORD = "s3cret";

  /** A request as received. */
  public record Request(String method, String path, String authorization) {}

  private final HttpServer server;
  private final String repository;
  private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
  private final Map<String, String> mediaTypes = new ConcurrentHashMap<>();
  private final Map<String, String> tags = new TreeMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  /** Per path: a handler that answers instead of the spec behaviour; null from it means "behave". */
  private final Map<String, Function<HttpExchange, Boolean>> faults = new ConcurrentHashMap<>();
  private volatile String bearerRealm;
  private volatile long latencyMillis;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger maxInFlight = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean basicAuth;

  public FakeRegistry(String address, String repository) throws IOException {
    this.repository = repository;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(16));
    server.createContext("/", this::handle);
    server.start();
  }

  public String host() {
    return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
  }

  public String url() {
    return "http://" + host();
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Requires Basic credentials {@link #USER}:{@link #PASSWORD}. */
  public FakeRegistry basicAuth() {
    basicAuth = true;
    return this;
  }

  /** Answers 401 with a Bearer challenge naming {@code realm}, and accepts any token then. */
  public FakeRegistry bearerRealm(String realm) {
    bearerRealm = realm;
    return this;
  }

  public synchronized String put(String tag, String mediaType, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String digest = "sha256:" + sha256(body);
    manifests.put(digest, body);
    mediaTypes.put(digest, mediaType);
    if (tag != null) {
      tags.put(tag, digest);
    }
    return digest;
  }

  public synchronized void tag(String digest, String tag) {
    tags.put(tag, digest);
  }

  public synchronized Map<String, String> tags() {
    return new TreeMap<>(tags);
  }

  /** The next requests to {@code path} (e.g. {@code manifests/release-1}) are answered by {@code fault} while it returns true. */
  public void fault(String path, Function<HttpExchange, Boolean> fault) {
    faults.put(path, fault);
  }

  /** Every answer takes at least this long (a registry some way off). */
  public void latency(java.time.Duration latency) {
    latencyMillis = latency.toMillis();
  }

  /** The most requests this registry was answering at once. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis);
      }
      handleNow(exchange);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void handleNow(HttpExchange exchange) throws IOException {
    try (exchange) {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), auth));
      String path = exchange.getRequestURI().getPath();
      String prefix = "/v2/" + repository + "/";
      if (path.equals("/v2/") || path.equals("/v2")) {
        respond(exchange, 200, "application/json", "{}", Map.of());
        return;
      }
      if (!path.startsWith(prefix)) {
        if (!authorized(exchange, auth)) {
          return;
        }
        respond(exchange, 404, "application/json",
            "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}", Map.of());
        return;
      }
      if (!authorized(exchange, auth)) {
        return;
      }
      String rest = path.substring(prefix.length());
      Function<HttpExchange, Boolean> fault = faults.get(rest);
      if (fault != null && fault.apply(exchange)) {
        return;
      }
      if (rest.equals("tags/list")) {
        tagsList(exchange);
      } else if (rest.startsWith("manifests/")) {
        manifest(exchange, rest.substring("manifests/".length()));
      } else {
        respond(exchange, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}", Map.of());
      }
    }
  }

  private boolean authorized(HttpExchange exchange, String auth) throws IOException {
    if (basicAuth) {
      String expected = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
      if (!expected.equals(auth)) {
        respond(exchange, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
            Map.of("WWW-Authenticate", "Basic realm=\"registry\""));
        return false;
      }
    }
    if (bearerRealm != null && (auth == null || !auth.startsWith("Bearer "))) {
      respond(exchange, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}",
          Map.of("WWW-Authenticate", "Bearer realm=\"" + bearerRealm + "\",service=\"registry.test\",scope=\"repository:" + repository + ":pull\""));
      return false;
    }
    return true;
  }

  private synchronized void tagsList(HttpExchange exchange) throws IOException {
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    int n = Integer.parseInt(query.getOrDefault("n", "1000"));
    String last = query.get("last");
    List<String> page = new ArrayList<>();
    String next = null;
    for (String tag : tags.keySet()) {
      if (last != null && tag.compareTo(last) <= 0) {
        continue;
      }
      if (page.size() == n) {
        next = page.get(page.size() - 1);
        break;
      }
      page.add(tag);
    }
    String body = "{\"name\":\"" + repository + "\",\"tags\":[" + String.join(",", page.stream().map(t -> "\"" + t + "\"").toList()) + "]}";
    Map<String, String> headers = next == null ? Map.of()
        : Map.of("Link", "</v2/" + repository + "/tags/list?n=" + n + "&last=" + next + ">; rel=\"next\"");
    respond(exchange, 200, "application/json", body, headers);
  }

  private synchronized void manifest(HttpExchange exchange, String reference) throws IOException {
    String digest = reference.startsWith("sha256:") ? reference : tags.get(reference);
    byte[] body = digest == null ? null : manifests.get(digest);
    if ("DELETE".equals(exchange.getRequestMethod())) {
      if (body == null || !reference.startsWith("sha256:")) {
        respond(exchange, body == null ? 404 : 400, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}", Map.of());
        return;
      }
      manifests.remove(digest);
      tags.values().removeIf(digest::equals);
      respond(exchange, 202, null, "", Map.of());
      return;
    }
    if (body == null) {
      respond(exchange, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}", Map.of());
      return;
    }
    exchange.getResponseHeaders().set("Docker-Content-Digest", digest);
    exchange.getResponseHeaders().set("Content-Type", mediaTypes.get(digest));
    if ("HEAD".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /**
   * Answers {@code 429 Too Many Requests} with {@code Retry-After} (RFC 6585 section 4) and the distribution spec's
   * {@code TOOMANYREQUESTS} error code, as a rate-limiting registry (Docker Hub, a registry behind a rate limiter) does;
   * true, for {@link #fault}.
   */
  public static boolean tooManyRequests(HttpExchange exchange, String retryAfter) {
    try {
      respond(exchange, 429, "application/json", "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"too many requests\"}]}",
          Map.of("Retry-After", retryAfter));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  public static void respond(HttpExchange exchange, int status, String contentType, String body, Map<String, String> headers) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head || bytes.length == 0 ? -1 : bytes.length);
    if (!head && bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new TreeMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
