package dev.buildcache.operator.builder.desired;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/** At most one daemon is voluntarily evicted at a time, so a node drain never takes the whole pool. */
public final class PodDisruptionBudgetFactory {
  private PodDisruptionBudgetFactory() {}

  public static PodDisruptionBudget podDisruptionBudget(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata()
        .withName(names.podDisruptionBudget())
        .withNamespace(names.namespace())
        .withLabels(BuilderLabels.common(names.name(), "builder"))
        .endMetadata()
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(BuilderLabels.selector(names.name())).endSelector()
        .endSpec()
        .build();
  }
}
