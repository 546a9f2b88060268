package dev.buildcache.operator.gc;

import java.util.regex.Pattern;

/** Shell-style tag globs: {@code *} any run of characters, {@code ?} one character; everything else literal. */
public record GlobPattern(String glob, Pattern regex) {

  public static GlobPattern of(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return new GlobPattern(glob, Pattern.compile(re.toString()));
  }

  public boolean matches(String tag) {
    return regex.matcher(tag).matches();
  }

  @Override
  public String toString() {
    return glob;
  }
}
