package dev.buildcache.operator.bundles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.testing.EcrProtocolServer;
import dev.buildcache.operator.testing.SecretsManagerProtocolServer;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The publisher through the real SDK against the local Secrets Manager server, which checks the shipped IAM policy. */
class SecretsManagerPublisherTest {
  static final String NAME = "buildcache/buildkite/shared/web";
  static final String OWNER = "buildkite/shared";
  static final ClientBundle FIRST = new ClientBundle("CA1", "CERT1", "KEY1");
  static final ClientBundle RENEWED = new ClientBundle("CA1", "CERT2", "KEY2");

  SecretsManagerProtocolServer aws;
  SecretsManagerPublisher publisher;

  @BeforeEach
  void start() throws Exception {
    EcrProtocolServer.useTestCredentials();
    aws = new SecretsManagerProtocolServer(Clock.systemUTC());
    publisher = new SecretsManagerPublisher(aws.endpoint());
  }

  @AfterEach
  void stop() {
    publisher.close();
    aws.close();
  }

  SecretsManagerPublisher.Outcome publish(SecretsManagerPublisher on, ClientBundle bundle) {
    return on.publish("eu-west-1", null, NAME, OWNER, "buildkite/web", bundle);
  }

  @Test
  void createsTheSecretWithItsOwnerThenChangesItOnlyWhenTheBundleDoes() throws Exception {
    assertThat(publish(publisher, FIRST)).isEqualTo(SecretsManagerPublisher.Outcome.CREATED);
    var secret = aws.secret(NAME).orElseThrow();
    assertThat(new ObjectMapper().readValue(secret.current(), Map.class))
        .containsExactly(Map.entry("ca.pem", "CA1"), Map.entry("cert.pem", "CERT1"), Map.entry("key.pem", "KEY1"));
    assertThat(secret.tags()).containsEntry(SecretsManagerPublisher.OWNER_TAG, OWNER)
        .containsEntry(SecretsManagerPublisher.PROFILE_TAG, "buildkite/web")
        .containsEntry(SecretsManagerPublisher.DIGEST_TAG, FIRST.digest());

    int calls = aws.calls().size();
    assertThat(publish(publisher, FIRST)).isEqualTo(SecretsManagerPublisher.Outcome.CURRENT);
    assertThat(aws.calls()).as("a converged pass makes no call").hasSize(calls);

    // a restarted operator reads the tag once, not the value
    try (SecretsManagerPublisher restarted = new SecretsManagerPublisher(aws.endpoint())) {
      assertThat(publish(restarted, FIRST)).isEqualTo(SecretsManagerPublisher.Outcome.CURRENT);
      assertThat(aws.calls().subList(calls, aws.calls().size())).extracting(SecretsManagerProtocolServer.Call::operation)
          .containsExactly("DescribeSecret");
    }

    assertThat(publish(publisher, RENEWED)).isEqualTo(SecretsManagerPublisher.Outcome.UPDATED);
    secret = aws.secret(NAME).orElseThrow();
    assertThat(secret.versions()).hasSize(2);
    assertThat(secret.current()).contains("CERT2", "KEY2");
    assertThat(secret.tags()).containsEntry(SecretsManagerPublisher.DIGEST_TAG, RENEWED.digest());
    assertThat(aws.calls()).extracting(SecretsManagerProtocolServer.Call::operation).doesNotContain("GetSecretValue");
  }

  @Test
  void aSecretTheBuilderDidNotCreateIsNeverWritten() {
    aws.putForeign(NAME, "someone's database password");
    assertThatThrownBy(() -> publish(publisher, FIRST)).isInstanceOf(BundlePublishException.class)
        .hasMessage("Secrets Manager secret " + NAME + " exists and is not one the operator created, so it is left alone: delete or "
            + "rename it, or change the operator's --client-bundle-secret-template");
    assertThat(aws.secret(NAME).orElseThrow().current()).isEqualTo("someone's database password");

    publisher.publish("eu-west-1", null, "buildcache/buildkite/other/web", "buildkite/other", "buildkite/web", FIRST);
    assertThatThrownBy(() -> publisher.publish("eu-west-1", null, "buildcache/buildkite/other/web", OWNER, "buildkite/web", RENEWED))
        .hasMessageContaining("exists and is BuildkitBuilder buildkite/other's, so it is left alone");
  }

  @Test
  void aSecretScheduledForDeletionIsLeftAloneWithTheFix() {
    publish(publisher, FIRST);
    aws.scheduleDeletion(NAME);
    try (SecretsManagerPublisher restarted = new SecretsManagerPublisher(aws.endpoint())) {
      assertThatThrownBy(() -> publish(restarted, RENEWED))
          .hasMessageContaining("is scheduled for deletion, so it is left alone: restore it (aws secretsmanager restore-secret");
    }
    assertThat(aws.secret(NAME).orElseThrow().versions()).hasSize(1);
  }

  @Test
  void aRoleWithoutThePermissionIsToldWhatToGrant() throws Exception {
    aws.policy(EcrProtocolServer.GC_ACCESS_KEY, EcrProtocolServer.policyAllowing("secretsmanager:DescribeSecret"));
    assertThatThrownBy(() -> publish(publisher, FIRST)).isInstanceOf(BundlePublishException.class)
        .hasMessageContaining("AccessDeniedException: User: AKIDTEST is not authorized to perform: secretsmanager:CreateSecret")
        .hasMessageContaining("grant the operator's IAM role secretsmanager:DescribeSecret, CreateSecret, PutSecretValue and TagResource");
    assertThat(aws.secret(NAME)).isEmpty();
  }

  @Test
  void theShippedPolicyCoversOnlyTheBuildcacheNames() {
    assertThatThrownBy(() -> publisher.publish("eu-west-1", null, "prod/database", OWNER, "buildkite/web", FIRST))
        .hasMessageContaining("AccessDeniedException");
    assertThatThrownBy(() -> BundleSecretNames.of("buildcache/{namespace}/{profile}")).hasMessageContaining("lacks {builder}");
    assertThatThrownBy(() -> BundleSecretNames.of("buildcache/{namespace}/{builder}/{profile}#")).hasMessageContaining("refuses");
    assertThat(BundleSecretNames.of(BundleSecretNames.DEFAULT_TEMPLATE).name("ns", "b", "p")).isEqualTo("buildcache/ns/b/p");
  }

  @Test
  void anUnreachableOrFailingServiceIsAnErrorThatForgetsWhatWasCurrent() {
    aws.failNext("DescribeSecret", 10);
    assertThatThrownBy(() -> publish(publisher, FIRST)).hasMessageContaining("InternalServiceError");
    try (SecretsManagerPublisher nowhere = new SecretsManagerPublisher(URI.create("http://127.0.0.1:1"))) {
      assertThatThrownBy(() -> publish(nowhere, FIRST)).hasMessageContaining("cannot reach AWS");
    }
  }
}
