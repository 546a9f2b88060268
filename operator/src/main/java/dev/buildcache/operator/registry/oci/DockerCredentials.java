package dev.buildcache.operator.registry.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * Registry credentials in Docker's {@code config.json} format, which is also the content of a
 * {@code kubernetes.io/dockerconfigjson} Secret: {@code {"auths": {"host": {"auth": base64(user:password)}}}}.
 */
public final class DockerCredentials {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonNode auths;

  private DockerCredentials(JsonNode auths) {
    this.auths = auths;
  }

  public static DockerCredentials none() {
    return new DockerCredentials(JSON.createObjectNode());
  }

  public static DockerCredentials parse(String configJson) {
    try {
      return new DockerCredentials(JSON.readTree(configJson).path("auths"));
    } catch (IOException e) {
      throw new IllegalArgumentException("registry credentials are not a Docker config.json: " + e.getMessage(), e);
    }
  }

  /** {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}; none when the file does not exist. */
  public static DockerCredentials fromDefaultLocation() throws IOException {
    String dir = System.getenv("DOCKER_CONFIG");
    Path file = dir != null ? Path.of(dir, "config.json") : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    return Files.exists(file) ? parse(Files.readString(file)) : none();
  }

  /** {@code user:password} for the host, as in a Basic authorization header before encoding. */
  public Optional<String> userAndPassword(String host) {
    for (String key : new String[] {host, "https://" + host, "http://" + host, "https://" + host + "/v1/", "https://" + host + "/v2/"}) {
      JsonNode entry = auths.path(key);
      if (entry.isMissingNode()) {
        continue;
      }
      if (entry.hasNonNull("auth")) {
        return Optional.of(new String(Base64.getDecoder().decode(entry.get("auth").asText()), StandardCharsets.UTF_8));
      }
      if (entry.hasNonNull("username")) {
        return Optional.of(entry.get("username").asText() + ":" + entry.path("password").asText());
      }
    }
    return Optional.empty();
  }
}
