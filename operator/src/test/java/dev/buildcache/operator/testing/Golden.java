package dev.buildcache.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under {@code src/test/resources/golden}. A mismatch fails with a diff; after an intended change,
 * regenerate with {@code ./mvnw -q test -Dgolden.update=true} and review the diff in git.
 */
public final class Golden {
  private Golden() {}

  public static void assertYaml(String name, Object object) {
    assertText(name, Serialization.asYaml(object));
  }

  public static void assertText(String name, String actual) {
    Path file = dir().resolve(name);
    try {
      if (Boolean.getBoolean("golden.update")) {
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
      }
      assertThat(file).as("golden file %s (create it with -Dgolden.update=true)", file).exists();
      assertThat(actual).as("rendering of %s", name).isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path dir() {
    return Path.of(System.getProperty("buildcache.golden.dir", "src/test/resources/golden"));
  }
}
