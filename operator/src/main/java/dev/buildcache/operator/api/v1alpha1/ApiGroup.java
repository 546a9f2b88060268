package dev.buildcache.operator.api.v1alpha1;

/** Constants of the API group shared by both kinds. */
public final class ApiGroup {
  public static final String GROUP = "buildcache.dev";
  public static final String VERSION = "v1alpha1";

  /** Go-style durations as the API server's CEL {@code duration()} accepts them: {@code 90m}, {@code 36h}, {@code 1h30m}. */
  public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";
  /**
   * Retention durations, the grammar {@code buildcache gc} takes: Go-style plus {@code d} for days ({@code 14d},
   * {@code 1d12h}). No CEL rule compares them, so they need not be what CEL's {@code duration()} accepts.
   */
  public static final String RETENTION_DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$";
  /** Kubernetes resource quantities, binary or decimal suffixes: {@code 200Gi}, {@code 500M}, {@code 1073741824}. */
  public static final String QUANTITY_PATTERN = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
  /** BuildKit disk thresholds: a quantity or a percentage of the disk, {@code 10%}. */
  public static final String DISK_THRESHOLD_PATTERN =
      "^([0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?|[0-9]{1,2}%|100%)$";

  private ApiGroup() {}
}
