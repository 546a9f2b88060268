package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Renders a kustomization with {@code kubectl kustomize} (scripts/test installs kubectl when it is missing). */
public final class Kustomize {
  public static final Path DEPLOY = Path.of(System.getProperty("buildcache.deploy.dir", "../deploy"));

  private Kustomize() {}

  public static List<JsonNode> render(String overlay) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kubectl", "kustomize", DEPLOY.resolve(overlay).toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("kubectl kustomize deploy/" + overlay + " failed: " + err);
    }
    List<JsonNode> docs = new ArrayList<>();
    ObjectMapper mapper = new ObjectMapper();
    try (YAMLParser parser = new YAMLFactory().createParser(out)) {
      for (JsonNode doc : mapper.readValues(parser, JsonNode.class).readAll()) {
        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  public static JsonNode find(List<JsonNode> docs, String kind, String name) {
    return docs.stream().filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.path("metadata").path("name").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the rendered manifests"));
  }
}
