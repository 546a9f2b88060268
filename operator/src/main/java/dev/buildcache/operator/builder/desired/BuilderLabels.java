package dev.buildcache.operator.builder.desired;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels stamped on every owned object; the operator's informers select on {@link #MANAGED_BY}. */
public final class BuilderLabels {
  public static final String MANAGED_BY_KEY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "buildcache-operator";
  public static final String MANAGED_BY = MANAGED_BY_KEY + "=" + MANAGED_BY_VALUE;
  public static final String NAME_KEY = "app.kubernetes.io/name";
  public static final String INSTANCE_KEY = "app.kubernetes.io/instance";
  public static final String COMPONENT_KEY = "app.kubernetes.io/component";
  public static final String PART_OF_KEY = "app.kubernetes.io/part-of";
  public static final String POD_NAME_KEY = "statefulset.kubernetes.io/pod-name";

  private BuilderLabels() {}

  /** Labels that select the builder's pods; stable for the builder's lifetime (a StatefulSet selector is immutable). */
  public static Map<String, String> selector(String builderName) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME_KEY, "buildkitd");
    labels.put(INSTANCE_KEY, builderName);
    return labels;
  }

  public static Map<String, String> common(String builderName, String component) {
    Map<String, String> labels = selector(builderName);
    labels.put(COMPONENT_KEY, component);
    labels.put(PART_OF_KEY, "buildcache");
    labels.put(MANAGED_BY_KEY, MANAGED_BY_VALUE);
    return labels;
  }

  /** Labels that select a builder's gateway pods: never the daemons' selector, so no builder Service or budget picks them. */
  public static Map<String, String> gatewaySelector(String builderName) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME_KEY, "buildcache-gateway");
    labels.put(INSTANCE_KEY, builderName);
    return labels;
  }

  public static Map<String, String> gatewayCommon(String builderName) {
    Map<String, String> labels = gatewaySelector(builderName);
    labels.put(COMPONENT_KEY, "gateway");
    labels.put(PART_OF_KEY, "buildcache");
    labels.put(MANAGED_BY_KEY, MANAGED_BY_VALUE);
    return labels;
  }

  public static String selectorString(String builderName) {
    StringBuilder out = new StringBuilder();
    selector(builderName).forEach((k, v) -> out.append(out.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return out.toString();
  }
}
