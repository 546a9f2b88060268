package dev.buildcache.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import org.junit.jupiter.api.Test;

class ConflictsTest {

  @Test
  void aConflictWrappedByTheFrameworkIsStillAConflict() {
    KubernetesClientException conflict = new KubernetesClientException("the object has been modified", 409, null);
    assertThat(Conflicts.isConflict(conflict)).isTrue();
    assertThat(Conflicts.isConflict(new OperatorException(new RuntimeException(conflict)))).isTrue();
  }

  @Test
  void otherFailuresAreNot() {
    assertThat(Conflicts.isConflict(new KubernetesClientException("boom", 500, null))).isFalse();
    assertThat(Conflicts.isConflict(new OperatorException(new IllegalStateException("x")))).isFalse();
    assertThat(Conflicts.isConflict(new RuntimeException())).isFalse();
  }
}
