package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the local AWS servers share: the JSON 1.1 protocol's replies and error shape ({@code __type}, {@code message},
 * the {@code x-amzn-ErrorType} header), the caller and region read from the SigV4 {@code Credential}, and identity-policy
 * evaluation (an Allow statement whose Action and Resource match, {@code *} and {@code ?} as IAM's wildcards; no Deny
 * statements and no conditions in the policies used here).
 */
public final class AwsJsonProtocol {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]+)/[0-9]{8}/([a-z0-9-]+)/");

  private AwsJsonProtocol() {}

  /** The access key and region of a SigV4-signed request; null key when unsigned. */
  record Caller(String accessKey, String region) {
    static Caller of(HttpExchange exchange) {
      Matcher credential = CREDENTIAL.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      return credential.find() ? new Caller(credential.group(1), credential.group(2)) : new Caller(null, "us-east-1");
    }
  }

  /** An AWS error reply: HTTP status, error code ({@code __type}) and message. */
  static class AwsError extends RuntimeException {
    final int status;
    final String type;

    AwsError(int status, String type, String message) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }

  static void error(HttpExchange exchange, int status, String type, String message) throws IOException {
    exchange.getResponseHeaders().set("x-amzn-ErrorType", type);
    respond(exchange, status, "application/x-amz-json-1.1",
        JSON.writeValueAsBytes(JSON.createObjectNode().put("__type", type).put("message", message)));
  }

  static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Whether {@code policy} allows {@code action} on {@code resource} (null: an action without resource-level permissions). */
  static boolean allows(JsonNode policy, String action, String resource) {
    for (JsonNode statement : policy.path("Statement")) {
      if (!"Allow".equals(statement.path("Effect").asText()) || !matchesAny(statement.path("Action"), action)) {
        continue;
      }
      JsonNode resources = statement.path("Resource");
      boolean resourceMatches = resource == null
          ? resources.isTextual() ? "*".equals(resources.asText()) : containsText(resources, "*")
          : matchesAny(resources, resource);
      if (resourceMatches) {
        return true;
      }
    }
    return false;
  }

  private static boolean matchesAny(JsonNode patterns, String value) {
    if (patterns.isTextual()) {
      return glob(patterns.asText(), value);
    }
    for (JsonNode p : patterns) {
      if (glob(p.asText(), value)) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsText(JsonNode values, String text) {
    for (JsonNode v : values) {
      if (text.equals(v.asText())) {
        return true;
      }
    }
    return false;
  }

  private static boolean glob(String pattern, String value) {
    StringBuilder re = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return value.matches(re.toString());
  }
}
