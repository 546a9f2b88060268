package dev.buildcache.operator.builder.desired;

/**
 * The API server's version, as far as the objects the operator renders depend on it. Supported: 1.28 and later.
 *
 * @param minor the minor version of Kubernetes 1.x
 */
public record KubernetesVersion(int minor) {
  public static final int OLDEST_SUPPORTED = 28;
  /** What the factories render for when nothing else is said: any version with every field they use. */
  public static final KubernetesVersion CURRENT = new KubernetesVersion(32);

  /** {@code securityContext.appArmorProfile} exists from 1.30; before, AppArmor is the pod annotation. */
  public boolean hasAppArmorField() {
    return minor >= 30;
  }

  public boolean supported() {
    return minor >= OLDEST_SUPPORTED;
  }

  /** From {@code /version}'s minor, which some distributions suffix ({@code "28+"} on EKS and GKE). */
  public static KubernetesVersion parse(String major, String minor) {
    String digits = minor == null ? "" : minor.replaceAll("[^0-9].*$", "");
    if (!"1".equals(major) || digits.isEmpty()) {
      throw new IllegalArgumentException("the API server reports version " + major + "." + minor + ", which is not Kubernetes 1.x");
    }
    return new KubernetesVersion(Integer.parseInt(digits));
  }

  @Override
  public String toString() {
    return "1." + minor;
  }
}
