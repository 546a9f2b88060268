package dev.buildcache.operator.registry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Auth and retries of the OCI client against an in-process registry that challenges like Docker Hub or Harbor. */
class OciRegistryClientAuthTest {
  static final String USER = "ci";
  static final String PASSWORD = "s3cret";

  HttpServer server;
  final List<String> seen = new CopyOnWriteArrayList<>();
  final AtomicInteger unavailable = new AtomicInteger();
  String mode = "bearer";

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", this::token);
    server.createContext("/v2/", this::registry);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  OciRegistryClient client(DockerCredentials credentials) {
    return new OciRegistryClient(RepositoryReference.parse(host() + "/team/app"), true, credentials,
        OciRegistryClient.Limits.DEFAULT.withBackoff(Duration.ofMillis(1)));
  }

  static DockerCredentials credentialsFor(String host) {
    String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    return DockerCredentials.parse("{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
  }

  void token(HttpExchange exchange) throws IOException {
    String basic = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    seen.add("token " + exchange.getRequestURI().getQuery());
    if (!basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      respond(exchange, 401, "{}");
      return;
    }
    respond(exchange, 200, "{\"token\":\"tok-" + (exchange.getRequestURI().getQuery().contains("delete") ? "delete" : "pull") + "\"}");
  }

  void registry(HttpExchange exchange) throws IOException {
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + auth);
    if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      respond(exchange, 503, "{\"errors\":[{\"code\":\"UNAVAILABLE\"}]}");
      return;
    }
    String expected = "bearer".equals(mode) ? "Bearer tok-pull"
        : "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    if (!expected.equals(auth)) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "bearer".equals(mode)
          ? "Bearer realm=\"http://" + host() + "/token\",service=\"registry.test\",scope=\"repository:team/app:pull\""
          : "Basic realm=\"registry\"");
      respond(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
      return;
    }
    respond(exchange, 200, "{\"name\":\"team/app\",\"tags\":[]}");
  }

  static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Test
  void answersABearerChallengeWithATokenFromTheRealm() {
    try (OciRegistryClient client = client(credentialsFor(host()))) {
      assertThat(client.list().images()).isEmpty();
      assertThat(seen).anySatisfy(s -> assertThat(s).startsWith("token ").contains("service=registry.test")
          .contains("scope=repository:team/app:pull"));
      assertThat(seen.get(seen.size() - 1)).endsWith("Bearer tok-pull");
      assertThat(client.apiCalls()).containsEntry("Token", 1);
    }
  }

  @Test
  void answersABasicChallenge() {
    mode = "basic";
    try (OciRegistryClient client = client(credentialsFor(host()))) {
      assertThat(client.list().images()).isEmpty();
    }
  }

  @Test
  void withoutCredentialsTheErrorSaysWhatWasRefused() {
    mode = "basic";
    try (OciRegistryClient client = client(DockerCredentials.none())) {
      assertThatThrownBy(client::list).isInstanceOf(RegistryException.class).hasMessageContaining("HTTP 401");
    }
  }

  @Test
  void retriesUnavailable() {
    mode = "basic";
    unavailable.set(2);
    try (OciRegistryClient client = client(credentialsFor(host()))) {
      assertThat(client.list().images()).isEmpty();
      assertThat(client.apiCalls().get("ListTags")).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void credentialsMayBeKeyedByUrl() {
    String auth = Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8));
    DockerCredentials credentials = DockerCredentials.parse("{\"auths\":{\"https://registry.example.com\":{\"auth\":\"" + auth + "\"},"
        + "\"other.example.com\":{\"username\":\"a\",\"password\":\"b\"}}}");
    assertThat(credentials.userAndPassword("registry.example.com")).contains("u:p");
    assertThat(credentials.userAndPassword("other.example.com")).contains("a:b");
    assertThat(credentials.userAndPassword("missing.example.com")).isEmpty();
  }
}
