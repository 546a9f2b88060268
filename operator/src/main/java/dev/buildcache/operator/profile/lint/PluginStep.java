package dev.buildcache.operator.profile.lint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One docker-compose plugin use in a pipeline step: its label, plugin version and configuration. */
public record PluginStep(String label, String pluginVersion, Map<String, Object> config) {

  /** A string or a list of strings, as the plugin accepts for most keys. */
  public List<String> strings(String key) {
    Object value = config.get(key);
    List<String> out = new ArrayList<>();
    if (value instanceof List<?> list) {
      list.forEach(v -> out.add(String.valueOf(v)));
    } else if (value != null) {
      out.add(String.valueOf(value));
    }
    return out;
  }

  public List<CacheSpec> cache(String key) {
    return strings(key).stream().map(CacheSpec::parse).toList();
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> builder() {
    return config.get("builder") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  public int majorVersion() {
    String v = pluginVersion.replaceFirst("^v", "");
    try {
      return Integer.parseInt(v.split("\\.")[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
