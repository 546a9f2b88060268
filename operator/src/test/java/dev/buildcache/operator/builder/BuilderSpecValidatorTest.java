package dev.buildcache.operator.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.testing.TestBuilders;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BuilderSpecValidatorTest {

  static List<String> errors(Consumer<BuildkitBuilderSpec> change) {
    return BuilderSpecValidator.validate(TestBuilders.builder("b", change).getSpec()).stream().map(Object::toString).toList();
  }

  @Test
  void defaultsAreValid() {
    assertThat(errors(s -> {})).isEmpty();
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.setReplicas(-1), "spec.replicas: must be between 0 and 64"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.setImage(" "), "spec.image: must name a buildkitd image"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getStorage().setSize("lots"), "spec.storage.size: 'lots' is not a size"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getGc().setMaxUsedSpace("120%"), "spec.gc.maxUsedSpace: percentage must be between 0% and 100%"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getGc().setKeepDuration("a week"), "spec.gc.keepDuration: 'a week' is not a duration"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getTls().setRenewBefore("3000h"), "spec.tls.renewBefore: must be shorter than spec.tls.certificateDuration (2160h)"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getTls().setCertificateDuration("50000h"), "spec.tls.certificateDuration: must not exceed spec.tls.caDuration"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getTls().setCaPublishDelay("400h"), "spec.tls.caPublishDelay: must be shorter than spec.tls.renewBefore (360h)"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getTls().setCaPublishDelay("soon"), "spec.tls.caPublishDelay: 'soon' is not a duration"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.setTls(null), "spec.tls: must not be null; mTLS is always on"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.getDrain().setTerminationGracePeriod("48h"), "spec.drain.terminationGracePeriod: must be at most 24h"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.setMaxParallelism(0), "spec.maxParallelism: must be at least 1"),
        Arguments.of((Consumer<BuildkitBuilderSpec>) s -> s.setRegistryMirrors(Map.of("docker.io", List.of())), "spec.registryMirrors[docker.io]: needs at least one"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void namesTheFieldAndTheFix(Consumer<BuildkitBuilderSpec> change, String expected) {
    assertThat(errors(change)).anySatisfy(e -> assertThat(e).startsWith(expected));
  }

  @Test
  void aBuildersNameMustMakeItsObjectsNames() {
    assertThat(BuilderSpecValidator.validate(TestBuilders.builder("x".repeat(52)))).isEmpty();
    assertThat(BuilderSpecValidator.validate(TestBuilders.builder("x".repeat(60)))).singleElement().asString()
        .startsWith("metadata.name: is 60 characters; a builder's name has at most 52");
    assertThat(BuilderSpecValidator.validate(TestBuilders.builder("shared.v2"))).singleElement().asString()
        .startsWith("metadata.name: 'shared.v2' is not a DNS label");
    assertThat(BuilderSpecValidator.validate(TestBuilders.builder("1shared"))).singleElement().asString()
        .contains("starting with a letter");
  }

  @Test
  void ipBlocksAreCidrsAndAnExposedBuilderNeedsThem() {
    assertThat(BuilderSpecValidator.cidrProblem("10.0.0.0/16")).isNull();
    assertThat(BuilderSpecValidator.cidrProblem("fd00::/8")).isNull();
    assertThat(BuilderSpecValidator.cidrProblem("10.0.0.0")).contains("e.g. 10.0.0.0/16");
    assertThat(BuilderSpecValidator.cidrProblem("10.0.0.300/16")).contains("at most 255");
    assertThat(BuilderSpecValidator.cidrProblem("10.0.0.0/33")).contains("/32");
    assertThat(BuilderSpecValidator.cidrProblem("example.com/16")).contains("not a CIDR");
    assertThat(errors(s -> {
      s.setClients(new BuildkitBuilderSpec.ClientsSpec());
      s.getClients().setIpBlocks(java.util.List.of("10.0.0.0/16", "vpc"));
    })).singleElement().asString().startsWith("spec.clients.ipBlocks[1]: 'vpc' is not a CIDR");
    assertThat(errors(s -> {
      s.setExposure(new BuildkitBuilderSpec.ExposureSpec());
      s.getExposure().setType(BuildkitBuilderSpec.ExposureSpec.Type.LoadBalancer);
      s.getExposure().setGatewayReplicas(0);
    })).extracting(Object::toString).anySatisfy(e -> assertThat(e).startsWith("spec.clients.ipBlocks: is required with spec.exposure.type LoadBalancer"))
        .anySatisfy(e -> assertThat(e).startsWith("spec.exposure.gatewayReplicas: must be between 1 and 10"));
    assertThat(errors(s -> {
      s.setExposure(new BuildkitBuilderSpec.ExposureSpec());
      s.getExposure().setType(BuildkitBuilderSpec.ExposureSpec.Type.ClusterInternal);
    })).isEmpty();
  }
}
