package dev.buildcache.operator.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class FailuresTest {

  @Test
  void aConflictWrappedByTheFrameworkIsStillAConflict() {
    KubernetesClientException conflict = new KubernetesClientException("the object has been modified", 409, null);
    assertThat(Failures.isConflict(conflict)).isTrue();
    assertThat(Failures.isConflict(new OperatorException(new RuntimeException(conflict)))).isTrue();
  }

  @Test
  void otherFailuresAreNot() {
    assertThat(Failures.isConflict(new KubernetesClientException("boom", 500, null))).isFalse();
    assertThat(Failures.isConflict(new OperatorException(new IllegalStateException("x")))).isFalse();
    assertThat(Failures.isConflict(new RuntimeException())).isFalse();
  }

  @Test
  void rootCauseIsBeneathTheWrappers() {
    IOException io = new IOException("connection refused");
    assertThat(Failures.rootCause(new OperatorException(new RuntimeException(io)))).isSameAs(io);
    RuntimeException alone = new RuntimeException("x");
    assertThat(Failures.rootCause(alone)).isSameAs(alone);
  }

  @Test
  void oneLineCollapsesWhitespaceAndCapsTheLength() {
    assertThat(Failures.oneLine(new RuntimeException("a\n  b\tc "))).isEqualTo("a b c");
    assertThat(Failures.oneLine(new IllegalStateException())).isEqualTo("IllegalStateException");
    String long300 = "x".repeat(300);
    assertThat(Failures.oneLine(new RuntimeException(long300))).hasSize(240).endsWith("...");
  }
}
