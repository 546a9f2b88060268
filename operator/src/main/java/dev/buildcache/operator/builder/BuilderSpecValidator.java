package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.units.Durations;
import dev.buildcache.operator.units.Quantities;
import java.time.Duration;
import dev.buildcache.operator.validation.FieldError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks a spec the CRD schema already checks, and what it cannot: the operator must never act on a spec it would
 * misread, whether the CRD is old, was bypassed, or the rule spans fields. Each error names the field and the fix.
 */
public final class BuilderSpecValidator {

  /**
   * A StatefulSet's pods carry {@code controller-revision-hash: <name>-<10 characters>}, a label value of at most 63
   * characters: so at most 52 here (the API server does not check this when the StatefulSet is created).
   */
  public static final int MAX_NAME = 52;
  private static final java.util.regex.Pattern DNS_LABEL = java.util.regex.Pattern.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$");

  private BuilderSpecValidator() {}

  /** The spec, and the builder's name, from which every owned object's name derives. */
  public static List<FieldError> validate(dev.buildcache.operator.api.v1alpha1.BuildkitBuilder builder) {
    List<FieldError> errors = new ArrayList<>();
    String name = builder.getMetadata().getName();
    if (name.length() > MAX_NAME) {
      errors.add(new FieldError("metadata.name", "is " + name.length() + " characters; a builder's name has at most " + MAX_NAME
          + " (its StatefulSet's revision label and its Services derive from it): use a shorter name"));
    } else if (!DNS_LABEL.matcher(name).matches()) {
      errors.add(new FieldError("metadata.name", "'" + name + "' is not a DNS label (lower-case letters, digits and '-', starting "
          + "with a letter), which its Services need: use a name without dots"));
    }
    errors.addAll(validate(builder.getSpec()));
    return errors;
  }

