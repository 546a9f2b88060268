package dev.buildcache.operator.registry.ecr;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PullTimeExclusionCheckTest {

  @Test
  void anAssumedRoleIsNamedByItsRolesArnWhateverThePath() {
    PullTimeExclusionCheck.Caller caller = PullTimeExclusionCheck.Caller.of("arn:aws:sts::123456789012:assumed-role/buildcache-operator/botocore-session-1");
    assertThat(caller.isNamedBy("arn:aws:iam::123456789012:role/buildcache-operator")).isTrue();
    assertThat(caller.isNamedBy("arn:aws:iam::123456789012:role/ci/platform/buildcache-operator")).isTrue();
    assertThat(caller.isNamedBy("arn:aws:iam::210987654321:role/buildcache-operator")).as("another account").isFalse();
    assertThat(caller.isNamedBy("arn:aws:iam::123456789012:role/buildcache-operator-2")).isFalse();
    assertThat(caller.isNamedBy("arn:aws:iam::123456789012:user/buildcache-operator")).as("a user of that name").isFalse();
    assertThat(caller.isNamedBy("arn:aws-cn:iam::123456789012:role/buildcache-operator")).as("another partition").isFalse();
  }

  @Test
  void anIamUserIsItself() {
    PullTimeExclusionCheck.Caller caller = PullTimeExclusionCheck.Caller.of("arn:aws:iam::123456789012:user/ci/gc-bot");
    assertThat(caller.isNamedBy("arn:aws:iam::123456789012:user/ci/gc-bot")).isTrue();
    assertThat(caller.registerCommand("eu-west-1"))
        .isEqualTo("aws ecr register-pull-time-update-exclusion --region eu-west-1 --principal-arn arn:aws:iam::123456789012:user/ci/gc-bot");
  }

  @Test
  void theCommandForARoleAsksIamForItsArnBecauseStsDoesNotGiveThePath() {
    assertThat(PullTimeExclusionCheck.Caller.of("arn:aws:sts::123456789012:assumed-role/gc/s").registerCommand("us-east-1"))
        .isEqualTo("aws ecr register-pull-time-update-exclusion --region us-east-1 --principal-arn "
            + "\"$(aws iam get-role --role-name gc --query Role.Arn --output text)\"");
  }

  @Test
  void theRootUserAndFederatedSessionsCannotBeExclusions() {
    assertThat(PullTimeExclusionCheck.Caller.of("arn:aws:iam::123456789012:root")).isNull();
    assertThat(PullTimeExclusionCheck.Caller.of("arn:aws:sts::123456789012:federated-user/bob")).isNull();
  }
}
