package dev.buildcache.operator.profile;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Branch names as OCI tag parts, by one algorithm that {@link #branchPart} (Java) and {@link #HOOK} (the agent's POSIX
 * shell) implement byte for byte, so the tag a build writes is the tag lint protects and the default branch's
 * fallback hits:
 * <ol>
 *   <li>each byte of the branch's UTF-8 outside {@code A-Za-z0-9_.-} becomes {@code -} (so one non-ASCII character
 *       becomes as many dashes as it has bytes: {@code tr} works on bytes);
 *   <li>a leading {@code .} or {@code -} becomes {@code _} (a tag may not start with either), and an empty branch is
 *       {@code _};
 *   <li>longer than 100: the first 91 bytes, {@code -}, and the first 8 hex digits of the SHA-256 of the branch's
 *       UTF-8 (so two long branches never share a cache).
 * </ol>
 * With a template of at most 28 literal characters ({@link CacheProfileValidator}), every tag fits the 128 an OCI tag
 * allows.
 */
public final class CacheTags {
  /** The environment variable an agent hook exports and the rendered pipeline config interpolates. */
  public static final String BRANCH_TAG_VARIABLE = "BUILDCACHE_BRANCH_TAG";
  static final int MAX_BRANCH_PART = 100;
  static final int MAX_TEMPLATE_LITERAL = 128 - MAX_BRANCH_PART;

  /**
   * The agent environment hook (POSIX sh: dash, busybox, bash; coreutils' or busybox's {@code sha256sum}): the same
   * algorithm as {@link #branchPart}, on {@code $BUILDKITE_BRANCH}.
   */
  public static final String HOOK = String.join("\n",
      "# buildcache: the cache tag part of this build's branch (the operator's CacheTags, byte for byte)",
      "buildcache_tag=$(printf %s \"$BUILDKITE_BRANCH\" | LC_ALL=C tr -c 'A-Za-z0-9_.-' '-')",
      "case \"$buildcache_tag\" in '') buildcache_tag=_ ;; [.-]*) buildcache_tag=\"_${buildcache_tag#?}\" ;; esac",
      "if [ \"${#buildcache_tag}\" -gt " + MAX_BRANCH_PART + " ]; then",
      "  buildcache_tag=\"$(printf %s \"$buildcache_tag\" | cut -c1-" + (MAX_BRANCH_PART - 9) + ")-$(printf %s \"$BUILDKITE_BRANCH\" | sha256sum | cut -c1-8)\"",
      "fi",
      "export " + BRANCH_TAG_VARIABLE + "=\"$buildcache_tag\"");

  /**
   * What the rendered pipeline writes for the branch part: the hook's variable, required, so a pipeline uploaded where
   * the hook did not run fails with this message instead of every branch sharing {@code cache-} (Buildkite's
   * interpolation supports {@code ${VAR?message}}, an error when unset; not {@code :?}).
   */
  static final String REQUIRED_EXPRESSION = "${" + BRANCH_TAG_VARIABLE
      + "?set by the buildcache agent environment hook}";

  private CacheTags() {}

  public static String branchPart(String branch) {
    byte[] utf8 = branch.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(utf8.length);
    for (byte b : utf8) {
      char c = (char) (b & 0xff);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      out.append(ok ? c : '-');
    }
    if (out.length() == 0) {
      return "_";
    }
    if (out.charAt(0) == '.' || out.charAt(0) == '-') {
      out.setCharAt(0, '_');
    }
    String part = out.toString();
    return part.length() > MAX_BRANCH_PART ? part.substring(0, MAX_BRANCH_PART - 9) + "-" + shortDigest(utf8) : part;
  }

  /** The cache tag of {@code branch} under {@code template} (which contains {@code {branch}}). */
  public static String tag(String template, String branch) {
    return template.replace("{branch}", branchPart(branch));
  }

  /** The tag as a pipeline writes it: the branch part is the hook's variable, interpolated (and required) at upload. */
  public static String tagExpression(String template) {
    return template.replace("{branch}", REQUIRED_EXPRESSION);
  }

  private static String shortDigest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
