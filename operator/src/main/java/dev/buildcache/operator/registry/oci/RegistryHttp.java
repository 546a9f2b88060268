package dev.buildcache.operator.registry.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.RegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Requests to one registry, with the rules that keep a misbehaving or hostile registry from harming us:
 *
 * <ul>
 *   <li><b>Credentials stay home.</b> They are sent only to the registry's own origin (scheme, host and port), or to
 *       a Bearer token realm over https. A plain-http realm on another origin gets no credentials (the request is
 *       refused). Tokens go only to the registry's origin.
 *   <li><b>Redirects are followed by hand</b> (at most {@value #MAX_REDIRECTS}): within the origin with
 *       credentials; to another origin without any, and only for GET and HEAD; never from https to http.
 *   <li><b>Bounded.</b> Every response must be complete within the deadline (a body that drips is cut off), and
 *       its body within a size cap; 429 and 5xx are retried with backoff a few times.
 *   <li><b>Errors are one line</b> naming the request, what happened and, where there is one, the fix.
 * </ul>
 */
final class RegistryHttp {
  static final int MAX_REDIRECTS = 5;
  static final int MAX_TOKEN_BYTES = 64 * 1024;
  static final int MAX_ERROR_BYTES = 16 * 1024;
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A complete response. */
  record Response(int status, HttpHeaders headers, byte[] body, URI uri) {
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    /** The registry's error, in one line: {@code NAME_UNKNOWN: repository name not known to registry}. */
    String errorText() {
      String text = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
      try {
        JsonNode errors = JSON.readTree(text).path("errors");
        if (errors.isArray() && !errors.isEmpty()) {
          JsonNode first = errors.get(0);
          return printable(first.path("code").asText("") + ": " + first.path("message").asText(""), 200);
        }
      } catch (IOException e) {
        // not the distribution error shape
      }
      return printable(text, 200);
    }
  }

  /** The body was larger than the cap allows. */
  static final class TooLargeException extends IOException {
    TooLargeException(long max) {
      super("larger than " + max + " bytes");
    }
  }

  private final URI origin;
  private final String host;
  private final DockerCredentials credentials;
  private final OciRegistryClient.Limits limits;
  private final ApiCalls calls;
  private final RegistryPacer pacer;
  private final HttpClient http;
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();

  RegistryHttp(URI origin, String host, DockerCredentials credentials, OciRegistryClient.Limits limits, ApiCalls calls,
      RegistryPacer pacer) {
    this.origin = origin;
    this.host = host;
    this.credentials = credentials;
    this.limits = limits;
    this.calls = calls;
    this.pacer = pacer;
    this.http = HttpClient.newBuilder().connectTimeout(limits.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /**
   * Sends a request: answers an auth challenge from the registry once, follows redirects by the rules above,
   * retries 429 and 5xx. Statuses are returned, not thrown; only a request that got no complete answer throws.
   *
   * <p>A 429, or an answer with {@code Retry-After}, pauses every request through the {@link RegistryPacer} (the
   * registry has asked us, not only this request, to wait), the last attempt's included; a 5xx without one backs off
   * this request alone. The wait is the backoff, or the registry's {@code Retry-After} when it asks for longer,
   * capped at {@link RegistryPacer#MAX_RETRY_AFTER}.
   *
   * @param scope the token scope, e.g. {@code repository:team/app:pull}
   */
  Response send(String operation, String method, URI uri, Map<String, String> headers, int maxBody, String scope) {
    Response response = null;
    for (int attempt = 1; attempt <= limits.maxAttempts(); attempt++) {
      try {
        pacer.awaitTurn();
        response = sendOnce(operation, method, uri, headers, maxBody, scope);
        if (response.status() != 429 && response.status() < 500) {
          return response;
        }
        Duration backoff = limits.backoff().multipliedBy(1L << (attempt - 1));
        Optional<Duration> asked = response.header("Retry-After").flatMap(pacer::retryAfter);
        Duration wait = asked.filter(a -> a.compareTo(backoff) > 0).orElse(backoff);
        if (response.status() == 429 || asked.isPresent()) {
          pacer.pause(wait);
        } else if (attempt < limits.maxAttempts()) {
          pacer.sleep(wait);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(method + " " + uri + ": interrupted", e);
      }
    }
    return response;
  }

  private Response sendOnce(String operation, String method, URI uri, Map<String, String> headers, int maxBody, String scope) {
    URI current = uri;
    boolean answered = false;
    for (int hop = 0; ; ) {
      boolean home = sameOrigin(current, origin);
      calls.count(operation);
      String sent = home ? authorizations.get(scope) : null;
      Response response = exchange(method, current, headers, sent, maxBody);
      if (response.status() == 401 && home && !answered) {
        answered = true;
        // Sent without the authorization another request has obtained (or renewed) meanwhile (requests run
        // concurrently): try again with it, once.
        String now = authorizations.get(scope);
        if (now != null && !now.equals(sent)) {
          continue;
        }
        if (answer(response.header("WWW-Authenticate").orElse(""), scope, sent)) {
          continue;
        }
        return response;
      }
      if (isRedirect(response.status()) && response.header("Location").isPresent()) {
        if (++hop > MAX_REDIRECTS) {
          throw new RegistryException(method + " " + uri + ": more than " + MAX_REDIRECTS + " redirects");
        }
        URI next = current.resolve(response.header("Location").get());
        if ("https".equals(current.getScheme()) && !"https".equals(next.getScheme())) {
          throw new RegistryException(method + " " + uri + ": redirected from https to " + next.getScheme() + " (" + origin(next)
              + "); refusing to follow");
        }
        if (!sameOrigin(next, origin) && !"GET".equals(method) && !"HEAD".equals(method)) {
          return response; // a DELETE that points elsewhere is not done
        }
        current = next;
        continue;
      }
      return response;
    }
  }

  /**
   * Obtains an authorization for a 401 challenge from the registry; false when there is nothing to answer with.
   * A Basic challenge is answered with the registry's own credentials; a Bearer challenge with a token from its
   * realm, which gets the credentials only when it is the registry's origin or speaks https. {@code sent}: what the
   * refused request carried; credentials the registry refused are not sent again. Whether another request stored the
   * same Basic authorization meanwhile does not matter (requests run concurrently: the check and the store are not
   * one step).
   */
  private boolean answer(String challenge, String scope, String sent) {
    Optional<String> userPassword = credentials.userAndPassword(host);
    if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      if (userPassword.isEmpty()) {
        return false;
      }
      String basic = "Basic " + base64(userPassword.get());
      if (basic.equals(sent)) {
        return false;
      }
      authorizations.put(scope, basic);
      return true;
    }
    if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      return false;
    }
    Map<String, String> params = new TreeMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
    }
    URI realm;
    try {
      realm = URI.create(params.getOrDefault("realm", ""));
    } catch (IllegalArgumentException e) {
      throw new RegistryException("the registry " + host + " names a token realm that is not a URL: " + printable(params.get("realm"), 100));
    }
    if (!realm.isAbsolute() || !("https".equals(realm.getScheme()) || "http".equals(realm.getScheme())) || realm.getHost() == null) {
      throw new RegistryException("the registry " + host + " names a token realm that is not an http(s) URL: " + printable(String.valueOf(realm), 100));
    }
    boolean mayCarryCredentials = sameOrigin(realm, origin) || "https".equals(realm.getScheme());
    if (userPassword.isPresent() && !mayCarryCredentials) {
      throw new RegistryException("the registry " + host + " sends us for a token to " + origin(realm)
          + " over plain http, another host: refusing to send the credentials for " + host + " there");
    }
    StringBuilder url = new StringBuilder(realm.toString()).append(realm.getRawQuery() == null ? "?" : "&");
    if (params.containsKey("service")) {
      url.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
    }
    url.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
    URI tokenUri = URI.create(url.toString());
    calls.count("Token");
    Response response = exchange("GET", tokenUri, Map.of(), userPassword.map(up -> "Basic " + base64(up)).orElse(null), MAX_TOKEN_BYTES);
    if (response.status() != 200) {
      throw new RegistryException("token service " + origin(realm) + " refused a token for " + scope + ": HTTP " + response.status()
          + (response.status() == 401 ? " (check the credentials for " + host + ")" : ""));
    }
    try {
      JsonNode body = JSON.readTree(response.body());
      String token = body.hasNonNull("token") ? body.get("token").asText() : body.path("access_token").asText("");
      if (token.isEmpty()) {
        throw new RegistryException("token service " + origin(realm) + " answered without a token");
      }
      authorizations.put(scope, "Bearer " + token);
      return true;
    } catch (IOException e) {
      throw new RegistryException("token service " + origin(realm) + " answered something that is not JSON");
    }
  }

  /** One HTTP exchange, complete within the deadline and the size cap, or a one-line RegistryException. */
  private Response exchange(String method, URI uri, Map<String, String> headers, String authorization, int maxBody) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(limits.deadline())
        .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(request::header);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    // An error body is only ever shown in one line; a redirect's is never read.
    // Bodies that are parsed (a manifest, a tags page, a token) must fit their cap or the exchange fails; the others
    // (errors, shown in one line; DELETE's; HEAD's, which declares a length it does not send) are cut short.
    boolean parsed = "GET".equals(method);
    CompletableFuture<HttpResponse<byte[]>> future = http.sendAsync(request.build(), info -> info.statusCode() < 300 && parsed
        ? capped(maxBody, info.headers().firstValueAsLong("Content-Length").orElse(-1), false)
        : capped(MAX_ERROR_BYTES, -1, true));
    try {
      HttpResponse<byte[]> response = future.get(limits.deadline().toMillis(), TimeUnit.MILLISECONDS);
      return new Response(response.statusCode(), response.headers(), response.body(), uri);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new RegistryException(method + " " + uri + ": no complete answer within " + limits.deadline().toSeconds()
          + " s; the registry is too slow or the response never ends");
    } catch (ExecutionException e) {
      throw new RegistryException(method + " " + uri + ": " + describe(e.getCause(), uri), e.getCause());
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new RegistryException(method + " " + uri + ": interrupted", e);
    }
  }

  /** What went wrong at the transport level, with the fix where there is one: the most telling link of the cause chain. */
  private String describe(Throwable cause, URI uri) {
    String authority = uri.getRawAuthority();
    Throwable root = cause;
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof TooLargeException) {
        return "the response is " + t.getMessage() + "; refusing to read it";
      }
      if (t instanceof SSLException) {
        String detail = String.valueOf(t.getMessage());
        String hint = detail.contains("plaintext") || detail.contains("Unrecognized SSL message")
            ? "; if " + authority + " is a plain-HTTP registry, pass --insecure (spec.registry.insecure: true)"
            : "; check the registry's certificate";
        return "TLS with " + authority + " failed (" + printable(detail, 120) + ")" + hint;
      }
      if (t instanceof HttpConnectTimeoutException) {
        return "cannot reach " + authority + ": no connection within " + limits.connectTimeout().toSeconds() + " s";
      }
      if (t instanceof HttpTimeoutException) {
        return "no answer from " + authority + " within " + limits.deadline().toSeconds() + " s";
      }
      if (t instanceof ConnectException) {
        return "cannot reach " + authority + ": connection refused (is the registry running, and is the port right?)";
      }
      if (t instanceof UnknownHostException) {
        return "cannot resolve " + uri.getHost() + ": no such host";
      }
      root = t;
    }
    String message = root.getMessage();
    return "cannot reach " + authority + ": " + root.getClass().getSimpleName()
        + (message == null || message.isBlank() ? "" : " (" + printable(message, 120) + ")");
  }

  /**
   * Collects the body up to {@code max} bytes. Beyond that, or with a Content-Length above it, the exchange fails,
   * unless {@code truncate}: then the rest is read and dropped (the deadline bounds how long that takes).
   */
  private static HttpResponse.BodySubscriber<byte[]> capped(int max, long declared, boolean truncate) {
    return new HttpResponse.BodySubscriber<>() {
      private final CompletableFuture<byte[]> result = new CompletableFuture<>();
      private final ByteArrayOutputStream out = new ByteArrayOutputStream();
      private Flow.Subscription subscription;

      @Override
      public CompletionStage<byte[]> getBody() {
        return result;
      }

      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (declared > max) {
          s.cancel();
          result.completeExceptionally(new TooLargeException(max));
          return;
        }
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
          return;
        }
        for (ByteBuffer b : items) {
          if ((long) out.size() + b.remaining() > max) {
            if (truncate) {
              b.limit(b.position() + Math.max(0, max - out.size()));
            } else {
              subscription.cancel();
              result.completeExceptionally(new TooLargeException(max));
              return;
            }
          }
          byte[] chunk = new byte[b.remaining()];
          b.get(chunk);
          out.write(chunk, 0, chunk.length);
        }
      }

      @Override
      public void onError(Throwable throwable) {
        result.completeExceptionally(throwable);
      }

      @Override
      public void onComplete() {
        result.complete(out.toByteArray());
      }
    };
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
  }

  private static int port(URI uri) {
    return uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  static String origin(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A short, single-line, printable rendering of text from outside. */
  static String printable(String text, int max) {
    if (text == null) {
      return "";
    }
    String clean = text.replaceAll("\\p{Cntrl}+", " ").replaceAll("\\s+", " ").trim();
    return clean.length() > max ? clean.substring(0, max) + "..." : clean;
  }
}
