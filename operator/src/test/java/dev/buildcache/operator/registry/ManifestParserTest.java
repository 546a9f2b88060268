package dev.buildcache.operator.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
  static final String L1 = "sha256:" + "1".repeat(64);
  static final String L2 = "sha256:" + "2".repeat(64);
  static final String CFG = "sha256:" + "c".repeat(64);

  static ManifestFacts parse(String json) {
    return ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), null);
  }

  @Test
  void anImageManifestWithACacheconfigIsCache() {
    ManifestFacts f = parse("""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.buildkit.cacheconfig.v0","digest":"%s","size":10},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"%s","size":100,
                    "annotations":{"buildkit/createdat":"2020-01-01T00:00:00Z"}}]}""".formatted(CFG, L1));
    assertThat(f.cache()).isTrue();
    assertThat(f.blobs()).containsExactly(new Blob(CFG, 10), new Blob(L1, 100));
    assertThat(f.children()).isEmpty();
  }

  @Test
  void bothIndexFormLayoutsAreCacheAndTheirEntriesAreBlobsNotChildren() {
    for (String[] types : new String[][] {
        {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"},
        {"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"}}) {
      ManifestFacts f = parse("""
          {"schemaVersion":2,"mediaType":"%s","manifests":[
            {"mediaType":"%s","digest":"%s","size":100},
            {"mediaType":"%s","digest":"%s","size":200},
            {"mediaType":"application/vnd.buildkit.cacheconfig.v0","digest":"%s","size":30}]}"""
          .formatted(types[0], types[1], L1, types[1], L2, CFG));
      assertThat(f.cache()).as(types[0]).isTrue();
      assertThat(f.children()).as(types[0]).isEmpty();
      assertThat(f.blobs()).as(types[0]).containsExactly(new Blob(L1, 100), new Blob(L2, 200), new Blob(CFG, 30));
    }
  }

  @Test
  void aMultiPlatformIndexHasManifestChildrenAndIsNotCache() {
    ManifestFacts f = parse("""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":500,"platform":{"os":"linux"}},
          {"digest":"%s","size":500}]}""".formatted(L1, L2));
    assertThat(f.cache()).isFalse();
    assertThat(f.children()).as("an entry without a media type might be a manifest: read, never assumed").containsExactly(L1, L2);
    assertThat(f.blobs()).isEmpty();
  }

  @Test
  void whatIsNotAManifestSaysWhy() {
    assertThatThrownBy(() -> parse("<html>")).hasMessage("is not JSON");
    assertThatThrownBy(() -> parse("[1]")).hasMessage("is not a JSON object");
    assertThatThrownBy(() -> parse("{\"layers\":[{\"digest\":\"../../etc\",\"size\":1}]}")).hasMessage("has a descriptor without a valid digest");
    assertThatThrownBy(() -> parse("{\"layers\":[{\"digest\":\"" + L1 + "\"}]}")).hasMessage("has a descriptor without a size");
  }

  @Test
  void onlyIndexesAndUnknownTypesMayHaveChildren() {
    assertThat(ManifestParser.mayHaveChildren(ManifestParser.OCI_INDEX)).isTrue();
    assertThat(ManifestParser.mayHaveChildren(ManifestParser.DOCKER_MANIFEST_LIST)).isTrue();
    assertThat(ManifestParser.mayHaveChildren(null)).isTrue();
    assertThat(ManifestParser.mayHaveChildren("application/x-unknown")).isTrue();
    assertThat(ManifestParser.mayHaveChildren(ManifestParser.OCI_MANIFEST)).isFalse();
    assertThat(ManifestParser.mayHaveChildren(ManifestParser.DOCKER_MANIFEST)).isFalse();
  }
}
