package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CacheProfileValidatorTest {

  static List<String> errors(Consumer<CacheProfileSpec> change) {
    return CacheProfileValidator.validate(TestProfiles.profile("app", change).getSpec()).stream().map(Object::toString).toList();
  }

  @Test
  void defaultsAndSamplesAreValid() {
    assertThat(errors(s -> {})).isEmpty();
    assertThat(errors(s -> {
      s.setRepository("registry.example.com:5000/web/cache");
      s.getRegistry().setType(CacheProfileSpec.RegistryType.OCI);
      s.getRegistry().setCredentialsSecret("registry-credentials");
    })).isEmpty();
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.setRepository("Not A Ref"), "spec.repository: 'Not A Ref' is not a repository"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> {
          s.setRepository("ghcr.io/org/app");
          s.getRegistry().setType(CacheProfileSpec.RegistryType.ECR);
        }, "spec.registry.type: is ecr but ghcr.io is not an ECR host"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getRegistry().setCredentialsSecret("x"), "spec.registry.credentialsSecret: is for OCI registries"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.setBuilderRef(null), "spec.builderRef.name: is required"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getCache().setCompression(null), "spec.cache.compression: is not a compression BuildKit knows (ztsd is a common typo)"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getCache().setTagTemplate("cache-latest"), "spec.cache.tagTemplate: must contain {branch}"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getCache().setTagTemplate("buildcache-{branch}"), "spec.retention.tagPatterns: do not match the cache tags this profile writes (buildcache-feature-x); add a pattern such as buildcache-*"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getRetention().setMaxAge("a fortnight"), "spec.retention.maxAge: 'a fortnight' is not a duration"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getRetention().setMaxTotalSize("big"), "spec.retention.maxTotalSize: 'big' is not a size"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getRetention().setTagPatterns(List.of("*")), "spec.retention.tagPatterns: '*' has no literal character, so it would treat every tag as cache"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.getRetention().setTagPatterns(List.of("cache-*", "?*")), "spec.retention.tagPatterns: '?*' has no literal character"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.setSchedule("every night"), "spec.schedule: 'every night' is not a five-field cron schedule"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.setSchedule("0 25 * * *"), "spec.schedule: hour 25 is outside 0-23"),
        Arguments.of((Consumer<CacheProfileSpec>) s -> s.setSchedule("0 0 30 2 *"), "spec.schedule: '0 0 30 2 *' never fires"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void namesTheFieldAndTheFix(Consumer<CacheProfileSpec> change, String expected) {
    assertThat(errors(change)).anySatisfy(e -> assertThat(e).startsWith(expected));
  }

  @Test
  void aTypoFromAnOldOrBypassedCrdStillDeserialisesAndIsReported() {
    CacheProfile profile = Serialization.unmarshal("""
        apiVersion: buildcache.dev/v1alpha1
        kind: CacheProfile
        metadata: {name: app, namespace: ci}
        spec:
          repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app-cache
          registry: {type: gcr}
          builderRef: {name: shared}
          cache: {compression: ztsd}
        """, CacheProfile.class);
    assertThat(CacheProfileValidator.validate(profile.getSpec())).extracting(dev.buildcache.operator.validation.FieldError::field)
        .contains("spec.cache.compression");
    // The API server's enum refuses 'gcr'; past a bypassed CRD it reads as unset, and unset follows the host.
    assertThat(ProfileRegistry.type(profile.getSpec())).isEqualTo(CacheProfileSpec.RegistryType.ECR);
  }

  @Test
  void anUnsetRegistryTypeFollowsTheHostSoAnOciHostIsNotTakenForEcr() {
    assertThat(errors(s -> {
      s.setRepository("registry.example.com:5000/web/cache");
      s.getRegistry().setType(null);
      s.getRegistry().setRegion(null);
    })).isEmpty();
    CacheProfileSpec oci = TestProfiles.profile("web", s -> {
      s.setRepository("registry.example.com:5000/web/cache");
      s.getRegistry().setType(null);
    }).getSpec();
    assertThat(ProfileRegistry.type(oci)).isEqualTo(CacheProfileSpec.RegistryType.OCI);
    assertThat(ProfileRegistry.type(TestProfiles.profile("app", s -> s.getRegistry().setType(null)).getSpec()))
        .isEqualTo(CacheProfileSpec.RegistryType.ECR);
  }

  @Test
  void theValidConditionSaysWhatMaxAgeMeansForTheRegistry() {
    assertThat(CacheProfileValidator.maxAgeMeaning(TestProfiles.profile("app", s -> s.getRetention().setMaxAge("336h")).getSpec()))
        .contains("last push or recorded pull (ECR)");
    assertThat(CacheProfileValidator.maxAgeMeaning(TestProfiles.profile("web", s -> {
      s.setRepository("registry.example.com/web/cache");
      s.getRetention().setMaxAge("336h");
    }).getSpec())).contains("first saw each tag at its digest");
    assertThat(CacheProfileValidator.maxAgeMeaning(TestProfiles.profile("app", s -> {}).getSpec())).isNull();
  }

  @Test
  void shippedSamplesAreValid() throws Exception {
    java.nio.file.Path samples = java.nio.file.Path.of(System.getProperty("buildcache.deploy.dir", "../deploy")).resolve("samples");
    for (String file : new String[] {"cacheprofile-ecr.yaml", "cacheprofile-oci.yaml"}) {
      CacheProfile profile = Serialization.unmarshal(java.nio.file.Files.readString(samples.resolve(file)), CacheProfile.class);
      assertThat(CacheProfileValidator.validate(profile.getSpec())).as(file).isEmpty();
    }
  }

  /** With at most 28 literal characters beside a branch part of at most 100, every tag fits 128. */
  @org.junit.jupiter.api.Test
  void aTagTemplateTooLongForEveryBranchIsRefused() {
    var ok = dev.buildcache.operator.testing.TestProfiles.profile("app", s -> s.getCache().setTagTemplate("c".repeat(28) + "-{branch}".substring(1)));
    org.assertj.core.api.Assertions.assertThat(CacheProfileValidator.validate(ok)).noneMatch(e -> e.field().equals("spec.cache.tagTemplate"));
    var tooLong = dev.buildcache.operator.testing.TestProfiles.profile("app", s -> s.getCache().setTagTemplate("c".repeat(29) + "{branch}"));
    org.assertj.core.api.Assertions.assertThat(CacheProfileValidator.validate(tooLong)).anySatisfy(e -> {
      org.assertj.core.api.Assertions.assertThat(e.field()).isEqualTo("spec.cache.tagTemplate");
      org.assertj.core.api.Assertions.assertThat(e.toString()).contains("has 29 literal characters; at most 28");
    });
  }
}
