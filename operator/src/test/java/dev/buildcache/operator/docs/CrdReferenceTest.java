package dev.buildcache.operator.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/crd-reference.md is generated from crds/ and must match it. */
class CrdReferenceTest {
  static final Path CRDS = Path.of(System.getProperty("buildcache.crds.dir", "../crds"));
  static final Path PAGE = CRDS.resolveSibling("docs").resolve("crd-reference.md");

  @Test
  void referencePageMatchesTheCrds() throws Exception {
    String rendered = CrdReference.render(List.of(CRDS.resolve("buildkitbuilders.buildcache.dev-v1.yml"),
        CRDS.resolve("cacheprofiles.buildcache.dev-v1.yml")));
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(PAGE, rendered, StandardCharsets.UTF_8);
    }
    assertThat(PAGE).as("docs/crd-reference.md (regenerate with -Dgolden.update=true)").exists();
    assertThat(Files.readString(PAGE)).as("docs/crd-reference.md is stale: regenerate with -Dgolden.update=true").isEqualTo(rendered);
    assertThat(rendered).contains("`spec.cache.compression`").contains("one of estargz, gzip, uncompressed, zstd")
        .contains("`spec.replicas`").contains("`status.lastGc.reclaimedBytes`");
  }
}
