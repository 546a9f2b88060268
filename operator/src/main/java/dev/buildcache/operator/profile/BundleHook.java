package dev.buildcache.operator.profile;

import java.util.regex.Pattern;

/**
 * The agent environment hook of an agent outside the cluster (the Elastic CI Stack's EC2 instances): fetches one
 * profile's client bundle from AWS Secrets Manager with the instance's role and writes {@code ca.pem}, {@code cert.pem}
 * and {@code key.pem}, mode 0600, each replaced whole (written aside, then renamed), into the profile's own directory, so
 * one agent can hold the bundles of many profiles. A bundle fetched in the last hour is kept: renewals publish days before
 * the old certificate expires, and a job should not pay a Secrets Manager call each. A failure stops the job with a
 * message, before buildx could try a missing file. POSIX sh; needs the AWS CLI and jq, which the Elastic CI Stack's
 * AMIs carry. Pure.
 */
public final class BundleHook {
  /** Only values that need no quoting in sh reach the script (names, regions and paths the CRD and template allow). */
  private static final Pattern SAFE = Pattern.compile("^[A-Za-z0-9/_+=.@-]+$");

  private BundleHook() {}

  /** Where an agent outside the cluster keeps one profile's bundle: its own directory under {@code certsDir}. */
  public static String directory(String certsDir, String namespace, String profile) {
    return certsDir + "/" + namespace + "/" + profile;
  }

  /**
   * @param region the secrets' region; null: the agent's default (AWS_REGION / AWS_DEFAULT_REGION, which the Elastic CI
   *     Stack sets)
   */
  public static String render(String secretName, String region, String directory) {
    for (String value : new String[] {secretName, directory, region == null ? "x" : region}) {
      if (!SAFE.matcher(value).matches()) {
        throw new IllegalArgumentException("not safe in a shell script: " + value);
      }
    }
    String regionOption = region == null ? "" : " --region " + region;
    return String.join("\n",
        "# buildcache: the client bundle of " + secretName + ", from AWS Secrets Manager with this instance's role",
        "buildcache_bundle() {",
        "  buildcache_dir=$1 buildcache_secret=$2",
        "  if [ -s \"$buildcache_dir/key.pem\" ] && [ -n \"$(find \"$buildcache_dir/key.pem\" -mmin -60 2>/dev/null)\" ]; then return 0; fi",
        "  ( umask 077 && mkdir -p \"$buildcache_dir\" ) || return 1",
        "  buildcache_json=$(aws secretsmanager get-secret-value" + regionOption
            + " --secret-id \"$buildcache_secret\" --query SecretString --output text) || {",
        "    echo \"buildcache: cannot read $buildcache_secret from Secrets Manager: the instance role needs"
            + " secretsmanager:GetSecretValue on it\" >&2; return 1; }",
        "  for buildcache_file in ca.pem cert.pem key.pem; do",
        "    ( umask 077 && printf '%s' \"$buildcache_json\" | jq -ej --arg f \"$buildcache_file\" '.[$f]'"
            + " > \"$buildcache_dir/.$buildcache_file.new\" ) || {",
        "      rm -f \"$buildcache_dir/.$buildcache_file.new\"",
        "      echo \"buildcache: $buildcache_secret has no $buildcache_file\" >&2; return 1; }",
        "    mv -f \"$buildcache_dir/.$buildcache_file.new\" \"$buildcache_dir/$buildcache_file\" || return 1",
        "  done",
        "}",
        "buildcache_bundle " + directory + " " + secretName + " || exit 1");
  }
}
