package dev.buildcache.operator.profile;

import dev.buildcache.operator.builder.desired.BuilderNames;
import java.util.regex.Pattern;

/**
 * The sticky endpoint of one CacheProfile: a Service named {@code <builder>-<profile>} in the profile's namespace,
 * pinned to one builder pod. Agents put its DNS name in a static pipeline.
 */
public record ProfileEndpoint(String builder, String profile, String namespace) {
  /** A Service name is a DNS-1035 label. */
  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$");
  public static final int MAX_NAME = 63;

  public String service() {
    return builder + "-" + profile;
  }

  public String endpoint() {
    return "tcp://" + service() + "." + namespace + ".svc:" + BuilderNames.GRPC_PORT;
  }

  /** Why {@link #service()} cannot be a Service name, or null when it can. */
  public String invalidServiceName() {
    String name = service();
    if (name.length() > MAX_NAME) {
      return "the endpoint Service would be named " + name + " (" + name.length() + " characters); a Service name has at most "
          + MAX_NAME + ": use a shorter CacheProfile name";
    }
    if (!DNS_LABEL.matcher(name).matches()) {
      return "the endpoint Service would be named " + name + ", which is not a DNS label (lower-case letters, digits, '-'): "
          + "use a CacheProfile name without dots";
    }
    if (name.equals(new BuilderNames(builder, namespace).gateway())) {
      return "the endpoint Service would be named " + name + ", the name of the builder's gateway: use another CacheProfile name";
    }
    if (name.equals(new BuilderNames(builder, namespace).headlessService())) {
      return "the endpoint Service would be named " + name + ", the name of the builder's own headless Service: "
          + "use another CacheProfile name";
    }
    return null;
  }
}
