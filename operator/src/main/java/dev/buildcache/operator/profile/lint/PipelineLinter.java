package dev.buildcache.operator.profile.lint;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds docker-compose plugin steps in a Buildkite pipeline (groups included) and lints each. */
public final class PipelineLinter {
  /** {@code docker-compose#v5.10.0}, a repository form of it, or the plugin with no version ({@code docker-compose}). */
  private static final Pattern PLUGIN = Pattern.compile("(?:^|/)docker-compose(?:-buildkite-plugin)?(?:\\.git)?(?:#(v?[0-9][^\\s]*))?$");

  private PipelineLinter() {}

  /** Result of one pipeline: the plugin steps found and their findings. */
  public record Result(int pluginSteps, List<LintFinding> findings) {
    public boolean hasErrors() {
      return findings.stream().anyMatch(f -> f.severity() == Severity.ERROR);
    }
  }

  public static Result lint(String pipelineYaml) {
    JsonNode root;
    try {
      root = Serialization.yamlMapper().readTree(pipelineYaml);
    } catch (IOException e) {
      String where = e instanceof com.fasterxml.jackson.core.JsonProcessingException p && p.getLocation() != null
          ? " at line " + p.getLocation().getLineNr() + ", column " + p.getLocation().getColumnNr() : "";
      String what = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
      throw new IllegalArgumentException("not a YAML pipeline" + where + ": " + what.lines().findFirst().orElse(""), e);
    }
    List<PluginStep> steps = new ArrayList<>();
    JsonNode list = root == null ? null : root.isArray() ? root : root.path("steps");
    collect(list, steps, new int[] {0});
    List<LintFinding> findings = new ArrayList<>();
    steps.forEach(s -> findings.addAll(CacheLintRules.check(s)));
    return new Result(steps.size(), findings);
  }

  @SuppressWarnings("unchecked")
  private static void collect(JsonNode steps, List<PluginStep> out, int[] counter) {
    if (steps == null || !steps.isArray()) {
      return;
    }
    for (JsonNode step : steps) {
      counter[0]++;
      if (step.has("group")) {
        collect(step.path("steps"), out, counter);
        continue;
      }
      String label = text(step, "label", text(step, "name", text(step, "key", "step " + counter[0])));
      JsonNode plugins = step.path("plugins");
      List<JsonNode> entries = new ArrayList<>();
      if (plugins.isArray()) {
        plugins.forEach(entries::add);
      } else if (plugins.isObject()) {
        entries.add(plugins);
      }
      for (JsonNode entry : entries) {
        for (Iterator<Map.Entry<String, JsonNode>> it = entry.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> plugin = it.next();
          Matcher m = PLUGIN.matcher(plugin.getKey());
          if (m.find()) {
            Map<String, Object> config = plugin.getValue().isObject()
                ? Serialization.jsonMapper().convertValue(plugin.getValue(), Map.class) : Map.of();
            out.add(new PluginStep(label, m.group(1) == null ? "" : m.group(1), config));
          }
        }
      }
    }
  }

  private static String text(JsonNode node, String field, String fallback) {
    return node.hasNonNull(field) ? node.get(field).asText() : fallback;
  }
}