  public static List<FieldError> validate(BuildkitBuilderSpec spec) {
    List<FieldError> errors = new ArrayList<>();
    if (spec == null) {
      errors.add(new FieldError("spec", "is missing; a BuildkitBuilder needs at least an empty spec"));
      return errors;
    }
    if (spec.getReplicas() == null || spec.getReplicas() < 0 || spec.getReplicas() > 64) {
      errors.add(new FieldError("spec.replicas", "must be between 0 and 64, got " + spec.getReplicas()));
    }
    if (spec.getImage() == null || spec.getImage().isBlank()) {
      errors.add(new FieldError("spec.image", "must name a buildkitd image, e.g. " + BuildkitBuilderSpec.DEFAULT_IMAGE));
    }
    if (spec.getMaxParallelism() != null && spec.getMaxParallelism() < 1) {
      errors.add(new FieldError("spec.maxParallelism", "must be at least 1, or unset for no cap"));
    }
    if (spec.getStorage() == null) {
      errors.add(new FieldError("spec.storage", "must not be null; remove it to use the defaults"));
    } else {
      parse(errors, "spec.storage.size", spec.getStorage().getSize(), Quantities::parseBytes, true);
    }
    if (spec.getGc() == null) {
      errors.add(new FieldError("spec.gc", "must not be null; remove it to use the defaults"));
    } else {
      diskThreshold(errors, "spec.gc.reservedSpace", spec.getGc().getReservedSpace());
      diskThreshold(errors, "spec.gc.maxUsedSpace", spec.getGc().getMaxUsedSpace());
      diskThreshold(errors, "spec.gc.minFreeSpace", spec.getGc().getMinFreeSpace());
      parse(errors, "spec.gc.keepDuration", spec.getGc().getKeepDuration(), Durations::parse, false);
    }
    if (spec.getTls() == null) {
      errors.add(new FieldError("spec.tls", "must not be null; mTLS is always on, remove it to use the defaults"));
    } else {
      Duration certificate = parse(errors, "spec.tls.certificateDuration", spec.getTls().getCertificateDuration(), Durations::parse, true);
      Duration renew = parse(errors, "spec.tls.renewBefore", spec.getTls().getRenewBefore(), Durations::parse, true);
      Duration authority = parse(errors, "spec.tls.caDuration", spec.getTls().getCaDuration(), Durations::parse, true);
      if (certificate != null && renew != null && renew.compareTo(certificate) >= 0) {
        errors.add(new FieldError("spec.tls.renewBefore",
            "must be shorter than spec.tls.certificateDuration (" + spec.getTls().getCertificateDuration() + ")"));
      }
      if (certificate != null && authority != null && certificate.compareTo(authority) > 0) {
        errors.add(new FieldError("spec.tls.certificateDuration",
            "must not exceed spec.tls.caDuration (" + spec.getTls().getCaDuration() + ")"));
      }
      if (certificate != null && certificate.compareTo(Duration.ofHours(1)) < 0) {
        errors.add(new FieldError("spec.tls.certificateDuration", "must be at least 1h"));
      }
      Duration profile = parse(errors, "spec.tls.profileCertificateDuration", spec.getTls().getProfileCertificateDuration(),
          Durations::parse, true);
      if (profile != null && profile.compareTo(Duration.ofHours(1)) < 0) {
        errors.add(new FieldError("spec.tls.profileCertificateDuration", "must be at least 1h (renewed when a third is left)"));
      }
      if (profile != null && authority != null && profile.compareTo(authority) > 0) {
        errors.add(new FieldError("spec.tls.profileCertificateDuration", "must not exceed spec.tls.caDuration (" + spec.getTls().getCaDuration() + ")"));
      }
      Duration publish = parse(errors, "spec.tls.caPublishDelay", spec.getTls().getCaPublishDelay(), Durations::parse, false);
      if (publish != null && renew != null && publish.compareTo(renew) >= 0) {
        errors.add(new FieldError("spec.tls.caPublishDelay",
            "must be shorter than spec.tls.renewBefore (" + spec.getTls().getRenewBefore()
                + "), so certificates of the old CA are switched before they expire"));
      }
    }
    if (spec.getDrain() == null) {
      errors.add(new FieldError("spec.drain", "must not be null; remove it to use the defaults"));
    } else {
      Duration grace = parse(errors, "spec.drain.terminationGracePeriod", spec.getDrain().getTerminationGracePeriod(), Durations::parse, true);
      if (grace != null && grace.compareTo(Duration.ofHours(24)) > 0) {
        errors.add(new FieldError("spec.drain.terminationGracePeriod", "must be at most 24h"));
      }
    }
    exposure(errors, spec);
    if (spec.getRegistryMirrors() != null) {
      for (Map.Entry<String, List<String>> mirror : spec.getRegistryMirrors().entrySet()) {
        if (mirror.getValue() == null || mirror.getValue().isEmpty() || mirror.getValue().stream().anyMatch(m -> m == null || m.isBlank())) {
          errors.add(new FieldError("spec.registryMirrors[" + mirror.getKey() + "]", "needs at least one non-empty mirror host"));
        }
      }
    }
    return errors;
  }

  private static final java.util.regex.Pattern IPV4_CIDR =
      java.util.regex.Pattern.compile("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})$");
  private static final java.util.regex.Pattern IPV6_CIDR = java.util.regex.Pattern.compile("^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(\\d{1,3})$");

