package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec.LocalGcSpec;
import dev.buildcache.operator.units.Quantities;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders {@code buildkitd.toml}. Worker GC uses the BuildKit >= 0.17 names ({@code reservedSpace},
 * {@code maxUsedSpace}, {@code minFreeSpace}); quantities are written as plain byte counts because BuildKit reads
 * {@code 500M} as MiB where Kubernetes means 10^6. Output is deterministic: same spec, same bytes.
 */
public final class BuildkitdConfigFactory {
  public static final String KEY = "buildkitd.toml";

  private BuildkitdConfigFactory() {}

  public static ConfigMap configMap(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(names.configMap())
        .withNamespace(names.namespace())
        .withLabels(BuilderLabels.common(names.name(), "builder-config"))
        .endMetadata()
        .withData(Map.of(KEY, toml(builder)))
        .build();
  }

  public static String toml(BuildkitBuilder builder) {
    BuildkitBuilderSpec spec = builder.getSpec();
    BuilderNames names = BuilderNames.of(builder);
    BuildkitdPaths paths = BuildkitdPaths.of(!Boolean.FALSE.equals(spec.getRootless()));
    LocalGcSpec gc = spec.getGc() == null ? new LocalGcSpec() : spec.getGc();
    StringBuilder t = new StringBuilder();
    t.append("# Managed by buildcache-operator for BuildkitBuilder ")
        .append(names.namespace()).append('/').append(names.name()).append(". Edits are overwritten.\n");
    t.append("root = ").append(quote(paths.stateDir())).append('\n');
    t.append("\n[grpc]\n");
    t.append("  address = [").append(quote(paths.socket())).append(", ")
        .append(quote("tcp://0.0.0.0:" + BuilderNames.GRPC_PORT)).append("]\n");
    t.append("  debugAddress = ").append(quote("0.0.0.0:" + BuilderNames.METRICS_PORT)).append('\n');
    t.append("\n[grpc.tls]\n");
    t.append("  cert = ").append(quote(BuildkitdPaths.CERTS_DIR + "/cert.pem")).append('\n');
    t.append("  key = ").append(quote(BuildkitdPaths.CERTS_DIR + "/key.pem")).append('\n');
    t.append("  ca = ").append(quote(BuildkitdPaths.CERTS_DIR + "/ca.pem")).append('\n');
    t.append("\n[worker.oci]\n");
    t.append("  enabled = true\n");
    t.append("  gc = true\n");
    appendThresholds(t, "  ", gc);
    if (spec.getMaxParallelism() != null) {
      t.append("  max-parallelism = ").append(spec.getMaxParallelism()).append('\n');
    }
    if (gc.getKeepDuration() != null) {
      // Explicit policies replace BuildKit's defaults: first drop what has been unused for keepDuration,
      // then keep the whole cache inside the disk thresholds.
      t.append("\n  [[worker.oci.gcpolicy]]\n");
      t.append("    all = false\n");
      t.append("    keepDuration = ").append(quote(gc.getKeepDuration())).append('\n');
      t.append("\n  [[worker.oci.gcpolicy]]\n");
      t.append("    all = true\n");
      appendThresholds(t, "    ", gc);
    }
    t.append("\n[worker.containerd]\n");
    t.append("  enabled = false\n");
    Map<String, List<String>> mirrors = spec.getRegistryMirrors() == null ? Map.of() : new TreeMap<>(spec.getRegistryMirrors());
    mirrors.forEach((registry, hosts) -> {
      t.append("\n[registry.").append(quote(registry)).append("]\n");
      t.append("  mirrors = [");
      for (int i = 0; i < hosts.size(); i++) {
        t.append(i == 0 ? "" : ", ").append(quote(hosts.get(i)));
      }
      t.append("]\n");
    });
    return t.toString();
  }

  private static void appendThresholds(StringBuilder t, String indent, LocalGcSpec gc) {
    appendDiskSpace(t, indent, "reservedSpace", gc.getReservedSpace());
    appendDiskSpace(t, indent, "maxUsedSpace", gc.getMaxUsedSpace());
    appendDiskSpace(t, indent, "minFreeSpace", gc.getMinFreeSpace());
  }

  private static void appendDiskSpace(StringBuilder t, String indent, String key, String value) {
    if (value == null) {
      return;
    }
    String rendered = value.endsWith("%") ? value : Long.toString(Quantities.parseBytes(value));
    t.append(indent).append(key).append(" = ").append(quote(rendered)).append('\n');
  }

  static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
