package dev.buildcache.operator.profile;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Branch names as OCI tag parts. A tag is {@code [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}}; every other character becomes
 * '-', as the agent hook's {@code tr -c 'A-Za-z0-9_.-' '-'} does, and a name too long for the template is cut and
 * given a short digest of the full name so two long branches do not share a cache tag.
 */
public final class CacheTags {
  /** The environment variable an agent hook exports and the rendered pipeline config interpolates. */
  public static final String BRANCH_TAG_VARIABLE = "BUILDCACHE_BRANCH_TAG";
  /** POSIX shell for an agent environment hook; same mapping as {@link #branchPart} for ASCII branch names. */
  public static final String HOOK_LINE =
      "export " + BRANCH_TAG_VARIABLE + "=\"$(printf %s \"$BUILDKITE_BRANCH\" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-100)\"";
  static final int MAX_BRANCH_PART = 100;
  static final int MAX_TAG = 128;

  private CacheTags() {}

  public static String branchPart(String branch) {
    StringBuilder out = new StringBuilder(branch.length());
    for (char c : branch.toCharArray()) {
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      out.append(ok ? c : '-');
    }
    String part = out.toString();
    if (part.length() > MAX_BRANCH_PART) {
      part = part.substring(0, MAX_BRANCH_PART - 9) + "-" + shortDigest(branch);
    }
    return part;
  }

  /** The cache tag of {@code branch} under {@code template} (which contains {@code {branch}}). */
  public static String tag(String template, String branch) {
    String tag = template.replace("{branch}", branchPart(branch));
    if (!Character.isLetterOrDigit(tag.charAt(0)) && tag.charAt(0) != '_') {
      tag = "_" + tag.substring(1);
    }
    return tag.length() > MAX_TAG ? tag.substring(0, MAX_TAG - 9) + "-" + shortDigest(branch) : tag;
  }

  /** The tag as a pipeline writes it: the branch part is the hook's variable, interpolated at upload time. */
  public static String tagExpression(String template) {
    return template.replace("{branch}", "${" + BRANCH_TAG_VARIABLE + "}");
  }

  private static String shortDigest(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