  /** ipBlocks are CIDRs; an exposed builder needs them (who may reach the load balancer) and a sane gateway. */
  private static void exposure(List<FieldError> errors, BuildkitBuilderSpec spec) {
    List<String> blocks = spec.getClients() == null || spec.getClients().getIpBlocks() == null ? List.of() : spec.getClients().getIpBlocks();
    for (int i = 0; i < blocks.size(); i++) {
      String problem = cidrProblem(blocks.get(i));
      if (problem != null) {
        errors.add(new FieldError("spec.clients.ipBlocks[" + i + "]", problem));
      }
    }
    BuildkitBuilderSpec.ExposureSpec exposure = spec.getExposure();
    if (exposure == null) {
      return;
    }
    if (exposure.getType() == null) {
      errors.add(new FieldError("spec.exposure.type", "must be ClusterInternal or LoadBalancer"));
      return;
    }
    if (exposure.getType() != BuildkitBuilderSpec.ExposureSpec.Type.LoadBalancer) {
      return;
    }
    if (blocks.isEmpty()) {
      errors.add(new FieldError("spec.clients.ipBlocks", "is required with spec.exposure.type LoadBalancer: list the address "
          + "ranges of the agents and of the load balancer's subnets, usually the VPC's CIDR, e.g. [10.0.0.0/16]"));
    }
    if (!"internal".equals(exposure.getScheme()) && !"internet-facing".equals(exposure.getScheme())) {
      errors.add(new FieldError("spec.exposure.scheme", "must be internal or internet-facing, got " + exposure.getScheme()));
    }
    if (exposure.getGatewayReplicas() == null || exposure.getGatewayReplicas() < 1 || exposure.getGatewayReplicas() > 10) {
      errors.add(new FieldError("spec.exposure.gatewayReplicas", "must be between 1 and 10, got " + exposure.getGatewayReplicas()));
    }
    if (exposure.getGatewayImage() == null || exposure.getGatewayImage().isBlank()) {
      errors.add(new FieldError("spec.exposure.gatewayImage", "must name an HAProxy (2.6 or later) image, e.g. "
          + BuildkitBuilderSpec.ExposureSpec.DEFAULT_GATEWAY_IMAGE));
    }
  }

  /** Why {@code cidr} is not an IPv4 or IPv6 CIDR, or null. Parsed by hand: no string here may start a DNS lookup. */
  static String cidrProblem(String cidr) {
    if (cidr == null) {
      return "must be a CIDR such as 10.0.0.0/16";
    }
    java.util.regex.Matcher v4 = IPV4_CIDR.matcher(cidr);
    if (v4.matches()) {
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(v4.group(i)) > 255) {
          return "'" + cidr + "' is not a CIDR: each part of an IPv4 address is at most 255";
        }
      }
      return Integer.parseInt(v4.group(5)) > 32 ? "'" + cidr + "' is not a CIDR: an IPv4 prefix is at most /32" : null;
    }
    java.util.regex.Matcher v6 = IPV6_CIDR.matcher(cidr);
    if (v6.matches()) {
      try {
        java.net.InetAddress address = java.net.InetAddress.getByName(cidr.substring(0, cidr.indexOf('/')));
        if (address instanceof java.net.Inet6Address && Integer.parseInt(v6.group(1)) <= 128) {
          return null;
        }
      } catch (java.net.UnknownHostException e) {
        // falls through
      }
    }
    return "'" + cidr + "' is not a CIDR: use an address and a prefix length, e.g. 10.0.0.0/16 or fd00::/8";
  }

  private static void diskThreshold(List<FieldError> errors, String field, String value) {
    if (value == null) {
      return;
    }
    if (value.endsWith("%")) {
      try {
        int percent = Integer.parseInt(value.substring(0, value.length() - 1));
        if (percent < 0 || percent > 100) {
          errors.add(new FieldError(field, "percentage must be between 0% and 100%, got " + value));
        }
      } catch (NumberFormatException e) {
        errors.add(new FieldError(field, "'" + value + "' is not a percentage; use e.g. 80%"));
      }
      return;
    }
    parse(errors, field, value, Quantities::parseBytes, false);
  }

  private static <T> T parse(List<FieldError> errors, String field, String value, Function<String, T> parser, boolean required) {
    if (value == null) {
      if (required) {
        errors.add(new FieldError(field, "is required"));
      }
      return null;
    }
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException | ArithmeticException e) {
      errors.add(new FieldError(field, e.getMessage()));
      return null;
    }
  }
}
