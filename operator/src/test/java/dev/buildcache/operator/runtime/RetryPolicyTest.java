package dev.buildcache.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A failing reconcile is retried for as long as it fails, backing off to five minutes: never left to the resync. */
class RetryPolicyTest {

  @Test
  void retriesNeverRunOutAndBackOffToFiveMinutes() {
    RetryExecution execution = OperatorRuntime.retry().initExecution();
    long previous = 0;
    for (int attempt = 1; attempt <= 1000; attempt++) {
      long delay = execution.nextDelay().orElseThrow(() -> new AssertionError("the retries ran out"));
      assertThat(delay).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(Duration.ofMinutes(5).toMillis());
      previous = delay;
    }
    assertThat(previous).isEqualTo(Duration.ofMinutes(5).toMillis());
  }
}
